//! The graph checks in git modes: `--staged` judges the index, `--range A..B` the tree at B,
//! and each reports the moved, renamed and unreferenced SealedSecrets that the change involves
//! (and only those), on real repositories in temp dirs.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{git, path_str, sealant_in, stage, stderr, stdout, testdata, vector};

/// A strict SealedSecret for `api/db` (name on line 5, its value on line 9), sealed with the
/// vectors' 2048-bit key.
fn sealed() -> String {
    fs::read_to_string(testdata("gitops/apps/api/base/sealed-strict.yaml")).unwrap()
}

fn kustomization(namespace: Option<&str>, resources: &[&str]) -> String {
    let mut text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n".to_string();
    if let Some(ns) = namespace {
        text.push_str(&format!("namespace: {ns}\n"));
    }
    text.push_str("resources:\n");
    for r in resources {
        text.push_str(&format!("  - {r}\n"));
    }
    text
}

const README: &str = "# the repository\n";
const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    stage(dir.path(), &[("README.md", README)]);
    stage(dir.path(), files);
    commit(dir.path());
    dir
}

fn commit(dir: &Path) -> String {
    git(dir, &["commit", "-q", "--allow-empty", "-m", "change"]);
    let head = git(dir, &["rev-parse", "HEAD"]).stdout;
    String::from_utf8(head).unwrap().trim().to_string()
}

fn findings(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = sealant_in(Some(dir), &all, b"");
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    report["findings"].as_array().unwrap().clone()
}

/// (path, rule, line) of the graph's findings (`sealed-moved`, `sealed-no-namespace`, the
/// reference checks) and of undecryptable values.
fn graph(dir: &Path, args: &[&str]) -> Vec<(String, String, u64)> {
    let graph_rules = [
        "sealed-moved",
        "sealed-no-namespace",
        "sealed-ref-missing-secret",
        "sealed-ref-missing-key",
        "sealed-undecryptable",
    ];
    let mut found: Vec<(String, String, u64)> = findings(dir, args)
        .iter()
        .filter(|f| graph_rules.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

fn moved(path: &str) -> Vec<(String, String, u64)> {
    vec![(path.to_string(), "sealed-moved".to_string(), 5)]
}

#[test]
fn a_sealed_secret_staged_into_a_directory_of_another_namespace_is_moved() {
    let dir = repo(&[(
        "app/kustomization.yaml",
        &kustomization(Some("other"), &["sealed.yaml"]),
    )]);
    stage(dir.path(), &[("app/sealed.yaml", &sealed())]);
    assert_eq!(graph(dir.path(), &["--staged"]), moved("app/sealed.yaml"));
    // As pre-commit runs it: the staged files named.
    let named = graph(dir.path(), &["--staged", "app/sealed.yaml"]);
    assert_eq!(named, moved("app/sealed.yaml"));
}

#[test]
fn a_staged_namespace_over_a_committed_sealed_secret_moves_it() {
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization(None, &["sealed.yaml"]),
        ),
        ("app/sealed.yaml", &sealed()),
    ]);
    assert_eq!(graph(dir.path(), &["--staged"]), []);
    let moving = kustomization(Some("other"), &["sealed.yaml"]);
    stage(dir.path(), &[("app/kustomization.yaml", &moving)]);
    assert_eq!(graph(dir.path(), &["--staged"]), moved("app/sealed.yaml"));
}

#[test]
fn a_range_judges_the_tree_at_its_end() {
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization(None, &["sealed.yaml"]),
        ),
        ("app/sealed.yaml", &sealed()),
    ]);
    let a = commit(dir.path());
    let moving = kustomization(Some("other"), &["sealed.yaml"]);
    stage(dir.path(), &[("app/kustomization.yaml", &moving)]);
    let b = commit(dir.path());
    let range = format!("{a}..{b}");
    assert_eq!(
        graph(dir.path(), &["--range", &range]),
        moved("app/sealed.yaml")
    );
    // Moved back at HEAD: the range up to B still moved it; a range to HEAD does not.
    let back = kustomization(Some("api"), &["sealed.yaml"]);
    stage(dir.path(), &[("app/kustomization.yaml", &back)]);
    commit(dir.path());
    assert_eq!(
        graph(dir.path(), &["--range", &range]),
        moved("app/sealed.yaml")
    );
    assert_eq!(graph(dir.path(), &["--range", &a]), []);
}

#[test]
fn an_unrelated_change_does_not_report_a_moved_sealed_secret_already_there() {
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization(Some("other"), &["sealed.yaml", "configmap.yaml"]),
        ),
        ("app/sealed.yaml", &sealed()),
        ("app/configmap.yaml", CONFIGMAP),
    ]);
    assert_eq!(
        graph(dir.path(), &[path_str(dir.path())]),
        moved("app/sealed.yaml"),
        "the working-tree scan sees it"
    );
    stage(
        dir.path(),
        &[("docs/configmap.yaml", CONFIGMAP), ("README.md", "#\n")],
    );
    assert_eq!(graph(dir.path(), &["--staged"]), []);
    // A ConfigMap of the same build is no change to the SealedSecret either.
    let edited = format!("{CONFIGMAP}# edited\n");
    stage(dir.path(), &[("app/configmap.yaml", &edited)]);
    assert_eq!(graph(dir.path(), &["--staged"]), []);
}

