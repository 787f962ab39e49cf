//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it: every result has a
//! location, lines and columns start at 1, levels are error, warning or note.

use serde::Serialize;
use serde_json::{json, Value};

use super::{commit_label, timestamp, unwrap_lines, Provenance, Report, RuleDoc};
use crate::finding::{Finding, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/sealant-dev/sealant";

/// The document, with keys in the order SARIF viewers show them.
#[derive(Serialize)]
struct Sarif<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    column_kind: &'static str,
    results: Results<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_control_provenance: Option<[Value; 1]>,
}

/// The results, each made as it is written: a tree of them all took 10 kB per finding.
struct Results<'a> {
    report: &'a Report<'a>,
    used: &'a [&'a str],
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (report, used) = (self.report, self.used);
        serializer.collect_seq(
            report
                .findings
                .iter()
                .map(|f| result(f, used, report.rule(&f.rule))),
        )
    }
}

pub(super) fn render(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let used = rules_used(report);
    let rules: Vec<Value> = used
        .iter()
        .map(|id| descriptor(id, report.rule(id)))
        .collect();
    let run = Run {
        tool: json!({"driver": {
            "name": "sealant",
            "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "informationUri": INFORMATION_URI,
            "rules": rules,
        }}),
        column_kind: "unicodeCodePoints",
        results: Results {
            report,
            used: &used,
        },
        version_control_provenance: report.provenance.and_then(version_control).map(|d| [d]),
    };
    let sarif = Sarif {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [run],
    };
    super::json::write_pretty(out, &sarif)
}

/// The run's `versionControlDetails`; the schema requires `repositoryUri`, so without a known
/// remote URL there is none.
fn version_control(provenance: &Provenance) -> Option<Value> {
    let uri = provenance.repository_uri.as_ref()?;
    Some(json!({"repositoryUri": uri, "revisionId": provenance.revision_id}))
}

/// The rules that occur, in order of first occurrence; results refer to them by index.
fn rules_used<'a>(report: &Report<'a>) -> Vec<&'a str> {
    let mut used: Vec<&str> = Vec::new();
    for f in report.findings {
        if !used.contains(&f.rule.as_str()) {
            used.push(&f.rule);
        }
    }
    used
}

fn result(f: &Finding, used: &[&str], doc: Option<&RuleDoc>) -> Value {
    // GitHub rejects a result without message text.
    let message = if f.message.trim().is_empty() {
        doc.map_or(f.rule.as_str(), |d| d.description.as_str())
    } else {
        f.message.as_str()
    };
    let message = match &f.commit {
        Some(commit) => format!("{message} ({})", commit_label(commit)),
        None => message.to_string(),
    };
    let mut result = json!({
        "ruleId": f.rule,
        "ruleIndex": used.iter().position(|id| *id == f.rule),
        "level": level(f.severity),
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(&f.path), "uriBaseId": "%SRCROOT%"},
                // The schema's minimum is 1; one bad region fails the whole upload.
                "region": {"startLine": f.line.max(1), "startColumn": f.column.max(1)}
            }
        }],
        "partialFingerprints": {"sealant/v1": f.fingerprint},
    });
    if let Some(commit) = &f.commit {
        let mut properties = json!({"commit": commit.id, "commitTime": timestamp(commit.time)});
        if let Some(at_head) = commit.at_head {
            properties["atHead"] = json!(at_head);
        }
        result["properties"] = properties;
    }
    result
}

/// A relative path as an RFC 3986 URI reference, which SARIF requires and GitHub parses:
/// everything but unreserved characters and `/` is percent-encoded, so a space, `#`, `?`, `%`
/// or a `:` in the first segment stays part of the file name.
fn uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

fn descriptor(id: &str, doc: Option<&RuleDoc>) -> Value {
    let description = doc.map_or(id, |d| d.description.as_str());
    let explanation = doc
        .map(|d| unwrap_lines(&d.explanation))
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| description.to_string());
    let severity = doc.map_or(Severity::Error, |d| d.severity);
    let category = doc.map_or("leak", |d| d.category.as_str());
    let help = format!("{explanation}\n\nRun `sealant explain {id}` for more.");
    json!({
        "id": id,
        "name": camel_case(id),
        "shortDescription": {"text": description},
        "fullDescription": {"text": explanation},
        "help": {"text": help, "markdown": help},
        "defaultConfiguration": {"level": level(severity)},
        "properties": {"tags": [category, "security"]},
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `k8s-secret-data` → `K8sSecretData`.
fn camel_case(id: &str) -> String {
    id.split(['-', '_', '.'])
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}
