//! `reseal`: every SealedSecret value re-encrypted for the cert pinned for its path (offline
//! `kubeseal --re-encrypt`), each value's bytes replaced where they stand.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::edit::{apply, Edit};
use super::{FilePlan, FixContext, Planned, Problem};
use crate::crypto::{hybrid_decrypt, hybrid_encrypt, label_for, PrivateKey, Scope, TryCryptoRng};
use crate::graph::apply as apply_chain;
use crate::yaml::{parse_node, split_documents, DocSpan, Node};

/// Plans re-encrypting one file's SealedSecrets; values already sealed for the pinned cert's
/// key stay as they are, so running it twice changes nothing.
pub fn plan_reseal<R: TryCryptoRng + ?Sized>(
    path: &str,
    bytes: &[u8],
    ctx: &FixContext,
    keys: &[PrivateKey],
    rng: &mut R,
) -> Planned {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    let docs = if path.to_ascii_lowercase().ends_with(".json") {
        vec![DocSpan {
            range: 0..text.len(),
            first_line: 1,
        }]
    } else {
        split_documents(bytes)
    };
    let mut edits = Vec::new();
    let mut problems = Vec::new();
    for doc in docs {
        if !text[doc.range.clone()].contains("SealedSecret") {
            continue;
        }
        let Ok(Some(root)) = parse_node(text, doc.range.clone()) else {
            continue;
        };
        for sealed in sealed_in(&root) {
            let problem = |node: &Node, message: String| Problem::at(path, bytes, node, message);
            let Some(pinned) = ctx.cert_for(path) else {
                problems.push(problem(sealed, "no cert is pinned for this path: add an entry to `certs:` in .sealant.yaml whose `paths` match it".into()));
                break;
            };
            let labels = labels(path, sealed, ctx);
            let encrypted = sealed.at(&["spec", "encryptedData"]);
            for (key, value) in encrypted.into_iter().flat_map(Node::entries) {
                let (Some(key), Some(text)) = (key.as_str(), value.as_str()) else {
                    continue;
                };
                let Ok(ciphertext) = STANDARD.decode(text.trim()) else {
                    problems.push(problem(
                        value,
                        format!("encryptedData.{key} is not base64: it cannot be re-encrypted"),
                    ));
                    continue;
                };
                let opens = |keys: &[PrivateKey], label: &[u8]| {
                    hybrid_decrypt(keys, &ciphertext, label).ok()
                };
                let current = keys
                    .iter()
                    .filter(|k| k.public_key_der() == pinned.cert.spki_der());
                let current: Vec<&PrivateKey> = current.collect();
                let already = labels.iter().any(|l| {
                    current
                        .iter()
                        .any(|k| opens(std::slice::from_ref(*k), l).is_some())
                });
                if already {
                    continue; // already sealed for the pinned cert
                }
                let Some((label, plaintext)) =
                    labels.iter().find_map(|l| opens(keys, l).map(|p| (l, p)))
                else {
                    problems.push(problem(value, format!("encryptedData.{key}: no key could decrypt secret with the label {:?} ({} keys tried): pass the key it was sealed with to --keys", String::from_utf8_lossy(&labels[0]), keys.len())));
                    continue;
                };
                match hybrid_encrypt(rng, &pinned.cert, &plaintext, label) {
                    Ok(new) => edits.push(value_edit(bytes, value, &STANDARD.encode(new))),
                    Err(e) => problems.push(problem(
                        value,
                        format!("cannot re-encrypt encryptedData.{key}: {e}"),
                    )),
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let plan = FilePlan {
        path: path.to_string(),
        original: bytes.to_vec(),
        fixed: apply(bytes, &edits),
        count: edits.len(),
        edits,
        redact: Vec::new(),
    };
    super::verify::resealed(&plan).map_err(|p| vec![p])?;
    Ok(Some(plan))
}

fn sealed_in<'a, 't>(root: &'a Node<'t>) -> Vec<&'a Node<'t>> {
    let is_sealed = |n: &&Node| n.str_at(&["kind"]) == Some("SealedSecret");
    match root.str_at(&["kind"]) {
        Some("List") => root
            .get("items")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter(is_sealed)
            .collect(),
        _ => std::iter::once(root).filter(is_sealed).collect(),
    }
}

/// The labels a value may be sealed with: its own, then those of the namespace and name each
/// deployment applies.
fn labels(path: &str, sealed: &Node, ctx: &FixContext) -> Vec<Vec<u8>> {
    let name = sealed.str_at(&["metadata", "name"]).unwrap_or_default();
    let namespace = sealed.str_at(&["metadata", "namespace"]);
    let annotations = sealed.at(&["metadata", "annotations"]);
    let scope = Scope::from_annotations(|k| annotations?.get(k)?.as_str());
    let mut out = vec![label_for(scope, namespace.unwrap_or_default(), name)];
    for chain in ctx.chains.get(path).map(Vec::as_slice).unwrap_or_default() {
        let applied = apply_chain(name, namespace, chain);
        let label = label_for(
            scope,
            applied.namespace.as_deref().unwrap_or_default(),
            &applied.name,
        );
        if !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

/// Replaces a scalar's text, keeping its quotes.
fn value_edit(bytes: &[u8], node: &Node, new: &str) -> Edit {
    let span = node.span.clone();
    let text = match bytes.get(span.start) {
        Some(&q @ (b'"' | b'\'')) => format!("{}{new}{}", q as char, q as char),
        _ => new.to_string(),
    };
    Edit { range: span, text }
}
