//! Documents that skip the tree (no tree-based check reads their top-level kind, or they are
//! workloads that name no Secret) and
//! those that must still be parsed: each tree-based check still judges its documents when a
//! skipped document sits beside them in the same file.

use std::fs;

use serde_json::Value;

use crate::common::{path_str, sealant, stderr, stdout};

/// A document no tree-based check reads (it is skipped), with a keyword hit.
const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: things.example.com}\nspec:\n  names: {kind: Secret}\n  description: a secret thing\n";

/// A credential that only a line rule finds.
const TOKEN: &str = "ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua";

/// Scans `files` (name, content) in a scratch repository: the rules found (sorted) and the
/// notes.
fn scan(files: &[(&str, &str)]) -> (Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let out = sealant(&["scan", "--format", "json", path_str(dir.path())], b"");
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut rules: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    (rules, report["summary"]["notes"].to_string())
}

fn with_crd(doc: &str) -> String {
    format!("{CRD}---\n{doc}")
}

#[test]
fn a_skipped_document_still_gets_the_line_rules() {
    let doc = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  token: {TOKEN}\n"
    );
    assert_eq!(scan(&[("a.yaml", &with_crd(&doc))]).0, ["github-token"]);
}

#[test]
fn a_secret_in_a_list_is_still_judged() {
    let doc = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n  stringData: {password: Zq8r2Lm5Nv9Wt1Xy}\n";
    assert_eq!(
        scan(&[("a.yaml", &with_crd(doc))]).0,
        ["k8s-secret-string-data"]
    );
}

#[test]
fn a_secret_in_flow_style_is_still_judged() {
    let doc = "{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {password: Zq8r2Lm5Nv9Wt1Xy}}\n";
    assert_eq!(
        scan(&[("a.yaml", &with_crd(doc))]).0,
        ["k8s-secret-string-data"]
    );
}

#[test]
fn a_secret_in_json_is_still_judged() {
    let doc = "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"s\"}, \"stringData\": {\"password\": \"Zq8r2Lm5Nv9Wt1Xy\"}}\n";
    assert_eq!(scan(&[("a.json", doc)]).0, ["k8s-secret-string-data"]);
    let crd = "{\"apiVersion\": \"apiextensions.k8s.io/v1\", \"kind\": \"CustomResourceDefinition\", \"spec\": {\"names\": {\"kind\": \"Secret\"}, \"password\": \"Zq8r2Lm5Nv9Wt1Xy\"}}\n";
    assert_eq!(scan(&[("a.json", crd)]).0, ["generic-secret-yaml"]);
}

/// Top-level `sops:` quietens a document of any kind.
#[test]
fn a_sops_document_of_a_skipped_kind_stays_quiet() {
    let doc = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  token: {TOKEN}\nsops:\n  version: 3.8.1\n");
    assert_eq!(scan(&[("a.yaml", &with_crd(&doc))]).0, Vec::<String>::new());
}

/// A Helm template that does not parse is quiet: only a parse can tell, so it is parsed.
#[test]
fn a_helm_template_of_a_skipped_kind_that_fails_to_parse_stays_quiet() {
    let doc = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  {{{{- if .Values.x }}}}\n  token: {TOKEN}\n  {{{{- end }}}}\n  - [\n");
    assert_eq!(scan(&[("a.yaml", &with_crd(&doc))]).0, Vec::<String>::new());
}

/// One that parses is not quiet: its values are found as anywhere else.
#[test]
fn a_helm_value_in_a_document_of_a_skipped_kind_that_parses_is_not_quiet() {
    let doc = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  release: \"{{{{ .Release.Name }}}}\"\n  token: {TOKEN}\n");
    assert_eq!(scan(&[("a.yaml", &with_crd(&doc))]).0, ["github-token"]);
}

