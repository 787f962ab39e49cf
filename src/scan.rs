//! `sealant scan` without the printing: read a source, detect, apply suppressions.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::baseline::Baseline;
use crate::check::CheckContext;
use crate::config::Config;
use crate::crypto::PrivateKey;
use crate::detect::Suppressions;
use crate::detect::{
    detect_input, findings_from, scan_file, FileContext, FileOutcome, GeneratorInput,
    GENERATOR_FILE,
};
use crate::error::{Error, Result};
use crate::finding::{CommitInfo, Finding, LineIndex, Note, Severity};
use crate::paths::Refusal;
use crate::rules::RuleSet;
use crate::source::git::{read_blob, read_file_at, read_file_staged, GitBlob, GitRepo, Origin};
use crate::source::{relative_path, walk_worktree, Content, Visitor, WalkOptions};

mod git_graph;

/// Which files a scan reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The working tree under the paths.
    Worktree,
    /// The index: what the next commit adds or changes.
    Staged,
    /// What the commits of `A..B` introduced.
    Range(String),
    /// Every blob reachable from these refs (all refs when empty).
    History(Vec<String>),
}

/// Progress of a long scan, for a progress display.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub files: u64,
    pub bytes: u64,
    pub total_files: u64,
    pub commits: u64,
}

/// What to scan and how.
pub struct ScanRequest<'a> {
    pub paths: Vec<PathBuf>,
    pub config: &'a Config,
    pub baseline: Option<&'a Baseline>,
    pub force_exclude: bool,
    pub threads: usize,
    pub mode: Mode,
    /// Private keys for decrypting SealedSecret values, if given.
    pub keys: Option<&'a [PrivateKey]>,
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

/// Everything a reporter needs.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Paths in findings are relative to this directory.
    pub root: PathBuf,
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub commits_scanned: u64,
    /// Files not scanned at all (binary, too large, unreadable); each has a note.
    pub files_skipped: u64,
    /// Findings dropped by inline comments, the allowlist or the baseline.
    pub suppressed: usize,
}

