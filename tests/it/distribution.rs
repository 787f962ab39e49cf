//! Distribution: the Action's install step against a release served over HTTP, the release
//! workflow checked by real validators, and the version string.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::{path_str, sealant, stdout};
use crate::git::tool;

const VERSION: &str = "1.2.3";
const ARCHIVE: &str = "sealant-v1.2.3-x86_64-unknown-linux-musl.tar.gz";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    std::env::var_os("SEALANT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// `python3 -m http.server` on a free port of 127.0.0.1, serving `dir`; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python())
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run python3 -m http.server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "http.server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A release `vVERSION` under `root`: the Linux x86_64 archive holding a fake `sealant` script,
/// and SHA256SUMS listing `listed` as the archive's checksum (the true one when `None`).
/// Returns the archive's true checksum.
fn release(root: &Path, listed: Option<&str>, with_archive: bool) -> String {
    let stage = tempfile::tempdir().unwrap();
    let top = stage
        .path()
        .join("sealant-v1.2.3-x86_64-unknown-linux-musl");
    fs::create_dir(&top).unwrap();
    fs::write(
        top.join("sealant"),
        "#!/bin/sh\necho 'sealant 1.2.3 (fake)'\n",
    )
    .unwrap();
    make_executable(&top.join("sealant"));
    let dir = root.join(format!("v{VERSION}"));
    fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(ARCHIVE);
    let out = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(stage.path())
        .arg("sealant-v1.2.3-x86_64-unknown-linux-musl")
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {out:?}");
    let sum = sha256_hex(&fs::read(&archive).unwrap());
    let listed = listed.unwrap_or(&sum);
    fs::write(
        dir.join("SHA256SUMS"),
        format!(
            "{listed}  {ARCHIVE}\n{}  sealant-v1.2.3-x86_64-pc-windows-msvc.zip\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    if !with_archive {
        fs::remove_file(&archive).unwrap();
    }
    sum
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_: &Path) {}

/// A runner's directories: the tool cache, GITHUB_PATH and GITHUB_OUTPUT files, a temp dir.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("toolcache")).unwrap();
        fs::create_dir(dir.path().join("temp")).unwrap();
        Runner { dir }
    }

    fn file(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("toolcache/sealant/1.2.3/x64")
    }

    /// Runs scripts/action-install.sh as action.yml does; `env` adds or overrides variables.
    fn install(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let root = self.dir.path();
        Command::new("bash")
            .arg(manifest_dir().join("scripts/action-install.sh"))
            .args(args)
            .env("GITHUB_ACTION_PATH", manifest_dir())
            .env("GITHUB_ACTION_REF", "")
            .env("VERSION", "")
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TOOL_CACHE", root.join("toolcache"))
            .env("RUNNER_TEMP", root.join("temp"))
            .env("GITHUB_PATH", root.join("github_path"))
            .env("GITHUB_OUTPUT", root.join("github_output"))
            .env("SEALANT_RELEASE_URL", "http://127.0.0.1:9/unused")
            .envs(env.iter().copied())
            .output()
            .expect("run action-install.sh")
    }

    /// Nothing was installed: no cache entry, nothing on PATH, no temp files left.
    #[track_caller]
    fn assert_nothing_installed(&self) {
        assert!(!self.dir.path().join("toolcache/sealant").exists());
        assert_eq!(self.file("github_path"), "");
        assert_eq!(
            fs::read_dir(self.dir.path().join("temp")).unwrap().count(),
            0
        );
    }
}

