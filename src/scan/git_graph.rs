//! The graph checks of `--staged` and `--range A..B`: the kustomize/Flux graph of the state a
//! scan judges (the index, or the tree at B), and those of its findings that the change
//! involves. A hook judges a change: a finding no changed file reaches is not reported.
//!
//! A state may hold 100k files, so only what the graph needs is read: every kustomization (by
//! name), every Flux Kustomization and Argo CD Application (found by substring searches per
//! manifest blob), and the members of the builds a changed file reaches.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::cache::SkipCache;
use super::facts_cache::{self, FactsCache};
use super::graph::graph_finding;
use super::{Mode, ScanOutput, ScanRequest};
use crate::check::CheckContext;
use crate::detect::{has_marker, scan_file, FileContext, Suppressions};
use crate::error::Result;
use crate::graph::{check_builds, Build, Fact, Graph, GraphFinding, MISSING_KEY, MISSING_SECRET};
use crate::k8s::{is_kustomization_file, is_manifest_name};
use crate::rules::RuleSet;
use crate::source::git::{read_blob, GitBlob, GitRepo};
use crate::source::{relative_path, sniff, Content};

/// Every Flux Kustomization's apiVersion holds the first, every Argo CD Application's the
/// second: the build entry points besides kustomizations. An escape (JSON's or a YAML
/// double-quoted string's) could spell either without its text, so a blob holding one is
/// read too.
const ENTRY_APIS: &[&[u8]] = &[
    b"kustomize.toolkit.fluxcd.io",
    b"argoproj.io",
    b"\\u",
    b"\\x",
    b"\\U",
];

/// Adds the graph findings that the `changed` files (the blobs the scan read) involve, judged
/// on the state of `request.mode`; nothing for `--history`.
pub(super) fn add_findings(
    output: &mut ScanOutput,
    repo: &GitRepo,
    changed: &[GitBlob],
    request: &ScanRequest,
    pool: &rayon::ThreadPool,
) -> Result<()> {
    let files = match &request.mode {
        Mode::Staged => repo.index_files(is_manifest_name)?,
        Mode::Range(spec) => repo.tree_files(repo.range_tip(spec)?, is_manifest_name)?,
        Mode::History(_) | Mode::Worktree => return Ok(()),
    };
    let ignore = crate::source::filter::sealantignore(repo.root());
    let files: Vec<GitBlob> = files
        .into_iter()
        .filter(|f| !crate::source::filter::is_ignored(&f.path, request.config, &ignore))
        .collect();
    let changed: HashSet<&str> = changed.iter().map(|b| b.path.as_str()).collect();
    let reader = Reader { repo, request };
    let mut state = State::default();
    let ours: Vec<&GitBlob> = files
        .iter()
        .filter(|f| changed.contains(f.path.as_str()))
        .collect();
    reader.read(pool, &ours, false, &mut state);
    if state.facts.is_empty() {
        // Graph findings are at, or through, files with facts: none changed, none to report.
        return Ok(());
    }
    // The graph's shape: kustomizations, then Flux Kustomizations.
    let cache_dir = cache_dir(repo, request);
    state.facts_cache = FactsCache::open(cache_dir.clone());
    let shape: Vec<&GitBlob> = files
        .iter()
        .filter(|f| is_kustomization(&f.path) && !state.read.contains(&f.path))
        .collect();
    reader.read(pool, &shape, false, &mut state);
    state.cache = SkipCache::open(cache_dir, ENTRY_APIS);
    let rest: Vec<&GitBlob> = files
        .iter()
        .filter(|f| !state.cache.skips(&f.id) && !state.read.contains(&f.path))
        .collect();
    reader.read(pool, &rest, true, &mut state);
    let manifests: Vec<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| [".yaml", ".yml", ".json"].iter().any(|e| p.ends_with(e)))
        .collect();
    let bases = bases(request, repo);
    let builds = Graph::new(&state.facts, manifests.clone(), &bases).builds();
    let involved = Involved::new(&builds, &changed, &state.facts);
    // Every member of a build a change reaches: its providers and workloads too.
    let members: Vec<&GitBlob> = files
        .iter()
        .filter(|f| involved.builds.contains(&f.path) && !state.read.contains(&f.path))
        .collect();
    let before = state.facts.len();
    reader.read(pool, &members, false, &mut state);
    state.cache.save();
    std::mem::take(&mut state.facts_cache).save();
    // Members are rarely kustomizations (those were read for the shape): the builds stand
    // unless one is.
    let builds = match state.facts[before..].iter().any(Fact::is_shape) {
        true => Graph::new(&state.facts, manifests, &bases).builds(),
        false => builds,
    };
    // Only the per-file findings: a graph finding per cluster shares its place with another.
    let per_file = output.findings.len();
    let checked = check_builds(&state.facts, &builds, request.keys, request.config);
    if let Some(path) = checked
        .unpinned
        .iter()
        .find(|p| involved.reached.contains(*p))
    {
        output.notes.push(crate::finding::Note {
            path: path.clone(),
            message: crate::graph::UNPINNED_NOTE.to_string(),
        });
    }
    for g in checked.findings {
        if !involved.covers(&g) || output_has(&output.findings[..per_file], &g) {
            continue;
        }
        let suppressions = state.marked.get(&g.path);
        if suppressions.is_some_and(|s| s.covers(g.line, g.rule)) {
            output.suppressed += 1;
            continue;
        }
        output.findings.push(graph_finding(g, request.config));
    }
    Ok(())
}

