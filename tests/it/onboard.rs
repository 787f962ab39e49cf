//! Onboarding: `sealant cert pin`, `sealant init --cert`, the README anchors init points to, the
//! advice for Secrets whose namespace nothing determines, and README's walkthrough "A repository
//! with two clusters", run as written.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::{
    copy_dir, fails, ok, path_str, pin_test_cert, sealant, sealant_in, snapshot, stderr, stdout,
    testdata, vector,
};

const README: &str = include_str!("../../README.md");
const WALKTHROUGH: &str = "A repository with two clusters";

fn fingerprint(cert: &Path) -> String {
    ok(sealant(&["cert", "fingerprint", path_str(cert)], b""))
        .trim()
        .to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

// --- `sealant cert pin` ---------------------------------------------------------------------

const CONFIG: &str = "# our settings\nexclude: [\"vendor/**\"]   # third-party\ncerts:\n  # the big one\n  - name: production # rotated yearly\n    cert: certs/production.pem\n    sha256: FP\n    paths: [\"prod/**\"]\n# staging comes later\nscope: strict\n";

/// `CONFIG` pinning the 2048-bit cert.
fn config() -> String {
    CONFIG.replace("FP", &fingerprint(&vector("cert2048.pem")))
}

/// A directory with `config()`, the 2048-bit cert as certs/production.pem and a `clusters/` tree.
fn configured() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("certs")).unwrap();
    std::fs::create_dir_all(tmp.path().join("clusters/production")).unwrap();
    std::fs::create_dir_all(tmp.path().join("clusters/staging")).unwrap();
    std::fs::copy(
        vector("cert2048.pem"),
        tmp.path().join("certs/production.pem"),
    )
    .unwrap();
    std::fs::write(tmp.path().join(".sealant.yaml"), config()).unwrap();
    tmp
}

#[test]
fn cert_pin_updates_an_entry_in_place_keeping_every_other_byte() {
    let tmp = configured();
    let dir = tmp.path();
    // The controller's key was rotated: its new cert replaces the old file, and the old pin no
    // longer loads.
    std::fs::copy(vector("cert4096.pem"), dir.join("certs/production.pem")).unwrap();
    fails(sealant_in(Some(dir), &["scan"], b""));
    let fp = fingerprint(&vector("cert4096.pem"));
    let out = ok(sealant_in(
        Some(dir),
        &[
            "cert",
            "pin",
            "certs/production.pem",
            "--name",
            "production",
            "--root",
            "clusters/production",
        ],
        b"",
    ));
    assert!(
        out.starts_with("updated certs entry \"production\" in .sealant.yaml:"),
        "{out}"
    );
    let expected = CONFIG
        .replace("FP", &fp)
        .replace("paths: [\"prod/**\"]", "roots: [\"clusters/production\"]");
    assert_eq!(read(&dir.join(".sealant.yaml")), expected);
    // The result loads: a scan of the directory accepts it.
    ok(sealant_in(Some(dir), &["scan", "--format", "json"], b""));
}

#[test]
fn cert_pin_adds_a_new_entry_after_the_others_and_saves_an_outside_cert_in_the_repository() {
    let tmp = configured();
    let dir = tmp.path();
    let outside = vector("cert4096.pem");
    let fp = fingerprint(&outside);
    let out = ok(sealant_in(
        Some(dir),
        &[
            "cert",
            "pin",
            path_str(&outside),
            "--name",
            "staging",
            "--paths",
            "clusters/staging/**",
            "--paths",
            "**/overlays/staging/**",
        ],
        b"",
    ));
    assert!(out.contains("saved the cert as certs/staging.pem"), "{out}");
    assert_eq!(read(&dir.join("certs/staging.pem")), read(&outside));
    let entry = format!("  - name: staging\n    cert: certs/staging.pem\n    sha256: {fp}\n    paths: [\"clusters/staging/**\", \"**/overlays/staging/**\"]\n");
    let expected = config().replace(
        "# staging comes later\n",
        &format!("{entry}# staging comes later\n"),
    );
    assert_eq!(read(&dir.join(".sealant.yaml")), expected);
    // Pinning the same again changes nothing.
    let again = ok(sealant_in(
        Some(dir),
        &[
            "cert",
            "pin",
            "certs/staging.pem",
            "--name",
            "staging",
            "--paths",
            "clusters/staging/**",
            "--paths",
            "**/overlays/staging/**",
        ],
        b"",
    ));
    assert!(again.starts_with("updated"), "{again}");
    assert_eq!(read(&dir.join(".sealant.yaml")), expected);
}

