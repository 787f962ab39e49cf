//! The Kubernetes and kustomize vocabulary that detection, checks, the graph and fix share:
//! which files are manifests or kustomizations, which kinds only refer to secrets.

use crate::yaml::{Node, NodeKind};

/// File names kustomize reads as a kustomization.
pub fn is_kustomization_file(file_name: &str) -> bool {
    matches!(
        file_name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// YAML and JSON files, and kustomize's extension-less `Kustomization`.
pub fn is_manifest_file(file_name: &str) -> bool {
    // No allocation: the git graph asks this of every path of a 100k-file index.
    let ends = |suffix: &str| {
        file_name.len() >= suffix.len()
            && file_name.as_bytes()[file_name.len() - suffix.len()..]
                .eq_ignore_ascii_case(suffix.as_bytes())
    };
    ends(".yaml") || ends(".yml") || ends(".json") || file_name == "Kustomization"
}

/// Kinds whose documents hold encrypted values or references to secrets, never secrets.
pub const REFERENCE_KINDS: &[&str] = &[
    "SealedSecret",
    "ExternalSecret",
    "ClusterExternalSecret",
    "SecretStore",
    "ClusterSecretStore",
    "PushSecret",
    "VaultStaticSecret",
    "VaultDynamicSecret",
    "OnePasswordItem",
    "SecretProviderClass",
];

/// `apiVersion: v1` (or none): a core object such as a Secret, not a CRD of the same kind.
pub fn is_core_v1(root: &Node) -> bool {
    root.str_at(&["apiVersion"]).is_none_or(|v| v == "v1")
}

/// A Helm (Go template) expression where a value goes: a string holding `{{`, or what YAML
/// makes of an unquoted `{{ .Release.Namespace }}`, a flow mapping whose one key is a mapping
/// and whose value is empty. Helm fills it in; until then it has no type, shape or place.
pub(crate) fn is_templated(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Scalar { value, .. } => value.contains("{{"),
        NodeKind::Map(entries) => matches!(
            entries.as_slice(),
            [(key, value)] if is_null(value) && matches!(
                &key.kind,
                NodeKind::Map(inner) if matches!(inner.as_slice(), [(_, v)] if is_null(v))
            )
        ),
        _ => false,
    }
}

/// An empty value, as the parser gives it.
fn is_null(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Scalar { value, quoted: false } if matches!(&**value, "" | "~" | "null"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templated_values() {
        for text in [
            "v: {{ .Release.Namespace }}\n",
            "v: {{ toYaml .Values.annotations }}\n",
            "v: \"{{ .Values.token }}\"\n",
            "v: prefix-{{ .Values.x }}\n",
        ] {
            let root = crate::yaml::parse_node(text, 0..text.len())
                .unwrap()
                .unwrap();
            let v = root.get("v").unwrap();
            assert!(is_templated(v), "{text}: {v:?}");
        }
        for text in ["v: {a: null}\n", "v: {{a: b}: }\n", "v: plain\n", "v: {}\n"] {
            let root = crate::yaml::parse_node(text, 0..text.len())
                .unwrap()
                .unwrap();
            assert!(!is_templated(root.get("v").unwrap()), "{text}");
        }
    }
}
