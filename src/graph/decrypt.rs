//! With private keys: every sealed value must open with the label of the namespace and name a
//! deployment applies it under (its own, when nothing includes it).

use super::{HashMap, HashSet};

use rayon::prelude::*;

use super::{apply, cluster_name, Deployments, Fact, GraphFinding, Reach, SealedValue};
use crate::check::{value_identity, UNDECRYPTABLE};
use crate::config::PinnedCert;
use crate::crypto::{hybrid_decrypt, label_for, PrivateKey, Scope};
use crate::sealed::undecryptable;

pub(super) fn check(
    facts: &[Fact],
    reached: &HashMap<&str, Vec<Reach>>,
    keys: &[PrivateKey],
    deployments: &Deployments,
    out: &mut Vec<GraphFinding>,
) {
    let found: Vec<GraphFinding> = facts
        .par_iter()
        .flat_map_iter(|fact| sealed(fact, reached, keys, deployments))
        .collect();
    out.extend(found);
}

fn sealed(
    fact: &Fact,
    reached: &HashMap<&str, Vec<Reach>>,
    keys: &[PrivateKey],
    deployments: &Deployments,
) -> Vec<GraphFinding> {
    let Fact::Sealed {
        path,
        name,
        namespace,
        scope,
        values,
        ..
    } = fact
    else {
        return Vec::new();
    };
    // Deployed by nothing: its own label, and the cert its `paths:` give.
    let own = [Reach {
        chain: &[],
        clusters: deployments.clusters_of_file(path),
    }];
    let reaches = match reached.get(path.as_str()) {
        Some(reaches) => reaches.as_slice(),
        None => &own,
    };
    let mut tried = HashSet::default();
    let mut out = Vec::new();
    for reach in reaches {
        let applied = apply(name, namespace.as_deref(), reach.chain);
        let ns = match (&applied.namespace, scope.needs_namespace()) {
            (Some(ns), _) => ns.as_str(),
            (None, false) => "",
            (None, true) => continue, // nothing to try: sealed-no-namespace says so
        };
        // A label once: but each cluster's keys, even where two clusters apply the same names.
        let first = tried.insert((ns.to_string(), applied.name.clone()));
        for value in values {
            let own_ns = namespace.as_deref().unwrap_or_default();
            let moved = (ns, applied.name.as_str()) != (own_ns, name.as_str());
            let identity = || {
                let mut identity = value_identity(own_ns, name, &value.key, &value.ciphertext);
                if moved {
                    identity.push_str(&format!(" as {ns}/{}", applied.name));
                }
                identity
            };
            let label = label_for(*scope, ns, &applied.name);
            for (cert, root) in &reach.clusters {
                let Some(other) = foreign(keys, value, &label, cert, deployments.pinned()) else {
                    continue;
                };
                out.push(GraphFinding {
                    rule: UNDECRYPTABLE,
                    path: path.clone(),
                    line: value.line,
                    column: value.column,
                    message: format!(
                        "encryptedData.{} of {name:?} decrypts as {ns}/{} only with the key of cert `{}`, but {} deploys it: that cluster's controller cannot decrypt it; re-seal it with that cert",
                        value.key,
                        applied.name,
                        other.name,
                        cluster_name(cert, *root)
                    ),
                    identity: format!("{} for cert {}", identity(), cert.name),
                });
            }
            if !first {
                continue;
            }
            let Some(mut message) = undecryptable(
                &value.ciphertext,
                keys,
                *scope,
                ns,
                &applied.name,
                &value.key,
                name,
            ) else {
                continue;
            };
            if moved && opens(keys, value, *scope, own_ns, name) {
                let mut by: Vec<&str> = applied.moved_by.into_iter().collect();
                // One kustomization often both moves and renames: name it once.
                for file in &applied.renamed_by {
                    if !by.contains(file) {
                        by.push(file);
                    }
                }
                message.push_str(&format!(
                    "; it decrypts as sealed, for {own_ns}/{name}, but {} applies it as {ns}/{}",
                    by.join(" and "),
                    applied.name
                ));
            }
            out.push(GraphFinding {
                rule: UNDECRYPTABLE,
                path: path.clone(),
                line: value.line,
                column: value.column,
                message,
                identity: identity(),
            });
        }
    }
    out
}

/// The pinned cert of another cluster whose key alone opens the value, when no key of
/// `cluster` does: a key paired with `cluster`'s cert, or with no pinned cert (an older key of
/// any cluster), counts as the cluster's. `None` when it opens for the cluster, or not at all.
fn foreign<'c>(
    keys: &[PrivateKey],
    value: &SealedValue,
    label: &[u8],
    cluster: &PinnedCert,
    pinned: &'c [PinnedCert],
) -> Option<&'c PinnedCert> {
    let owner = |key: &PrivateKey| {
        pinned
            .iter()
            .find(|p| p.cert.spki_der() == key.public_key_der())
    };
    let is_foreign = |key: &PrivateKey| owner(key).is_some_and(|p| !std::ptr::eq(p, cluster));
    if !keys.iter().any(is_foreign) {
        return None; // every key may be the cluster's: nothing to tell apart, no decryption
    }
    let mut other = None;
    for key in keys {
        if hybrid_decrypt(std::slice::from_ref(key), &value.ciphertext, label).is_err() {
            continue;
        }
        match owner(key) {
            Some(p) if !std::ptr::eq(p, cluster) => other = other.or(Some(p)),
            _ => return None,
        }
    }
    other
}

fn opens(
    keys: &[PrivateKey],
    value: &SealedValue,
    scope: Scope,
    namespace: &str,
    name: &str,
) -> bool {
    hybrid_decrypt(keys, &value.ciphertext, &label_for(scope, namespace, name)).is_ok()
}
