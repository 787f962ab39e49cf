use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::finding::{line_col, Category, Finding, Note, Severity};

/// Every secret value holds `TOPSECRET`; no output may contain it.
const A: &str = "apiVersion: v1\nkind: Secret\nstringData:\n  a: TOPSECRET-1\n  b: TOPSECRET-2\n{\"x\": \"TOPSECRET-3\", \"y\": \"TOPSECRET-4\"}\n  é: TOPSECRET-5\n";
const B: &str = "kind: Secret\ndata:\n  k: TOPSECRET-6\n";

fn source_of(path: &str) -> Option<&'static str> {
    match path {
        "dir/a.yaml" => Some(A),
        "b.yaml" => Some(B),
        _ => None,
    }
}

/// A finding for `value` in `path`, placed as the scanner places it.
fn finding(path: &str, value: &str, severity: Severity, message: &str) -> Finding {
    let text = source_of(path).unwrap();
    let start = text.find(value).unwrap();
    let (line, column) = line_col(text.as_bytes(), start);
    Finding {
        rule: "k8s-secret-string-data".into(),
        category: Category::Leak,
        severity,
        path: path.into(),
        line,
        column,
        span: start..start + value.len(),
        message: message.into(),
        fingerprint: "0123456789abcdef0123456789abcdef".into(),
        commit: None,
    }
}

/// Deliberately out of order: reporters must not rely on the scanner's sort.
fn sample_findings() -> Vec<Finding> {
    let mut generic = finding(
        "dir/a.yaml",
        "TOPSECRET-2",
        Severity::Warning,
        "50% done: a, b\nnext",
    );
    generic.rule = "generic-secret-yaml".into();
    vec![
        finding("dir/a.yaml", "TOPSECRET-4", Severity::Info, "flow two"),
        finding("b.yaml", "TOPSECRET-6", Severity::Error, "data.k"),
        finding(
            "dir/a.yaml",
            "TOPSECRET-1",
            Severity::Error,
            "Secret \"s\" commits stringData.a in plaintext",
        ),
        generic,
        finding("dir/a.yaml", "TOPSECRET-3", Severity::Error, "flow"),
        finding("dir/a.yaml", "TOPSECRET-5", Severity::Error, "accented key"),
    ]
}

fn summary(findings: usize) -> Summary {
    Summary {
        files_scanned: 3,
        bytes_scanned: 2048,
        findings,
        suppressed: 1,
        commits_scanned: 0,
        files_skipped: 0,
        elapsed: Duration::from_millis(4),
        notes: vec![Note {
            path: "big.yaml".into(),
            message: "larger than max-file-size; skipped".into(),
        }],
    }
}

fn rules() -> Vec<RuleDoc> {
    vec![
        RuleDoc {
            id: "k8s-secret-string-data".into(),
            description: "Kubernetes Secret with a plaintext stringData value".into(),
            explanation: "Seal it with\nkubeseal.\n\nThen rotate it.\n".into(),
            severity: Severity::Error,
            category: Category::Leak,
        },
        RuleDoc {
            id: "unused-rule".into(),
            description: "never found".into(),
            explanation: "".into(),
            severity: Severity::Info,
            category: Category::SealedSecret,
        },
    ]
}

