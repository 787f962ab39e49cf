//! `scan --fix` and `reseal` on copies of testdata/fix: every Secret form sealed in place, the
//! values round-trip through `unseal`, every other byte stays, and nothing is lost on failure.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::common::{copy_dir, path_str, sealant, snapshot, stderr, stdout, testdata, vector};

/// A copy of testdata/fix in a temp dir, and its path.
fn repo() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    copy_dir(&testdata("fix"), &dir);
    (tmp, dir)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = sealant(args, b"");
    (out.status.code().unwrap(), stdout(&out), stderr(&out))
}

/// Every object of a manifest file, List items included.
fn objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let (_, docs) = sealant::doc::parse_documents(&text, "f").unwrap();
    docs.into_iter()
        .flat_map(|d| match d["kind"].as_str() {
            Some("List") => d["items"].as_array().unwrap().clone(),
            _ => vec![d],
        })
        .collect()
}

type Values = BTreeMap<String, BTreeMap<String, Vec<u8>>>;

/// Name → key → plaintext of every Secret in the manifests of `dir`.
fn secret_values(dir: &Path) -> Values {
    let mut out = Values::new();
    for (rel, _) in snapshot(dir) {
        if !(rel.ends_with(".yaml") || rel.ends_with(".json")) {
            continue;
        }
        for object in objects(&dir.join(&rel)) {
            if object["kind"] != "Secret" {
                continue;
            }
            let values = out
                .entry(object["metadata"]["name"].as_str().unwrap().to_string())
                .or_default();
            for (k, v) in object["data"].as_object().into_iter().flatten() {
                values.insert(k.clone(), STANDARD.decode(v.as_str().unwrap()).unwrap());
            }
            for (k, v) in object["stringData"].as_object().into_iter().flatten() {
                values.insert(k.clone(), v.as_str().unwrap().as_bytes().to_vec());
            }
        }
    }
    out
}

/// Name → key → plaintext of every SealedSecret in `dir`, unsealed by the real binary.
fn unsealed_values(dir: &Path) -> Values {
    let keys = vector("key2048.pem");
    let mut out = Values::new();
    for (rel, _) in snapshot(dir) {
        if !(rel.ends_with(".yaml") || rel.ends_with(".json")) {
            continue;
        }
        for object in objects(&dir.join(&rel)) {
            if object["kind"] != "SealedSecret" {
                continue;
            }
            let input = serde_json::to_vec(&object).unwrap();
            let out_ = sealant(
                &["unseal", "--keys", path_str(&keys), "--format", "json"],
                &input,
            );
            assert!(out_.status.success(), "{rel}: {}", stderr(&out_));
            let secret: Value = serde_json::from_str(&stdout(&out_)).unwrap();
            let values = out
                .entry(secret["metadata"]["name"].as_str().unwrap().to_string())
                .or_default();
            for (k, v) in secret["data"].as_object().into_iter().flatten() {
                values.insert(k.clone(), STANDARD.decode(v.as_str().unwrap()).unwrap());
            }
        }
    }
    out
}

fn text(dir: &Path, rel: &str) -> String {
    String::from_utf8(std::fs::read(dir.join(rel)).unwrap()).unwrap()
}

