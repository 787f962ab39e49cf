//! Loading private keys for unsealing from the forms users have them in: PEM files (PKCS#1 or
//! PKCS#8), the controller's key Secrets (`kubernetes.io/tls`, `tls.key`), and backup `List`s.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::crypto::{parse_private_keys, PrivateKey};
use crate::doc::{doc_origin, parse_documents};
use crate::error::{Error, Result};
use crate::io::read_key_file;

/// Every private key in every file; a file without any key is an error.
pub(crate) fn load_keys(paths: &[PathBuf]) -> Result<Vec<PrivateKey>> {
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
    let text = read_key_file(path)?;
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
    for secret in key_secrets(doc, origin)? {
        keys.extend(
            parse_private_keys(&secret.key_pem)
                .map_err(|e| Error::crypto(format!("{}: data.tls.key", secret.origin), e))?,
        );
    }
    Ok(())
}

/// A controller key Secret (`kubernetes.io/tls` with `tls.key`), as found in a manifest.
pub(crate) struct KeySecret {
    /// Where it was found, for messages.
    pub origin: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// The value of the `sealedsecrets.bitnami.com/sealed-secrets-key` label, if any.
    pub label: Option<String>,
    /// `tls.key`, decoded: PEM text.
    pub key_pem: zeroize::Zeroizing<String>,
    /// `tls.crt`, decoded: PEM text, if present.
    pub cert_pem: Option<String>,
}

/// The label the controller puts on its key Secrets.
pub(crate) const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";

/// Every Secret with a `tls.key` in a document: the document itself, or the items of a
/// `List`/`SecretList`, recursively. Other documents yield nothing.
pub(crate) fn key_secrets(doc: &Value, origin: &str) -> Result<Vec<KeySecret>> {
    let mut found = Vec::new();
    collect_key_secrets(doc, origin, &mut found)?;
    Ok(found)
}

fn collect_key_secrets(doc: &Value, origin: &str, found: &mut Vec<KeySecret>) -> Result<()> {
    match doc.get("kind").and_then(Value::as_str) {
        Some("List" | "SecretList") => {
            for (i, item) in doc
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                collect_key_secrets(item, &format!("{origin}: items[{i}]"), found)?;
            }
            Ok(())
        }
        Some("Secret") => {
            let Some(encoded) = doc.pointer("/data/tls.key").and_then(Value::as_str) else {
                return Ok(());
            };
            let key_pem = decode_pem(encoded)
                .ok_or_else(|| Error::input(origin, "data.tls.key is not base64-encoded PEM"))?;
            let cert_pem = match doc.pointer("/data/tls.crt").and_then(Value::as_str) {
                Some(encoded) => Some(decode_pem(encoded).ok_or_else(|| {
                    Error::input(origin, "data.tls.crt is not base64-encoded PEM")
                })?),
                None => None,
            };
            let meta = |field: &str| {
                doc.pointer(&format!("/metadata/{field}"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            found.push(KeySecret {
                origin: origin.to_string(),
                name: meta("name"),
                namespace: meta("namespace"),
                label: doc
                    .pointer("/metadata/labels")
                    .and_then(|labels| labels.get(KEY_LABEL))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                key_pem: zeroize::Zeroizing::new(key_pem),
                cert_pem,
            });
            Ok(())
        }
        _ => Ok(()),
    }
}

fn decode_pem(encoded: &str) -> Option<String> {
    STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}
