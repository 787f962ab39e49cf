//! The built-in pack as static data: build.rs writes one `Entry` per rule of `rules/*.yaml`,
//! so start-up builds the rules without parsing YAML (which was a quarter of a small scan).

use super::schema::{default_category, default_severity, Rule};
use crate::finding::{Category, Severity};

/// One rule as build.rs writes it: the YAML's fields, `None` where the YAML leaves one out.
pub(super) struct Entry {
    id: &'static str,
    description: &'static str,
    explanation: &'static str,
    severity: Option<Severity>,
    category: Option<Category>,
    keywords: &'static [&'static str],
    pattern: Option<&'static str>,
    entropy: Option<f64>,
    paths: &'static [&'static str],
    multiline: bool,
    generic: bool,
    fix: bool,
    example_file: Option<&'static str>,
    examples: &'static [&'static str],
    negative_examples: &'static [&'static str],
}

impl Entry {
    /// What a field the YAML leaves out reads as.
    const EMPTY: Entry = Entry {
        id: "",
        description: "",
        explanation: "",
        severity: None,
        category: None,
        keywords: &[],
        pattern: None,
        entropy: None,
        paths: &[],
        multiline: false,
        generic: false,
        fix: false,
        example_file: None,
        examples: &[],
        negative_examples: &[],
    };

    fn rule(&self) -> Rule {
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        Rule {
            id: self.id.to_string(),
            description: self.description.to_string(),
            explanation: self.explanation.to_string(),
            severity: self.severity.unwrap_or_else(default_severity),
            category: self.category.unwrap_or_else(default_category),
            keywords: strings(self.keywords),
            pattern: self.pattern.map(str::to_string),
            entropy: self.entropy,
            paths: strings(self.paths),
            multiline: self.multiline,
            generic: self.generic,
            fix: self.fix,
            example_file: self.example_file.map(str::to_string),
            examples: strings(self.examples),
            negative_examples: strings(self.negative_examples),
            regex: Default::default(),
        }
    }
}

/// Every rule of `rules/kubernetes.yaml`, `rules/credentials.yaml` and `rules/sealed.yaml`.
const ENTRIES: &[Entry] = include!(concat!(env!("OUT_DIR"), "/builtin_pack.rs"));

/// The built-in rules, in the pack's order.
pub(super) fn rules() -> Vec<Rule> {
    ENTRIES.iter().map(Entry::rule).collect()
}