fn render_with(format: Format, findings: &[Finding], source: &Source) -> String {
    let summary = summary(findings.len());
    let rules = rules();
    let report = Report {
        findings,
        summary: &summary,
        rules: &rules,
        tool_version: "0.1.0",
        provenance: None,
        values: None,
    };
    let mut out = Vec::new();
    render(format, &report, source, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn rendered(format: Format) -> String {
    let source = |f: &Finding| source_of(&f.path).map(|s| s.as_bytes().to_vec());
    render_with(format, &sample_findings(), &source)
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains("TOPSECRET"), "a value leaked:\n{text}");
}

const FORMATS: [Format; 4] = [Format::Human, Format::Json, Format::Sarif, Format::Github];

#[test]
fn formats_parse_from_their_names() {
    for (name, format) in ["human", "json", "sarif", "github"].iter().zip(FORMATS) {
        assert_eq!(clap::ValueEnum::from_str(name, false), Ok(format));
    }
    assert!(<Format as clap::ValueEnum>::from_str("xml", false).is_err());
}

#[test]
fn no_format_prints_a_value() {
    for format in FORMATS {
        assert_no_secret(&rendered(format));
    }
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn json_has_exactly_the_documented_keys() {
    let text = rendered(Format::Json);
    assert!(text.ends_with("}\n"), "pretty, with a trailing newline");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys(&v), ["version", "findings", "summary"]);
    assert_eq!(v["version"], 1);
    let finding_keys = [
        "rule",
        "category",
        "severity",
        "path",
        "line",
        "column",
        "message",
        "fingerprint",
    ];
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 6);
    for f in findings {
        assert_eq!(keys(f), finding_keys);
    }
    assert_eq!(findings[0]["severity"], "info");
    assert_eq!(findings[0]["category"], "leak");
    assert_eq!(findings[0]["line"], 6);
    let summary = &v["summary"];
    assert_eq!(
        keys(summary),
        [
            "files_scanned",
            "bytes_scanned",
            "findings",
            "suppressed",
            "commits_scanned",
            "files_skipped",
            "elapsed_ms",
            "notes"
        ]
    );
    assert_eq!(summary["elapsed_ms"], 4);
    assert_eq!(summary["suppressed"], 1);
    assert_eq!(keys(&summary["notes"][0]), ["path", "message"]);
    assert_eq!(summary["notes"][0]["path"], "big.yaml");
}

#[test]
fn sarif_is_consistent_and_acceptable_to_code_scanning() {
    let v: Value = serde_json::from_str(&rendered(Format::Sarif)).unwrap();
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"].as_array().unwrap().len(), 1);
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "sealant");
    assert_eq!(driver["version"], "0.1.0");
    assert_eq!(
        driver["informationUri"],
        "https://github.com/sealant-dev/sealant"
    );
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["k8s-secret-string-data", "generic-secret-yaml"],
        "only the rules that occur"
    );
    let documented = &rules[0];
    assert_eq!(documented["name"], "K8sSecretStringData");
    assert_eq!(
        documented["shortDescription"]["text"],
        "Kubernetes Secret with a plaintext stringData value"
    );
    assert_eq!(
        documented["fullDescription"]["text"],
        "Seal it with kubeseal.\nThen rotate it."
    );
    assert!(documented["help"]["text"].is_string() && documented["help"]["markdown"].is_string());
    assert_eq!(documented["defaultConfiguration"]["level"], "error");
    assert_eq!(
        documented["properties"]["tags"],
        serde_json::json!(["leak", "security"])
    );
    for rule in rules {
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note"].contains(&level));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(location["artifactLocation"]["uri"].is_string());
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert_eq!(
            result["partialFingerprints"]["sealant/v1"],
            "0123456789abcdef0123456789abcdef"
        );
    }
    assert_eq!(results[0]["level"], "note", "info is a note");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "b.yaml"
    );
}

#[test]
fn sarif_clamps_places_to_the_schema_minimum() {
    let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "");
    f.line = 0;
    f.column = 0;
    let v: Value = serde_json::from_str(&render_with(Format::Sarif, &[f], &|_| None)).unwrap();
    let result = &v["runs"][0]["results"][0];
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        result["message"]["text"], "Kubernetes Secret with a plaintext stringData value",
        "an empty message falls back to the rule's description"
    );
}

#[test]
fn sarif_uris_are_percent_encoded() {
    let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "m");
    f.path = "c:my dir/#1 100%/é.yaml".into();
    let v: Value = serde_json::from_str(&render_with(Format::Sarif, &[f], &|_| None)).unwrap();
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "c%3Amy%20dir/%231%20100%25/%C3%A9.yaml"
    );
}

