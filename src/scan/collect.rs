//! The [`Visitor`] that detects in each file a source hands out and gathers the outcomes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::{Mode, ScanOutput, ScanRequest};
use crate::check::CheckContext;
use crate::config::Config;
use crate::crypto::PrivateKey;
use crate::detect::{scan_file, FileContext, FileOutcome, GeneratorInput};
use crate::finding::{Finding, Note, ValueSpans};
use crate::rules::RuleSet;
use crate::source::git::Origin;
use crate::source::Visitor;

#[derive(Default)]
pub(super) struct State {
    findings: Vec<Finding>,
    notes: Vec<Note>,
    suppressed: usize,
    values: crate::finding::Values,
    /// (kustomization path, input, origin) to read after the walk.
    inputs: Vec<(String, GeneratorInput, Option<Origin>)>,
    graph: GraphInput,
}

/// What the walk gathers for the kustomize/Flux graph.
#[derive(Default)]
pub(super) struct GraphInput {
    pub(super) facts: Vec<crate::graph::Fact>,
    /// Every manifest file seen: Flux builds every manifest under its path.
    pub(super) manifests: Manifests,
    /// The files with facts that hold a `sealant:ignore` marker. Graph findings are at facts'
    /// files; only these need reading again to see whether a comment suppresses them.
    pub(super) marked: HashSet<String>,
}

/// Every manifest file's path, each ended by a NUL (which no path holds), in one String: a
/// String each cost an allocation and ~40 bytes more per file, over 100k files in big trees.
#[derive(Default)]
pub(super) struct Manifests(String);

impl Manifests {
    fn push(&mut self, path: &str) {
        self.0.push_str(path);
        self.0.push('\0');
    }

    pub(super) fn paths(&self) -> Vec<&str> {
        self.0.split_terminator('\0').collect()
    }
}

impl State {
    pub(super) fn add(&mut self, path: &str, outcome: FileOutcome, origin: Option<&Origin>) {
        // The first file's findings are taken as they are: copying 100k of them held two lists.
        if self.findings.is_empty() {
            self.findings = outcome.findings;
        } else {
            self.findings.extend(outcome.findings);
        }
        self.suppressed += outcome.suppressed;
        self.notes
            .extend(outcome.notes.into_iter().map(|message| Note {
                path: path.to_string(),
                message,
            }));
        self.inputs.extend(
            outcome
                .generator_inputs
                .into_iter()
                .map(|i| (path.to_string(), i, origin.cloned())),
        );
        // Taken as they are too: 50k documents' facts are megabytes.
        if self.graph.facts.is_empty() {
            self.graph.facts = outcome.facts;
        } else {
            self.graph.facts.extend(outcome.facts);
        }
    }
}

pub(super) struct Collector<'a> {
    rules: &'a RuleSet,
    salt: &'a str,
    config: &'a Config,
    keys: Option<&'a [PrivateKey]>,
    /// Worktree scans decrypt once the graph tells the label a deployment applies.
    pub(super) defer_decrypt: bool,
    /// Keep each file's value spans for the report's code frames: in a working-tree scan a
    /// path names one content (in history it names one per commit).
    keep_spans: bool,
    unpinned_noted: std::sync::atomic::AtomicBool,
    pub(super) state: Mutex<State>,
    pub(super) files: AtomicU64,
    pub(super) bytes: AtomicU64,
    skipped: AtomicU64,
}

impl Visitor for Collector<'_> {
    fn file(&self, path: &str, bytes: &[u8]) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let mut outcome = scan_file(path, bytes, &self.context(path, bytes));
        let values = (self.keep_spans && !outcome.findings.is_empty())
            .then(|| ValueSpans::new(bytes, std::mem::take(&mut outcome.values)));
        // Manifest paths feed the graph: Flux builds every manifest under its path.
        let manifest = [".yaml", ".yml", ".json"].iter().any(|e| path.ends_with(e));
        let marked = !outcome.facts.is_empty() && crate::detect::has_marker(bytes);
        if !outcome.is_empty() || manifest {
            let mut state = self.state.lock().expect("no panics while holding the lock");
            if manifest {
                state.graph.manifests.push(path);
            }
            if marked {
                state.graph.marked.insert(path.to_string());
            }
            if let Some(values) = values {
                state.values.insert(path.to_string(), values);
            }
            state.add(path, outcome, None);
        }
    }

    fn note(&self, path: &str, message: String) {
        self.state
            .lock()
            .expect("no panics while holding the lock")
            .notes
            .push(Note {
                path: path.to_string(),
                message,
            });
    }

    fn skipped(&self, path: &str, message: String) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        self.note(path, message);
    }
}

impl<'a> Collector<'a> {
    pub(super) fn new(request: &'a ScanRequest) -> Collector<'a> {
        Collector {
            rules: RuleSet::builtin(),
            salt: &request.config.fingerprint_salt,
            config: request.config,
            keys: request.keys,
            defer_decrypt: matches!(request.mode, Mode::Worktree),
            keep_spans: request.frames && matches!(request.mode, Mode::Worktree),
            unpinned_noted: Default::default(),
            state: Mutex::default(),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// The cert pinned for the file's path; notes once when certs are pinned but a file with a
    /// SealedSecret matches none of them.
    pub(super) fn context(&self, path: &str, bytes: &[u8]) -> FileContext<'_> {
        let check = CheckContext::for_path(self.config, path, self.keys, self.defer_decrypt);
        // With roots, the graph knows which certs apply (see `graph::Deployments`).
        if check.cert.is_none()
            && !self.config.has_roots()
            && !self.config.certs.is_empty()
            && memchr::memmem::find(bytes, b"SealedSecret").is_some()
            && !self.unpinned_noted.swap(true, Ordering::Relaxed)
        {
            self.note(path, "no pinned cert matches this path (nor possibly others): its SealedSecrets are checked for shape only".into());
        }
        FileContext {
            rules: self.rules,
            salt: self.salt,
            check,
        }
    }

    pub(super) fn into_output(self) -> (ScanOutput, Vec<(String, GeneratorInput, Option<Origin>)>) {
        let (output, inputs, _) = self.into_parts();
        (output, inputs)
    }

    /// The output, the generator inputs to read, and what the graph needs.
    #[allow(clippy::type_complexity)]
    pub(super) fn into_parts(
        self,
    ) -> (
        ScanOutput,
        Vec<(String, GeneratorInput, Option<Origin>)>,
        GraphInput,
    ) {
        let state = self
            .state
            .into_inner()
            .expect("no panics while holding the lock");
        let output = ScanOutput {
            findings: state.findings,
            notes: state.notes,
            files_scanned: self.files.into_inner(),
            bytes_scanned: self.bytes.into_inner(),
            files_skipped: self.skipped.into_inner(),
            suppressed: state.suppressed,
            values: state.values,
            ..ScanOutput::default()
        };
        (output, state.inputs, state.graph)
    }
}
