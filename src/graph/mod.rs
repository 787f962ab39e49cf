//! The kustomize and Flux graph of a repository: which kustomizations and Flux Kustomizations
//! include which manifest, with which namespace, name prefix and suffix; and the checks that
//! need it: SealedSecrets moved after sealing or without a namespace, workloads referring to
//! Secrets their build does not provide, and (with private keys) decryption under the label a
//! deployment applies.
//!
//! Built once per scan from facts the file scans collect; paths are root-relative.

mod decrypt;
mod facts;
mod moved;
mod refs;
mod roots;
pub mod trace;
mod wrong_key;

use crate::config::{Config, PinnedCert};
use crate::crypto::PrivateKey;
use crate::paths::join;

pub use facts::{facts_of, may_give_facts, Fact, Provider, SealedValue, SecretRef, Transform};
pub use moved::{MOVED, NO_NAMESPACE};
pub use refs::{MISSING_KEY, MISSING_SECRET};
pub use roots::{Deployments, Root};

/// Maps and sets of the graph's paths and names, with foldhash's seeded hasher: SipHash was a
/// quarter of the serial work after a big tree's walk, and a per-process seed still keeps a
/// repository from choosing colliding paths.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// One way a deployment reaches a SealedSecret's file: the transforms it applies, and the
/// pinned certs of the clusters it deploys to (by their `roots:`; empty when none says).
pub struct Reach<'a> {
    pub chain: &'a [Transform],
    pub clusters: Vec<(&'a PinnedCert, Option<&'a str>)>,
}

/// "cert `NAME` (deployed from ROOT)": which cluster a finding is about, for messages.
pub(crate) fn cluster_name(cert: &PinnedCert, root: Option<&str>) -> String {
    match root {
        Some(root) => format!(
            "cert `{}` (deployed from {})",
            cert.name,
            crate::config::shown_root(root)
        ),
        None => format!("cert `{}`", cert.name),
    }
}

/// A problem the graph shows.
#[derive(Debug, PartialEq, Eq)]
pub struct GraphFinding {
    pub rule: &'static str,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What it is about (objects, names, keys; never shown): with the path, its fingerprint.
    pub identity: String,
}

/// One build: an entry point (a top-level kustomization, a Flux Kustomization or an Argo CD
/// Application's source) and every
/// file it includes, each with the transforms applied to it, innermost first. Members of one
/// kustomization share their chain: a copy per member cost most of a scan's memory.
pub struct Build {
    pub entry: String,
    pub members: Vec<(String, Chain)>,
}

/// The transforms a deployment applies to a file, innermost first; shared by every file a
/// kustomization includes (builds of big trees hold hundreds of thousands of members).
pub type Chain = std::sync::Arc<[Transform]>;

/// What a chain of transforms makes of a name and namespace, and which files did it.
pub struct Applied<'a> {
    pub name: String,
    pub namespace: Option<String>,
    pub renamed_by: Vec<&'a str>,
    /// The last file that set a namespace other than the one before it.
    pub moved_by: Option<&'a str>,
}

/// Applies a chain (innermost first) to a name and namespace.
pub fn apply<'a>(name: &str, namespace: Option<&str>, chain: &'a [Transform]) -> Applied<'a> {
    let mut applied = Applied {
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        renamed_by: Vec::new(),
        moved_by: None,
    };
    for t in chain {
        if !t.prefix.is_empty() || !t.suffix.is_empty() {
            applied.name = format!("{}{}{}", t.prefix, applied.name, t.suffix);
            applied.renamed_by.push(t.file.as_str());
        }
        if let Some(ns) = &t.namespace {
            if applied.namespace.as_deref() != Some(ns) {
                applied.moved_by = Some(t.file.as_str());
            }
            applied.namespace = Some(ns.clone());
        }
    }
    applied
}

/// `a/./b/../c` → `a/c`; a `..` above the root stays (see `crate::paths::join`).
pub fn normalize(path: &str) -> String {
    crate::paths::normalize(path)
}

