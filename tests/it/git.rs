//! Git-aware scanning on real repositories made in temp dirs, the hooks, and the pre-commit
//! framework consuming this repository's `.pre-commit-hooks.yaml`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{git, path_str, sealant_in, stderr, stdout};

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  password: VALUE\n";
const CLEAN: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";

fn secret(value: &str) -> String {
    SECRET.replace("VALUE", value)
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

fn commit(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (name, text) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        git(dir, &["add", name]);
    }
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    String::from_utf8(git(dir, &["rev-parse", "HEAD"]).stdout)
        .unwrap()
        .trim()
        .to_string()
}

fn scan(dir: &Path, args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = sealant_in(Some(dir), &all, b"");
    let code = out.status.code().unwrap();
    assert!(code <= 1, "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    (code, report["findings"].as_array().unwrap().clone())
}

#[test]
fn history_finds_a_deleted_secret_with_its_commit_and_not_at_head() {
    let dir = repo();
    let root = dir.path();
    let added = commit(
        root,
        &[("app/secret.yaml", &secret("history-PLANTED-1"))],
        "add",
    );
    fs::remove_file(root.join("app/secret.yaml")).unwrap();
    git(root, &["rm", "-q", "--cached", "app/secret.yaml"]);
    commit(root, &[("app/config.yaml", CLEAN)], "remove it");
    let kept = commit(
        root,
        &[("other/secret.yaml", &secret("history-PLANTED-2"))],
        "another",
    );

    let (code, findings) = scan(root, &["--history"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let by_path = |p: &str| {
        findings
            .iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("{p}: {findings:#?}"))
    };
    let gone = by_path("app/secret.yaml");
    assert_eq!(gone["commit"]["id"], added.as_str());
    assert_eq!(gone["commit"]["at_head"], false);
    assert!(gone["commit"]["time"].as_i64().unwrap() > 1_600_000_000);
    let here = by_path("other/secret.yaml");
    assert_eq!(
        (
            here["commit"]["id"].as_str().unwrap(),
            here["commit"]["at_head"].as_bool()
        ),
        (kept.as_str(), Some(true))
    );
    let text = serde_json::to_string(&findings).unwrap();
    assert!(!text.contains("history-PLANTED"));
}

#[test]
fn history_reports_a_value_once_with_the_commit_that_brought_it() {
    let dir = repo();
    let root = dir.path();
    let first = commit(root, &[("s.yaml", &secret("same-PLANTED-3"))], "add");
    commit(
        root,
        &[("s.yaml", &format!("# moved\n{}", secret("same-PLANTED-3")))],
        "edit around it",
    );
    let (_, findings) = scan(root, &["--history"]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["commit"]["id"], first.as_str());
    assert_eq!(findings[0]["commit"]["at_head"], true);
}

#[test]
fn staged_reads_the_index_not_the_working_tree() {
    let dir = repo();
    let root = dir.path();
    commit(root, &[("base.yaml", CLEAN)], "init");
    // Only in the working tree: not staged, not reported.
    fs::write(root.join("unstaged.yaml"), secret("worktree-PLANTED-4")).unwrap();
    let (code, findings) = scan(root, &["--staged"]);
    assert_eq!((code, findings.len()), (0, 0), "{findings:#?}");

    // Partially staged: the staged content has the secret, the working tree no longer does.
    fs::write(root.join("partial.yaml"), secret("staged-PLANTED-5")).unwrap();
    git(root, &["add", "partial.yaml"]);
    fs::write(root.join("partial.yaml"), CLEAN).unwrap();
    let (code, findings) = scan(root, &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["path"], "partial.yaml");
    assert!(findings[0].get("commit").is_none());
    // The working-tree scan sees the other version.
    let (_, worktree) = scan(root, &[]);
    assert_eq!(
        worktree
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["unstaged.yaml"]
    );

    // And the other way round: a clean staged version of a file with a secret in the worktree.
    git(root, &["add", "partial.yaml"]);
    fs::write(root.join("partial.yaml"), secret("later-PLANTED-6")).unwrap();
    let (code, findings) = scan(root, &["--staged"]);
    assert_eq!((code, findings.len()), (0, 0), "{findings:#?}");
}

#[test]
fn staged_checks_only_the_named_files_and_only_changes_against_head() {
    let dir = repo();
    let root = dir.path();
    commit(
        root,
        &[("committed.yaml", &secret("old-PLANTED-7"))],
        "old leak",
    );
    fs::write(root.join("a.yaml"), secret("a-PLANTED-8")).unwrap();
    fs::write(root.join("b.yaml"), secret("b-PLANTED-9")).unwrap();
    git(root, &["add", "a.yaml", "b.yaml"]);
    let (_, all) = scan(root, &["--staged"]);
    let paths: Vec<&str> = all.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["a.yaml", "b.yaml"],
        "unchanged committed files are not re-checked"
    );
    let (_, named) = scan(root, &["--staged", "b.yaml"]);
    assert_eq!(named.len(), 1);
    assert_eq!(named[0]["path"], "b.yaml");
    // Config excludes hold for named paths in staged mode (the pre-commit gotcha).
    fs::write(root.join(".sealant.yaml"), "exclude: [b.yaml]\n").unwrap();
    let (code, named) = scan(root, &["--staged", "b.yaml"]);
    assert_eq!((code, named.len()), (0, 0));
}

/// The JSON report of a scan in `dir`, with its exit code; no planted value in either stream.
fn scan_report(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = sealant_in(Some(dir), &all, b"");
    let shown = stdout(&out) + &stderr(&out);
    assert!(!shown.contains("PLANTED"), "{shown}");
    let code = out.status.code().unwrap();
    assert!(code <= 1, "{shown}");
    (code, serde_json::from_str(&stdout(&out)).unwrap())
}

fn finding_paths(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect()
}

/// What pre-commit's `run --all-files`, `run --files` and `try-repo` do: name files that are
/// committed and unchanged, or not tracked at all.
#[test]
fn staged_judges_named_files_whether_committed_unchanged_or_untracked() {
    let dir = repo();
    let root = dir.path();
    commit(
        root,
        &[
            ("leak.yaml", &secret("committed-PLANTED-40")),
            ("clean.yaml", CLEAN),
        ],
        "old leak",
    );
    let (code, report) = scan_report(root, &["--staged"]);
    assert_eq!(
        (code, finding_paths(&report)),
        (0, vec![]),
        "no names: changes only"
    );

    let (code, report) = scan_report(root, &["--staged", "leak.yaml", "clean.yaml"]);
    assert_eq!((code, finding_paths(&report)), (1, vec!["leak.yaml"]));
    // The index version, not the working tree's.
    fs::write(root.join("leak.yaml"), CLEAN).unwrap();
    let (code, report) = scan_report(root, &["--staged", "leak.yaml"]);
    assert_eq!((code, finding_paths(&report)), (1, vec!["leak.yaml"]));
    git(root, &["add", "leak.yaml"]);
    let (code, _) = scan_report(root, &["--staged", "leak.yaml"]);
    assert_eq!(code, 0, "a staged fix passes");

    // Untracked: read from the working tree.
    fs::write(root.join("new.yaml"), secret("untracked-PLANTED-41")).unwrap();
    let (code, report) = scan_report(root, &["--staged", "new.yaml", "clean.yaml"]);
    assert_eq!((code, finding_paths(&report)), (1, vec!["new.yaml"]));
    assert_eq!(report["summary"]["files_scanned"], 2);
    fs::write(root.join(".sealant.yaml"), "exclude: [new.yaml]\n").unwrap();
    let (code, report) = scan_report(root, &["--staged", "new.yaml"]);
    assert_eq!(
        (code, report["summary"]["files_scanned"].as_u64()),
        (0, Some(0))
    );
}

/// An untracked named file is read under the repository's path rules: no symlink out of it.
#[cfg(unix)]
#[test]
fn staged_does_not_follow_an_untracked_symlink_out_of_the_repository() {
    let dir = repo();
    let root = dir.path();
    commit(root, &[("clean.yaml", CLEAN)], "init");
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("s.yaml"), secret("outside-PLANTED-42")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("s.yaml"), root.join("link.yaml")).unwrap();
    let (code, report) = scan_report(root, &["--staged", "link.yaml"]);
    assert_eq!((code, finding_paths(&report)), (0, vec![]));
    let notes = report["summary"]["notes"].to_string();
    assert!(
        notes.contains("link.yaml") && notes.contains("symlink"),
        "{notes}"
    );
}

