//! The real binary on real files: sealing, unsealing, errors and exit codes.

use std::fs;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::common::{fails, ok, path_str, sealant, stderr, testdata, vector};

const SCOPES: [&str; 3] = ["strict", "namespace-wide", "cluster-wide"];
const KEY_PAIRS: [(&str, &str); 2] = [
    ("cert2048.pem", "key2048.pem"),
    ("cert4096.pem", "key4096.pem"),
];

fn secret(data: &[(&str, &[u8])]) -> Value {
    let data: serde_json::Map<String, Value> = data
        .iter()
        .map(|(k, v)| (k.to_string(), json!(STANDARD.encode(v))))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "app", "namespace": "team"},
        "type": "Opaque",
        "data": data,
    })
}

fn seal_json(cert: &str, extra: &[&str], input: &Value) -> Value {
    let cert = vector(cert);
    let mut args = vec!["seal", "--cert", path_str(&cert), "-o", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(sealant(&args, input.to_string().as_bytes()))).unwrap()
}

fn unseal_json(key: &str, sealed: &Value) -> Value {
    let key = vector(key);
    let args = ["unseal", "--keys", path_str(&key), "-o", "json"];
    serde_json::from_str(&ok(sealant(&args, sealed.to_string().as_bytes()))).unwrap()
}

fn decoded(secret: &Value, key: &str) -> Vec<u8> {
    STANDARD
        .decode(secret["data"][key].as_str().unwrap())
        .unwrap()
}

#[test]
fn round_trips_every_scope_and_key_size_with_empty_binary_and_large_values() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let large: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let input = secret(&[
        ("empty", b""),
        ("binary", &binary),
        ("large", &large),
        ("text", b"hunter2"),
    ]);
    for (cert, key) in KEY_PAIRS {
        for scope in SCOPES {
            let sealed = seal_json(cert, &["--scope", scope], &input);
            let back = unseal_json(key, &sealed);
            for (name, value) in [
                ("empty", &b""[..]),
                ("binary", &binary),
                ("large", &large),
                ("text", b"hunter2"),
            ] {
                assert_eq!(decoded(&back, name), value, "{cert} {scope} {name}");
            }
            assert_eq!(back["metadata"]["name"], "app");
            assert_eq!(back["type"], "Opaque");
        }
    }
}

#[test]
fn sealed_output_follows_kubeseal_layout_and_semantics() {
    let input = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db", "namespace": "prod",
            "labels": {"app": "db"},
            "annotations": {
                "team": "storage",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"secret\":\"leak\"}"
            },
            "uid": "1234", "resourceVersion": "99", "creationTimestamp": "2024-01-01T00:00:00Z"
        },
        "type": "kubernetes.io/basic-auth",
        "immutable": true,
        "data": {"password": STANDARD.encode("from-data"), "username": STANDARD.encode("admin")},
        "stringData": {"password": "from-stringData"}
    });
    let sealed = seal_json("cert2048.pem", &[], &input);
    assert_eq!(sealed["kind"], "SealedSecret");
    assert_eq!(sealed["apiVersion"], "bitnami.com/v1alpha1");
    assert_eq!(
        sealed["metadata"],
        json!({"name": "db", "namespace": "prod"}),
        "strict: no scope annotation"
    );
    let template = &sealed["spec"]["template"];
    assert_eq!(template["type"], "kubernetes.io/basic-auth");
    assert_eq!(template["immutable"], true);
    assert_eq!(template["metadata"]["labels"], json!({"app": "db"}));
    assert_eq!(
        template["metadata"]["annotations"],
        json!({"team": "storage"}),
        "last-applied dropped"
    );
    for field in ["uid", "resourceVersion", "creationTimestamp"] {
        assert!(template["metadata"].get(field).is_none(), "{field} dropped");
    }
    let keys: Vec<_> = sealed["spec"]["encryptedData"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["password", "username"]);
    let text = sealed.to_string();
    assert!(
        !text.contains("from-data") && !text.contains("leak"),
        "no plaintext in the output"
    );

    let back = unseal_json("key2048.pem", &sealed);
    assert_eq!(
        decoded(&back, "password"),
        b"from-stringData",
        "stringData wins over data"
    );
    assert_eq!(back["immutable"], true);
}

