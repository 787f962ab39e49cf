//! Silent misses and wrong exits: encodings, binary sniffing, aliases, missing paths, where
//! the configuration is looked for, closed output pipes.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::{expect, found, git, path_str, sealant, sealant_in, stderr, stdout, testdata};

/// A Secret whose value only the YAML detector finds (no credential rule matches it), its
/// value on line 5.
const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  token: misses-PLANTED-Q7\n";

fn scratch_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

/// `sealant scan --format json` in `dir` (or the crate's directory); exit code and report.
fn scan_json(dir: Option<&Path>, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json", "--color", "never"];
    all.extend_from_slice(args);
    let out = sealant_in(dir, &all, b"");
    let code = out.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "scan failed ({code}): {}",
        stderr(&out)
    );
    let report =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    (code, report)
}

fn with_bom(bom: &[u8], units: impl Iterator<Item = [u8; 2]>) -> Vec<u8> {
    bom.iter().copied().chain(units.flatten()).collect()
}

#[test]
fn a_secret_in_utf16_or_utf32_with_a_bom_is_found_on_its_line() {
    let repo = scratch_repo();
    let root = repo.path();
    // A first line with a non-ASCII character, so a wrong offset mapping shows.
    let text = format!("# caf\u{e9} \u{1f600}\n{SECRET}");
    let utf16 = |f: fn(u16) -> [u8; 2]| text.encode_utf16().map(f).collect::<Vec<_>>();
    let utf32 =
        |f: fn(u32) -> [u8; 4]| -> Vec<u8> { text.chars().flat_map(|c| f(c as u32)).collect() };
    let files: [(&str, Vec<u8>); 4] = [
        (
            "utf16le.yaml",
            with_bom(b"\xff\xfe", utf16(u16::to_le_bytes).into_iter()),
        ),
        (
            "utf16be.yaml",
            with_bom(b"\xfe\xff", utf16(u16::to_be_bytes).into_iter()),
        ),
        (
            "utf32le.yaml",
            [&b"\xff\xfe\0\0"[..], &utf32(u32::to_le_bytes)].concat(),
        ),
        (
            "utf32be.yaml",
            [&b"\0\0\xfe\xff"[..], &utf32(u32::to_be_bytes)].concat(),
        ),
    ];
    for (name, bytes) in &files {
        fs::write(root.join(name), bytes).unwrap();
    }
    let (code, report) = scan_json(None, &[path_str(root)]);
    assert_eq!(code, 1);
    let want: Vec<_> = files
        .iter()
        .map(|(name, _)| (*name, "k8s-secret-string-data", 6))
        .collect();
    assert_eq!(found(&report, ""), expect(&want));
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["column"], 10, "{f}");
    }
    // The human report's code frame redacts the value in the decoded text.
    let out = sealant(&["scan", "--color", "never", path_str(root)], b"");
    let human = stdout(&out);
    assert!(human.contains("token: <redacted>"), "{human}");
    assert!(!human.contains("misses-PLANTED"), "{human}");
}

/// `text` with its `~` replaced by `byte`.
fn with_byte(text: &str, byte: u8) -> Vec<u8> {
    text.bytes()
        .map(|b| if b == b'~' { byte } else { b })
        .collect()
}

#[test]
fn a_stray_invalid_byte_or_a_nul_does_not_hide_a_secret() {
    let repo = scratch_repo();
    let root = repo.path();
    let files: [(&str, Vec<u8>); 5] = [
        ("nul-at-end.yaml", [SECRET.as_bytes(), b"\0"].concat()),
        (
            "nul-in-comment.yaml",
            [b"# \0\n", SECRET.as_bytes()].concat(),
        ),
        (
            "invalid-in-comment.yaml",
            [b"# caf\xe9\n", SECRET.as_bytes()].concat(),
        ),
        (
            "invalid-in-name.yaml",
            with_byte(&SECRET.replace("name: s,", "name: s~,"), 0xff),
        ),
        (
            "control-in-value.yaml",
            SECRET.replace("Q7", "Q7\u{7}").into_bytes(),
        ),
    ];
    for (name, bytes) in &files {
        fs::write(root.join(name), bytes).unwrap();
    }
    let (code, report) = scan_json(None, &[path_str(root)]);
    assert_eq!(code, 1);
    let line = |name: &str| if name.ends_with("comment.yaml") { 6 } else { 5 };
    let want: Vec<_> = files
        .iter()
        .map(|(name, _)| (*name, "k8s-secret-string-data", line(name)))
        .collect();
    assert_eq!(found(&report, ""), expect(&want));
    assert_eq!(report["summary"]["files_skipped"], 0);
}

