//! Moving keys in and out of the store: importing backup `List`s, key Secrets and PEM keys;
//! exporting a backup `List` the real controller accepts.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use pkcs8::der::Decode;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::keygen::{self_signed, CertOptions};
use super::store::{cert_pem, key_manifest, parse_pair, KeyStore, ACTIVE, DEFAULT_NAMESPACE};
use crate::crypto::{pem_blocks, Cert, PrivateKey};
use crate::doc::{doc_origin, parse_documents};
use crate::error::{Error, Result};
use crate::io::read_text;
use crate::keyring::key_secrets;

/// What an import did.
#[derive(Debug, Default)]
pub(crate) struct ImportReport {
    /// Names of the keys written to the store.
    pub added: Vec<String>,
    /// Keys already present: (where it was found, the key it duplicates).
    pub duplicates: Vec<(String, String)>,
}

/// A key found in an input, normalised to the controller's format.
struct Incoming {
    origin: String,
    name: Option<String>,
    namespace: Option<String>,
    label: String,
    pkcs1_der: Zeroizing<Vec<u8>>,
    /// PEM certificate; `None` for a bare key (a fresh self-signed one is made).
    cert_pem: Option<String>,
}

/// Imports every key in `paths` into the store. All inputs are read and checked before
/// anything is written.
pub(crate) fn import(
    store: &KeyStore,
    paths: &[PathBuf],
    options: &CertOptions,
    now: SystemTime,
) -> Result<ImportReport> {
    let mut incoming = Vec::new();
    for path in paths {
        let origin = path.display().to_string();
        let text = read_text(path)?;
        let found = if text.contains("-----BEGIN") {
            from_pem(&text, &origin)?
        } else {
            from_manifests(&text, &origin)?
        };
        if found.is_empty() {
            return Err(Error::input_help(
                origin,
                "no RSA private key found",
                "give a backup List, a controller key Secret (kubernetes.io/tls) or a PEM private key",
            ));
        }
        incoming.extend(found);
    }

    let mut present: HashMap<Vec<u8>, String> = HashMap::new();
    if store.dir().is_dir() {
        for stored in store.stored()? {
            let origin = stored.file.display().to_string();
            let (_, key) = parse_pair(&stored.name, &stored.key_pem, &stored.cert_pem, &origin)?;
            present.insert(key.public_key_der().to_vec(), stored.name);
        }
    }

    // Check everything first: a failed import writes nothing.
    let mut ready = Vec::new();
    for item in incoming {
        let key_pem = Zeroizing::new(
            pem_rfc7468::encode_string(
                "RSA PRIVATE KEY",
                pem_rfc7468::LineEnding::LF,
                &item.pkcs1_der,
            )
            .map_err(|e| Error::input(&item.origin, format!("cannot encode the key: {e}")))?,
        );
        let cert_pem = match &item.cert_pem {
            Some(pem) => pem.clone(),
            None => cert_pem(
                &self_signed(&item.pkcs1_der, options, now)
                    .map_err(|e| Error::crypto(&item.origin, e))?,
            )?,
        };
        let (_, key) = parse_pair("", &key_pem, &cert_pem, &item.origin)?;
        let spki = key.public_key_der().to_vec();
        if let Some(name) = present.get(&spki) {
            ready.push(Ready::Duplicate {
                origin: item.origin,
                name: name.clone(),
            });
            continue;
        }
        present.insert(spki, format!("the key imported from {}", item.origin));
        ready.push(Ready::Write {
            item,
            key_pem,
            cert_pem,
        });
    }

    let mut report = ImportReport::default();
    for entry in ready {
        match entry {
            Ready::Duplicate { origin, name } => report.duplicates.push((origin, name)),
            Ready::Write {
                item,
                key_pem,
                cert_pem,
            } => {
                let name = match item.name.filter(|n| valid_name(n) && !store.name_taken(n)) {
                    Some(name) => name,
                    None => store.fresh_name()?,
                };
                let namespace = item.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
                store.write(&name, namespace, &item.label, &key_pem, &cert_pem)?;
                report.added.push(name);
            }
        }
    }
    Ok(report)
}

enum Ready {
    Write {
        item: Incoming,
        key_pem: Zeroizing<String>,
        cert_pem: String,
    },
    Duplicate {
        origin: String,
        name: String,
    },
}

/// A backup `List` of every key in the store (whatever its label), as
/// `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o json` prints it.
pub(crate) fn export(store: &KeyStore) -> Result<Value> {
    let items: Vec<Value> = store
        .stored()?
        .iter()
        .map(|k| key_manifest(&k.name, &k.namespace, &k.label, &k.key_pem, &k.cert_pem))
        .collect();
    Ok(json!({ "apiVersion": "v1", "kind": "List", "items": items }))
}

/// Kubernetes object names: lowercase alphanumerics, `-` and `.`, at most 253 characters.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// PEM keys; a certificate in the same text that matches a key is kept with it.
fn from_pem(text: &str, origin: &str) -> Result<Vec<Incoming>> {
    let blocks = pem_blocks(text).map_err(|e| Error::crypto(origin, e))?;
    let certs: Vec<(String, Cert)> = blocks
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .filter_map(|b| {
            let cert = Cert::from_der(b.der.clone()).ok()?;
            Some((cert_pem(&b.der).ok()?, cert))
        })
        .collect();
    let mut found = Vec::new();
    for block in &blocks {
        let pkcs1_der = match block.label.as_str() {
            "RSA PRIVATE KEY" => Zeroizing::new(block.der.clone()),
            "PRIVATE KEY" => pkcs8_to_pkcs1(&block.der, origin)?,
            _ => continue,
        };
        let key = PrivateKey::from_pkcs1_der(&pkcs1_der).map_err(|e| Error::crypto(origin, e))?;
        let cert_pem = certs
            .iter()
            .find(|(_, cert)| super::store::cert_matches(cert, &key))
            .map(|(pem, _)| pem.clone());
        found.push(Incoming {
            origin: origin.to_string(),
            name: None,
            namespace: None,
            label: ACTIVE.into(),
            pkcs1_der,
            cert_pem,
        });
    }
    Ok(found)
}

/// Key Secrets, alone or in `List`s; their name, namespace, label and cert are kept.
fn from_manifests(text: &str, origin: &str) -> Result<Vec<Incoming>> {
    let (_, docs) = parse_documents(text, origin)?;
    let mut found = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        for secret in key_secrets(doc, &doc_origin(origin, i, docs.len()))? {
            let at = format!("{}: data.tls.key", secret.origin);
            let mut keys = from_pem(&secret.key_pem, &at)?;
            let Some(mut key) = keys.pop().filter(|_| keys.is_empty()) else {
                return Err(Error::input(at, "must hold exactly one RSA private key"));
            };
            key.origin = secret.origin;
            key.name = secret.name;
            key.namespace = secret.namespace;
            key.label = secret.label.unwrap_or_else(|| ACTIVE.into());
            key.cert_pem = secret.cert_pem;
            found.push(key);
        }
    }
    Ok(found)
}

fn pkcs8_to_pkcs1(der: &[u8], origin: &str) -> Result<Zeroizing<Vec<u8>>> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|e| Error::input(origin, format!("not a PKCS#8 private key: {e}")))?;
    Ok(Zeroizing::new(info.private_key.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names() {
        assert!(valid_name("sealed-secrets-keyabcde"));
        assert!(!valid_name("../etc/passwd"));
        assert!(!valid_name("Upper"));
        assert!(!valid_name("-lead"));
        assert!(!valid_name(""));
    }
}
