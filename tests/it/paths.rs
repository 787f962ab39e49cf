//! Repository paths: the scan reads no secretGenerator input outside the repository, in
//! `.git/`, through a symlink or from a FIFO; `--fix` says why it leaves a Secret it cannot
//! rewrite.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

/// A repository `repo/` (a `.git` directory) beside `outside/victim.env`, whose value must
/// never be read.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("app")).unwrap();
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(repo.join(".git/config"), "[core]\n\tbare = false\n").unwrap();
    std::fs::write(
        tmp.path().join("outside/victim.env"),
        "PASSWORD=fixture-paths-outside-1\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("app/inside.env"),
        "PASSWORD=fixture-paths-inside-2\n",
    )
    .unwrap();
    (tmp, repo)
}

fn scan_json(repo: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    let out = sealant_in(Some(repo), &args, b"");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    (serde_json::from_slice(&out.stdout).expect("json"), text)
}

fn finding_paths(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

/// The notes of `path` that name the entry and say it was not read.
fn not_read(json: &serde_json::Value, path: &str, entry: &str) -> Vec<String> {
    json["summary"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["path"] == path)
        .map(|n| n["message"].as_str().unwrap().to_string())
        .filter(|m| m.contains(entry) && m.contains("not read"))
        .collect()
}

#[test]
fn scan_never_reads_generator_inputs_outside_the_repository_or_in_git() {
    let (_tmp, repo) = repo();
    // At the root, `../../app/inside.env` is above it too: it must not fold into the file.
    let kustomization = "\
secretGenerator:
  - name: inside
    envs: [app/inside.env]
  - name: up
    envs: [../outside/victim.env]
  - name: folded
    envs: [../../app/inside.env]
  - name: git
    files: [.git/config]
  - name: git-upper
    files: [app/../.GIT/config]
  - name: absolute
    files: [/etc/hostname]
";
    std::fs::write(repo.join("kustomization.yaml"), kustomization).unwrap();
    let (json, text) = scan_json(&repo, &["."]);
    assert_eq!(finding_paths(&json), ["app/inside.env"], "{text}");
    assert!(!text.contains("fixture-paths-outside"), "{text}");
    assert!(!text.contains("[core]") && !text.contains("bare"), "{text}");
    for (entry, why) in [
        (
            "\"up\" reads ../outside/victim.env",
            "outside the repository",
        ),
        (
            "\"folded\" reads ../../app/inside.env",
            "outside the repository",
        ),
        ("\"git\" reads .git/config", "inside .git/"),
        ("\"git-upper\" reads app/../.GIT/config", "inside .git/"),
        ("\"absolute\" reads /etc/hostname", "outside the repository"),
    ] {
        let notes = not_read(&json, "kustomization.yaml", entry);
        assert!(notes.iter().any(|m| m.contains(why)), "{entry}: {text}");
    }
}

#[cfg(unix)]
#[test]
fn scan_never_follows_a_symlinked_generator_input_out_of_the_repository() {
    let (tmp, repo) = repo();
    let victim = tmp.path().join("outside/victim.env");
    std::os::unix::fs::symlink(&victim, repo.join("app/link.env")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside"), repo.join("app/linkdir")).unwrap();
    let kustomization = "\
secretGenerator:
  - name: linked-file
    envs: [link.env]
  - name: linked-dir
    envs: [linkdir/victim.env]
";
    std::fs::write(repo.join("app/kustomization.yaml"), kustomization).unwrap();
    let (json, text) = scan_json(&repo, &["."]);
    assert!(finding_paths(&json).is_empty(), "{text}");
    assert!(!text.contains("fixture-paths-outside"), "{text}");
    for entry in [
        "\"linked-file\" reads link.env",
        "\"linked-dir\" reads linkdir/",
    ] {
        let notes = not_read(&json, "app/kustomization.yaml", entry);
        assert!(
            notes.iter().any(|m| m.contains("symlink")),
            "{entry}: {text}"
        );
    }
}

#[cfg(unix)]
#[test]
fn scan_does_not_block_on_a_fifo_named_as_a_generator_input() {
    let (_tmp, repo) = repo();
    let fifo = repo.join("app/pipe.env");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    std::fs::write(
        repo.join("app/kustomization.yaml"),
        "secretGenerator:\n  - name: piped\n    envs: [pipe.env]\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealant"))
        .args(["scan", "--format", "json", "."])
        .current_dir(&repo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sealant");
    // A generous bound: the scan takes milliseconds; one that blocks never ends.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let finished = child.try_wait().unwrap().is_some();
    if !finished {
        child.kill().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(finished, "the scan blocked on a FIFO");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let notes = not_read(&json, "app/kustomization.yaml", "\"piped\" reads pipe.env");
    assert!(
        notes.iter().any(|m| m.contains("not a regular file")),
        "{json}"
    );
}

#[cfg(unix)]
#[test]
fn git_scans_read_generator_inputs_by_the_same_path_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("app")).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("inside.env"), "PASSWORD=fixture-paths-inside-3\n").unwrap();
    std::fs::write(
        tmp.path().join("victim.env"),
        "PASSWORD=fixture-paths-out-4\n",
    )
    .unwrap();
    // A symlink's blob holds where it points: never read as the file's contents.
    std::os::unix::fs::symlink("../inside.env", repo.join("app/link.env")).unwrap();
    let kustomization = "\
secretGenerator:
  - name: folded
    envs: [../../inside.env]
  - name: linked
    envs: [link.env]
  - name: git
    files: [../.git/config]
";
    std::fs::write(repo.join("app/kustomization.yaml"), kustomization).unwrap();
    git(&repo, &["add", "-A"]);
    let (staged, text) = scan_json(&repo, &["--staged"]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    let (history, history_text) = scan_json(&repo, &["--history"]);
    for (json, text) in [(staged, text), (history, history_text)] {
        // inside.env is staged and scanned as itself, never as an input of the kustomization.
        let reported_as_input = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("secretGenerator"));
        assert!(!reported_as_input, "{text}");
        for (entry, why) in [
            (
                "\"folded\" reads ../../inside.env",
                "outside the repository",
            ),
            ("\"linked\" reads link.env", "symlink"),
            ("\"git\" reads ../.git/config", "inside .git/"),
        ] {
            let notes = not_read(&json, "app/kustomization.yaml", entry);
            assert!(notes.iter().any(|m| m.contains(why)), "{entry}: {text}");
        }
    }
}