/// `.yaml` or `.yml`, as Flux's generated kustomization takes (not `.json`, not `.YAML`).
fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The graph: kustomizations by directory, and the files each entry point reaches.
pub struct Graph<'a> {
    kustomizations: HashMap<String, (&'a Transform, &'a [String])>,
    facts: &'a [Fact],
    /// Every manifest file the scan saw, to expand directories a Flux Kustomization builds
    /// without a kustomization of its own; sorted, so a directory's files are one range.
    files: Vec<&'a str>,
    /// Scanned directories (root-relative): a Flux `spec.path` may be relative to one of them
    /// when a repository is scanned from a subdirectory holding the GitOps tree.
    bases: &'a [String],
}

impl<'a> Graph<'a> {
    pub fn new(facts: &'a [Fact], mut files: Vec<&'a str>, bases: &'a [String]) -> Graph<'a> {
        let kustomizations = facts
            .iter()
            .filter_map(|f| match f {
                Fact::Kustomization {
                    path,
                    transform,
                    resources,
                    ..
                } => Some((dir_of(path).to_string(), (transform, resources.as_slice()))),
                _ => None,
            })
            .collect();
        files.sort_unstable();
        Graph {
            kustomizations,
            facts,
            files,
            bases,
        }
    }

    /// The manifest files under `dir` (all of them for the root), by binary search.
    fn files_under(&self, dir: &str) -> &[&'a str] {
        if dir.is_empty() {
            return &self.files;
        }
        let prefix = format!("{dir}/");
        let start = self.files.partition_point(|f| *f < prefix.as_str());
        let len = self.files[start..].partition_point(|f| f.starts_with(&prefix));
        &self.files[start..start + len]
    }

    /// Every build: Flux Kustomizations, Argo CD Applications' sources, and kustomizations
    /// nothing else includes.
    pub fn builds(&self) -> Vec<Build> {
        let included: HashSet<String> = self
            .kustomizations
            .iter()
            .flat_map(|(dir, (_, resources))| resources.iter().map(move |r| join(dir, r)))
            .collect();
        let mut builds = Vec::new();
        let mut flux_dirs = HashSet::default();
        for fact in self.facts {
            let (path, dir, outer, recurse, flux) = match fact {
                Fact::Flux {
                    path,
                    dir,
                    target_namespace,
                    ..
                } => {
                    let outer = Transform {
                        file: path.clone(),
                        namespace: target_namespace.clone(),
                        ..Transform::default()
                    };
                    (path, dir, outer, true, true)
                }
                // Argo CD's destination namespace only fills in a missing one: no transform;
                // its kustomize options are one, where the directory is a kustomization.
                Fact::Argo {
                    path,
                    dir,
                    recurse,
                    kustomize,
                    ..
                } => {
                    let built = self
                        .kustomizations
                        .contains_key(&self.resolve_flux_path(dir));
                    let outer = match built {
                        true => kustomize.clone(),
                        false => Transform {
                            file: path.clone(),
                            ..Transform::default()
                        },
                    };
                    (path, dir, outer, *recurse, false)
                }
                _ => continue,
            };
            let dir = &self.resolve_flux_path(dir);
            flux_dirs.insert(dir.clone());
            let mut build = Build {
                entry: path.clone(),
                members: Vec::new(),
            };
            if self.kustomizations.contains_key(dir) {
                self.visit(dir, vec![outer], &mut build.members, &mut Vec::new());
            } else if flux {
                flux_dirs.extend(self.generated(dir, outer, &mut build.members));
            } else {
                // Argo CD takes the manifests directly in the path unless told to recurse.
                let chain: Chain = std::sync::Arc::from(vec![outer]);
                let depth = |file: &&&str| {
                    recurse || !file[dir.len()..].trim_start_matches('/').contains('/')
                };
                for file in self.files_under(dir).iter().filter(depth) {
                    build.members.push((file.to_string(), chain.clone()));
                }
            }
            builds.push(build);
        }
        let mut roots: Vec<&String> = self
            .kustomizations
            .keys()
            .filter(|dir| !included.contains(*dir) && !flux_dirs.contains(*dir))
            .collect();
        roots.sort_unstable();
        for dir in roots {
            let mut build = Build {
                entry: self.kustomizations[dir].0.file.clone(),
                members: Vec::new(),
            };
            self.visit(dir, Vec::new(), &mut build.members, &mut Vec::new());
            builds.push(build);
        }
        builds.sort_by(|a, b| a.entry.cmp(&b.entry));
        builds
    }

    /// What the kustomization Flux generates for a path without one takes: every manifest
    /// under it, except that a subdirectory with a kustomization is built as that kustomization
    /// (Flux adds the directory as a resource and does not look inside it). Gives those
    /// subdirectories: they are not builds of their own.
    fn generated(
        &self,
        dir: &str,
        outer: Transform,
        members: &mut Vec<(String, Chain)>,
    ) -> Vec<String> {
        let chain: Chain = std::sync::Arc::from(vec![outer.clone()]);
        let mut built: Vec<String> = Vec::new();
        for file in self.files_under(dir) {
            match self.outermost_kustomization(dir, file) {
                // Flux's generator takes YAML files only.
                None if !is_yaml(file) => {}
                // Files are sorted, so a subdirectory's files are one run.
                Some(sub) if built.last().is_some_and(|b| b == sub) => {}
                Some(sub) => {
                    self.visit(sub, vec![outer.clone()], members, &mut Vec::new());
                    built.push(sub.to_string());
                }
                None => members.push((file.to_string(), chain.clone())),
            }
        }
        built
    }

    /// The first directory with a kustomization on the way down from `dir` (exclusive) to
    /// `file`'s directory (inclusive).
    fn outermost_kustomization<'f>(&self, dir: &str, file: &'f str) -> Option<&'f str> {
        let start = if dir.is_empty() { 0 } else { dir.len() + 1 };
        file[start..]
            .match_indices('/')
            .map(|(i, _)| &file[..start + i])
            .find(|sub| self.kustomizations.contains_key(*sub))
    }

    /// `spec.path` as it stands under the root or, failing that, under a scanned directory.
    fn resolve_flux_path(&self, dir: &str) -> String {
        let exists =
            |d: &str| self.kustomizations.contains_key(d) || !self.files_under(d).is_empty();
        std::iter::once(dir.to_string())
            .chain(self.bases.iter().map(|b| join(b, dir)))
            .find(|d| exists(d))
            .unwrap_or_else(|| dir.to_string())
    }

    /// Follows `resources` from the kustomization in `dir`; `outer` holds the transforms of
    /// the including levels, outermost first. The kustomization itself is a member too: its
    /// secretGenerators are part of the build.
    fn visit(
        &self,
        dir: &str,
        outer: Vec<Transform>,
        members: &mut Vec<(String, Chain)>,
        stack: &mut Vec<String>,
    ) {
        let Some((transform, resources)) = self.kustomizations.get(dir) else {
            return;
        };
        if stack.iter().any(|d| d == dir) || stack.len() > 64 {
            return; // a cycle: kustomize refuses it, so do we (quietly: it is not ours to report)
        }
        stack.push(dir.to_string());
        let mut chain = outer;
        chain.push((*transform).clone());
        let innermost_first: Chain = chain.iter().rev().cloned().collect();
        members.push((transform.file.clone(), innermost_first.clone()));
        for resource in resources.iter() {
            let target = join(dir, resource);
            if crate::paths::is_outside(&target) {
                continue; // above the repository root: kustomize refuses it, and no file is ours
            }
            if self.kustomizations.contains_key(&target) {
                self.visit(&target, chain.clone(), members, stack);
            } else {
                members.push((target, innermost_first.clone()));
            }
        }
        stack.pop();
    }

    /// Every check that needs the graph; decryption only when private keys are given. A
    /// SealedSecret is judged for each cluster whose `roots:` deploy it.
    pub fn check(&self, keys: Option<&[PrivateKey]>, config: &Config) -> Checked {
        check_builds(self.facts, &self.builds(), keys, config)
    }
}