#[test]
fn cert_pin_refuses_what_it_cannot_do_safely_and_changes_nothing() {
    let flow = "certs: [{name: a, cert: a.pem, sha256: 00, paths: [x]}]\n";
    let prod = "certs/production.pem";
    let expired = "certs/old.pem";
    let config = config();
    let cases: [(&str, &str, &[&str], &str); 6] = [
        (
            &config,
            prod,
            &["--name", "production", "--root", "clusters/nowhere"],
            "is not a file or directory under",
        ),
        (
            flow,
            prod,
            &["--name", "production", "--root", "clusters/production"],
            "flow list",
        ),
        (
            &config,
            prod,
            &["--name", "../prod", "--root", "clusters/production"],
            "not a usable entry name",
        ),
        (
            &config,
            prod,
            &["--name", "p", "--paths", "a/[b"],
            "--paths \"a/[b\"",
        ),
        (
            &config,
            prod,
            &[
                "--name",
                "p",
                "--root",
                "clusters",
                "--config",
                "missing.yaml",
            ],
            "missing.yaml",
        ),
        (
            &config,
            expired,
            &["--name", "old", "--root", "clusters/production"],
            "expired",
        ),
    ];
    for (config, cert, args, message) in cases {
        let tmp = configured();
        let dir = tmp.path();
        std::fs::write(dir.join(".sealant.yaml"), config).unwrap();
        std::fs::copy(testdata("certs/expired2048.pem"), dir.join(expired)).unwrap();
        let mut argv = vec!["cert", "pin", cert];
        argv.extend(args);
        let before = snapshot(dir);
        let err = fails(sealant_in(Some(dir), &argv, b""));
        assert!(err.contains(message), "{args:?}: {err}");
        assert_eq!(snapshot(dir), before, "{args:?}");
    }
    // An expired cert is pinned when that is asked for.
    let tmp = configured();
    let argv = [
        "cert",
        "pin",
        expired,
        "--name",
        "old",
        "--root",
        "clusters",
        "--allow-expired-cert",
    ];
    std::fs::copy(testdata("certs/expired2048.pem"), tmp.path().join(expired)).unwrap();
    ok(sealant_in(Some(tmp.path()), &argv, b""));
}

#[test]
fn cert_pin_without_a_configuration_says_to_run_init() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("c")).unwrap();
    let err = fails(sealant_in(
        Some(tmp.path()),
        &[
            "cert",
            "pin",
            path_str(&vector("cert2048.pem")),
            "--name",
            "c",
            "--root",
            "c",
        ],
        b"",
    ));
    assert!(err.contains("sealant init --cert"), "{err}");
    assert_eq!(snapshot(tmp.path()).len(), 0);
}

/// Serves `body` once over HTTP on a free local port; returns its URL.
#[cfg(feature = "fetch")]
fn serve_once(body: String) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/cert.pem", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
            line.clear();
        }
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    (url, server)
}

