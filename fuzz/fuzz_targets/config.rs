//! `.sealant.yaml` parsing (src/config), with cert paths relative to testdata/vectors (so a
//! seed can pin the test cert), then the parsed config used as a scan does: exclusion, allow
//! lists and cert lookup for a few paths.
//! Checks: no panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sealant::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = Path::new(sealant_fuzz::CERT_PATH).parent().unwrap();
    let Ok(config) = Config::parse_in(text, ".sealant.yaml", base) else {
        return;
    };
    for path in ["apps/secret.yaml", "a/b/c.json", ".sealant.yaml", ""] {
        let _ = config.is_excluded(path);
        let _ = config.cert_for(path);
    }
});
