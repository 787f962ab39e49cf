//! The write side of `scan --fix`, `reseal` and `-o`, under attack: nothing outside the
//! repository or inside `.git/` is touched, a rewrite that would not parse is not made, a
//! concurrent change is never lost, temp files of killed runs are cleaned up, owners stay,
//! devices stay devices, and no message quotes a value.

use std::path::{Path, PathBuf};

use crate::common::{
    path_str, pin_test_cert, sealant, sealant_env, snapshot, stderr, stdout, vector,
};

/// `TMP/repo` (with a `.git/`, the vectors' cert pinned for every path, and `app/`), and
/// `TMP/outside`.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("app")).unwrap();
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    pin_test_cert(&repo);
    std::fs::write(
        repo.join("app/kustomization.yaml"),
        "namespace: shop\nresources: [secret.yaml]\n",
    )
    .unwrap();
    (tmp, repo)
}

fn fix(repo: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["scan", "--fix"];
    args.extend_from_slice(extra);
    args.push(path_str(repo));
    let out = sealant(&args, b"");
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: fixture-safety-pass-1\n";

#[test]
fn fix_never_touches_files_outside_the_repository_or_in_git() {
    let (tmp, repo) = repo();
    let outside = tmp.path().join("outside");
    std::fs::write(outside.join("victim.env"), "KEY=fixture-outside-value-1\n").unwrap();
    let kustomization = "\
namespace: shop
secretGenerator:
  - name: up
    literals: [password=fixture-safety-literal-1]
    envs: [../../outside/victim.env]
  - name: git
    literals: [password=fixture-safety-literal-2]
    files: [../.git/HEAD]
  - name: linked-file
    literals: [password=fixture-safety-literal-3]
    envs: [link.env]
  - name: linked-dir
    literals: [password=fixture-safety-literal-4]
    envs: [linkdir/victim.env]
  - name: ../../outside/evil
    literals: [password=fixture-safety-literal-5]
";
    std::fs::write(repo.join("app/kustomization.yaml"), kustomization).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("victim.env"), repo.join("app/link.env")).unwrap();
        std::os::unix::fs::symlink(&outside, repo.join("app/linkdir")).unwrap();
    }
    let before = snapshot(tmp.path());
    for dry_run in [true, false] {
        let extra: &[&str] = if dry_run { &["--dry-run"] } else { &[] };
        let (code, out, err) = fix(&repo, extra);
        assert_eq!(code, 1, "{err}");
        assert_eq!(snapshot(tmp.path()), before, "dry run: {dry_run}");
        if dry_run {
            assert!(!out.contains("kustomization.yaml"), "{out}");
        }
        for (line, why) in [
            (3, "outside the repository"),
            (6, "inside .git/"),
            #[cfg(unix)]
            (9, "symlink"),
            #[cfg(unix)]
            (12, "symlink"),
            (15, "not a valid Kubernetes object name"),
        ] {
            let at = format!("app/kustomization.yaml:{line}:5: not fixed");
            let reported = err.lines().any(|l| l.contains(&at) && l.contains(why));
            assert!(reported, "{at} ({why}):\n{err}");
        }
        assert!(!err.contains("fixture-"), "{err}");
    }
    assert!(repo.join(".git/HEAD").is_file());
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        1,
        "nothing created outside"
    );
}

/// `app/secret.yaml` after `--fix` on `content`, with the exit code and stderr.
fn fix_file(content: &[u8]) -> (tempfile::TempDir, Vec<u8>, i32, String) {
    let (tmp, repo) = repo();
    std::fs::write(repo.join("app/secret.yaml"), content).unwrap();
    let (code, _, err) = fix(&repo, &[]);
    let after = std::fs::read(repo.join("app/secret.yaml")).unwrap();
    (tmp, after, code, err)
}

