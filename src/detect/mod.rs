//! Detectors: from one file's bytes to findings. The prefilter decides whether anything runs;
//! YAML is split cheaply and only documents with a keyword hit are parsed.

mod config;
mod embedded;
mod identity;
mod kube;
mod kustomize;
mod sops;
mod suppress;
mod text;
mod triage;

use std::ops::Range;

use crate::check::{check_sealed_secret, CheckContext};
use crate::finding::{Detection, Finding, LineIndex};
use crate::fingerprint::{fingerprint, of_identity};
use crate::k8s::{is_kustomization_file, is_manifest_file, REFERENCE_KINDS};
use crate::rules::{Hits, RuleSet};
use crate::yaml::{check_parses, parse_expanded, split_documents, Node};
use text::ManifestText;

pub use config::SECRET_CONFIG;
pub(crate) use identity::report_credentials_inside;
pub use identity::SECRET_IDENTITY;
pub use kube::{detect_secrets, SECRET_DATA, SECRET_INVALID_BASE64, SECRET_STRING_DATA};
pub use kustomize::{
    detect_input, entry_inputs, GeneratorInput, GENERATOR_FILE, GENERATOR_LITERAL,
};
pub(crate) use suppress::Suppressions;
pub use suppress::{has_marker, is_suppressed};

/// What scanning one file gives.
#[derive(Default)]
pub struct FileOutcome {
    pub findings: Vec<Finding>,
    /// Findings dropped by an inline `sealant:ignore`.
    pub suppressed: usize,
    /// Inputs of this kustomization's secretGenerators, relative to its directory.
    pub generator_inputs: Vec<GeneratorInput>,
    /// Things worth telling that are not findings (e.g. a document that is not valid YAML).
    pub notes: Vec<String>,
    /// What this file tells about the kustomize/Flux graph.
    pub facts: Vec<crate::graph::Fact>,
    /// The span of every value detected, suppressed or not (what code frames redact).
    pub values: Vec<Range<usize>>,
}

impl FileOutcome {
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
            && self.notes.is_empty()
            && self.generator_inputs.is_empty()
            && self.suppressed == 0
            && self.facts.is_empty()
    }
}

/// What scanning a file needs besides its bytes.
#[derive(Clone, Copy)]
pub struct FileContext<'a> {
    pub rules: &'a RuleSet,
    pub salt: &'a str,
    pub check: CheckContext<'a>,
}

impl<'a> FileContext<'a> {
    pub fn new(rules: &'a RuleSet, salt: &'a str) -> FileContext<'a> {
        FileContext {
            rules,
            salt,
            check: CheckContext::default(),
        }
    }
}

/// Scans one file. `path` is repository-relative and `/`-separated.
pub fn scan_file(path: &str, bytes: &[u8], ctx: &FileContext) -> FileOutcome {
    let (rules, salt) = (ctx.rules, ctx.salt);
    let hits = rules.prefilter(bytes);
    let mut outcome = FileOutcome::default();
    let file_name = crate::paths::file_name(path);
    // A kustomization matters to the graph even without a keyword in it.
    if hits.is_empty() && !is_kustomization_file(file_name) {
        return outcome;
    }
    let mut detections = Vec::new();
    let mut quiet: Vec<Range<usize>> = Vec::new();
    let text = is_manifest_file(file_name).then(|| ManifestText::new(bytes));
    let mut templates = Templates::new(text.as_ref());
    if let Some(text) = &text {
        scan_documents(
            text,
            path,
            file_name,
            &hits,
            &ctx.check,
            &mut detections,
            &mut quiet,
            &mut templates.docs,
            &mut outcome,
        );
    }
    if hits.has_extra("Secret") && embedded::may_hold(file_name) {
        let found = embedded::detect(bytes, file_name, &detections);
        detections.extend(found);
    }
    let found = rule_matches(
        bytes,
        file_name,
        rules,
        &hits,
        &detections,
        &quiet,
        templates,
    );
    detections.extend(found);
    // Held no longer than needed: 50k documents' keyword hits and ranges are megabytes.
    drop((hits, quiet));
    describe_decoded(&mut detections, rules);
    report_credentials_inside(&mut detections, rules);
    outcome.values = detections.iter().map(|d| d.span.clone()).collect();
    let found = findings_from(path, bytes, detections, rules, salt);
    outcome.findings = found.findings;
    outcome.suppressed = found.suppressed;
    outcome
}