fn log(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn action_installs_the_verified_release_of_its_tag_and_caches_it() {
    let releases = tempfile::tempdir().unwrap();
    release(releases.path(), None, true);
    let server = Server::start(releases.path());
    let runner = Runner::new();
    let url = server.url.clone();
    let env = [
        ("GITHUB_ACTION_REF", "v1.2.3"),
        ("SEALANT_RELEASE_URL", &url),
    ];
    let out = runner.install(&[], &env);
    assert!(out.status.success(), "{}", log(&out));
    let cache = runner.cache();
    assert_eq!(runner.file("github_path"), format!("{}\n", cache.display()));
    assert!(cache.with_extension("complete").exists());
    let version = Command::new(cache.join("sealant")).output().unwrap();
    assert_eq!(stdout(&version), "sealant 1.2.3 (fake)\n");
    assert!(!runner.file("github_output").contains("build=true"));

    // A second run finds it in the tool cache: no server to download from.
    drop(server);
    fs::remove_file(runner.dir.path().join("github_path")).unwrap();
    let out = runner.install(&[], &env);
    assert!(out.status.success(), "{}", log(&out));
    assert!(
        log(&out).contains("found in the tool cache"),
        "{}",
        log(&out)
    );
    assert_eq!(runner.file("github_path"), format!("{}\n", cache.display()));
}

#[test]
fn action_refuses_an_archive_whose_checksum_differs() {
    let releases = tempfile::tempdir().unwrap();
    let sum = release(releases.path(), Some(&"ab".repeat(32)), true);
    let server = Server::start(releases.path());
    let runner = Runner::new();
    let out = runner.install(
        &[],
        &[("VERSION", "1.2.3"), ("SEALANT_RELEASE_URL", &server.url)],
    );
    assert!(!out.status.success());
    let log = log(&out);
    assert!(
        log.contains(&format!(
            "::error title=sealant install::checksum mismatch for {ARCHIVE}"
        )),
        "{log}"
    );
    assert!(log.contains(&sum), "{log}");
    runner.assert_nothing_installed();
}

#[test]
fn action_fails_when_the_release_lacks_its_archive() {
    let releases = tempfile::tempdir().unwrap();
    release(releases.path(), None, false);
    let server = Server::start(releases.path());
    let runner = Runner::new();
    let out = runner.install(
        &[],
        &[("VERSION", "v1.2.3"), ("SEALANT_RELEASE_URL", &server.url)],
    );
    assert!(!out.status.success());
    assert!(
        log(&out).contains(&format!("release v1.2.3 has no asset {ARCHIVE}")),
        "{}",
        log(&out)
    );
    assert!(log(&out).contains("HTTP 404"), "{}", log(&out));
    runner.assert_nothing_installed();
}

#[test]
fn action_fails_when_the_sums_do_not_list_its_archive() {
    let releases = tempfile::tempdir().unwrap();
    release(releases.path(), None, true);
    let server = Server::start(releases.path());
    let runner = Runner::new();
    // The sums list only the Windows zip: the macOS archive is unverifiable.
    let out = runner.install(
        &[],
        &[
            ("VERSION", "1.2.3"),
            ("RUNNER_OS", "macOS"),
            ("RUNNER_ARCH", "ARM64"),
            ("SEALANT_RELEASE_URL", &server.url),
        ],
    );
    assert!(!out.status.success());
    assert!(
        log(&out)
            .contains("SHA256SUMS has no entry for sealant-v1.2.3-aarch64-apple-darwin.tar.gz"),
        "{}",
        log(&out)
    );
    runner.assert_nothing_installed();
}

/// A stub cargo that records its arguments in the file `$CARGO_LOG`.
fn cargo_stub(dir: &Path) -> PathBuf {
    let stub = dir.join("cargo");
    fs::write(&stub, "#!/bin/sh\necho \"$@\" > \"$CARGO_LOG\"\n").unwrap();
    make_executable(&stub);
    stub
}

#[test]
fn action_builds_its_checkout_when_the_version_has_no_release() {
    let releases = tempfile::tempdir().unwrap();
    let server = Server::start(releases.path());
    let runner = Runner::new();
    let out = runner.install(
        &[],
        &[("VERSION", "9.9.9"), ("SEALANT_RELEASE_URL", &server.url)],
    );
    assert!(out.status.success(), "{}", log(&out));
    assert!(
        log(&out).contains("::notice title=sealant::no sealant release v9.9.9 to download"),
        "{}",
        log(&out)
    );
    let output = runner.file("github_output");
    assert!(output.contains("build=true\n"), "{output}");
    assert!(
        output.contains("cargo-key=sealant-cargo-Linux-X64-"),
        "{output}"
    );
    runner.assert_nothing_installed();

    // The build step, as action.yml runs it when the install step asked for it.
    let cargo_log = runner.dir.path().join("cargo.log");
    let out = runner.install(
        &["build"],
        &[
            ("CARGO", path_str(&cargo_stub(runner.dir.path()))),
            ("CARGO_LOG", path_str(&cargo_log)),
        ],
    );
    assert!(out.status.success(), "{}", log(&out));
    assert_eq!(
        fs::read_to_string(&cargo_log).unwrap(),
        format!("install --locked --path {}\n", manifest_dir().display())
    );
}

#[test]
fn action_builds_a_branch_ref_without_downloading() {
    let runner = Runner::new();
    for reference in ["main", "", "0123456789abcdef0123456789abcdef01234567"] {
        let out = runner.install(&[], &[("GITHUB_ACTION_REF", reference)]);
        assert!(out.status.success(), "{}", log(&out));
        assert!(log(&out).contains("is not a release tag"), "{}", log(&out));
    }
    assert_eq!(
        runner.file("github_output").matches("build=true").count(),
        3
    );
}

#[test]
fn release_workflow_passes_actionlint_and_the_workflow_schema() {
    let (Some(actionlint), Some(checker)) = (tool("actionlint"), tool("check-jsonschema")) else {
        return;
    };
    let workflow = manifest_dir().join(".github/workflows/release.yml");
    let out = Command::new(checker)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&workflow)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", log(&out));
    let out = Command::new(actionlint).arg(&workflow).output().unwrap();
    assert!(out.status.success(), "{}", log(&out));
}