#[test]
fn fix_never_writes_a_file_that_does_not_parse() {
    // A List with CR line endings, and a Secret whose anchor another object uses.
    let list = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: db\n    stringData:\n      password: fixture-safety-pass-2\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cm\n    data:\n      a: b\n";
    let anchored = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: db\n      labels: &common\n        app: shop\n    stringData:\n      password: fixture-safety-pass-3\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cm\n      labels: *common\n";
    let across = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels: &common\n    app: shop\nstringData:\n  password: fixture-safety-pass-4\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: *common\n";
    for (content, why) in [
        (list.replace('\n', "\r"), "would not parse"),
        (anchored.to_string(), "would not parse"),
        (across.to_string(), "does not parse as a whole"),
    ] {
        let (_tmp, after, code, err) = fix_file(content.as_bytes());
        assert_eq!(after, content.as_bytes(), "{err}");
        assert_eq!(code, 1, "{err}");
        let reported = err
            .lines()
            .any(|l| l.contains("app/secret.yaml:") && l.contains("not fixed") && l.contains(why));
        assert!(reported, "{err}");
        assert!(!err.contains("fixture-safety-pass"), "{err}");
    }
}

#[test]
fn fix_seals_a_secret_whose_last_key_is_empty_into_valid_yaml() {
    for content in [
        format!("{SECRET}  empty:\n"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: fixture-safety-pass-5\ndata:\n".to_string(),
    ] {
        let (_tmp, after, code, err) = fix_file(content.as_bytes());
        assert_eq!(code, 0, "{err}");
        let text = String::from_utf8(after).unwrap();
        let (_, docs) = sealant::doc::parse_documents(&text, "fixed").expect(&text);
        assert_eq!(docs.len(), 1, "{text}");
        assert_eq!(docs[0]["kind"], "SealedSecret", "{text}");
        let out = sealant(
            &["unseal", "--keys", path_str(&vector("key2048.pem")), "--format", "json"],
            text.as_bytes(),
        );
        let secret: serde_json::Value = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|_| panic!("{}", stderr(&out)));
        assert!(secret["data"]["password"].is_string(), "{secret}");
    }
}

#[test]
fn fix_never_overwrites_a_change_made_while_it_runs() {
    let (_tmp, repo) = repo();
    let file = repo.join("app/secret.yaml");
    std::fs::write(&file, SECRET).unwrap();
    let out = sealant_env(
        &["scan", "--fix", path_str(&repo)],
        &[("SEALANT_TEST_CHANGE_BEFORE_RENAME", "secret.yaml")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{SECRET}# changed by another process\n")
    );
    assert!(
        err.contains("app/secret.yaml: not fixed") && err.contains("changed since sealant read it"),
        "{err}"
    );
    let temps = std::fs::read_dir(repo.join("app"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".sealant-")
        })
        .count();
    assert_eq!(temps, 0);
}

/// Names of the `.sealant-*` files in `dir`.
fn sealant_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sealant-"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_temp_file_left_by_a_killed_run_is_removed_by_the_next_run() {
    let (_tmp, repo) = repo();
    let file = repo.join("app/secret.yaml");
    std::fs::write(&file, SECRET).unwrap();
    // Look-alikes that are not sealant's own, or not where it writes: they stay.
    std::fs::write(repo.join("app/.sealant-notes.tmp"), "mine").unwrap();
    std::fs::create_dir_all(repo.join("other")).unwrap();
    std::fs::write(repo.join("other/.sealant-4000000000-abcdef.tmp"), "x").unwrap();

    let out = sealant_env(
        &["scan", "--fix", path_str(&repo)],
        &[("SEALANT_TEST_KILL_BEFORE_RENAME", "secret.yaml")],
    );
    assert!(!out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), SECRET);
    let left = sealant_files(&repo.join("app"));
    assert_eq!(left.len(), 2, "the killed run left its temp file: {left:?}");
    let leftover = left
        .iter()
        .find(|n| *n != ".sealant-notes.tmp")
        .unwrap()
        .clone();

    let (code, _, err) = fix(&repo, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("note: app/{leftover}: removed")),
        "{err}"
    );
    assert_eq!(sealant_files(&repo.join("app")), [".sealant-notes.tmp"]);
    assert_eq!(
        sealant_files(&repo.join("other")),
        [".sealant-4000000000-abcdef.tmp"]
    );
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("kind: SealedSecret"));
}

