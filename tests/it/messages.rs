//! Messages a user can act on: no parser internals, no repeated causes, pointers to the
//! command that does what was asked.

use crate::common::{fails, path_str, sealant, sealant_in, stderr, stdout, vector};

#[test]
fn a_duplicate_key_is_named_with_its_place_and_no_parser_settings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dup.yaml");
    std::fs::write(&file, "kind: Secret\ndata: {}\nkind: xyz-PLANTED-123\n").unwrap();
    let key = vector("key2048.pem");
    let err = fails(sealant(
        &["unseal", "--keys", path_str(&key), "-f", path_str(&file)],
        b"",
    ));
    assert!(err.contains("dup.yaml:3:1: invalid YAML: duplicate key `kind`"), "{err}");
    for internal in ["DuplicateKeyPolicy", "Options", "xyz-PLANTED-123"] {
        assert!(!err.contains(internal), "{internal}: {err}");
    }
}

#[test]
fn a_duplicate_key_in_the_configuration_is_named_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        "fingerprint-salt: xyz-PLANTED-123\nfingerprint-salt: again\n",
    )
    .unwrap();
    let err = fails(sealant_in(Some(dir.path()), &["scan", "."], b""));
    assert!(err.contains("duplicate key `fingerprint-salt`"), "{err}");
    assert!(!err.contains("DuplicateKeyPolicy"), "{err}");
    assert!(!err.contains("xyz-PLANTED-123"), "{err}");
}