#[test]
fn sarif_without_findings_is_an_empty_run() {
    let v: Value = serde_json::from_str(&render_with(Format::Sarif, &[], &|_| None)).unwrap();
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        v["runs"][0]["tool"]["driver"]["rules"],
        serde_json::json!([])
    );
}

#[test]
fn github_commands_are_escaped() {
    let mut odd = finding("b.yaml", "TOPSECRET-6", Severity::Warning, "100%: a,b\r\nc");
    odd.path = "we:ird,dir/b\n.yaml".into();
    odd.rule = "r:1,2".into();
    let text = render_with(Format::Github, &[odd], &|_| None);
    assert_eq!(
        text.lines().next().unwrap(),
        "::warning file=we%3Aird%2Cdir/b%0A.yaml,line=3,col=6,title=r%3A1%2C2::100%25: a,b%0D%0Ac"
    );
    assert_eq!(github::escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    assert_eq!(github::escape_data("a:b,c%\n"), "a:b,c%25%0A");
}

#[test]
fn github_has_one_command_per_finding_then_the_summary() {
    let text = rendered(Format::Github);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        6 + 2,
        "six findings, a note, the summary:\n{text}"
    );
    assert!(lines[..6].iter().all(|l| l.starts_with("::")), "{text}");
    assert!(lines[0].starts_with(
        "::notice file=dir/a.yaml,line=6,col=28,title=k8s-secret-string-data::flow two"
    ));
    assert!(lines[1].starts_with("::error file=b.yaml,line=3,col=6,"));
    assert!(lines[3].starts_with("::warning "));
    assert_eq!(
        lines[6],
        "note: big.yaml: larger than max-file-size; skipped"
    );
    assert_eq!(
        lines[7],
        "scanned 3 files (2.0 KiB) in 4 ms: 6 findings (1 suppressed): 4 errors, 1 warning, 1 note in 2 files"
    );
}

#[test]
fn human_groups_by_file_in_path_order_and_redacts() {
    let text = rendered(Format::Human);
    let header = |path: &str| text.lines().position(|l| l == path);
    let (b, a) = (header("b.yaml").unwrap(), header("dir/a.yaml").unwrap());
    assert!(b < a, "files in path order:\n{text}");
    assert_eq!(text.lines().filter(|l| *l == "dir/a.yaml").count(), 1);
    let places: Vec<usize> = [
        "[dir/a.yaml:4:6]",
        "[dir/a.yaml:5:6]",
        "[dir/a.yaml:6:8]",
        "[dir/a.yaml:6:28]",
        "[dir/a.yaml:7:6]",
    ]
    .iter()
    .map(|p| text.find(p).unwrap_or_else(|| panic!("{p} in:\n{text}")))
    .collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "by line:\n{text}");
    assert!(text.contains("error[k8s-secret-string-data]"), "{text}");
    assert!(text.contains("warning[generic-secret-yaml]"), "{text}");
    assert!(text.contains(" 4 │   a: <redacted>"), "{text}");
    assert!(
        text.contains(r#" 6 │ {"x": "<redacted>", "y": "<redacted>"}"#),
        "both values on a line are redacted in each frame:\n{text}"
    );
    assert!(text.contains("help: Seal it with kubeseal."), "{text}");
    assert!(
        text.contains("note: big.yaml: larger than max-file-size; skipped"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "scanned 3 files (2.0 KiB) in 4 ms: 6 findings (1 suppressed): 4 errors, 1 warning, 1 note in 2 files\n"
        ),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour unless asked:\n{text}");
}

#[test]
fn human_shows_only_the_findings_line() {
    let text = rendered(Format::Human);
    assert!(
        !text.contains("kind: Secret"),
        "no neighbouring lines:\n{text}"
    );
}

#[test]
fn human_without_source_has_the_same_layout_with_an_empty_frame() {
    let text = render_with(Format::Human, &sample_findings(), &|_| None);
    let code_line = |l: &str| l.trim_start().starts_with(|c: char| c.is_ascii_digit());
    assert!(
        !text.contains("<redacted>") && !text.lines().any(code_line),
        "{text}"
    );
    let framed = rendered(Format::Human);
    for (layout, expected) in [(&text, 6), (&framed, 6)] {
        let headers = layout.lines().filter(|l| l.contains("╭─[")).count();
        assert_eq!(
            headers, expected,
            "every finding has a frame header:\n{layout}"
        );
    }
    assert!(
        text.contains("error[k8s-secret-string-data]\n\n  × data.k\n   ╭─[b.yaml:3:6]\n   ╰────\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "warning[generic-secret-yaml]\n\n  ⚠ 50% done: a, b\n  │ next\n   ╭─[dir/a.yaml:5:6]"
        ),
        "{text}"
    );
    assert!(text.contains("help: Seal it with kubeseal."), "{text}");
}

#[test]
fn a_place_without_a_value_is_framed_at_its_column() {
    // A graph check's finding: a line and column, no value span.
    let source = "kind: ConfigMap\nmetadata:\n  name: db # é\n";
    let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "moved");
    (f.line, f.column, f.span) = (3, 9, 0..0);
    let text = human_for(f.clone(), source);
    assert!(text.contains("[b.yaml:3:9]"), "{text}");
    assert!(text.contains(" 3 │   name: db # é\n"), "{text}");
    assert!(
        text.contains("·         ─┬"),
        "the label is under `db`:\n{text}"
    );
    // The line's values are redacted all the same.
    let with_value = "kind: Secret\nstringData:\n  password: TOPSECRET-8\n";
    (f.line, f.column) = (3, 13);
    let text = human_for(f.clone(), with_value);
    assert_no_secret(&text);
    assert!(text.contains(" 3 │   password: <redacted>"), "{text}");
    // Line 0: a finding about the whole file.
    (f.line, f.column) = (0, 0);
    let text = human_for(f, with_value);
    assert!(text.contains("╭─[b.yaml]\n"), "{text}");
}