/// The caches' directory: in a working tree only (never in a bare repository's git
/// directory), unless `--no-cache`.
fn cache_dir(repo: &GitRepo, request: &ScanRequest) -> Option<std::path::PathBuf> {
    if !request.cache || !repo.has_worktree() {
        return None;
    }
    let tracked = repo.tracks(&format!("{}/", super::cache::DIR)) || repo.tracks(super::cache::DIR);
    super::cache::usable_dir(repo.root(), tracked)
}

fn is_kustomization(path: &str) -> bool {
    is_kustomization_file(crate::paths::file_name(path))
}

/// The directories named (root-relative): a Flux `spec.path` may be relative to one.
fn bases(request: &ScanRequest, repo: &GitRepo) -> Vec<String> {
    request
        .paths
        .iter()
        .filter(|p| p.is_dir())
        .map(|p| relative_path(repo.root(), p))
        .filter(|p| p != ".")
        .collect()
}

/// The per-file checks already report a value that does not open under its own label; the
/// graph's decryption says the same of it when nothing moves it.
fn output_has(findings: &[crate::finding::Finding], g: &GraphFinding) -> bool {
    findings
        .iter()
        .any(|f| f.rule == g.rule && f.path == g.path && (f.line, f.column) == (g.line, g.column))
}

/// What the judged state tells the graph.
#[derive(Default)]
struct State {
    facts: Vec<Fact>,
    /// The files scanned so far.
    read: HashSet<String>,
    /// The suppression comments of files with facts and a `sealant:ignore` marker.
    marked: HashMap<String, Suppressions>,
    /// Blobs known to hold none of [`ENTRY_APIS`].
    cache: SkipCache,
    /// The facts of blobs read before.
    facts_cache: FactsCache,
}

/// Which files, and so which graph findings, a change involves.
#[derive(Default)]
struct Involved {
    /// Changed files, and files a changed kustomization or Flux Kustomization includes.
    reached: HashSet<String>,
    /// Members of builds with a changed Secret provider: their references may now miss.
    referring: HashSet<String>,
    /// Every member of a build that holds a reached file.
    builds: HashSet<String>,
}

impl Involved {
    fn new(builds: &[Build], changed: &HashSet<&str>, facts: &[Fact]) -> Involved {
        let providers: HashSet<&str> = facts
            .iter()
            .filter_map(|f| match f {
                Fact::Sealed { path, .. } | Fact::Provider { path, .. } => Some(path.as_str()),
                Fact::Kustomization {
                    path, generators, ..
                } if !generators.is_empty() => Some(path.as_str()),
                _ => None,
            })
            .filter(|p| changed.contains(p))
            .collect();
        let mut involved = Involved {
            reached: changed.iter().map(|p| p.to_string()).collect(),
            ..Involved::default()
        };
        for build in builds {
            let mut reached = false;
            for (file, chain) in &build.members {
                let by_change = chain.iter().any(|t| changed.contains(t.file.as_str()));
                if by_change || changed.contains(file.as_str()) {
                    involved.reached.insert(file.clone());
                    reached = true;
                }
            }
            let files = build.members.iter().map(|(f, _)| f.clone());
            if build
                .members
                .iter()
                .any(|(f, _)| providers.contains(f.as_str()))
            {
                involved.referring.extend(files.clone());
            }
            if reached {
                involved.builds.extend(files);
            }
        }
        involved
    }

    fn covers(&self, g: &GraphFinding) -> bool {
        self.reached.contains(&g.path)
            || ([MISSING_SECRET, MISSING_KEY].contains(&g.rule) && self.referring.contains(&g.path))
    }
}

