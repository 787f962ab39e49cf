//! Cross-check against an independent implementation (Python `cryptography`), both ways.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::common::{fails, ok, path_str, sealant, vector};

const SCOPES: [(&str, &str); 3] = [
    ("strict", "xns/xname"),
    ("namespace-wide", "xns"),
    ("cluster-wide", ""),
];
const PAIRS: [(&str, &str); 2] = [
    ("cert2048.pem", "key2048.pem"),
    ("cert4096.pem", "key4096.pem"),
];

/// The interpreter with `cryptography`: `$SEALANT_PYTHON` (set by scripts/test.sh), else
/// `python3`. Outside CI a machine without it skips; in CI it fails.
fn python() -> Option<String> {
    let python = std::env::var("SEALANT_PYTHON").unwrap_or_else(|_| "python3".into());
    let usable = Command::new(&python)
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if usable {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{python} cannot import cryptography: run the tests through scripts/test.sh"
    );
    eprintln!("note: skipping the Python cross-check ({python} lacks cryptography; scripts/test.sh installs it)");
    None
}

fn xcheck(python: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/xcheck.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xcheck.py");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "xcheck.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn what_sealant_seals_python_decrypts() {
    let Some(python) = python() else { return };
    let binary: Vec<u8> = vec![0x00, 0xff, 0x10, 0x00, 0x80, 0x7f];
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "xname", "namespace": "xns"},
        "data": {"bin": STANDARD.encode(&binary)},
        "stringData": {"text": "grüße, hunter2"},
    });
    let dir = tempfile::tempdir().unwrap();
    for (cert, key) in PAIRS {
        for (scope, label) in SCOPES {
            let sealed = ok(sealant(
                &[
                    "seal",
                    "--cert",
                    path_str(&vector(cert)),
                    "-o",
                    "json",
                    "--scope",
                    scope,
                ],
                secret.to_string().as_bytes(),
            ));
            let file = dir.path().join("sealed.json");
            std::fs::write(&file, &sealed).unwrap();
            let out: Value = serde_json::from_slice(&xcheck(
                &python,
                &["unseal", path_str(&file), "--key", path_str(&vector(key))],
                b"",
            ))
            .unwrap();
            assert_eq!(
                STANDARD.decode(out["bin"].as_str().unwrap()).unwrap(),
                binary,
                "{cert} {scope}"
            );
            assert_eq!(
                STANDARD.decode(out["text"].as_str().unwrap()).unwrap(),
                "grüße, hunter2".as_bytes()
            );

            let raw = ok(sealant(
                &[
                    "seal",
                    "--raw",
                    "--cert",
                    path_str(&vector(cert)),
                    "--scope",
                    scope,
                    "--namespace",
                    "xns",
                    "--name",
                    "xname",
                ],
                b"raw value",
            ));
            let plain = xcheck(
                &python,
                &["decrypt", "--key", path_str(&vector(key)), "--label", label],
                raw.as_bytes(),
            );
            assert_eq!(plain, b"raw value", "{cert} {scope} raw");
        }
    }
}

#[test]
fn what_python_seals_sealant_decrypts() {
    let Some(python) = python() else { return };
    for (cert, key) in PAIRS {
        for (scope, label) in SCOPES {
            let value = xcheck(
                &python,
                &[
                    "encrypt",
                    "--cert",
                    path_str(&vector(cert)),
                    "--label",
                    label,
                ],
                b"from python\x00",
            );
            let key = vector(key);
            let args = [
                "unseal",
                "--raw",
                "--keys",
                path_str(&key),
                "--scope",
                scope,
                "--namespace",
                "xns",
                "--name",
                "xname",
            ];
            let out = sealant(&args, &value);
            assert!(
                out.status.success(),
                "{cert} {scope}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.stdout, b"from python\x00");
            if scope != "cluster-wide" {
                let wrong = [
                    "unseal",
                    "--raw",
                    "--keys",
                    path_str(&key),
                    "--scope",
                    scope,
                    "--namespace",
                    "other",
                    "--name",
                    "xname",
                ];
                assert!(fails(sealant(&wrong, &value)).contains("no key could decrypt secret"));
            }
        }
    }
}