#[test]
fn scope_comes_from_the_flag_then_the_annotations() {
    let mut input = secret(&[("k", b"v")]);
    input["metadata"]["annotations"] = json!({"sealedsecrets.bitnami.com/namespace-wide": "true"});
    let sealed = seal_json("cert2048.pem", &[], &input);
    assert_eq!(
        sealed["metadata"]["annotations"],
        json!({"sealedsecrets.bitnami.com/namespace-wide": "true"})
    );
    // Renamed, it still decrypts: namespace-wide ignores the name.
    let mut renamed = sealed.clone();
    renamed["metadata"]["name"] = json!("other");
    assert_eq!(decoded(&unseal_json("key2048.pem", &renamed), "k"), b"v");

    let sealed = seal_json("cert2048.pem", &["--scope", "cluster-wide"], &input);
    let annotations = &sealed["metadata"]["annotations"];
    assert_eq!(
        annotations,
        &json!({"sealedsecrets.bitnami.com/cluster-wide": "true"})
    );
    assert_eq!(
        sealed["spec"]["template"]["metadata"]["annotations"], *annotations,
        "template annotations updated too"
    );
    let mut moved = sealed.clone();
    moved["metadata"]["namespace"] = json!("elsewhere");
    assert_eq!(decoded(&unseal_json("key2048.pem", &moved), "k"), b"v");
}

#[test]
fn a_moved_strict_secret_no_longer_decrypts() {
    let sealed = seal_json("cert2048.pem", &[], &secret(&[("k", b"v")]));
    for (field, value) in [("namespace", "other-ns"), ("name", "other-name")] {
        let mut moved = sealed.clone();
        moved["metadata"][field] = json!(value);
        let key = vector("key2048.pem");
        let out = sealant(
            &["unseal", "--keys", path_str(&key)],
            moved.to_string().as_bytes(),
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "a SealedSecret that does not unseal"
        );
        let err = stderr(&out);
        assert!(err.contains("no key could decrypt secret"), "{err}");
        assert!(err.contains("encryptedData.k"), "names the value: {err}");
    }
}

#[test]
fn yaml_in_gives_yaml_out_and_multi_document_streams_seal_each_secret() {
    let cert = testdata("demo/certs/demo.pem");
    let input = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: n\nstringData:\n  x: one\n---\n# comment only\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: n}\ndata: {\"y\": dHdv}\n";
    let out = ok(sealant(
        &["seal", "--cert", path_str(&cert)],
        input.as_bytes(),
    ));
    assert_eq!(out.matches("kind: SealedSecret").count(), 2, "{out}");
    assert!(
        out.starts_with("---\napiVersion: bitnami.com/v1alpha1\n"),
        "{out}"
    );
    let key = vector("key2048.pem");
    let back = ok(sealant(
        &["unseal", "--keys", path_str(&key), "-o", "json"],
        out.as_bytes(),
    ));
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&back)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(decoded(&docs[0], "x"), b"one");
    assert_eq!(decoded(&docs[1], "y"), b"two");
}

#[test]
fn lists_are_sealed_item_by_item() {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [secret(&[("a", b"1")]), secret(&[("b", b"2")])]});
    let sealed = seal_json("cert2048.pem", &[], &list);
    assert_eq!(sealed["kind"], "List");
    assert_eq!(sealed["items"][1]["kind"], "SealedSecret");
    let back = unseal_json("key2048.pem", &sealed);
    assert_eq!(decoded(&back["items"][1], "b"), b"2");
}