/// Scans blobs of the state for their facts.
struct Reader<'a> {
    repo: &'a GitRepo,
    request: &'a ScanRequest<'a>,
}

/// A file's facts, and its suppression comments if it has a marker.
type Read = (String, Vec<Fact>, Option<Suppressions>);

/// What reading a blob gave.
#[derive(Default)]
struct Scanned {
    /// Its facts (unless it was not read, or lacked the entry points asked for).
    read: Option<Read>,
    /// Its id if it holds none of [`ENTRY_APIS`] (text without them, or binary).
    no_entry: Option<gix::ObjectId>,
    /// What the facts cache may keep of it.
    learnt: Option<facts_cache::Entry>,
}

impl Reader<'_> {
    /// Scans `files` (with `entries_only`, those holding one of [`ENTRY_APIS`]) into `state`.
    fn read(
        &self,
        pool: &rayon::ThreadPool,
        files: &[&GitBlob],
        entries_only: bool,
        state: &mut State,
    ) {
        let cache = &state.facts_cache;
        // A repository handle per chunk, not per rayon job: making one costs more than
        // reading a small blob.
        let chunk = (files.len() / (4 * pool.current_num_threads().max(1))).max(64);
        let found: Vec<Scanned> = pool.install(|| {
            files
                .par_chunks(chunk)
                .flat_map_iter(|chunk| {
                    let repo = self.repo.local();
                    let read: Vec<Scanned> = chunk
                        .iter()
                        .map(|f| match cache.get(&f.id, &f.path) {
                            Some(entry) => self.cached(entry, entries_only),
                            None => self.facts(&repo, f, entries_only, cache.is_on()),
                        })
                        .collect();
                    read
                })
                .collect()
        });
        for scanned in found {
            if let Some(id) = scanned.no_entry {
                state.cache.add(id);
            }
            if let Some(entry) = scanned.learnt {
                state.facts_cache.add(entry);
            }
            let Some((path, facts, suppressions)) = scanned.read else {
                continue;
            };
            if let Some(s) = suppressions {
                state.marked.insert(path.clone(), s);
            }
            state.facts.extend(facts);
            state.read.insert(path);
        }
    }

    /// What [`Reader::facts`] gives for a blob the facts cache holds, without reading it.
    fn cached(&self, entry: &facts_cache::Entry, entries_only: bool) -> Scanned {
        if entry.size > self.request.config.max_file_size {
            return Scanned::default();
        }
        let no_entry = (!entry.entry_point).then_some(entry.id);
        if entries_only && no_entry.is_some() {
            return Scanned {
                no_entry,
                ..Scanned::default()
            };
        }
        Scanned {
            read: Some((entry.path.clone(), entry.facts.clone(), None)),
            no_entry,
            learnt: None,
        }
    }

    /// Reads and scans a blob; with `learn`, gives what the facts cache may keep of it.
    fn facts(
        &self,
        repo: &gix::Repository,
        file: &GitBlob,
        entries_only: bool,
        learn: bool,
    ) -> Scanned {
        let config = self.request.config;
        let Some(bytes) = read_blob(repo, file.id) else {
            return Scanned::default();
        };
        if bytes.len() as u64 > config.max_file_size {
            return Scanned::default();
        }
        let Content::Text(text) = sniff(&bytes) else {
            return Scanned {
                no_entry: Some(file.id),
                ..Scanned::default()
            };
        };
        let holds = |n: &&[u8]| memchr::memmem::find(&text, n).is_some();
        let no_entry = (!ENTRY_APIS.iter().any(holds)).then_some(file.id);
        if entries_only && no_entry.is_some() {
            return Scanned {
                no_entry,
                ..Scanned::default()
            };
        }
        let context = FileContext {
            rules: RuleSet::builtin(),
            salt: &config.fingerprint_salt,
            // The graph decrypts under the label a deployment applies.
            check: CheckContext::for_path(config, &file.path, self.request.keys, true),
        };
        let outcome = scan_file(&file.path, &text, &context);
        let marked = !outcome.facts.is_empty() && has_marker(&text);
        let suppressions = marked.then(|| Suppressions::new(&text));
        let kept = learn && !marked && facts_cache::keeps(&outcome.facts, &file.path);
        let learnt = kept.then(|| facts_cache::Entry {
            id: file.id,
            path: file.path.clone(),
            size: bytes.len() as u64,
            entry_point: no_entry.is_none(),
            facts: outcome.facts.clone(),
        });
        Scanned {
            read: Some((file.path.clone(), outcome.facts, suppressions)),
            no_entry,
            learnt,
        }
    }
}
