//! Workloads that refer to a Secret, or a key of one, that nothing in their build provides.

use std::collections::{HashMap, HashSet};

use super::{apply, Build, Fact, GraphFinding, Transform};

pub const MISSING_SECRET: &str = "sealed-ref-missing-secret";
pub const MISSING_KEY: &str = "sealed-ref-missing-key";

/// A Secret that a build makes, as a deployment applies it.
struct Provided<'a> {
    /// What a reference must say to reach it (a renamed Secret's references are renamed too).
    names: Vec<String>,
    /// The name in its manifest.
    original: &'a str,
    namespace: Option<String>,
    keys: Option<&'a [String]>,
    what: String,
}

pub fn check(facts: &[Fact], builds: &[Build], out: &mut Vec<GraphFinding>) {
    let mut by_path: HashMap<&str, Vec<&Fact>> = HashMap::new();
    for fact in facts {
        if let Some(path) = path_of(fact) {
            by_path.entry(path).or_default().push(fact);
        }
    }
    let mut reported = HashSet::new();
    for build in builds {
        let members = || {
            build.members.iter().flat_map(|(file, chain)| {
                let facts = by_path.get(file.as_str()).map(Vec::as_slice);
                facts.unwrap_or_default().iter().map(move |f| (*f, chain))
            })
        };
        if !members().any(|(f, _)| matches!(f, Fact::Workload { .. })) {
            continue;
        }
        let provided: Vec<Provided> = members()
            .flat_map(|(fact, chain)| provided_by(fact, chain))
            .collect();
        for (fact, chain) in members() {
            workload(fact, chain, &provided, &build.entry, &mut reported, out);
        }
    }
}

fn path_of(fact: &Fact) -> Option<&str> {
    match fact {
        Fact::Kustomization { path, .. }
        | Fact::Sealed { path, .. }
        | Fact::Provider { path, .. }
        | Fact::Workload { path, .. } => Some(path),
        Fact::Flux { .. } => None,
    }
}

fn provided_by<'a>(fact: &'a Fact, chain: &[Transform]) -> Vec<Provided<'a>> {
    match fact {
        Fact::Sealed {
            path,
            name,
            namespace,
            keys,
            ..
        } => {
            let applied = apply(name, namespace.as_deref(), chain);
            vec![Provided {
                names: vec![applied.name],
                original: name,
                namespace: applied.namespace,
                keys: Some(keys),
                what: format!("SealedSecret {name:?} ({path})"),
            }]
        }
        Fact::Provider { path, provider } => vec![provided(provider, path, chain)],
        Fact::Kustomization {
            path, generators, ..
        } => generators
            .iter()
            .map(|g| provided(g, path, chain))
            .collect(),
        _ => Vec::new(),
    }
}

fn provided<'a>(p: &'a super::Provider, path: &str, chain: &[Transform]) -> Provided<'a> {
    let applied = apply(&p.name, p.namespace.as_deref(), chain);
    let names = if p.fixed_name {
        vec![p.name.clone()]
    } else if p.refs_follow_renames {
        vec![p.name.clone(), applied.name]
    } else {
        vec![applied.name]
    };
    Provided {
        names,
        original: &p.name,
        namespace: applied.namespace,
        keys: p.keys.as_deref(),
        what: format!("{} {:?} ({path})", p.kind, p.name),
    }
}

