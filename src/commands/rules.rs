//! `sealant rules`: every rule id with its category and severity, or the prefilter's keywords.

use std::io::Write;

use serde_json::json;

use super::{emit, EXIT_OK};
use crate::cli::ListFormat;
use crate::error::Result;
use crate::rules::{Rule, RuleSet};

pub(super) fn run(format: ListFormat, keywords: bool, stdout: &mut dyn Write) -> Result<u8> {
    let set = RuleSet::builtin();
    let text = match (format, keywords) {
        (ListFormat::Human, false) => table(set.rules()),
        (ListFormat::Json, false) => json(set.rules()),
        (ListFormat::Human, true) => set.keywords().iter().map(|k| format!("{k}\n")).collect(),
        (ListFormat::Json, true) => pretty(&json!(set.keywords())),
    };
    emit(None, text.as_bytes(), 0o644, stdout)?;
    Ok(EXIT_OK)
}

/// One rule a line, in aligned columns under a header.
fn table(rules: &[Rule]) -> String {
    let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0).max(4);
    let category_width = rules
        .iter()
        .map(|r| r.category.as_str().len())
        .max()
        .unwrap_or(0)
        .max("CATEGORY".len());
    let mut out = format!(
        "{:id_width$}  {:category_width$}  SEVERITY\n",
        "RULE", "CATEGORY"
    );
    for rule in rules {
        out.push_str(&format!(
            "{:id_width$}  {:category_width$}  {}\n",
            rule.id,
            rule.category.as_str(),
            rule.severity
        ));
    }
    out
}

fn json(rules: &[Rule]) -> String {
    let list: Vec<_> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "category": r.category.as_str(),
                "severity": r.severity.as_str(),
                "description": r.description,
            })
        })
        .collect();
    pretty(&json!(list))
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    text.push('\n');
    text
}
