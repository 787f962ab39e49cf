//! `sealant scan` on real trees: fixtures, the demo repo, every output format, hostile input.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use serde_json::Value;

use crate::common::{expect, found, path_str, sealant, sealant_in, stderr, stdout, testdata};

const FORMATS: [&str; 4] = ["human", "json", "sarif", "github"];

/// Runs `sealant scan --format json` on `paths` and returns (exit code, parsed report).
fn scan_json(paths: &[&Path], extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", "--format", "json", "--color", "never"];
    args.extend_from_slice(extra);
    args.extend(paths.iter().map(|p| path_str(p)));
    let out = sealant(&args, b"");
    let code = out.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "scan failed ({code}): {}",
        stderr(&out)
    );
    (
        code,
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out))),
    )
}

/// (path relative to `base`, rule, line) of every finding.
/// Every planted value of the fixtures, in plain and base64 forms.
fn planted_values(dir: &Path) -> Vec<String> {
    let mut values = BTreeSet::new();
    for entry in walk(dir) {
        let text = String::from_utf8_lossy(&fs::read(&entry).unwrap()).into_owned();
        for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || "-+/=".contains(c))) {
            // Planted values stand in the fixtures as they are or base64-encoded.
            let decoded = STANDARD
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            for word in [Some(token.to_string()), decoded].into_iter().flatten() {
                if word.contains("-PLANTED-") {
                    values.insert(STANDARD.encode(&word));
                    values.insert(STANDARD_NO_PAD.encode(&word));
                    values.insert(word);
                }
            }
        }
    }
    assert!(values.len() >= 30, "fixtures lost their planted values");
    values.into_iter().collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn findings_point_at_the_value() {
    let dir = testdata("scan/positive");
    let (_, report) = scan_json(
        &[&dir.join("secret-data.yaml"), &dir.join("secret-flow.yaml")],
        &[],
    );
    let columns: BTreeSet<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        columns.contains(&("secret-data.yaml".into(), 13)),
        "{columns:?}"
    );
    // `"token": "Zmxv...` in the one-line flow document.
    let flow = fs::read_to_string(dir.join("secret-flow.yaml")).unwrap();
    let col = flow.find("\"Zmxv").unwrap() as u64 + 1;
    assert!(
        columns.contains(&("secret-flow.yaml".into(), col)),
        "{columns:?}"
    );
}

#[test]
fn never_flags_sealed_sops_helm_substituted_or_referenced_secrets() {
    let dir = testdata("scan/negative");
    let (code, report) = scan_json(&[&dir], &[]);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);
    assert!(report["summary"]["files_scanned"].as_u64().unwrap() >= 7);
}

