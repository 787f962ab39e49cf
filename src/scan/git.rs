//! The git modes: `--staged`, `--range` and `--history` read blobs, not files.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;

use rayon::prelude::*;

use super::collect::Collector;
use super::git_graph;
use super::inputs::{commit_info, refused, report_generator_inputs};
use super::{first_path, Mode, Progress, ScanOutput, ScanRequest};
use crate::config::Config;
use crate::detect::scan_file;
use crate::error::{Error, Result};
use crate::finding::{Finding, Fingerprint, Shared};
use crate::source::filter::{exact_paths, require_known, sealantignore, select};
use crate::source::git::{read_blob, read_file_at, read_file_staged, GitBlob, GitRepo, Origin};
use crate::source::{Content, Visitor};

/// Scans the blobs of `--staged`, `--range` or `--history`.
pub(super) fn scan_git(request: &ScanRequest) -> Result<ScanOutput> {
    let repo = GitRepo::discover(&first_path(request))?;
    let root = repo.root().to_path_buf();
    let mut untracked = Vec::new();
    let (blobs, commits) = match &request.mode {
        Mode::Staged => match exact_paths(&request.paths, &root) {
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
    if matches!(request.mode, Mode::Range(_) | Mode::History(_)) {
        require_known(&blobs, &request.paths, &root)?;
    }
    let blobs = select(blobs, &request.paths, request.config, &root);
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

/// `--staged` with files named that the index lacks (pre-commit's `--files` and `try-repo`
/// may name untracked files): judged from the working tree, under the repository's path rules
/// and the size cap, after the same excludes as blobs.
fn scan_untracked(paths: &[String], request: &ScanRequest, root: &Path, collector: &Collector) {
    let ignore = sealantignore(root);
    for rel in paths {
        if crate::source::filter::is_ignored(rel, request.config, &ignore) {
            continue;
        }
        let cap = request.config.max_file_size;
        if let Err(why) = crate::source::visit_named(root, rel, cap, collector) {
            collector.skipped(rel, refused(why));
        }
    }
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
    let mut oldest: HashMap<(Shared, Fingerprint), Finding> = HashMap::new();
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
                commit.at_head = Some(at_head.contains(&(rule, fingerprint, f.path.to_string())));
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
) -> HashSet<(Shared, Fingerprint, String)> {
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
