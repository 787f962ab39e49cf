//! `.sealant_cache/`: the blob ids the git graph need not read. Cold, warm and `--no-cache`
//! scans find the same; a cache that is tracked, of another version, corrupt, unwritable or a
//! symlink is ignored; nothing is written outside it.

use std::fs;
use std::path::Path;

use crate::common::{git, sealant_in, snapshot, stage, stderr, stdout, testdata};

const CACHE: &str = ".sealant_cache/graph-skip-v1";
const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";

/// A strict SealedSecret for `api/db` (its name on line 5).
fn sealed() -> String {
    fs::read_to_string(testdata("gitops/apps/api/base/sealed-strict.yaml")).unwrap()
}

/// A Flux Kustomization building `./apps/app` into namespace `other`: it moves `api/db`.
fn flux(name: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/app\n  targetNamespace: other\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n"
    )
}

fn kustomization(namespace: Option<&str>) -> String {
    let ns = namespace
        .map(|n| format!("namespace: {n}\n"))
        .unwrap_or_default();
    format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{ns}resources:\n  - sealed.yaml\n  - configmap.yaml\n")
}

fn commit(dir: &Path) {
    git(dir, &["commit", "-q", "--allow-empty", "-m", "change"]);
}

/// A repository of `files` (committed) and 30 other YAML files without entry points, for the
/// cache to hold.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    for i in 0..30 {
        let name = format!("config/c{i}.yaml");
        stage(
            dir.path(),
            &[(&name, &format!("name: c{i}\nreplicas: {i}\n"))],
        );
    }
    stage(dir.path(), files);
    commit(dir.path());
    dir
}

/// (path, rule, line) of every finding of `scan --staged` and `extra`.
fn staged(dir: &Path, extra: &[&str]) -> Vec<(String, String, u64)> {
    let mut args = vec!["scan", "--staged", "--format", "json"];
    args.extend_from_slice(extra);
    let out = sealant_in(Some(dir), &args, b"");
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let field = |k: &str| f[k].as_str().unwrap().to_string();
            (field("path"), field("rule"), f["line"].as_u64().unwrap())
        })
        .collect();
    found.sort();
    found
}

fn moved(path: &str) -> Vec<(String, String, u64)> {
    vec![(path.to_string(), "sealed-moved".to_string(), 5)]
}

/// The blob id git gives `text`.
fn blob_id(dir: &Path, path: &str) -> Vec<u8> {
    let out = git(dir, &["rev-parse", &format!(":{path}")]);
    let hex = String::from_utf8(out.stdout).unwrap();
    (0..40)
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex.trim()[i..i + 2], 16).unwrap())
        .collect()
}

/// A cache file as sealant `version` writes it, listing `ids`.
fn cache_file(version: &str, mut ids: Vec<Vec<u8>>) -> Vec<u8> {
    ids.sort();
    let mut bytes = format!(
        "sealant-cache 1 {version} skip-graph-without:kustomize.toolkit.fluxcd.io,argoproj.io,\\u,\\x,\\U\n{} sha1\n",
        ids.len()
    )
    .into_bytes();
    for id in ids {
        bytes.extend(id);
    }
    bytes
}

