//! Kubernetes Secret manifests: one detection per non-empty `data` or `stringData` value.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::Detection;
use crate::rules::is_placeholder;
use crate::yaml::{Node, NodeKind};

pub const SECRET_DATA: &str = "k8s-secret-data";
pub const SECRET_STRING_DATA: &str = "k8s-secret-string-data";
pub const SECRET_INVALID_BASE64: &str = "k8s-secret-invalid-base64";

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

fn is_core_v1(root: &Node) -> bool {
    root.str_at(&["apiVersion"]).is_none_or(|v| v == "v1")
}

fn secret(root: &Node, out: &mut Vec<Detection>) {
    let name = root.str_at(&["metadata", "name"]).unwrap_or("(unnamed)");
    for (key, value) in values(root, "data") {
        let compact: Vec<u8> = value
            .as_str()
            .unwrap_or_default()
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        match STANDARD.decode(&compact) {
            Ok(decoded) => out.push(Detection::new(
                SECRET_DATA,
                value.span.clone(),
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
    for (key, value) in values(root, "stringData") {
        out.push(Detection::new(
            SECRET_STRING_DATA,
            value.span.clone(),
            format!("Secret {name:?} commits stringData.{key} in plaintext"),
            value.as_str().unwrap_or_default().as_bytes().to_vec(),
        ));
    }
}

/// Scalar entries of a map field with a real value (not empty, not a template or placeholder).
fn values<'a, 't>(root: &'a Node<'t>, field: &str) -> Vec<(&'a str, &'a Node<'t>)> {
    let Some(map) = root.get(field) else {
        return Vec::new();
    };
    map.entries()
        .filter_map(|(k, v)| match &v.kind {
            NodeKind::Scalar { value, .. }
                if !value.trim().is_empty() && !is_placeholder(value.as_bytes()) =>
            {
                Some((k.as_str()?, v))
            }
            _ => None,
        })
        .collect()
}