#[test]
fn the_index_is_judged_not_the_working_tree() {
    let dir = repo(&[(
        "app/kustomization.yaml",
        &kustomization(None, &["sealed.yaml"]),
    )]);
    let moving = kustomization(Some("other"), &["sealed.yaml"]);
    stage(
        dir.path(),
        &[
            ("app/kustomization.yaml", &moving),
            ("app/sealed.yaml", &sealed()),
        ],
    );
    // The fix is in the working tree only: the commit would still move it.
    let fixed = kustomization(None, &["sealed.yaml"]);
    fs::write(dir.path().join("app/kustomization.yaml"), fixed).unwrap();
    assert_eq!(graph(dir.path(), &["--staged"]), moved("app/sealed.yaml"));
    // And the other way round: staged fixed, broken in the working tree only.
    git(dir.path(), &["add", "app/kustomization.yaml"]);
    fs::write(dir.path().join("app/kustomization.yaml"), &moving).unwrap();
    assert_eq!(graph(dir.path(), &["--staged"]), []);
}

#[test]
fn a_sealant_ignore_in_the_staged_blob_suppresses() {
    let dir = repo(&[(
        "app/kustomization.yaml",
        &kustomization(Some("other"), &["sealed.yaml"]),
    )]);
    let ignored = sealed().replace(
        "  name: db  # expect: sealed-moved\n",
        "  name: db  # sealant:ignore sealed-moved\n",
    );
    assert_ne!(ignored, sealed());
    stage(dir.path(), &[("app/sealed.yaml", &ignored)]);
    fs::write(dir.path().join("app/sealed.yaml"), sealed()).unwrap();
    assert_eq!(graph(dir.path(), &["--staged"]), []);
    // The marker only in the working tree does not.
    git(dir.path(), &["add", "app/sealed.yaml"]);
    fs::write(dir.path().join("app/sealed.yaml"), &ignored).unwrap();
    assert_eq!(graph(dir.path(), &["--staged"]), moved("app/sealed.yaml"));
}

#[test]
fn a_flux_kustomization_elsewhere_moves_a_staged_sealed_secret() {
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/app\n  targetNamespace: other\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n";
    let dir = repo(&[
        ("clusters/prod/app.yaml", flux),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    assert_eq!(
        graph(dir.path(), &["--staged"]),
        moved("apps/app/sealed.yaml")
    );
}

#[test]
fn a_staged_rename_of_a_sealed_secret_breaks_the_references_of_its_build() {
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:1\n          envFrom:\n            - secretRef: {name: db}\n";
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization(None, &["sealed.yaml", "deployment.yaml"]),
        ),
        ("app/sealed.yaml", &sealed()),
        ("app/deployment.yaml", deployment),
        (
            "other/kustomization.yaml",
            &kustomization(None, &["deployment.yaml"]),
        ),
        ("other/deployment.yaml", deployment),
    ]);
    assert_eq!(graph(dir.path(), &["--staged"]), []);
    stage(
        dir.path(),
        &[(
            "app/sealed.yaml",
            &sealed().replace("name: db", "name: db2"),
        )],
    );
    // other/ misses its Secret too, but no change reaches its build.
    let want = vec![(
        "app/deployment.yaml".to_string(),
        "sealed-ref-missing-secret".to_string(),
        11,
    )];
    assert_eq!(graph(dir.path(), &["--staged"]), want);
}

#[test]
fn with_keys_a_moved_value_is_undecryptable_once() {
    let dir = repo(&[(
        "app/kustomization.yaml",
        &kustomization(Some("other"), &["sealed.yaml"]),
    )]);
    stage(dir.path(), &[("app/sealed.yaml", &sealed())]);
    let keys = vector("key2048.pem");
    let args = ["--staged", "--keys", path_str(&keys)];
    let mut want = moved("app/sealed.yaml");
    want.push(("app/sealed.yaml".into(), "sealed-undecryptable".into(), 9));
    assert_eq!(graph(dir.path(), &args), want);
    let all = findings(dir.path(), &args);
    let message = all
        .iter()
        .find(|f| f["rule"] == "sealed-undecryptable")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("it decrypts as sealed, for api/db"),
        "{message}"
    );
}

/// A kustomization in a file of another name is not read for the graph's shape: it is found
/// among the members of the build a change reaches, and the builds are made again with it,
/// as the working-tree scan makes them from the start.
#[test]
fn a_kustomization_found_among_a_build_s_members_shapes_the_graph() {
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/app\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n";
    let dir = repo(&[
        ("clusters/prod/app.yaml", flux),
        (
            "apps/app/extra.yaml",
            &kustomization(Some("other"), &["sealed.yaml"]),
        ),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    let expected = moved("apps/app/sealed.yaml");
    assert_eq!(graph(dir.path(), &[]), expected, "the working tree");
    assert_eq!(graph(dir.path(), &["--staged"]), expected);
    assert_eq!(graph(dir.path(), &["--staged", "--no-cache"]), expected);
}
