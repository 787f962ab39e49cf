//! Precision on real repositories (issue 13): digests, SealedSecret ciphertext kept elsewhere,
//! template syntaxes and identities are not reported as leaked credentials, while the
//! credentials beside them still are.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{path_str, sealant, stderr, stdout, testdata};

/// `sealant scan --format json PATH`: exit code and report.
fn scan(path: &Path) -> (i32, Value) {
    let out = sealant(&["scan", "--format", "json", path_str(path)], b"");
    let code = out.status.code().expect("exit code");
    assert!(code == 0 || code == 1, "scan failed: {}", stderr(&out));
    let report = serde_json::from_str(&stdout(&out)).expect("a JSON report");
    (code, report)
}

/// (file name, rule, severity, line) of every finding.
fn findings(report: &Value) -> Vec<(String, String, String, u64)> {
    let all = report["findings"].as_array().expect("findings");
    all.iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            (
                path.rsplit('/').next().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn row(file: &str, rule: &str, severity: &str, line: u64) -> (String, String, String, u64) {
    (file.into(), rule.into(), severity.into(), line)
}

#[test]
fn checksum_annotations_holding_a_digest_are_not_secrets() {
    let (code, report) = scan(&testdata("scan/negative/helm-checksum-annotations.yaml"));
    assert_eq!((code, findings(&report)), (0, vec![]));
    // The same annotation holding anything but a digest is judged as usual.
    let (code, report) = scan(&testdata("scan/positive/checksum-not-digest.yaml"));
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [row(
            "checksum-not-digest.yaml",
            "generic-secret-yaml",
            "error",
            9
        )]
    );
}

#[test]
fn sealed_ciphertext_outside_a_sealedsecret_is_not_plaintext() {
    // Helm values, a Secret's data and stringData, a generator literal and its env file.
    let (code, report) = scan(&testdata("scan/negative/sealed-elsewhere"));
    assert_eq!((code, findings(&report)), (0, vec![]));
}

#[test]
fn a_value_only_near_the_sealed_shape_is_still_reported() {
    // Base64 of 2 + 512 + 15 bytes: one byte short of a GCM tag, so not a sealed value.
    let mut bytes = 512u16.to_be_bytes().to_vec();
    bytes.extend((0..527u32).map(|i| (i * 31 + 7) as u8));
    let value = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
    let values = format!("sealedsecrets:\n  - name: app\n    data:\n      password: {value}\n");
    let dir = scratch(&[("values.yaml", &values)]);
    let (_, report) = scan(dir.path());
    assert_eq!(
        findings(&report),
        [row("values.yaml", "generic-secret-yaml", "error", 4)]
    );
}

#[test]
fn template_and_reference_syntaxes_are_quiet_wherever_values_are_judged() {
    // GitHub Actions, Datadog, Jinja, Helm, $(VAR), <path:…>, ref+…://, op://, apiVersions, in
    // values files, Secrets (plain and base64), generator literals and env files.
    let (code, report) = scan(&testdata("scan/negative/templates"));
    assert_eq!((code, findings(&report)), (0, vec![]));
}

#[test]
fn placeholders_are_judged_the_same_in_base64_data_and_a_real_default_is_not_one() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\ndata:\n  password: Y2hhbmdlbWU=\n  token: bWluaW8xMjM=\nstringData:\n  api-token: REPLACE_ME\n  secret-key: minio123\n";
    let dir = scratch(&[("s.yaml", secret)]);
    let (_, report) = scan(dir.path());
    assert_eq!(
        findings(&report),
        [
            row("s.yaml", "k8s-secret-data", "error", 6),
            row("s.yaml", "k8s-secret-string-data", "error", 9),
        ]
    );
}

#[test]
fn identities_and_public_certificates_are_info_and_credentials_beside_them_stay_errors() {
    let (code, report) = scan(&testdata("scan/positive/secret-identity.yaml"));
    assert_eq!(code, 1);
    let file = "secret-identity.yaml";
    assert_eq!(
        findings(&report),
        [
            row(file, "k8s-secret-identity-value", "info", 6),
            row(file, "k8s-secret-identity-value", "info", 7),
            row(file, "k8s-secret-string-data", "error", 8),
            row(file, "k8s-secret-string-data", "error", 9),
            row(file, "k8s-secret-identity-value", "info", 11),
            row(file, "k8s-secret-identity-value", "info", 15),
            row(file, "k8s-secret-data", "error", 16),
        ]
    );
}