#[test]
fn raw_values_round_trip_in_every_scope() {
    let cert = vector("cert4096.pem");
    let key = vector("key4096.pem");
    for scope in SCOPES {
        let args = ["--scope", scope, "--namespace", "ns", "--name", "n"];
        let mut seal = vec!["seal", "--raw", "--cert", path_str(&cert)];
        seal.extend_from_slice(&args);
        let value = ok(sealant(&seal, b"raw\x00value"));
        assert!(
            !value.ends_with('\n') && STANDARD.decode(&value).is_ok(),
            "bare base64: {value}"
        );
        let mut unseal = vec!["unseal", "--raw", "--keys", path_str(&key)];
        unseal.extend_from_slice(&args);
        let out = sealant(&unseal, value.as_bytes());
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(out.stdout, b"raw\x00value");
    }
}

#[test]
fn raw_mode_asks_for_what_the_scope_needs() {
    let cert = vector("cert2048.pem");
    let err = fails(sealant(
        &[
            "seal",
            "--raw",
            "--cert",
            path_str(&cert),
            "--namespace",
            "ns",
        ],
        b"v",
    ));
    assert!(err.contains("needs --name"), "{err}");
    let err = fails(sealant(
        &[
            "seal",
            "--raw",
            "--cert",
            path_str(&cert),
            "--scope",
            "namespace-wide",
        ],
        b"v",
    ));
    assert!(err.contains("needs --namespace"), "{err}");
    ok(sealant(
        &[
            "seal",
            "--raw",
            "--cert",
            path_str(&cert),
            "--scope",
            "cluster-wide",
        ],
        b"v",
    ));
}

#[test]
fn damaged_values_fail_with_clear_errors_and_exit_2() {
    let cert = vector("cert2048.pem");
    let key = vector("key2048.pem");
    let other_key = vector("key4096.pem");
    let raw = ["--namespace", "ns", "--name", "n"];
    let mut seal = vec!["seal", "--raw", "--cert", path_str(&cert)];
    seal.extend_from_slice(&raw);
    let value = ok(sealant(&seal, b"secret-value"));
    let bytes = STANDARD.decode(&value).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() - 5] ^= 0x80;
    let cases: Vec<(&str, Vec<&str>, String, &str)> = vec![
        (
            "wrong label",
            vec!["--namespace", "ns", "--name", "other"],
            value.clone(),
            "no key could decrypt secret",
        ),
        (
            "wrong scope",
            vec!["--scope", "cluster-wide"],
            value.clone(),
            "no key could decrypt secret",
        ),
        (
            "flipped byte",
            raw.to_vec(),
            STANDARD.encode(&flipped),
            "no key could decrypt secret",
        ),
        (
            "truncated",
            raw.to_vec(),
            STANDARD.encode(&bytes[..100]),
            "too short",
        ),
        (
            "bad base64",
            raw.to_vec(),
            "AQ!!notbase64".to_string(),
            "not valid base64",
        ),
    ];
    for (what, args, input, expected) in cases {
        let mut cmd = vec!["unseal", "--raw", "--keys", path_str(&key)];
        cmd.extend(args);
        let err = fails(sealant(&cmd, input.as_bytes()));
        assert!(err.contains(expected), "{what}: {err}");
        assert!(
            !err.contains("secret-value"),
            "{what}: no plaintext in errors"
        );
    }
    let err = fails(sealant(
        &[
            "unseal",
            "--raw",
            "--keys",
            path_str(&other_key),
            "--namespace",
            "ns",
            "--name",
            "n",
        ],
        value.as_bytes(),
    ));
    assert!(
        err.contains("no key could decrypt secret") && err.contains("tried 1 key"),
        "wrong key: {err}"
    );
}

