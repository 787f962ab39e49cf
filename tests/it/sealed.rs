//! SealedSecret checks on the fixtures of testdata/sealed (with its pinned certs), with and
//! without the controller's keys.

use std::fs;

use serde_json::Value;

use crate::common::{path_str, sealant, stderr, stdout, testdata, vector};

fn scan(extra: &[&str]) -> (i32, Value) {
    let dir = testdata("sealed");
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(path_str(&dir));
    let out = sealant(&args, b"");
    let code = out.status.code().unwrap();
    assert!(code <= 1, "{}", stderr(&out));
    (code, serde_json::from_str(&stdout(&out)).unwrap())
}

#[test]
fn shape_checks_against_the_pinned_certs() {
    // Which findings each fixture gives: its `# expect:` markers (tests/it/golden.rs).
    let (code, report) = scan(&[]);
    assert_eq!(code, 1);
    let wrong = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sealed-wrong-key")
        .unwrap();
    assert!(
        wrong["message"]
            .as_str()
            .unwrap()
            .contains("sealed against another key"),
        "{wrong}"
    );
    assert_eq!(wrong["category"], "sealed-secret");
    let notes = report["summary"]["notes"].to_string();
    assert!(
        notes.contains("unpinned/older-key.yaml") && notes.contains("shape only"),
        "{notes}"
    );
}

#[test]
fn with_keys_every_value_must_decrypt_with_its_own_label() {
    let keys = vector("backup-list.json");
    let (_, report) = scan(&["--keys", path_str(&keys)]);
    // The value sealed with the backup's older (4096-bit) key decrypts; the others' findings
    // are their `# expect(keys):` markers (tests/it/golden.rs).
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("\"beta/other-name\"")),
        "names the label tried: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("decrypts with the strict label")),
        "{messages:?}"
    );
}

#[test]
fn a_cert_that_does_not_match_its_pin_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(vector("cert2048.pem"), dir.path().join("c.pem")).unwrap();
    fs::write(
        dir.path().join(".sealant.yaml"),
        "certs:\n  - name: x\n    cert: c.pem\n    sha256: 00ff\n    paths: ['**']\n",
    )
    .unwrap();
    let out = sealant(&["scan", path_str(dir.path())], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pin is 00ff"), "{}", stderr(&out));
}

#[test]
fn the_keys_can_come_from_the_environment() {
    let dir = testdata("sealed/beta/other-name.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sealant"))
        .args(["scan", "--format", "json", path_str(&dir)])
        .env("SEALANT_KEYS", vector("key2048.pem"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("sealed-undecryptable"));
}
