//! Human code frames in git modes come from the bytes that were scanned (the index blob, the
//! blob of the finding's commit), never from the working-tree file; and history findings say
//! which commit they are in, in every format.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{git, sealant_in, stderr, stdout};
use crate::integrations::check_sarif_schema;

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  password: VALUE\n";

fn secret(value: &str) -> String {
    SECRET.replace("VALUE", value)
}

/// Same line lengths as `SECRET` up to the value, but no finding: a frame read from this file
/// at a finding's span would pass the place check and show the comment past the span.
const LATER: &str = "apiVersion: v1\nkind: Config\nmetadata: {name: s, namespace: n}\nother-data:\n  password: later # wt-comment-PLANTED-9 in the worktree only\n";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

fn commit(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
        git(dir, &["add", name]);
    }
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    let id = git(dir, &["rev-parse", "HEAD"]).stdout;
    String::from_utf8(id).unwrap().trim().to_string()
}

fn human(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["scan", "--color", "never"];
    all.extend_from_slice(args);
    let out = sealant_in(Some(dir), &all, b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains("PLANTED"),
        "a value or worktree text leaked:\n{text}"
    );
    text
}

#[test]
fn staged_frames_show_the_staged_line_not_the_working_tree() {
    let dir = repo();
    let root = dir.path();
    commit(root, &[("base.yaml", "a: b\n")], "init");
    fs::write(root.join("s.yaml"), secret("staged-PLANTED-1")).unwrap();
    git(root, &["add", "s.yaml"]);
    fs::write(root.join("s.yaml"), LATER).unwrap();
    let text = human(root, &["--staged"]);
    assert!(text.contains("╭─[s.yaml:5:13]"), "{text}");
    assert!(text.contains(" 5 │   password: <redacted>\n"), "{text}");
    assert!(
        !text.contains("later") && !text.contains("worktree"),
        "{text}"
    );
}

/// A repository whose history holds two values in files that later changed or went away.
fn changed_history() -> (tempfile::TempDir, String, String) {
    let dir = repo();
    let root = dir.path();
    let base = commit(root, &[("base.yaml", "a: b\n")], "init");
    let added = commit(
        root,
        &[
            ("s.yaml", &secret("hist-PLANTED-2")),
            ("d.yaml", &secret("deleted-PLANTED-3")),
        ],
        "leak",
    );
    git(root, &["rm", "-q", "d.yaml"]);
    commit(root, &[("s.yaml", LATER)], "clean up");
    (dir, base, added)
}

#[test]
fn history_and_range_frames_show_the_blob_of_the_findings_commit() {
    let (dir, base, added) = changed_history();
    let root = dir.path();
    let short = &added[..10];
    let range = format!("{base}..HEAD");
    for args in [vec!["--history"], vec!["--range", &range]] {
        let text = human(root, &args);
        for file in ["d.yaml", "s.yaml"] {
            let frame = format!("╭─[{file}:5:13]\n 5 │   password: <redacted>\n");
            assert!(text.contains(&frame), "{args:?}, {file}:\n{text}");
        }
        let header = format!("error[k8s-secret-string-data] (commit {short}, ");
        assert_eq!(text.matches(&header).count(), 2, "{args:?}:\n{text}");
        assert!(!text.contains("later"), "{args:?}:\n{text}");
    }
}

#[test]
fn history_findings_name_their_commit_in_github_and_sarif() {
    let (dir, _, added) = changed_history();
    let root = dir.path();
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            "https://user:tok-PLANTED-4@example.com/org/repo.git",
        ],
    );
    let head = String::from_utf8(git(root, &["rev-parse", "HEAD"]).stdout).unwrap();
    let run = |format: &str| {
        let out = sealant_in(Some(root), &["scan", "--history", "--format", format], b"");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(!text.contains("PLANTED"), "{text}");
        text
    };
    let github = run("github");
    let title = format!(",title=k8s-secret-string-data (commit {}%2C ", &added[..10]);
    assert_eq!(github.matches(&title).count(), 2, "{github}");

    let sarif = run("sarif");
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let run0 = &v["runs"][0];
    assert_eq!(
        run0["versionControlProvenance"],
        serde_json::json!([{
            "repositoryUri": "https://example.com/org/repo.git",
            "revisionId": head.trim(),
        }])
    );
    for result in run0["results"].as_array().unwrap() {
        assert_eq!(result["properties"]["commit"], added.as_str(), "{result}");
        assert_eq!(result["properties"]["atHead"], false, "{result}");
        let time = result["properties"]["commitTime"].as_str().unwrap();
        assert!(time.ends_with('Z') && time.len() == 20, "{time}");
        let message = result["message"]["text"].as_str().unwrap();
        assert!(message.ends_with(&format!("(commit {}, {})", &added[..10], &time[..10])));
    }
    check_sarif_schema(&sarif);

    // Without a network remote there is no provenance (SARIF requires its repositoryUri).
    git(root, &["remote", "set-url", "origin", "/some/local/path"]);
    let v: Value = serde_json::from_str(&run("sarif")).unwrap();
    assert!(
        v["runs"][0].get("versionControlProvenance").is_none(),
        "{v}"
    );
}

#[test]
fn at_head_means_the_value_is_still_in_that_file_at_head() {
    let dir = repo();
    let root = dir.path();
    let first = commit(
        root,
        &[("s.yaml", &secret("gone-PLANTED-5"))],
        "first value",
    );
    let second = commit(root, &[("s.yaml", &secret("kept-PLANTED-6"))], "replace it");
    let out = sealant_in(Some(root), &["scan", "--history", "--format", "json"], b"");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let at_head = |id: &str| {
        let f = findings.iter().find(|f| f["commit"]["id"] == id);
        f.and_then(|f| f["commit"]["at_head"].as_bool())
    };
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_eq!(
        (at_head(&first), at_head(&second)),
        (Some(false), Some(true)),
        "the replaced value is gone from s.yaml, the new one is there: {findings:#?}"
    );
}
