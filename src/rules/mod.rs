//! The rule pack: rules as data (`rules/*.yaml`, static data from build.rs), one aho-corasick
//! prefilter over every keyword, and regexes run only in small windows around keyword hits.
//!
//! Speed comes from doing nothing for most files: a file without a keyword hit costs one Teddy
//! pass; with hits, only the rules of the keywords that hit run, each on the hit's line (or a
//! bounded window for multi-line rules), with regexes compiled on first use.

mod anchors;
mod buckets;
mod builtin;
mod byte_frequency;
mod entropy;
mod matcher;
mod placeholder;
mod prefilter;
mod schema;
mod verdict;

use std::ops::Range;
use std::sync::OnceLock;

pub use entropy::shannon_entropy;
pub(crate) use matcher::looks_like_name;
pub use placeholder::is_placeholder;
pub use prefilter::{Hits, TEDDY_LIMIT};
pub use schema::Rule;
pub(crate) use verdict::is_not_a_credential;

/// Literals the YAML detectors need from the same prefilter pass.
/// `kustomize` finds kustomize and Flux Kustomizations (their apiVersions), `argoproj.io`
/// Argo CD Applications, for the graph.
/// The `secret…` ones and Reloader's annotation find workloads' Secret references.
pub const DETECTOR_KEYWORDS: &[&str] = &[
    "Secret",
    "secretGenerator",
    "SealedSecret",
    "kustomize",
    "argoproj.io",
    "secretKeyRef",
    "secretRef",
    "secretName",
    "reloader.stakater.com",
];

/// The built-in pack's YAML: (path, text). The binary holds the static data build.rs makes of
/// it (`builtin`); the tests check both read the same.
#[cfg(test)]
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

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .field("keywords", &self.keywords())
            .finish()
    }
}

impl RuleSet {
    /// The built-in pack, prefilter-compiled once; each regex is compiled on its rule's first
    /// keyword hit (the tests compile them all).
    pub fn builtin() -> &'static RuleSet {
        static BUILTIN: OnceLock<RuleSet> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            RuleSet::new(builtin::rules(), DETECTOR_KEYWORDS)
                .expect("the built-in rule pack is checked by the tests")
        })
    }

    /// Parses and checks a pack, compiling every pattern now so that errors surface here.
    /// `extra_keywords` join the prefilter for other detectors (the scanner's are
    /// [`DETECTOR_KEYWORDS`]).
    pub fn from_yaml(texts: &[&str], extra_keywords: &[&str]) -> Result<RuleSet, String> {
        let set = RuleSet::parse(texts, extra_keywords)?;
        schema::compile_all(&set.rules)?;
        Ok(set)
    }

    fn parse(texts: &[&str], extra_keywords: &[&str]) -> Result<RuleSet, String> {
        RuleSet::new(schema::parse(texts)?, extra_keywords)
    }

    fn new(rules: Vec<Rule>, extra_keywords: &[&str]) -> Result<RuleSet, String> {
        schema::check(&rules)?;
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

    /// The rule of an id the code emits. Every such id is in the pack (a test greps the code
    /// for them), so an unknown one is a bug: it panics in debug builds; a release build
    /// reports it as an error-severity leak rather than dropping it.
    pub fn meta(&self, id: &str) -> &Rule {
        match self.get(id) {
            Some(rule) => rule,
            None => {
                debug_assert!(false, "rule id {id:?} is emitted but not in rules/*.yaml");
                unknown_rule()
            }
        }
    }

    /// Every keyword the prefilter searches for, deduplicated: extra keywords first.
    pub fn keywords(&self) -> &[String] {
        self.prefilter.keywords()
    }

    /// Whether the prefilter runs on Teddy (SIMD), not the slower automaton fallback.
    pub fn uses_teddy(&self) -> bool {
        self.prefilter.uses_teddy()
    }

    /// One pass over `text`: which keywords occur, and where.
    pub fn prefilter(&self, text: &[u8]) -> Hits<'_> {
        self.prefilter.scan(text)
    }

    /// Runs the rules whose keywords hit, and whose `paths` accept `file_name`, on the lines
    /// around the hits. Matches come sorted by offset, one per value (see `matcher::resolve`).
    pub fn find(&self, file_name: &str, text: &[u8], hits: &Hits<'_>) -> Vec<RuleMatch<'_>> {
        self.find_outside(file_name, text, hits, &[])
    }

    /// [`RuleSet::find`] without the matches a caller drops anyway: those of single-line rules
    /// on lines wholly inside one of `quiet` (sorted, disjoint byte ranges; e.g. SealedSecret
    /// documents). Such a match can neither beat nor be beaten by one that is kept (see
    /// `matcher::resolve`), so the rest is the same; their regexes (a SealedSecret's
    /// `password: Ag…` line of 750 bytes) were a tenth of a scan.
    pub fn find_outside(
        &self,
        file_name: &str,
        text: &[u8],
        hits: &Hits<'_>,
        quiet: &[Range<usize>],
    ) -> Vec<RuleMatch<'_>> {
        matcher::find(&self.rules, &self.prefilter, file_name, text, hits, quiet)
    }
}

/// What [`RuleSet::meta`] answers for an id missing from the pack (release builds only).
fn unknown_rule() -> &'static Rule {
    static UNKNOWN: OnceLock<Rule> = OnceLock::new();
    UNKNOWN.get_or_init(|| {
        let pack = "rules:\n  - id: unknown\n    description: unknown rule\n    explanation: unknown rule\n";
        schema::parse(&[pack])
            .expect("a constant pack")
            .pop()
            .expect("one rule")
    })
}

#[cfg(test)]
mod tests;
