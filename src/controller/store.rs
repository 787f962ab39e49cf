//! The key store: a directory with one `kubernetes.io/tls` Secret manifest per key, in the
//! controller's own format, each file mode 0600.
//!
//! Files are written to a temporary name that does not match the key pattern (a leading dot,
//! no extension) and renamed into place, so a reader never sees a partial key.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs8::EncodePublicKey;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::keygen::KeyMaterial;
use crate::crypto::{Cert, PrivateKey};
use crate::doc::{doc_origin, parse_documents};
use crate::error::{Error, Result};
use crate::io::{read_text, write_atomic};
use crate::keyring::{key_secrets, KeySecret, KEY_LABEL};

/// The label value of keys that seal and unseal; any other value (`compromised`) is ignored.
pub(crate) const ACTIVE: &str = "active";
/// Upstream's key name prefix (Secrets are created with this `generateName`).
pub(crate) const KEY_PREFIX: &str = "sealed-secrets-key";
/// The namespace written into key Secrets that have none (upstream's default).
pub(crate) const DEFAULT_NAMESPACE: &str = "kube-system";
const KEY_FILE_MODE: u32 = 0o600;

/// A key as the store holds it: its manifest fields, decoded.
pub(crate) struct StoredKey {
    pub name: String,
    pub namespace: String,
    pub label: String,
    pub key_pem: Zeroizing<String>,
    pub cert_pem: String,
    pub file: PathBuf,
}

/// One active key, parsed.
pub(crate) struct KeyInfo {
    pub name: String,
    pub cert: Cert,
    /// What `/v1/cert.pem` serves.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub cert_pem: String,
}

/// The active keys, oldest first: the last one seals and is served; all of them decrypt.
pub(crate) struct KeySet {
    pub infos: Vec<KeyInfo>,
    /// The private keys, newest first: what was sealed lately (the common case) opens with
    /// the first key tried.
    pub keys: Vec<PrivateKey>,
}

impl KeySet {
    /// The key that seals and whose cert is served.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn newest(&self) -> Option<&KeyInfo> {
        self.infos.last()
    }

    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.infos.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// Builds a set from parsed keys, ordered as the controller orders them: by the cert's
    /// NotBefore; among equal times the first by name stays the newest (upstream keeps the
    /// first one registered when times tie).
    pub(crate) fn new(mut pairs: Vec<(KeyInfo, PrivateKey)>) -> KeySet {
        pairs.sort_by(|(a, _), (b, _)| {
            oldest_first(
                (a.cert.not_before(), &a.name),
                (b.cert.not_before(), &b.name),
            )
        });
        let (infos, mut keys): (Vec<KeyInfo>, Vec<PrivateKey>) = pairs.into_iter().unzip();
        keys.reverse();
        KeySet { infos, keys }
    }
}