/// The commit the binary was built from: SEALANT_BUILD_COMMIT, else git's short HEAD.
fn expected_commit() -> String {
    if let Some(commit) = option_env!("SEALANT_BUILD_COMMIT") {
        return commit.to_string();
    }
    let out = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(manifest_dir())
        .output();
    match out {
        Ok(out) if out.status.success() => stdout(&out).trim().to_string(),
        _ => "unknown".to_string(),
    }
}

#[test]
fn version_names_the_release_and_the_commit() {
    let out = sealant(&["--version"], b"");
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!(
            "sealant {} (commit {})\n",
            env!("CARGO_PKG_VERSION"),
            expected_commit()
        )
    );
}

/// The `version` line of a pyproject-like file and the sealant-gitops pin, if any.
fn pinned(text: &str, key: &str) -> Option<String> {
    let start = text.find(key)? + key.len();
    let rest = &text[start..];
    Some(rest[..rest.find('"')?].to_string())
}

#[test]
fn hook_manifests_are_valid_and_pin_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    let mirror = manifest_dir().join("pre-commit-mirror");
    let project = fs::read_to_string(mirror.join("pyproject.toml")).unwrap();
    assert_eq!(pinned(&project, "\nversion = \"").as_deref(), Some(version));
    assert_eq!(
        pinned(&project, "\"sealant-gitops==").as_deref(),
        Some(version)
    );
    let hooks = fs::read_to_string(manifest_dir().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.contains(&format!(
        "entry: ghcr.io/sealant-dev/sealant:{version} scan"
    )));
    // The mirror's hooks run what the main repository's hooks of the same id run.
    let mirrored = fs::read_to_string(mirror.join(".pre-commit-hooks.yaml")).unwrap();
    for id in ["sealant", "sealant-fix"] {
        let entry = |manifest: &str| {
            let hook = &manifest[manifest.find(&format!("\n- id: {id}\n")).unwrap()..];
            hook[hook.find("entry: ").unwrap()..]
                .lines()
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(entry(&mirrored), entry(&hooks), "{id}");
    }
    let Some(pre_commit) = tool("pre-commit") else {
        return;
    };
    for manifest in [
        manifest_dir().join(".pre-commit-hooks.yaml"),
        mirror.join(".pre-commit-hooks.yaml"),
    ] {
        let out = Command::new(&pre_commit)
            .arg("validate-manifest")
            .arg(&manifest)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", log(&out));
    }
}

/// Builds the wheel (scripts/build-wheel.sh: a release build, minutes), installs it into a fresh
/// venv and runs it there. Not in the default run:
/// `cargo test --test it distribution::wheel -- --ignored`.
#[test]
#[ignore]
fn wheel_installs_a_working_sealant() {
    let out = Command::new("bash")
        .arg(manifest_dir().join("scripts/build-wheel.sh"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", log(&out));
    let prefix = format!("sealant_gitops-{}-", env!("CARGO_PKG_VERSION"));
    let wheel = fs::read_dir(manifest_dir().join("target/wheels"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .max_by_key(|p| fs::metadata(p).unwrap().modified().unwrap())
        .expect("a sealant_gitops wheel in target/wheels");
    let venv = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .args(["-m", "venv"])
        .arg(venv.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", log(&out));
    let out = Command::new(venv.path().join("bin/pip"))
        .args(["install", "--quiet", "--no-index"])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", log(&out));
    let installed = venv.path().join("bin/sealant");
    let out = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        stdout(&out),
        format!(
            "sealant {} (commit {})\n",
            env!("CARGO_PKG_VERSION"),
            expected_commit()
        )
    );
    let out = Command::new(&installed)
        .args(["scan", "--format", "json"])
        .arg(manifest_dir().join("testdata/demo"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", log(&out));
    assert!(
        stdout(&out).contains("\"k8s-secret-data\""),
        "{}",
        log(&out)
    );
}