#[test]
fn a_binary_file_is_skipped_with_a_note_and_counted_in_the_summary() {
    let repo = scratch_repo();
    let root = repo.path();
    fs::write(
        root.join("image.yaml"),
        [&b"\x89PNG\r\n\x1a\n"[..], SECRET.as_bytes()].concat(),
    )
    .unwrap();
    let mut noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
        .collect();
    noise.extend_from_slice(SECRET.as_bytes());
    fs::write(root.join("noise.bin"), noise).unwrap();
    fs::write(root.join("kept.yaml"), SECRET).unwrap();
    let (_, report) = scan_json(None, &[path_str(root)]);
    assert_eq!(
        found(&report, ""),
        expect(&[("kept.yaml", "k8s-secret-string-data", 5)])
    );
    assert_eq!(
        report["summary"]["files_skipped"], 2,
        "{}",
        report["summary"]
    );
    let notes = report["summary"]["notes"].to_string();
    assert!(
        notes.contains("image.yaml") && notes.contains("binary"),
        "{notes}"
    );
    assert!(
        notes.contains("noise.bin") && notes.contains("binary"),
        "{notes}"
    );
    let human = stdout(&sealant(&["scan", "--color", "never", path_str(root)], b""));
    assert!(human.contains("2 files skipped"), "{human}");
}

#[test]
fn aliased_secret_data_is_found_at_the_anchored_value() {
    let repo = scratch_repo();
    let root = repo.path();
    let head = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n";
    fs::write(
        root.join("map.yaml"),
        format!("{head}x: &x {{token: misses-PLANTED-A1}}\nstringData: *x\n"),
    )
    .unwrap();
    fs::write(
        root.join("value.yaml"),
        format!("{head}x: &t misses-PLANTED-A2\nstringData:\n  token: *t\n"),
    )
    .unwrap();
    fs::write(
        root.join("merge.yaml"),
        format!("{head}x: &x {{token: bWlzc2VzLVBMQU5URUQtQTM=}}\ndata:\n  <<: *x\n"),
    )
    .unwrap();
    let (code, report) = scan_json(None, &[path_str(root)]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&report, ""),
        expect(&[
            ("map.yaml", "k8s-secret-string-data", 4),
            ("value.yaml", "k8s-secret-string-data", 4),
            ("merge.yaml", "k8s-secret-data", 4),
        ])
    );
}

