//! Leaks written where no manifest parser looked, and encrypted files taken for plaintext:
//! Secrets in Markdown code blocks and heredocs, `kubectl create secret` literals, kubeadm
//! bootstrap tokens, backup and template copies of manifests, SOPS-encrypted generator inputs.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{expect, found, path_str, sealant, stderr, stdout, testdata};

/// `sealant scan --format json PATH`: exit code and report.
fn scan_json(path: &Path) -> (i32, Value) {
    let out = sealant(
        &[
            "scan",
            "--format",
            "json",
            "--color",
            "never",
            path_str(path),
        ],
        b"",
    );
    let code = out.status.code().expect("exit code");
    assert!(code <= 1, "scan failed ({code}): {}", stderr(&out));
    let report =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    (code, report)
}

/// (path, rule, line, column, severity) of every finding, paths relative to `base` (the
/// report has them relative to the working directory when `base` is under it).
fn located(report: &Value, base: &Path) -> Vec<(String, String, u64, u64, String)> {
    let base = format!("{}/", path_str(base.file_name().unwrap().as_ref()));
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            (
                path.split_once(&base)
                    .map_or(path, |(_, rel)| rel)
                    .to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn row(path: &str, rule: &str, line: u64, column: u64) -> (String, String, u64, u64, String) {
    let severity = if rule.starts_with("sops-") {
        "warning"
    } else {
        "error"
    };
    (path.into(), rule.into(), line, column, severity.into())
}

#[test]
fn secrets_in_markdown_code_blocks_and_heredocs_are_found_at_their_line_in_the_outer_file() {
    let dir = testdata("scan/positive/embedded");
    let (code, report) = scan_json(&dir);
    assert_eq!(code, 1);
    let all = located(&report, &dir);
    let embedded: Vec<_> = all
        .iter()
        .filter(|f| f.1.starts_with("k8s-secret-") && !f.0.ends_with(".bak"))
        .cloned()
        .collect();
    assert_eq!(
        embedded,
        [
            // ```yaml, an untagged block indented in a list item, a heredoc in a ```sh block.
            row("README.md", "k8s-secret-data", 22, 13),
            row("README.md", "k8s-secret-string-data", 12, 13),
            row("README.md", "k8s-secret-string-data", 33, 9),
            // A heredoc in a CI file's `run: |` block, indented as the block is.
            row("deploy-workflow.yaml", "k8s-secret-string-data", 16, 20),
            // The first document of a quoted heredoc in a script (the second is a ConfigMap).
            row("setup.sh", "k8s-secret-string-data", 18, 13),
            // A tab-indented `<<-EOF` heredoc in a shell function.
            row("setup.sh", "k8s-secret-string-data", 34, 10),
        ]
    );
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(messages
        .iter()
        .any(|m| m.ends_with("(in a Markdown code block)")));
    assert!(messages.iter().any(|m| m.ends_with("(in a heredoc)")));
}

#[test]
fn kubectl_create_secret_literals_and_kubeadm_tokens_in_scripts_are_found() {
    let dir = testdata("scan/positive/embedded");
    let (_, report) = scan_json(&dir);
    let commands: Vec<_> = located(&report, &dir)
        .into_iter()
        .filter(|f| f.1.starts_with("kube"))
        .collect();
    assert_eq!(
        commands,
        [
            // `--docker-password=` in a Makefile recipe.
            row("Makefile", "kubectl-secret-literal", 4, 43),
            row("setup.sh", "kubeadm-bootstrap-token", 5, 37),
            // The password literal on a continuation line; the username literal is an identity.
            row("setup.sh", "kubectl-secret-literal", 9, 27),
        ]
    );
}

#[test]
fn harmless_commands_placeholders_templates_and_sops_in_docs_are_quiet() {
    let dir = testdata("scan/negative/embedded");
    let (code, report) = scan_json(&dir);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn backup_and_template_copies_of_manifests_are_parsed_as_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData:\n  password: copy-planted-Zq8r2Lm5\n";
    let copies = [
        "secret.yaml.old",
        "secret.yaml.back",
        "secret.yml.orig",
        "secret.yaml.tpl",
        "secret.yaml.tmpl",
        "secret.yml.example",
    ];
    for name in copies {
        fs::write(dir.path().join(name), secret).unwrap();
    }
    // A SealedSecret in a copy is checked as well.
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db, namespace: shop}\nspec:\n  encryptedData: {}\n";
    fs::write(dir.path().join("sealed.yaml.bak"), sealed).unwrap();
    // Placeholders stay quiet in a template; a copy of something else is not a manifest.
    let template = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: \"{{ db_password }}\"\n  token: changeme\n";
    fs::write(dir.path().join("secret.yaml.j2"), template).unwrap();
    fs::write(dir.path().join("notes.txt.bak"), secret).unwrap();
    let (_, report) = scan_json(dir.path());
    let mut expected: Vec<(&str, &str, u64)> = copies
        .iter()
        .map(|name| (*name, "k8s-secret-string-data", 5))
        .collect();
    expected.push(("sealed.yaml.bak", "sealed-empty-data", 5));
    assert_eq!(
        found(&report, path_str(dir.path())),
        expect(&expected),
        "{report:#}"
    );
}

#[test]
fn sops_encrypted_generator_inputs_in_every_format_are_not_plaintext() {
    // values.enc.yaml (a `sops:` map), a dotenv with `sops_*` keys, INI with `[sops]`, JSON
    // with a `sops` key and a binary-mode envelope; each used to give a generator finding.
    let dir = testdata("scan/negative/sops-generator");
    let (code, report) = scan_json(&dir);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn a_credential_that_sops_leaves_in_clear_text_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let enc = "ENC[AES256_GCM,data:Tr7oZq8r2Lm5=,iv:1Lm5Nv9=,tag:2Wt1Xy=,type:str]";
    fs::write(
        dir.path().join("kustomization.yaml"),
        "secretGenerator:\n  - name: app\n    envs: [app.sops.env]\n",
    )
    .unwrap();
    let env = format!(
        "DB_PASSWORD={enc}\nAPI_TOKEN_unencrypted=Kq8Zr2Lm5Nv9Wt1X\nLOG_LEVEL_unencrypted=debug\nsops_mac={enc}\nsops_unencrypted_suffix=_unencrypted\nsops_version=3.8.1\n"
    );
    fs::write(dir.path().join("app.sops.env"), env).unwrap();
    let manifest = fs::read_to_string(testdata("scan/positive/embedded/secret.sops.yaml")).unwrap();
    fs::write(dir.path().join("secret.sops.yaml"), &manifest).unwrap();
    // Without an unencrypted_suffix/encrypted_regex, sops encrypts every value: nothing to say.
    let no_setting = manifest.replace("  unencrypted_suffix: _unencrypted\n", "");
    fs::write(dir.path().join("other.sops.yaml"), no_setting).unwrap();
    let (code, report) = scan_json(dir.path());
    assert_eq!(
        located(&report, dir.path()),
        [
            row("app.sops.env", "sops-unencrypted-credential", 2, 23),
            row("secret.sops.yaml", "sops-unencrypted-credential", 8, 26),
        ]
    );
    assert_eq!(code, 0, "warnings do not fail the scan by default");
    let text = report.to_string();
    assert!(!text.contains("Kq8Zr2Lm5Nv9Wt1X") && !text.contains("sops-PLANTED"));
}

#[test]
fn fix_leaves_embedded_secrets_as_they_are_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let readme = fs::read(testdata("scan/positive/embedded/README.md")).unwrap();
    fs::write(dir.path().join("README.md"), &readme).unwrap();
    let out = sealant(&["scan", "--fix", path_str(dir.path())], b"");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(fs::read(dir.path().join("README.md")).unwrap(), readme);
    for place in ["README.md:12:13", "README.md:22:13", "README.md:33:9"] {
        assert!(
            err.contains(&format!("{place}: not fixed"))
                && err.contains("written inside other text"),
            "{err}"
        );
    }
    assert!(!err.contains("PLANTED") && !stdout(&out).contains("PLANTED"));
}
