//! Kubernetes Secret manifests: one detection per non-empty `data` or `stringData` value.

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::config::{is_config_without_credential, CONFIG_NOTE, SECRET_CONFIG};
use super::identity::{is_identity_key, is_public_certificate, IDENTITY_NOTE, SECRET_IDENTITY};
use crate::finding::Detection;
use crate::k8s::is_core_v1;
use crate::rules::is_not_a_credential;
use crate::yaml::{Node, NodeKind};

pub const SECRET_DATA: &str = "k8s-secret-data";
pub const SECRET_STRING_DATA: &str = "k8s-secret-string-data";
pub const SECRET_INVALID_BASE64: &str = "k8s-secret-invalid-base64";
pub(super) const SECRET_ALIASED: &str = "k8s-secret-aliased-data";

/// Detections in a document: a Secret, or the Secrets among a `List`'s items.
pub fn detect_secrets(root: &Node, out: &mut Vec<Detection>) {
    match root.str_at(&["kind"]) {
        Some("List" | "SecretList") => {
            for item in root.get("items").map(Node::items).unwrap_or_default() {
                detect_secrets(item, out);
            }
        }
        Some("Secret") if is_core_v1(root) => secret(root, out),
        _ => {}
    }
}

fn secret(root: &Node, out: &mut Vec<Detection>) {
    let name = root.str_at(&["metadata", "name"]).unwrap_or("(unnamed)");
    let data = entries(root, "data", name, out);
    for (key, value) in real_values(&data) {
        let compact: Vec<u8> = value
            .as_str()
            .unwrap_or_default()
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        match STANDARD.decode(&compact) {
            Ok(decoded) => out.push(judged(
                SECRET_DATA,
                value,
                key,
                format!("Secret {name:?} commits data.{key} in base64, which is encoding, not encryption"),
                decoded,
            )),
            Err(_) => out.push(Detection::new(
                SECRET_INVALID_BASE64,
                value.span.clone(),
                format!("data.{key} of Secret {name:?} is not valid base64 (the API server rejects it), and it is still a committed value"),
                compact,
            )),
        }
    }
    let string_data = entries(root, "stringData", name, out);
    for (key, value) in real_values(&string_data) {
        out.push(judged(
            SECRET_STRING_DATA,
            value,
            key,
            format!("Secret {name:?} commits stringData.{key} in plaintext"),
            value.as_str().unwrap_or_default().as_bytes().to_vec(),
        ));
    }
}

/// `message` without the spare room `format!` leaves: a finding per key of a 100k-key Secret
/// holds one each until the report is written.
fn exact(mut message: String) -> String {
    message.shrink_to_fit();
    message
}

/// A detection of `rule`, or of the info rule for a value that gives no access.
fn judged(rule: &str, value: &Node, key: &str, message: String, bytes: Vec<u8>) -> Detection {
    let (rule, message) = match gives_no_access(key, &bytes) {
        Some((rule, note)) => (rule, format!("{message}{note}")),
        None => (rule, message),
    };
    Detection::new(rule, value.span.clone(), exact(message), bytes)
}

/// The rule and message ending for a value that is committed but gives no access: a user
/// name, host, id or public certificate, or a config without a credential setting.
fn gives_no_access(key: &str, value: &[u8]) -> Option<(&'static str, &'static str)> {
    if is_identity_key(key) || is_public_certificate(value) {
        Some((SECRET_IDENTITY, IDENTITY_NOTE))
    } else if is_config_without_credential(key, value) {
        Some((SECRET_CONFIG, CONFIG_NOTE))
    } else {
        None
    }
}

/// The entries of a map field, merge keys (`<<: *defaults`) included. Aliases are expanded by
/// the parser; one left as it is (past the document's alias budget) hides what it stands for:
/// that is a finding of its own, pushed here.
fn entries<'a, 't>(
    root: &'a Node<'t>,
    field: &str,
    name: &str,
    out: &mut Vec<Detection>,
) -> Vec<(&'a Node<'t>, &'a Node<'t>)> {
    let Some(map) = root.get(field) else {
        return Vec::new();
    };
    let entries = merged_entries(map);
    for (key, value) in &entries {
        if let (Some(key), NodeKind::Alias) = (key.as_str(), &value.kind) {
            out.push(unexpanded(value, &format!("{field}.{key}"), name));
        }
    }
    if map.kind == NodeKind::Alias {
        out.push(unexpanded(map, field, name));
    }
    entries
}

/// The scalar entries with a real value (not empty, not a template or placeholder). Judged as
/// they are read, not gathered: a list of 100k of them was megabytes at the peak.
fn real_values<'e, 'a, 't>(
    entries: &'e [(&'a Node<'t>, &'a Node<'t>)],
) -> impl Iterator<Item = (&'a str, &'a Node<'t>)> + 'e {
    entries.iter().filter_map(|&(key, value)| {
        let key = key.as_str()?;
        match &value.kind {
            NodeKind::Scalar { value: text, .. }
                if !text.trim().is_empty()
                    && !is_not_a_credential(key.as_bytes(), text.as_bytes()) =>
            {
                Some((key, value))
            }
            _ => None,
        }
    })
}

/// A map's entries with those of its merge keys (`<<: map` or `<<: [maps]`) after them,
/// less the keys the map sets itself (they win, as in YAML's merge).
fn merged_entries<'a, 't>(map: &'a Node<'t>) -> Vec<(&'a Node<'t>, &'a Node<'t>)> {
    let is_merge = |k: &Node| k.as_str() == Some("<<");
    let mut entries: Vec<_> = map.entries().filter(|(k, _)| !is_merge(k)).collect();
    if !map.entries().any(|(k, _)| is_merge(k)) {
        // The common case: no key set to build (hashing 100k keys cost more than judging them).
        return entries;
    }
    let mut keys: HashSet<&str> = entries.iter().filter_map(|(k, _)| k.as_str()).collect();
    for (merge_key, merged) in map.entries().filter(|(k, _)| is_merge(k)) {
        let maps = match &merged.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![merged],
        };
        for m in maps {
            // Left unexpanded, the merge is an entry of its own: `<<` and the alias.
            if m.kind == NodeKind::Alias {
                entries.push((merge_key, m));
            }
            for (k, v) in m.entries() {
                if k.as_str().is_none_or(|k| keys.insert(k)) {
                    entries.push((k, v));
                }
            }
        }
    }
    entries
}

fn unexpanded(alias: &Node, what: &str, name: &str) -> Detection {
    Detection::new(
        SECRET_ALIASED,
        alias.span.clone(),
        format!(
            "Secret {name:?} gives {what} by an alias too costly to expand: cannot judge its value"
        ),
        format!("{name}\0{what}").into_bytes(),
    )
}
