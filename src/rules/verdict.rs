//! The one place that decides a value found under a key is not a plaintext credential. Every
//! detector (Secret `data`/`stringData`, secretGenerator literals and env files) and every rule
//! asks it before calling a value plaintext. No for: placeholders, templates and references
//! (`placeholder.rs`), SealedSecret ciphertext kept outside a SealedSecret (Helm values,
//! kustomize patches), and the digests Helm charts put in `checksum/*` annotations.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::placeholder::is_placeholder;

/// Whether `value`, found under `key` (the key's text as written, possibly quoted; empty when
/// there is none), is certainly not a credential.
pub(crate) fn is_not_a_credential(key: &[u8], value: &[u8]) -> bool {
    is_placeholder(value)
        || is_sealed_ciphertext(value)
        || is_digest_annotation(key, value)
        || is_password_hash(value)
        || decoded_text(value).is_some_and(|text| {
            is_encoded_placeholder(value, &text) || is_password_hash(text.as_bytes())
        })
}

/// Longest base64 text judged as an encoded htpasswd file (a few dozen users).
const HASHES_MAX: usize = 8192;

/// `$2y$10$…` (bcrypt), `$apr1$…`, `$1$`/`$5$`/`$6$` (crypt), one per line, each perhaps
/// after `user:` (an htpasswd file, as Traefik's and ingress-nginx's basic auth read it), or a
/// lone bcrypt hash (dex's static passwords): a password's salted hash, not the password.
fn is_password_hash(value: &[u8]) -> bool {
    let text = value.trim_ascii();
    !text.is_empty()
        && text.split(|&b| b == b'\n').all(|line| {
            let line = line.trim_ascii();
            let hash = match line.iter().position(|&b| b == b':') {
                Some(colon) if !line.starts_with(b"$") => &line[colon + 1..],
                _ => line,
            };
            is_crypt_hash(hash)
        })
}

/// One modular-crypt hash: `$id$` (and bcrypt's cost), then salt and digest in crypt's base64.
fn is_crypt_hash(hash: &[u8]) -> bool {
    let crypt64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'$');
    let body = [
        &b"$2a$"[..],
        b"$2b$",
        b"$2y$",
        b"$apr1$",
        b"$1$",
        b"$5$",
        b"$6$",
    ]
    .iter()
    .find_map(|id| hash.strip_prefix(*id));
    body.is_some_and(|body| body.len() >= 22 && body.iter().all(crypt64))
}

/// Longest base64 text judged by what it decodes to: placeholders are short.
const ENCODED_PLACEHOLDER_MAX: usize = 128;

/// `cGFzc3dvcmQ=` in a Secret's `data` is `password` as much as the plain word is. Only a
/// one-line decoding counts.
fn is_encoded_placeholder(value: &[u8], decoded: &str) -> bool {
    value.trim_ascii().len() <= ENCODED_PLACEHOLDER_MAX
        && !decoded.contains('\n')
        && is_placeholder(decoded.as_bytes())
}

/// What base64 `value` (at most [`HASHES_MAX`] long) decodes to, if that is printable text
/// (line breaks allowed): a random value that happens to be base64 decodes to control bytes.
/// Decoded once for every judge of decoded values.
fn decoded_text(value: &[u8]) -> Option<String> {
    let value = value.trim_ascii();
    if value.is_empty() || value.len() > HASHES_MAX || !value.len().is_multiple_of(4) {
        return None;
    }
    let text = String::from_utf8(STANDARD.decode(value).ok()?).ok()?;
    let printable = !text.chars().any(|c| c.is_control() && c != '\n');
    printable.then_some(text)
}

/// RSA block lengths of sealing keys: 1024 to 8192 bits, in steps of 512.
const RSA_BLOCK_BYTES: std::ops::RangeInclusive<usize> = 128..=1024;
/// AES-GCM's tag: the shortest AES part (an empty value).
const GCM_TAG_BYTES: usize = 16;

/// Base64 of the sealed-secrets ciphertext shape: a 2-byte big-endian length of a plausible RSA
/// block, that block, and an AES-GCM payload with its tag. Nobody writes a password that
/// decodes to this: it is a SealedSecret value kept somewhere else.
pub(crate) fn is_sealed_ciphertext(value: &[u8]) -> bool {
    // Cheap rejections first: most values judged are short, or start with another letter.
    let min_len = 4 * (2 + RSA_BLOCK_BYTES.start() + GCM_TAG_BYTES) / 3;
    let first = value
        .iter()
        .find(|b| !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\''));
    if value.len() < min_len || !matches!(first, Some(b'A' | b'B')) {
        return false;
    }
    let compact: Vec<u8> = value
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\''))
        .collect();
    // The length prefix of 128..=1024 makes the first byte 0..=4: base64 `A` or `B`.
    if compact.len() < min_len {
        return false;
    }
    let Ok(bytes) = STANDARD.decode(&compact) else {
        return false;
    };
    let Ok(envelope) = crate::crypto::parse_envelope(&bytes) else {
        return false;
    };
    let rsa_len = envelope.rsa_ciphertext.len();
    RSA_BLOCK_BYTES.contains(&rsa_len) && rsa_len.is_multiple_of(64)
}