#[test]
fn input_errors_name_the_problem_and_never_the_value() {
    let cert = vector("cert2048.pem");
    let seal = |input: &str, extra: &[&str]| {
        let mut args = vec!["seal", "--cert", path_str(&cert)];
        args.extend_from_slice(extra);
        fails(sealant(&args, input.as_bytes()))
    };
    let no_ns = "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {k: hunter2}\n";
    let err = seal(no_ns, &[]);
    assert!(
        err.contains("no namespace") && err.contains("--namespace"),
        "{err}"
    );
    let err = seal(no_ns, &["--scope", "namespace-wide"]);
    assert!(err.contains("no namespace"), "{err}");
    ok(sealant(
        &["seal", "--cert", path_str(&cert), "--scope", "cluster-wide"],
        no_ns.as_bytes(),
    ));
    ok(sealant(
        &["seal", "--cert", path_str(&cert), "--namespace", "x"],
        no_ns.as_bytes(),
    ));

    let with_ns = "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: one}\nstringData: {k: hunter2}\n";
    let err = seal(with_ns, &["--namespace", "two"]);
    assert!(err.contains("contradicts"), "{err}");

    let err = seal(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\n",
        &[],
    );
    assert!(err.contains("--allow-empty-data"), "{err}");
    ok(sealant(
        &["seal", "--cert", path_str(&cert), "--allow-empty-data"],
        b"apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\n",
    ));

    let err = seal(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\ndata: {k: 'hunter2!!'}\n",
        &[],
    );
    assert!(
        err.contains("data.k is not valid base64") && !err.contains("hunter2"),
        "{err}"
    );
    let err = seal(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n",
        &[],
    );
    assert!(err.contains("is a ConfigMap"), "{err}");
    let err = seal("apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\nstringData: {port: 5432}\n", &[]);
    assert!(
        err.contains("stringData.port is a number") && !err.contains("5432"),
        "{err}"
    );
    let err = seal("apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\nstringData: {'bad key': x}\n", &[]);
    assert!(err.contains("not a valid Secret key"), "{err}");
    let err = seal("apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\nstringData: {k: [hunter2\n", &[]);
    assert!(
        err.contains("<stdin>:") && err.contains("invalid YAML") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn certs_that_cannot_be_trusted_are_refused() {
    let input = secret(&[("k", b"v")]).to_string();
    for (cert, expected) in [
        ("certs/expired2048.pem", "expired"),
        ("certs/rsa1024.pem", "at least 2048"),
        ("certs/rsa512.pem", "512 bits; at least 2048"),
        ("certs/ec-p256.pem", "RSA"),
    ] {
        let path = testdata(cert);
        let err = fails(sealant(
            &["seal", "--cert", path_str(&path)],
            input.as_bytes(),
        ));
        assert!(err.contains(expected), "{cert}: {err}");
    }
    let expired = testdata("certs/expired2048.pem");
    let out = ok(sealant(
        &[
            "seal",
            "--cert",
            path_str(&expired),
            "--allow-expired-cert",
            "-o",
            "json",
        ],
        input.as_bytes(),
    ));
    let sealed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        decoded(&unseal_json("key2048.pem", &sealed), "k"),
        b"v",
        "same key, so it still decrypts"
    );
    let missing = fails(sealant(
        &["seal", "--cert", "/nonexistent/cert.pem"],
        input.as_bytes(),
    ));
    assert!(
        missing.contains("cannot read /nonexistent/cert.pem"),
        "{missing}"
    );
}

#[test]
fn merge_into_adds_and_replaces_keys_in_place_keeping_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let cert = vector("cert2048.pem");
    let key = vector("key2048.pem");
    for (file, format) in [("s.yaml", "yaml"), ("s.json", "json")] {
        let path = dir.path().join(file);
        let base = ok(sealant(
            &["seal", "--cert", path_str(&cert), "-o", format],
            secret(&[("keep", b"1"), ("replace", b"old")])
                .to_string()
                .as_bytes(),
        ));
        fs::write(&path, &base).unwrap();
        // The file's own name and namespace win over the input's.
        let mut update = secret(&[("replace", b"new"), ("added", b"3")]);
        update["metadata"] = json!({"name": "ignored", "namespace": "ignored"});
        ok(sealant(
            &[
                "seal",
                "--cert",
                path_str(&cert),
                "--merge-into",
                path_str(&path),
            ],
            update.to_string().as_bytes(),
        ));
        let merged = fs::read_to_string(&path).unwrap();
        assert_eq!(
            merged.trim_start().starts_with('{'),
            format == "json",
            "{format} kept: {merged}"
        );
        let back: Value = serde_json::from_str(&ok(sealant(
            &[
                "unseal",
                "--keys",
                path_str(&key),
                "-f",
                path_str(&path),
                "-o",
                "json",
            ],
            b"",
        )))
        .unwrap();
        assert_eq!(decoded(&back, "keep"), b"1");
        assert_eq!(decoded(&back, "replace"), b"new");
        assert_eq!(decoded(&back, "added"), b"3");
        assert_eq!(back["metadata"]["name"], "app");
    }
}

