//! Finding fingerprints: HMAC-SHA-256 of the rule and the value under a salt (for structural
//! findings, of the rule, path and identity). Stable across runs and line moves; with a per-repository salt (`fingerprint-salt` in `.sealant.yaml`,
//! written by `sealant init`) a report alone cannot confirm a guessed weak value.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::finding::Fingerprint;

/// Salt used when the configuration sets none.
pub(crate) const DEFAULT_SALT: &str = "sealant-fingerprint-v1";

thread_local! {
    /// The HMAC keyed with the last salt used on this thread.
    static KEY: std::cell::RefCell<Option<(String, Hmac<Sha256>)>> = const { std::cell::RefCell::new(None) };
}

/// The fingerprint of `value` found by `rule`: 32 hex digits.
pub(crate) fn fingerprint(salt: &str, rule: &str, value: &[u8]) -> Fingerprint {
    // sha2 picks the CPU's SHA instructions at run time: a seventh of a scan with many
    // findings went to a software SHA-256 here.
    let mut mac = KEY.with(|cached| {
        let mut cached = cached.borrow_mut();
        // One salt per scan: the key schedule is made once per thread, not once per finding.
        if cached.as_ref().is_none_or(|(s, _)| s != salt) {
            let key = Hmac::new_from_slice(salt.as_bytes()).expect("HMAC takes any key length");
            *cached = Some((salt.to_string(), key));
        }
        let (_, key) = cached.as_ref().expect("set just above");
        key.clone()
    });
    mac.update(rule.as_bytes());
    mac.update(&[0]);
    mac.update(value);
    let mut digest = [0u8; 16];
    digest.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    Fingerprint::from_digest(digest)
}

/// The fingerprint of a structural finding: the rule and what it is about (`identity`: object,
/// field, a value's [`digest()`]) in `path`. Never the message, so rewording one keeps baselines.
pub(crate) fn of_identity(salt: &str, rule: &str, path: &str, identity: &str) -> Fingerprint {
    fingerprint(salt, rule, format!("{path}\0{identity}").as_bytes())
}

/// A short digest of a value, to put a value into an identity without the value itself.
pub(crate) fn digest(value: &[u8]) -> String {
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
        assert_eq!(a.to_string().len(), 32);
        assert_ne!(a, fingerprint("t", "rule", b"hunter2"));
        assert_ne!(a, fingerprint("s", "other", b"hunter2"));
        assert_ne!(a, fingerprint("s", "rule", b"hunter3"));
        assert!(!a.to_string().contains("hunter2"));
    }

    /// Baselines and `allow:` entries hold fingerprints: the function must never change.
    /// Known answers from Python's `hmac`/`hashlib`.
    #[test]
    fn fingerprints_are_hmac_sha256_known_answers() {
        assert_eq!(
            fingerprint("s", "rule", b"hunter2"),
            "d83133f5fd6fce6e02ff9a1d2788c534"
        );
        assert_eq!(digest(b"x"), "2d711642b726b04401627ca9fbac32f5");
    }
}
