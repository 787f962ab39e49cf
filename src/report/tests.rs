use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::finding::{Category, Finding, Note, Severity};

const SOURCE: &str = "apiVersion: v1\nkind: Secret\nstringData:\n  a: TOPSECRET-1\n  b: TOPSECRET-2\n{\"x\": \"TOPSECRET-3\", \"y\": \"TOPSECRET-4\"}\n";

fn finding(value: &str, line: usize, severity: Severity, message: &str) -> Finding {
    let start = SOURCE.find(value).unwrap();
    let column = start - SOURCE[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
    Finding {
        rule: "k8s-secret-string-data".into(),
        category: Category::Leak,
        severity,
        path: "dir/a.yaml".into(),
        line,
        column,
        span: start..start + value.len(),
        message: message.into(),
        fingerprint: "0123456789abcdef0123456789abcdef".into(),
        commit: None,
    }
}

fn sample() -> (Vec<Finding>, Summary, Vec<RuleDoc>) {
    let mut other = finding("TOPSECRET-2", 5, Severity::Warning, "50% done: a, b\nnext");
    other.rule = "generic-secret-yaml".into();
    let findings = vec![
        finding(
            "TOPSECRET-1",
            4,
            Severity::Error,
            "Secret \"s\" commits stringData.a in plaintext",
        ),
        other,
        finding("TOPSECRET-3", 6, Severity::Error, "flow"),
        finding("TOPSECRET-4", 6, Severity::Info, "flow two"),
    ];
    let summary = Summary {
        files_scanned: 3,
        bytes_scanned: 2048,
        findings: findings.len(),
        suppressed: 1,
        elapsed: Duration::from_millis(4),
        notes: vec![Note {
            path: "big.yaml".into(),
            message: "larger than max-file-size; skipped".into(),
        }],
    };
    let rules = vec![RuleDoc {
        id: "k8s-secret-string-data".into(),
        description: "Kubernetes Secret with a plaintext stringData value".into(),
        explanation: "Seal it.".into(),
        severity: Severity::Error,
        category: Category::Leak,
    }];
    (findings, summary, rules)
}

fn rendered(format: Format) -> String {
    let (findings, summary, rules) = sample();
    let report = Report {
        findings: &findings,
        summary: &summary,
        rules: &rules,
        tool_version: "0.1.0",
    };
    let mut out = Vec::new();
    render(
        format,
        &report,
        &|p: &str| (p == "dir/a.yaml").then(|| SOURCE.as_bytes().to_vec()),
        false,
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn no_format_prints_a_value() {
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let text = rendered(format);
        assert!(!text.contains("TOPSECRET"), "{format:?}:\n{text}");
    }
}

#[test]
fn json_has_the_documented_shape() {
    let v: Value = serde_json::from_str(&rendered(Format::Json)).unwrap();
    assert_eq!(v["version"], 1);
    let keys: Vec<&str> = v["findings"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "rule",
            "category",
            "severity",
            "path",
            "line",
            "column",
            "message",
            "fingerprint"
        ]
    );
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["notes"][0]["path"], "big.yaml");
}

#[test]
fn sarif_is_consistent() {
    let v: Value = serde_json::from_str(&rendered(Format::Sarif)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "only the rules that occur");
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
    assert_eq!(rules[0]["name"], "K8sSecretStringData");
}

#[test]
fn github_commands_are_escaped() {
    let text = rendered(Format::Github);
    assert!(text.contains("::warning file=dir/a.yaml,line=5,col=6,title=generic-secret-yaml::50%25 done: a, b%0Anext"), "{text}");
    assert!(text.contains("::notice file=dir/a.yaml,line=6"), "{text}");
    assert_eq!(github::escape_property("a:b,c"), "a%3Ab%2Cc");
}

#[test]
fn human_groups_by_file_and_redacts() {
    let text = rendered(Format::Human);
    assert!(text.starts_with("dir/a.yaml\n"), "{text}");
    assert!(
        text.contains("<redacted>") && text.contains("k8s-secret-string-data"),
        "{text}"
    );
    assert!(
        text.contains(" 4 │") || text.contains("4 │"),
        "line numbers of the file: {text}"
    );
    assert!(
        text.contains("note: big.yaml: larger than max-file-size; skipped"),
        "{text}"
    );
    assert!(
        text.contains("scanned 3 files (2.0 KiB) in 4 ms: 4 findings (1 suppressed)"),
        "{text}"
    );
}

#[test]
fn a_span_past_the_end_of_the_file_does_not_panic() {
    let (mut findings, summary, rules) = sample();
    findings[0].span = 10_000..10_010;
    let report = Report {
        findings: &findings,
        summary: &summary,
        rules: &rules,
        tool_version: "0",
    };
    let mut out = Vec::new();
    render(
        Format::Human,
        &report,
        &|_| Some(b"short".to_vec()),
        false,
        &mut out,
    )
    .unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("dir/a.yaml:4:6: error[k8s-secret-string-data]"));
}
