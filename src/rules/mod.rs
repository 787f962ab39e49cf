//! The rule pack: rules as data (`rules/*.yaml`, embedded at build time), one aho-corasick
//! prefilter over every keyword, and regexes run only on the lines around keyword hits.

mod entropy;
mod placeholder;
mod prefilter;

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::Regex;
use serde::Deserialize;

use crate::finding::{Category, Severity};

pub use entropy::shannon_entropy;
pub use placeholder::is_placeholder;
pub use prefilter::Hits;

/// Literals the YAML detectors need from the same prefilter pass.
/// `kustomize` finds kustomize and Flux Kustomizations (their apiVersions), for the graph.
pub const DETECTOR_KEYWORDS: &[&str] = &["secretGenerator", "SealedSecret", "Secret", "kustomize"];

const PACK: &[(&str, &str)] = &[
    (
        "rules/kubernetes.yaml",
        include_str!("../../rules/kubernetes.yaml"),
    ),
    (
        "rules/credentials.yaml",
        include_str!("../../rules/credentials.yaml"),
    ),
    ("rules/sealed.yaml", include_str!("../../rules/sealed.yaml")),
];

/// How far past its hit a multi-line rule looks.
const MULTILINE_WINDOW: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    rules: Vec<Rule>,
}

/// One rule: documentation, prefilter keywords, and (for pattern rules) the regex.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub explanation: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    #[serde(default = "default_category")]
    pub category: Category,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub pattern: Option<String>,
    /// Minimum Shannon entropy (bits per byte) of the reported value.
    pub entropy: Option<f64>,
    /// File-name patterns (`*.yaml`, `.env`, `.env.*`) the rule is limited to.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The match may span lines: look up to 16 KiB past the hit instead of one line.
    #[serde(default)]
    pub multiline: bool,
    /// For detector rules: the file name their examples are scanned as.
    pub example_file: Option<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(skip)]
    regex: OnceLock<Regex>,
}

fn default_severity() -> Severity {
    Severity::Error
}

fn default_category() -> Category {
    Category::Leak
}

impl Rule {
    /// Compiled on first use: most rules never run on a given tree.
    fn regex(&self) -> Option<&Regex> {
        let pattern = self.pattern.as_ref()?;
        Some(
            self.regex.get_or_init(|| {
                Regex::new(pattern).expect("rule patterns are checked by the tests")
            }),
        )
    }

    /// Whether the rule runs on a file of this name.
    pub fn applies_to(&self, file_name: &str) -> bool {
        self.paths.is_empty() || self.paths.iter().any(|p| name_matches(p, file_name))
    }
}

/// `*.ext`, `prefix.*` and exact names: all the rule pack needs.
fn name_matches(pattern: &str, name: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(suffix), _) => name.ends_with(suffix),
        (None, Some(prefix)) => name.starts_with(prefix),
        (None, None) => name == pattern,
    }
}

/// A value a rule found: `span` is the secret part's byte range in the text.
#[derive(Debug)]
pub struct RuleMatch<'a> {
    pub rule: &'a Rule,
    pub span: Range<usize>,
}

/// A parsed, prefilter-compiled rule pack.
pub struct RuleSet {
    rules: Vec<Rule>,
    prefilter: prefilter::Prefilter,
}

impl RuleSet {
    /// The built-in pack, parsed once.
    pub fn builtin() -> &'static RuleSet {
        static BUILTIN: OnceLock<RuleSet> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let texts: Vec<&str> = PACK.iter().map(|(_, text)| *text).collect();
            RuleSet::from_yaml(&texts, DETECTOR_KEYWORDS)
                .expect("the built-in rule pack is checked by the tests")
        })
    }

    /// Parses a pack from YAML texts; `extra_keywords` join the prefilter for other detectors.
    pub fn from_yaml(texts: &[&str], extra_keywords: &[&str]) -> Result<RuleSet, String> {
        let mut rules = Vec::new();
        for text in texts {
            let file: PackFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
            rules.extend(file.rules);
        }
        let keyword_lists: Vec<&[String]> = rules.iter().map(|r| r.keywords.as_slice()).collect();
        let prefilter = prefilter::Prefilter::new(&keyword_lists, extra_keywords)?;
        Ok(RuleSet { rules, prefilter })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every keyword the prefilter searches for.
    pub fn keywords(&self) -> &[String] {
        self.prefilter.keywords()
    }

    /// One pass over `text`: which keywords occur, and where.
    pub fn prefilter(&self, text: &[u8]) -> Hits {
        self.prefilter.scan(text)
    }

    /// Runs the rules whose keywords hit on the lines around each hit.
    pub fn find(&self, file_name: &str, text: &[u8], hits: &Hits) -> Vec<RuleMatch<'_>> {
        let mut found: Vec<RuleMatch> = Vec::new();
        let mut done: Vec<(usize, usize)> = Vec::new();
        for (keyword, offset) in hits.iter() {
            for &index in self.prefilter.rules_of(keyword) {
                let rule = &self.rules[index];
                let Some(regex) = rule.regex().filter(|_| rule.applies_to(file_name)) else {
                    continue;
                };
                let window = window(text, offset, rule.multiline);
                if done.contains(&(index, window.start)) {
                    continue;
                }
                done.push((index, window.start));
                collect(rule, regex, text, window, &mut found);
            }
        }
        found.sort_by_key(|m| (m.span.start, m.span.end));
        found.dedup_by(|a, b| a.span == b.span && a.rule.id == b.rule.id);
        found
    }
}

/// The line holding `offset`, or for multi-line rules, from that line on for a bounded stretch.
fn window(text: &[u8], offset: usize, multiline: bool) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &text[..offset]).map_or(0, |i| i + 1);
    let end = if multiline {
        (offset + MULTILINE_WINDOW).min(text.len())
    } else {
        memchr::memchr(b'\n', &text[offset..]).map_or(text.len(), |i| offset + i)
    };
    start..end
}

fn collect<'a>(
    rule: &'a Rule,
    regex: &Regex,
    text: &[u8],
    window: Range<usize>,
    found: &mut Vec<RuleMatch<'a>>,
) {
    for caps in regex.captures_iter(&text[window.clone()]) {
        let Some(secret) = caps
            .name("secret")
            .or_else(|| caps.get(1))
            .or_else(|| caps.get(0))
        else {
            continue;
        };
        let value = secret.as_bytes();
        if is_placeholder(value)
            || rule
                .entropy
                .is_some_and(|floor| shannon_entropy(value) < floor)
            || looks_like_identifier(rule, value)
        {
            continue;
        }
        found.push(RuleMatch {
            rule,
            span: window.start + secret.start()..window.start + secret.end(),
        });
    }
}

/// Generic assignment rules skip lowercase identifiers (`db-credentials`): those name a
/// secret kept elsewhere rather than being one.
fn looks_like_identifier(rule: &Rule, value: &[u8]) -> bool {
    !rule.paths.is_empty()
        && value
            .iter()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests;
