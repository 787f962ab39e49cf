//! `sealant scan` without the printing: read a source, detect, apply suppressions.
//!
//! Each kind of source has its module (`worktree`, `git`, `stream`), which runs the stages:
//! `collect` detects in each file a source hands out; then come the `graph` checks (`git_graph`
//! in git modes), the files secretGenerators read (`inputs`), and `suppress`.

use std::path::PathBuf;

use crate::baseline::Baseline;
use crate::config::Config;
use crate::crypto::PrivateKey;
use crate::error::Result;
use crate::finding::{Finding, Note, Severity};

mod cache;
mod collect;
mod facts_cache;
mod git;
mod git_graph;
mod graph;
mod inputs;
mod stream;
mod suppress;
mod worktree;

pub(crate) use inputs::{decoded, read_text};
pub use stream::scan_stream;
pub use worktree::{deployments, repository_graph, RepositoryGraph};

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
    /// Whether git modes may use `.sealant_cache/` at the repository root (`--no-cache`: no).
    pub cache: bool,
    /// Whether the report draws code frames (`--format human`): a working-tree scan then keeps
    /// each file's value spans, and a digest of its bytes, to redact them with.
    pub frames: bool,
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
    /// The value spans of each file with findings (working-tree scans), for code frames.
    pub values: crate::finding::Values,
}

impl ScanOutput {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Runs a scan.
pub fn scan(request: &ScanRequest) -> Result<ScanOutput> {
    let output = match &request.mode {
        Mode::Worktree => worktree::scan_worktree(request),
        _ => git::scan_git(request)?,
    };
    Ok(finish(output, request))
}

/// Suppressions applied, findings and notes in order.
fn finish(mut output: ScanOutput, request: &ScanRequest) -> ScanOutput {
    suppress::apply_suppressions(&mut output, request.config, request.baseline);
    output.findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    output.notes.sort_by(|a, b| a.path.cmp(&b.path));
    output
}

fn first_path(request: &ScanRequest) -> PathBuf {
    request
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}
