//! SealedSecrets moved after sealing by kustomize or Flux, on testdata/gitops; the effective
//! namespace and name sealant reports are checked against the real `kubectl kustomize`.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::common::{path_str, sealant, stderr, stdout, testdata};

fn findings() -> Vec<Value> {
    let out = sealant(
        &["scan", "--format", "json", path_str(&testdata("gitops"))],
        b"",
    );
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    report["findings"].as_array().unwrap().clone()
}

#[test]
fn moved_and_renamed_sealed_secrets_are_found_and_cluster_wide_ones_pass() {
    let found: BTreeSet<(String, String)> = findings()
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("testdata/gitops/")
                    .to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("apps/api/base/sealed-strict.yaml", "sealed-moved"),
        ("apps/api/base/sealed-namespace-wide.yaml", "sealed-moved"),
        ("apps/web/base/sealed-strict.yaml", "sealed-moved"),
        ("apps/flux-moved/sealed.yaml", "sealed-moved"),
        ("apps/nons/sealed.yaml", "sealed-no-namespace"),
    ]
    .iter()
    .map(|(p, r)| (p.to_string(), r.to_string()))
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn messages_name_the_file_that_moves_it() {
    let all = findings();
    let message = |path: &str| {
        all.iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(path))
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message("apps/api/base/sealed-strict.yaml")
        .contains("apps/api/overlays/staging/kustomization.yaml sets the namespace"));
    assert!(message("apps/web/base/sealed-strict.yaml")
        .contains("apps/web/base/kustomization.yaml renames it"));
    assert!(message("apps/flux-moved/sealed.yaml")
        .contains("clusters/prod/flux-moved.yaml sets the namespace"));
    assert!(message("apps/flux-moved/sealed.yaml").contains("applied as new/token"));
}

/// `applied as NS/NAME` from a message.
fn applied_as(message: &str) -> (String, String) {
    let rest = message.split("applied as ").nth(1).unwrap();
    let target = rest.split_whitespace().next().unwrap();
    let (ns, name) = target.split_once('/').unwrap();
    (ns.to_string(), name.to_string())
}

#[test]
fn the_resolution_agrees_with_kubectl_kustomize() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is missing on this machine"
        );
        eprintln!("note: kubectl is not installed; the kustomize cross-check is skipped");
        return;
    }
    let all = findings();
    for (entry, moved_file) in [
        (
            "apps/api/overlays/staging",
            "apps/api/base/sealed-strict.yaml",
        ),
        (
            "apps/api/overlays/staging",
            "apps/api/base/sealed-namespace-wide.yaml",
        ),
        ("apps/web/base", "apps/web/base/sealed-strict.yaml"),
    ] {
        let finding = all
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(moved_file))
            .unwrap();
        let (ns, name) = applied_as(finding["message"].as_str().unwrap());
        let out = Command::new("kubectl")
            .args(["kustomize", path_str(&testdata("gitops").join(entry))])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl kustomize {entry}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (_, docs) =
            sealant::doc::parse_documents(&String::from_utf8(out.stdout).unwrap(), entry).unwrap();
        let built: Vec<(String, String)> = docs
            .iter()
            .filter(|d| d["kind"] == "SealedSecret")
            .map(|d| {
                (
                    d["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    d["metadata"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert!(
            built.contains(&(ns.clone(), name.clone())),
            "{entry}: kubectl builds {built:?}, sealant says {ns}/{name}"
        );
    }
    // And the cluster-wide one, which passes, is moved too: the scope is what saves it.
    let out = Command::new("kubectl")
        .args([
            "kustomize",
            path_str(&testdata("gitops/apps/api/overlays/staging")),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("namespace: staging"));
}
