//! Causes of false positives seen on real repositories (issue 13, causes 4, 5 and 7), on
//! fixtures in testdata/corpus-causes shaped like what the corpus showed.

use serde_json::Value;

use crate::common::{expect, found, path_str, sealant, stderr, stdout, testdata};

fn report(dir: &str) -> Value {
    let path = testdata(&format!("corpus-causes/{dir}"));
    let out = sealant(&["scan", "--format", "json", path_str(&path)], b"");
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// (path under the fixture, rule, line) of every finding of `rule`.
fn of_rule(dir: &str, rule: &str) -> std::collections::BTreeSet<(String, String, u64)> {
    let base = format!("testdata/corpus-causes/{dir}");
    found(&report(dir), &base)
        .into_iter()
        .filter(|(_, r, _)| r == rule)
        .collect()
}

fn messages(dir: &str, rule: &str) -> Vec<String> {
    report(dir)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// `namespace: {{ .Release.Namespace }}` is a flow mapping to YAML, and a quoted
/// `"{{ .Values.token }}"` is not base64: Helm fills both in, so neither is judged.
#[test]
fn templated_fields_of_a_charts_sealed_secret_are_not_judged() {
    let found = report("chart");
    let rules: Vec<&str> = found["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.is_empty(), "{rules:?}");
}

/// The rest of a templated SealedSecret is still checked: a typo stays an error.
#[test]
fn a_typo_beside_templated_fields_is_still_found() {
    assert_eq!(
        of_rule("chart-typo", "sealed-schema"),
        expect(&[("templates/sealedsecret-typo.yaml", "sealed-schema", 9)])
    );
}

/// `annotations:` left empty, `labels: null`, `data: ~`: the API server prunes them.
#[test]
fn null_in_optional_fields_is_not_a_schema_error() {
    assert_eq!(of_rule("nulls", "sealed-schema"), expect(&[]));
}

/// A required field that is null is pruned, so it is missing: said so, not "null, but…".
#[test]
fn null_in_a_required_field_is_reported_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db, namespace: shop}\nspec:\n  encryptedData:\n";
    std::fs::write(dir.path().join("sealed.yaml"), text).unwrap();
    let out = sealant(&["scan", "--format", "json", path_str(dir.path())], b"");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let schema: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "sealed-schema")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(schema.len(), 1, "{schema:?}");
    assert!(
        schema[0].contains("spec.encryptedData is required"),
        "{schema:?}"
    );
}

const MISSING: &str = "sealed-ref-missing-secret";

#[test]
fn a_certificate_provides_its_secret_name() {
    assert_eq!(of_rule("refs/cert", MISSING), expect(&[]));
}

#[test]
fn the_openshift_serving_cert_annotation_provides_its_secret() {
    assert_eq!(of_rule("refs/openshift", MISSING), expect(&[]));
}

/// CloudNativePG makes `NAME-app` for a Cluster `NAME`: not "missing".
#[test]
fn secrets_an_operator_names_after_its_resource_are_not_missing() {
    assert_eq!(of_rule("refs/operator", MISSING), expect(&[]));
}

/// apps/shop and secrets/shop are two builds that deploy to namespace shop.
#[test]
fn a_sibling_build_in_the_same_namespace_provides_the_secret() {
    assert_eq!(of_rule("refs/sibling", MISSING), expect(&[]));
}

#[test]
fn a_build_with_a_remote_base_is_not_judged() {
    assert_eq!(of_rule("refs/remote", MISSING), expect(&[]));
}

#[test]
fn a_patch_that_removes_the_reference_is_followed() {
    assert_eq!(of_rule("refs/patched", MISSING), expect(&[]));
}

/// A provider in another namespace does not count, and the warning says what was looked for
/// (the whole repository, that namespace) without guessing what happens to the pod.
#[test]
fn the_warning_says_nothing_in_the_repository_provides_it_in_that_namespace() {
    assert_eq!(
        of_rule("refs/other-namespace", MISSING),
        expect(&[("apps/deployment.yaml", MISSING, 13)])
    );
    let messages = messages("refs/other-namespace", MISSING);
    assert!(
        messages[0].contains("nothing in the repository provides")
            && messages[0].contains("namespace \"blue\"")
            && !messages[0].contains("cannot start"),
        "{messages:?}"
    );
}

/// `rook-ceph-mon`, Zalando's `….credentials.postgresql.acid.zalan.do` (their resources live
/// in HelmRelease values), and a name Flux substitutes (`${APP}-restic-secret`).
#[test]
fn operator_made_and_substituted_names_are_not_judged() {
    assert_eq!(of_rule("refs/unverifiable", MISSING), expect(&[]));
}

/// An inline strategic-merge patch with `$patch: replace` names its target in its metadata.
#[test]
fn a_strategic_merge_patch_that_replaces_the_reference_is_followed() {
    assert_eq!(of_rule("refs/patched-merge", MISSING), expect(&[]));
}
