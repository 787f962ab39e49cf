//! `scan --fix` of a plaintext Secret in a base that two overlays deploy to two clusters
//! (testdata/multicluster-fix): one SealedSecret per overlay, for the namespace and name that
//! overlay's build gives it, with that cluster's cert; checked with the real `kubectl kustomize`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{
    copy_dir, path_str, sealant, sealant_env, snapshot, stderr, stdout, testdata, vector,
};

const PASSWORD: &str = "fixture-mcfix-pass-7Qx2";
const SECRET: &str = "apps/base/podinfo/secret.yaml";
const BASE: &str = "apps/base/podinfo/kustomization.yaml";

/// A copy of testdata/multicluster-fix in a temp dir, and its path.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    copy_dir(&testdata("multicluster-fix"), &dir);
    (tmp, dir)
}

fn fix(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["scan", "--fix"];
    args.extend_from_slice(extra);
    args.push(path_str(dir));
    let out = sealant(&args, b"");
    (out.status.code().unwrap(), stdout(&out), stderr(&out))
}

fn text(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let before = text(dir, rel);
    assert!(before.contains(from), "{rel}: {from}");
    std::fs::write(dir.join(rel), before.replace(from, to)).unwrap();
}

/// `kubectl kustomize DIR`, or `None` (said on stderr) where kubectl is not installed.
fn kustomize(dir: &Path) -> Option<String> {
    let out = match Command::new("kubectl").arg("kustomize").arg(dir).output() {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipped: kubectl is not installed");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

fn objects(yaml: &str) -> Vec<serde_json::Value> {
    sealant::doc::parse_documents(yaml, "built").unwrap().1
}

#[test]
fn a_secret_in_a_shared_base_is_sealed_once_per_overlay_and_leaves_the_base() {
    let (_tmp, dir) = repo();
    let (code, out, err) = fix(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sealed 2 Secret(s)"), "{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    let fixed = snapshot(&dir);
    assert_eq!(fix(&dir, &[]).0, 0, "a second run finds nothing");
    assert_eq!(snapshot(&dir), fixed, "and changes nothing");
    // The graph's decryption check, under the namespace and name each build applies.
    let keys = format!(
        "{},{}",
        path_str(&vector("key2048.pem")),
        path_str(&vector("key4096.pem"))
    );
    let checked = sealant(&["scan", "--keys", &keys, path_str(&dir)], b"");
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    assert!(
        !dir.join(SECRET).exists(),
        "the plaintext is gone from the base"
    );
    assert!(!text(&dir, BASE).contains("secret.yaml"));
    // The overlays keep their comments and gain the new file.
    let production = text(&dir, "apps/overlays/production/kustomization.yaml");
    assert!(production.contains(
        "  - ../../base/podinfo   # shared with staging\n  - podinfo-auth-sealedsecret.yaml\n"
    ));
    for (overlay, namespace, name, key, other) in [
        (
            "production",
            "podinfo-prod",
            "prod-podinfo-auth",
            "key2048.pem",
            "key4096.pem",
        ),
        (
            "staging",
            "podinfo-staging",
            "staging-podinfo-auth",
            "key4096.pem",
            "key2048.pem",
        ),
    ] {
        let Some(built) = kustomize(&dir.join("apps/overlays").join(overlay)) else {
            return;
        };
        let objects = objects(&built);
        assert!(!objects.iter().any(|o| o["kind"] == "Secret"), "{built}");
        let sealed: Vec<_> = objects
            .iter()
            .filter(|o| o["kind"] == "SealedSecret")
            .collect();
        assert_eq!(sealed.len(), 1, "{built}");
        assert_eq!(sealed[0]["metadata"]["namespace"], namespace);
        assert_eq!(sealed[0]["metadata"]["name"], name);
        // The built SealedSecret opens with this cluster's key only, to the original values.
        let opened = sealant(
            &["unseal", "--keys", path_str(&vector(key))],
            built.as_bytes(),
        );
        assert!(opened.status.success(), "{}", stderr(&opened));
        let secret = &objects_of(&stdout(&opened))[0];
        let decoded = |k: &str| {
            use base64::Engine;
            let v = secret["data"][k].as_str().unwrap();
            base64::engine::general_purpose::STANDARD.decode(v).unwrap()
        };
        assert_eq!(decoded("password"), PASSWORD.as_bytes());
        assert_eq!(decoded("username"), b"podinfo");
        assert_eq!(secret["metadata"]["name"], name);
        let wrong = sealant(
            &["unseal", "--keys", path_str(&vector(other))],
            built.as_bytes(),
        );
        assert!(
            !wrong.status.success(),
            "{overlay} is sealed for its own cluster"
        );
    }
}

/// The Secrets among a stream's objects.
fn objects_of(yaml: &str) -> Vec<serde_json::Value> {
    let all = objects(yaml);
    all.into_iter().filter(|o| o["kind"] == "Secret").collect()
}

#[test]
fn a_dry_run_of_a_shared_base_shows_every_file_and_no_value() {
    let (_tmp, dir) = repo();
    let before = snapshot(&dir);
    let (code, out, err) = fix(&dir, &["--dry-run"]);
    assert_eq!(code, 1, "changes are pending: {err}");
    assert_eq!(snapshot(&dir), before, "a dry run writes nothing");
    for shown in [
        "+++ b/apps/overlays/production/podinfo-auth-sealedsecret.yaml",
        "+++ b/apps/overlays/staging/podinfo-auth-sealedsecret.yaml",
        "+  - podinfo-auth-sealedsecret.yaml",
        "-  - secret.yaml # the plaintext Secret --fix moves out",
        "--- a/apps/base/podinfo/secret.yaml\n+++ /dev/null",
    ] {
        assert!(out.contains(shown), "{shown}\n{out}");
    }
    assert!(err.contains("would seal 2 Secret(s)"), "{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
}

/// The base Secret as the second document of a file that also holds a ConfigMap.
fn with_a_config_map(dir: &Path) {
    let secret = text(dir, SECRET);
    let config =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-ui\ndata:\n  color: blue\n";
    std::fs::write(dir.join(SECRET), format!("{config}---\n{secret}")).unwrap();
}

#[test]
fn a_shared_secret_among_other_documents_leaves_only_its_document() {
    let (_tmp, dir) = repo();
    with_a_config_map(&dir);
    let base = text(&dir, BASE);
    let (code, _, err) = fix(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    let rest = text(&dir, SECRET);
    assert!(
        rest.contains("kind: ConfigMap") && !rest.contains("Secret"),
        "{rest}"
    );
    assert_eq!(text(&dir, BASE), base, "the base still lists the file");
    if let Some(built) = kustomize(&dir.join("apps/overlays/staging")) {
        let kinds: Vec<_> = objects(&built).iter().map(|o| o["kind"].clone()).collect();
        assert_eq!(kinds, ["ConfigMap", "Deployment", "SealedSecret"]);
    }
}

#[test]
fn a_failure_part_way_through_a_shared_base_leaves_every_file_as_it_was() {
    let (_tmp, dir) = repo();
    with_a_config_map(&dir);
    let before = snapshot(&dir);
    // The base file is rewritten first, then the overlays' kustomizations fail.
    let out = sealant_env(
        &["scan", "--fix", path_str(&dir)],
        &[("SEALANT_TEST_FAIL_RENAME", "kustomization.yaml")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kustomization.yaml: not fixed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&dir), before, "all files or none");
}

/// A change to the fixture's copy.
type Change = dyn Fn(&Path);

#[test]
fn a_shared_base_that_cannot_be_sealed_per_overlay_is_left_with_what_to_do() {
    let no_cert = |dir: &Path| {
        let config = text(dir, ".sealant.yaml");
        let staging = config.find("  - name: staging").unwrap();
        std::fs::write(dir.join(".sealant.yaml"), &config[..staging]).unwrap();
    };
    let taken = |dir: &Path| {
        let file = dir.join("apps/overlays/staging/podinfo-auth-sealedsecret.yaml");
        std::fs::write(file, "# someone's file\n").unwrap();
    };
    let strict = |dir: &Path| {
        edit(
            dir,
            SECRET,
            "    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
            "    x: y\n",
        )
    };
    let direct = |dir: &Path| {
        let flux =
            text(dir, "clusters/staging/apps.yaml").replace("overlays/staging", "base/podinfo");
        std::fs::write(
            dir.join("clusters/staging/base.yaml"),
            flux.replace("name: apps", "name: base"),
        )
        .unwrap();
    };
    let referred = |dir: &Path| {
        let deployment = dir.join("apps/base/podinfo/deployment.yaml");
        let env = "          env:\n            - name: PASSWORD\n              valueFrom:\n                secretKeyRef: {name: podinfo-auth, key: password}\n";
        let text = std::fs::read_to_string(&deployment).unwrap();
        std::fs::write(deployment, text + env).unwrap();
    };
    let twice = |dir: &Path| {
        let flux = text(dir, "clusters/staging/apps.yaml");
        let other = flux.replace("name: apps", "name: apps-eu").replace(
            "  prune: true\n",
            "  prune: true\n  targetNamespace: podinfo-eu\n",
        );
        std::fs::write(dir.join("clusters/staging/apps-eu.yaml"), other).unwrap();
    };
    let flow = |dir: &Path| {
        let flow = "resources: [deployment.yaml, secret.yaml]\n";
        std::fs::write(dir.join(BASE), flow).unwrap();
    };
    let list = |dir: &Path| {
        let secret = text(dir, SECRET).replace('\n', "\n    ");
        let list = format!(
            "apiVersion: v1\nkind: List\nitems:\n  - {}\n",
            secret.trim_end()
        );
        std::fs::write(dir.join(SECRET), list).unwrap();
    };
    let cases: [(&str, &Change, &str); 8] = [
        ("in a List", &list, "apps/base/podinfo/secret.yaml:4:5: not fixed, the file is left as it is: this Secret, deployed by several overlays, is an item of a List"),
        ("flow resources", &flow, "apps/base/podinfo/kustomization.yaml:1:12: not fixed, the file is left as it is: `resources` is written in flow style ([...]), which --fix does not remove apps/base/podinfo/secret.yaml from"),
        ("overlay deployed twice", &twice, "apps/overlays/staging/kustomization.yaml is deployed by both clusters/staging/apps-eu.yaml and clusters/staging/apps.yaml, as podinfo-eu/staging-podinfo-auth and podinfo-staging/staging-podinfo-auth"),
        ("referred to", &referred, "apps/overlays/production/kustomization.yaml deploys Secret \"podinfo-auth\" as \"prod-podinfo-auth\", and kustomize renames the references to a Secret but not to a SealedSecret: apps/base/podinfo/deployment.yaml refers to \"podinfo-auth\""),
        ("no cert", &no_cert, "no one cert is pinned for apps/overlays/staging/podinfo-auth-sealedsecret.yaml, where the SealedSecret for apps/overlays/staging/kustomization.yaml would go"),
        ("name taken", &taken, "apps/overlays/staging/podinfo-auth-sealedsecret.yaml already exists"),
        ("strict", &strict, "apps/overlays/production/kustomization.yaml renames Secret \"podinfo-auth\" to \"prod-podinfo-auth\""),
        ("base deployed directly", &direct, "clusters/staging/base.yaml deploys apps/base/podinfo/secret.yaml without an overlay of its own"),
    ];
    for (case, change, message) in cases {
        let (_tmp, dir) = repo();
        change(&dir);
        let before = snapshot(&dir);
        let (code, _, err) = fix(&dir, &[]);
        assert_eq!(code, 1, "{case}: {err}");
        let at_secret = err.contains(&format!("{SECRET}:1:1: not fixed")) || case == "in a List";
        assert!(at_secret, "{case}: {err}");
        assert!(err.contains(message), "{case}: {err}");
        assert_eq!(snapshot(&dir), before, "{case}: nothing changes");
    }
}

#[test]
fn a_base_nothing_includes_is_left_with_what_to_do() {
    let (_tmp, dir) = repo();
    std::fs::remove_dir_all(dir.join("apps/overlays")).unwrap();
    std::fs::remove_dir_all(dir.join("clusters")).unwrap();
    let before = snapshot(&dir);
    let (code, _, err) = fix(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("{SECRET}:1:1: not fixed")), "{err}");
    assert!(
        err.contains("no cert is pinned for this path, and nothing in the repository includes apps/base/podinfo/kustomization.yaml")
            && err.contains("include it from an overlay per cluster"),
        "{err}"
    );
    assert_eq!(snapshot(&dir), before);
}

/// The SealedSecret files the fix made, by path, parsed.
fn made(dir: &Path) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for (rel, bytes) in snapshot(dir) {
        if rel.ends_with("-sealedsecret.yaml") {
            let text = String::from_utf8(bytes).unwrap();
            out.push((rel, objects(&text).remove(0)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn a_flux_target_namespace_is_the_namespace_an_overlay_seals_for() {
    let (_tmp, dir) = repo();
    let overlay = "apps/overlays/staging/kustomization.yaml";
    edit(&dir, overlay, "namespace: podinfo-staging\n", "");
    edit(
        &dir,
        "clusters/staging/apps.yaml",
        "  prune: true\n",
        "  prune: true\n  targetNamespace: podinfo-flux\n",
    );
    let (code, _, err) = fix(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    let made = made(&dir);
    assert_eq!(
        made[1].0,
        "apps/overlays/staging/podinfo-auth-sealedsecret.yaml"
    );
    assert_eq!(made[1].1["metadata"]["namespace"], "podinfo-flux");
    let built = text(&dir, &made[1].0);
    let opened = sealant(
        &["unseal", "--keys", path_str(&vector("key4096.pem"))],
        built.as_bytes(),
    );
    assert!(opened.status.success(), "{}", stderr(&opened));
}

#[test]
fn a_base_included_through_another_kustomization_is_sealed_in_the_overlays() {
    let (_tmp, dir) = repo();
    std::fs::write(
        dir.join("apps/base/kustomization.yaml"),
        "resources:\n  - podinfo\n",
    )
    .unwrap();
    for overlay in ["production", "staging"] {
        let file = format!("apps/overlays/{overlay}/kustomization.yaml");
        edit(&dir, &file, "../../base/podinfo", "../../base");
    }
    let (code, _, err) = fix(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    let paths: Vec<String> = made(&dir).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "apps/overlays/production/podinfo-auth-sealedsecret.yaml",
            "apps/overlays/staging/podinfo-auth-sealedsecret.yaml"
        ]
    );
    assert!(!dir.join(SECRET).exists());
    if let Some(built) = kustomize(&dir.join("apps/overlays/production")) {
        let names: Vec<_> = objects(&built)
            .iter()
            .map(|o| o["metadata"]["name"].clone())
            .collect();
        assert_eq!(names, ["prod-podinfo", "prod-podinfo-auth"]);
    }
}

#[test]
fn two_shared_secret_files_of_one_base_are_moved_together() {
    let (_tmp, dir) = repo();
    let json = r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "podinfo-json", "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"}}, "stringData": {"token": "fixture-mcfix-json-99aZ"}}"#;
    std::fs::write(dir.join("apps/base/podinfo/secret.json"), json).unwrap();
    edit(
        &dir,
        BASE,
        "  - deployment.yaml\n",
        "  - deployment.yaml\n  - secret.json\n",
    );
    let (code, _, err) = fix(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        text(&dir, BASE).matches("  - ").count(),
        1,
        "{}",
        text(&dir, BASE)
    );
    assert!(!dir.join("apps/base/podinfo/secret.json").exists());
    let staging = text(&dir, "apps/overlays/staging/kustomization.yaml");
    assert!(staging.ends_with(
        "  - ../../base/podinfo\n  - podinfo-json-sealedsecret.yaml\n  - podinfo-auth-sealedsecret.yaml\n"
    ));
    if let Some(built) = kustomize(&dir.join("apps/overlays/staging")) {
        let sealed = objects(&built)
            .into_iter()
            .filter(|o| o["kind"] == "SealedSecret");
        let names: Vec<_> = sealed.map(|o| o["metadata"]["name"].clone()).collect();
        assert_eq!(names, ["staging-podinfo-auth", "staging-podinfo-json"]);
    }
}

/// Certs pinned by the clusters' deployment roots, not by paths: each overlay's SealedSecret is
/// sealed with the cert of the root that deploys that overlay.
#[test]
fn with_certs_pinned_by_roots_each_overlay_is_sealed_with_its_clusters_cert() {
    let (_tmp, dir) = repo();
    edit(
        &dir,
        ".sealant.yaml",
        "paths: [\"apps/overlays/production/**\", \"clusters/production/**\"]",
        "roots: [clusters/production]",
    );
    edit(
        &dir,
        ".sealant.yaml",
        "paths: [\"apps/overlays/staging/**\", \"clusters/staging/**\"]",
        "roots: [clusters/staging]",
    );
    let (code, _, err) = fix(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sealed 2 Secret(s)"), "{err}");
    for (overlay, key, other) in [
        ("production", "key2048.pem", "key4096.pem"),
        ("staging", "key4096.pem", "key2048.pem"),
    ] {
        let file = format!("apps/overlays/{overlay}/podinfo-auth-sealedsecret.yaml");
        let sealed = text(&dir, &file);
        let opens = |key: &str| {
            let out = sealant(
                &["unseal", "--keys", path_str(&vector(key))],
                sealed.as_bytes(),
            );
            out.status.success()
        };
        assert!(
            opens(key) && !opens(other),
            "{file} is sealed for its own cluster"
        );
    }
}

/// Two shared Secrets that end a file, after a ConfigMap: both documents go, with their
/// separators, and the ConfigMap stays (removing them one by one overlapped and panicked).
#[test]
fn two_shared_secrets_ending_a_file_both_leave_it() {
    let (_tmp, dir) = repo();
    with_a_config_map(&dir);
    let first = text(&dir, SECRET);
    let second = first
        .split_once("---\n")
        .unwrap()
        .1
        .replace("name: podinfo-auth", "name: podinfo-two");
    std::fs::write(dir.join(SECRET), format!("{first}---\n{second}")).unwrap();
    let (code, out, err) = fix(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sealed 4 Secret(s)"), "{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    let rest = text(&dir, SECRET);
    assert_eq!(
        rest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-ui\ndata:\n  color: blue\n"
    );
}

/// An overlay that `exclude:` hides from the scan still deploys the base: the Secret is not
/// taken out of the base behind its back (here it has no cert, so nothing changes at all).
#[test]
fn an_excluded_overlay_still_counts_as_deploying_the_base() {
    let (_tmp, dir) = repo();
    let dev = dir.join("apps/overlays/dev");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::write(
        dev.join("kustomization.yaml"),
        "namespace: podinfo-dev\nresources:\n  - ../../base/podinfo\n",
    )
    .unwrap();
    let config = text(&dir, ".sealant.yaml");
    std::fs::write(
        dir.join(".sealant.yaml"),
        format!("{config}exclude: [\"apps/overlays/dev/**\"]\n"),
    )
    .unwrap();
    let before = snapshot(&dir);
    let (code, _, err) = fix(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("apps/overlays/dev/"), "{err}");
    assert_eq!(snapshot(&dir), before, "nothing changes");
}

/// An overlay that patches the Secret, or merges a generator into it, needs the Secret in its
/// build: sealed away, the build fails (or the change is lost). Refused, nothing changes.
#[test]
fn an_overlay_that_changes_the_secret_keeps_it_and_says_why() {
    let patch = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: podinfo-auth\nstringData:\n  extra: \"1\"\n";
    let overlay = "apps/overlays/staging/kustomization.yaml";
    let changes = [
        ("patches:\n  - path: patch.yaml\n", true),
        ("patchesStrategicMerge:\n  - patch.yaml\n", true),
        ("secretGenerator:\n  - name: podinfo-auth\n    behavior: merge\n    literals: [extra=1]\n", false),
    ];
    for (change, needs_file) in changes {
        let (_tmp, dir) = repo();
        let kustomization = text(&dir, overlay);
        std::fs::write(dir.join(overlay), format!("{kustomization}{change}")).unwrap();
        if needs_file {
            std::fs::write(dir.join("apps/overlays/staging/patch.yaml"), patch).unwrap();
        }
        let before = snapshot(&dir);
        let (code, _, err) = fix(&dir, &[]);
        assert_eq!(code, 1, "{change}: {err}");
        assert!(
            err.contains(&format!("{overlay} changes Secret \"podinfo-auth\"")),
            "{change}: {err}"
        );
        assert_eq!(snapshot(&dir), before, "{change}: nothing changes");
    }
}