/// What the rules match outside quiet ranges and detected values. Its own function, so that
/// the ranges it builds are gone before the findings are made.
fn rule_matches(
    bytes: &[u8],
    file_name: &str,
    rules: &RuleSet,
    hits: &Hits,
    detections: &[Detection],
    quiet: &[Range<usize>],
    mut templates: Templates,
) -> Vec<Detection> {
    let covered = Ranges::new(detections.iter().map(|d| d.span.clone()).collect());
    let quiet_ranges = Ranges::new(quiet.to_vec());
    let mut found = Vec::new();
    for m in rules.find_outside(file_name, bytes, hits, quiet) {
        if quiet_ranges.contains(&m.span) || covered.overlaps(&m.span) || templates.quiet(&m.span) {
            continue;
        }
        let value = bytes[m.span.clone()].to_vec();
        found.push(Detection::new(
            &m.rule.id,
            m.span.clone(),
            m.rule.description.clone(),
            value,
        ));
    }
    found
}

/// Documents that no tree-based check reads: quiet if they hold `{{` and do not parse (a Helm
/// template). Both are asked only when a line rule matches in one, which few (mostly chart
/// values files) have.
struct Templates<'a> {
    text: Option<&'a ManifestText<'a>>,
    /// In document order (disjoint).
    docs: Vec<Range<usize>>,
    parses: Vec<Option<bool>>,
}

impl<'a> Templates<'a> {
    fn new(text: Option<&'a ManifestText<'a>>) -> Templates<'a> {
        Templates {
            text,
            docs: Vec::new(),
            parses: Vec::new(),
        }
    }

    /// Whether `span` lies in one of the documents, and that one does not parse.
    fn quiet(&mut self, span: &Range<usize>) -> bool {
        let Some(i) = self
            .docs
            .partition_point(|d| d.start <= span.start)
            .checked_sub(1)
        else {
            return false;
        };
        if span.end > self.docs[i].end {
            return false;
        }
        let Some(text) = self.text else {
            return false;
        };
        self.parses.resize(self.docs.len(), None);
        let doc = self.docs[i].clone();
        !*self.parses[i].get_or_insert_with(|| {
            !is_template(&text.read()[doc.clone()]) || check_parses(text.parsed(), doc).is_ok()
        })
    }
}

/// Whether a document is a Helm template: not YAML until rendered, so one that does not parse
/// is quiet (its values are placeholders).
fn is_template(doc: &str) -> bool {
    doc.contains("{{")
}

/// Byte ranges sorted by start, with the furthest end reached so far: whether a span lies in
/// or overlaps any of them is a binary search, not a walk over all of them.
struct Ranges {
    starts: Vec<usize>,
    furthest_end: Vec<usize>,
}

impl Ranges {
    fn new(mut ranges: Vec<Range<usize>>) -> Ranges {
        ranges.sort_unstable_by_key(|r| r.start);
        let starts = ranges.iter().map(|r| r.start).collect();
        let furthest_end = ranges
            .iter()
            .scan(0, |end, r| {
                *end = r.end.max(*end);
                Some(*end)
            })
            .collect();
        Ranges {
            starts,
            furthest_end,
        }
    }

    /// The furthest end among the ranges that start before `bound` (exclusive).
    fn furthest_end_before(&self, bound: usize) -> Option<usize> {
        let n = self.starts.partition_point(|&s| s < bound);
        n.checked_sub(1).map(|i| self.furthest_end[i])
    }

    /// Whether one range holds all of `span`.
    fn contains(&self, span: &Range<usize>) -> bool {
        self.furthest_end_before(span.start + 1)
            .is_some_and(|end| span.end <= end)
    }

    /// Whether one range shares a byte with `span`.
    fn overlaps(&self, span: &Range<usize>) -> bool {
        self.furthest_end_before(span.end)
            .is_some_and(|end| span.start < end)
    }
}

