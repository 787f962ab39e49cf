//! Which `certs:` entries' deployment roots deploy each build and file: a file deployed from
//! the roots of several clusters is judged against each cluster's cert.

use super::HashMap;

use super::{Build, Transform};
use crate::config::{Config, PinnedCert};

/// A deployment root of a `certs:` entry: the entry's index and the root as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Root<'c> {
    pub cert: usize,
    pub root: &'c str,
}

/// The roots that deploy each build and each file of the graph.
#[derive(Default)]
pub struct Deployments<'c> {
    config: Option<&'c Config>,
    /// By build (in the order of the builds given): the roots that reach its entry.
    builds: Vec<Vec<Root<'c>>>,
    files: HashMap<String, Vec<Root<'c>>>,
}

impl<'c> Deployments<'c> {
    /// Nothing is computed when no `certs:` entry names roots.
    pub fn new(config: &'c Config, builds: &[Build]) -> Deployments<'c> {
        let mut out = Deployments {
            config: Some(config),
            builds: vec![Vec::new(); builds.len()],
            files: HashMap::default(),
        };
        if !config.has_roots() {
            return out;
        }
        out.builds = build_roots(config, builds);
        for (i, build) in builds.iter().enumerate() {
            for (file, chain) in &build.members {
                let roots = out.of_member(i, chain);
                if !roots.is_empty() {
                    merge(out.files.entry(file.clone()).or_default(), &roots);
                }
            }
        }
        out
    }

    /// The roots through which build `build` deploys a member with this chain: the build's
    /// own, and those holding a kustomization of the chain.
    pub fn of_member(&self, build: usize, chain: &[Transform]) -> Vec<Root<'c>> {
        let Some(config) = self.config.filter(|c| c.has_roots()) else {
            return Vec::new();
        };
        let mut roots = self.builds.get(build).cloned().unwrap_or_default();
        for t in chain {
            merge(&mut roots, &holding(config, &t.file));
        }
        roots
    }

    /// The clusters a member of build `build` with this chain deploys to: by its roots, else
    /// (with roots configured) by the `paths:` of `file`; none without roots, where the
    /// per-file checks judge the `paths:` cert.
    pub fn clusters(
        &self,
        build: usize,
        chain: &[Transform],
        file: &str,
    ) -> Vec<(&'c PinnedCert, Option<&'c str>)> {
        let Some(config) = self.config.filter(|c| c.has_roots()) else {
            return Vec::new();
        };
        match self.of_member(build, chain).as_slice() {
            [] => config
                .cert_for(file)
                .map(|c| (c, None))
                .into_iter()
                .collect(),
            roots => self.certs_of(roots),
        }
    }

    /// [`Self::certs_for`] with roots configured, else none (see [`Self::clusters`]).
    pub fn clusters_of_file(&self, file: &str) -> Vec<(&'c PinnedCert, Option<&'c str>)> {
        match self.config.is_some_and(|c| c.has_roots()) {
            true => self.certs_for(file),
            false => Vec::new(),
        }
    }

    /// Which pinned certs apply to a root-relative path, and through which root: the cert
    /// of every root that deploys it (one per cert entry, each with its first root), else
    /// the cert whose `paths:` match it (no root), else none.
    pub fn certs_for(&self, path: &str) -> Vec<(&'c PinnedCert, Option<&'c str>)> {
        let Some(config) = self.config else {
            return Vec::new();
        };
        match self.files.get(path) {
            Some(roots) => self.certs_of(roots),
            None => config
                .cert_for(path)
                .map(|c| (c, None))
                .into_iter()
                .collect(),
        }
    }

    /// Every pinned cert.
    pub fn pinned(&self) -> &'c [PinnedCert] {
        self.config.map(|c| c.certs.as_slice()).unwrap_or_default()
    }

    /// One `(cert, root)` per cert entry among `roots`.
    pub fn certs_of(&self, roots: &[Root<'c>]) -> Vec<(&'c PinnedCert, Option<&'c str>)> {
        let Some(config) = self.config else {
            return Vec::new();
        };
        let mut out: Vec<(&PinnedCert, Option<&str>)> = Vec::new();
        for r in roots {
            let cert = &config.certs[r.cert];
            if !out.iter().any(|(c, _)| std::ptr::eq(*c, cert)) {
                out.push((cert, Some(r.root)));
            }
        }
        out
    }
}

fn holding<'c>(config: &'c Config, file: &str) -> Vec<Root<'c>> {
    config
        .roots_holding(file)
        .into_iter()
        .map(|(cert, root)| Root { cert, root })
        .collect()
}

/// Adds the roots of `more` not yet in `roots`, keeping them sorted.
fn merge<'c>(roots: &mut Vec<Root<'c>>, more: &[Root<'c>]) {
    for r in more {
        if let Err(at) = roots.binary_search(r) {
            roots.insert(at, *r);
        }
    }
}

/// The roots of each build: those holding its entry, and those of every build that includes
/// its entry (a Flux Kustomization applied by another one), followed to a fixed point.
fn build_roots<'c>(config: &'c Config, builds: &[Build]) -> Vec<Vec<Root<'c>>> {
    // A file may hold several entries (Flux Kustomizations in one file, an Argo app's sources).
    let mut by_entry: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, b) in builds.iter().enumerate() {
        by_entry.entry(b.entry.as_str()).or_default().push(i);
    }
    let mut roots: Vec<Vec<Root>> = builds.iter().map(|b| holding(config, &b.entry)).collect();
    // By build: the builds whose entry it holds as a member, with the member's chain.
    let mut includes: HashMap<usize, Vec<(usize, &[Transform])>> = HashMap::default();
    for (i, build) in builds.iter().enumerate() {
        for (file, chain) in &build.members {
            for &j in by_entry.get(file.as_str()).into_iter().flatten() {
                if j != i {
                    includes.entry(i).or_default().push((j, chain));
                }
            }
        }
    }
    let mut queue: Vec<usize> = includes.keys().copied().collect();
    while let Some(from) = queue.pop() {
        for (to, chain) in includes.get(&from).map(Vec::as_slice).unwrap_or_default() {
            let mut add = roots[from].clone();
            for t in chain.iter() {
                merge(&mut add, &holding(config, &t.file));
            }
            let before = roots[*to].len();
            merge(&mut roots[*to], &add);
            if roots[*to].len() != before {
                queue.push(*to);
            }
        }
    }
    roots
}
