//! Controller mode: the real binary serving real HTTP on an ephemeral loopback port, the key
//! store, and offline unsealing. Keys come from the vectors; only two tests generate a key
//! (2048 bits), because that is what they test.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sealant::crypto::Cert;
use serde_json::{json, Value};

use crate::common::{fails, ok, path_str, sealant, stderr, stdout, vector};

const DEADLINE: Duration = Duration::from_secs(60);

/// A key store with the vectors' two keys (backup-list.json).
fn vector_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let list = vector("backup-list.json");
    ok(controller(
        &["import", "--keys-dir", path_str(&keys), path_str(&list)],
        b"",
    ));
    dir
}

/// Runs `sealant controller ARGS...`.
fn controller(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut all = vec!["controller"];
    all.extend_from_slice(args);
    sealant(&all, stdin)
}

fn keys_dir(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("keys")
}

/// A running `controller serve`; killed when dropped.
struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(keys: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sealant"))
            .args(["controller", "serve", "--keys-dir", path_str(keys)])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sealant controller serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap().push(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            log,
        };
        let listening = server.wait_for_log(|v| v["msg"] == "listening");
        server.addr = listening["addr"].as_str().unwrap().to_string();
        server
    }

    /// Polls the log until a line matches; panics with the log at the deadline or if the
    /// server exits.
    fn wait_for_log(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            if let Some(found) = self.log_json().into_iter().find(|v| want(v)) {
                return found;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                panic!("server exited ({status}):\n{}", self.log_text());
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out; log:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Every log line, each of which must be one JSON object.
    fn log_json(&self) -> Vec<Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|_| panic!("log line is not JSON: {l}"))
            })
            .collect()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path, b"")
    }

    fn post(&self, path: &str, body: &[u8]) -> Response {
        self.request("POST", path, body)
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> Response {
        let mut raw = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        )
        .into_bytes();
        raw.extend_from_slice(body);
        self.raw(&raw).expect("a complete HTTP response")
    }

    /// Sends bytes and reads the response until the server closes the connection; `None`
    /// when the connection closed without a response.
    fn raw(&self, bytes: &[u8]) -> Option<Response> {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.write_all(bytes).unwrap();
        read_response(&mut stream)
    }

    fn sigterm(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no exit after SIGTERM:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

fn read_response(stream: &mut TcpStream) -> Option<Response> {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Response {
        status,
        head,
        body: bytes[split + 4..].to_vec(),
    })
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn secret(namespace: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": namespace},
        "stringData": {"password": "s3cr3t-value"}
    })
}

/// `sealant unseal` of a SealedSecret with key files; Ok(secret) or Err(stderr).
fn unseal_with(keys: &[&Path], sealed: &Value) -> Result<Value, String> {
    let keys: Vec<&str> = keys.iter().map(|p| path_str(p)).collect();
    let joined = keys.join(",");
    let out = sealant(
        &["unseal", "--keys", &joined, "-o", "json"],
        sealed.to_string().as_bytes(),
    );
    if out.status.success() {
        Ok(serde_json::from_str(&stdout(&out)).unwrap())
    } else {
        Err(stderr(&out))
    }
}