#[allow(clippy::too_many_arguments)]
fn scan_documents(
    text: &ManifestText,
    path: &str,
    file_name: &str,
    hits: &Hits,
    check: &CheckContext,
    detections: &mut Vec<Detection>,
    quiet: &mut Vec<Range<usize>>,
    templates: &mut Vec<Range<usize>>,
    outcome: &mut FileOutcome,
) {
    let docs = if file_name.to_ascii_lowercase().ends_with(".json") {
        vec![crate::yaml::DocSpan {
            range: 0..text.read().len(),
            first_line: 1,
        }]
    } else {
        split_documents(text.read().as_bytes())
    };
    let kustomization = is_kustomization_file(file_name);
    let wanted: Vec<&crate::yaml::DocSpan> = docs
        .iter()
        .filter(|doc| kustomization || hits.any_within(doc.range.clone()))
        .collect();
    let file = DocFile {
        text,
        path,
        file_name,
        check,
        kustomization,
    };
    // A file of thousands of documents (a `helm template` dump) would otherwise keep one
    // thread busy while the others wait: its documents are independent, so share them out.
    // Results are merged in document order, so the findings do not depend on threads; a batch
    // at a time, so that 50k documents' outcomes are not all held at once.
    let parallel = wanted.len() >= PARALLEL_DOCS && rayon::current_num_threads() > 1;
    for batch in wanted.chunks(DOCS_PER_BATCH) {
        let results: Vec<DocOutcome> = if parallel {
            use rayon::prelude::*;
            batch
                .par_iter()
                .with_min_len(PARALLEL_DOCS / 4)
                .map(|doc| file.scan(doc))
                .collect()
        } else {
            batch.iter().map(|doc| file.scan(doc)).collect()
        };
        for r in results {
            detections.extend(r.detections);
            quiet.extend(r.quiet);
            templates.extend(r.template);
            outcome.facts.extend(r.facts);
            outcome.generator_inputs.extend(r.generator_inputs);
            outcome.notes.extend(r.note);
        }
    }
}

/// Documents whose outcomes are held at once before they are merged.
const DOCS_PER_BATCH: usize = 16 * PARALLEL_DOCS;

/// Documents in one file from which parsing is shared among threads.
const PARALLEL_DOCS: usize = 256;

/// What one YAML document gives.
#[derive(Default)]
struct DocOutcome {
    detections: Vec<Detection>,
    quiet: Vec<Range<usize>>,
    facts: Vec<crate::graph::Fact>,
    generator_inputs: Vec<GeneratorInput>,
    note: Option<String>,
    /// Its range, when it is quiet only if it does not parse (see [`Templates`]).
    template: Option<Range<usize>>,
}

/// The file a document belongs to, and what judging a document needs of it.
struct DocFile<'a> {
    text: &'a ManifestText<'a>,
    path: &'a str,
    file_name: &'a str,
    check: &'a CheckContext<'a>,
    /// Whether the file is a kustomization (by name), decided once for all its documents.
    kustomization: bool,
}

