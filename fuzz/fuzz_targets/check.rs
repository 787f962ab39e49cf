//! The SealedSecret checks (src/check): every document of the input that parses goes through
//! `check_sealed_secret`, with or without the test cert and key (first input byte).
//! Checks: no panic; every detection's span inside the file; deferred values are well framed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealant::check::{check_sealed_secret, CheckContext};
use sealant::yaml::{parse_node, split_documents};
use sealant_fuzz::{cert, keys};

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let ctx = CheckContext {
        cert: (mode & 1 != 0).then(cert),
        keys: (mode & 2 != 0).then(keys),
        defer_decrypt: mode & 4 != 0,
        keep_values: mode & 8 != 0,
    };
    for doc in split_documents(rest) {
        let Ok(Some(root)) = parse_node(text, doc.range.clone()) else {
            continue;
        };
        let mut out = Vec::new();
        let deferred = check_sealed_secret(&root, &ctx, &mut out);
        for d in &out {
            assert!(d.span.end <= rest.len(), "{} at {:?}", d.rule, d.span);
        }
        for (_, start, bytes) in &deferred {
            assert!(*start < rest.len());
            assert!(sealant::crypto::parse_envelope(bytes).is_ok());
        }
    }
});