fn workload(
    fact: &Fact,
    chain: &[Transform],
    provided: &[Provided],
    entry: &str,
    reported: &mut HashSet<(String, usize, usize)>,
    out: &mut Vec<GraphFinding>,
) {
    let Fact::Workload {
        path,
        kind,
        name,
        namespace,
        refs,
    } = fact
    else {
        return;
    };
    let applied = apply(name, namespace.as_deref(), chain);
    let same_namespace = |p: &&Provided| match (&p.namespace, &applied.namespace) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    for r in refs {
        let candidates: Vec<&Provided> = provided
            .iter()
            .filter(same_namespace)
            .filter(|p| p.names.contains(&r.secret))
            .collect();
        let message = if candidates.is_empty() {
            let ns = applied
                .namespace
                .as_deref()
                .map(|n| format!(" in namespace {n:?}"))
                .unwrap_or_default();
            let renamed = provided
                .iter()
                .filter(same_namespace)
                .find(|p| p.original == r.secret)
                .map(|p| format!("; {} is applied as {:?}, and kustomize rewrites references only to Secrets and secretGenerators, so refer to that name", p.what, p.names[0]))
                .unwrap_or_default();
            format!("{kind} {name:?} refers to Secret {:?} ({}) but nothing in the build of {entry} provides it{ns}, so the pod cannot start{renamed}", r.secret, r.via)
        } else if let Some(key) = &r.key {
            let all_known = candidates.iter().all(|p| p.keys.is_some());
            if !all_known || candidates.iter().any(|p| p.keys.unwrap().contains(key)) {
                continue;
            }
            let have = candidates[0].keys.unwrap_or_default().join(", ");
            format!(
                "{kind} {name:?} needs key {key:?} of Secret {:?} ({}), which {} lacks (it has: {have})",
                r.secret, r.via, candidates[0].what
            )
        } else {
            continue;
        };
        if reported.insert((path.clone(), r.line, r.column)) {
            let rule = if candidates.is_empty() {
                MISSING_SECRET
            } else {
                MISSING_KEY
            };
            let ns = namespace.as_deref().unwrap_or_default();
            let key = r.key.as_deref().unwrap_or_default();
            out.push(GraphFinding {
                rule,
                path: path.clone(),
                line: r.line,
                column: r.column,
                message,
                identity: format!("{kind} {ns}/{name} {} {} {key}", r.via, r.secret),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Provider, SecretRef};

    fn workload(secret: &str, key: Option<&str>) -> Fact {
        Fact::Workload {
            path: "app.yaml".into(),
            kind: "Deployment".into(),
            name: "app".into(),
            namespace: None,
            refs: vec![SecretRef {
                secret: secret.into(),
                key: key.map(Into::into),
                via: "secretKeyRef",
                line: 1,
                column: 1,
            }],
        }
    }

    fn secret(name: &str, namespace: Option<&str>) -> Fact {
        Fact::Provider {
            path: "secret.yaml".into(),
            provider: Provider {
                kind: "Secret",
                name: name.into(),
                namespace: namespace.map(Into::into),
                keys: Some(vec!["a".into()]),
                refs_follow_renames: true,
                fixed_name: false,
            },
        }
    }

    /// Both files in one build whose kustomization sets `prefix` and `namespace`.
    fn rules(facts: &[Fact], prefix: &str, namespace: Option<&str>) -> Vec<&'static str> {
        let chain: crate::graph::Chain = std::sync::Arc::new([Transform {
            file: "kustomization.yaml".into(),
            namespace: namespace.map(Into::into),
            prefix: prefix.into(),
            suffix: String::new(),
        }]);
        let build = Build {
            entry: "kustomization.yaml".into(),
            members: ["app.yaml", "secret.yaml"]
                .map(|f| (f.to_string(), chain.clone()))
                .to_vec(),
        };
        let mut out = Vec::new();
        check(facts, &[build], &mut out);
        out.into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn references_to_a_renamed_secret_are_renamed_with_it() {
        let facts = [workload("db", Some("a")), secret("db", None)];
        assert!(rules(&facts, "dev-", Some("x")).is_empty());
        let facts = [workload("db", Some("b")), secret("db", None)];
        assert_eq!(rules(&facts, "dev-", None), [MISSING_KEY]);
    }

    #[test]
    fn a_secret_in_another_namespace_does_not_count() {
        let facts = [workload("db", None), secret("db", Some("other"))];
        assert!(
            rules(&facts, "", None).is_empty(),
            "the workload's namespace is unknown"
        );
        let mut workload = workload("db", None);
        if let Fact::Workload { namespace, .. } = &mut workload {
            *namespace = Some("shop".into());
        }
        assert_eq!(
            rules(&[workload, secret("db", Some("other"))], "", None),
            [MISSING_SECRET]
        );
    }
}
