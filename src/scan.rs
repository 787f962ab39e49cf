//! `sealant scan` without the printing: walk a source, detect, apply suppressions.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::baseline::Baseline;
use crate::config::Config;
use crate::detect::{detect_input, scan_file, GeneratorInput, GENERATOR_FILE};
use crate::finding::{line_col, Finding, Note, Severity};
use crate::rules::RuleSet;
use crate::source::{relative_path, walk_worktree, Visitor, WalkOptions};

/// What to scan and how.
pub struct ScanRequest<'a> {
    pub paths: Vec<PathBuf>,
    pub root: PathBuf,
    pub config: &'a Config,
    pub baseline: Option<&'a Baseline>,
    pub force_exclude: bool,
    pub threads: usize,
}

/// Everything a reporter needs.
#[derive(Debug, Default)]
pub struct ScanOutput {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Findings dropped by inline comments, the allowlist or the baseline.
    pub suppressed: usize,
}

impl ScanOutput {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Scans the working tree under `request.paths`.
pub fn scan_worktree(request: &ScanRequest) -> ScanOutput {
    let rules = RuleSet::builtin();
    let collector = Collector {
        rules,
        salt: &request.config.fingerprint_salt,
        state: Mutex::default(),
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    };
    let options = WalkOptions {
        root: &request.root,
        exclude: &request.config.exclude,
        max_file_size: request.config.max_file_size,
        force_exclude: request.force_exclude,
        threads: request.threads,
    };
    walk_worktree(&request.paths, &options, &collector);
    let (mut output, inputs) = collector.into_output();
    report_generator_inputs(&mut output, &inputs, request, rules);
    apply_suppressions(&mut output, request.config, request.baseline);
    output.findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    output.notes.sort_by(|a, b| a.path.cmp(&b.path));
    output
}

#[derive(Default)]
struct State {
    findings: Vec<Finding>,
    notes: Vec<Note>,
    suppressed: usize,
    /// (kustomization path, input) pairs to read after the walk.
    inputs: Vec<(String, GeneratorInput)>,
}

struct Collector<'a> {
    rules: &'a RuleSet,
    salt: &'a str,
    state: Mutex<State>,
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Visitor for Collector<'_> {
    fn file(&self, path: &str, bytes: &[u8]) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let outcome = scan_file(path, bytes, self.rules, self.salt);
        if outcome.findings.is_empty()
            && outcome.notes.is_empty()
            && outcome.generator_inputs.is_empty()
            && outcome.suppressed == 0
        {
            return;
        }
        let mut state = self.state.lock().expect("no panics while holding the lock");
        state.findings.extend(outcome.findings);
        state.suppressed += outcome.suppressed;
        state
            .notes
            .extend(outcome.notes.into_iter().map(|message| Note {
                path: path.to_string(),
                message,
            }));
        state.inputs.extend(
            outcome
                .generator_inputs
                .into_iter()
                .map(|i| (path.to_string(), i)),
        );
    }

    fn note(&self, path: &str, message: String) {
        let mut state = self.state.lock().expect("no panics while holding the lock");
        state.notes.push(Note {
            path: path.to_string(),
            message,
        });
    }
}

impl Collector<'_> {
    fn into_output(self) -> (ScanOutput, Vec<(String, GeneratorInput)>) {
        let state = self
            .state
            .into_inner()
            .expect("no panics while holding the lock");
        let output = ScanOutput {
            findings: state.findings,
            notes: state.notes,
            files_scanned: self.files.into_inner(),
            bytes_scanned: self.bytes.into_inner(),
            suppressed: state.suppressed,
        };
        (output, state.inputs)
    }
}

/// Reads every file a secretGenerator pulls into a Secret and reports its values there; a
/// finding another rule made at the same place gives way to it.
fn report_generator_inputs(
    output: &mut ScanOutput,
    inputs: &[(String, GeneratorInput)],
    request: &ScanRequest,
    rules: &RuleSet,
) {
    let mut seen = HashSet::new();
    for (kustomization, input) in inputs {
        let dir = request.root.join(kustomization);
        let file = dir.parent().unwrap_or(Path::new(".")).join(&input.path);
        let rel = relative_path(&request.root, &file);
        if !seen.insert((rel.clone(), input.is_env)) {
            continue;
        }
        let bytes = match read_capped(&file, request.config.max_file_size) {
            Ok(bytes) => bytes,
            Err(message) => {
                output.notes.push(Note {
                    path: kustomization.clone(),
                    message: format!(
                        "secretGenerator {:?} reads {}: {message}",
                        input.generator, input.path
                    ),
                });
                continue;
            }
        };
        let mut detections = Vec::new();
        detect_input(input, kustomization, &bytes, &mut detections);
        let places: HashSet<(usize, usize)> = detections
            .iter()
            .map(|d| line_col(&bytes, d.span.start))
            .collect();
        output.findings.retain(|f| {
            f.path != rel || f.rule == GENERATOR_FILE || !places.contains(&(f.line, f.column))
        });
        let outcome = crate::detect::findings_from(
            &rel,
            &bytes,
            detections,
            rules,
            &request.config.fingerprint_salt,
        );
        output.suppressed += outcome.suppressed;
        output.findings.extend(outcome.findings);
    }
}

fn read_capped(file: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(file)
        .map_err(|e| format!("cannot read it ({e})"))?
        .len();
    if len > cap {
        return Err(format!(
            "it is larger than max-file-size ({len} > {cap} bytes); not checked"
        ));
    }
    std::fs::read(file).map_err(|e| format!("cannot read it ({e})"))
}

/// Drops findings the configuration's allowlist or the baseline accepts.
fn apply_suppressions(output: &mut ScanOutput, config: &Config, baseline: Option<&Baseline>) {
    let before = output.findings.len();
    output
        .findings
        .retain(|f| !config.is_allowed(f) && !baseline.is_some_and(|b| b.contains(f)));
    output.suppressed += before - output.findings.len();
}
