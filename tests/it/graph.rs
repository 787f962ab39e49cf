//! SealedSecrets moved after sealing by kustomize or Flux, on testdata/gitops; the effective
//! namespace and name sealant reports are checked against the real `kubectl kustomize`.

use std::process::Command;

use serde_json::Value;

use crate::common::{copy_dir, found, path_str, sealant, stderr, stdout, testdata, vector};

fn report(extra: &[&str]) -> Value {
    let dir = testdata("gitops");
    let mut args = vec!["scan", "--format", "json", path_str(&dir)];
    args.extend(extra);
    let out = sealant(&args, b"");
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn findings() -> Vec<Value> {
    report(&[])["findings"].as_array().unwrap().clone()
}

// Which findings the fixtures give, with and without the keys, is their `# expect:` markers
// (tests/it/golden.rs); the tests here check what the findings say.

/// The message of the `sealed-undecryptable` finding on apps/web/base/sealed-strict.yaml.
fn strict_web_undecryptable(report: &Value) -> String {
    let finding = report["findings"].as_array().unwrap().iter().find(|f| {
        f["rule"] == "sealed-undecryptable"
            && f["path"]
                .as_str()
                .unwrap()
                .ends_with("web/base/sealed-strict.yaml")
    });
    finding.unwrap()["message"].as_str().unwrap().to_string()
}

/// With the controller's key, every value is decrypted with the label of the namespace and
/// name a deployment applies: the moved ones fail and say why, the one that only gets its
/// namespace from its kustomization (apps/nons-ok) and the untouched ones open.
#[test]
fn with_keys_values_decrypt_under_the_label_a_deployment_applies() {
    let keys = vector("key2048.pem");
    let report = report(&["--keys", path_str(&keys)]);
    let message = strict_web_undecryptable(&report);
    assert!(
        message.contains("strict label \"web/web-creds\"")
            && message.contains("decrypts as sealed, for web/creds")
            && message.contains("apps/web/base/kustomization.yaml applies it as web/web-creds"),
        "{message}"
    );
}

#[test]
fn reference_messages_say_what_is_missing_and_why() {
    let all = findings();
    let message = |path: &str, line: u64| {
        all.iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(path) && f["line"] == line)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let key = message("apps/refs/deployment.yaml", 25);
    assert!(
        key.contains("needs key \"host\" of Secret \"db\"")
            && key.contains("it has: password, username"),
        "{key}"
    );
    let gone = message("apps/refs/deployment.yaml", 6);
    assert!(
        gone.contains("\"gone\" (the Reloader annotation)")
            && gone.contains("in namespace \"shop\""),
        "{gone}"
    );
    let renamed = message("apps/refs-prefix/job.yaml", 15);
    assert!(
        renamed.contains("is applied as \"dev-api-key\""),
        "{renamed}"
    );
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
    // kustomize renames the SealedSecret but leaves the Job's reference as written.
    let out = Command::new("kubectl")
        .args(["kustomize", path_str(&testdata("gitops/apps/refs-prefix"))])
        .output()
        .unwrap();
    let (_, docs) =
        sealant::doc::parse_documents(&String::from_utf8(out.stdout).unwrap(), "refs-prefix")
            .unwrap();
    let of = |kind: &str| docs.iter().find(|d| d["kind"] == kind).unwrap();
    assert_eq!(of("SealedSecret")["metadata"]["name"], "dev-api-key");
    let env = &of("Job")["spec"]["template"]["spec"]["containers"][0]["env"][0];
    assert_eq!(env["valueFrom"]["secretKeyRef"]["name"], "api-key");
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

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A comment on the line, or atop the document, suppresses a graph finding like any other.
#[test]
fn comments_suppress_graph_findings() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&testdata("gitops"), dir.path());
    let sealed = dir.path().join("apps/flux-moved/sealed.yaml");
    let text = std::fs::read_to_string(&sealed).unwrap();
    let text = text.replace(
        "  name: token  # expect: sealed-moved\n",
        "  name: token  # sealant:ignore sealed-moved\n",
    );
    std::fs::write(&sealed, text).unwrap();
    let job = dir.path().join("apps/refs-prefix/job.yaml");
    let text = std::fs::read_to_string(&job).unwrap();
    std::fs::write(&job, format!("# sealant:ignore\n{text}")).unwrap();
    let out = sealant(&["scan", "--format", "json", path_str(dir.path())], b"");
    let suppressed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut expected = found(&report(&[]), "testdata/gitops");
    expected.remove(&(
        "apps/flux-moved/sealed.yaml".into(),
        "sealed-moved".into(),
        5,
    ));
    expected.remove(&(
        "apps/refs-prefix/job.yaml".into(),
        "sealed-ref-missing-secret".into(),
        15,
    ));
    assert_eq!(found(&suppressed, ""), expected);
    let before = report(&[])["summary"]["suppressed"].as_u64().unwrap();
    assert_eq!(
        suppressed["summary"]["suppressed"].as_u64(),
        Some(before + 2)
    );
}

/// A kustomization that both moves and renames a SealedSecret is named once in the message.
#[test]
fn a_kustomization_that_moves_and_renames_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("gitops"), dir.path());
    let kustomization = dir.path().join("apps/web/base/kustomization.yaml");
    let text = std::fs::read_to_string(&kustomization).unwrap();
    std::fs::write(
        &kustomization,
        text.replace("namespace: web\n", "namespace: web2\n"),
    )
    .unwrap();
    let keys = vector("key2048.pem");
    let out = sealant(
        &[
            "scan",
            "--format",
            "json",
            "--keys",
            path_str(&keys),
            path_str(dir.path()),
        ],
        b"",
    );
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let message = strict_web_undecryptable(&report);
    let file = "apps/web/base/kustomization.yaml";
    assert!(
        message.contains(&format!("but {file} applies it as web2/web-creds")),
        "{message}"
    );
    assert_eq!(message.matches(file).count(), 1, "{message}");
}
