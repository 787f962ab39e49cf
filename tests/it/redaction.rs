//! Redaction: no secret value, nor a terminal escape from file content, reaches any output.
//! The values to look for are read from the fixtures themselves, so a new fixture is covered
//! without editing a list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::common::{copy_dir, path_str, sealant_in, stderr, stdout, testdata};

/// Secret-looking values planted in the cases below; they are also what the tests look for.
const CONFIGMAP_PASSWORD: &str = "Zq8r2Lm5Nv9Wt1XyCfgLeak";
const COMMENT_TOKEN: &str = "ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua";
const OLD_VALUE: &str = "baselined-Kp3Wq8Zr5Tx1";
const NEW_VALUE: &str = "new-Mv7Hy2Lc9Qd4Rs6";

/// The cases the attack found: values next to the Secret `--fix` seals (a suppressed ConfigMap
/// password, a token in a comment) and values suppressed on the line of a reported one.
const CASES: &[(&str, &str)] = &[
    (
        "apps/shop/secret.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  DB_PASSWORD: \"Zq8r2Lm5Nv9Wt1XyCfgLeak\" # sealant:ignore\n---\n# token ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: fixture-db-pass-1\n",
    ),
    (
        "apps/shop/ignored.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ignored\nstringData:\n  password: ignored-Wd4Tb8Nq2Xs7 # ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua sealant:ignore github-token\n",
    ),
];

/// A repository in a temp dir: a copy of `fixture` (a testdata folder) plus `files`.
fn repo(fixture: Option<&str>, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(name) = fixture {
        copy_dir(&testdata(name), &dir);
    }
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (tmp, dir)
}

/// Runs sealant in `dir`; stdout and stderr together.
fn run(dir: &Path, args: &[&str]) -> String {
    let out = sealant_in(Some(dir), args, b"");
    format!("{}{}", stdout(&out), stderr(&out))
}

#[track_caller]
fn assert_hidden(output: &str, values: &[&str]) {
    for value in values {
        assert!(!output.contains(value), "{value:?} printed:\n{output}");
    }
}

#[test]
fn fix_dry_run_diff_redacts_values_in_context_lines() {
    let (_tmp, dir) = repo(Some("fix"), &CASES[..1]);
    let diff = run(&dir, &["scan", "--fix", "--dry-run", "."]);
    assert!(diff.contains("+++ b/apps/shop/secret.yaml"), "{diff}");
    assert!(
        diff.contains(" # token <redacted>"),
        "context lines are shown, redacted:\n{diff}"
    );
    assert_hidden(&diff, &[CONFIGMAP_PASSWORD, COMMENT_TOKEN]);
}

/// The first version of `apps/a.yaml`, a baseline of it, then a new value on the same line.
#[test]
fn human_frame_redacts_a_baselined_value_on_the_findings_line() {
    let first = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\nstringData: {{old: {OLD_VALUE}}}\n"
    );
    let (_tmp, dir) = repo(None, &[("apps/a.yaml", &first)]);
    run(&dir, &["scan", ".", "--write-baseline", "baseline.json"]);
    let second = first.replace(
        &format!("{OLD_VALUE}}}"),
        &format!("{OLD_VALUE}, new: {NEW_VALUE}}}"),
    );
    std::fs::write(dir.join("apps/a.yaml"), second).unwrap();
    let out = run(&dir, &["scan", ".", "--baseline", "baseline.json"]);
    assert!(out.contains("1 finding (1 suppressed)"), "{out}");
    assert!(out.contains("new: <redacted>"), "{out}");
    assert_hidden(&out, &[OLD_VALUE, NEW_VALUE]);
}

#[test]
fn human_frame_redacts_an_allowed_value_on_the_findings_line() {
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\nstringData: {{token: {COMMENT_TOKEN}, new: {NEW_VALUE}}}\n"
    );
    let config =
        "allow:\n  - rule: k8s-secret-string-data\n    path: apps/a.yaml\n    fingerprint: FP\n";
    let (_tmp, dir) = repo(None, &[("apps/a.yaml", &secret)]);
    // Allow the token's finding by its fingerprint, which only a scan tells.
    let out = sealant_in(Some(&dir), &["scan", ".", "--format", "json"], b"");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("stringData.token"))
        .expect("the token's finding");
    let config = config.replace("FP", token["fingerprint"].as_str().unwrap());
    std::fs::write(dir.join(".sealant.yaml"), config).unwrap();
    let out = run(&dir, &["scan", "."]);
    assert!(out.contains("1 finding (1 suppressed)"), "{out}");
    assert_hidden(&out, &[COMMENT_TOKEN, NEW_VALUE]);
}

