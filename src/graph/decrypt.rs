//! With private keys: every sealed value must open with the label of the namespace and name a
//! deployment applies it under (its own, when nothing includes it).

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::{apply, Fact, GraphFinding, Transform};
use crate::check::{value_identity, UNDECRYPTABLE};
use crate::crypto::{hybrid_decrypt, label_for, PrivateKey};
use crate::sealed::undecryptable;

pub fn check(
    facts: &[Fact],
    reached: &HashMap<&str, Vec<&[Transform]>>,
    keys: &[PrivateKey],
    out: &mut Vec<GraphFinding>,
) {
    let found: Vec<GraphFinding> = facts
        .par_iter()
        .flat_map_iter(|fact| sealed(fact, reached, keys))
        .collect();
    out.extend(found);
}

fn sealed(
    fact: &Fact,
    reached: &HashMap<&str, Vec<&[Transform]>>,
    keys: &[PrivateKey],
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
    let none: &[Transform] = &[];
    let chains = match reached.get(path.as_str()) {
        Some(chains) => chains.as_slice(),
        None => std::slice::from_ref(&none),
    };
    let mut tried = HashSet::new();
    let mut out = Vec::new();
    for chain in chains {
        let applied = apply(name, namespace.as_deref(), chain);
        let ns = match (&applied.namespace, scope.needs_namespace()) {
            (Some(ns), _) => ns.as_str(),
            (None, false) => "",
            (None, true) => continue, // nothing to try: sealed-no-namespace says so
        };
        if !tried.insert((ns.to_string(), applied.name.clone())) {
            continue;
        }
        for value in values {
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
            let own_ns = namespace.as_deref().unwrap_or_default();
            let moved = (ns, applied.name.as_str()) != (own_ns, name.as_str());
            if moved && opens(keys, value, *scope, own_ns, name) {
                let by: Vec<&str> = applied
                    .moved_by
                    .into_iter()
                    .chain(applied.renamed_by.iter().copied())
                    .collect();
                message.push_str(&format!(
                    "; it decrypts as sealed, for {own_ns}/{name}, but {} applies it as {ns}/{}",
                    by.join(" and "),
                    applied.name
                ));
            }
            let mut identity = value_identity(own_ns, name, &value.key, &value.ciphertext);
            if moved {
                identity.push_str(&format!(" as {ns}/{}", applied.name));
            }
            out.push(GraphFinding {
                rule: UNDECRYPTABLE,
                path: path.clone(),
                line: value.line,
                column: value.column,
                message,
                identity,
            });
        }
    }
    out
}

fn opens(
    keys: &[PrivateKey],
    value: &super::SealedValue,
    scope: crate::crypto::Scope,
    namespace: &str,
    name: &str,
) -> bool {
    hybrid_decrypt(keys, &value.ciphertext, &label_for(scope, namespace, name)).is_ok()
}