#[cfg(feature = "fetch")]
#[test]
fn cert_pin_from_a_url_saves_the_cert_as_certs_name_pem() {
    let tmp = configured();
    let dir = tmp.path();
    let (url, server) = serve_once(read(&vector("cert4096.pem")));
    ok(sealant_in(
        Some(dir),
        &[
            "cert",
            "pin",
            &url,
            "--name",
            "staging",
            "--root",
            "clusters/staging",
        ],
        b"",
    ));
    server.join().unwrap();
    assert_eq!(
        read(&dir.join("certs/staging.pem")),
        read(&vector("cert4096.pem"))
    );
    assert!(read(&dir.join(".sealant.yaml")).contains("    cert: certs/staging.pem\n"));
}

#[cfg(not(feature = "fetch"))]
#[test]
fn cert_pin_from_a_url_names_the_missing_feature() {
    let tmp = configured();
    let err = fails(sealant_in(
        Some(tmp.path()),
        &[
            "cert",
            "pin",
            "http://127.0.0.1:9/v1/cert.pem",
            "--name",
            "s",
            "--root",
            "clusters",
        ],
        b"",
    ));
    assert!(err.contains("cargo feature `fetch`"), "{err}");
}

// --- `sealant init` -------------------------------------------------------------------------

#[test]
fn init_with_a_cert_writes_the_template_with_that_entry() {
    let tmp = configured();
    let dir = tmp.path();
    std::fs::remove_file(dir.join(".sealant.yaml")).unwrap();
    let out = ok(sealant_in(
        Some(dir),
        &[
            "init",
            "--cert",
            "certs/production.pem",
            "--name",
            "production",
            "--root",
            "clusters/production",
        ],
        b"",
    ));
    assert!(
        out.starts_with("wrote .sealant.yaml\nadded certs entry \"production\""),
        "{out}"
    );
    let config = read(&dir.join(".sealant.yaml"));
    let fp = fingerprint(&vector("cert2048.pem"));
    assert!(
        config.contains(&format!("certs:\n  - name: production\n    cert: certs/production.pem\n    sha256: {fp}\n    roots: [\"clusters/production\"]\n#  - name: production\n")),
        "{config}"
    );
    assert!(config.contains("fingerprint-salt:") && config.contains("# scope: strict"));
    // The flags that say how to pin need a cert to pin.
    let err = fails(sealant_in(
        Some(dir),
        &["init", "--force", "--name", "production"],
        b"",
    ));
    assert!(err.contains("--cert"), "{err}");
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn readme_anchors() -> BTreeSet<String> {
    let mut fenced = false;
    let mut anchors = BTreeSet::new();
    for line in README.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            anchors.insert(slug(line.trim_start_matches('#')));
        }
    }
    anchors
}

#[test]
fn init_points_only_to_readme_sections_that_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(sealant_in(Some(tmp.path()), &["init"], b""));
    let text = format!("{out}{}", read(&tmp.path().join(".sealant.yaml")));
    let prefix = "https://github.com/sealant-dev/sealant#";
    let linked: Vec<&str> = text
        .split(prefix)
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                .next()
                .unwrap()
        })
        .collect();
    assert!(linked.len() >= 2, "{text}");
    let anchors = readme_anchors();
    for anchor in linked {
        assert!(anchors.contains(anchor), "README has no heading #{anchor}");
    }
}

/// What every place says about where the configuration's paths start.
const RELATIVE: &str = "relative to the directory holding .sealant.yaml";