/// A key store directory.
#[derive(Clone, Debug)]
pub(crate) struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> KeyStore {
        KeyStore { dir: dir.into() }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory (mode 0700) if it does not exist.
    pub(crate) fn create(&self) -> Result<()> {
        if self.dir.is_dir() {
            return Ok(());
        }
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir).map_err(|source| Error::Write {
            path: self.dir.clone(),
            source,
        })
    }

    /// The key files: `*.json`, `*.yaml`, `*.yml` not starting with a dot, sorted by name.
    pub(crate) fn files(&self) -> Result<Vec<PathBuf>> {
        let entries = fs::read_dir(&self.dir).map_err(|source| Error::Read {
            path: self.dir.clone(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_key_file_name(p) && p.is_file())
            .collect();
        files.sort();
        Ok(files)
    }

    /// Every key Secret in the store, whatever its label. A key file readable by group or
    /// others is refused.
    pub(crate) fn stored(&self) -> Result<Vec<StoredKey>> {
        let mut stored = Vec::new();
        for file in self.files()? {
            check_private(&file)?;
            let origin = file.display().to_string();
            let (_, docs) = parse_documents(&read_text(&file)?, &origin)?;
            for (i, doc) in docs.iter().enumerate() {
                for secret in key_secrets(doc, &doc_origin(&origin, i, docs.len()))? {
                    stored.push(stored_key(secret, &file)?);
                }
            }
        }
        Ok(stored)
    }

    /// The active keys, parsed and ordered.
    pub(crate) fn load(&self) -> Result<KeySet> {
        let mut pairs = Vec::new();
        for stored in self.stored()? {
            if stored.label != ACTIVE {
                continue;
            }
            let origin = stored.file.display().to_string();
            let (info, key) = parse_pair(&stored.name, &stored.key_pem, &stored.cert_pem, &origin)?;
            pairs.push((info, key));
        }
        Ok(KeySet::new(pairs))
    }

    /// Writes a new active key under a fresh `sealed-secrets-key<suffix>` name; returns the name.
    pub(crate) fn add(&self, material: &KeyMaterial) -> Result<String> {
        let key_pem = Zeroizing::new(
            pem_rfc7468::encode_string(
                "RSA PRIVATE KEY",
                pem_rfc7468::LineEnding::LF,
                &material.pkcs1_der,
            )
            .map_err(|e| Error::input("key", format!("cannot encode the key as PEM: {e}")))?,
        );
        let cert_pem = cert_pem(&material.cert_der)?;
        let name = self.fresh_name()?;
        self.write(&name, DEFAULT_NAMESPACE, ACTIVE, &key_pem, &cert_pem)?;
        Ok(name)
    }

    /// Writes a key Secret file `<name>.json`, atomically, mode 0600.
    pub(crate) fn write(
        &self,
        name: &str,
        namespace: &str,
        label: &str,
        key_pem: &str,
        cert_pem: &str,
    ) -> Result<PathBuf> {
        self.create()?;
        let manifest = Zeroizing::new(
            serde_json::to_string_pretty(&key_manifest(name, namespace, label, key_pem, cert_pem))
                .expect("JSON values always serialize")
                + "\n",
        );
        let path = self.dir.join(format!("{name}.json"));
        write_atomic(&path, manifest.as_bytes(), KEY_FILE_MODE)?;
        Ok(path)
    }

    /// A name no file in the store has.
    pub(crate) fn fresh_name(&self) -> Result<String> {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        loop {
            let mut bytes = [0u8; 5];
            getrandom::fill(&mut bytes)
                .map_err(|_| Error::crypto("key name", crate::error::CryptoError::Random))?;
            let suffix: String = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            let name = format!("{KEY_PREFIX}{suffix}");
            if !self.name_taken(&name) {
                return Ok(name);
            }
        }
    }

    pub(crate) fn name_taken(&self, name: &str) -> bool {
        ["json", "yaml", "yml"]
            .iter()
            .any(|ext| self.dir.join(format!("{name}.{ext}")).exists())
    }
}

/// The Secret manifest the controller stores a key in.
pub(crate) fn key_manifest(
    name: &str,
    namespace: &str,
    label: &str,
    key_pem: &str,
    cert_pem: &str,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "generateName": KEY_PREFIX,
            "name": name,
            "namespace": namespace,
            "labels": { KEY_LABEL: label },
        },
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": STANDARD.encode(cert_pem),
            "tls.key": STANDARD.encode(key_pem),
        },
    })
}

pub(crate) fn cert_pem(cert_der: &[u8]) -> Result<String> {
    pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, cert_der)
        .map_err(|e| Error::input("certificate", format!("cannot encode as PEM: {e}")))
}

/// Parses a key and its cert and checks that they belong together.
pub(crate) fn parse_pair(
    name: &str,
    key_pem: &str,
    cert_pem: &str,
    origin: &str,
) -> Result<(KeyInfo, PrivateKey)> {
    let mut keys = crate::crypto::parse_private_keys(key_pem)
        .map_err(|e| Error::crypto(format!("{origin}: tls.key"), e))?;
    let key =
        match (keys.pop(), keys.is_empty()) {
            (Some(key), true) => key,
            _ => return Err(Error::input_help(
                origin,
                "tls.key must hold exactly one RSA private key",
                "a controller key Secret carries one key; split the others into their own Secrets",
            )),
        };
    let cert =
        Cert::from_pem(cert_pem).map_err(|e| Error::crypto(format!("{origin}: tls.crt"), e))?;
    if !cert_matches(&cert, &key) {
        return Err(Error::input_help(
            origin,
            "tls.crt does not belong to tls.key",
            "put the certificate made for this key in tls.crt, or import the bare key to get a fresh certificate",
        ));
    }
    Ok((
        KeyInfo {
            name: name.to_string(),
            cert,
            cert_pem: cert_pem.to_string(),
        },
        key,
    ))
}

