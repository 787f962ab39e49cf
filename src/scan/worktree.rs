//! The working-tree scan, and the deployment chains `scan --fix` needs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::collect::Collector;
use super::graph::graph_findings;
use super::inputs::{read_input, report_generator_inputs};
use super::{first_path, Mode, ScanOutput, ScanRequest};
use crate::config::Config;
use crate::source::git::Origin;
use crate::source::{relative_path, walk_worktree, Visitor, WalkOptions};

pub(super) fn scan_worktree(request: &ScanRequest) -> ScanOutput {
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
        excludes: true,
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
    let part = !bases.is_empty() || request.paths.iter().any(|p| p.is_file());
    if request.config.has_roots() && part {
        subset_graph_findings(&mut output, graph, &root, request);
    } else {
        graph_findings(&mut output, &graph, &bases, request);
    }
    let read =
        |path: &str, _: Option<&Origin>| read_input(&root, path, request.config.max_file_size);
    report_generator_inputs(&mut output, &inputs, &read, request.config);
    output
}

/// The graph findings of a scan of part of a repository whose certs are pinned by roots: which
/// cluster deploys a file is only known from the whole repository (its roots may lie outside
/// the part), so the graph is built from all of it and its findings kept for the part.
fn subset_graph_findings(
    output: &mut ScanOutput,
    scanned: super::collect::GraphInput,
    root: &Path,
    request: &ScanRequest,
) {
    let (config, keys) = (request.config, request.keys);
    let whole = graph_with_keys(root, &request.paths, config, request.threads, keys);
    let input = super::collect::GraphInput {
        facts: whole.facts,
        manifests: whole.manifests,
        marked: scanned.marked,
    };
    let parts: Vec<String> = request
        .paths
        .iter()
        .map(|p| relative_path(root, p))
        .collect();
    let inside = |path: &str| {
        !config.is_excluded(path) && parts.iter().any(|part| crate::paths::is_under(path, part))
    };
    let (findings, notes) = (output.findings.len(), output.notes.len());
    graph_findings(output, &input, &whole.bases, request);
    keep_added(&mut output.findings, findings, |f| inside(&f.path));
    keep_added(&mut output.notes, notes, |n| inside(&n.path));
}

/// Of the items added to `items` from index `from` on, keeps those `keep` accepts.
fn keep_added<T>(items: &mut Vec<T>, from: usize, keep: impl Fn(&T) -> bool) {
    let added: Vec<T> = items.drain(from..).filter(|item| keep(item)).collect();
    items.extend(added);
}

/// Where each file of the repository at `root` is deployed: for every build that includes
/// it, the kustomize/Flux transforms applied to it (innermost first). Root-relative paths.
/// The whole repository is read (a named file's kustomizations may be anywhere), and the
/// directories in `scanned` too, which the repository's ignore files may hide from a walk
/// of the root. With them, the roots that deploy each file (for certs pinned by `roots:`).
pub fn deployments<'c>(
    root: &Path,
    scanned: &[PathBuf],
    config: &'c Config,
    threads: usize,
) -> (
    HashMap<String, Vec<crate::graph::Chain>>,
    crate::graph::Deployments<'c>,
) {
    let read = repository_graph(root, scanned, config, threads);
    let builds = read.graph().builds();
    let deployments = crate::graph::Deployments::new(config, &builds);
    let mut chains: HashMap<String, Vec<crate::graph::Chain>> = HashMap::new();
    for build in builds {
        for (file, chain) in build.members {
            chains.entry(file).or_default().push(chain);
        }
    }
    (chains, deployments)
}

/// What the graph of a whole repository is made of (see [`repository_graph`]).
pub struct RepositoryGraph {
    pub facts: Vec<crate::graph::Fact>,
    manifests: super::collect::Manifests,
    bases: Vec<String>,
}

impl RepositoryGraph {
    pub fn graph(&self) -> crate::graph::Graph<'_> {
        crate::graph::Graph::new(&self.facts, self.manifests.paths(), &self.bases)
    }
}

/// The facts of every file of the repository at `root` and of the directories in `scanned`
/// (see [`deployments`]), `exclude:`d ones included.
pub fn repository_graph(
    root: &Path,
    scanned: &[PathBuf],
    config: &Config,
    threads: usize,
) -> RepositoryGraph {
    graph_with_keys(root, scanned, config, threads, None)
}

/// [`repository_graph`], with the values `keys` open attached (for the graph's decryption).
fn graph_with_keys(
    root: &Path,
    scanned: &[PathBuf],
    config: &Config,
    threads: usize,
    keys: Option<&[crate::crypto::PrivateKey]>,
) -> RepositoryGraph {
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
        keys,
        progress: None,
        cache: false,
        frames: false,
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
        // What `exclude:` leaves out of a scan still deploys: a base an excluded overlay
        // includes is still shared with it.
        excludes: false,
        threads,
    };
    walk_worktree(&request.paths, &options, &collector);
    let (_, _, graph) = collector.inner.into_parts();
    RepositoryGraph {
        facts: graph.facts,
        manifests: graph.manifests,
        bases,
    }
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