/// [`Graph::check`] on builds made before: `facts` must hold the shape facts (kustomizations,
/// Flux Kustomizations, Argo CD sources) that the builds were made from, and may hold more of
/// the other kinds.
pub fn check_builds(
    facts: &[Fact],
    builds: &[Build],
    keys: Option<&[PrivateKey]>,
    config: &Config,
) -> Checked {
    let deployments = Deployments::new(config, builds);
    // The chains that reach each SealedSecret's file: the only files these checks look up.
    let sealed: HashSet<&str> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::Sealed { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    let mut reached: HashMap<&str, Vec<Reach>> = HashMap::default();
    for (i, build) in builds.iter().enumerate() {
        for (file, chain) in &build.members {
            if sealed.contains(file.as_str()) {
                let clusters = deployments.clusters(i, chain, file);
                reached
                    .entry(file)
                    .or_default()
                    .push(Reach { chain, clusters });
            }
        }
    }
    let mut out = Vec::new();
    moved::check(facts, &reached, &mut out); // looks up Fact::Sealed paths only
    refs::check(facts, builds, &mut out);
    let mut unpinned = Vec::new();
    if config.has_roots() {
        wrong_key::check(facts, &deployments, &mut out, &mut unpinned);
    }
    if let Some(keys) = keys {
        decrypt::check(facts, &reached, keys, &deployments, &mut out);
    }
    out.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule, &a.identity, &a.message).cmp(&(
            &b.path,
            b.line,
            b.column,
            b.rule,
            &b.identity,
            &b.message,
        ))
    });
    // One finding per fingerprint: a file one cert reaches through two roots is one
    // finding, not two that differ only in the root they name.
    out.dedup_by(|b, a| {
        (a.rule, &a.path, a.line, a.column, &a.identity)
            == (b.rule, &b.path, b.line, b.column, &b.identity)
    });
    unpinned.sort_unstable();
    Checked {
        findings: out,
        unpinned,
    }
}