/// Digest lengths in hex: MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512.
const DIGEST_HEX_LENGTHS: [usize; 6] = [32, 40, 56, 64, 96, 128];

/// `checksum/secret: <sha256 hex>`: Helm charts annotate pod templates with a digest of a
/// rendered template so that pods restart when it changes. A digest is not a credential; any
/// other value under such a key is judged as usual.
fn is_digest_annotation(key: &[u8], value: &[u8]) -> bool {
    let key = key.trim_ascii_start();
    let key = key
        .strip_prefix(b"\"")
        .or(key.strip_prefix(b"'"))
        .unwrap_or(key);
    let value = value
        .trim_ascii()
        .strip_prefix(b"sha256:")
        .unwrap_or(value.trim_ascii());
    key.len() > 9
        && key[..9].eq_ignore_ascii_case(b"checksum/")
        && DIGEST_HEX_LENGTHS.contains(&value.len())
        && value.iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The base64-placeholder judge alone, as [`is_not_a_credential`] applies it.
    fn decodes_to_placeholder(value: &[u8]) -> bool {
        decoded_text(value).is_some_and(|text| is_encoded_placeholder(value, &text))
    }

    /// A value of the sealed shape: 2-byte length, RSA block, AES part with its tag.
    fn sealed_shape(rsa_len: usize, aes_len: usize) -> String {
        let mut bytes = (rsa_len as u16).to_be_bytes().to_vec();
        bytes.extend((0..rsa_len + aes_len).map(|i| (i * 7 + 3) as u8));
        STANDARD.encode(bytes)
    }

    #[test]
    fn password_hashes_are_not_credentials_and_passwords_beside_them_are() {
        let bcrypt = "$2y$10$abcdefghijklmnopqrstuuJ0aV1Qb6W2Fq5mYbQn3V6ZtX8sQe1Ca";
        let htpasswd =
            "admin:$apr1$Xy12Ab34$AbCdEfGhIjKlMnOpQrStU1\nops:$2y$05$abcdefghijklmnopqrstuv";
        for value in [
            bcrypt.to_string(),
            htpasswd.to_string(),
            STANDARD.encode(htpasswd),
        ] {
            assert!(is_not_a_credential(b"users", value.as_bytes()), "{value}");
        }
        for value in [
            "hunter2-Xk9s0Lq",
            "admin:plain-password-here",
            "$2y$10$short",
            "admin:$apr1$Xy12Ab34$AbCdEfGhIjKlMnOpQrStU1\nbob:secret-pass-123",
        ] {
            assert!(!is_not_a_credential(b"users", value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn sealed_ciphertext_is_recognised_by_its_shape() {
        for rsa_len in [256, 384, 512] {
            let value = sealed_shape(rsa_len, 16 + 12);
            assert!(is_sealed_ciphertext(value.as_bytes()), "{rsa_len}");
            assert!(is_not_a_credential(b"password", value.as_bytes()));
        }
        // Folded over lines, as in a YAML block scalar.
        let folded = sealed_shape(512, 40).replace("AAAA", "AAAA\n  ");
        assert!(is_sealed_ciphertext(folded.as_bytes()));
    }

    #[test]
    fn other_base64_is_not_sealed_ciphertext() {
        for value in [
            sealed_shape(512, 4),  // shorter than a GCM tag
            sealed_shape(100, 40), // no RSA key has a 100-byte block
            sealed_shape(2048, 40),
            STANDARD.encode("-----BEGIN RSA PRIVATE KEY-----\nMIIEow".repeat(10)),
            "AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq".into(),
            "hunter2".into(),
        ] {
            assert!(!is_sealed_ciphertext(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn base64_of_a_placeholder_is_a_placeholder() {
        for word in ["password", "changeme", "<api-key>", "****", "REPLACE_ME"] {
            let encoded = STANDARD.encode(word);
            assert!(
                is_not_a_credential(b"password", encoded.as_bytes()),
                "{word}"
            );
        }
        for value in ["minio123", "Zq8r2Lm5Nv9Wt1Xy", "\u{1}password"] {
            let encoded = STANDARD.encode(value);
            assert!(!decodes_to_placeholder(encoded.as_bytes()), "{value}");
        }
        // Random base64 whose bytes start with `<`: not printable, so judged as it is.
        assert!(!decodes_to_placeholder(b"PJv3Zq8r2Lm5Nv9W"));
    }

    #[test]
    fn checksum_annotations_hold_digests() {
        let sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        for key in [
            "checksum/secret",
            "\"checksum/config\"",
            "Checksum/secret-env",
        ] {
            assert!(is_digest_annotation(key.as_bytes(), sha256.as_bytes()));
        }
        assert!(is_digest_annotation(
            b"checksum/secret",
            format!("sha256:{sha256}").as_bytes()
        ));
        // A digest under another key, or another value under the annotation, is judged as usual.
        assert!(!is_digest_annotation(b"secret", sha256.as_bytes()));
        assert!(!is_digest_annotation(
            b"checksum/secret",
            b"Zq8r2Lm5Nv9Wt1XyQ4x7"
        ));
        assert!(!is_digest_annotation(
            b"checksum/secret",
            &sha256.as_bytes()[1..]
        ));
    }
}
