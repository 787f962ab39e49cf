//! A whole-file detect: `scan_file`, the path the scanner takes for one file's bytes, with the
//! builtin rules, for the file names that route differently (first input byte). Half the runs
//! check SealedSecrets against the test cert and key as `scan --key` does.
//! Checks: no panic; every finding's span inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealant::check::CheckContext;
use sealant::detect::{scan_file, FileContext};
use sealant::rules::RuleSet;
use sealant_fuzz::{cert, keys, path_and_bytes};

fuzz_target!(|data: &[u8]| {
    let (path, bytes) = path_and_bytes(data);
    let mut ctx = FileContext::new(RuleSet::builtin(), "fuzz-salt");
    if data.first().is_some_and(|b| b & 0x80 != 0) {
        ctx.check = CheckContext {
            cert: Some(cert()),
            keys: Some(keys()),
            defer_decrypt: data.first().is_some_and(|b| b & 0x40 != 0),
            keep_values: data.first().is_some_and(|b| b & 0x20 != 0),
        };
    }
    let outcome = scan_file(path, bytes, &ctx);
    for f in &outcome.findings {
        assert!(
            f.span.start <= f.span.end && f.span.end <= bytes.len(),
            "finding {} at {:?} outside a {}-byte file",
            f.rule,
            f.span,
            bytes.len()
        );
        assert!(f.line >= 1);
    }
});
