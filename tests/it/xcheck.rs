//! Cross-check of sealant's crypto against an independent implementation, `tests/py/xcheck.py`
//! (Python `cryptography`), in both directions and for all three scopes.
//!
//! The interpreter is `$SEALANT_PYTHON` (scripts/test.sh points it at a venv with
//! `cryptography`), else `python3`. When neither can import `cryptography` these tests fail under
//! `CI` and are skipped with a note elsewhere.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::common::{fails, ok, path_str, sealant, vector};

/// Every scope with the label it seals `xns/xname` under.
const SCOPES: [(&str, &str); 3] = [
    ("strict", "xns/xname"),
    ("namespace-wide", "xns"),
    ("cluster-wide", ""),
];
const PAIRS: [(&str, &str); 2] = [
    ("cert2048.pem", "key2048.pem"),
    ("cert4096.pem", "key4096.pem"),
];
const CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";
const NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";
const NO_KEY: &str = "no key could decrypt secret";

/// The Python interpreter to run xcheck.py with, or `None` to skip (only outside CI).
fn python() -> Option<String> {
    let explicit = std::env::var("SEALANT_PYTHON").ok();
    let python = explicit.clone().unwrap_or_else(|| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import cryptography"])
        .output();
    let problem = match &probe {
        Ok(out) if out.status.success() => return Some(python),
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        Err(e) => e.to_string(),
    };
    let why = format!(
        "the Python cross-check needs `cryptography`, but `{python} -c 'import cryptography'` \
         failed: {problem}\nRun the tests through scripts/test.sh, or set SEALANT_PYTHON to an \
         interpreter that has it (python3 -m venv .venv && .venv/bin/pip install cryptography)"
    );
    // A configured interpreter that does not work, or any failure in CI, is an error.
    assert!(
        explicit.is_none() && std::env::var_os("CI").is_none(),
        "{why}"
    );
    eprintln!("note: skipping: {why}");
    None
}

/// Runs `xcheck.py ARGS` with `stdin`.
fn xcheck_out(python: &str, args: &[&str], stdin: &[u8]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/xcheck.py");
    let mut child = Command::new(python)
        .arg(&script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {python} {}: {e}", script.display()));
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let out = child.wait_with_output().expect("wait for xcheck.py");
    writer
        .join()
        .expect("stdin writer")
        .expect("write xcheck.py's stdin");
    out
}

/// Runs `xcheck.py ARGS` with `stdin`, asserts success and returns its stdout.
#[track_caller]
fn xcheck(python: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = xcheck_out(python, args, stdin);
    assert!(
        out.status.success(),
        "xcheck.py {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn v(name: &str) -> String {
    path_str(&vector(name)).to_owned()
}

/// Asserts that sealant succeeded and returns its stdout as bytes (`ok` is lossy UTF-8).
#[track_caller]
fn ok_bytes(out: Output) -> Vec<u8> {
    let stdout = out.stdout.clone();
    ok(out);
    stdout
}

/// `sealant unseal --raw` for `namespace`/`name` in `scope`.
fn sealant_unseal_raw(key: &str, scope: &str, namespace: &str, name: &str, value: &[u8]) -> Output {
    sealant(
        &[
            "unseal",
            "--raw",
            "--keys",
            key,
            "--scope",
            scope,
            "--namespace",
            namespace,
            "--name",
            name,
        ],
        value,
    )
}

/// Control: the Python side opens upstream's own ciphertexts (kat.json and the SealedSecret
/// vectors), so an agreement with sealant below is agreement with upstream.
#[test]
fn python_opens_upstream_vectors() {
    let Some(python) = python() else { return };
    let kat: Value = serde_json::from_slice(&std::fs::read(vector("kat.json")).unwrap()).unwrap();
    let cases = kat["cases"].as_array().expect("kat.json cases");
    assert_eq!(cases.len(), 18);
    for case in cases {
        let key = v(case["key"].as_str().unwrap());
        let label = case["label"].as_str().unwrap();
        let plaintext = STANDARD
            .decode(case["plaintext_b64"].as_str().unwrap())
            .unwrap();
        for ct in [
            &case["deterministic"]["ciphertext_b64"],
            &case["random_ciphertext_b64"],
        ] {
            let got = xcheck(
                &python,
                &["decrypt", "--key", &key, "--label", label],
                ct.as_str().unwrap().as_bytes(),
            );
            assert_eq!(got, plaintext, "kat {key} {label:?}");
        }
    }
    for (file, key, expected) in [
        (
            "sealedsecret-strict.json",
            "key2048.pem",
            json!({"username": "YWRtaW4=", "password": "aHVudGVyMg=="}),
        ),
        (
            "sealedsecret-namespace-wide.json",
            "key2048.pem",
            json!({"username": "YWRtaW4=", "password": "aHVudGVyMg=="}),
        ),
        (
            "sealedsecret-cluster-wide.json",
            "key2048.pem",
            json!({"username": "YWRtaW4=", "password": "aHVudGVyMg=="}),
        ),
        (
            "sealedsecret-strict-4096key.json",
            "key4096.pem",
            json!({"token": STANDARD.encode("from-4096-key")}),
        ),
    ] {
        let out = xcheck(&python, &["unseal", "--key", &v(key), &v(file)], b"");
        let got: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(got, expected, "{file}");
    }
    // And it is not a pushover: the wrong label or key fails.
    let case = &cases[0];
    let ct = case["random_ciphertext_b64"].as_str().unwrap().as_bytes();
    let key = v(case["key"].as_str().unwrap());
    let out = xcheck_out(&python, &["decrypt", "--key", &key, "--label", "x/y"], ct);
    assert_eq!(out.status.code(), Some(1));
    let out = xcheck_out(
        &python,
        &["decrypt", "--key", &v("key4096.pem"), "--label", "x/y"],
        ct,
    );
    assert_eq!(out.status.code(), Some(1));
}

/// `sealant seal -o json --scope S` of a Secret with text and binary values; Python opens every
/// value with the label the SealedSecret's own metadata and annotations imply.
#[test]
fn sealant_seals_manifest_python_unseals() {
    let Some(python) = python() else { return };
    let binary: Vec<u8> = (0..=255u8).rev().chain([0x00, 0xff, 0x00]).collect();
    let text = "grüße, hunter2 \u{1f511}\n";
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "xname", "namespace": "xns"},
        "type": "Opaque",
        "data": {"bin": STANDARD.encode(&binary)},
        "stringData": {"text": text},
    })
    .to_string();
    let dir = tempfile::tempdir().unwrap();
    for (cert, key) in PAIRS {
        for (scope, _) in SCOPES {
            let what = format!("{cert} {scope}");
            let sealed = ok(sealant(
                &["seal", "--cert", &v(cert), "-o", "json", "--scope", scope],
                secret.as_bytes(),
            ));
            let manifest: Value = serde_json::from_str(&sealed)
                .unwrap_or_else(|e| panic!("{what}: sealant's -o json: {e}\n{sealed}"));
            assert_eq!(manifest["kind"], "SealedSecret", "{what}");
            assert_eq!(manifest["metadata"]["namespace"], "xns", "{what}");
            assert_eq!(manifest["metadata"]["name"], "xname", "{what}");
            // xcheck.py takes the label from these annotations: pin them to the scope asked for.
            let annotations = &manifest["metadata"]["annotations"];
            let flag = |a: &str| annotations[a].as_str() == Some("true");
            assert_eq!(
                (flag(CLUSTER_WIDE), flag(NAMESPACE_WIDE)),
                match scope {
                    "cluster-wide" => (true, false),
                    "namespace-wide" => (false, true),
                    _ => (false, false),
                },
                "{what}: annotations {annotations}"
            );

            let file = dir.path().join(format!("{scope}-{cert}.json"));
            std::fs::write(&file, &sealed).unwrap();
            let out = xcheck(&python, &["unseal", "--key", &v(key), path_str(&file)], b"");
            let opened: Value = serde_json::from_slice(&out).unwrap();
            let opened = opened.as_object().expect("a JSON object");
            let mut names: Vec<&str> = opened.keys().map(String::as_str).collect();
            names.sort_unstable();
            assert_eq!(names, ["bin", "text"], "{what}");
            let plain = |k: &str| STANDARD.decode(opened[k].as_str().unwrap()).unwrap();
            assert_eq!(plain("bin"), binary, "{what}");
            assert_eq!(plain("text"), text.as_bytes(), "{what}");

            // The other key cannot open it.
            let other = if key == "key2048.pem" {
                "key4096.pem"
            } else {
                "key2048.pem"
            };
            let out = xcheck_out(
                &python,
                &["unseal", "--key", &v(other), path_str(&file)],
                b"",
            );
            assert_eq!(out.status.code(), Some(1), "{what}: opened with {other}");
        }
    }
}