#[test]
fn unseal_accepts_every_key_format() {
    let sealed = vector("sealedsecret-strict.json");
    let pkcs8 = testdata("keys/key2048-pkcs8.pem");
    for keys in [
        vector("key2048.pem"),
        pkcs8,
        vector("controller-key-secret.json"),
        vector("backup-list.json"),
    ] {
        let out = ok(sealant(
            &["unseal", "--keys", path_str(&keys), "-f", path_str(&sealed)],
            b"",
        ));
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(decoded(&back, "password"), b"hunter2", "{}", keys.display());
        assert_eq!(decoded(&back, "username"), b"admin");
    }
    // Comma-separated keys: the 4096-bit one opens the other vector.
    let both = format!(
        "{},{}",
        path_str(&vector("key2048.pem")),
        path_str(&vector("key4096.pem"))
    );
    let out = ok(sealant(
        &[
            "unseal",
            "--keys",
            &both,
            "-f",
            path_str(&vector("sealedsecret-strict-4096key.json")),
        ],
        b"",
    ));
    let back: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(decoded(&back, "token"), b"from-4096-key");
    let err = fails(sealant(
        &[
            "unseal",
            "--keys",
            path_str(&vector("cert2048.pem")),
            "-f",
            path_str(&sealed),
        ],
        b"",
    ));
    assert!(err.contains("no RSA private key found"), "{err}");
}

/// An encrypted key beside a usable one is skipped, as a certificate is, even with a comment
/// naming OpenSSL's legacy encryption header outside any block.
#[test]
fn an_encrypted_key_beside_a_usable_one_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = dir.path().join("keys.pem");
    let text = [
        std::fs::read_to_string(vector("key2048.pem")).unwrap(),
        "# the old key had Proc-Type: 4,ENCRYPTED\n".to_string(),
        std::fs::read_to_string(testdata("keys/key2048-encrypted-pkcs8.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(&mixed, text).unwrap();
    let sealed = vector("sealedsecret-strict.json");
    let out = ok(sealant(
        &[
            "unseal",
            "--keys",
            path_str(&mixed),
            "-f",
            path_str(&sealed),
        ],
        b"",
    ));
    let back: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(decoded(&back, "password"), b"hunter2");
}

/// A key sealant cannot use says why and what to do, never "no key found".
#[test]
fn keys_that_cannot_be_used_say_why() {
    let sealed = vector("sealedsecret-strict.json");
    for (key, expected) in [
        ("keys/key1024.pem", "1024 bits; at least 2048"),
        ("keys/key1024-pkcs8.pem", "1024 bits; at least 2048"),
        (
            "keys/key2048-encrypted-pkcs8.pem",
            "`openssl pkcs8 -in KEY -out PLAIN`",
        ),
        (
            "keys/key2048-encrypted-legacy.pem",
            "`openssl rsa -in KEY -out PLAIN`",
        ),
    ] {
        let path = testdata(key);
        let err = fails(sealant(
            &["unseal", "--keys", path_str(&path), "-f", path_str(&sealed)],
            b"",
        ));
        assert!(err.contains(expected), "{key}: {err}");
    }
}

#[test]
fn upstream_vectors_unseal_to_their_documented_values_in_every_scope() {
    for scope in SCOPES {
        let sealed = vector(&format!("sealedsecret-{scope}.json"));
        let out = ok(sealant(
            &[
                "unseal",
                "--keys",
                path_str(&vector("backup-list.json")),
                "-f",
                path_str(&sealed),
                "-o",
                "yaml",
            ],
            b"",
        ));
        let (_, docs) = sealant::doc::parse_documents(&out, "out").unwrap();
        assert_eq!(decoded(&docs[0], "username"), b"admin", "{scope}");
        assert_eq!(decoded(&docs[0], "password"), b"hunter2", "{scope}");
        assert_eq!(docs[0]["metadata"]["namespace"], "myns");
    }
}

#[test]
fn unseal_writes_plaintext_files_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("secret.json");
    ok(sealant(
        &[
            "unseal",
            "--keys",
            path_str(&vector("key2048.pem")),
            "-f",
            path_str(&vector("sealedsecret-strict.json")),
            "-w",
            path_str(&out),
        ],
        b"",
    ));
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(fs::read_to_string(&out).unwrap().contains("aHVudGVyMg=="));
}

#[test]
fn seal_writes_its_output_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sealed.yaml");
    let demo = testdata("demo/apps/podinfo/secret.yaml");
    ok(sealant(
        &[
            "seal",
            "--cert",
            path_str(&testdata("demo/certs/demo.pem")),
            "-f",
            path_str(&demo),
            "-w",
            path_str(&out),
        ],
        b"",
    ));
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains("kind: SealedSecret") && text.contains("PODINFO_TOKEN:"));
    assert!(!text.contains("demo-only"), "sealed, not copied");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}