#[test]
fn human_frame_redacts_an_ignored_value_on_the_findings_line() {
    let (_tmp, dir) = repo(None, &CASES[1..]);
    let out = run(&dir, &["scan", "."]);
    assert!(out.contains("1 finding (1 suppressed)"), "{out}");
    assert!(
        out.contains("password: <redacted> # <redacted> sealant:ignore"),
        "{out}"
    );
    assert_hidden(&out, &[COMMENT_TOKEN, "ignored-Wd4Tb8Nq2Xs7"]);
}

/// Characters from file content that a terminal or log viewer would act on: ESC (CSI, OSC),
/// BEL, a C1 CSI, DEL, and bidi overrides that reorder what is shown.
const HOSTILE: &[char] = &[
    '\u{1b}', '\u{7}', '\u{8}', '\u{7f}', '\u{9b}', '\u{202e}', '\u{2066}',
];

/// A Secret whose file name and key carry every character of [`HOSTILE`].
fn hostile_repo() -> (tempfile::TempDir, PathBuf, String, String) {
    let name = "apps/evil\u{1b}[2J\u{9b}31m\u{202e}lmay.yaml".to_string();
    let key = "pass\u{1b}]0;owned\u{7}\u{8}\u{7f}\u{2066}word".to_string();
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\nstringData:\n  \"{}\": Vb6Jq1Xr8Mz3Tk5W\n",
        key.replace('\u{1b}', "\\e").replace('\u{7}', "\\a").replace('\u{8}', "\\b").replace('\u{7f}', "\\x7f")
    );
    let (tmp, dir) = repo(None, &[(&name, &secret)]);
    (tmp, dir, name, key)
}

#[track_caller]
fn assert_no_hostile(format: &str, output: &str) {
    let found: Vec<char> = output.chars().filter(|c| HOSTILE.contains(c)).collect();
    assert!(
        found.is_empty(),
        "--format {format} printed {found:?}:\n{output:?}"
    );
}

#[test]
fn every_format_escapes_terminal_controls_from_file_names_and_keys() {
    let (_tmp, dir, name, key) = hostile_repo();
    for format in ["human", "json", "sarif", "github"] {
        let out = sealant_in(Some(&dir), &["scan", ".", "--format", format], b"");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_no_hostile(format, &stdout(&out));
        assert_no_hostile(format, &stderr(&out));
    }
    // JSON and SARIF escape them as `\uXXXX`: the values read back unchanged.
    let out = sealant_in(Some(&dir), &["scan", ".", "--format", "json"], b"");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["path"], name.as_str());
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains(&key), "{message:?}");
}

#[test]
fn fix_dry_run_escapes_terminal_controls_from_file_content() {
    let (_tmp, dir, ..) = repo(Some("fix"), &[]);
    // YAML forbids C0 and C1 controls: the document holding them is not parsed, the next is.
    let crafted = "# \u{1b}]0;owned\u{7} \u{9b}2J\n---\n# \u{202e}\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData:\n  password: Vb6Jq1Xr8Mz3Tk5W\n";
    std::fs::write(dir.join("apps/shop/evil\u{1b}[2J.yaml"), crafted).unwrap();
    let out = sealant_in(Some(&dir), &["scan", "--fix", "--dry-run", "."], b"");
    let diff = stdout(&out);
    assert!(diff.contains("apps/shop/evil"), "{diff}");
    assert_no_hostile("--fix --dry-run", &diff);
}

#[test]
fn fix_messages_escape_terminal_controls_from_file_names() {
    let (_tmp, dir, ..) = repo(Some("fix"), &[]);
    // No namespace: the Secret cannot be sealed, and the message names the file.
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: Vb6Jq1Xr8Mz3Tk5W\n";
    let name = "apps/other/evil\u{1b}]0;owned\u{7}\u{202e}.yaml";
    std::fs::create_dir_all(dir.join("apps/other")).unwrap();
    std::fs::write(dir.join(name), secret).unwrap();
    for args in [
        &["scan", "--fix", "--dry-run", "."][..],
        &["scan", "--fix", "."],
    ] {
        let out = sealant_in(Some(&dir), args, b"");
        let messages = stderr(&out);
        assert!(messages.contains("not fixed"), "{messages}");
        assert_no_hostile("--fix", &messages);
    }
}