#[test]
fn range_reports_only_what_the_range_introduced() {
    let dir = repo();
    let root = dir.path();
    let base = commit(
        root,
        &[("old.yaml", &secret("before-PLANTED-10"))],
        "before",
    );
    let newer = commit(
        root,
        &[
            ("new.yaml", &secret("inside-PLANTED-11")),
            ("old.yaml", CLEAN),
        ],
        "inside",
    );
    let (code, findings) = scan(root, &["--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["path"], "new.yaml");
    assert_eq!(findings[0]["commit"]["id"], newer.as_str());
    let (_, short) = scan(root, &["--range", &base]);
    assert_eq!(short.len(), 1, "`A` alone means A..HEAD");
    let out = sealant_in(Some(root), &["scan", "--range", "no-such-ref..HEAD"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-ref"), "{}", stderr(&out));
}

#[test]
fn git_modes_outside_a_repository_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = sealant_in(Some(dir.path()), &["scan", "--staged"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not inside a git repository"),
        "{}",
        stderr(&out)
    );
}

fn hook(root: &Path, name: &str) -> PathBuf {
    root.join(".git/hooks").join(name)
}

#[test]
fn install_hooks_installs_chains_and_refuses_to_clobber() {
    let dir = repo();
    let root = dir.path();
    let out = sealant_in(Some(root), &["install-hooks"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let installed = fs::read_to_string(hook(root, "pre-commit")).unwrap();
    assert!(installed.contains("sealant scan --staged"));
    assert!(fs::read_to_string(hook(root, "pre-push"))
        .unwrap()
        .contains("--range"));
    let again = sealant_in(Some(root), &["install-hooks"], b"");
    assert!(stdout(&again).contains("already installed"));

    // A foreign hook is kept and chained.
    let other = repo();
    let root = other.path();
    fs::create_dir_all(root.join(".git/hooks")).unwrap();
    fs::write(hook(root, "pre-commit"), "#!/bin/sh\necho mine\n").unwrap();
    let out = sealant_in(Some(root), &["install-hooks"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept your hook"));
    assert_eq!(
        fs::read_to_string(hook(root, "pre-commit.pre-sealant")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    // Both names taken: refuse and change nothing.
    fs::write(hook(root, "pre-commit"), "#!/bin/sh\necho newer\n").unwrap();
    let out = sealant_in(Some(root), &["install-hooks"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("merge them by hand"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(hook(root, "pre-commit")).unwrap(),
        "#!/bin/sh\necho newer\n"
    );
}

/// PATH with the sealant under test first.
fn path_with_sealant() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_sealant"))
        .parent()
        .unwrap()
        .to_path_buf();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_installed_pre_commit_hook_blocks_a_leak_and_passes_a_clean_commit() {
    let dir = repo();
    let root = dir.path();
    sealant_in(Some(root), &["install-hooks"], b"");
    fs::write(root.join("s.yaml"), secret("hook-PLANTED-12")).unwrap();
    let commit = |root: &Path, file: &str| {
        Command::new("git")
            .args([
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@example.com",
                "commit",
                "-q",
                "-m",
                "x",
                "--",
                file,
            ])
            .current_dir(root)
            .env("PATH", path_with_sealant())
            .output()
            .unwrap()
    };
    git(root, &["add", "s.yaml"]);
    let out = commit(root, "s.yaml");
    assert!(!out.status.success(), "the commit must be blocked");
    let shown =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        shown.contains("k8s-secret-string-data") && !shown.contains("hook-PLANTED"),
        "{shown}"
    );
    git(root, &["rm", "-q", "--cached", "s.yaml"]);
    fs::write(root.join("c.yaml"), CLEAN).unwrap();
    git(root, &["add", "c.yaml"]);
    let out = commit(root, "c.yaml");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The venv bin directory scripts/test.sh prepared; in CI its absence is a failure.
pub(crate) fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("SEALANT_TOOLS").map(|d| PathBuf::from(d).join(name));
    match path.filter(|p| p.exists()) {
        Some(p) => Some(p),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{name} missing: run the tests through scripts/test.sh"
            );
            eprintln!("note: skipping, {name} is not installed (scripts/test.sh installs it)");
            None
        }
    }
}

/// A repository holding this repository's .pre-commit-hooks.yaml, committed, and its rev.
fn hook_repository() -> (tempfile::TempDir, String) {
    let hooks = repo();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        hooks.path().join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(hooks.path(), &["add", ".pre-commit-hooks.yaml"]);
    let rev = commit(hooks.path(), &[], "hooks");
    (hooks, rev)
}

/// A repository whose pre-commit config uses `hook` from [`hook_repository`], with
/// pre-commit installed; returns it, pre-commit's home, and the hooks repository.
fn pre_commit_consumer(hook: &str) -> [tempfile::TempDir; 3] {
    let (hooks, rev) = hook_repository();
    let consumer = repo();
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n",
        path_str(hooks.path())
    );
    commit(
        consumer.path(),
        &[(".pre-commit-config.yaml", &config)],
        "config",
    );
    [consumer, tempfile::tempdir().unwrap(), hooks]
}

/// `program args` in `root`, with the environment pre-commit and its git commits share.
fn hooked(root: &Path, home: &Path, program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(root)
        .env("PATH", path_with_sealant())
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap()
}

#[test]
fn the_pre_commit_framework_runs_the_hook_from_this_repository() {
    let Some(pre_commit) = tool("pre-commit") else {
        return;
    };
    let [consumer, home, _hooks] = pre_commit_consumer("sealant-system");
    let root = consumer.path();
    let command = |program: &Path, args: &[&str]| hooked(root, home.path(), program, args);
    let run = |args: &[&str]| command(&pre_commit, args);
    let out = run(&["install"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    fs::write(root.join("leak.yaml"), secret("precommit-PLANTED-13")).unwrap();
    git(root, &["add", "leak.yaml"]);
    let out = command(Path::new("git"), &["commit", "-q", "-m", "leak"]);
    let shown =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the leak must be blocked:\n{shown}");
    assert!(
        shown.contains("Failed") && shown.contains("leak.yaml") && shown.contains("<redacted>"),
        "{shown}"
    );
    assert!(!shown.contains("precommit-PLANTED"), "{shown}");

    git(root, &["rm", "-q", "--cached", "leak.yaml"]);
    fs::write(root.join("clean.yaml"), CLEAN).unwrap();
    git(root, &["add", "clean.yaml"]);
    let out = run(&["run"]);
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() && shown.contains("Passed"),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `pre-commit run --all-files`, `run --files`, `try-repo` (and pre-commit.ci, which runs
/// `--all-files`) name committed files: a Secret already committed must fail them, not pass.
#[test]
fn the_pre_commit_framework_reports_a_committed_secret_on_all_files_files_and_try_repo() {
    let Some(pre_commit) = tool("pre-commit") else {
        return;
    };
    let [consumer, home, hooks] = pre_commit_consumer("sealant-system");
    let root = consumer.path();
    commit(
        root,
        &[
            ("leak.yaml", &secret("committed-PLANTED-43")),
            ("clean.yaml", CLEAN),
        ],
        "an old leak, committed without the hook",
    );
    fs::write(root.join("new.yaml"), secret("untracked-PLANTED-44")).unwrap();
    let hooks = path_str(hooks.path());
    let try_repo = ["try-repo", hooks, "sealant-system"];
    let runs: [(Vec<&str>, &str); 5] = [
        (vec!["run", "--all-files"], "leak.yaml"),
        (vec!["run", "--files", "leak.yaml"], "leak.yaml"),
        ([&try_repo[..], &["--all-files"]].concat(), "leak.yaml"),
        (
            [&try_repo[..], &["--files", "leak.yaml"]].concat(),
            "leak.yaml",
        ),
        (vec!["run", "--files", "new.yaml"], "new.yaml"),
    ];
    for (args, path) in &runs {
        let out = hooked(root, home.path(), &pre_commit, args);
        let shown = stdout(&out) + &stderr(&out);
        assert!(!out.status.success(), "{args:?} must fail:\n{shown}");
        assert!(
            shown.contains("Failed") && shown.contains(path) && shown.contains("<redacted>"),
            "{args:?}:\n{shown}"
        );
        assert!(!shown.contains("PLANTED"), "{args:?}:\n{shown}");
    }

    fs::remove_file(root.join("new.yaml")).unwrap();
    commit(root, &[("leak.yaml", CLEAN)], "sealed away");
    for (args, _) in &runs[..4] {
        let out = hooked(root, home.path(), &pre_commit, args);
        let shown = stdout(&out) + &stderr(&out);
        assert!(
            out.status.success() && shown.contains("Passed"),
            "{args:?}:\n{shown}"
        );
    }
}

#[test]
fn the_pre_push_hook_checks_the_pushed_range() {
    let dir = repo();
    let root = dir.path();
    let base = commit(
        root,
        &[("old.yaml", &secret("pushed-before-PLANTED-14"))],
        "already on the remote",
    );
    let clean = commit(root, &[("c.yaml", CLEAN)], "clean");
    let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-push");
    let push = |stdin: String| {
        let mut child = Command::new(&hook)
            .args(["origin", "https://example.invalid/repo.git"])
            .current_dir(root)
            .env("PATH", path_with_sealant())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    // Only the clean commit is new: the old leak is the remote's business, not this push's.
    let out = push(format!("refs/heads/main {clean} refs/heads/main {base}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let leak = commit(root, &[("new.yaml", &secret("pushed-PLANTED-15"))], "leak");
    let out = push(format!("refs/heads/main {leak} refs/heads/main {base}\n"));
    assert!(!out.status.success(), "a pushed leak is blocked");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("new.yaml") && !shown.contains("PLANTED"),
        "{shown}"
    );
    // A new branch: everything it reaches is checked.
    let zero = "0".repeat(40);
    let out = push(format!(
        "refs/heads/topic {clean} refs/heads/topic {zero}\n"
    ));
    assert!(
        !out.status.success(),
        "the old leak is reachable from the new branch"
    );
    // Deleting a branch adds nothing.
    let out = push(format!("(delete) {zero} refs/heads/gone {base}\n"));
    assert!(out.status.success());
}

/// `sealant-fix` seals the staged Secret in place; pre-commit then stops the commit because
/// the hook changed a file, as it does for formatters, and the sealed file commits cleanly.
#[test]
fn the_sealant_fix_hook_seals_staged_secrets_and_stops_the_commit() {
    let Some(pre_commit) = tool("pre-commit") else {
        return;
    };
    let [consumer, home, _hooks] = pre_commit_consumer("sealant-fix-system");
    let root = consumer.path();
    let cert = crate::common::vector("cert2048.pem");
    let pin = stdout(&crate::common::sealant(
        &["cert", "fingerprint", path_str(&cert)],
        b"",
    ));
    let config = format!(
        "certs:\n  - name: c\n    cert: cert.pem\n    sha256: {}\n    paths: [\"**\"]\n",
        pin.trim()
    );
    let pem = fs::read_to_string(&cert).unwrap();
    commit(
        root,
        &[(".sealant.yaml", &config), ("cert.pem", &pem)],
        "pin",
    );
    let command = |program: &Path, args: &[&str]| hooked(root, home.path(), program, args);
    assert!(command(&pre_commit, &["install"]).status.success());

    fs::write(root.join("leak.yaml"), secret("fix-hook-PLANTED-15")).unwrap();
    git(root, &["add", "leak.yaml"]);
    let out = command(Path::new("git"), &["commit", "-q", "-m", "leak"]);
    let shown =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{shown}");
    assert!(
        shown.contains("files were modified by this hook"),
        "{shown}"
    );
    assert!(!shown.contains("fix-hook-PLANTED"), "{shown}");
    let sealed = fs::read_to_string(root.join("leak.yaml")).unwrap();
    assert!(
        sealed.contains("kind: SealedSecret") && !sealed.contains("PLANTED"),
        "{sealed}"
    );

    git(root, &["add", "leak.yaml"]);
    let out = command(Path::new("git"), &["commit", "-q", "-m", "sealed"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `git commit -a` and `git commit FILE` build the commit in a temporary index and point
/// `GIT_INDEX_FILE` at it for the hooks: `--staged` judges that index, not `.git/index`
/// (which still holds the clean version), so the plaintext Secret does not get in.
#[test]
fn staged_judges_the_temporary_index_of_commit_all_and_commit_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo();
    let root = dir.path();
    commit(root, &[("app.yaml", CLEAN)], "clean");
    let hook = root.join(".git/hooks/pre-commit");
    fs::create_dir_all(hook.parent().unwrap()).unwrap();
    let bin = env!("CARGO_BIN_EXE_sealant");
    fs::write(&hook, format!("#!/bin/sh\nexec '{bin}' scan --staged\n")).unwrap();
    fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(root.join("app.yaml"), secret("tempindex-PLANTED-77")).unwrap();
    for args in [
        &["commit", "-a", "-m", "leak"][..],
        &["commit", "-m", "leak", "app.yaml"],
    ] {
        let out = crate::common::git_command(root)
            .args(args)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
        assert!(
            !out.status.success(),
            "git {args:?} passed the hook: {said}"
        );
        assert!(said.contains("app.yaml"), "{said}");
        assert!(!said.contains("tempindex-PLANTED-77"), "{said}");
    }
    let head = git(root, &["show", "HEAD:app.yaml"]);
    assert_eq!(String::from_utf8_lossy(&head.stdout), CLEAN);
}