#[test]
fn history_findings_name_their_commit_in_every_format() {
    let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "data.k");
    f.commit = Some(Box::new(crate::finding::CommitInfo {
        id: "0123456789abcdef0123456789abcdef01234567".into(),
        time: 1_714_567_890, // 2024-05-01T12:51:30Z
        at_head: Some(false),
    }));
    let source = |_: &Finding| Some(B.as_bytes().to_vec());
    let human = render_with(Format::Human, std::slice::from_ref(&f), &source);
    assert!(
        human.contains("error[k8s-secret-string-data] (commit 0123456789, 2024-05-01)\n"),
        "{human}"
    );
    let github = render_with(Format::Github, std::slice::from_ref(&f), &source);
    assert!(
        github.contains(",title=k8s-secret-string-data (commit 0123456789%2C 2024-05-01)::data.k"),
        "{github}"
    );
    let provenance = Provenance {
        repository_uri: Some("https://example.com/org/repo.git".into()),
        revision_id: "fedcba9876543210fedcba9876543210fedcba98".into(),
    };
    let summary = summary(1);
    let rules = rules();
    let report = Report {
        findings: std::slice::from_ref(&f),
        summary: &summary,
        rules: &rules,
        tool_version: "0.1.0",
        provenance: Some(&provenance),
        values: None,
    };
    let mut out = Vec::new();
    render(Format::Sarif, &report, &source, false, &mut out).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let result = &v["runs"][0]["results"][0];
    assert_eq!(
        result["message"]["text"],
        "data.k (commit 0123456789, 2024-05-01)"
    );
    assert_eq!(
        result["properties"],
        serde_json::json!({
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "commitTime": "2024-05-01T12:51:30Z",
            "atHead": false,
        })
    );
    assert_eq!(
        v["runs"][0]["versionControlProvenance"],
        serde_json::json!([{
            "repositoryUri": "https://example.com/org/repo.git",
            "revisionId": "fedcba9876543210fedcba9876543210fedcba98",
        }])
    );
    let unknown = Provenance {
        repository_uri: None,
        ..provenance.clone()
    };
    let report = Report {
        provenance: Some(&unknown),
        values: None,
        ..report
    };
    let mut out = Vec::new();
    render(Format::Sarif, &report, &source, false, &mut out).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert!(
        v["runs"][0].get("versionControlProvenance").is_none(),
        "the schema requires repositoryUri: {v}"
    );
    // A finding without a commit has no properties.
    let plain = render_with(Format::Sarif, &sample_findings(), &source);
    assert!(
        !plain.contains("\"properties\": {\n          \"commit"),
        "{plain}"
    );
}

