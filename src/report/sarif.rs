//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it.

use std::io::Write;

use serde_json::{json, Value};

use super::{Report, RuleDoc};
use crate::finding::Severity;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/sealant-dev/sealant";

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    // Only the rules that occur, in order of first occurrence; results refer to them by index.
    let mut used: Vec<&str> = Vec::new();
    for f in report.findings {
        if !used.contains(&f.rule.as_str()) {
            used.push(&f.rule);
        }
    }
    let rules: Vec<Value> = used
        .iter()
        .map(|id| descriptor(id, report.rule(id)))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "ruleIndex": used.iter().position(|id| *id == f.rule).expect("collected above"),
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": f.line, "startColumn": f.column}
                    }
                }],
                "partialFingerprints": {"sealant/v1": f.fingerprint},
            })
        })
        .collect();
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sealant",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

fn descriptor(id: &str, doc: Option<&RuleDoc>) -> Value {
    let description = doc.map_or(id, |d| d.description.as_str());
    let explanation = doc.map_or(description, |d| d.explanation.trim());
    let severity = doc.map_or(Severity::Error, |d| d.severity);
    let category = doc.map_or("leak", |d| d.category.as_str());
    json!({
        "id": id,
        "name": camel_case(id),
        "shortDescription": {"text": description},
        "fullDescription": {"text": explanation},
        "help": {
            "text": format!("{explanation}\n\nRun `sealant explain {id}` for more."),
            "markdown": format!("{explanation}\n\nRun `sealant explain {id}` for more."),
        },
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

fn camel_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}
