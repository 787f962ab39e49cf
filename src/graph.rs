//! The kustomize and Flux graph of a repository: which kustomizations and Flux Kustomizations
//! include which manifest, with which namespace, name prefix and suffix; and the SealedSecret
//! checks that need it (moved after sealing, no namespace at all).
//!
//! Built once per scan from facts the file scans collect; paths are root-relative.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::crypto::Scope;
use crate::yaml::Node;

pub const MOVED: &str = "sealed-moved";
pub const NO_NAMESPACE: &str = "sealed-no-namespace";

/// What one document contributes to the graph.
#[derive(Clone, Debug)]
pub enum Fact {
    /// A kustomize Kustomization in `path` (its directory is the base for `resources`).
    Kustomization {
        path: String,
        transform: Transform,
        resources: Vec<String>,
    },
    /// A Flux Kustomization: builds `dir` (root-relative) into `target_namespace`.
    Flux {
        path: String,
        line: usize,
        dir: String,
        target_namespace: Option<String>,
    },
    /// A SealedSecret as sealed: its own namespace, name and scope, and where its name stands.
    Sealed {
        path: String,
        line: usize,
        column: usize,
        name: String,
        namespace: Option<String>,
        scope: Scope,
    },
}

/// What a kustomization (or a Flux Kustomization) does to the names of what it includes.
#[derive(Clone, Debug, Default)]
pub struct Transform {
    /// The file that sets it, for messages.
    pub file: String,
    pub namespace: Option<String>,
    pub prefix: String,
    pub suffix: String,
}