#[test]
fn dates_are_civil_utc() {
    assert_eq!(date(0), "1970-01-01");
    assert_eq!(date(951_782_400), "2000-02-29");
    assert_eq!(timestamp(1_714_567_890), "2024-05-01T12:51:30Z");
    assert_eq!(date(-86_400), "1969-12-31");
}

fn human_for(finding: Finding, source: &str) -> String {
    let bytes = source.as_bytes().to_vec();
    render_with(Format::Human, &[finding], &move |_| Some(bytes.clone()))
}

#[test]
fn a_span_past_the_end_of_the_file_does_not_panic() {
    let mut f = finding("dir/a.yaml", "TOPSECRET-1", Severity::Error, "m");
    f.span = 10_000..10_010;
    let text = human_for(f, "short");
    assert!(
        text.contains("error[k8s-secret-string-data]\n\n  × m\n   ╭─[dir/a.yaml:4:6]\n   ╰────"),
        "{text}"
    );
}

#[test]
fn a_changed_file_gets_no_frame() {
    // The value moved down a line since the scan: the old span now covers other bytes.
    let f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "m");
    let text = human_for(f, "kind: Secret\n\ndata:\n  k: TOPSECRET-6\n");
    assert_no_secret(&text);
    assert!(
        text.contains("  × m\n   ╭─[b.yaml:3:6]\n   ╰────"),
        "{text}"
    );
}

#[test]
fn odd_places_do_not_panic() {
    let reversed = std::ops::Range { start: 5, end: 2 };
    for (line, column, span) in [(0, 0, 0..4), (1, 1, reversed), (1, 1, 0..0), (99, 1, 0..4)] {
        let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "m");
        (f.line, f.column, f.span) = (line, column, span);
        for format in FORMATS {
            let source = |_: &Finding| Some(B.as_bytes().to_vec());
            render_with(format, std::slice::from_ref(&f), &source);
        }
    }
}

#[test]
fn overlapping_spans_are_redacted_whole() {
    let source = "token: TOPSECRET-AAAA-TOPSECRET-BBBB tail\n";
    let mut outer = finding("b.yaml", "TOPSECRET-6", Severity::Error, "outer");
    (outer.line, outer.column, outer.span) = (1, 8, 7..25);
    let mut inner = outer.clone();
    (inner.column, inner.span) = (15, 14..36);
    let bytes = source.as_bytes().to_vec();
    let text = render_with(Format::Human, &[outer, inner], &move |_| {
        Some(bytes.clone())
    });
    assert_no_secret(&text);
    assert!(text.contains("token: <redacted> tail"), "{text}");
    assert!(text.contains("[b.yaml:1:15]"), "{text}");
}

#[test]
fn a_value_over_lines_shows_neither_the_value_nor_the_next_line() {
    let source = "key: |\n  TOPSECRET-L1\n  TOPSECRET-L2\nnext: TOPSECRET-NOT-REPORTED\n";
    let start = source.find("TOPSECRET-L1").unwrap();
    let end = source.find("next").unwrap(); // the span ends with the block's newline
    let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "block");
    (f.line, f.column, f.span) = (2, 3, start..end);
    let text = human_for(f, source);
    assert_no_secret(&text);
    assert!(text.contains(" 2 │   <redacted>\n"), "{text}");
}

