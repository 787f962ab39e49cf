//! The pre-push hook against a real bare remote, and the GitHub Action's scan script run with
//! the environment GitHub gives it, in real temp repositories.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{git_command, path_str, sealant_in, stderr, stdout, vector};

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  password: VALUE\n";

fn secret(value: &str) -> String {
    SECRET.replace("VALUE", value)
}

/// PATH with the sealant under test first.
fn path_with_sealant() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_sealant")).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `git` with a fixed identity, no user or system configuration, and the sealant under test
/// on PATH (for the hooks); the exit status is the caller's to judge.
fn git_run(dir: &Path, args: &[&str]) -> Output {
    git_command(dir)
        .args(args)
        .env("PATH", path_with_sealant())
        .output()
        .expect("run git")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_run(dir, args);
    assert!(out.status.success(), "git {args:?}: {}", shown(&out));
    stdout(&out).trim().to_string()
}

fn shown(out: &Output) -> String {
    stdout(out) + &stderr(out)
}

fn commit(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
        git(dir, &["add", name]);
    }
    git(
        dir,
        &[
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            message,
        ],
    );
    git(dir, &["rev-parse", "HEAD"])
}

/// A bare remote whose main already holds a plaintext Secret (pushed with --no-verify, as
/// happens), and a repository pushing to it with the real hooks installed.
fn remote_with_an_old_leak() -> (TempDir, TempDir) {
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["remote", "add", "origin", path_str(remote.path())]);
    let out = sealant_in(Some(root), &["install-hooks"], b"");
    assert!(out.status.success(), "{}", shown(&out));
    commit(root, &[("README.md", "# app\n")], "start");
    commit(
        root,
        &[("old.yaml", &secret("on-the-remote-PLANTED-31"))],
        "old leak",
    );
    git(root, &["push", "-q", "--no-verify", "-u", "origin", "main"]);
    (remote, work)
}

fn push(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["push", "-q"];
    all.extend_from_slice(args);
    git_run(dir, &all)
}

#[test]
fn pre_push_of_a_new_branch_checks_only_commits_the_remote_lacks() {
    let (_remote, work) = remote_with_an_old_leak();
    let root = work.path();
    git(root, &["checkout", "-q", "-b", "docs", "main"]);
    commit(root, &[("NOTES.md", "notes\n")], "docs only");
    let out = push(root, &["origin", "docs"]);
    assert!(
        out.status.success(),
        "a README-only branch pushes: {}",
        shown(&out)
    );

    git(root, &["checkout", "-q", "-b", "leak", "main"]);
    commit(
        root,
        &[("new.yaml", &secret("new-branch-PLANTED-32"))],
        "leak",
    );
    let out = push(root, &["origin", "leak"]);
    assert!(!out.status.success(), "a branch adding a Secret is blocked");
    let text = shown(&out);
    assert!(
        text.contains("new.yaml") && !text.contains("old.yaml") && !text.contains("PLANTED"),
        "{text}"
    );

    let out = push(root, &["origin", "--delete", "docs"]);
    assert!(out.status.success(), "a deletion pushes: {}", shown(&out));
}

#[test]
fn pre_push_blocks_a_force_push_that_rewrites_a_commit_to_add_a_secret() {
    let (_remote, work) = remote_with_an_old_leak();
    let root = work.path();
    git(root, &["checkout", "-q", "-b", "docs", "main"]);
    commit(root, &[("NOTES.md", "notes\n")], "docs");
    let out = push(root, &["origin", "docs"]);
    assert!(out.status.success(), "{}", shown(&out));
    fs::write(root.join("s.yaml"), secret("rewritten-PLANTED-33")).unwrap();
    git(root, &["add", "s.yaml"]);
    git(
        root,
        &[
            "commit",
            "-q",
            "--no-verify",
            "--amend",
            "-m",
            "docs, rewritten",
        ],
    );
    let out = push(root, &["-f", "origin", "docs"]);
    assert!(
        !out.status.success(),
        "the rewritten commit's Secret is blocked"
    );
    assert!(shown(&out).contains("s.yaml"), "{}", shown(&out));
}