#[test]
fn an_alias_too_costly_to_expand_in_secret_data_is_a_finding() {
    let repo = scratch_repo();
    let root = repo.path();
    let mut doc = String::from(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\na0: &a0 [x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..30 {
        let p = i - 1;
        doc.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    doc.push_str("stringData: {token: *a29}\n");
    fs::write(root.join("bomb.yaml"), &doc).unwrap();
    let (code, report) = scan_json(None, &[path_str(root)]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&report, ""),
        expect(&[("bomb.yaml", "k8s-secret-aliased-data", 34)])
    );
}

#[test]
fn a_scan_path_that_does_not_exist_is_an_error() {
    let repo = scratch_repo();
    let root = repo.path();
    fs::write(root.join("s.yaml"), SECRET).unwrap();
    let missing = root.join("no-such-dir");
    for args in [
        vec!["scan", path_str(&missing)],
        vec!["scan", path_str(root), path_str(&missing)],
        vec!["scan", "--fix", "--dry-run", path_str(&missing)],
        vec!["scan", "--config", path_str(&missing), path_str(root)],
        vec!["scan", "--baseline", path_str(&missing), path_str(root)],
        vec!["scan", "--keys", path_str(&missing), path_str(root)],
    ] {
        let out = sealant(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("no-such-dir"), "{}", stderr(&out));
    }
}

#[test]
fn git_modes_refuse_a_path_that_names_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    fs::create_dir(root.join("gone")).unwrap();
    fs::write(root.join("gone/s.yaml"), SECRET).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "one"]);
    git(root, &["rm", "-q", "-r", "gone"]);
    git(root, &["commit", "-q", "-m", "two"]);
    let out = sealant_in(Some(root), &["scan", "--history", "no-such-dir"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no-such-dir"), "{}", stderr(&out));
    let out = sealant_in(Some(root), &["scan", "--staged", "no-such-file.yaml"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A directory only the history holds is a path to scan there.
    let out = sealant_in(Some(root), &["scan", "--history", "gone"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// A configuration that switches scanning off: every file is over the size cap.
const SCANS_NOTHING: &str = "max-file-size: 1\n";

#[test]
fn a_config_above_the_repository_root_is_not_honoured() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join(".sealant.yaml"), SCANS_NOTHING).unwrap();
    let repo = outer.path().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::create_dir_all(repo.join("apps")).unwrap();
    fs::write(repo.join("apps/s.yaml"), SECRET).unwrap();
    for dir in [repo.clone(), repo.join("apps")] {
        let (code, report) = scan_json(Some(&dir), &[]);
        assert_eq!(code, 1, "{}", report["summary"]);
        assert_eq!(found(&report, "").len(), 1);
    }
    // `.git` as a file (a linked worktree) bounds the search too.
    fs::remove_dir(repo.join(".git")).unwrap();
    fs::write(repo.join(".git"), "gitdir: /nowhere\n").unwrap();
    let (code, _) = scan_json(None, &[path_str(&repo.join("apps"))]);
    assert_eq!(code, 1);
    // The repository's own config is honoured from below.
    fs::write(repo.join(".sealant.yaml"), SCANS_NOTHING).unwrap();
    let (code, _) = scan_json(None, &[path_str(&repo.join("apps"))]);
    assert_eq!(code, 0);
}

#[test]
fn outside_a_repository_only_the_scanned_directory_holds_the_config() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join(".sealant.yaml"), SCANS_NOTHING).unwrap();
    let work = outer.path().join("work");
    fs::create_dir_all(work.join("apps")).unwrap();
    fs::write(work.join("apps/s.yaml"), SECRET).unwrap();
    // Above the scanned directory: not honoured, named relative or absolute, or from `.`.
    for (cwd, path) in [
        (work.clone(), "apps".to_string()),
        (work.join("apps"), path_str(&work.join("apps")).to_string()),
        (work.join("apps"), ".".to_string()),
    ] {
        let (code, _) = scan_json(Some(&cwd), &[&path]);
        assert_eq!(code, 1, "{cwd:?} {path}");
    }
    let (code, _) = scan_json(Some(&work.join("apps")), &[]);
    assert_eq!(code, 1);
    // In the scanned directory itself (the working directory when no path is named).
    fs::write(work.join("apps/.sealant.yaml"), SCANS_NOTHING).unwrap();
    let (code, _) = scan_json(Some(&work), &["apps"]);
    assert_eq!(code, 0);
    let (code, _) = scan_json(Some(&work.join("apps")), &[]);
    assert_eq!(code, 0);
}

/// Runs sealant with stdout and/or stderr a pipe whose reading end is already closed.
fn with_closed_pipes(args: &[&str], close_stdout: bool, close_stderr: bool) -> Output {
    // The writing end of a pipe whose reader has exited: `true`'s standard input.
    let closed = || {
        let mut reader = Command::new("true")
            .stdin(Stdio::piped())
            .spawn()
            .expect("run true");
        let writer = reader.stdin.take().expect("stdin");
        reader.wait().expect("wait for true");
        Stdio::from(writer)
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sealant"));
    cmd.args(args).stdin(Stdio::null());
    cmd.stdout(if close_stdout {
        closed()
    } else {
        Stdio::piped()
    });
    cmd.stderr(if close_stderr {
        closed()
    } else {
        Stdio::piped()
    });
    cmd.output().expect("run sealant")
}

#[test]
fn closed_output_pipes_end_the_run_quietly_with_its_exit_code() {
    let demo = testdata("demo");
    let demo = path_str(&demo);
    let missing = "no-such-dir-for-pipes";
    let cases: [(&[&str], bool, bool, i32); 6] = [
        (&["scan", demo], true, false, 1),
        (&["scan", demo], true, true, 1),
        (&["scan", "--format", "json", demo], true, false, 1),
        (&["scan", missing], false, true, 2),
        (&["scan", missing], true, true, 2),
        (&["scan", "--fix", "--dry-run", demo], false, true, 1),
    ];
    for (args, close_stdout, close_stderr, want) in cases {
        let out = with_closed_pipes(args, close_stdout, close_stderr);
        assert_eq!(
            out.status.code(),
            Some(want),
            "{args:?} stdout closed {close_stdout}, stderr closed {close_stderr}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        if close_stdout && !close_stderr {
            assert_eq!(stderr(&out), "", "a closed stdout is not an error");
        }
    }
}

#[test]
fn fixing_an_aliased_secret_never_shows_its_value_and_seals_the_whole_document() {
    let repo = scratch_repo();
    let root = repo.path();
    std::fs::copy(crate::common::vector("cert2048.pem"), root.join("cert.pem")).unwrap();
    let fp = stdout(&sealant_in(
        Some(root),
        &["cert", "fingerprint", "cert.pem"],
        b"",
    ));
    let fp = fp.trim();
    fs::write(
        root.join(".sealant.yaml"),
        format!("certs:\n  - name: c\n    cert: cert.pem\n    sha256: {fp}\n    paths: [\"**\"]\n"),
    )
    .unwrap();
    fs::write(
        root.join("s.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nx: &x {token: misses-PLANTED-F1}\nstringData: *x\n",
    )
    .unwrap();
    let root_arg = path_str(root);
    let out = sealant(
        &["scan", "--fix", "--dry-run", "--color", "never", root_arg],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let shown = format!("{}{}", stdout(&out), stderr(&out));
    assert!(shown.contains("+kind: SealedSecret"), "{shown}");
    assert!(!shown.contains("misses-PLANTED"), "{shown}");
    let out = sealant(&["scan", "--fix", "--color", "never", root_arg], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fixed = fs::read_to_string(root.join("s.yaml")).unwrap();
    assert!(fixed.contains("kind: SealedSecret"), "{fixed}");
    assert!(
        !fixed.contains("misses-PLANTED") && !fixed.contains("*x"),
        "{fixed}"
    );
}