#[test]
fn every_form_is_sealed_in_place_and_unseals_to_the_original_values() {
    let (_tmp, dir) = repo();
    let before = snapshot(&dir);
    let mut expected = secret_values(&dir);
    assert_eq!(expected.len(), 7, "{:?}", expected.keys());
    expected.extend(generated_values(&dir));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::Permissions::from_mode(0o640);
        std::fs::set_permissions(dir.join("apps/shop/secret.yaml"), perms).unwrap();
    }
    let (code, _, err) = run(&["scan", "--fix", path_str(&dir)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sealed 10 Secret(s) in 7 file(s)"), "{err}");
    for input in ["apps/gen/app.env", "apps/gen/token.txt"] {
        assert!(!dir.join(input).exists(), "{input} is deleted");
    }
    let kustomization = text(&dir, "apps/gen/kustomization.yaml");
    assert!(kustomization.ends_with("resources:\n  - deployment.yaml\n  - app-env-sealedsecret.yaml\n  - app-literals-sealedsecret.yaml\n  - app-token-sealedsecret.yaml\n"), "{kustomization}");
    // Not a git repository: nothing was committed, so no reminder that history keeps it.
    assert!(!err.contains("git history"), "{err}");
    for value in [
        "fixture-db-pass-1",
        "fixture-smtp-pass-3",
        "fixture-crlf-pass-7",
    ] {
        assert!(!err.contains(value));
    }

    // Nothing left to report, and every value comes back as it was.
    let (code, out, _) = run(&["scan", "--format", "json", path_str(&dir)]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["findings"], Value::Array(Vec::new()), "{out}");
    assert_eq!(unsealed_values(&dir), expected);
    assert!(secret_values(&dir).is_empty());

    // Every byte outside the Secrets stays.
    let after = snapshot(&dir);
    for unchanged in [
        "apps/shop/kustomization.yaml",
        "clusters/prod/shop.yaml",
        ".sealant.yaml",
    ] {
        assert_eq!(before[unchanged], after[unchanged], "{unchanged}");
    }
    let original = String::from_utf8(before["apps/shop/multi.yaml"].clone()).unwrap();
    let fixed = text(&dir, "apps/shop/multi.yaml");
    let start = original.find("apiVersion: v1\nkind: Secret").unwrap();
    let end = original.find("\n\n# trailing comment").unwrap();
    assert!(fixed.starts_with(&original[..start]), "{fixed}");
    assert!(fixed.ends_with(&original[end..]), "{fixed}");
    let list = text(&dir, "apps/shop/list.yaml");
    let original_list = String::from_utf8(before["apps/shop/list.yaml"].clone()).unwrap();
    let item = original_list
        .find("apiVersion: v1\n    kind: Secret")
        .unwrap();
    assert!(list.starts_with(&original_list[..item]), "{list}");
    assert!(
        list.contains("\n  # a flow-style item\n  - {\"kind\":\"SealedSecret\""),
        "{list}"
    );
    assert!(text(&dir, "apps/shop/secret.yaml")
        .starts_with("# Database credentials (namespace from the kustomization).\napiVersion: bitnami.com/v1alpha1\n"));
    let crlf = text(&dir, "apps/shop/crlf.yaml");
    assert!(crlf.contains("kind: SealedSecret\r\n") && !crlf.replace("\r\n", "").contains('\n'));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("apps/shop/secret.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    // A second run changes nothing.
    let (code, _, err) = run(&["scan", "--fix", path_str(&dir)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(snapshot(&dir), after);

    kustomize_still_builds(&dir);
}

/// The real `kubectl kustomize` renders the fixed overlay: every Secret is a SealedSecret in
/// the namespace it was sealed for.
fn kustomize_still_builds(dir: &Path) {
    let Some(docs) = kustomize(&dir.join("apps/shop")) else {
        return;
    };
    let sealed: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "SealedSecret")
        .collect();
    assert_eq!(sealed.len(), 7);
    assert!(sealed.iter().all(|d| d["metadata"]["namespace"] == "shop"));
    assert!(docs.iter().all(|d| d["kind"] != "Secret"));
    // The converted generators: the Deployment's references still name what exists.
    let docs = kustomize(&dir.join("apps/gen")).unwrap();
    let names: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "SealedSecret")
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app-env", "app-literals", "app-token"]);
    let text = serde_json::to_string(&docs).unwrap();
    for name in names {
        assert!(text.contains(&format!("\"name\":\"{name}\"")), "{text}");
    }
}

/// `kubectl kustomize DIR`'s objects, or `None` when kubectl is absent (outside CI).
fn kustomize(dir: &Path) -> Option<Vec<Value>> {
    if Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is missing on this machine"
        );
        eprintln!("note: kubectl is not installed; the kustomize render check is skipped");
        return None;
    }
    let out = Command::new("kubectl")
        .args(["kustomize", path_str(dir)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, docs) =
        sealant::doc::parse_documents(&String::from_utf8(out.stdout).unwrap(), "build").unwrap();
    Some(docs)
}

/// What apps/gen's secretGenerators make, as written in the fixture; checked against the real
/// `kubectl kustomize` where it is installed.
fn generated_values(dir: &Path) -> Values {
    let pairs: &[(&str, &[(&str, &str)])] = &[
        (
            "app-env",
            &[
                ("DB_PASSWORD", "fixture-gen-env-9"),
                ("DB_HOST", "db.gen.svc"),
            ],
        ),
        (
            "app-literals",
            &[
                ("password", "fixture-gen-literal-8"),
                ("user", "fixture gen user"),
            ],
        ),
        ("app-token", &[("api-token", "fixture-gen-token-10\n")]),
    ];
    let values: Values = pairs
        .iter()
        .map(|(name, kv)| {
            let kv = kv
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect();
            (name.to_string(), kv)
        })
        .collect();
    if let Some(docs) = kustomize(&dir.join("apps/gen")) {
        for secret in docs.iter().filter(|d| d["kind"] == "Secret") {
            let built = secret["metadata"]["name"].as_str().unwrap();
            let (name, want) = values
                .iter()
                .find(|(n, _)| built.starts_with(n.as_str()))
                .unwrap();
            let got: BTreeMap<String, Vec<u8>> = secret["data"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), STANDARD.decode(v.as_str().unwrap()).unwrap()))
                .collect();
            assert_eq!(&got, want, "kustomize builds {name} differently");
        }
    }
    values
}

