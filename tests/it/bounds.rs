//! Unbounded work: inputs that never end or block, huge files, huge thread counts and glob
//! lists, and a flood of idle connections to the controller.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{path_str, stderr, vector};

/// Far longer than any of these runs takes when bounded; reached only by a hang.
const HANG: Duration = Duration::from_secs(30);

/// Runs sealant in `dir` under a 4 GiB address-space limit (so an unbounded read fails
/// instead of eating the machine's memory), killing it at [`HANG`]: `None` if it had to be.
fn run_bounded(dir: &Path, args: &[&str]) -> Option<Output> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4194304; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_sealant"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sealant");
    let start = Instant::now();
    while start.elapsed() < HANG {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Asserts a clean refusal: exit 2 with a message naming `name`; returns the message.
#[track_caller]
fn refused(out: Option<Output>, name: &str) -> String {
    let out = out.expect("sealant hung and was killed");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{err}");
    assert!(err.contains(name), "the message names {name}:\n{err}");
    err
}

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\nstringData:\n  password: Zq8r2Lm5Nv9Wt1Xy\n";

#[test]
fn an_endless_device_as_cert_keys_or_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.yaml"), SECRET).unwrap();
    let cert = vector("cert2048.pem");
    let key = vector("key2048.pem");
    let err = refused(
        run_bounded(dir.path(), &["seal", "--cert", "/dev/zero", "-f", "s.yaml"]),
        "/dev/zero",
    );
    assert!(err.contains("not a regular file"), "{err}");
    refused(
        run_bounded(
            dir.path(),
            &["unseal", "--keys", "/dev/zero", "-f", "s.yaml"],
        ),
        "/dev/zero",
    );
    refused(
        run_bounded(
            dir.path(),
            &["seal", "--cert", path_str(&cert), "-f", "/dev/zero"],
        ),
        "/dev/zero",
    );
    refused(
        run_bounded(
            dir.path(),
            &["unseal", "--keys", path_str(&key), "-f", "/dev/zero"],
        ),
        "/dev/zero",
    );
}

#[test]
fn an_endless_device_as_a_pinned_cert_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join(".sealant.yaml"),
        "certs:\n  - name: prod\n    cert: /dev/zero\n    sha256: '00'\n    paths: ['**']\n",
    )
    .unwrap();
    fs::write(dir.path().join("s.yaml"), SECRET).unwrap();
    let err = refused(run_bounded(dir.path(), &["scan", "."]), "/dev/zero");
    assert!(err.contains("not a regular file"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_fifo_as_cert_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.yaml"), SECRET).unwrap();
    let made = Command::new("mkfifo")
        .arg(dir.path().join("cert.pem"))
        .status()
        .unwrap();
    assert!(made.success());
    let err = refused(
        run_bounded(dir.path(), &["seal", "--cert", "cert.pem", "-f", "s.yaml"]),
        "cert.pem",
    );
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_cert_file_over_a_mebibyte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.yaml"), SECRET).unwrap();
    // A real cert followed by 2 MiB of padding: parseable, but no cert file is that large.
    let mut big = fs::read(vector("cert2048.pem")).unwrap();
    big.resize(big.len() + 2 * 1024 * 1024, b'\n');
    fs::write(dir.path().join("big.pem"), &big).unwrap();
    let err = refused(
        run_bounded(dir.path(), &["seal", "--cert", "big.pem", "-f", "s.yaml"]),
        "big.pem",
    );
    assert!(err.contains("1048576 bytes"), "the limit is named: {err}");
    let err = refused(
        run_bounded(dir.path(), &["unseal", "--keys", "big.pem", "-f", "s.yaml"]),
        "big.pem",
    );
    assert!(err.contains("1048576 bytes"), "{err}");
}

#[test]
fn thousands_of_threads_are_clamped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.yaml"), SECRET).unwrap();
    let out = run_bounded(dir.path(), &["scan", "-j", "3000", "."]).expect("no hang");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "the Secret is found:\n{err}");
    assert!(err.contains("-j 3000") && err.contains("threads"), "{err}");
}

fn write_excludes(dir: &Path, patterns: impl Iterator<Item = String>) {
    let mut config = String::from("exclude:\n");
    for p in patterns {
        config.push_str(&format!("  - '{p}'\n"));
    }
    fs::write(dir.join(".sealant.yaml"), config).unwrap();
}

#[test]
fn twenty_thousand_exclude_globs_work() {
    let dir = tempfile::tempdir().unwrap();
    write_excludes(dir.path(), (0..20_000).map(|i| format!("dir{i}/*.yaml")));
    fs::create_dir(dir.path().join("dir7")).unwrap();
    fs::write(dir.path().join("dir7/s.yaml"), SECRET).unwrap();
    fs::write(dir.path().join("s.yaml"), SECRET).unwrap();
    let out = run_bounded(dir.path(), &["scan", "--format", "json", "."]).expect("no hang");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["s.yaml"], "dir7/ is excluded");
}

#[test]
fn an_invalid_exclude_glob_is_named_by_its_entry() {
    let dir = tempfile::tempdir().unwrap();
    write_excludes(
        dir.path(),
        ["vendor", "a[b", "c"].map(String::from).into_iter(),
    );
    let err = refused(run_bounded(dir.path(), &["scan", "."]), ".sealant.yaml");
    assert!(err.contains("exclude[1]") && err.contains("a[b"), "{err}");
}

/// A running `controller serve` with the vectors' keys; killed when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(keys: &Path, extra: &[&str]) -> (Server, String) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealant"))
        .args(["controller", "serve", "--keys-dir", path_str(keys)])
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let server = Server(child);
    let addr = loop {
        let line = lines
            .next()
            .expect("the server logs where it listens")
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["msg"] == "listening" {
            break v["addr"].as_str().unwrap().to_string();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (server, addr)
}

/// The response to `GET path` on a fresh connection, read for up to 10 s.
fn get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn health_and_metrics_answer_while_one_client_holds_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let import = crate::common::sealant(
        &[
            "controller",
            "import",
            "--keys-dir",
            path_str(&keys),
            path_str(&vector("backup-list.json")),
        ],
        b"",
    );
    assert!(import.status.success(), "{}", stderr(&import));
    let (_server, addr) = serve(&keys, &["--max-connections", "100"]);
    // Idle connections from this one address: more than the global cap and far more than
    // one client's budget.
    let idle: Vec<std::net::TcpStream> = (0..300)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    let health = get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "/healthz: {health:?}");
    let metrics = get(&addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "/metrics: {metrics:?}");
    let cert = get(&addr, "/v1/cert.pem");
    assert!(
        cert.starts_with("HTTP/1.1 503"),
        "other routes are refused over budget: {cert:?}"
    );
    drop(idle);
}
