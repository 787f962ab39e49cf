//! Messages a user can act on: no parser internals, no repeated causes, pointers to the
//! command that does what was asked.

use crate::common::{fails, path_str, sealant, sealant_in, vector};

#[test]
fn a_duplicate_key_is_named_with_its_place_and_no_parser_settings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dup.yaml");
    std::fs::write(&file, "kind: Secret\ndata: {}\nkind: xyz-PLANTED-123\n").unwrap();
    let key = vector("key2048.pem");
    let err = fails(sealant(
        &["unseal", "--keys", path_str(&key), "-f", path_str(&file)],
        b"",
    ));
    assert!(
        err.contains("dup.yaml:3:1: invalid YAML: duplicate key `kind`"),
        "{err}"
    );
    for internal in ["DuplicateKeyPolicy", "Options", "xyz-PLANTED-123"] {
        assert!(!err.contains(internal), "{internal}: {err}");
    }
}

#[test]
fn a_duplicate_key_in_the_configuration_is_named_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        "fingerprint-salt: xyz-PLANTED-123\nfingerprint-salt: again\n",
    )
    .unwrap();
    let err = fails(sealant_in(Some(dir.path()), &["scan", "."], b""));
    assert!(err.contains("duplicate key `fingerprint-salt`"), "{err}");
    assert!(!err.contains("DuplicateKeyPolicy"), "{err}");
    assert!(!err.contains("xyz-PLANTED-123"), "{err}");
}

#[test]
fn a_wrong_type_in_the_configuration_is_named_with_its_place_not_its_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        "exclude: [a]\nfingerprint-salt: [xyz-PLANTED-123]\n",
    )
    .unwrap();
    let err = fails(sealant_in(Some(dir.path()), &["scan", "."], b""));
    assert!(
        err.contains(
            ".sealant.yaml:2:19: invalid configuration: found sequence, expected a string"
        ),
        "{err}"
    );
    assert!(!err.contains("xyz-PLANTED-123"), "{err}");
}

#[test]
fn a_configuration_that_is_not_a_mapping_says_so_without_rust_types() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".sealant.yaml"), "- exclude\n- a\n").unwrap();
    let err = fails(sealant_in(Some(dir.path()), &["scan", "."], b""));
    assert!(
        err.contains(
            ".sealant.yaml:1:1: invalid configuration: found sequence, expected a mapping"
        ),
        "{err}"
    );
    assert!(!err.contains("struct"), "{err}");
}

#[test]
fn an_error_says_its_cause_once() {
    let err = fails(sealant(&["seal", "--cert", "/no/such/cert.pem"], b"{}"));
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    let key = vector("key2048.pem");
    let args = [
        "unseal",
        "--raw",
        "--keys",
        path_str(&key),
        "--namespace",
        "a",
    ];
    let err = fails(sealant(
        &[&args[..], &["--name", "b"]].concat(),
        &[b'A'; 48],
    ));
    assert_eq!(
        err.matches("no key could decrypt secret").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("help: the value was sealed with another key"),
        "{err}"
    );
    let err = fails(sealant(&["seal", "--cert", path_str(&key)], b"{}"));
    assert_eq!(err.matches("invalid certificate").count(), 1, "{err}");
}

#[test]
fn rules_lists_every_rule_one_a_line_in_aligned_columns_and_as_json() {
    let text = crate::common::ok(sealant(&["rules"], b""));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("RULE "), "{text}");
    let column = lines[0].find("CATEGORY").unwrap();
    let severity = lines[0].find("SEVERITY").unwrap();
    for line in &lines[1..] {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len(), 3, "{line}");
        assert_eq!(line.find(words[1]), Some(column), "{line}");
        assert_eq!(line.rfind(words[2]), Some(severity), "{line}");
    }
    assert!(text.contains("\nk8s-secret-data "), "{text}");
    assert!(text.contains("\nsealed-moved "), "{text}");
    let json: serde_json::Value = serde_json::from_str(&crate::common::ok(sealant(
        &["rules", "--format", "json"],
        b"",
    )))
    .unwrap();
    let rules = json.as_array().unwrap();
    assert_eq!(rules.len(), lines.len() - 1);
    let moved = rules.iter().find(|r| r["id"] == "sealed-moved").unwrap();
    assert_eq!(moved["category"], "sealed-secret");
    assert!(moved["severity"].is_string() && moved["description"].is_string());
}

#[test]
fn rules_keywords_lists_the_prefilter_literals_one_a_line_and_as_json() {
    let text = crate::common::ok(sealant(&["rules", "--keywords"], b""));
    let lines: Vec<&str> = text.lines().collect();
    // The detectors' keywords and the credential rules' keywords, each once.
    for keyword in [
        "SealedSecret",
        "secretGenerator",
        "kustomize",
        "ghp_",
        "AKIA",
        "password",
    ] {
        assert_eq!(
            lines.iter().filter(|l| **l == keyword).count(),
            1,
            "{keyword}: {text}"
        );
    }
    let mut unique = lines.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), lines.len(), "{text}");
    assert!(
        lines.iter().all(|l| !l.is_empty() && l.trim() == *l),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&crate::common::ok(sealant(
        &["rules", "--keywords", "--format", "json"],
        b"",
    )))
    .unwrap();
    assert_eq!(json, serde_json::json!(lines));
}