/// A problem the graph shows for one SealedSecret.
#[derive(Debug, PartialEq, Eq)]
pub struct GraphFinding {
    pub rule: &'static str,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Facts of one parsed document (`path` is root-relative).
pub fn facts_of(
    root: &Node,
    path: &str,
    file_name: &str,
    line_col: impl Fn(usize) -> (usize, usize),
) -> Option<Fact> {
    let kind = root.str_at(&["kind"]);
    let api = root.str_at(&["apiVersion"]).unwrap_or_default();
    match kind {
        Some("Kustomization") if api.starts_with("kustomize.toolkit.fluxcd.io") => {
            let dir = root.str_at(&["spec", "path"])?;
            let (line, _) = line_col(root.at(&["spec", "path"])?.span.start);
            Some(Fact::Flux {
                path: path.to_string(),
                line,
                dir: normalize(dir.trim_start_matches("./")),
                target_namespace: root
                    .str_at(&["spec", "targetNamespace"])
                    .map(str::to_string),
            })
        }
        Some("Kustomization") | Some("Component") | None
            if crate::detect::is_kustomization_file(file_name) =>
        {
            kustomization(root, path)
        }
        Some("Kustomization") if api.starts_with("kustomize.config.k8s.io") => {
            kustomization(root, path)
        }
        Some("SealedSecret") => {
            let name_node = root.at(&["metadata", "name"])?;
            let (line, column) = line_col(name_node.span.start);
            let annotations = root.at(&["metadata", "annotations"]);
            Some(Fact::Sealed {
                path: path.to_string(),
                line,
                column,
                name: name_node.as_str()?.to_string(),
                namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
                scope: Scope::from_annotations(|k| annotations?.get(k)?.as_str()),
            })
        }
        _ => None,
    }
}

fn kustomization(root: &Node, path: &str) -> Option<Fact> {
    let list = |field: &str| {
        root.get(field)
            .map(|n| {
                n.items()
                    .iter()
                    .filter_map(Node::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let mut resources = list("resources");
    resources.extend(list("bases"));
    resources.extend(list("components"));
    Some(Fact::Kustomization {
        path: path.to_string(),
        transform: Transform {
            file: path.to_string(),
            namespace: root.str_at(&["namespace"]).map(str::to_string),
            prefix: root.str_at(&["namePrefix"]).unwrap_or_default().to_string(),
            suffix: root.str_at(&["nameSuffix"]).unwrap_or_default().to_string(),
        },
        resources,
    })
}

/// `a/./b/../c` → `a/c`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
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
    pub fn new(facts: &'a [Fact], files: &'a [String], bases: &'a [String]) -> Graph<'a> {
        let kustomizations = facts
            .iter()
            .filter_map(|f| match f {
                Fact::Kustomization {
                    path,
                    transform,
                    resources,
                } => Some((dir_of(path).to_string(), (transform, resources.as_slice()))),
                _ => None,
            })
            .collect();
        let mut files: Vec<&str> = files.iter().map(String::as_str).collect();
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

    /// For every file reachable from an entry point: the chains of transforms (innermost
    /// first) that a deployment applies to it.
    pub fn reach(&self) -> BTreeMap<String, Vec<Vec<Transform>>> {
        let mut reached: BTreeMap<String, Vec<Vec<Transform>>> = BTreeMap::new();
        let included: HashSet<String> = self
            .kustomizations
            .iter()
            .flat_map(|(dir, (_, resources))| resources.iter().map(move |r| join(dir, r)))
            .collect();
        let mut flux_dirs = HashSet::new();
        for fact in self.facts {
            if let Fact::Flux {
                path,
                dir,
                target_namespace,
                ..
            } = fact
            {
                let dir = &self.resolve_flux_path(dir);
                flux_dirs.insert(dir.clone());
                let outer = Transform {
                    file: path.clone(),
                    namespace: target_namespace.clone(),
                    ..Transform::default()
                };
                if self.kustomizations.contains_key(dir) {
                    self.visit(dir, vec![outer], &mut reached, &mut Vec::new());
                } else {
                    // Flux generates a kustomization of every manifest under the path.
                    for file in self.files_under(dir) {
                        reached
                            .entry(file.to_string())
                            .or_default()
                            .push(vec![outer.clone()]);
                    }
                }
            }
        }
        for dir in self.kustomizations.keys() {
            if !included.contains(dir) && !flux_dirs.contains(dir) {
                self.visit(dir, Vec::new(), &mut reached, &mut Vec::new());
            }
        }
        reached
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
    /// the including levels, outermost first.
    fn visit(
        &self,
        dir: &str,
        outer: Vec<Transform>,
        reached: &mut BTreeMap<String, Vec<Vec<Transform>>>,
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
        for resource in resources.iter() {
            let target = join(dir, resource);
            if self.kustomizations.contains_key(&target) {
                self.visit(&target, chain.clone(), reached, stack);
            } else {
                let mut innermost_first = chain.clone();
                innermost_first.reverse();
                reached.entry(target).or_default().push(innermost_first);
            }
        }
        stack.pop();
    }

    /// The SealedSecret checks that need the graph.
    pub fn check(&self) -> Vec<GraphFinding> {
        let reached = self.reach();
        let mut out = Vec::new();
        for fact in self.facts {
            let Fact::Sealed {
                path,
                line,
                column,
                name,
                namespace,
                scope,
            } = fact
            else {
                continue;
            };
            let chains = reached.get(path).map(Vec::as_slice).unwrap_or_default();
            let at = |rule, message| GraphFinding {
                rule,
                path: path.clone(),
                line: *line,
                column: *column,
                message,
            };
            if namespace.is_none()
                && scope.needs_namespace()
                && !chains
                    .iter()
                    .any(|c| c.iter().any(|t| t.namespace.is_some()))
            {
                out.push(at(NO_NAMESPACE, format!("{scope} SealedSecret {name:?} has no namespace, and no kustomization or Flux Kustomization that includes it sets one: it only decrypts in the namespace kubeseal assumed")));
            }
            for chain in chains {
                if let Some(message) = moved(name, namespace.as_deref(), *scope, chain) {
                    out.push(at(MOVED, message));
                }
            }
        }
        out.sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
        out.dedup();
        out
    }
}

/// What a chain of transforms makes of a SealedSecret, if that breaks its scope.
fn moved(name: &str, namespace: Option<&str>, scope: Scope, chain: &[Transform]) -> Option<String> {
    let mut effective_name = name.to_string();
    let mut effective_ns = namespace.map(str::to_string);
    let mut renamed_by = Vec::new();
    let mut moved_by = None;
    for t in chain {
        if !t.prefix.is_empty() || !t.suffix.is_empty() {
            effective_name = format!("{}{effective_name}{}", t.prefix, t.suffix);
            renamed_by.push(t.file.as_str());
        }
        if let Some(ns) = &t.namespace {
            if effective_ns.as_deref() != Some(ns) {
                moved_by = Some(t.file.as_str());
            }
            effective_ns = Some(ns.clone());
        }
    }
    let ns_changed =
        namespace.is_some() && effective_ns.as_deref() != namespace && moved_by.is_some();
    let name_changed = effective_name != name;
    let breaks = match scope {
        Scope::Strict => ns_changed || name_changed,
        Scope::NamespaceWide => ns_changed,
        Scope::ClusterWide => false,
    };
    if !breaks {
        return None;
    }
    let sealed_for = format!("{}/{name}", namespace.unwrap_or("?"));
    let applied_as = format!(
        "{}/{effective_name}",
        effective_ns.as_deref().unwrap_or("?")
    );
    let mut by = Vec::new();
    if ns_changed {
        by.push(format!("{} sets the namespace", moved_by.unwrap_or("?")));
    }
    if name_changed && scope == Scope::Strict {
        by.push(format!("{} renames it", renamed_by.join(" and ")));
    }
    Some(format!(
        "{scope} SealedSecret sealed for {sealed_for} would be applied as {applied_as} ({}): the controller can never decrypt it; re-seal it for {applied_as}",
        by.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(file: &str, ns: Option<&str>, prefix: &str) -> Transform {
        Transform {
            file: file.into(),
            namespace: ns.map(Into::into),
            prefix: prefix.into(),
            suffix: String::new(),
        }
    }

    #[test]
    fn scopes_break_on_what_they_bind() {
        let chain = [t("k.yaml", Some("other"), "")];
        assert!(moved("db", Some("prod"), Scope::Strict, &chain).is_some());
        assert!(moved("db", Some("prod"), Scope::NamespaceWide, &chain).is_some());
        assert!(moved("db", Some("prod"), Scope::ClusterWide, &chain).is_none());
        let renamed = [t("k.yaml", None, "dev-")];
        let message = moved("db", Some("prod"), Scope::Strict, &renamed).unwrap();
        assert!(
            message.contains("prod/dev-db") && message.contains("k.yaml renames it"),
            "{message}"
        );
        assert!(moved("db", Some("prod"), Scope::NamespaceWide, &renamed).is_none());
        assert!(
            moved(
                "db",
                Some("prod"),
                Scope::Strict,
                &[t("k.yaml", Some("prod"), "")]
            )
            .is_none(),
            "same namespace"
        );
    }

    #[test]
    fn the_outermost_namespace_wins() {
        let chain = [
            t("inner.yaml", Some("prod"), ""),
            t("outer.yaml", Some("staging"), ""),
        ];
        let message = moved("db", Some("prod"), Scope::Strict, &chain).unwrap();
        assert!(
            message.contains("staging/db") && message.contains("outer.yaml sets the namespace"),
            "{message}"
        );
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("./a/./b/../c/"), "a/c");
        assert_eq!(join("apps/x/overlays/dev", "../../base"), "apps/x/base");
    }
}