#[test]
fn dry_run_prints_a_redacted_diff_and_changes_nothing() {
    let (_tmp, dir) = repo();
    let before = snapshot(&dir);
    let (code, out, err) = run(&["scan", "--fix", "--dry-run", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(snapshot(&dir), before);
    assert!(
        out.contains("--- a/apps/shop/secret.yaml\n+++ b/apps/shop/secret.yaml\n@@ -1,"),
        "{out}"
    );
    assert!(
        out.contains("-  password: <redacted>") && out.contains("+kind: SealedSecret"),
        "{out}"
    );
    for values in secret_values(&dir).values() {
        for value in values.values() {
            let value = String::from_utf8_lossy(value);
            assert!(
                !out.contains(&*value) && !err.contains(&*value),
                "{value} leaked"
            );
        }
    }
    assert!(
        !out.contains("Zml4dHVyZS1hcGktdG9rZW4tMg=="),
        "data values as committed"
    );
    assert!(
        err.contains("would seal 10 Secret(s) in 7 file(s)"),
        "{err}"
    );
    assert!(
        !out.contains("fixture-gen") && out.contains("+++ /dev/null"),
        "{out}"
    );
}

#[test]
fn a_file_with_a_secret_that_cannot_be_sealed_is_left_byte_identical() {
    let (_tmp, dir) = repo();
    let multi = dir.join("apps/shop/multi.yaml");
    let mut content = std::fs::read(&multi).unwrap();
    content.extend_from_slice(b"---\napiVersion: v1\nkind: Secret\nmetadata: {name: bad, namespace: shop}\ndata:\n  x: \"%%not-base64%%\"\n");
    std::fs::write(&multi, &content).unwrap();
    let (code, _, err) = run(&["scan", "--fix", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read(&multi).unwrap(), content);
    assert!(
        err.contains("apps/shop/multi.yaml:28:1: not fixed") && err.contains("not valid base64"),
        "{err}"
    );
    assert!(!err.contains("%%not-base64%%"));
    assert!(err.contains("sealed 9 Secret(s) in 6 file(s)"), "{err}");
}

/// A small repository with one kustomization and one Secret, pinned to the vectors' cert.
fn tiny_repo(kustomization: &str, secret: &str, pinned: bool) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("kustomization.yaml"), kustomization).unwrap();
    std::fs::write(app.join("secret.yaml"), secret).unwrap();
    std::fs::copy(vector("cert2048.pem"), tmp.path().join("cert.pem")).unwrap();
    let fp = stdout(&sealant(
        &["cert", "fingerprint", path_str(&vector("cert2048.pem"))],
        b"",
    ));
    let paths = if pinned {
        "[\"**\"]"
    } else {
        "[\"elsewhere/**\"]"
    };
    let config = format!(
        "certs:\n  - name: c\n    cert: cert.pem\n    sha256: {}\n    paths: {paths}\n",
        fp.trim()
    );
    std::fs::write(tmp.path().join(".sealant.yaml"), config).unwrap();
    tmp
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: fixture-tiny-pass\n";

#[test]
fn what_cannot_be_sealed_correctly_is_left_with_a_message_saying_what_to_do() {
    let cases = [
        (
            "namespace: shop\nnamePrefix: dev-\nresources: [secret.yaml]\n",
            true,
            "renames Secret \"db\" to \"dev-db\"",
        ),
        (
            "resources: [secret.yaml]\n",
            true,
            "nothing that deploys it sets one",
        ),
        (
            "namespace: shop\nresources: [secret.yaml]\n",
            false,
            "no cert is pinned for this path",
        ),
    ];
    for (kustomization, pinned, message) in cases {
        let tmp = tiny_repo(kustomization, SECRET, pinned);
        let (code, _, err) = run(&["scan", "--fix", path_str(tmp.path())]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("app/secret.yaml:1:1: not fixed") && err.contains(message),
            "{err}"
        );
        assert_eq!(text(tmp.path(), "app/secret.yaml"), SECRET);
    }
    // Namespace-wide scope survives the rename, so the same Secret is sealed then.
    let tmp = tiny_repo(
        "namespace: shop\nnamePrefix: dev-\nresources: [secret.yaml]\n",
        &SECRET.replace(
            "  name: db\n",
            "  name: db\n  annotations: {sealedsecrets.bitnami.com/namespace-wide: \"true\"}\n",
        ),
        true,
    );
    let (code, _, err) = run(&["scan", "--fix", path_str(tmp.path())]);
    assert_eq!(code, 0, "{err}");
    assert!(text(tmp.path(), "app/secret.yaml").contains("namespace-wide: \"true\""));
}

#[test]
fn a_failed_rename_or_a_read_only_file_loses_nothing() {
    let (_tmp, dir) = repo();
    let before = snapshot(&dir);
    let out = crate::common::sealant_env(
        &["scan", "--fix", path_str(&dir)],
        &[("SEALANT_TEST_FAIL_RENAME", "multi.yaml")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("apps/shop/multi.yaml: not fixed"),
        "{}",
        stderr(&out)
    );
    let after = snapshot(&dir);
    let temp = |k: &String| k.rsplit('/').next().unwrap().starts_with(".sealant-");
    assert!(!after.keys().any(temp), "no temp file is left behind");
    assert_eq!(
        after["apps/shop/multi.yaml"],
        before["apps/shop/multi.yaml"]
    );
    assert!(String::from_utf8_lossy(&after["apps/shop/secret.yaml"]).contains("kind: SealedSecret"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let multi = dir.join("apps/shop/multi.yaml");
        std::fs::set_permissions(&multi, std::fs::Permissions::from_mode(0o444)).unwrap();
        let (code, _, err) = run(&["scan", "--fix", path_str(&dir)]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("read-only"), "{err}");
        assert_eq!(
            std::fs::read(&multi).unwrap(),
            before["apps/shop/multi.yaml"]
        );
    }
}

/// The SealedSecret in testdata/sealed/unpinned/older-key.yaml was sealed with the backup's
/// 4096-bit key; resealing for the 2048-bit cert moves it to that key.
#[test]
fn reseal_moves_values_to_the_pinned_cert_and_they_still_decrypt() {
    let tmp = tiny_repo("namespace: legacy\nresources: [secret.yaml]\n", "", true);
    let file = tmp.path().join("app/secret.yaml");
    std::fs::copy(testdata("sealed/unpinned/older-key.yaml"), &file).unwrap();
    let before = std::fs::read_to_string(&file).unwrap();
    let unseal = |keys: &str| sealant(&["unseal", "--keys", keys, "-f", path_str(&file)], b"");
    let original = stdout(&unseal(path_str(&vector("key4096.pem"))));
    assert!(original.contains("kind: Secret"), "{original}");

    let backup = vector("backup-list.json");
    let (code, _, err) = run(&["reseal", "--keys", path_str(&backup), path_str(tmp.path())]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("re-encrypted 2 value(s) in 1 file(s)"),
        "{err}"
    );
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(after, before);
    // Only the values changed: the lines around them are the same.
    let shape = |t: &str| {
        t.lines()
            .map(|l| l.split(':').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&after), shape(&before));
    assert_eq!(stdout(&unseal(path_str(&vector("key2048.pem")))), original);
    assert!(!unseal(path_str(&vector("key4096.pem"))).status.success());

    let (code, _, err) = run(&["reseal", "--keys", path_str(&backup), path_str(tmp.path())]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("re-encrypted 0 value(s)"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), after);
}

#[test]
fn generators_a_sealed_secret_cannot_replace_are_left_with_a_suggestion() {
    let literal = "secretGenerator:\n  - name: db\n    literals: [password=fixture-gen-refused]\n";
    let cases = [
        (
            format!("namespace: shop\n{literal}    behavior: merge\n"),
            None,
            "3:5",
            "`behavior: merge`",
        ),
        (
            literal.to_string(),
            Some("namespace: prod\nresources: [../app]\n"),
            "2:5",
            "from overlay/kustomization.yaml, a parent of this kustomization",
        ),
    ];
    for (kustomization, overlay, at, message) in cases {
        let tmp = tiny_repo(&kustomization, "", true);
        if let Some(overlay) = overlay {
            std::fs::create_dir_all(tmp.path().join("overlay")).unwrap();
            std::fs::write(tmp.path().join("overlay/kustomization.yaml"), overlay).unwrap();
        }
        let before = snapshot(tmp.path());
        let (code, _, err) = run(&["scan", "--fix", path_str(tmp.path())]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!("app/kustomization.yaml:{at}: not fixed"))
                && err.contains(message),
            "{err}"
        );
        assert!(!err.contains("fixture-gen-refused"));
        assert_eq!(snapshot(tmp.path()), before);
    }
}