/// A repository where the committed Flux Kustomization `clusters/prod/app.yaml` moves the
/// staged SealedSecret `apps/app/sealed.yaml`.
fn moving_flux() -> tempfile::TempDir {
    let dir = repo(&[
        ("clusters/prod/app.yaml", &flux("app")),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    dir
}

/// A repository where the committed Flux Kustomization `clusters/prod/app.yaml` moves a
/// staged SealedSecret, and a cache that lists the Flux Kustomization's blob (as a wrong
/// entry would): `(repo, cache bytes)`.
fn forged() -> (tempfile::TempDir, Vec<u8>) {
    let dir = moving_flux();
    let id = blob_id(dir.path(), "clusters/prod/app.yaml");
    let bytes = cache_file(env!("CARGO_PKG_VERSION"), vec![id]);
    fs::create_dir_all(dir.path().join(".sealant_cache")).unwrap();
    fs::write(dir.path().join(".sealant_cache/.gitignore"), "*\n").unwrap();
    (dir, bytes)
}

/// Commits `text` as `clusters/prod/app.yaml` (unstaging the rest), then stages
/// `apps/app/sealed.yaml` again.
fn recommit_flux(dir: &Path, text: &str) {
    git(dir, &["reset", "-q"]);
    stage(dir, &[("clusters/prod/app.yaml", text)]);
    commit(dir);
    stage(dir, &[("apps/app/sealed.yaml", &sealed())]);
}

/// A repository with the Flux Kustomization of `moving_flux` and a kustomization without a
/// namespace over a committed SealedSecret, `apps/web/sealed.yaml`.
fn two_builds() -> tempfile::TempDir {
    repo(&[
        ("clusters/prod/app.yaml", &flux("app")),
        ("apps/app/configmap.yaml", CONFIGMAP),
        ("apps/web/kustomization.yaml", &kustomization(None)),
        ("apps/web/sealed.yaml", &sealed()),
        ("apps/web/configmap.yaml", CONFIGMAP),
    ])
}

#[test]
fn cold_warm_and_uncached_staged_scans_find_the_same() {
    let dir = two_builds();
    // A Flux Kustomization moves a staged SealedSecret; a staged kustomization moves a
    // committed one.
    stage(
        dir.path(),
        &[
            ("apps/app/sealed.yaml", &sealed()),
            ("apps/web/kustomization.yaml", &kustomization(Some("other"))),
        ],
    );
    let mut expected = moved("apps/app/sealed.yaml");
    expected.extend(moved("apps/web/sealed.yaml"));
    assert_eq!(staged(dir.path(), &["--no-cache"]), expected);
    assert!(!dir.path().join(".sealant_cache").exists(), "--no-cache");
    assert_eq!(staged(dir.path(), &[]), expected, "cold");
    let written = fs::read(dir.path().join(CACHE)).unwrap();
    // It lists the manifests without an entry point, not the Flux Kustomization.
    let holds = |path: &str| written.windows(20).any(|w| w == blob_id(dir.path(), path));
    assert!(holds("config/c7.yaml") && holds("apps/app/configmap.yaml"));
    assert!(!holds("clusters/prod/app.yaml"));
    assert_eq!(staged(dir.path(), &[]), expected, "warm");
    assert_eq!(fs::read(dir.path().join(CACHE)).unwrap(), written);
    // A Flux Kustomization staged for the first time, with a warm cache.
    git(dir.path(), &["reset", "-q"]);
    git(
        dir.path(),
        &["rm", "-q", "--cached", "clusters/prod/app.yaml"],
    );
    commit(dir.path());
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    assert_eq!(staged(dir.path(), &[]), []);
    stage(dir.path(), &[("clusters/prod/app.yaml", &flux("app"))]);
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    assert_eq!(
        staged(dir.path(), &["--no-cache"]),
        moved("apps/app/sealed.yaml")
    );
}

#[test]
fn a_file_the_cache_holds_without_an_entry_point_is_read_again_once_it_has_one() {
    let dir = repo(&[
        ("clusters/prod/app.yaml", CONFIGMAP),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    assert_eq!(staged(dir.path(), &[]), []);
    assert!(dir.path().join(CACHE).exists());
    // The same path now holds a Flux Kustomization (committed: not itself a change).
    recommit_flux(dir.path(), &flux("app"));
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
}

#[test]
fn a_flux_kustomization_in_a_blob_seen_before_under_another_path_is_read() {
    let dir = repo(&[
        ("archive/app.yaml", &flux("app")),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    // The same bytes under a new path, committed; the archived copy gone.
    git(dir.path(), &["reset", "-q"]);
    fs::create_dir(dir.path().join("clusters")).unwrap();
    git(dir.path(), &["mv", "archive/app.yaml", "clusters/app.yaml"]);
    commit(dir.path());
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
}

/// JSON (or a YAML double-quoted string) can spell the apiVersion with an escape: the blob
/// is read all the same, as the working-tree scan parses it.
#[test]
fn a_flux_kustomization_whose_api_version_is_escaped_is_read() {
    let escaped = r#"{"apiVersion": "kustomize.toolkit.fluxcd\u002eio/v1", "kind": "Kustomization", "metadata": {"name": "app", "namespace": "flux-system"}, "spec": {"interval": "10m", "path": "./apps/app", "targetNamespace": "other", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}}"#;
    let dir = repo(&[
        ("clusters/prod/app.yaml", escaped),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
}

#[test]
fn an_entry_of_the_cache_skips_reading_its_blob() {
    // What the trust rules guard against: an entry for a blob that does hold a Flux
    // Kustomization hides what it moves.
    let (dir, bytes) = forged();
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    fs::write(dir.path().join(CACHE), &bytes).unwrap();
    assert_eq!(staged(dir.path(), &[]), []);
    assert_eq!(
        staged(dir.path(), &["--no-cache"]),
        moved("apps/app/sealed.yaml")
    );
}

#[test]
fn a_cache_tracked_by_git_is_neither_read_nor_written() {
    let (dir, bytes) = forged();
    fs::write(dir.path().join(CACHE), &bytes).unwrap();
    git(dir.path(), &["add", "-f", CACHE]);
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    assert_eq!(fs::read(dir.path().join(CACHE)).unwrap(), bytes);
}

#[test]
fn a_cache_of_another_version_or_a_corrupt_one_is_ignored_and_replaced() {
    // Each would skip the Flux Kustomization if it were read.
    let (dir, bytes) = forged();
    let flux = blob_id(dir.path(), "clusters/prod/app.yaml");
    // Another version of the same length: only the header tells.
    let version = env!("CARGO_PKG_VERSION");
    let other: String = version
        .chars()
        .map(|c| {
            if c == '9' {
                '8'
            } else if c.is_ascii_digit() {
                '9'
            } else {
                c
            }
        })
        .collect();
    let foreign = cache_file(&other, vec![flux.clone()]);
    let count = String::from_utf8_lossy(&bytes).replace("\n1 sha1\n", "\n2 sha1\n");
    let miscounted = [&count.as_bytes()[..bytes.len() - 20], &flux].concat();
    let trailing = [&bytes[..], b"\n"].concat();
    let duplicate = cache_file(env!("CARGO_PKG_VERSION"), vec![flux.clone(), flux.clone()]);
    for (what, file) in [
        ("foreign", foreign),
        ("miscounted", miscounted),
        ("trailing", trailing),
        ("duplicate", duplicate),
    ] {
        fs::write(dir.path().join(CACHE), &file).unwrap();
        assert_eq!(
            staged(dir.path(), &[]),
            moved("apps/app/sealed.yaml"),
            "{what}"
        );
        let now = fs::read(dir.path().join(CACHE)).unwrap();
        let header = format!("sealant-cache 1 {} ", env!("CARGO_PKG_VERSION"));
        assert!(now.starts_with(header.as_bytes()), "{what}: replaced");
        assert!(!now.windows(20).any(|w| w == flux), "{what}: replaced");
    }
}

#[test]
fn a_cache_that_cannot_be_written_does_not_fail_the_scan() {
    let dir = repo(&[
        ("clusters/prod/app.yaml", &flux("app")),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    // A directory where the file goes: every write fails (as in a read-only checkout, which
    // root, who runs these tests in CI, could still write).
    fs::create_dir_all(dir.path().join(CACHE).join("x")).unwrap();
    let out = sealant_in(Some(dir.path()), &["scan", "--staged"], b"");
    assert_eq!(out.status.code(), Some(1), "a finding: {}", stderr(&out));
    assert!(!stderr(&out).contains("cache"), "{}", stderr(&out));
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    // A file where the directory goes.
    fs::remove_dir_all(dir.path().join(".sealant_cache")).unwrap();
    fs::write(dir.path().join(".sealant_cache"), "not a directory\n").unwrap();
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    let text = fs::read_to_string(dir.path().join(".sealant_cache")).unwrap();
    assert_eq!(text, "not a directory\n");
}

#[test]
fn nothing_is_written_in_git_or_outside_the_root() {
    let outer = tempfile::tempdir().unwrap();
    let elsewhere = outer.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let dir = repo(&[
        ("clusters/prod/app.yaml", &flux("app")),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    let git_dir = snapshot(&dir.path().join(".git"));
    // A symlink in the cache's place is not followed.
    std::os::unix::fs::symlink(&elsewhere, dir.path().join(".sealant_cache")).unwrap();
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    fs::remove_file(dir.path().join(".sealant_cache")).unwrap();
    // Made in the root, with a .gitignore: git status stays clean.
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    assert!(dir.path().join(CACHE).is_file());
    assert!(dir.path().join(".sealant_cache/CACHEDIR.TAG").is_file());
    let status = git(
        dir.path(),
        &["status", "--porcelain", "--untracked-files=all"],
    );
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert_eq!(status, "A  apps/app/sealed.yaml\n");
    assert_eq!(snapshot(&dir.path().join(".git")), git_dir);
}

#[test]
fn a_killed_run_s_temp_file_is_removed_by_the_next_write() {
    let dir = repo(&[("apps/app/configmap.yaml", CONFIGMAP)]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    // Killed between writing the temp file and renaming it (a debug build's test hook).
    let killed = std::process::Command::new(env!("CARGO_BIN_EXE_sealant"))
        .args(["scan", "--staged"])
        .current_dir(dir.path())
        .env("SEALANT_TEST_KILL_BEFORE_RENAME", "graph-skip-v1")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "killed");
    let temps = || -> Vec<String> {
        fs::read_dir(dir.path().join(".sealant_cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    };
    assert_eq!(temps().len(), 1);
    assert!(!dir.path().join(CACHE).exists());
    staged(dir.path(), &[]);
    assert!(dir.path().join(CACHE).is_file());
    assert_eq!(temps(), Vec::<String>::new());
}

#[test]
fn the_worktree_scan_is_the_same_with_a_cache_in_the_root() {
    let dir = repo(&[
        ("clusters/prod/app.yaml", &flux("app")),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    let scan = || {
        let out = sealant_in(Some(dir.path()), &["scan", "--format", "json", "."], b"");
        let mut report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        report["summary"]["elapsed_ms"] = 0.into();
        report
    };
    let before = scan();
    staged(dir.path(), &[]);
    assert!(dir.path().join(CACHE).is_file());
    assert_eq!(scan(), before);
}

#[test]
fn a_range_in_a_bare_repository_writes_no_cache_into_it() {
    let dir = repo(&[
        ("clusters/prod/app.yaml", &flux("app")),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    commit(dir.path());
    let range = "HEAD~1..HEAD";
    let scan = |at: &Path| {
        let out = sealant_in(
            Some(at),
            &["scan", "--range", range, "--format", "json"],
            b"",
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    };
    scan(dir.path());
    assert!(dir.path().join(CACHE).is_file(), "a checkout has one");
    let bare = tempfile::tempdir().unwrap();
    let target = bare.path().join("repo.git");
    let source = dir.path().to_str().unwrap();
    git(
        bare.path(),
        &["clone", "-q", "--bare", source, target.to_str().unwrap()],
    );
    let before = snapshot(&target);
    scan(&target);
    assert_eq!(snapshot(&target), before);
}

const FACTS: &str = ".sealant_cache/graph-facts-v1";

/// The header line of the facts cache sealant wrote in `dir` (it names the sealant build).
fn facts_header(dir: &Path) -> Vec<u8> {
    let bytes = fs::read(dir.join(FACTS)).unwrap();
    let end = bytes.iter().position(|&b| b == b'\n').unwrap();
    bytes[..=end].to_vec()
}

/// A length-prefixed string, as the facts cache writes it.
fn field(text: &str) -> Vec<u8> {
    [&(text.len() as u32).to_le_bytes()[..], text.as_bytes()].concat()
}

/// A facts cache entry for a Flux Kustomization at `path` (blob `id`) building `dir`, with
/// no target namespace.
fn flux_entry(id: &[u8], path: &str, dir: &str) -> Vec<u8> {
    let mut entry = id.to_vec();
    entry.extend(field(path));
    entry.extend(100u64.to_le_bytes()); // size
    entry.push(1); // holds an entry point
    entry.extend(1u32.to_le_bytes()); // one fact: a Flux Kustomization
    entry.push(1);
    entry.extend(7u64.to_le_bytes()); // line
    entry.extend(field(dir));
    entry.push(0); // no targetNamespace
    entry
}

/// A repository where the committed Flux Kustomization `clusters/prod/app.yaml` moves a
/// staged SealedSecret, its facts cache written, and a facts file whose one entry says the
/// Flux Kustomization builds another directory (as a forged entry would):
/// `(repo, forged bytes)`.
fn forged_facts() -> (tempfile::TempDir, Vec<u8>) {
    let dir = moving_flux();
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    let id = blob_id(dir.path(), "clusters/prod/app.yaml");
    let mut bytes = facts_header(dir.path());
    bytes.extend(b"1 sha1\n");
    bytes.extend(flux_entry(&id, "clusters/prod/app.yaml", "apps/elsewhere"));
    (dir, bytes)
}

#[test]
fn the_facts_cache_keeps_kustomizations_and_flux_kustomizations_and_finds_the_same() {
    let dir = two_builds();
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    let expected = moved("apps/app/sealed.yaml");
    assert_eq!(staged(dir.path(), &[]), expected, "cold");
    let written = fs::read(dir.path().join(FACTS)).unwrap();
    let holds = |path: &str| {
        let id = blob_id(dir.path(), path);
        written.windows(20).any(|w| w == id)
    };
    assert!(holds("clusters/prod/app.yaml") && holds("apps/web/kustomization.yaml"));
    // No SealedSecret, and so no value of any kind.
    assert!(!holds("apps/app/sealed.yaml") && !holds("apps/web/sealed.yaml"));
    assert_eq!(staged(dir.path(), &[]), expected, "warm");
    assert_eq!(fs::read(dir.path().join(FACTS)).unwrap(), written);
    assert_eq!(staged(dir.path(), &["--no-cache"]), expected);
    // A kustomization staged with a new namespace is a new blob: read, not taken from the
    // cache, and it moves what it includes.
    stage(
        dir.path(),
        &[("apps/web/kustomization.yaml", &kustomization(Some("other")))],
    );
    let mut both = expected.clone();
    both.extend(moved("apps/web/sealed.yaml"));
    assert_eq!(staged(dir.path(), &[]), both);
    assert_eq!(staged(dir.path(), &["--no-cache"]), both);
}

#[test]
fn a_flux_kustomization_that_changed_is_read_again() {
    let dir = moving_flux();
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    // Committed with the SealedSecret's own namespace: nothing moves any more.
    let same = flux("app").replace("targetNamespace: other", "targetNamespace: api");
    recommit_flux(dir.path(), &same);
    assert_eq!(staged(dir.path(), &[]), []);
    // And back: the first blob's entry holds again.
    recommit_flux(dir.path(), &flux("app"));
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
}

#[test]
fn a_file_over_max_file_size_is_not_read_whatever_the_facts_cache_holds() {
    // Larger than the SealedSecret (which is read), by a comment.
    let big = format!("{}# {}\n", flux("app"), "x".repeat(2000));
    let dir = repo(&[
        ("clusters/prod/app.yaml", &big),
        ("apps/app/configmap.yaml", CONFIGMAP),
    ]);
    stage(dir.path(), &[("apps/app/sealed.yaml", &sealed())]);
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    assert!(dir.path().join(FACTS).is_file());
    fs::write(dir.path().join(".sealant.yaml"), "max-file-size: 1500\n").unwrap();
    assert_eq!(staged(dir.path(), &["--no-cache"]), []);
    assert_eq!(staged(dir.path(), &[]), []);
}

#[test]
fn an_entry_of_the_facts_cache_is_believed_and_no_cache_reads_the_blob() {
    // What the trust rules guard against, as for the skip cache: a forged entry hides what
    // the Flux Kustomization moves.
    let (dir, bytes) = forged_facts();
    fs::write(dir.path().join(FACTS), &bytes).unwrap();
    assert_eq!(staged(dir.path(), &[]), []);
    assert_eq!(
        staged(dir.path(), &["--no-cache"]),
        moved("apps/app/sealed.yaml")
    );
    // Tracked by git, the cache is not read.
    git(dir.path(), &["add", "-f", FACTS]);
    assert_eq!(staged(dir.path(), &[]), moved("apps/app/sealed.yaml"));
    assert_eq!(fs::read(dir.path().join(FACTS)).unwrap(), bytes);
}

#[test]
fn a_corrupt_truncated_oversized_or_foreign_facts_cache_is_ignored_and_replaced() {
    // Each would hide the finding if it were read.
    let (dir, bytes) = forged_facts();
    let header = facts_header(dir.path());
    let body = &bytes[header.len() + b"1 sha1\n".len()..];
    let id = blob_id(dir.path(), "clusters/prod/app.yaml");
    let entry = |path: &str| flux_entry(&id, path, "apps/elsewhere");
    let with = |count: &str, body: &[u8]| [&header[..], count.as_bytes(), body].concat();
    let foreign = String::from_utf8(header.clone())
        .unwrap()
        .replace("sealant-cache 1 ", "sealant-cache 2 ");
    let mut bad_utf8 = body.to_vec();
    let at = 20 + 4; // the first byte of the path
    bad_utf8[at] = 0xff;
    let mut bad_flag = body.to_vec();
    bad_flag[20 + 4 + "clusters/prod/app.yaml".len() + 8] = 2;
    let mut long_length = body.to_vec();
    long_length[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    let oversized = with("1 sha1\n", &[body, &vec![0; 33 << 20]].concat());
    let sorted_pair = [entry("a.yaml"), entry("clusters/prod/app.yaml")].concat();
    let unsorted = [entry("clusters/prod/app.yaml"), entry("a.yaml")].concat();
    for (what, file) in [
        ("truncated", bytes[..bytes.len() - 1].to_vec()),
        ("trailing", [&bytes[..], b"\n"].concat()),
        ("miscounted", with("2 sha1\n", body)),
        ("uncounted", with("x sha1\n", body)),
        ("foreign", [foreign.as_bytes(), b"1 sha1\n", body].concat()),
        ("bad utf-8", with("1 sha1\n", &bad_utf8)),
        ("bad flag", with("1 sha1\n", &bad_flag)),
        ("long length", with("1 sha1\n", &long_length)),
        ("oversized", oversized),
        ("unsorted", with("2 sha1\n", &unsorted)),
        ("duplicate", with("2 sha1\n", &[body, body].concat())),
    ] {
        fs::write(dir.path().join(FACTS), &file).unwrap();
        assert_eq!(
            staged(dir.path(), &[]),
            moved("apps/app/sealed.yaml"),
            "{what}"
        );
        let now = fs::read(dir.path().join(FACTS)).unwrap();
        assert!(now.starts_with(&header), "{what}: replaced");
        assert!(!now.windows(14).any(|w| w == b"apps/elsewhere"), "{what}");
    }
    // Well-formed, the same entries are read (the test's own check of its forgeries).
    fs::write(dir.path().join(FACTS), with("2 sha1\n", &sorted_pair)).unwrap();
    assert_eq!(staged(dir.path(), &[]), []);
}
