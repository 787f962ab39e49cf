//! `sealant cert pin`'s edit of `.sealant.yaml` text (src/pin.rs): the first byte picks roots
//! or paths, the rest is the file. Checks: no panic; an edit it makes can be made again, and
//! pinning the same entry a second time changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealant::pin::{upsert, Entry, Serves};

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let serves = if mode & 1 == 0 {
        Serves::Roots(vec!["clusters/prod".into()])
    } else {
        Serves::Paths(vec!["apps/**".into(), "clusters/prod/**".into()])
    };
    let entry = Entry {
        name: if mode & 2 == 0 { "prod" } else { "b" }.into(),
        cert: "certs/prod.pem".into(),
        sha256: "ab".repeat(32),
        serves,
    };
    let Ok((once, _)) = upsert(text, &entry) else {
        return; // refused
    };
    let (twice, _) = upsert(&once, &entry).expect("a file it edited can be edited again");
    assert_eq!(once, twice, "pinning the same entry again changes nothing");
});
