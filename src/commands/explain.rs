use std::io::Write;

use super::{emit, EXIT_OK};
use crate::error::{Error, Result};
use crate::rules::RuleSet;

pub fn run(id: &str, stdout: &mut dyn Write) -> Result<u8> {
    let rules = RuleSet::builtin();
    let Some(rule) = rules.get(id) else {
        let known: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
        return Err(Error::usage(
            format!("unknown rule {id:?}"),
            Some(format!("known rules: {}", known.join(", "))),
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