/// A repository with a pinned cert, for `--fix`.
fn fix_repo() -> (tempfile::TempDir, PathBuf) {
    let (tmp, repo) = repo();
    pin_test_cert(&repo);
    (tmp, repo)
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: fixture-paths-pass-5\n";

#[test]
fn fix_says_why_it_leaves_secrets_in_files_that_are_not_utf8() {
    let (_tmp, repo) = fix_repo();
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(SECRET.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let utf32: Vec<u8> = [0, 0, 0xfe, 0xff]
        .into_iter()
        .chain(SECRET.chars().flat_map(|c| u32::from(c).to_be_bytes()))
        .collect();
    let mut latin1 = b"# caf\xe9\n".to_vec();
    latin1.extend_from_slice(SECRET.as_bytes());
    let files: [(&str, Vec<u8>, &str); 4] = [
        (
            "utf16.yaml",
            utf16,
            "the file is UTF-16: convert it to UTF-8",
        ),
        (
            "utf32.yaml",
            utf32,
            "the file is UTF-32: convert it to UTF-8",
        ),
        ("nul.yaml", format!("# a\0b\n{SECRET}").into_bytes(), "NUL"),
        ("latin1.yaml", latin1, "not valid UTF-8"),
    ];
    for (name, bytes, _) in &files {
        std::fs::write(repo.join("app").join(name), bytes).unwrap();
    }
    let before = snapshot(&repo);
    let out = sealant(&["scan", "--fix", path_str(&repo)], b"");
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert_eq!(snapshot(&repo), before, "{err}");
    for (name, _, why) in &files {
        // The password is on the last line of the Secret, whatever comes before it.
        let line = SECRET.lines().count() + usize::from(!name.starts_with("utf"));
        let at = format!("app/{name}:{line}:");
        assert!(
            err.lines()
                .any(|l| l.starts_with(&at) && l.contains("not fixed") && l.contains(why)),
            "{at} {why}:\n{err}"
        );
    }
    assert!(!err.contains("fixture-paths-pass"), "{err}");
}

#[test]
fn a_resource_above_the_root_is_outside_the_graph_not_folded_into_it() {
    let (_tmp, repo) = repo();
    std::fs::copy(
        testdata("gitops/apps/api/base/sealed-strict.yaml"),
        repo.join("app/sealed.yaml"),
    )
    .unwrap();
    // `../../app/sealed.yaml` leaves the root: kustomize refuses it, so nothing moves the file.
    std::fs::write(
        repo.join("kustomization.yaml"),
        "namespace: other\nresources: [../../app/sealed.yaml]\n",
    )
    .unwrap();
    let (json, text) = scan_json(&repo, &["."]);
    assert!(!text.contains("sealed-moved"), "{text}");
    // The same file named from inside the root is moved: the check itself works here.
    std::fs::write(
        repo.join("kustomization.yaml"),
        "namespace: other\nresources: [app/sealed.yaml]\n",
    )
    .unwrap();
    let (json_inside, text) = scan_json(&repo, &["."]);
    assert!(text.contains("sealed-moved"), "{text}");
    assert_ne!(json, json_inside);
}