#[test]
fn a_secret_of_identities_alone_gives_one_info_per_key_and_no_error() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  username: app\n  email: ops@example.com\n  GITHUB_APP_ID: \"123456\"\n  port: \"5432\"\n";
    let dir = scratch(&[("s.yaml", secret)]);
    let (code, report) = scan(dir.path());
    assert_eq!(code, 0, "info findings do not fail the scan");
    let info = |line| row("s.yaml", "k8s-secret-identity-value", "info", line);
    assert_eq!(findings(&report), [info(5), info(6), info(7), info(8)]);
}

#[test]
fn an_identity_key_holding_a_credential_is_that_credential() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  DB_HOST: postgres://app:203oTWcmUCTy9G@db.internal:5432/app\n";
    let dir = scratch(&[("s.yaml", secret)]);
    let (code, report) = scan(dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [row("s.yaml", "database-url-password", "error", 5)]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("stringData.DB_HOST"), "{message}");
    assert!(!message.contains("203oTWcmUCTy9G"), "{message}");
}

#[test]
fn explain_documents_the_identity_rule() {
    let out = sealant(&["explain", "k8s-secret-identity-value"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("public certificate") && text.contains("username"),
        "{text}"
    );
}

#[test]
fn identities_read_into_a_secret_by_a_generator_are_info_too() {
    let kustomization = "secretGenerator:\n  - name: db\n    literals:\n      - client-id=my-app\n      - client-secret=Zq8r2Lm5Nv9Wt1Xy\n    envs:\n      - db.env\n";
    let env = "POSTGRES_USER=app\nMYSQL_USER_NAME=app\nPOSTGRES_PASSWORD=Zq8r2Lm5Nv9Wt1Xz\n";
    let dir = scratch(&[("kustomization.yaml", kustomization), ("db.env", env)]);
    let (code, report) = scan(dir.path());
    assert_eq!(code, 1);
    let mut got = findings(&report);
    got.sort();
    assert_eq!(
        got,
        [
            row("db.env", "k8s-secret-identity-value", "info", 1),
            row("db.env", "k8s-secret-identity-value", "info", 2),
            row("db.env", "kustomize-secret-generator-file", "error", 3),
            row("kustomization.yaml", "k8s-secret-identity-value", "info", 4),
            row(
                "kustomization.yaml",
                "kustomize-secret-generator-literal",
                "error",
                5
            ),
        ]
    );
}

#[test]
fn a_config_without_a_credential_setting_is_info_and_one_with_a_credential_an_error() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData:\n  grafana.ini: |\n    [date_formats]\n    default_timezone = UTC\n  config.yaml: |\n    db:\n      password: hunter22\n  app.yaml: |\n    url: https://app:203oTWcmUCTy9G@db.internal:5432/app\n  init.sh: |\n    mysql -uroot -phunter2\n  notify.yaml: |\n    channel: ops\n    hook: ghp_zaUJTXY0zxHSNjbeqeFs720eZmeikV8dDBfj\n";
    let dir = scratch(&[("s.yaml", secret)]);
    let (code, report) = scan(dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [
            row("s.yaml", "k8s-secret-config-value", "info", 6),
            row("s.yaml", "k8s-secret-string-data", "error", 9),
            row("s.yaml", "k8s-secret-string-data", "error", 12),
            row("s.yaml", "k8s-secret-string-data", "error", 14),
            row("s.yaml", "github-token", "error", 16),
        ]
    );
}

#[test]
fn scan_fix_seals_a_secret_of_identities_alone() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  username: app\n  host: db.internal\n";
    let dir = scratch(&[("secret.yaml", secret)]);
    crate::common::pin_test_cert(dir.path());
    let out = sealant(&["scan", "--fix", path_str(dir.path())], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sealed = fs::read_to_string(dir.path().join("secret.yaml")).unwrap();
    assert!(sealed.contains("kind: SealedSecret"), "{sealed}");
    assert!(!sealed.contains("db.internal"), "{sealed}");
}
