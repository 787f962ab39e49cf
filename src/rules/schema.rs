//! The rule-pack format (`rules/*.yaml`) and the checks every pack must pass.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{MatchKind, PatternID};
use serde::Deserialize;

use crate::finding::{Category, Severity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PackFile {
    pub(super) rules: Vec<Rule>,
}

/// One rule: documentation, prefilter keywords, and (for pattern rules) the regex.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rule {
    /// Stable kebab-case id: suppressions, baselines and `sealant explain` refer to it.
    pub id: String,
    pub description: String,
    /// What it finds, why it matters, how to fix it.
    pub explanation: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    #[serde(default = "default_category")]
    pub category: Category,
    /// Case-sensitive literals for the prefilter; the rule runs only near their hits.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// `regex::bytes` syntax; group `secret` (else group 1, else the whole match) is reported.
    pub pattern: Option<String>,
    /// Minimum Shannon entropy (bits per byte) of the reported value.
    pub entropy: Option<f64>,
    /// File names the rule runs on: `*.ext`, `prefix.*`, exact names; `!` excludes.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The match may span lines: look up to 16 KiB past the hit instead of one line.
    #[serde(default)]
    pub multiline: bool,
    /// A rule keyed on a variable name (`password`, `token`) rather than a value format: a
    /// keyword hit counts only when `:` or `=` follows within a few bytes, and values that
    /// read like names, paths or URLs are skipped.
    #[serde(default)]
    pub generic: bool,
    /// `scan --fix` repairs what the rule finds (seals the Secret, converts the generator).
    #[serde(default)]
    pub fix: bool,
    /// For detector rules: the file name their examples are scanned as.
    pub example_file: Option<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(skip)]
    pub(super) regex: LazyRegex,
}

pub(super) fn default_severity() -> Severity {
    Severity::Error
}

pub(super) fn default_category() -> Category {
    Category::Leak
}

impl Rule {
    /// Compiled on first use: most rules never run on a given tree.
    pub(super) fn regex(&self) -> Option<&Regex> {
        Some(self.regex.get(self.pattern.as_ref()?, self.multiline))
    }

    /// Whether the rule runs on a file of this name (a path's last component is used).
    pub fn applies_to(&self, file_name: &str) -> bool {
        super::matcher::paths_accept(&self.paths, file_name)
    }
}

/// A rule's regex, built on first use. A literal prefilter goes only into multi-line rules'
/// regexes: they search windows of up to 16 KiB for a rare literal (`-----BEGIN`), where it
/// skips nearly all of the window; a single-line rule searches one line, where it saves little
/// and building it was most of the compile (0.7 of 0.8 ms for each generic rule), paid by every
/// run, above all a pre-commit hook's over a few files. A prefilter only skips ahead: both find
/// the same matches.
#[derive(Debug, Default)]
pub(super) struct LazyRegex(OnceLock<Regex>);

impl LazyRegex {
    fn get(&self, pattern: &str, prefilter: bool) -> &Regex {
        self.0.get_or_init(|| {
            compile(pattern, prefilter).expect("built-in rule patterns are checked by the tests")
        })
    }
}

/// `regex::bytes::Regex::new`'s settings, with or without the literal prefilter.
pub(super) fn compile(pattern: &str, prefilter: bool) -> Result<Regex, String> {
    let config = meta::Config::new()
        .nfa_size_limit(Some(10 << 20))
        .hybrid_cache_capacity(2 << 20)
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(false)
        .auto_prefilter(prefilter);
    meta::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().utf8(false))
        .build(pattern)
        // regex's message: it shows where in the pattern the error is.
        .map_err(|e| {
            regex::bytes::Regex::new(pattern)
                .err()
                .map_or(e.to_string(), |e| e.to_string())
        })
}

/// The names of the pattern's groups (`None` for an unnamed one), group 0 first.
pub(super) fn group_names(regex: &Regex) -> impl Iterator<Item = Option<&str>> {
    regex.group_info().pattern_names(PatternID::ZERO)
}

pub(super) fn parse(texts: &[&str]) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (n, text) in texts.iter().enumerate() {
        let file: PackFile = crate::yaml::de::from_str(text).map_err(|e| {
            let at = e
                .line_column(text)
                .map_or(String::new(), |(l, c)| format!(" at {l}:{c}"));
            format!("rule pack #{}{at}: {e}", n + 1)
        })?;
        rules.extend(file.rules);
    }
    Ok(rules)
}

/// What makes a pack unusable (rather than merely slow): checked for every pack.
pub(super) fn check(rules: &[Rule]) -> Result<(), String> {
    let mut ids = HashSet::new();
    for rule in rules {
        let id = &rule.id;
        if !is_kebab_case(id) {
            return Err(format!("rule id {id:?} is not kebab-case"));
        }
        if !ids.insert(id.as_str()) {
            return Err(format!("rule id {id:?} is used twice"));
        }
        if rule.description.trim().is_empty() || rule.explanation.trim().is_empty() {
            return Err(format!("{id}: needs a description and an explanation"));
        }
        if rule.keywords.iter().any(|k| k.is_empty()) {
            return Err(format!("{id}: empty keyword"));
        }
        if rule.pattern.is_some() && rule.keywords.is_empty() {
            return Err(format!("{id}: a pattern rule needs keywords"));
        }
        if rule.pattern.is_none() && (rule.generic || rule.multiline || rule.entropy.is_some()) {
            return Err(format!(
                "{id}: generic, multiline and entropy need a pattern"
            ));
        }
    }
    Ok(())
}

/// Compiles every pattern now (instead of on first hit) and checks what it reports.
pub(super) fn compile_all(rules: &[Rule]) -> Result<(), String> {
    for rule in rules {
        let Some(pattern) = &rule.pattern else {
            continue;
        };
        let regex = compile(pattern, rule.multiline).map_err(|e| format!("{}: {e}", rule.id))?;
        if group_names(&regex).flatten().next().is_some()
            && !group_names(&regex).flatten().any(|n| n == "secret")
        {
            return Err(format!("{}: named groups but none named `secret`", rule.id));
        }
        let _ = rule.regex.0.set(regex);
    }
    Ok(())
}

/// `lower-case-words-1`: no leading, trailing or doubled dashes.
pub(super) fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}
