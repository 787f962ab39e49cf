//! `sealant where`: every build that deploys a file, the chain of Flux Kustomizations and
//! kustomizations that leads to it, what becomes of its Secrets' names and namespaces, and
//! which pinned cert applies and why.

use serde_json::Value;

use super::{apply, Build, Chain, Deployments, Fact, Graph};
use crate::config::{Config, PinnedCert};
use crate::crypto::{Scope, CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};

/// A Secret or SealedSecret document of the file, as written.
#[derive(Clone, Debug)]
pub struct Object {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// Its annotation's; for a Secret without one, what `scan --fix` would seal it with.
    pub scope: Scope,
}

/// The Secrets and SealedSecrets among parsed documents (a List's items too).
pub fn objects(docs: &[Value], default_scope: Option<Scope>) -> Vec<Object> {
    let mut out = Vec::new();
    for doc in docs {
        let items = match doc["kind"].as_str() {
            Some("List") => doc["items"].as_array().cloned().unwrap_or_default(),
            _ => vec![doc.clone()],
        };
        for item in items {
            let kind = item["kind"].as_str().unwrap_or_default();
            if !matches!(kind, "Secret" | "SealedSecret") {
                continue;
            }
            let meta = &item["metadata"];
            let annotations = &meta["annotations"];
            // As `scan --fix` seals a Secret: its annotation, else `scope:`, else strict.
            let annotated = [CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION]
                .iter()
                .any(|k| !annotations[k].is_null());
            let scope = match (kind, annotated) {
                ("Secret", false) => default_scope.unwrap_or(Scope::Strict),
                _ => Scope::from_annotations(|k| annotations[k].as_str()),
            };
            out.push(Object {
                kind: kind.to_string(),
                name: meta["name"].as_str().unwrap_or_default().to_string(),
                namespace: meta["namespace"].as_str().map(str::to_string),
                scope,
            });
        }
    }
    out
}

/// One level of a deployment chain, outermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A Flux Kustomization building `path` (root-relative), maybe into `target_namespace`.
    Flux {
        file: String,
        path: String,
        target_namespace: Option<String>,
    },
    /// An Argo CD Application (or ApplicationSet) source building `path`; its destination
    /// `namespace` fills in a missing one.
    Argo {
        file: String,
        path: String,
        namespace: Option<String>,
    },
    /// A kustomization with what it does to names.
    Kustomization {
        file: String,
        namespace: Option<String>,
        prefix: String,
        suffix: String,
    },
}

/// Why a pinned cert applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why<'c> {
    /// The entry's `roots:` hold this root, which deploys the file.
    Root(&'c str),
    /// The entry's `paths:` match the file.
    Paths,
}

/// One build that deploys the file.
pub struct Deployment<'c> {
    /// Its entry point: a Flux Kustomization or a top-level kustomization.
    pub entry: String,
    pub steps: Vec<Step>,
    pub chain: Chain,
    pub certs: Vec<(&'c PinnedCert, Why<'c>)>,
}

impl Deployment<'_> {
    /// The namespace and name `object` gets in this build.
    pub fn applied(&self, object: &Object) -> (Option<String>, String) {
        let applied = apply(&object.name, object.namespace.as_deref(), &self.chain);
        let argo = self.steps.iter().find_map(|s| match s {
            Step::Argo { namespace, .. } => namespace.clone(),
            _ => None,
        });
        (applied.namespace.or(argo), applied.name)
    }
}

/// Every build that deploys `file` (root-relative), in the order of their entries.
pub fn deployments<'c>(graph: &Graph, config: &'c Config, file: &str) -> Vec<Deployment<'c>> {
    let builds = graph.builds();
    let roots = Deployments::new(config, &builds);
    let mut out = Vec::new();
    for (i, build) in builds.iter().enumerate() {
        for (member, chain) in &build.members {
            if member != file {
                continue;
            }
            out.push(Deployment {
                entry: build.entry.clone(),
                steps: steps(graph.facts, build, chain, file),
                chain: chain.clone(),
                certs: certs(&roots, config, i, chain, file),
            });
        }
    }
    out
}

/// The certs for a file no build deploys: by `paths:`.
pub fn undeployed_cert<'c>(config: &'c Config, file: &str) -> Option<(&'c PinnedCert, Why<'c>)> {
    config.cert_for(file).map(|c| (c, Why::Paths))
}

fn certs<'c>(
    roots: &Deployments<'c>,
    config: &'c Config,
    build: usize,
    chain: &[super::Transform],
    file: &str,
) -> Vec<(&'c PinnedCert, Why<'c>)> {
    let by_roots = roots.certs_of(&roots.of_member(build, chain));
    if by_roots.is_empty() {
        return undeployed_cert(config, file).into_iter().collect();
    }
    by_roots
        .into_iter()
        .map(|(cert, root)| (cert, root.map_or(Why::Paths, Why::Root)))
        .collect()
}

/// The chain as steps, outermost first. `member` is the file traced: of several entries in one
/// file (Flux Kustomizations, an Argo app's sources), the build's is the one whose directory
/// holds it.
fn steps(facts: &[Fact], build: &Build, chain: &Chain, member: &str) -> Vec<Step> {
    // The entry's fact: only the outermost transform can be a Flux or Argo CD entry.
    let entry = |file: &str, strict: bool| {
        let holds = |dir: &str| !strict || crate::paths::is_under(member, dir);
        facts.iter().find_map(|f| match f {
            Fact::Flux {
                path,
                dir,
                target_namespace,
                ..
            } if path == file && *path == build.entry && holds(dir) => Some(Step::Flux {
                file: path.clone(),
                path: dir.clone(),
                target_namespace: target_namespace.clone(),
            }),
            Fact::Argo {
                path,
                dir,
                namespace,
                ..
            } if path == file && *path == build.entry && holds(dir) => Some(Step::Argo {
                file: path.clone(),
                path: dir.clone(),
                namespace: namespace.clone(),
            }),
            _ => None,
        })
    };
    chain
        .iter()
        .rev()
        .map(|t| {
            entry(&t.file, true)
                .or_else(|| entry(&t.file, false))
                .unwrap_or_else(|| Step::Kustomization {
                    file: t.file.clone(),
                    namespace: t.namespace.clone(),
                    prefix: t.prefix.clone(),
                    suffix: t.suffix.clone(),
                })
        })
        .collect()
}