fn decoded(secret: &Value, key: &str) -> String {
    String::from_utf8(
        STANDARD
            .decode(secret["data"][key].as_str().unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn serves_the_newest_cert_and_verifies_what_seal_made_from_its_url() {
    let dir = vector_store();
    let mut server = Server::start(
        &keys_dir(&dir),
        &["--key-renew-period", "0", "--rate-limit", "0"],
    );

    let health = server.get("/healthz");
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));

    // Both vector certs have the same NotBefore: the first key by name stays newest, as
    // upstream keeps the first one registered.
    let cert = server.get("/v1/cert.pem");
    assert_eq!(cert.status, 200);
    assert_eq!(
        cert.header("content-type").as_deref(),
        Some("application/x-pem-file")
    );
    assert_eq!(
        cert.text(),
        fs::read_to_string(vector("cert2048.pem")).unwrap()
    );

    // kubeseal's --cert URL.
    let url = server.url("/v1/cert.pem");
    let sealed: Value = serde_json::from_str(&ok(sealant(
        &["seal", "--cert", &url, "-o", "json"],
        secret("team").to_string().as_bytes(),
    )))
    .unwrap();
    assert_eq!(
        server
            .post("/v1/verify", sealed.to_string().as_bytes())
            .status,
        200
    );
    let yaml = ok(sealant(
        &["seal", "--cert", &url, "-o", "yaml"],
        secret("team").to_string().as_bytes(),
    ));
    assert_eq!(
        server.post("/v1/verify", yaml.as_bytes()).status,
        200,
        "YAML bodies too"
    );

    // A value sealed for another namespace, moved into this one: 409.
    let mut moved: Value = serde_json::from_str(&ok(sealant(
        &["seal", "--cert", &url, "-o", "json"],
        secret("other").to_string().as_bytes(),
    )))
    .unwrap();
    moved["metadata"]["namespace"] = json!("team");
    moved["spec"]["template"]["metadata"]["namespace"] = json!("team");
    let conflict = server.post("/v1/verify", moved.to_string().as_bytes());
    assert_eq!(conflict.status, 409, "{}", conflict.text());

    // Every active key decrypts: the vectors sealed to both keys verify.
    for name in [
        "sealedsecret-strict.json",
        "sealedsecret-namespace-wide.json",
        "sealedsecret-cluster-wide.json",
        "sealedsecret-strict-4096key.json",
    ] {
        let body = fs::read(vector(name)).unwrap();
        assert_eq!(server.post("/v1/verify", &body).status, 200, "{name}");
    }
    assert_eq!(
        server.post("/v1/verify", b"{\"kind\": \"Secret\"}").status,
        400
    );
    assert_eq!(server.get("/v1/verify").status, 405);
    assert_eq!(server.get("/nope").status, 404);

    let metrics = server.get("/metrics").text();
    for line in [
        "sealant_keys 2",
        "sealant_http_requests_total{route=\"/v1/verify\"} 9",
        "sealant_http_request_failures_total{route=\"/v1/verify\"} 3",
        "sealant_http_requests_total{route=\"/v1/cert.pem\"} 4",
        "sealant_unseal_errors_total 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }

    let status = server.sigterm();
    assert!(status.success(), "{status}");
    let log = server.log_json();
    assert!(log
        .iter()
        .any(|v| v["msg"] == "shutdown" && v["clean"] == true));
    let requests: Vec<&Value> = log.iter().filter(|v| v["msg"] == "request").collect();
    assert_eq!(requests.len(), 16, "one line per request");
    for v in &requests {
        for field in ["route", "status", "duration_ms", "peer", "method"] {
            assert!(v.get(field).is_some(), "{field} in {v}");
        }
    }
    // The server is gone: fetching its cert is an input error, not a crash.
    let err = fails(sealant(
        &["seal", "--cert", &url],
        secret("team").to_string().as_bytes(),
    ));
    assert!(err.contains("cannot fetch the certificate"), "{err}");
    let text = server.log_text();
    for secret_text in [
        "s3cr3t-value",
        "hunter2",
        "PRIVATE KEY",
        &STANDARD.encode("s3cr3t-value"),
    ] {
        assert!(!text.contains(secret_text), "log leaks {secret_text}");
    }
}

#[test]
fn rotate_reencrypts_to_the_newest_key_only_after_a_renewal() {
    let dir = vector_store();
    let keys = keys_dir(&dir);
    // Renewal is due a few seconds from now: the newest vector key's age plus 4 s.
    let cert = Cert::from_pem(&fs::read_to_string(vector("cert2048.pem")).unwrap()).unwrap();
    let age = SystemTime::now().duration_since(cert.not_before()).unwrap();
    let period = format!("{}s", age.as_secs() + 4);
    let mut server = Server::start(
        &keys,
        &[
            "--key-renew-period",
            &period,
            "--key-size",
            "2048",
            "--rate-limit",
            "0",
        ],
    );
    let old_keys = vector("backup-list.json");
    let strict = fs::read(vector("sealedsecret-strict.json")).unwrap();

    let before = server.post("/v1/rotate", &strict);
    assert_eq!(before.status, 200, "{}", before.text());
    assert_eq!(
        before.header("content-type").as_deref(),
        Some("application/json")
    );
    let before: Value = serde_json::from_slice(&before.body).unwrap();
    assert_eq!(before["kind"], "SealedSecret");
    assert_eq!(before["apiVersion"], "bitnami.com/v1alpha1");
    let original: Value = serde_json::from_slice(&strict).unwrap();
    assert_ne!(
        before["spec"]["encryptedData"],
        original["spec"]["encryptedData"]
    );
    let back =
        unseal_with(&[&vector("key2048.pem")], &before).expect("sealed to the newest vector key");
    assert_eq!(decoded(&back, "password"), "hunter2");

    server.wait_for_log(|v| v["msg"] == "key created" && v["reason"] == "renewal");
    let served = server.get("/v1/cert.pem").text();
    assert_ne!(served, fs::read_to_string(vector("cert2048.pem")).unwrap());

    let after = server.post("/v1/rotate", &strict);
    assert_eq!(after.status, 200, "{}", after.text());
    let after: Value = serde_json::from_slice(&after.body).unwrap();
    let err = unseal_with(&[&old_keys], &after).unwrap_err();
    assert!(err.contains("no key could decrypt"), "{err}");
    // The new key is in the store next to the old ones (never deleted), mode 0600.
    let files: Vec<PathBuf> = fs::read_dir(&keys)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let new_file = files
        .iter()
        .find(|f| {
            !fs::read_to_string(f).unwrap().contains("keyabcde")
                && !fs::read_to_string(f).unwrap().contains("keyfghij")
        })
        .unwrap();
    assert_eq!(mode(new_file), 0o600);
    let back = unseal_with(&[new_file], &after).expect("sealed to the new key");
    assert_eq!(decoded(&back, "username"), "admin");
    let new_cert = read_json(new_file)["data"]["tls.crt"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        STANDARD.decode(new_cert).unwrap(),
        served.as_bytes(),
        "served cert is the new key's"
    );

    let metrics = server.get("/metrics").text();
    assert!(metrics.contains("\nsealant_keys 3\n"), "{metrics}");
    assert!(
        metrics.contains("\nsealant_keys_created_total 1\n"),
        "{metrics}"
    );
}

#[test]
fn malformed_oversized_and_slow_bodies_are_refused_without_harming_the_next_request() {
    let dir = vector_store();
    let server = Server::start(
        &keys_dir(&dir),
        &[
            "--key-renew-period",
            "0",
            "--rate-limit",
            "0",
            "--max-body",
            "8KiB",
            "--read-timeout",
            "1s",
        ],
    );
    let good = fs::read(vector("sealedsecret-strict.json")).unwrap();
    let next_is_fine = |what: &str| {
        let r = server.post("/v1/verify", &good);
        assert_eq!(r.status, 200, "after {what}: {}", r.text());
    };

    for bad in [
        &b"{not json"[..],
        b"\xff\xfe\x00",
        b"kind: List\nitems: []\n",
        b"",
    ] {
        let r = server.post("/v1/verify", bad);
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(bad));
        let r = server.post("/v1/rotate", bad);
        assert_eq!(r.status, 400);
    }
    next_is_fine("malformed bodies");

    // Declared too large: refused before reading.
    let r = server
        .raw(
            format!(
                "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
                100 << 20
            )
            .as_bytes(),
        )
        .unwrap();
    assert_eq!(r.status, 413);
    // Too large without a declared length (chunked).
    let chunk = vec![b' '; 4096];
    let mut raw =
        b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(&chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(server.raw(&raw).unwrap().status, 413);
    // Just under the cap is read (and is not a SealedSecret).
    let r = server.post("/v1/verify", &vec![b' '; 8 * 1024 - 1]);
    assert_eq!(r.status, 400);
    next_is_fine("oversized bodies");

    // A body that stops arriving: 408 or a closed connection, within the read timeout.
    let start = Instant::now();
    let slow = server
        .raw(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"kind\":");
    assert!(
        slow.as_ref().is_none_or(|r| r.status == 408),
        "{:?}",
        slow.as_ref().map(|r| r.status)
    );
    // Headers that stop arriving (slowloris): the connection is closed.
    let headers = server.raw(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    assert!(headers.is_none_or(|r| r.status == 408));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "timeouts took {:?}",
        start.elapsed()
    );
    next_is_fine("slow bodies and headers");
    let health = server.get("/healthz");
    assert_eq!(health.status, 200);
}

#[test]
fn verify_and_rotate_are_rate_limited_per_client() {
    let dir = vector_store();
    let server = Server::start(
        &keys_dir(&dir),
        &[
            "--key-renew-period",
            "0",
            // One token per 100 s: nothing refills while the test runs, however slow.
            "--rate-limit",
            "0.01",
            "--rate-limit-burst",
            "2",
        ],
    );
    let body = fs::read(vector("sealedsecret-strict.json")).unwrap();
    let statuses: Vec<u16> = (0..4)
        .map(|_| server.post("/v1/verify", &body).status)
        .collect();
    assert_eq!(&statuses[..2], [200, 200], "the burst is served");
    assert_eq!(statuses, [200, 200, 429, 429]);
    let limited = server.post("/v1/rotate", &body);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after").as_deref(), Some("100"));
    assert_eq!(
        server.get("/v1/cert.pem").status,
        200,
        "other routes are not limited"
    );
    let metrics = server.get("/metrics").text();
    assert!(
        !metrics.contains("\nsealant_rate_limited_total 0\n"),
        "{metrics}"
    );
}

#[test]
fn keys_imported_from_the_backup_unseal_the_vector_sealed_secrets_offline() {
    let dir = vector_store();
    let keys = keys_dir(&dir);
    for file in fs::read_dir(&keys).unwrap() {
        assert_eq!(mode(&file.unwrap().path()), 0o600);
    }
    let tree = dir.path().join("repo");
    fs::create_dir_all(tree.join("apps/nested")).unwrap();
    for name in [
        "sealedsecret-strict.json",
        "sealedsecret-namespace-wide.json",
        "sealedsecret-cluster-wide.json",
    ] {
        fs::copy(vector(name), tree.join("apps").join(name)).unwrap();
    }
    // template.data: plain strings and index references are rendered.
    let mut templated = read_json(&vector("sealedsecret-strict-4096key.json"));
    templated["spec"]["template"]["data"] = json!({
        "config": "token={{ index . \"token\" }};mode=ro",
        "static": "plain"
    });
    fs::write(
        tree.join("apps/nested/templated.yaml"),
        templated.to_string(),
    )
    .unwrap();
    fs::write(
        tree.join("apps/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();

    let out = dir.path().join("secrets.yaml");
    // An older, wider file there does not keep its mode: plaintext ends 0600.
    fs::write(&out, "old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o644)).unwrap();
    let run = controller(
        &[
            "unseal",
            path_str(&tree),
            "--keys-dir",
            path_str(&keys),
            "--out",
            path_str(&out),
            "-o",
            "json",
        ],
        b"",
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(mode(&out), 0o600);
    let text = fs::read_to_string(&out).unwrap();
    let secrets: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(secrets.len(), 4);
    let (templated, plain): (Vec<&Value>, Vec<&Value>) = secrets
        .iter()
        .partition(|s| s["metadata"]["name"] == "oldkey");
    for s in plain {
        assert_eq!(
            (decoded(s, "username"), decoded(s, "password")),
            ("admin".into(), "hunter2".into())
        );
        assert_eq!(s["kind"], "Secret");
    }
    let t = templated[0];
    assert_eq!(decoded(t, "config"), "token=from-4096-key;mode=ro");
    assert_eq!(decoded(t, "static"), "plain");
    assert_eq!(decoded(t, "token"), "from-4096-key");

    // Unsupported templates and undecryptable values fail per file; the rest is still written.
    fs::copy(
        vector("upstream-config-template-sealedsecret.yaml"),
        tree.join("apps/upstream.yaml"),
    )
    .unwrap();
    let mut wrong = read_json(&vector("sealedsecret-strict.json"));
    wrong["metadata"]["name"] = json!("renamed");
    fs::write(tree.join("apps/renamed.json"), wrong.to_string()).unwrap();
    let run = controller(
        &["unseal", path_str(&tree), "--keys-dir", path_str(&keys)],
        b"",
    );
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("2 of 6 files"), "{err}");
    assert!(
        err.contains("upstream.yaml: spec.template.data.") && err.contains("unsupported template"),
        "{err}"
    );
    assert!(
        err.contains("renamed.json: encryptedData.") && err.contains("no key could decrypt"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
    assert_eq!(
        stdout(&run).matches("kind: Secret").count(),
        4,
        "successes on stdout"
    );
}

#[test]
fn the_store_refuses_readable_key_files_and_ignores_keys_not_labelled_active() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let single = vector("controller-key-secret.json");
    let imported = ok(controller(
        &["import", "--keys-dir", path_str(&keys), path_str(&single)],
        b"",
    ));
    assert_eq!(imported, "imported sealed-secrets-keyabcde\n");
    let again = ok(controller(
        &[
            "import",
            "--keys-dir",
            path_str(&keys),
            path_str(&vector("key2048.pem")),
        ],
        b"",
    ));
    assert!(again.starts_with("skipped "), "{again}");

    // The 4096 key, labelled compromised: present but ignored.
    let mut list = read_json(&vector("backup-list.json"));
    let mut compromised = list["items"][1].take();
    compromised["metadata"]["labels"]["sealedsecrets.bitnami.com/sealed-secrets-key"] =
        json!("compromised");
    let file = keys.join("sealed-secrets-keyfghij.json");
    fs::write(&file, compromised.to_string()).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let vectors_dir = dir.path().join("in");
    fs::create_dir(&vectors_dir).unwrap();
    for name in [
        "sealedsecret-strict.json",
        "sealedsecret-strict-4096key.json",
    ] {
        fs::copy(vector(name), vectors_dir.join(name)).unwrap();
    }
    let run = controller(
        &[
            "unseal",
            path_str(&vectors_dir),
            "--keys-dir",
            path_str(&keys),
        ],
        b"",
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("sealedsecret-strict-4096key.json: encryptedData.token"),
        "{}",
        stderr(&run)
    );
    // Export keeps every key, whatever its label.
    let backup: Value = serde_json::from_str(&ok(controller(
        &["export", "--keys-dir", path_str(&keys)],
        b"",
    )))
    .unwrap();
    let labels: Vec<&str> = backup["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["metadata"]["labels"]["sealedsecrets.bitnami.com/sealed-secrets-key"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(labels, ["active", "compromised"]);

    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    let err = fails(controller(
        &[
            "serve",
            "--keys-dir",
            path_str(&keys),
            "--listen",
            "127.0.0.1:0",
        ],
        b"",
    ));
    assert!(
        err.contains("accessible to group or others") && err.contains("chmod 600"),
        "{err}"
    );
    let err = fails(controller(
        &[
            "unseal",
            path_str(&vectors_dir),
            "--keys-dir",
            path_str(&keys),
        ],
        b"",
    ));
    assert!(err.contains("chmod 600"), "{err}");
}

#[test]
fn export_is_a_backup_list_and_bare_keys_get_a_fresh_cert() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let imported = ok(controller(
        &[
            "import",
            "--keys-dir",
            path_str(&keys),
            "--my-cn",
            "restored",
            path_str(&vector("key4096.pem")),
        ],
        b"",
    ));
    assert!(
        imported.starts_with("imported sealed-secrets-key"),
        "{imported}"
    );
    let backup_file = dir.path().join("backup.json");
    ok(controller(
        &[
            "export",
            "--keys-dir",
            path_str(&keys),
            "-w",
            path_str(&backup_file),
        ],
        b"",
    ));
    assert_eq!(mode(&backup_file), 0o600);
    let backup = read_json(&backup_file);
    assert_eq!(
        (backup["apiVersion"].as_str(), backup["kind"].as_str()),
        (Some("v1"), Some("List"))
    );
    let item = &backup["items"][0];
    assert_eq!(item["type"], "kubernetes.io/tls");
    assert_eq!(item["metadata"]["namespace"], "kube-system");
    assert!(item["metadata"]["name"]
        .as_str()
        .unwrap()
        .starts_with("sealed-secrets-key"));
    let cert_pem = String::from_utf8(
        STANDARD
            .decode(item["data"]["tls.crt"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let fresh = Cert::from_pem(&cert_pem).unwrap();
    let original = Cert::from_pem(&fs::read_to_string(vector("cert4096.pem")).unwrap()).unwrap();
    assert_eq!(
        fresh.public_key(),
        original.public_key(),
        "same key, new cert"
    );
    assert_ne!(fresh.fingerprint(), original.fingerprint());
    // The backup is what `unseal --keys` (and the controller) read.
    let back = unseal_with(
        &[&backup_file],
        &read_json(&vector("sealedsecret-strict-4096key.json")),
    )
    .unwrap();
    assert_eq!(decoded(&back, "token"), "from-4096-key");
    // Round trip: the backup imports into an empty store.
    let other = dir.path().join("other");
    let again = ok(controller(
        &[
            "import",
            "--keys-dir",
            path_str(&other),
            path_str(&backup_file),
        ],
        b"",
    ));
    assert_eq!(
        again,
        format!("imported {}\n", item["metadata"]["name"].as_str().unwrap())
    );
}

#[test]
fn keygen_output_is_accepted_like_the_vector_controller_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let made = ok(controller(
        &[
            "keygen",
            "--keys-dir",
            path_str(&keys),
            "--key-size",
            "2048",
            "--my-cn",
            "ci.example",
            "--key-ttl",
            "24h",
        ],
        b"",
    ));
    let name = made.split_whitespace().next().unwrap();
    assert!(
        name.starts_with("sealed-secrets-key") && name.len() == 23,
        "{made}"
    );
    let file = keys.join(format!("{name}.json"));
    assert_eq!(mode(&file), 0o600);
    #[cfg(unix)]
    assert_eq!(mode(&keys), 0o700);

    // The same shape as the vectors' controller key Secret.
    let key = read_json(&file);
    let vector_key = read_json(&vector("controller-key-secret.json"));
    assert_eq!(key["type"], vector_key["type"]);
    assert_eq!(key["metadata"]["labels"], vector_key["metadata"]["labels"]);
    assert_eq!(
        key["metadata"]["generateName"],
        vector_key["metadata"]["generateName"]
    );
    let key_pem = String::from_utf8(
        STANDARD
            .decode(key["data"]["tls.key"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(
        key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "PKCS#1 PEM"
    );

    // The cert: self-signed, CA:TRUE, KeyUsage encipherOnly, 128-bit serial, CN, TTL.
    let cert_pem = String::from_utf8(
        STANDARD
            .decode(key["data"]["tls.crt"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let cert = Cert::from_pem(&cert_pem).unwrap();
    assert_eq!(cert.key_bits(), 2048);
    assert_eq!(
        cert.not_after().duration_since(cert.not_before()).unwrap(),
        Duration::from_secs(86_400)
    );
    let age = SystemTime::now().duration_since(cert.not_before()).unwrap();
    assert!(age < Duration::from_secs(600));
    let parsed = {
        use x509_cert::der::{Decode, DecodePem};
        let c = x509_cert::Certificate::from_pem(cert_pem.as_bytes()).unwrap();
        let tbs = c.tbs_certificate();
        assert_eq!(tbs.subject().to_string(), "CN=ci.example");
        assert_eq!(tbs.issuer().to_string(), "CN=ci.example");
        assert!(tbs.serial_number().as_bytes().len() >= 15);
        let exts = tbs.extensions().unwrap();
        let find = |oid: &str| exts.iter().find(|e| e.extn_id.to_string() == oid).unwrap();
        let ku = find("2.5.29.15");
        assert!(ku.critical);
        assert_eq!(
            ku.extn_value.as_bytes(),
            [0x03, 0x02, 0x00, 0x01],
            "encipherOnly, as Go encodes it"
        );
        let bc = x509_cert::ext::pkix::BasicConstraints::from_der(
            find("2.5.29.19").extn_value.as_bytes(),
        )
        .unwrap();
        assert!(bc.ca);
        exts.len()
    };
    assert_eq!(
        parsed, 3,
        "key usage, basic constraints, subject key id (as the vector cert)"
    );

    // The same code paths as the vector key: seal to the cert, unseal with the key Secret
    // (`unseal --keys`), serve it, verify, and `controller unseal`.
    let cert_file = dir.path().join("cert.pem");
    fs::write(&cert_file, &cert_pem).unwrap();
    assert!(
        ok(sealant(&["cert", "fingerprint", path_str(&cert_file)], b""))
            .contains(&cert.fingerprint())
    );
    let sealed: Value = serde_json::from_str(&ok(sealant(
        &["seal", "--cert", path_str(&cert_file), "-o", "json"],
        secret("team").to_string().as_bytes(),
    )))
    .unwrap();
    let back = unseal_with(&[&file], &sealed).unwrap();
    assert_eq!(decoded(&back, "password"), "s3cr3t-value");
    let server = Server::start(&keys, &["--key-renew-period", "0"]);
    assert_eq!(server.get("/v1/cert.pem").text(), cert_pem);
    assert_eq!(
        server
            .post("/v1/verify", sealed.to_string().as_bytes())
            .status,
        200
    );
    drop(server);

    // --key-cutoff-time after the key's NotBefore forces a new key at start.
    let cutoff = "2999-01-01T00:00:00Z";
    let mut server = Server::start(
        &keys,
        &[
            "--key-renew-period",
            "0",
            "--key-size",
            "2048",
            "--key-cutoff-time",
            cutoff,
        ],
    );
    let created = server.wait_for_log(|v| v["msg"] == "key created");
    assert_ne!(created["key"], name);
    assert_ne!(server.get("/v1/cert.pem").text(), cert_pem);
    assert_eq!(
        server
            .post("/v1/verify", sealed.to_string().as_bytes())
            .status,
        200,
        "old key still decrypts"
    );
    assert_eq!(fs::read_dir(&keys).unwrap().count(), 2);
}
