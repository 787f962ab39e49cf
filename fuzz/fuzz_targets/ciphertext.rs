//! Ciphertext parsing (src/crypto, the sealed value shape checks): the input as a raw sealed
//! value (framing, then decryption with the test key under each scope's label), as the base64
//! text `unseal --raw` takes, and as an encryptedData value of a SealedSecret that the checks
//! see with the test cert and key.
//! Checks: no panic; framing agrees with the check's verdict; nothing opens (the input was
//! not sealed to the test key, so an opening would be a forgery the fuzzer found).
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use sealant::check::{check_sealed_secret, CheckContext, INVALID_CIPHERTEXT, WRONG_KEY};
use sealant::crypto::{hybrid_decrypt, label_for, parse_envelope, Scope};
use sealant::yaml::parse_node;
use sealant_fuzz::{cert, keys};

fuzz_target!(|data: &[u8]| {
    let framed = parse_envelope(data);
    if let Ok(envelope) = framed {
        assert_eq!(
            2 + envelope.rsa_ciphertext.len() + envelope.aes_ciphertext.len(),
            data.len()
        );
        let label = label_for(Scope::Strict, "ns", "name");
        assert!(hybrid_decrypt(keys(), data, &label).is_err());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sealant::sealed::unseal_raw(text, keys(), Scope::ClusterWide, "", "");
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let doc = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: ns\nspec:\n  encryptedData:\n    k: {encoded}\n  template:\n    metadata:\n      name: s\n      namespace: ns\n"
    );
    let root = parse_node(&doc, 0..doc.len()).unwrap().unwrap();
    let ctx = CheckContext {
        cert: Some(cert()),
        keys: Some(keys()),
        defer_decrypt: true,
        keep_values: false,
    };
    let mut out = Vec::new();
    let deferred = check_sealed_secret(&root, &ctx, &mut out);
    let rejected = out
        .iter()
        .any(|d| d.rule == INVALID_CIPHERTEXT || d.rule == WRONG_KEY);
    assert_eq!(
        rejected,
        deferred.is_empty(),
        "{:?}",
        out.iter().map(|d| &d.rule).collect::<Vec<_>>()
    );
    if !deferred.is_empty() {
        assert!(
            framed.is_ok(),
            "the check took a value the envelope parser refuses"
        );
    }
});