#[test]
fn template_data_is_rendered_like_the_controller() {
    let sealed = seal_json(
        "cert2048.pem",
        &[],
        &secret(&[("user", b"admin"), ("pass", b"p\"w")]),
    );
    let mut templated = sealed.clone();
    templated["spec"]["template"]["data"] =
        json!({"config.json": "{\"user\": \"{{ .user }}\", \"pass\": {{ toJson .pass }}}"});
    let back = unseal_json("key2048.pem", &templated);
    assert_eq!(
        decoded(&back, "config.json"),
        br#"{"user": "admin", "pass": "p\"w"}"#
    );
    assert_eq!(decoded(&back, "user"), b"admin", "encrypted keys stay");
}

#[test]
fn cert_fingerprint_is_the_sha256_of_the_der() {
    let out = ok(sealant(
        &["cert", "fingerprint", path_str(&vector("cert2048.pem"))],
        b"",
    ));
    // `openssl x509 -in cert2048.pem -outform der | sha256sum`
    assert_eq!(
        out,
        "1701b6a7c91c2bd9fb5781eca7d8912cbbb8c0fbb4b9d939585e4cc3f4c946d9\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    fails(sealant(&["seal"], b""));
    fails(sealant(&["frobnicate"], b""));
    let err = fails(sealant(
        &["seal", "--cert", "x.pem", "--scope", "global"],
        b"",
    ));
    assert!(err.contains("unknown scope"), "{err}");
}

/// `-o -` is standard output, as `-` is standard input for the paths; no file named `-`.
#[test]
fn output_dash_is_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let demo = crate::common::testdata("demo");
    let out = crate::common::sealant_in(
        Some(dir.path()),
        &[
            "scan",
            "-o",
            "-",
            "--format",
            "json",
            crate::common::path_str(&demo),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the report on standard output");
    assert!(!report["findings"].as_array().unwrap().is_empty());
    assert!(!dir.path().join("-").exists());
}

/// One file named by both `-o` and `--sarif` would keep only the last report written.
#[test]
fn output_and_sarif_to_the_same_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let demo = crate::common::testdata("demo");
    let demo = crate::common::path_str(&demo);
    for (output, sarif) in [("r.json", "./r.json"), ("-", "-")] {
        let mut args = vec!["scan", "--sarif", sarif, demo];
        if output != "-" {
            args.extend(["-o", output]);
        }
        let out = crate::common::sealant_in(Some(dir.path()), &args, b"");
        assert_eq!(out.status.code(), Some(2), "{output} {sarif}");
        assert!(
            crate::common::stderr(&out).contains("name the same file"),
            "{}",
            crate::common::stderr(&out)
        );
        assert!(!dir.path().join("r.json").exists());
    }
}