impl DocFile<'_> {
    /// Locates offsets in `doc`, counting lines from its start.
    fn lines(&self, doc: &crate::yaml::DocSpan) -> LineIndex<'_> {
        let (start, len) = (doc.range.start, doc.range.len());
        LineIndex::from_point(self.text.read().as_bytes(), start, doc.first_line - 1, len)
    }

    fn scan(&self, doc: &crate::yaml::DocSpan) -> DocOutcome {
        let start = doc.range.start;
        let read = self.text.read();
        let at_line_start = start == 0 || read.as_bytes()[start - 1] == b'\n';
        if self.kustomization {
            return self.scan_tree(doc);
        }
        match triage::need(&read[doc.range.clone()], at_line_start) {
            triage::Need::Tree => self.scan_tree(doc),
            triage::Need::Lines => DocOutcome {
                template: Some(doc.range.clone()),
                ..DocOutcome::default()
            },
        }
    }

    /// Judges a document from its tree.
    fn scan_tree(&self, doc: &crate::yaml::DocSpan) -> DocOutcome {
        let (text, file_name) = (self.text.parsed(), self.file_name);
        let lines = self.lines(doc);
        let at = |offset| lines.line_col(offset);
        let mut out = DocOutcome::default();
        match parse_expanded(text, doc.range.clone()) {
            Ok(Some(root)) => {
                // A List's items are manifests of their own.
                let objects = match root.str_at(&["kind"]) {
                    Some("List") => root.get("items").map(Node::items).unwrap_or_default(),
                    _ => std::slice::from_ref(&root),
                };
                for object in objects {
                    let first_fact = out.facts.len();
                    crate::graph::facts_of(object, self.path, file_name, &at, &mut out.facts);
                    if object.str_at(&["kind"]) == Some("SealedSecret") {
                        let deferred = check_sealed_secret(object, self.check, &mut out.detections);
                        attach_values(&mut out.facts[first_fact..], deferred, &at);
                    }
                    if is_quiet(object) {
                        out.quiet.push(object.span.clone());
                    }
                }
                if is_quiet(&root) {
                    sops::clear_in_document(&root, text, doc.range.clone(), &mut out.detections);
                    out.quiet.push(doc.range.clone());
                    return out;
                }
                kube::detect_secrets(&root, &mut out.detections);
                if self.kustomization || root.str_at(&["kind"]) == Some("Kustomization") {
                    out.generator_inputs =
                        kustomize::detect_generators(&root, text, &mut out.detections);
                }
            }
            Ok(None) => {}
            Err(e) => return self.not_parsed(doc, e),
        }
        out
    }

    /// A document that does not parse: quiet if a Helm template, else noted.
    fn not_parsed(&self, doc: &crate::yaml::DocSpan, e: crate::yaml::ParseError) -> DocOutcome {
        let mut out = DocOutcome::default();
        if is_template(&self.text.read()[doc.range.clone()]) {
            out.quiet.push(doc.range.clone());
        } else {
            let (line, column) = self.lines(doc).line_col(e.offset);
            out.note = Some(format!(
                "{line}:{column}: not valid YAML ({}); scanned as plain text",
                e.message
            ));
        }
        out
    }
}

/// Gives the SealedSecret's fact the values to decrypt once the graph is known.
fn attach_values(
    facts: &mut [crate::graph::Fact],
    deferred: Vec<crate::check::DeferredValue>,
    at: &impl Fn(usize) -> (usize, usize),
) {
    if let Some(crate::graph::Fact::Sealed { values, .. }) = facts.first_mut() {
        values.extend(deferred.into_iter().map(|(key, offset, ciphertext)| {
            let (line, column) = at(offset);
            crate::graph::SealedValue {
                key,
                line,
                column,
                ciphertext,
            }
        }));
    }
}

/// Documents that never hold a secret: references, sealed or SOPS-encrypted content.
fn is_quiet(root: &Node) -> bool {
    root.get("sops").is_some()
        || root
            .str_at(&["kind"])
            .is_some_and(|k| REFERENCE_KINDS.contains(&k))
}

/// Runs the rules on decoded Secret data, so that the finding says what the value is.
fn describe_decoded(detections: &mut [Detection], rules: &RuleSet) {
    for d in detections.iter_mut().filter(|d| d.rule == SECRET_DATA) {
        let hits = rules.prefilter(&d.value);
        if let Some(m) = rules.find("", &d.value, &hits).first() {
            d.message
                .push_str(&format!("; decoded, it is a {}", m.rule.description));
        }
    }
}

/// Turns detections into findings: location, severity, fingerprint, inline suppressions.
pub fn findings_from(
    path: &str,
    bytes: &[u8],
    mut detections: Vec<Detection>,
    rules: &RuleSet,
    salt: &str,
) -> FileOutcome {
    if detections.is_empty() {
        return FileOutcome::default();
    }
    let (lines, suppressions) = (LineIndex::new(bytes), Suppressions::new(bytes));
    let total = detections.len();
    // Located in order, one pass (the index keeps a cursor); the suppressed are dropped in
    // place, so that no second list of 100k detections is held beside the findings.
    let mut places = Vec::with_capacity(detections.len());
    detections.retain(|d| {
        let (line, column) = lines.line_col(d.span.start);
        let kept = !suppressions.covers(line, &d.rule);
        if kept {
            places.push((line, column));
        }
        kept
    });
    // One string for the path of every finding of the file.
    let shared_path = crate::finding::Shared::from(path);
    let finding = |(d, (line, column)): (Detection, (usize, usize))| {
        let rule = rules.meta(&d.rule);
        let fingerprint = match &d.identity {
            Some(identity) => of_identity(salt, &d.rule, path, identity),
            None => fingerprint(salt, &d.rule, &d.value),
        };
        Finding {
            severity: d.severity.unwrap_or(rule.severity),
            category: rule.category,
            fingerprint,
            rule: d.rule,
            path: shared_path.clone(),
            line,
            column,
            span: d.span,
            message: d.message,
            commit: None,
        }
    };
    // A file with 100k findings would keep one thread hashing while the others wait. Zipped
    // lists of known length: rayon writes each finding in its place, with no list of parts.
    let findings: Vec<Finding> =
        if detections.len() >= PARALLEL_FINDINGS && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            detections
                .into_par_iter()
                .zip(places)
                .with_min_len(PARALLEL_FINDINGS / 4)
                .map(finding)
                .collect()
        } else {
            detections.into_iter().zip(places).map(finding).collect()
        };
    FileOutcome {
        suppressed: total - findings.len(),
        findings,
        ..FileOutcome::default()
    }
}

