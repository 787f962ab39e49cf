//! Shared helpers: locating the vectors, running the real binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `testdata/vectors`, or `$SEALANT_VECTORS`.
pub(crate) fn vectors() -> PathBuf {
    std::env::var_os("SEALANT_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors"))
}

pub(crate) fn vector(name: &str) -> PathBuf {
    let path = vectors().join(name);
    assert!(
        path.exists(),
        "missing test vector {} (testdata/vectors)",
        path.display()
    );
    path
}

pub(crate) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Runs the sealant binary with `args`, feeding `stdin`.
pub(crate) fn sealant(args: &[&str], stdin: &[u8]) -> Output {
    sealant_in(None, args, stdin)
}

pub(crate) fn sealant_in(dir: Option<&Path>, args: &[&str], stdin: &[u8]) -> Output {
    sealant_full(dir, args, &[], stdin)
}

/// Runs sealant with extra environment variables.
pub(crate) fn sealant_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    sealant_full(None, args, env, b"")
}

fn sealant_full(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sealant"));
    cmd.envs(env.iter().copied());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().expect("run sealant");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for sealant");
    writer.join().expect("stdin writer");
    out
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts success and returns stdout.
#[track_caller]
pub(crate) fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "sealant failed ({:?}):\n{}",
        out.status.code(),
        stderr(&out)
    );
    stdout(&out)
}

/// Asserts exit code 2 and returns stderr.
#[track_caller]
pub(crate) fn fails(out: Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2; stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    stderr(&out)
}

pub(crate) fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// (path relative to `base`, rule, line) of every finding of a JSON report.
pub(crate) fn found(
    report: &serde_json::Value,
    base: &str,
) -> std::collections::BTreeSet<(String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let rel = path
                .strip_prefix(base)
                .unwrap_or(path)
                .trim_start_matches('/');
            (
                rel.to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The same set, written as a list in a test.
pub(crate) fn expect(
    list: &[(&str, &str, u64)],
) -> std::collections::BTreeSet<(String, String, u64)> {
    list.iter()
        .map(|(p, r, l)| (p.to_string(), r.to_string(), *l))
        .collect()
}

/// Copies a directory tree (files and directories only) into `to`.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
pub(crate) fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// `git` with a fixed identity and no user or system configuration; the caller judges the exit.
pub(crate) fn git_command(dir: &Path) -> Command {
    let mut git = Command::new("git");
    git.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com");
    git
}

/// `git` that must succeed, as [`git_command`].
pub(crate) fn git(dir: &Path, args: &[&str]) -> Output {
    let out = git_command(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Pins the vectors' 2048-bit cert for every path of `repo` (`cert.pem` and a `.sealant.yaml`
/// naming it), as `--fix` needs.
pub(crate) fn pin_test_cert(repo: &Path) {
    std::fs::copy(vector("cert2048.pem"), repo.join("cert.pem")).unwrap();
    let fp = stdout(&sealant(
        &["cert", "fingerprint", path_str(&vector("cert2048.pem"))],
        b"",
    ));
    let config = format!(
        "certs:\n  - name: c\n    cert: cert.pem\n    sha256: {}\n    paths: [\"**\"]\n",
        fp.trim()
    );
    std::fs::write(repo.join(".sealant.yaml"), config).unwrap();
}

/// Writes files into the repository `dir` and stages them.
pub(crate) fn stage(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        git(dir, &["add", name]);
    }
}
