//! Workloads that refer to a Secret, or a key of one, that nothing in their build provides.

use super::{HashMap, HashSet};

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

pub(super) fn check(facts: &[Fact], builds: &[Build], out: &mut Vec<GraphFinding>) {
    let mut by_path: HashMap<&str, Vec<&Fact>> = HashMap::default();
    for fact in facts {
        if let Some(path) = path_of(fact) {
            by_path.entry(path).or_default().push(fact);
        }
    }
    // Only builds with workloads look names up: a repository of Secrets alone needs no index.
    let index = std::cell::OnceCell::new();
    let mut reported = HashSet::default();
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
        let (remote, patched) = unverifiable(members().map(|(f, _)| f));
        if remote {
            continue; // a remote base may provide anything: the build cannot be verified
        }
        let provided: Vec<Provided> = members()
            .flat_map(|(fact, chain)| provided_by(fact, chain))
            .collect();
        for (fact, chain) in members() {
            if matches!(fact, Fact::Workload { name, .. } if patched.contains(name.as_str())) {
                continue; // a patch removes or replaces part of it: its references may be gone
            }
            let found = Found {
                provided: &provided,
                index: index.get_or_init(|| Index::new(facts, builds, &by_path)),
            };
            workload(fact, chain, &found, &mut reported, out);
        }
    }
}

/// Whether a build includes a remote base, and the workloads its patches remove or replace
/// parts of.
fn unverifiable<'a>(members: impl Iterator<Item = &'a Fact>) -> (bool, HashSet<&'a str>) {
    let mut remote = false;
    let mut patched = HashSet::default();
    for fact in members {
        if let Fact::Kustomization {
            resources,
            patched: names,
            ..
        } = fact
        {
            remote |= resources.iter().any(|r| is_remote(r));
            patched.extend(names.iter().map(String::as_str));
        }
    }
    (remote, patched)
}

/// A kustomize resource that is a URL or a git repository rather than a local path.
fn is_remote(resource: &str) -> bool {
    let host = resource.split('/').next().unwrap_or_default();
    resource.contains("://")
        || resource.starts_with("git@")
        || resource.starts_with("git::")
        || resource.contains("?ref=")
        || ["github.com", "gitlab.com", "bitbucket.org"].contains(&host)
}

/// Every Secret name the repository provides, per namespace: each build's providers as it
/// applies them, and the providers in files no build includes as they are written. A
/// reference is missing only when nothing here has its name in its namespace.
struct Index {
    /// Name → the namespaces it is provided in (`None`: not known, so any).
    names: HashMap<String, Vec<Option<String>>>,
    /// Names that operators derive Secret names from (`NAME`, `NAME-…`, `….NAME.…`), with the
    /// namespace of the resource.
    derived: HashMap<String, Vec<Option<String>>>,
}

impl Index {
    fn new(facts: &[Fact], builds: &[Build], by_path: &HashMap<&str, Vec<&Fact>>) -> Index {
        let mut index = Index {
            names: HashMap::default(),
            derived: HashMap::default(),
        };
        let mut built = HashSet::default();
        for build in builds {
            for (file, chain) in &build.members {
                built.insert(file.as_str());
                for fact in by_path
                    .get(file.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    index.add(fact, chain);
                }
            }
        }
        for fact in facts {
            if path_of(fact).is_some_and(|p| !built.contains(p)) {
                index.add(fact, &[]);
            }
        }
        index
    }

    fn add(&mut self, fact: &Fact, chain: &[Transform]) {
        let derived = matches!(fact, Fact::Provider { provider, .. } if provider.names_derived);
        let map = if derived {
            &mut self.derived
        } else {
            &mut self.names
        };
        for p in provided_by(fact, chain) {
            for name in p.names {
                map.entry(name).or_default().push(p.namespace.clone());
            }
        }
    }

    /// Whether anything provides `name` in `namespace` (`None`: any namespace).
    fn provides(&self, name: &str, namespace: Option<&str>) -> bool {
        let here =
            |ns: &Option<String>| namespace.is_none() || ns.is_none() || ns.as_deref() == namespace;
        let found = |map: &HashMap<String, Vec<Option<String>>>, key: &str| {
            map.get(key).is_some_and(|list| list.iter().any(here))
        };
        found(&self.names, name) || bases(name).any(|base| found(&self.derived, base))
    }
}