fn one_line(text: &str) -> String {
    text.replace('`', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn init_and_readme_say_the_same_about_where_paths_are_relative_to() {
    let tmp = tempfile::tempdir().unwrap();
    ok(sealant_in(Some(tmp.path()), &["init"], b""));
    let template = read(&tmp.path().join(".sealant.yaml"));
    let template: String = one_line(
        &template
            .lines()
            .map(|l| l.trim_start_matches('#'))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let readme = one_line(README);
    for (what, text) in [("init's template", &template), ("README", &readme)] {
        assert!(text.contains(RELATIVE), "{what} does not say {RELATIVE:?}");
        for other in ["relative to the repository root", "relative to this file"] {
            assert!(!text.contains(other), "{what} says {other:?}");
        }
    }
    // And that is what the configuration does: a `cert:` path and a glob in a configuration
    // below the repository root start at its directory.
    let repo = tempfile::tempdir().unwrap();
    crate::common::git(repo.path(), &["init", "-q"]);
    let sub = repo.path().join("team");
    std::fs::create_dir_all(sub.join("apps")).unwrap();
    pin_test_cert(&sub);
    std::fs::write(
        sub.join(".sealant.yaml"),
        read(&sub.join(".sealant.yaml")) + "exclude: [\"apps/**\"]\n",
    )
    .unwrap();
    std::fs::write(sub.join("apps/s.yaml"), SECRET_NO_NAMESPACE).unwrap();
    let out = sealant_in(Some(repo.path()), &["scan", "team"], b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

// --- advice for a Secret whose namespace nothing determines ---------------------------------

const SECRET_NO_NAMESPACE: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: fixture-onboard-pass\n";

/// (path, content) of the files of a repository.
type Files<'a> = Vec<(&'a str, &'a str)>;

/// A repository pinned to the test cert, with `files` (path, content).
fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = tmp.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    pin_test_cert(tmp.path());
    tmp
}

#[test]
fn advice_for_a_secret_without_a_namespace_is_per_secret_or_per_overlay_never_a_repository_default()
{
    let base = ("base/kustomization.yaml", "resources: [secret.yaml]\n");
    let secret = ("base/secret.yaml", SECRET_NO_NAMESPACE);
    let overlay =
        |ns: &str, extra: &str| format!("namespace: {ns}\n{extra}resources: [../../base]\n");
    let (a, b) = (overlay("a", ""), overlay("b", ""));
    let renamed = overlay("a", "namePrefix: dev-\n");
    let generator =
        "secretGenerator:\n  - name: db\n    literals: [password=fixture-onboard-gen]\n";
    let cases: Vec<(Files, &str, &[&str])> = vec![
        (
            vec![base, secret],
            "has no namespace",
            &["overlay", "cluster-wide: \"true\""],
        ),
        (
            vec![
                base,
                secret,
                ("o/a/kustomization.yaml", &a),
                ("o/b/kustomization.yaml", &b),
            ],
            // Sealed once per overlay (tests/it/mcfix.rs) when the base's `resources` is a
            // block list; this one is in flow style, and the advice says what to change.
            "flow style",
            &["block list"],
        ),
        (
            vec![base, secret, ("o/a/kustomization.yaml", &renamed)],
            "renames Secret",
            &["overlay", "namespace-wide: \"true\""],
        ),
        (
            vec![("base/kustomization.yaml", generator)],
            "has no namespace",
            &["overlay"],
        ),
        (
            vec![
                ("base/kustomization.yaml", generator),
                ("o/a/kustomization.yaml", &a),
            ],
            "a parent of this kustomization",
            &["overlay"],
        ),
    ];
    for (files, problem, advice) in cases {
        let tmp = repo_with(&files);
        let out = sealant(&["scan", "--fix", "--dry-run", path_str(tmp.path())], b"");
        let err = stderr(&out);
        assert!(
            err.contains("not fixed") && err.contains(problem),
            "{files:?}: {err}"
        );
        for words in advice {
            assert!(err.contains(words), "{files:?}: no {words:?} in {err}");
        }
        for default in [
            "scope: cluster-wide",
            "scope: namespace-wide",
            "in .sealant.yaml",
        ] {
            assert!(
                !err.contains(default),
                "{files:?}: advises {default:?}: {err}"
            );
        }
    }
}

// --- README's walkthrough -------------------------------------------------------------------

/// One `$ command` of a `console` block and the output shown under it.
#[derive(Debug)]
struct Step {
    command: String,
    expected: Vec<String>,
}

/// The text of the README section titled `title`, up to the next heading of its level or above.
fn section<'a>(readme: &'a str, title: &str) -> &'a str {
    let mut fenced = false;
    let mut start = None;
    let mut level = 0;
    let mut offset = 0;
    for line in readme.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            let depth = line.chars().take_while(|c| *c == '#').count();
            match start {
                None if line[depth..].trim() == title => {
                    start = Some(offset);
                    level = depth;
                }
                Some(s) if depth <= level => return &readme[s..offset],
                _ => {}
            }
        }
        offset += line.len();
    }
    &readme[start.unwrap_or_else(|| panic!("README has no section {title:?}"))..]
}