#[cfg(unix)]
#[test]
fn fix_keeps_the_owner_group_and_mode_of_a_replaced_file() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (_tmp, repo) = repo();
    let file = repo.join("app/secret.yaml");
    std::fs::write(&file, SECRET).unwrap();
    if let Err(e) = std::os::unix::fs::chown(&file, Some(1234), Some(1234)) {
        // Only root can give a file away; elsewhere the owner cannot change anyway.
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        return;
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, _, err) = fix(&repo, &[]);
    assert_eq!(code, 0, "{err}");
    let meta = std::fs::metadata(&file).unwrap();
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("kind: SealedSecret"));
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (1234, 1234, 0o640)
    );
}

#[cfg(unix)]
#[test]
fn output_to_a_device_or_a_fifo_is_written_through_not_replaced() {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let (tmp, repo) = repo();
    std::fs::write(repo.join("app/secret.yaml"), SECRET).unwrap();
    let scan_to = |target: &Path| {
        let args = [
            "scan",
            "--format",
            "json",
            "-o",
            path_str(target),
            path_str(&repo),
        ];
        let out = sealant(&args, b"");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    };

    let null = Path::new("/dev/null");
    if std::fs::metadata(null)
        .unwrap()
        .file_type()
        .is_char_device()
    {
        scan_to(null);
        let kind = std::fs::metadata(null).unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/null is still a device");
    }

    let fifo = tmp.path().join("report.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo on this machine
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    scan_to(&fifo);
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let report: serde_json::Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn fix_reports_files_whose_names_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, repo) = repo();
    let name = std::ffi::OsStr::from_bytes(b"s\xffcret.yaml");
    let file = repo.join("app").join(name);
    std::fs::write(&file, SECRET).unwrap();
    let (code, _, err) = fix(&repo, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.lines().any(|l| l.contains("app/s\u{FFFD}cret.yaml:")
            && l.contains("not fixed")
            && l.contains("not valid UTF-8")),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), SECRET);
}

#[test]
fn fix_messages_name_a_generator_entry_never_its_content() {
    let (_tmp, repo) = repo();
    let kustomization = "\
namespace: shop
secretGenerator:
  - name: db
    literals:
      - password=fixture-safety-literal-6
      - fixture-safety-no-equals-7
  - name: merged
    behavior: fixture-safety-behavior-8
    literals: [password=fixture-safety-literal-9]
  - name: keyed
    literals: ['fixture safety key 10=fixture-safety-literal-11']
";
    std::fs::write(repo.join("app/kustomization.yaml"), kustomization).unwrap();
    let before = snapshot(&repo);
    let (code, _, err) = fix(&repo, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(snapshot(&repo), before);
    for (at, says) in [
        (
            "3:5",
            "literal 2 of secretGenerator \"db\" is not KEY=VALUE",
        ),
        ("7:5", "secretGenerator \"merged\" has `behavior: …`"),
        (
            "10:5",
            "literal 1 of secretGenerator \"keyed\" has a key that is not a valid Secret key",
        ),
    ] {
        let at = format!("app/kustomization.yaml:{at}: not fixed");
        assert!(
            err.lines().any(|l| l.contains(&at) && l.contains(says)),
            "{at} {says}:\n{err}"
        );
    }
    assert!(!err.contains("fixture-safety"), "{err}");
}

#[test]
fn a_converted_generator_joins_an_empty_resources_list_without_a_second_key() {
    let (_tmp, repo) = repo();
    let kustomization = "namespace: shop\nresources: []\nsecretGenerator:\n  - name: db\n    literals: [password=fixture-safety-literal-12]\n";
    std::fs::write(repo.join("app/kustomization.yaml"), kustomization).unwrap();
    let (code, _, err) = fix(&repo, &[]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(repo.join("app/kustomization.yaml")).unwrap();
    assert_eq!(text, "namespace: shop\nresources: [db-sealedsecret.yaml]\n");
    assert!(repo.join("app/db-sealedsecret.yaml").is_file());
}
