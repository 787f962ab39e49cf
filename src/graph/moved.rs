//! SealedSecrets that a deployment applies under another namespace or name than they were
//! sealed for, or that have no namespace at all.

use super::HashMap;

use super::{apply, cluster_name, Fact, GraphFinding, Reach, Transform};
use crate::crypto::Scope;

pub const MOVED: &str = "sealed-moved";
pub const NO_NAMESPACE: &str = "sealed-no-namespace";

pub(super) fn check(
    facts: &[Fact],
    reached: &HashMap<&str, Vec<Reach>>,
    out: &mut Vec<GraphFinding>,
) {
    for fact in facts {
        let Fact::Sealed {
            path,
            line,
            column,
            name,
            namespace,
            scope,
            ..
        } = fact
        else {
            continue;
        };
        let chains = reached
            .get(path.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let own = format!(
            "SealedSecret {}/{name}",
            namespace.as_deref().unwrap_or_default()
        );
        let at = |rule, message, identity| GraphFinding {
            rule,
            path: path.clone(),
            line: *line,
            column: *column,
            message,
            identity,
        };
        if namespace.is_none()
            && scope.needs_namespace()
            && !chains
                .iter()
                .any(|r| r.chain.iter().any(|t| t.namespace.is_some()))
        {
            out.push(at(NO_NAMESPACE, format!("{scope} SealedSecret {name:?} has no namespace, and no kustomization or Flux Kustomization that includes it sets one: it only decrypts in the namespace kubeseal assumed"), own.clone()));
        }
        for reach in chains {
            let Some(message) = moved(name, namespace.as_deref(), *scope, reach.chain) else {
                continue;
            };
            let applied = apply(name, namespace.as_deref(), reach.chain);
            let ns = applied.namespace.unwrap_or_default();
            let identity = format!("{own} as {ns}/{}", applied.name);
            if reach.clusters.is_empty() {
                out.push(at(MOVED, message.clone(), identity.clone()));
            }
            // Once per cluster: each needs its own copy, sealed with its cert.
            for (cert, root) in &reach.clusters {
                let named = cluster_name(cert, *root);
                out.push(at(
                    MOVED,
                    format!("{message} with {named}"),
                    format!("{identity} for cert {}", cert.name),
                ));
            }
        }
    }
}

/// What a chain of transforms makes of a SealedSecret, if that breaks its scope.
fn moved(name: &str, namespace: Option<&str>, scope: Scope, chain: &[Transform]) -> Option<String> {
    let applied = apply(name, namespace, chain);
    let ns_changed = namespace.is_some()
        && applied.namespace.as_deref() != namespace
        && applied.moved_by.is_some();
    let name_changed = applied.name != name;
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
        "{}/{}",
        applied.namespace.as_deref().unwrap_or("?"),
        applied.name
    );
    let mut by = Vec::new();
    if ns_changed {
        by.push(format!(
            "{} sets the namespace",
            applied.moved_by.unwrap_or("?")
        ));
    }
    if name_changed && scope == Scope::Strict {
        by.push(format!("{} renames it", applied.renamed_by.join(" and ")));
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
}