/// What the graph checks found.
pub struct Checked {
    pub findings: Vec<GraphFinding>,
    /// With `roots:` configured: the files with SealedSecrets no pinned cert applies to
    /// (sorted), whose values are checked for shape only.
    pub unpinned: Vec<String>,
}

/// The note for a file [`Checked::unpinned`] names.
pub const UNPINNED_NOTE: &str = "no pinned cert applies to this file (no root deploys it, no `paths:` match it; nor possibly others): its SealedSecrets are checked for shape only";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argo_cd_directory_source_takes_subdirectories_only_when_it_recurses() {
        let files = vec!["apps/a/s.yaml", "apps/a/sub/t.yaml", "argocd/app.yaml"];
        for (recurse, want) in [
            (false, vec!["apps/a/s.yaml"]),
            (true, vec!["apps/a/s.yaml", "apps/a/sub/t.yaml"]),
        ] {
            let facts = [Fact::Argo {
                path: "argocd/app.yaml".into(),
                dir: "apps/a".into(),
                namespace: Some("prod".into()),
                recurse,
                kustomize: Transform::default(),
            }];
            let builds = Graph::new(&facts, files.clone(), &[]).builds();
            let members: Vec<&str> = builds[0].members.iter().map(|(f, _)| f.as_str()).collect();
            assert_eq!(members, want);
            assert!(builds[0].members[0].1[0].namespace.is_none(), "no override");
        }
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("./a/./b/../c/"), "a/c");
        assert_eq!(join("apps/x/overlays/dev", "../../base"), "apps/x/base");
        assert_eq!(join("", "../a"), "../a");
        assert_eq!(normalize("../../a"), "../../a", "a `..` never drops a `..`");
        assert_eq!(normalize("a/../../b"), "../b");
        assert_eq!(join("a", "/b//c/.."), "a/b");
    }
}
