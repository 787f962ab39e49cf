//! Loading private keys for unsealing from the forms users have them in: PEM files (PKCS#1 or
//! PKCS#8), the controller's key Secrets (`kubernetes.io/tls`, `tls.key`), and backup `List`s.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::crypto::{parse_private_keys, PrivateKey};
use crate::doc::{doc_origin, parse_documents};
use crate::error::{Error, Result};
use crate::io::read_text;

/// Every private key in every file; a file without any key is an error.
pub fn load_keys(paths: &[PathBuf]) -> Result<Vec<PrivateKey>> {
    let mut keys = Vec::new();
    for path in paths {
        let found = keys_in_file(path)?;
        if found.is_empty() {
            return Err(Error::input_help(
                path.display().to_string(),
                "no RSA private key found",
                "give a PEM private key, a controller key Secret (kubernetes.io/tls) or a backup List of them",
            ));
        }
        keys.extend(found);
    }
    Ok(keys)
}

fn keys_in_file(path: &Path) -> Result<Vec<PrivateKey>> {
    let text = read_text(path)?;
    let origin = path.display().to_string();
    if text.contains("-----BEGIN") {
        return parse_private_keys(&text).map_err(|e| Error::crypto(origin, e));
    }
    let (_, docs) = parse_documents(&text, &origin)?;
    let mut keys = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        collect_manifest_keys(doc, &doc_origin(&origin, i, docs.len()), &mut keys)?;
    }
    Ok(keys)
}

fn collect_manifest_keys(doc: &Value, origin: &str, keys: &mut Vec<PrivateKey>) -> Result<()> {
    match doc.get("kind").and_then(Value::as_str) {
        Some("List" | "SecretList") => {
            for (i, item) in doc
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                collect_manifest_keys(item, &format!("{origin}: items[{i}]"), keys)?;
            }
            Ok(())
        }
        Some("Secret") => {
            let Some(encoded) = doc.pointer("/data/tls.key").and_then(Value::as_str) else {
                return Ok(());
            };
            let pem = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| Error::input(origin, "data.tls.key is not base64-encoded PEM"))?;
            keys.extend(
                parse_private_keys(&pem)
                    .map_err(|e| Error::crypto(format!("{origin}: data.tls.key"), e))?,
            );
            Ok(())
        }
        _ => Ok(()),
    }
}