/// Findings in one file from which making them is shared among threads.
const PARALLEL_FINDINGS: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_found(file_name: &str, text: &str) -> Vec<String> {
        let outcome = scan_file(
            file_name,
            text.as_bytes(),
            &FileContext::new(RuleSet::builtin(), "salt"),
        );
        outcome
            .findings
            .into_iter()
            .map(|f| f.rule.into())
            .collect()
    }

    /// The detector rules' examples in `rules/kubernetes.yaml` run through the real detector
    /// (those of the SealedSecret checks need certs, keys or the graph: tests/it/rule_examples.rs).
    #[test]
    fn detector_rule_examples() {
        for rule in RuleSet::builtin()
            .rules()
            .iter()
            .filter(|r| r.pattern.is_none() && r.category == crate::finding::Category::Leak)
        {
            let name = rule.example_file.as_deref().unwrap_or("example.yaml");
            for example in &rule.examples {
                assert!(
                    rules_found(name, example).contains(&rule.id),
                    "{}: example not found:\n{example}",
                    rule.id
                );
            }
            for negative in &rule.negative_examples {
                let found = rules_found(name, negative);
                assert!(
                    found.is_empty(),
                    "{}: negative example gave {found:?}:\n{negative}",
                    rule.id
                );
            }
        }
    }

    /// A structural finding's fingerprint is its rule, path and identity: rewording the
    /// message keeps it, another object or file changes it.
    #[test]
    fn structural_fingerprints_ignore_the_message() {
        let fingerprint = |path: &str, message: &str, identity: &str| {
            let d = Detection::about("sealed-empty-data", 0..1, message.into(), identity.into());
            let outcome = findings_from(path, b"x", vec![d], RuleSet::builtin(), "salt");
            outcome.findings[0].fingerprint.clone()
        };
        let id = "SealedSecret prod/db spec.encryptedData";
        let a = fingerprint("a.yaml", "empty", id);
        assert_eq!(a, fingerprint("a.yaml", "reworded: nothing in it", id));
        assert_ne!(a, fingerprint("b.yaml", "empty", id));
        assert_ne!(
            a,
            fingerprint(
                "a.yaml",
                "empty",
                "SealedSecret prod/web spec.encryptedData"
            )
        );
    }

    #[test]
    fn rule_matches_inside_a_secret_value_are_not_reported_twice() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData:\n  password: Zq8r2Lm5Nv9Wt1Xy\n";
        assert_eq!(rules_found("s.yaml", text), ["k8s-secret-string-data"]);
    }

    #[test]
    fn decoded_data_says_what_it_is() {
        let token = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua",
        );
        let text = format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\ndata:\n  token: {token}\n"
        );
        let outcome = scan_file(
            "s.yaml",
            text.as_bytes(),
            &FileContext::new(RuleSet::builtin(), "salt"),
        );
        assert!(
            outcome.findings[0].message.contains("GitHub token"),
            "{}",
            outcome.findings[0].message
        );
    }

    #[test]
    fn credentials_in_sealed_or_sops_documents_are_quiet() {
        let text = "apiVersion: v1\nkind: Secret\nstringData:\n  password: Zq8r2Lm5Nv9Wt1Xy\nsops:\n  version: 3.8.1\n";
        assert!(rules_found("s.yaml", text).is_empty());
    }
}
