//! Finding fingerprints: HMAC-SHA-256 of the rule and the value under a salt (for structural
//! findings, of the rule, path and identity). Stable across runs and line moves; with a per-repository salt (`fingerprint-salt` in `.sealant.yaml`,
//! written by `sealant init`) a report alone cannot confirm a guessed weak value.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Salt used when the configuration sets none.
pub const DEFAULT_SALT: &str = "sealant-fingerprint-v1";

/// The fingerprint of `value` found by `rule`: 32 hex digits.
pub fn fingerprint(salt: &str, rule: &str, value: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(salt.as_bytes()).expect("HMAC takes any key length");
    mac.update(rule.as_bytes());
    mac.update(&[0]);
    mac.update(value);
    let digest = mac.finalize().into_bytes();
    crate::crypto::hex(&digest[..16])
}

/// The fingerprint of a structural finding: the rule and what it is about (`identity`: object,
/// field, a value's [`digest`]) in `path`. Never the message, so rewording one keeps baselines.
pub fn of_identity(salt: &str, rule: &str, path: &str, identity: &str) -> String {
    fingerprint(salt, rule, format!("{path}\0{identity}").as_bytes())
}

/// A short digest of a value, to put a value into an identity without the value itself.
pub fn digest(value: &[u8]) -> String {
    use sha2::Digest;
    crate::crypto::hex(&Sha256::digest(value)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_depend_on_path_and_identity() {
        let a = of_identity("s", "rule", "a.yaml", "SealedSecret ns/db");
        assert_eq!(a, of_identity("s", "rule", "a.yaml", "SealedSecret ns/db"));
        assert_ne!(a, of_identity("s", "rule", "b.yaml", "SealedSecret ns/db"));
        assert_ne!(a, of_identity("s", "rule", "a.yaml", "SealedSecret ns/web"));
        assert_ne!(digest(b"x"), digest(b"y"));
        assert_eq!(digest(b"x").len(), 32);
    }

    #[test]
    fn depends_on_salt_rule_and_value_only() {
        let a = fingerprint("s", "rule", b"hunter2");
        assert_eq!(a, fingerprint("s", "rule", b"hunter2"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("t", "rule", b"hunter2"));
        assert_ne!(a, fingerprint("s", "other", b"hunter2"));
        assert_ne!(a, fingerprint("s", "rule", b"hunter3"));
        assert!(!a.contains("hunter2"));
    }
}