/// `sealant seal --raw --scope S` of a bare value; Python opens it with the scope's label.
#[test]
fn sealant_seals_raw_python_decrypts() {
    let Some(python) = python() else { return };
    let value = b"raw value \x00\xff\xfe\n";
    for (cert, key) in PAIRS {
        for (scope, label) in SCOPES {
            let what = format!("{cert} {scope}");
            let sealed = ok(sealant(
                &[
                    "seal",
                    "--raw",
                    "--scope",
                    scope,
                    "--namespace",
                    "xns",
                    "--name",
                    "xname",
                    "--cert",
                    &v(cert),
                ],
                value,
            ));
            let plain = xcheck(
                &python,
                &["decrypt", "--key", &v(key), "--label", label],
                sealed.as_bytes(),
            );
            assert_eq!(plain, value, "{what}");
            // Sealed for exactly that label: any other scope's label fails.
            for (_, wrong) in SCOPES.iter().filter(|(_, l)| *l != label) {
                let out = xcheck_out(
                    &python,
                    &["decrypt", "--key", &v(key), "--label", wrong],
                    sealed.as_bytes(),
                );
                assert_eq!(out.status.code(), Some(1), "{what}: opened as {wrong:?}");
            }
        }
    }
}

/// Python encrypts for each scope; `sealant unseal --raw` opens it, also with 16- and 24-byte
/// session keys, and only for the namespace/name the scope binds.
#[test]
fn python_encrypts_sealant_unseals_raw() {
    let Some(python) = python() else { return };
    let value = b"from python \x00\xff";
    for (cert, key) in PAIRS {
        let key = v(key);
        for (scope, label) in SCOPES {
            for session_key_bytes in ["32", "24", "16"] {
                let what = format!("{cert} {scope} {session_key_bytes}-byte session key");
                let sealed = xcheck(
                    &python,
                    &[
                        "encrypt",
                        "--cert",
                        &v(cert),
                        "--label",
                        label,
                        "--session-key-bytes",
                        session_key_bytes,
                    ],
                    value,
                );
                let out = sealant_unseal_raw(&key, scope, "xns", "xname", &sealed);
                assert_eq!(ok_bytes(out), value, "{what}");
            }

            let sealed = xcheck(
                &python,
                &["encrypt", "--cert", &v(cert), "--label", label],
                value,
            );
            // Another name matters only in strict scope, another namespace in all but cluster-wide.
            for (namespace, name, opens) in [
                ("xns", "other", scope != "strict"),
                ("other", "xname", scope == "cluster-wide"),
            ] {
                let out = sealant_unseal_raw(&key, scope, namespace, name, &sealed);
                let what = format!("{cert} {scope} as {namespace}/{name}");
                if opens {
                    assert_eq!(ok_bytes(out), value, "{what}");
                } else {
                    assert!(fails(out).contains(NO_KEY), "{what}");
                }
            }
        }
    }
}

/// Python encrypts under a label that is not the one the scope implies for xns/xname (another
/// name, namespace or scope); sealant must refuse it with exit 2.
#[test]
fn python_wrong_label_sealant_refuses() {
    let Some(python) = python() else { return };
    let wrong_labels = |scope: &str| -> Vec<&'static str> {
        match scope {
            "strict" => vec!["xns/other", "other/xname", "xns", "", "xns/xname/"],
            "namespace-wide" => vec!["other", "xns/xname", "", "xns/"],
            _ => vec!["xns", "xns/xname", "/", " "],
        }
    };
    for (cert, key) in PAIRS {
        let key = v(key);
        for (scope, _) in SCOPES {
            for wrong in wrong_labels(scope) {
                let sealed = xcheck(
                    &python,
                    &["encrypt", "--cert", &v(cert), "--label", wrong],
                    b"secret",
                );
                let out = sealant_unseal_raw(&key, scope, "xns", "xname", &sealed);
                let what = format!("{cert} {scope} sealed as {wrong:?}");
                assert!(out.stdout.is_empty(), "{what}: printed something");
                let err = fails(out);
                assert!(err.contains(NO_KEY), "{what}: {err}");
            }
        }
    }
}