#[test]
fn no_format_ever_prints_a_planted_value() {
    let dir = testdata("scan/positive");
    let values = planted_values(&dir);
    for format in FORMATS {
        let out = sealant(
            &[
                "scan",
                "--format",
                format,
                "--color",
                "always",
                path_str(&dir),
            ],
            b"",
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        for value in &values {
            assert!(
                !all.contains(value.as_str()),
                "{format} output contains planted value {value}"
            );
        }
        assert!(all.contains("k8s-secret-data"), "{format} names the rule");
    }
}

#[test]
fn human_output_redacts_the_value_in_a_code_frame() {
    let file = testdata("scan/positive/secret-data.yaml");
    let out = sealant(&["scan", "--color", "never", path_str(&file)], b"");
    let text = stdout(&out);
    assert!(text.contains("<redacted>"), "{text}");
    assert!(
        text.contains("password:"),
        "the frame shows the key: {text}"
    );
    assert!(text.contains("2 findings"), "summary line: {text}");
}

#[test]
fn fail_on_sets_the_exit_code() {
    let file = testdata("scan/positive/secret-data.yaml");
    let out = sealant(&["scan", "--fail-on", "error", path_str(&file)], b"");
    assert_eq!(out.status.code(), Some(1));
    let clean = testdata("scan/negative/configmap.yaml");
    assert_eq!(
        sealant(&["scan", path_str(&clean)], b"").status.code(),
        Some(0)
    );
}

/// A scratch repository with a .git marker, so paths are relative to it.
fn scratch_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  password: scratch-PLANTED-Z1\n";

#[test]
fn ignore_files_config_excludes_and_explicit_paths() {
    let repo = scratch_repo();
    let root = repo.path();
    for dir in ["kept", "gitignored", "sealantignored", "excluded"] {
        fs::create_dir(root.join(dir)).unwrap();
        fs::write(root.join(dir).join("s.yaml"), SECRET).unwrap();
    }
    fs::write(root.join(".gitignore"), "gitignored/\n").unwrap();
    fs::write(root.join(".sealantignore"), "sealantignored/\n").unwrap();
    fs::write(root.join(".sealant.yaml"), "exclude: [excluded]\n").unwrap();
    let (_, report) = scan_json(&[root], &[]);
    let paths: BTreeSet<_> = found(&report, "").into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(paths, BTreeSet::from(["kept/s.yaml".to_string()]));

    // Named explicitly, an ignored file is scanned, unless --force-exclude.
    let ignored = root.join("gitignored/s.yaml");
    let (_, report) = scan_json(&[&ignored], &[]);
    assert_eq!(found(&report, "").len(), 1);
    let (_, report) = scan_json(&[&ignored], &["--force-exclude"]);
    assert_eq!(found(&report, "").len(), 0);
}

#[test]
fn inline_comments_allowlist_and_baseline_suppress() {
    let repo = scratch_repo();
    let root = repo.path();
    let ignored_line = SECRET.replace(
        "scratch-PLANTED-Z1",
        "scratch-PLANTED-Z1 # sealant:ignore k8s-secret-string-data",
    );
    fs::write(root.join("line.yaml"), ignored_line).unwrap();
    fs::write(root.join("doc.yaml"), format!("# sealant:ignore\n{SECRET}")).unwrap();
    fs::write(
        root.join("other-rule.yaml"),
        SECRET.replace(
            "scratch-PLANTED-Z1",
            "scratch-PLANTED-Z1 # sealant:ignore github-token",
        ),
    )
    .unwrap();
    let (_, report) = scan_json(&[root], &[]);
    assert_eq!(
        found(&report, ""),
        expect(&[("other-rule.yaml", "k8s-secret-string-data", 5)])
    );
    assert_eq!(report["summary"]["suppressed"], 2);

    fs::write(
        root.join(".sealant.yaml"),
        "allow:\n  - path: other-rule.yaml\n    rule: k8s-secret-string-data\n    reason: test\n",
    )
    .unwrap();
    let (code, report) = scan_json(&[root], &[]);
    assert_eq!((code, found(&report, "").len()), (0, 0));
    fs::remove_file(root.join(".sealant.yaml")).unwrap();

    let baseline = root.join("baseline.json");
    let out = sealant_in(
        Some(root),
        &["scan", "--write-baseline", path_str(&baseline), "."],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = fs::read_to_string(&baseline).unwrap();
    assert!(!written.contains("scratch-PLANTED"), "{written}");
    let (code, report) = scan_json(&[root], &["--baseline", path_str(&baseline)]);
    assert_eq!((code, found(&report, "").len()), (0, 0));
    // A new value is not covered by the baseline.
    fs::write(root.join("new.yaml"), SECRET.replace("Z1", "Z2")).unwrap();
    let (_, report) = scan_json(&[root], &["--baseline", path_str(&baseline)]);
    assert_eq!(
        found(&report, ""),
        expect(&[("new.yaml", "k8s-secret-string-data", 5)])
    );
}

#[test]
fn fingerprints_survive_line_moves_and_depend_on_the_salt() {
    let repo = scratch_repo();
    let root = repo.path();
    fs::write(root.join("a.yaml"), SECRET).unwrap();
    let (_, first) = scan_json(&[root], &[]);
    fs::write(root.join("a.yaml"), format!("# moved down\n\n{SECRET}")).unwrap();
    let (_, moved) = scan_json(&[root], &[]);
    assert_eq!(
        first["findings"][0]["fingerprint"],
        moved["findings"][0]["fingerprint"]
    );
    fs::write(root.join(".sealant.yaml"), "fingerprint-salt: other\n").unwrap();
    let (_, salted) = scan_json(&[root], &[]);
    assert_ne!(
        first["findings"][0]["fingerprint"],
        salted["findings"][0]["fingerprint"]
    );
}

#[test]
fn hostile_input_gives_notes_never_a_crash() {
    let repo = scratch_repo();
    let root = repo.path();
    fs::write(
        root.join("invalid.yaml"),
        "apiVersion: v1\nkind: Secret\nstringData: {a: [unclosed\n",
    )
    .unwrap();
    let mut bomb = String::from("kind: Secret\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 0..30 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("a{}", i - 1)
        };
        bomb.push_str(&format!("a{i}: &a{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    bomb.push_str("stringData: {password: bomb-PLANTED-Y1}\n");
    fs::write(root.join("bomb.yaml"), bomb).unwrap();
    let big = fs::File::create(root.join("big.yaml")).unwrap();
    big.set_len(100 * 1024 * 1024).unwrap();
    fs::write(
        root.join("binary.yaml"),
        b"kind: Secret\0\x01\x02stringData: {a: b}",
    )
    .unwrap();
    fs::write(
        root.join("latin1.yaml"),
        b"kind: Secret\nmetadata: {name: s\xe9}\nstringData: {password: latin-PLANTED-X1}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("loop-b", root.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", root.join("loop-b")).unwrap();

    let (_, report) = scan_json(&[root], &[]);
    let notes = report["summary"]["notes"].to_string();
    assert!(
        notes.contains("invalid.yaml") && notes.contains("not valid YAML"),
        "{notes}"
    );
    assert!(
        notes.contains("big.yaml") && notes.contains("max-file-size"),
        "{notes}"
    );
    assert!(
        notes.contains("loop-a") && notes.contains("symlink loop"),
        "{notes}"
    );
    let paths: BTreeSet<_> = found(&report, "").into_iter().map(|(p, _, _)| p).collect();
    assert!(
        paths.contains("bomb.yaml"),
        "the alias bomb is parsed without expanding it: {paths:?}"
    );
    assert!(!paths.contains("binary.yaml"), "binary files are skipped");
    assert!(
        paths.contains("latin1.yaml"),
        "invalid UTF-8 is still scanned as bytes: {paths:?}"
    );
}

#[test]
fn unreadable_files_are_noted() {
    use std::os::unix::fs::PermissionsExt;
    let repo = scratch_repo();
    let root = repo.path();
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(root.join("locked.yaml"), SECRET).unwrap();
    fs::set_permissions(root.join("locked.yaml"), fs::Permissions::from_mode(0o000)).unwrap();
    let bin = env!("CARGO_BIN_EXE_sealant");
    // Root reads everything: drop to nobody when running as root (as CI does).
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        std::process::Command::new(bin)
    };
    let out = cmd
        .args(["scan", "--format", "json", path_str(root)])
        .output()
        .expect("run sealant");
    let report: Value = serde_json::from_str(&String::from_utf8_lossy(&out.stdout))
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let notes = report["summary"]["notes"].to_string();
    assert!(
        notes.contains("locked.yaml") && notes.contains("unreadable"),
        "{notes}"
    );
}

#[test]
fn init_writes_a_config_that_scan_accepts_and_explain_knows_every_rule() {
    let repo = scratch_repo();
    let out = sealant(&["init", path_str(repo.path())], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = fs::read_to_string(repo.path().join(".sealant.yaml")).unwrap();
    assert!(config.contains("fingerprint-salt:"));
    assert_eq!(
        sealant(&["init", path_str(repo.path())], b"").status.code(),
        Some(2),
        "no overwrite"
    );
    fs::write(repo.path().join("a.yaml"), SECRET).unwrap();
    let (code, _) = scan_json(&[repo.path()], &[]);
    assert_eq!(code, 1);

    let out = sealant(&["explain", "k8s-secret-string-data"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("stringData"), "{}", stdout(&out));
    let out = sealant(&["explain", "no-such-rule"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`sealant rules` lists every rule id"));
}