#[test]
fn a_long_line_is_cut_around_the_value() {
    let filler = "x".repeat(5_000);
    let source = format!("{{\"a\": \"{filler}\", \"s\": \"TOPSECRET-M\", \"b\": \"{filler}\"}}");
    let start = source.find("TOPSECRET-M").unwrap();
    let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, "minified");
    (f.line, f.column, f.span) = (1, start + 1, start..start + "TOPSECRET-M".len());
    let text = human_for(f, &source);
    assert_no_secret(&text);
    assert!(text.len() < 2_000, "{} bytes:\n{text}", text.len());
    assert!(
        text.contains("…") && text.contains("\"s\": \"<redacted>\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("[b.yaml:1:{}]", start + 1)),
        "{text}"
    );
}

#[test]
fn control_characters_from_the_repository_are_neutralised() {
    let mut f = finding(
        "b.yaml",
        "TOPSECRET-6",
        Severity::Error,
        "bad \u{1b}[2J name",
    );
    f.path = "evil\u{1b}]0;x\u{7}.yaml".into();
    let source = "kind: Secret\ndata:\n  k: TOPSECRET-6 \u{1b}[31m\r\n";
    let text = human_for(f.clone(), source);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    let plain = render_with(Format::Human, &[f], &|_| None);
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
}

#[test]
fn human_colour_only_when_asked() {
    let findings = sample_findings();
    let summary = summary(findings.len());
    let rules = rules();
    let report = Report {
        findings: &findings,
        summary: &summary,
        rules: &rules,
        tool_version: "0",
        provenance: None,
        values: None,
    };
    let mut out = Vec::new();
    let source = |f: &Finding| source_of(&f.path).map(|s| s.as_bytes().to_vec());
    render(Format::Human, &report, &source, true, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains('\u{1b}'), "{text}");
    assert_no_secret(&text);
}

#[test]
fn summary_line_counts_and_sizes() {
    let mut s = summary(1);
    s.files_scanned = 1;
    s.suppressed = 0;
    s.bytes_scanned = 999;
    let one = [finding("b.yaml", "TOPSECRET-6", Severity::Error, "m")];
    assert_eq!(
        summary_line(&s, &one),
        "scanned 1 file (999 B) in 4 ms: 1 finding: 1 error, 0 warnings, 0 notes in 1 file"
    );
    s.files_scanned = 13;
    s.findings = 0;
    s.bytes_scanned = 24_700;
    assert_eq!(
        summary_line(&s, &[]),
        "scanned 13 files (24.1 KiB) in 4 ms: 0 findings"
    );
    s.findings = 6;
    s.suppressed = 1;
    assert_eq!(
        summary_line(&s, &sample_findings()),
        "scanned 13 files (24.1 KiB) in 4 ms: 6 findings (1 suppressed): 4 errors, 1 warning, 1 note in 2 files"
    );
    s.bytes_scanned = 547 * 1024 * 1024;
    assert!(summary_line(&s, &[]).contains("(547.0 MiB)"));
}

/// A file with thousands of findings has its frames rendered on several threads: the output
/// is the one a single thread prints, in the same order, and redacted the same.
#[test]
fn many_frames_print_the_same_on_one_thread_and_on_several() {
    let mut source = String::from("kind: Secret\nstringData:\n");
    let mut findings = Vec::new();
    for i in 0..3000 {
        let line = format!("  k{i}: TOPSECRET-{i:05} TOPSECRET-{i:05}\n");
        let start = source.len() + line.find("TOPSECRET").unwrap();
        source.push_str(&line);
        let mut f = finding("b.yaml", "TOPSECRET-6", Severity::Error, &format!("m{i}"));
        let (line, column) = line_col(source.as_bytes(), start);
        (f.line, f.column, f.span) = (line, column, start..start + 15);
        findings.push(f);
    }
    let bytes = source.into_bytes();
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| render_with(Format::Human, &findings, &|_| Some(bytes.clone())))
    };
    let serial = on(1);
    assert_no_secret(&serial);
    assert!(serial.contains("k2999: <redacted>"), "the last frame");
    assert_eq!(on(3), serial);
}