#[test]
fn pre_push_force_over_commits_never_fetched_checks_only_what_the_remote_lacks() {
    let (remote, work) = remote_with_an_old_leak();
    let root = work.path();
    git(root, &["checkout", "-q", "-b", "docs", "main"]);
    commit(root, &[("NOTES.md", "notes\n")], "docs");
    let out = push(root, &["origin", "docs"]);
    assert!(out.status.success(), "{}", shown(&out));
    // Someone else moves the branch on; this clone never fetches it.
    let other = tempfile::tempdir().unwrap();
    git(
        other.path(),
        &["clone", "-q", "-b", "docs", path_str(remote.path()), "c"],
    );
    let other = other.path().join("c");
    commit(&other, &[("more.md", "more\n")], "theirs");
    git(&other, &["push", "-q", "--no-verify", "origin", "docs"]);

    git(
        root,
        &[
            "commit",
            "-q",
            "--no-verify",
            "--amend",
            "-m",
            "docs, reworded",
        ],
    );
    let out = push(root, &["-f", "origin", "docs"]);
    assert!(
        out.status.success(),
        "a clean rewrite pushes over a sha this clone lacks: {}",
        shown(&out)
    );
    commit(root, &[("s.yaml", &secret("forced-PLANTED-34"))], "leak");
    let out = push(root, &["-f", "origin", "docs"]);
    assert!(!out.status.success(), "a forced Secret is blocked");
    let text = shown(&out);
    assert!(
        text.contains("s.yaml") && !text.contains("old.yaml"),
        "{text}"
    );
}