#[test]
fn explain_without_a_rule_or_with_an_unknown_one_points_to_rules() {
    let err = fails(sealant(&["explain"], b""));
    assert!(err.contains("`sealant rules` lists every rule id"), "{err}");
    let err = fails(sealant(&["explain", "token"], b""));
    assert!(err.contains("unknown rule \"token\""), "{err}");
    assert!(err.contains("github-token"), "{err}");
    assert!(err.contains("`sealant rules` lists every rule id"), "{err}");
    assert!(!err.contains("k8s-secret-data"), "no wall of ids: {err}");
}

#[test]
fn kubeseal_flags_are_answered_with_the_sealant_command() {
    for (args, answer) in [
        (&["seal", "--re-encrypt"][..], "sealant reseal"),
        (&["unseal", "--recovery-unseal"], "sealant unseal --keys"),
        (&["seal", "--validate"], "sealant scan --keys"),
        (&["seal", "--fetch-cert"], "sealant works offline"),
        (
            &["seal", "--controller-name", "x"],
            "pin the controller's cert in .sealant.yaml",
        ),
        (
            &["seal", "--controller-namespace=kube-system"],
            "see README",
        ),
    ] {
        let err = fails(sealant(args, b""));
        assert!(err.contains(answer), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
    let err = fails(sealant(&["seal", "--no-such-flag"], b""));
    assert!(
        err.contains("unexpected argument '--no-such-flag'"),
        "{err}"
    );
}

#[test]
fn a_missing_pinned_cert_names_its_certs_entry() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        "certs:\n  - name: prod\n    cert: certs/prod.pem\n    sha256: \"00\"\n    paths: [\"**\"]\n",
    )
    .unwrap();
    let err = fails(sealant_in(Some(dir.path()), &["scan", "."], b""));
    assert!(err.contains("certs entry `prod` (in "), "{err}");
    assert!(
        err.contains(".sealant.yaml): cert file certs/prod.pem: no such file"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
}

/// `scan --history` of a two-commit repository, with stderr a pipe and `CI` as given.
fn history_scan(ci: Option<&str>, format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    crate::common::git(repo, &["init", "-q", "-b", "main"]);
    for (i, name) in ["a.yaml", "b.yaml", "c.txt"].iter().enumerate() {
        std::fs::write(repo.join(name), format!("n: {i}\n")).unwrap();
        crate::common::git(repo, &["add", name]);
        crate::common::git(repo, &["commit", "-qm", name]);
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sealant"));
    cmd.current_dir(repo)
        .args(["scan", "--history", "--format", format])
        .env_remove("CI");
    if let Some(ci) = ci {
        cmd.env("CI", ci);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn history_progress_shows_in_ci_logs_as_plain_lines_in_mib() {
    let err = history_scan(Some("true"), "human");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("scanning: "))
        .collect();
    assert!(!lines.is_empty(), "{err}");
    assert_eq!(
        *lines.last().unwrap(),
        "scanning: 3/3 blobs, 0.0 MiB, 3 commits",
        "the last line is the total: {err}"
    );
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    assert!(!err.contains(" MB"), "{err}");
    for quiet in [
        history_scan(Some("true"), "json"),
        history_scan(Some("true"), "sarif"),
        history_scan(None, "human"),
        history_scan(Some("false"), "human"),
    ] {
        assert!(!quiet.contains("scanning:"), "{quiet}");
    }
}

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  password: xyz-PLANTED-123\n";

/// `scan --fix` of a repository whose s.yaml holds a plaintext Secret, committed or only staged.
fn fix_output(commit_it: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    crate::common::git(repo, &["init", "-q", "-b", "main"]);
    crate::common::pin_test_cert(repo);
    std::fs::write(repo.join("README"), "x\n").unwrap();
    std::fs::write(repo.join("s.yaml"), SECRET).unwrap();
    crate::common::git(repo, &["add", "README"]);
    crate::common::git(repo, &["commit", "-qm", "init"]);
    crate::common::git(repo, &["add", "s.yaml"]);
    if commit_it {
        crate::common::git(repo, &["commit", "-qm", "secret"]);
    }
    let out = sealant_in(Some(repo), &["scan", "--fix", "."], b"");
    let err = crate::common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("sealed 1 Secret(s) in 1 file(s)"), "{err}");
    assert!(!err.contains("xyz-PLANTED-123"), "{err}");
    err
}

#[test]
fn fix_speaks_of_git_history_only_for_a_value_that_was_committed() {
    let err = fix_output(false);
    assert!(
        !err.contains("git history"),
        "staged, never committed: {err}"
    );
    let err = fix_output(true);
    assert!(err.contains("still in the git history"), "{err}");
}

#[test]
fn a_path_in_a_wrapped_message_stays_on_one_line() {
    // The message runs past the report's width with the path at the break: it wraps before the
    // path, not at one of its slashes, so the path can be copied.
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("clusters/production/apps/payments/gateway");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("app.env"), "DB_PASSWORD=xyz-PLANTED-123\n").unwrap();
    std::fs::write(
        deep.join("kustomization.yaml"),
        "secretGenerator:\n- name: gateway-env\n  envs:\n  - app.env\n",
    )
    .unwrap();
    let out = sealant_in(Some(dir.path()), &["scan", "--color", "never", "."], b"");
    let human = crate::common::stdout(&out);
    let path = "clusters/production/apps/payments/gateway/kustomization.yaml";
    assert!(
        human.lines().any(|l| l.ends_with(path)),
        "the path is broken across lines:\n{human}"
    );
    assert!(!human.contains("xyz-PLANTED-123"), "{human}");
}