/// The commands of the section's ```` ```console ```` blocks, in order, with their output.
fn steps(section: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_console = false;
    for line in section.lines() {
        let fence = line.trim_start().starts_with("```");
        if fence {
            in_console = !in_console && line.trim() == "```console";
        } else if in_console {
            match line.strip_prefix("$ ") {
                Some(command) => steps.push(Step {
                    command: command.to_string(),
                    expected: Vec::new(),
                }),
                None => steps
                    .last_mut()
                    .expect("output before the first command")
                    .expected
                    .push(line.to_string()),
            }
        }
    }
    steps
}

/// Whether `actual` is `expected`, where a `...` line stands for any number of lines and
/// trailing blanks do not count.
fn shows(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|i| shows(rest, &actual[i..]))
        }
        Some((first, rest)) => {
            actual
                .first()
                .is_some_and(|a| a.trim_end() == first.trim_end())
                && shows(rest, &actual[1..])
        }
    }
}

#[test]
fn the_shown_output_matching_sees_a_difference() {
    let lines = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(shows(&lines(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(shows(&lines(&["a", "..."]), &["a"]));
    assert!(!shows(&lines(&["a", "d"]), &["a", "b", "d"]));
    assert!(!shows(&lines(&["a", "...", "e"]), &["a", "b", "d"]));
}

#[test]
fn the_readme_walkthrough_with_two_clusters_runs_as_shown() {
    let steps = steps(section(README, WALKTHROUGH));
    for needed in [
        "sealant init",
        "sealant cert pin",
        "sealant scan",
        "sealant where",
        "sealant scan --fix",
    ] {
        assert!(
            steps.iter().any(|s| s.command.starts_with(needed)),
            "the walkthrough has no `{needed}`"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&testdata("two-clusters"), tmp.path());
    let bin = Path::new(env!("CARGO_BIN_EXE_sealant")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    for step in &steps {
        let out = Command::new("sh")
            .args(["-c", &step.command])
            .current_dir(tmp.path())
            .env("PATH", &path)
            .env_remove("SEALANT_KEYS")
            .output()
            .unwrap();
        let shown = stdout(&out);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "`{}` failed ({:?}):\n{}{}",
            step.command,
            out.status.code(),
            shown,
            stderr(&out)
        );
        let actual: Vec<&str> = shown.lines().collect();
        assert!(
            shows(&step.expected, &actual),
            "`{}` printed:\n{shown}\nREADME shows:\n{}",
            step.command,
            step.expected.join("\n")
        );
    }
}

/// `certs/` as a symlink out of the repository: the cert is not written through it.
#[cfg(unix)]
#[test]
fn cert_pin_does_not_save_through_a_symlinked_certs_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, outside) = (tmp.path().join("repo"), tmp.path().join("outside"));
    std::fs::create_dir_all(repo.join("clusters/prod")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("certs")).unwrap();
    std::fs::write(repo.join(".sealant.yaml"), "certs: []\n").unwrap();
    let cert = vector("cert2048.pem");
    let args = [
        "cert",
        "pin",
        path_str(&cert),
        "--name",
        "prod",
        "--root",
        "clusters/prod",
    ];
    let out = sealant_in(Some(&repo), &args, b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a symlink or not a directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside"
    );
    assert_eq!(read(&repo.join(".sealant.yaml")), "certs: []\n");
}
