//! `sealant scan -`: one stream from standard input (`kubectl kustomize DIR | sealant scan -`).

use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::{fails, path_str, sealant_in, stderr, stdout};

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  password: VALUE\n";

fn secret(value: &str) -> String {
    SECRET.replace("VALUE", value)
}

/// `sealant scan - ARGS` in `dir` with `input` on stdin; no planted value in either stream.
fn scan_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut all = vec!["scan", "-"];
    all.extend_from_slice(args);
    let out = sealant_in(Some(dir), &all, input);
    let shown = stdout(&out) + &stderr(&out);
    assert!(!shown.contains("PLANTED"), "{shown}");
    out
}

/// The JSON report and exit code.
fn json(dir: &Path, args: &[&str], input: &[u8]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = scan_stdin(dir, &all, input);
    let code = out.status.code().unwrap();
    assert!(code <= 1, "{}", stderr(&out));
    (code, serde_json::from_str(&stdout(&out)).unwrap())
}

fn paths(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect()
}

#[test]
fn a_secret_on_stdin_is_found_and_redacted_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let input = secret("stdin-PLANTED-50");
    let human = scan_stdin(root, &["--color", "never"], input.as_bytes());
    assert_eq!(human.status.code(), Some(1), "{}", stderr(&human));
    let text = stdout(&human);
    assert!(
        text.contains("[<stdin>:5:13]") && text.contains("password: <redacted>"),
        "a code frame from the stream's bytes:\n{text}"
    );

    let (code, report) = json(root, &[], input.as_bytes());
    assert_eq!((code, paths(&report)), (1, vec!["<stdin>"]));
    assert_eq!(report["findings"][0]["rule"], "k8s-secret-string-data");
    assert_eq!(report["findings"][0]["line"], 5);

    let sarif = scan_stdin(root, &["--format", "sarif"], input.as_bytes());
    assert_eq!(sarif.status.code(), Some(1));
    let sarif: Value = serde_json::from_str(&stdout(&sarif)).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "%3Cstdin%3E");
    assert_eq!(location["region"]["startLine"], 5);

    let github = scan_stdin(root, &["--format", "github"], input.as_bytes());
    assert_eq!(github.status.code(), Some(1));
    assert!(stdout(&github).contains("::error"), "{}", stdout(&github));

    // UTF-16 with a BOM is decoded, as for files.
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(input.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let (code, report) = json(root, &[], &utf16);
    assert_eq!((code, paths(&report)), (1, vec!["<stdin>"]));
    // `--fail-on` as for files.
    let (code, _) = json(root, &["--fail-on", "error"], CLEAN.as_bytes());
    assert_eq!(code, 0);
}

const CLEAN: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";

#[test]
fn stdin_filename_is_the_path_for_excludes_findings_and_the_file_type() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join(".git")).unwrap();
    fs::write(root.join(".sealant.yaml"), "exclude: [\"rendered/**\"]\n").unwrap();
    let input = secret("named-PLANTED-51");

    let (code, report) = json(
        root,
        &["--stdin-filename", "overlays/prod.yaml"],
        input.as_bytes(),
    );
    assert_eq!((code, paths(&report)), (1, vec!["overlays/prod.yaml"]));
    let human = scan_stdin(
        root,
        &["--stdin-filename", "overlays/prod.yaml", "--color", "never"],
        input.as_bytes(),
    );
    assert!(
        stdout(&human).contains("[overlays/prod.yaml:5:13]"),
        "{}",
        stdout(&human)
    );

    let (code, report) = json(
        root,
        &["--stdin-filename", "rendered/prod.yaml"],
        input.as_bytes(),
    );
    assert_eq!(
        (code, paths(&report)),
        (0, vec![]),
        "excluded by .sealant.yaml"
    );
    assert_eq!(report["summary"]["files_scanned"], 0);
    assert_eq!(report["summary"]["notes"][0]["path"], "rendered/prod.yaml");

    // The name's extension decides which rules apply: an env file is not YAML.
    let env = b"DB_PASSWORD=Zq8Lm2Vt9Rw3Xy7-PLANTED-52\n";
    let (code, report) = json(root, &[], env);
    assert_eq!(
        (code, paths(&report)),
        (0, vec![]),
        "read as YAML by default"
    );
    let (code, report) = json(root, &["--stdin-filename", "app/prod.env"], env);
    assert_eq!((code, paths(&report)), (1, vec!["app/prod.env"]));
    assert_eq!(report["findings"][0]["rule"], "generic-secret-env");
}

#[test]
fn empty_stdin_is_a_clean_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = json(dir.path(), &[], b"");
    assert_eq!((code, paths(&report)), (0, vec![]));
    assert_eq!(report["summary"]["files_scanned"], 1);
}

#[test]
fn a_binary_stream_is_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(secret("binary-PLANTED-53").as_bytes());
    let (code, report) = json(dir.path(), &[], &png);
    assert_eq!((code, paths(&report)), (0, vec![]));
    assert_eq!(report["summary"]["files_skipped"], 1);
    let note = report["summary"]["notes"][0].to_string();
    assert!(
        note.contains("<stdin>") && note.contains("binary"),
        "{note}"
    );
}

#[test]
fn stdin_over_the_size_cap_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let big = format!("{}# {}\n", secret("big-PLANTED-54"), "x".repeat(2000));
    let default_cap = vec![b'#'; 10 * 1024 * 1024 + 1];
    let err = fails(scan_stdin(root, &[], &default_cap));
    assert!(
        err.contains("<stdin>") && err.contains("max-file-size (10485760 bytes)"),
        "{err}"
    );
    fs::write(root.join(".sealant.yaml"), "max-file-size: 1000\n").unwrap();
    let err = fails(scan_stdin(root, &[], big.as_bytes()));
    assert!(err.contains("max-file-size (1000 bytes)"), "{err}");
}

#[test]
fn stdin_is_refused_with_fix_other_paths_and_git_modes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.yaml"), CLEAN).unwrap();
    let input = secret("refused-PLANTED-55");
    for (args, says) in [
        (&["--fix"][..], "--fix cannot seal standard input"),
        (&["a.yaml"][..], "cannot be combined with other paths"),
        (&["--staged"][..], "cannot be combined with --staged"),
        (&["--range", "HEAD"][..], "cannot be combined with --staged"),
        (&["--history"][..], "cannot be combined with --staged"),
    ] {
        let err = fails(scan_stdin(root, args, input.as_bytes()));
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let out = sealant_in(
        Some(root),
        &["scan", "--stdin-filename", "x.yaml", path_str(root)],
        b"",
    );
    assert!(fails(out).contains("--stdin-filename"));
}

/// Frames find the values to redact by the file's type; `<stdin>` has none of its own, yet a
/// value that is not reported (here baselined) beside a reported one stays hidden.
#[test]
fn a_frame_of_stdin_hides_an_unreported_value_on_the_same_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let head = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n";
    let known = format!("{head}stringData: {{token: known-PLANTED-56}}\n");
    let both = format!("{head}stringData: {{token: known-PLANTED-56, password: new-PLANTED-57}}\n");
    let baseline = root.join("baseline.json");
    let out = scan_stdin(
        root,
        &["--write-baseline", path_str(&baseline)],
        known.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan_stdin(
        root,
        &["--baseline", path_str(&baseline), "--color", "never"],
        both.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("password: <redacted>") && text.contains("1 suppressed"),
        "{text}"
    );
}
