use std::io::Write;

use super::{emit, EXIT_OK};
use crate::error::{Error, Result};
use crate::rules::RuleSet;

const LIST_HINT: &str = "`sealant rules` lists every rule id";

pub(super) fn run(id: Option<&str>, stdout: &mut dyn Write) -> Result<u8> {
    let Some(id) = id else {
        return Err(Error::usage(
            "which rule? `sealant explain RULE` explains one",
            Some(LIST_HINT.to_string()),
        ));
    };
    let rules = RuleSet::builtin();
    let Some(rule) = rules.get(id) else {
        return Err(Error::usage(
            format!("unknown rule {id:?}"),
            Some(match near(rules, id).as_slice() {
                [] => LIST_HINT.to_string(),
                near => format!("did you mean {}? {LIST_HINT}", near.join(", ")),
            }),
        ));
    };
    let text = format!(
        "{id}: {description}\n\nseverity: {severity}\ncategory: {category}\n\n{explanation}\n\nTo accept one finding, add `# sealant:ignore {id}` on its line, or an `allow:` entry with its fingerprint in .sealant.yaml.\n",
        id = rule.id,
        description = rule.description,
        severity = rule.severity,
        category = rule.category.as_str(),
        explanation = rule.explanation.trim_end(),
    );
    emit(None, text.as_bytes(), 0o644, stdout)?;
    Ok(EXIT_OK)
}

/// A few rule ids that contain what was typed (a partial or mistyped id).
fn near<'a>(rules: &'a RuleSet, typed: &str) -> Vec<&'a str> {
    let typed = typed.to_ascii_lowercase();
    rules
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !typed.is_empty() && id.contains(typed.as_str()))
        .take(3)
        .collect()
}