impl ScanOutput {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Runs a scan.
pub fn scan(request: &ScanRequest) -> Result<ScanOutput> {
    let output = match &request.mode {
        Mode::Worktree => scan_worktree(request),
        _ => scan_git(request)?,
    };
    Ok(finish(output, request))
}

/// Suppressions applied, findings and notes in order.
fn finish(mut output: ScanOutput, request: &ScanRequest) -> ScanOutput {
    apply_suppressions(&mut output, request.config, request.baseline);
    output.findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    output.notes.sort_by(|a, b| a.path.cmp(&b.path));
    output
}

/// Scans one stream (standard input) as the file `name` of the repository at `root`:
/// `request.paths` and `request.mode` are not used. The stream is judged on its own: no graph
/// checks, and the files its secretGenerators would read are not read.
pub fn scan_stream(request: &ScanRequest, root: &Path, name: &str, bytes: &[u8]) -> ScanOutput {
    let mut collector = Collector::new(request);
    collector.defer_decrypt = false;
    // The matchers take paths inside the root only.
    let excluded = crate::paths::check(name).is_ok()
        && (request.config.is_excluded(name)
            || sealantignore(root)
                .matched_path_or_any_parents(name, false)
                .is_ignore());
    if excluded {
        let why = "excluded by .sealant.yaml or .sealantignore; not scanned";
        collector.note(name, why.into());
    } else {
        match crate::source::sniff(bytes) {
            Content::Binary(why) => collector.skipped(name, why.to_string()),
            Content::Text(text) => scan_stream_text(&collector, name, &text),
        }
    }
    let (mut output, inputs) = collector.into_output();
    output.root = root.to_path_buf();
    for (kustomization, input, _) in inputs {
        output.notes.push(Note {
            path: kustomization,
            message: format!(
                "secretGenerator {:?} reads {}: not read (standard input is judged on its own)",
                input.generator, input.path
            ),
        });
    }
    finish(output, request)
}

/// A stream's text, scanned as a file of its type (see [`crate::source::stdin::type_name`])
/// and reported under `name`.
fn scan_stream_text(collector: &Collector, name: &str, text: &[u8]) {
    collector.files.fetch_add(1, Ordering::Relaxed);
    collector
        .bytes
        .fetch_add(text.len() as u64, Ordering::Relaxed);
    let type_name = crate::source::stdin::type_name(name);
    let mut outcome = scan_file(type_name, text, &collector.context(name, text));
    for finding in &mut outcome.findings {
        finding.path = name.to_string();
    }
    collector
        .state
        .lock()
        .expect("no panics while holding the lock")
        .add(name, outcome, None);
}

fn first_path(request: &ScanRequest) -> PathBuf {
    request
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

fn scan_worktree(request: &ScanRequest) -> ScanOutput {
    // The walker's threads share a large file's documents through rayon's global pool: size it
    // as asked. Only the first call in a process can set it; a later one keeps that size.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(request.threads)
        .build_global();
    let root = crate::source::repository_root(&first_path(request));
    let collector = Collector::new(request);
    let options = WalkOptions {
        root: &root,
        config: request.config,
        max_file_size: request.config.max_file_size,
        force_exclude: request.force_exclude,
        threads: request.threads,
    };
    walk_worktree(&request.paths, &options, &collector);
    let (mut output, inputs, graph) = collector.into_parts();
    output.root = root.clone();
    let bases: Vec<String> = request
        .paths
        .iter()
        .filter(|p| p.is_dir())
        .map(|p| relative_path(&root, p))
        .filter(|p| p != ".")
        .collect();
    graph_findings(&mut output, &graph, &bases, request);
    let read =
        |path: &str, _: Option<&Origin>| read_input(&root, path, request.config.max_file_size);
    report_generator_inputs(&mut output, &inputs, &read, request.config);
    output
}

/// Where each file of the repository at `root` is deployed: for every build that includes
/// it, the kustomize/Flux transforms applied to it (innermost first). Root-relative paths.
/// The whole repository is read (a named file's kustomizations may be anywhere), and the
/// directories in `scanned` too, which the repository's ignore files may hide from a walk
/// of the root.
pub fn deployment_chains(
    root: &Path,
    scanned: &[PathBuf],
    config: &Config,
    threads: usize,
) -> HashMap<String, Vec<crate::graph::Chain>> {
    let mut paths = vec![root.to_path_buf()];
    paths.extend(scanned.iter().filter(|p| p.is_dir()).cloned());
    let bases: Vec<String> = paths[1..]
        .iter()
        .map(|p| relative_path(root, p))
        .filter(|p| p != ".")
        .collect();
    let request = ScanRequest {
        paths,
        config,
        baseline: None,
        force_exclude: false,
        threads,
        mode: Mode::Worktree,
        keys: None,
        progress: None,
    };
    let collector = Once {
        inner: Collector::new(&request),
        seen: Mutex::default(),
    };
    let options = WalkOptions {
        root,
        config,
        max_file_size: config.max_file_size,
        force_exclude: false,
        threads,
    };
    walk_worktree(&request.paths, &options, &collector);
    let (_, _, graph) = collector.inner.into_parts();
    let mut chains: HashMap<String, Vec<crate::graph::Chain>> = HashMap::new();
    let paths = graph.manifests.paths();
    for build in crate::graph::Graph::new(&graph.facts, paths, &bases).builds() {
        for (file, chain) in build.members {
            chains.entry(file).or_default().push(chain);
        }
    }
    chains
}

/// Passes each file on once, when walks overlap.
struct Once<V> {
    inner: V,
    seen: Mutex<HashSet<String>>,
}

impl<V: Visitor> Visitor for Once<V> {
    fn file(&self, path: &str, bytes: &[u8]) {
        let first = self
            .seen
            .lock()
            .expect("no panics while holding the lock")
            .insert(path.to_string());
        if first {
            self.inner.file(path, bytes);
        }
    }

    fn note(&self, path: &str, message: String) {
        self.inner.note(path, message);
    }

    fn skipped(&self, path: &str, message: String) {
        self.inner.skipped(path, message);
    }
}

#[derive(Default)]
struct State {
    findings: Vec<Finding>,
    notes: Vec<Note>,
    suppressed: usize,
    /// (kustomization path, input, origin) to read after the walk.
    inputs: Vec<(String, GeneratorInput, Option<Origin>)>,
    graph: GraphInput,
}

/// What the walk gathers for the kustomize/Flux graph.
#[derive(Default)]
struct GraphInput {
    facts: Vec<crate::graph::Fact>,
    /// Every manifest file seen: Flux builds every manifest under its path.
    manifests: Manifests,
    /// The files with facts that hold a `sealant:ignore` marker. Graph findings are at facts'
    /// files; only these need reading again to see whether a comment suppresses them.
    marked: HashSet<String>,
}

/// Every manifest file's path, each ended by a NUL (which no path holds), in one String: a
/// String each cost an allocation and ~40 bytes more per file, over 100k files in big trees.
#[derive(Default)]
struct Manifests(String);

impl Manifests {
    fn push(&mut self, path: &str) {
        self.0.push_str(path);
        self.0.push('\0');
    }

    fn paths(&self) -> Vec<&str> {
        self.0.split_terminator('\0').collect()
    }
}

impl State {
    fn add(&mut self, path: &str, outcome: FileOutcome, origin: Option<&Origin>) {
        self.findings.extend(outcome.findings);
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
        self.graph.facts.extend(outcome.facts);
    }
}

struct Collector<'a> {
    rules: &'a RuleSet,
    salt: &'a str,
    config: &'a Config,
    keys: Option<&'a [PrivateKey]>,
    /// Worktree scans decrypt once the graph tells the label a deployment applies.
    defer_decrypt: bool,
    unpinned_noted: std::sync::atomic::AtomicBool,
    state: Mutex<State>,
    files: AtomicU64,
    bytes: AtomicU64,
    skipped: AtomicU64,
}

impl Visitor for Collector<'_> {
    fn file(&self, path: &str, bytes: &[u8]) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let outcome = scan_file(path, bytes, &self.context(path, bytes));
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
    fn new(request: &'a ScanRequest) -> Collector<'a> {
        Collector {
            rules: RuleSet::builtin(),
            salt: &request.config.fingerprint_salt,
            config: request.config,
            keys: request.keys,
            defer_decrypt: matches!(request.mode, Mode::Worktree),
            unpinned_noted: Default::default(),
            state: Mutex::default(),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// The cert pinned for the file's path; notes once when certs are pinned but a file with a
    /// SealedSecret matches none of them.
    fn context(&self, path: &str, bytes: &[u8]) -> FileContext<'_> {
        let cert = self.config.cert_for(path).map(|p| &p.cert);
        if cert.is_none()
            && !self.config.certs.is_empty()
            && memchr::memmem::find(bytes, b"SealedSecret").is_some()
            && !self.unpinned_noted.swap(true, Ordering::Relaxed)
        {
            self.note(path, "no pinned cert matches this path (nor possibly others): its SealedSecrets are checked for shape only".into());
        }
        FileContext {
            rules: self.rules,
            salt: self.salt,
            check: CheckContext {
                cert,
                keys: self.keys,
                defer_decrypt: self.defer_decrypt,
            },
        }
    }

    fn into_output(self) -> (ScanOutput, Vec<(String, GeneratorInput, Option<Origin>)>) {
        let (output, inputs, _) = self.into_parts();
        (output, inputs)
    }

    /// The output, the generator inputs to read, and what the graph needs.
    #[allow(clippy::type_complexity)]
    fn into_parts(
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
            ..ScanOutput::default()
        };
        (output, state.inputs, state.graph)
    }
}

fn scan_git(request: &ScanRequest) -> Result<ScanOutput> {
    let repo = GitRepo::discover(&first_path(request))?;
    let root = repo.root().to_path_buf();
    let mut untracked = Vec::new();
    let (blobs, commits) = match &request.mode {
        Mode::Staged => match exact_paths(request, &root) {
            Some(named) => {
                let blobs;
                (blobs, untracked) = repo.staged_named(&named)?;
                (blobs, 0)
            }
            None => (repo.staged()?, 0),
        },
        Mode::Range(spec) => repo.range(spec)?,
        Mode::History(refs) => repo.history(refs)?,
        Mode::Worktree => unreachable!("handled by scan_worktree"),
    };
    require_known(&blobs, request, &root)?;
    let blobs = select(blobs, request, &root);
    let collector = Collector::new(request);
    let total = blobs.len() as u64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(request.threads)
        .build()
        .map_err(|e| Error::usage(format!("cannot start threads: {e}"), None))?;
    pool.install(|| {
        blobs.par_iter().for_each_init(
            || repo.local(),
            |local, blob| {
                scan_blob(local, blob, request.config, &collector);
                if let Some(report) = request.progress {
                    report(Progress {
                        files: collector.files.load(Ordering::Relaxed),
                        bytes: collector.bytes.load(Ordering::Relaxed),
                        total_files: total,
                        commits: commits as u64,
                    });
                }
            },
        )
    });
    scan_untracked(&untracked, request, &root, &collector);
    let (mut output, inputs) = collector.into_output();
    output.root = root;
    output.commits_scanned = commits as u64;
    git_graph::add_findings(&mut output, &repo, &blobs, request, &pool)?;
    attach_origins(&mut output, &blobs);
    let local = repo.local();
    let index = matches!(request.mode, Mode::Staged)
        .then(|| local.index_or_empty().ok())
        .flatten();
    let cap = request.config.max_file_size;
    let read = |path: &str, origin: Option<&Origin>| match (origin, &index) {
        (Some(origin), _) => read_file_at(&local, origin.commit, path, cap),
        (None, Some(index)) => read_file_staged(&local, index, path, cap),
        (None, None) => Err("it is not in the repository".to_string()),
    };
    report_generator_inputs(&mut output, &inputs, &read, request.config);
    if let Mode::History(_) = request.mode {
        dedupe_history(&mut output, &blobs, &repo.head_blob_paths()?);
    }
    Ok(output)
}

/// The checks that need the whole kustomize/Flux graph, for a working-tree scan (git modes:
/// [`git_graph`]).
fn graph_findings(
    output: &mut ScanOutput,
    input: &GraphInput,
    bases: &[String],
    request: &ScanRequest,
) {
    let config = request.config;
    let graph = crate::graph::Graph::new(&input.facts, input.manifests.paths(), bases);
    // Findings come sorted by path: each marked file is read once, not once per finding.
    let (mut read_path, mut suppressions) = (None, Suppressions::default());
    for g in graph.check(request.keys) {
        let marked = input.marked.contains(&g.path);
        if marked && read_path.as_ref() != Some(&g.path) {
            let bytes = read_text(&output.root.join(&g.path), config.max_file_size);
            suppressions = Suppressions::new(&bytes.unwrap_or_default());
            read_path = Some(g.path.clone());
        }
        if marked && suppressions.covers(g.line, g.rule) {
            output.suppressed += 1;
            continue;
        }
        output.findings.push(graph_finding(g, config));
    }
}

/// A graph finding as a finding: its fingerprint hashes its path and the identity of what it
/// is about (it has no value; the message may be reworded).
fn graph_finding(g: crate::graph::GraphFinding, config: &Config) -> Finding {
    let rule = RuleSet::builtin().meta(g.rule);
    let salt = &config.fingerprint_salt;
    Finding {
        rule: g.rule.to_string(),
        category: rule.category,
        severity: rule.severity,
        fingerprint: crate::fingerprint::of_identity(salt, g.rule, &g.path, &g.identity),
        path: g.path,
        line: g.line,
        column: g.column,
        span: 0..0,
        message: g.message,
        commit: None,
    }
}

/// For `--staged` with files named: exactly those paths (as pre-commit passes them).
fn exact_paths(request: &ScanRequest, root: &Path) -> Option<HashSet<String>> {
    let all_files = !request.paths.is_empty() && request.paths.iter().all(|p| !p.is_dir());
    all_files.then(|| {
        request
            .paths
            .iter()
            .map(|p| relative_path(root, p))
            .collect()
    })
}

/// `--staged` with files named that the index lacks (pre-commit's `--files` and `try-repo`
/// may name untracked files): judged from the working tree, under the repository's path rules
/// and the size cap, after the same excludes as blobs.
fn scan_untracked(paths: &[String], request: &ScanRequest, root: &Path, collector: &Collector) {
    let ignore = sealantignore(root);
    for rel in paths {
        // A path outside the root is refused below; the matchers take inside paths only.
        let excluded = crate::paths::check(rel).is_ok()
            && (request.config.is_excluded(rel)
                || ignore.matched_path_or_any_parents(rel, false).is_ignore());
        if excluded {
            continue;
        }
        let cap = request.config.max_file_size;
        if let Err(why) = crate::source::visit_named(root, rel, cap, collector) {
            collector.skipped(rel, refused(why));
        }
    }
}

/// A path given with `--range` or `--history` must be in the working tree or name a blob of
/// the commits read (a directory since deleted, say): a typo is an error, not an empty scan.
fn require_known(blobs: &[GitBlob], request: &ScanRequest, root: &Path) -> Result<()> {
    if !matches!(request.mode, Mode::Range(_) | Mode::History(_)) {
        return Ok(());
    }
    for path in &request.paths {
        let prefix = relative_path(root, path);
        let known = std::fs::symlink_metadata(path).is_ok()
            || blobs.iter().any(|b| is_under(&b.path, &prefix));
        if !known {
            return Err(Error::input(
                path.display().to_string(),
                "no such file or directory, in the working tree or in the commits scanned",
            ));
        }
    }
    Ok(())
}

/// Whether `path` is `prefix` or lies under it.
fn is_under(path: &str, prefix: &str) -> bool {
    prefix == "."
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Applies the paths given (as prefixes), the configuration's excludes and `.sealantignore`.
/// In git modes these apply to named paths too: pre-commit names every staged file.
fn select(blobs: Vec<GitBlob>, request: &ScanRequest, root: &Path) -> Vec<GitBlob> {
    let prefixes: Vec<String> = request
        .paths
        .iter()
        .map(|p| relative_path(root, p))
        .filter(|p| p != ".")
        .collect();
    let ignore = sealantignore(root);
    blobs
        .into_iter()
        .filter(|b| prefixes.is_empty() || prefixes.iter().any(|p| is_under(&b.path, p)))
        .filter(|b| !request.config.is_excluded(&b.path))
        .filter(|b| {
            !ignore
                .matched_path_or_any_parents(&b.path, false)
                .is_ignore()
        })
        .collect()
}

fn sealantignore(root: &Path) -> ignore::gitignore::Gitignore {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
    let _ = builder.add(root.join(".sealantignore"));
    builder
        .build()
        .unwrap_or_else(|_| ignore::gitignore::Gitignore::empty())
}

fn scan_blob(repo: &gix::Repository, blob: &GitBlob, config: &Config, collector: &Collector) {
    let Some(bytes) = read_blob(repo, blob.id) else {
        collector.skipped(
            &blob.path,
            format!(
                "blob {} is missing (shallow or partial clone?); skipped",
                blob.id
            ),
        );
        return;
    };
    if bytes.len() as u64 > config.max_file_size {
        collector.skipped(
            &blob.path,
            format!(
                "larger than max-file-size ({} > {} bytes); skipped",
                bytes.len(),
                config.max_file_size
            ),
        );
        return;
    }
    let bytes = match crate::source::sniff(&bytes) {
        Content::Text(text) => text,
        Content::Binary(why) => return collector.skipped(&blob.path, why.to_string()),
    };
    collector.files.fetch_add(1, Ordering::Relaxed);
    collector
        .bytes
        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    let mut outcome = scan_file(&blob.path, &bytes, &collector.context(&blob.path, &bytes));
    for finding in &mut outcome.findings {
        finding.commit = blob.origin.as_ref().map(commit_info);
    }
    if !outcome.is_empty() {
        collector
            .state
            .lock()
            .expect("no panics while holding the lock")
            .add(&blob.path, outcome, blob.origin.as_ref());
    }
}

fn commit_info(origin: &Origin) -> CommitInfo {
    CommitInfo {
        id: origin.commit.to_string(),
        time: origin.time,
        at_head: None,
    }
}

/// Findings made after the walk (generator inputs) get the origin of their path's blob.
fn attach_origins(output: &mut ScanOutput, blobs: &[GitBlob]) {
    let by_path: HashMap<&str, &Origin> = blobs
        .iter()
        .filter_map(|b| Some((b.path.as_str(), b.origin.as_ref()?)))
        .collect();
    for finding in output.findings.iter_mut().filter(|f| f.commit.is_none()) {
        finding.commit = by_path.get(finding.path.as_str()).map(|o| commit_info(o));
    }
}

/// `--history`: one finding per value (rule and fingerprint), with its oldest commit, marked
/// whether the value is still in the file at that path at HEAD: found in the blob HEAD holds
/// there (`head`: path → blob id).
fn dedupe_history(
    output: &mut ScanOutput,
    blobs: &[GitBlob],
    head: &HashMap<String, gix::ObjectId>,
) {
    let at_head = values_at_head(&output.findings, blobs, head);
    let origins: HashMap<String, &Origin> = blobs
        .iter()
        .filter_map(|b| b.origin.as_ref())
        .map(|o| (o.commit.to_string(), o))
        .collect();
    let origin_of = |f: &Finding| f.commit.as_ref().and_then(|c| origins.get(&c.id).copied());
    let mut oldest: HashMap<(String, String), Finding> = HashMap::new();
    for f in output.findings.drain(..) {
        let key = (f.rule.clone(), f.fingerprint.clone());
        let older = match (oldest.get(&key).and_then(origin_of), origin_of(&f)) {
            (Some(kept), Some(new)) => new.is_older_than(kept),
            (kept, _) => kept.is_none() && !oldest.contains_key(&key),
        };
        if older {
            oldest.insert(key, f);
        }
    }
    output.findings = oldest
        .into_iter()
        .map(|(key, mut f)| {
            if let Some(commit) = &mut f.commit {
                let (rule, fingerprint) = key;
                commit.at_head = Some(at_head.contains(&(rule, fingerprint, f.path.clone())));
            }
            f
        })
        .collect();
}

/// (rule, fingerprint, path) of every value found in a blob that HEAD holds at that path (a
/// blob is scanned once, under its first path: HEAD may hold it at others).
fn values_at_head(
    findings: &[Finding],
    blobs: &[GitBlob],
    head: &HashMap<String, gix::ObjectId>,
) -> HashSet<(String, String, String)> {
    let mut head_paths: HashMap<gix::ObjectId, Vec<&str>> = HashMap::new();
    for (path, id) in head {
        head_paths.entry(*id).or_default().push(path);
    }
    let blob_ids: HashMap<(&str, String), gix::ObjectId> = blobs
        .iter()
        .filter_map(|b| {
            Some((
                (b.path.as_str(), b.origin.as_ref()?.commit.to_string()),
                b.id,
            ))
        })
        .collect();
    let mut at_head = HashSet::new();
    for f in findings {
        let Some(commit) = &f.commit else { continue };
        let Some(id) = blob_ids.get(&(f.path.as_str(), commit.id.clone())) else {
            continue;
        };
        for path in head_paths.get(id).into_iter().flatten() {
            at_head.insert((f.rule.clone(), f.fingerprint.clone(), path.to_string()));
        }
    }
    at_head
}

/// Reads a secretGenerator input (repository-relative path) as of a blob's origin.
type ReadInput<'a> = dyn Fn(&str, Option<&Origin>) -> std::result::Result<Vec<u8>, String> + 'a;

/// Reads every file a secretGenerator pulls into a Secret and reports its values there; a
/// finding another rule made at the same place gives way to it.
fn report_generator_inputs(
    output: &mut ScanOutput,
    inputs: &[(String, GeneratorInput, Option<Origin>)],
    read: &ReadInput,
    config: &Config,
) {
    let rules = RuleSet::builtin();
    let mut seen = HashSet::new();
    for (kustomization, input, origin) in inputs {
        let dir = kustomization.rsplit_once('/').map_or("", |(d, _)| d);
        let rel = crate::paths::join(dir, &input.path);
        if !seen.insert((rel.clone(), input.is_env)) {
            continue;
        }
        // Checked here for every source: blobs' paths must obey the same rules as files'.
        let checked = match input.path.starts_with('/') {
            true => Err(Refusal::Outside),
            false => crate::paths::check(&rel),
        };
        let bytes = match checked
            .map_err(refused)
            .and_then(|()| read(&rel, origin.as_ref()))
        {
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
        let lines = LineIndex::new(&bytes);
        let places: HashSet<(usize, usize)> = detections
            .iter()
            .map(|d| lines.line_col(d.span.start))
            .collect();
        output.findings.retain(|f| {
            f.path != rel || f.rule == GENERATOR_FILE || !places.contains(&(f.line, f.column))
        });
        let mut outcome = findings_from(&rel, &bytes, detections, rules, &config.fingerprint_salt);
        for f in &mut outcome.findings {
            f.commit = origin.as_ref().map(commit_info);
        }
        output.suppressed += outcome.suppressed;
        output.findings.extend(outcome.findings);
    }
}

/// A worktree input's bytes (decoded like a scanned file), or why it is not read: the path
/// rules of [`crate::paths`], a regular file only (a FIFO would block), at most `cap` bytes.
fn read_input(root: &Path, rel: &str, cap: u64) -> std::result::Result<Vec<u8>, String> {
    let file = crate::paths::resolve(root, rel).map_err(refused)?;
    let meta = std::fs::symlink_metadata(&file).map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_file() {
        return Err("it is not a regular file (a FIFO, a device or a directory); not read".into());
    }
    if meta.len() > cap {
        return Err(format!(
            "it is larger than max-file-size ({} > {cap} bytes); not checked",
            meta.len()
        ));
    }
    let (bytes, _) =
        crate::paths::read_regular(&file, cap).map_err(|e| format!("cannot read it ({e})"))?;
    Ok(decoded(bytes))
}

/// Why an input is not read, for its note.
fn refused(why: Refusal) -> String {
    match why {
        Refusal::Outside => "it is outside the repository, which sealant never reads; not read",
        Refusal::InGit => "it is inside .git/, which sealant never reads; not read",
        Refusal::Symlink => "it is or goes through a symlink, which sealant does not follow (it could lead out of the repository); not read",
        Refusal::BadName => "its name is not valid UTF-8, so sealant cannot address the file; not read",
    }
    .to_string()
}

/// A file as the scan saw it: UTF-16/32 decoded (see [`crate::source::sniff`]), so that
/// spans and lines of findings fit what is read back.
/// A regular file of at most `cap` bytes only: opening a FIFO would block.
pub(crate) fn read_text(file: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (bytes, _) = crate::paths::read_regular(file, cap)?;
    Ok(decoded(bytes))
}

/// `bytes` as the scan reads them: UTF-16/32 decoded (see [`crate::source::sniff`]).
pub(crate) fn decoded(bytes: Vec<u8>) -> Vec<u8> {
    match crate::source::sniff(&bytes) {
        Content::Text(std::borrow::Cow::Owned(text)) => text,
        _ => bytes,
    }
}

/// Drops findings the configuration's allowlist or the baseline accepts.
fn apply_suppressions(output: &mut ScanOutput, config: &Config, baseline: Option<&Baseline>) {
    let before = output.findings.len();
    output
        .findings
        .retain(|f| !config.is_allowed(f) && !baseline.is_some_and(|b| b.contains(f)));
    output.suppressed += before - output.findings.len();
}