/// The resource names an operator may have derived `name` from: `name` itself, each part
/// before a `-` (`NAME-…`: CloudNativePG, Crunchy, RabbitMQ, Strimzi, ECK), and each inner
/// part between dots (`….NAME.…`: Zalando's `user.cluster.credentials…`). Looked up, not
/// compared with every operator resource, so the cost is the name's length.
fn bases(name: &str) -> impl Iterator<Item = &str> {
    let dots = name.matches('.').count();
    std::iter::once(name)
        .chain(name.match_indices('-').map(move |(i, _)| &name[..i]))
        .chain(name.split('.').skip(1).take(dots.saturating_sub(1)))
}

/// Names of Secrets that well-known operators make, whose resource is rarely in the
/// repository as a manifest (a HelmRelease's values hold it): Rook, Zalando and Crunchy
/// Postgres, CloudNativePG, ECK, Strimzi, RabbitMQ. (prefix, infix, suffix); empty matches.
const OPERATOR_NAMES: &[(&str, &str, &str)] = &[
    ("rook-ceph-", "", ""),
    ("", "", ".credentials.postgresql.acid.zalan.do"),
    ("", "-pguser-", ""),
    ("", "", "-superuser"),
    ("", "", "-es-elastic-user"),
    ("", "", "-es-http-certs-public"),
    ("", "", "-cluster-ca-cert"),
    ("", "", "-clients-ca-cert"),
    ("", "", "-default-user"),
];

/// A name sealant cannot judge: a substitution or template that Flux, a task runner or Helm
/// fills in (`${APP}-secret`), or a Secret a well-known operator makes.
fn cannot_verify(name: &str) -> bool {
    name.contains("${")
        || name.contains("{{")
        || name.contains("$(")
        || OPERATOR_NAMES.iter().any(|(prefix, infix, suffix)| {
            name.starts_with(prefix) && name.contains(infix) && name.ends_with(suffix)
        })
}

/// Where a reference's Secret may come from: its own build, and the whole repository.
struct Found<'a, 'p> {
    provided: &'a [Provided<'p>],
    index: &'a Index,
}

fn path_of(fact: &Fact) -> Option<&str> {
    match fact {
        Fact::Kustomization { path, .. }
        | Fact::Sealed { path, .. }
        | Fact::Provider { path, .. }
        | Fact::Workload { path, .. } => Some(path),
        Fact::Flux { .. } | Fact::Argo { .. } => None,
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
    found: &Found,
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
        let candidates: Vec<&Provided> = found
            .provided
            .iter()
            .filter(same_namespace)
            .filter(|p| p.names.contains(&r.secret))
            .collect();
        let message = if candidates.is_empty() {
            if found
                .index
                .provides(&r.secret, applied.namespace.as_deref())
                || cannot_verify(&r.secret)
            {
                continue;
            }
            let ns = applied
                .namespace
                .as_deref()
                .map_or("any namespace".to_string(), |n| format!("namespace {n:?}"));
            let renamed = found
                .provided
                .iter()
                .filter(same_namespace)
                .find(|p| p.original == r.secret)
                .map(|p| format!("; {} is applied as {:?}, and kustomize rewrites references only to Secrets and secretGenerators, so refer to that name", p.what, p.names[0]))
                .unwrap_or_default();
            format!("{kind} {name:?} refers to Secret {:?} ({}), and nothing in the repository provides a Secret of that name in {ns} (no SealedSecret, Secret, secretGenerator, ExternalSecret, Certificate or known operator resource, in any build){renamed}; if it is made outside the repository, mark the reference optional or allow this finding", r.secret, r.via)
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
                names_derived: false,
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
    fn operator_secret_names_are_looked_up_by_the_names_they_derive_from() {
        let got: Vec<&str> = bases("orders-db-app").collect();
        assert_eq!(got, ["orders-db-app", "orders", "orders-db"]);
        let got: Vec<&str> = bases("app.orders.credentials.postgresql.acid.zalan.do").collect();
        assert!(got.contains(&"orders") && !got.contains(&"app") && !got.contains(&"do"));
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