/// Whether the cert carries the key's public key.
pub(crate) fn cert_matches(cert: &Cert, key: &PrivateKey) -> bool {
    cert.public_key()
        .to_public_key_der()
        .is_ok_and(|der| der.as_bytes() == key.public_key_der())
}

fn stored_key(secret: KeySecret, file: &Path) -> Result<StoredKey> {
    let origin = secret.origin.clone();
    let cert_pem = secret.cert_pem.ok_or_else(|| {
        Error::input_help(
            &origin,
            "the key Secret has no data.tls.crt",
            "import the key with `sealant controller import` to give it a certificate",
        )
    })?;
    let name = secret.name.unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Ok(StoredKey {
        name,
        namespace: secret.namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.into()),
        label: secret.label.unwrap_or_default(),
        key_pem: secret.key_pem,
        cert_pem,
        file: file.to_path_buf(),
    })
}

/// The store's order: by NotBefore, and among equal times the first name last (newest).
fn oldest_first(a: (SystemTime, &str), b: (SystemTime, &str)) -> std::cmp::Ordering {
    a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1))
}

fn is_key_file_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('.')
        && [".json", ".yaml", ".yml"]
            .iter()
            .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

/// Refuses a key file that group or others can read or write.
#[cfg(unix)]
fn check_private(file: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(file)
        .map_err(|source| Error::Read {
            path: file.to_path_buf(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::input_help(
            file.display().to_string(),
            format!(
                "the key file is accessible to group or others (mode {:04o})",
                mode & 0o7777
            ),
            format!(
                "private keys must be readable by their owner only: chmod 600 {}",
                file.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_manifest_files_are_keys() {
        for (name, is_key) in [
            ("sealed-secrets-keyabcde.json", true),
            ("k.yaml", true),
            ("k.yml", true),
            (".sealant-AbC123", false),
            (".hidden.json", false),
            ("README.md", false),
            (".json", false),
        ] {
            assert_eq!(is_key_file_name(Path::new(name)), is_key, "{name}");
        }
    }

    #[test]
    fn newest_is_last_and_ties_keep_the_first_name() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let later = t + std::time::Duration::from_secs(1);
        let mut keys = vec![(later, "a"), (t, "c"), (t, "b")];
        keys.sort_by(|a, b| oldest_first(*a, *b));
        assert_eq!(keys, [(t, "c"), (t, "b"), (later, "a")]);
    }

    fn vectors() -> PathBuf {
        std::env::var_os("SEALANT_VECTORS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors"))
    }

    #[test]
    fn only_active_keys_load_and_every_label_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path());
        let list: Value =
            serde_json::from_str(&fs::read_to_string(vectors().join("backup-list.json")).unwrap())
                .unwrap();
        for (i, label) in [ACTIVE, "compromised"].into_iter().enumerate() {
            let mut item = list["items"][i].clone();
            item["metadata"]["labels"][KEY_LABEL] = json!(label);
            let name = item["metadata"]["name"].as_str().unwrap().to_string();
            write_atomic(
                &dir.path().join(format!("{name}.json")),
                item.to_string().as_bytes(),
                KEY_FILE_MODE,
            )
            .unwrap();
        }
        let keys = store.load().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.newest().unwrap().name, "sealed-secrets-keyabcde");
        assert_eq!(keys.keys[0].bits(), 2048);
        let labels: Vec<String> = store
            .stored()
            .unwrap()
            .into_iter()
            .map(|k| k.label)
            .collect();
        assert_eq!(labels, [ACTIVE, "compromised"]);
    }

    #[test]
    fn manifest_has_the_controller_shape() {
        let m = key_manifest("sealed-secrets-keyabcde", "kube-system", ACTIVE, "K", "C");
        assert_eq!(m["type"], "kubernetes.io/tls");
        assert_eq!(m["metadata"]["labels"][KEY_LABEL], "active");
        assert_eq!(m["data"]["tls.key"], STANDARD.encode("K"));
        assert_eq!(m["data"]["tls.crt"], STANDARD.encode("C"));
    }
}
