//! Fingerprints of SealedSecret findings come from what the finding is about (rule, path,
//! object, key, value digest), not from its message or its line.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{git, path_str, sealant, sealant_in, stderr, stdout, testdata, vector};

/// Two SealedSecrets named `db` (namespaces a and b) with the same defects, and one without a
/// namespace (a graph finding).
const MANIFEST: &str = "\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: db, namespace: a}
spec:
  encryptedData:
    password: not base64!
    token: not base64!
  template:
    metadata: {name: web}
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: db, namespace: b}
spec:
  encryptedData: {password: not base64!}
  template:
    metadata: {name: web}
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: api}
spec:
  encryptedData: {password: not base64!}
";

fn scan(dir: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    let out = sealant(
        &[&["scan", "--format", "json"], extra, &[path_str(dir)]].concat(),
        b"",
    );
    let code = out.status.code().unwrap();
    assert!(code <= 1, "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    (code, report["findings"].as_array().unwrap().clone())
}

/// (rule, line) → fingerprint.
fn fingerprints(findings: &[Value]) -> BTreeMap<(String, u64), String> {
    findings
        .iter()
        .map(|f| {
            let key = (
                f["rule"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
            );
            (key, f["fingerprint"].as_str().unwrap().to_string())
        })
        .collect()
}

fn fp(map: &BTreeMap<(String, u64), String>, rule: &str, line: u64) -> String {
    map.get(&(rule.to_string(), line))
        .unwrap_or_else(|| panic!("no {rule} at line {line}: {map:?}"))
        .clone()
}

#[test]
fn sealed_fingerprints_tell_objects_and_keys_apart() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sealed.yaml"), MANIFEST).unwrap();
    let found = fingerprints(&scan(dir.path(), &[]).1);
    // The same message about two objects of one name in different namespaces.
    assert_ne!(
        fp(&found, "sealed-template-mismatch", 9),
        fp(&found, "sealed-template-mismatch", 17)
    );
    // Two keys of one object, with the same value.
    assert_ne!(
        fp(&found, "sealed-invalid-ciphertext", 6),
        fp(&found, "sealed-invalid-ciphertext", 7)
    );
    let all: Vec<&String> = found.values().collect();
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "{found:?}");
}

#[test]
fn sealed_fingerprints_survive_a_line_inserted_above() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sealed.yaml");
    fs::write(&file, MANIFEST).unwrap();
    let baseline = dir.path().join("baseline.json");
    let before = scan(dir.path(), &[]).1;
    assert!(before.iter().any(|f| f["rule"] == "sealed-no-namespace"));
    assert!(before
        .iter()
        .any(|f| f["rule"] == "sealed-template-mismatch"));
    let out = sealant(
        &[
            "scan",
            "--write-baseline",
            path_str(&baseline),
            path_str(dir.path()),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    fs::write(&file, format!("# moved down a line\n{MANIFEST}")).unwrap();
    let after = scan(dir.path(), &[]).1;
    let moved: BTreeMap<(String, u64), String> = fingerprints(&before)
        .into_iter()
        .map(|((rule, line), fp)| ((rule, line + 1), fp))
        .collect();
    assert_eq!(fingerprints(&after), moved);
    let (code, left) = scan(dir.path(), &["--baseline", path_str(&baseline)]);
    assert_eq!((code, left.len()), (0, 0), "{left:?}");
}

/// A value that does not decrypt has one fingerprint whether the graph (working tree) or the
/// per-file check (`--staged`) reports it: a baseline written by one suppresses in the other.
#[test]
fn undecryptable_values_fingerprint_alike_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let fixture = testdata("sealed/beta/scope-mismatch.yaml");
    fs::copy(fixture, dir.path().join("sealed.yaml")).unwrap();
    git(dir.path(), &["add", "sealed.yaml"]);
    let keys = vector("backup-list.json");
    let undecryptable = |mode: &[&str]| {
        let args = [
            &["scan", "--format", "json", "--keys", path_str(&keys)],
            mode,
        ]
        .concat();
        let out = sealant_in(Some(dir.path()), &args, b"");
        let report: Value =
            serde_json::from_str(&stdout(&out)).unwrap_or_else(|_| panic!("{}", stderr(&out)));
        let found = fingerprints(report["findings"].as_array().unwrap());
        let found: Vec<String> = found
            .into_iter()
            .filter(|((rule, _), _)| rule == "sealed-undecryptable")
            .map(|(_, fp)| fp)
            .collect();
        assert_eq!(found.len(), 2, "{mode:?}: {found:?}");
        found
    };
    assert_eq!(undecryptable(&[]), undecryptable(&["--staged"]));
}