#[test]
fn a_kustomization_file_is_still_judged_whatever_its_kind() {
    let doc = "apiVersion: v1\nkind: ConfigMap\nsecretGenerator:\n- name: db\n  literals: [password=Zq8r2Lm5Nv9Wt1Xy]\n";
    assert_eq!(
        scan(&[("kustomization.yaml", doc)]).0,
        ["kustomize-secret-generator-literal"]
    );
}

/// The workload and its missing Secret come from trees (graph facts).
#[test]
fn a_workload_referencing_a_missing_secret_is_still_judged() {
    let docs = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec: {path: ./, targetNamespace: prod}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: prod}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: DB\n              valueFrom: {secretKeyRef: {name: api, key: token}}\n";
    assert_eq!(
        scan(&[("a.yaml", &with_crd(docs))]).0,
        ["sealed-ref-missing-secret"]
    );
}

/// A reference kind (here an ExternalSecret) is quiet.
#[test]
fn a_reference_kind_stays_quiet() {
    let doc = format!("apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {{name: e}}\nspec:\n  token: {TOKEN}\n");
    assert_eq!(scan(&[("a.yaml", &with_crd(&doc))]).0, Vec::<String>::new());
}

/// A skipped document (of a listed kind, or of none) is not parsed, so one that is not valid
/// YAML is no longer noted: it is scanned as plain text either way, and no check that a parse
/// would run reads it.
/// A document a check reads still is.
#[test]
fn an_invalid_document_of_a_skipped_kind_is_not_noted() {
    let broken = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  password: [unclosed\n";
    let (_, notes) = scan(&[("a.yaml", broken)]);
    assert!(!notes.contains("not valid YAML"), "{notes}");
    let kindless = "image: {tag: x}\npassword: [unclosed\n";
    let (_, notes) = scan(&[("values.yaml", kindless)]);
    assert!(!notes.contains("not valid YAML"), "{notes}");
    let custom = "apiVersion: example.com/v1\nkind: Widget\nspec:\n  password: [unclosed\n";
    let (_, notes) = scan(&[("a.yaml", custom)]);
    assert!(!notes.contains("not valid YAML"), "{notes}");
    let broken = "apiVersion: v1\nkind: Secret\nstringData:\n  password: [unclosed\n";
    let (_, notes) = scan(&[("a.yaml", broken)]);
    assert!(notes.contains("not valid YAML"), "{notes}");
    let workload = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  imagePullSecrets: [unclosed\n";
    let (_, notes) = scan(&[("a.yaml", workload)]);
    assert!(notes.contains("not valid YAML"), "{notes}");
}

/// A custom resource and a workload that names no Secret are skipped, yet their lines are
/// judged as anywhere else.
#[test]
fn a_custom_resource_and_a_workload_without_secrets_still_get_the_line_rules() {
    let widget = format!("apiVersion: example.com/v1\nkind: Widget\nspec:\n  token: {TOKEN}\n");
    let deployment = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - {{name: TOKEN, value: {TOKEN}}}\n");
    assert_eq!(
        scan(&[("a.yaml", &format!("{widget}---\n{deployment}"))]).0,
        ["github-token", "github-token"]
    );
}

/// Characters YAML forbids are spaces to the parser, made only for a document that needs a
/// tree: a Secret beside a skipped document is judged, even when such a character sits in its
/// `kind` key (which the triage then does not read as `kind`, and parses).
#[test]
fn a_secret_in_a_file_with_characters_yaml_forbids_is_still_judged() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n# \u{1}\nstringData: {password: Zq8r2Lm5Nv9Wt1Xy}\n";
    assert_eq!(
        scan(&[("a.yaml", &with_crd(secret))]).0,
        ["k8s-secret-string-data"]
    );
    let c1_in_key = "apiVersion: v1\nkind\u{80}: Secret\nmetadata: {name: s}\nstringData: {password: Zq8r2Lm5Nv9Wt1Xy}\n";
    assert_eq!(
        scan(&[("a.yaml", &with_crd(c1_in_key))]).0,
        ["k8s-secret-string-data"]
    );
}