#[test]
fn not_remote_needs_a_walk_and_a_plain_remote_name() {
    let (_remote, work) = remote_with_an_old_leak();
    let root = work.path();
    for args in [
        &["scan", "--not-remote", "origin"][..],
        &["scan", "--history", "--not-remote", "a b"][..],
        &["scan", "--history", "--not-remote", ""][..],
    ] {
        let out = sealant_in(Some(root), args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", shown(&out));
        assert!(stderr(&out).contains("--not-remote"), "{}", shown(&out));
    }
    // Everything main holds is on origin: nothing is left to scan.
    let out = sealant_in(
        Some(root),
        &[
            "scan",
            "--history",
            "--ref",
            "main",
            "--not-remote",
            "origin",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", shown(&out));
    let out = sealant_in(
        Some(root),
        &["scan", "--range", "main~1..main ^origin/main"],
        b"",
    );
    assert!(out.status.success(), "{}", shown(&out));
    let out = sealant_in(Some(root), &["scan", "--range", "main~1..main oops"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
}

#[test]
fn sarif_option_writes_the_same_scan_beside_the_chosen_format() {
    let (_remote, work) = remote_with_an_old_leak();
    let root = work.path();
    let out_dir = tempfile::tempdir().unwrap();
    let sarif = out_dir.path().join("r.sarif");
    let out = sealant_in(
        Some(root),
        &["scan", "--format", "github", "--sarif", path_str(&sarif)],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    assert!(stdout(&out).contains("::error"), "{}", shown(&out));
    let report: Value = serde_json::from_slice(&fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(uris(&report), ["old.yaml"]);
    assert!(!fs::read_to_string(&sarif).unwrap().contains("PLANTED"));
}

/// The files the SARIF report's results point at.
fn uris(report: &Value) -> Vec<String> {
    let mut uris: Vec<String> = report["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    uris.sort();
    uris.dedup();
    uris
}

/// What the Action's scan step did: exit code, log, the SARIF report if written, and the step
/// outputs.
struct ActionRun {
    code: i32,
    log: String,
    sarif: Option<Value>,
    outputs: String,
}

/// Runs scripts/action-scan.sh in `dir` as action.yml does, `env` being the inputs and event.
fn action_scan(dir: &Path, env: &[(&str, &str)]) -> ActionRun {
    let scratch = tempfile::tempdir().unwrap();
    let sarif = scratch.path().join("sealant.sarif");
    let outputs = scratch.path().join("outputs");
    let runner_temp = scratch.path().join("tmp");
    fs::create_dir(&runner_temp).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-scan.sh");
    let out = Command::new("bash")
        .arg(&script)
        .current_dir(dir)
        .env("PATH", path_with_sealant())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("SARIF_FILE", &sarif)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", &runner_temp)
        .env("MODE", "range")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(
        fs::read_dir(&runner_temp).unwrap().count(),
        0,
        "the keys file is removed"
    );
    ActionRun {
        code: out.status.code().unwrap(),
        log: shown(&out),
        sarif: fs::read(&sarif)
            .ok()
            .map(|b| serde_json::from_slice(&b).expect("the SARIF report parses")),
        outputs: fs::read_to_string(outputs).unwrap_or_default(),
    }
}

/// A clone of a remote whose main holds an old leak, on a new branch that adds a Secret;
/// returns the remote, the clone, main's sha and the branch's.
fn clone_with_a_new_branch() -> (TempDir, TempDir, PathBuf, String, String) {
    let (remote, _work) = remote_with_an_old_leak();
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["clone", "-q", path_str(remote.path()), "c"]);
    let root = dir.path().join("c");
    let main = git(&root, &["rev-parse", "HEAD"]);
    git(&root, &["checkout", "-q", "-b", "feature"]);
    let head = commit(&root, &[("new.yaml", &secret("branch-PLANTED-35"))], "leak");
    (remote, dir, root, main, head)
}

fn assert_scanned_only_the_branch(run: &ActionRun, notice: &str) {
    assert_eq!(run.code, 1, "{}", run.log);
    assert!(
        run.log.contains("::notice title=sealant::") && run.log.contains(notice),
        "{}",
        run.log
    );
    assert!(!run.log.contains("PLANTED"), "{}", run.log);
    let sarif = run.sarif.as_ref().expect("a SARIF report");
    assert_eq!(uris(sarif), ["new.yaml"], "{}", run.log);
    assert!(run.outputs.contains("sarif-file="), "{}", run.outputs);
}

#[test]
fn action_on_a_new_branch_push_scans_from_the_merge_base_with_the_default_branch() {
    let (_remote, _dir, root, _main, head) = clone_with_a_new_branch();
    let zero = "0".repeat(40);
    let keys = fs::read_to_string(vector("key2048.pem")).unwrap();
    let run = action_scan(
        &root,
        &[
            ("BASE_SHA", &zero),
            ("HEAD_SHA", &head),
            ("DEFAULT_BRANCH", "main"),
            ("KEYS", &keys),
            ("ARGS", "--threads 1"),
        ],
    );
    assert_scanned_only_the_branch(&run, "new branch");
    assert!(
        run.log.contains("merge base with origin/main"),
        "{}",
        run.log
    );
    assert!(!run.log.contains("PRIVATE KEY"), "{}", run.log);
}

#[test]
fn action_on_a_force_push_scans_from_the_merge_base_with_the_default_branch() {
    let (_remote, _dir, root, _main, head) = clone_with_a_new_branch();
    let run = action_scan(
        &root,
        &[
            ("BASE_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("HEAD_SHA", &head),
            ("DEFAULT_BRANCH", "main"),
        ],
    );
    assert_scanned_only_the_branch(&run, "is not in the clone");
    assert!(
        run.log.contains("merge base with origin/main"),
        "{}",
        run.log
    );
}

#[test]
fn action_on_a_pull_request_scans_base_to_head() {
    let (_remote, _dir, root, main, head) = clone_with_a_new_branch();
    let run = action_scan(
        &root,
        &[
            ("BASE_SHA", &main),
            ("HEAD_SHA", &head),
            ("DEFAULT_BRANCH", "main"),
        ],
    );
    assert_scanned_only_the_branch(&run, &format!("scanning the commits of {main}..{head}"));
}

#[test]
fn action_without_a_default_branch_scans_the_working_tree_and_says_so() {
    let (_remote, work) = remote_with_an_old_leak();
    let root = work.path();
    git(root, &["remote", "remove", "origin"]);
    let head = git(root, &["rev-parse", "HEAD"]);
    let run = action_scan(root, &[("BASE_SHA", &"0".repeat(40)), ("HEAD_SHA", &head)]);
    assert_eq!(run.code, 1, "{}", run.log);
    assert!(run.log.contains("scanning the working tree"), "{}", run.log);
    assert_eq!(uris(run.sarif.as_ref().unwrap()), ["old.yaml"]);
}
