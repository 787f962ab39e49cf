//! The Kubernetes and kustomize vocabulary that detection, checks, the graph and fix share:
//! which files are manifests or kustomizations, which kinds only refer to secrets.

use crate::yaml::{Node, NodeKind};

/// File names kustomize reads as a kustomization.
pub(crate) fn is_kustomization_file(file_name: &str) -> bool {
    matches!(
        file_name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// YAML and JSON files, kustomize's extension-less `Kustomization`, and backup or template
/// copies of YAML ones (`secret.yaml.bak`, `values.yml.j2`): people commit those with the same
/// Secrets in them.
pub(crate) fn is_manifest_file(file_name: &str) -> bool {
    // The extension decides for most names, found by a byte loop: the git graph asks this of
    // every path of a 100k-file index (suffix by suffix, that was a tenth of a hook's time).
    let Some(dot) = file_name.bytes().rposition(|b| b == b'.') else {
        return file_name == "Kustomization";
    };
    let is = |ext: &str| file_name[dot..].eq_ignore_ascii_case(ext);
    if is(".yaml") || is(".yml") || is(".json") {
        return true;
    }
    let stem = &file_name[..dot];
    COPY_SUFFIXES.iter().any(|s| is(s))
        && (ends_with_ignore_case(stem, ".yaml") || ends_with_ignore_case(stem, ".yml"))
}

/// Suffixes of backup and template copies that keep a manifest's content; only YAML copies
/// count (`secret.yaml.bak`): a `.json.bak` or `.env.example` is not a manifest.
const COPY_SUFFIXES: &[&str] = &[
    ".old", ".bak", ".back", ".orig", ".tpl", ".tmpl", ".j2", ".example",
];

fn ends_with_ignore_case(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Kinds whose documents hold encrypted values or references to secrets, never secrets.
pub(crate) const REFERENCE_KINDS: &[&str] = &[
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
pub(crate) fn is_core_v1(root: &Node) -> bool {
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

    #[test]
    fn backup_and_template_copies_of_yaml_are_manifests() {
        for name in [
            "a.yaml",
            "a.YML",
            "a.json",
            "Kustomization",
            "secret.yaml.old",
            "secret.yaml.bak",
            "secret.yaml.back",
            "secret.yml.orig",
            "values.yaml.tpl",
            "values.yaml.tmpl",
            "config.yaml.j2",
            "secret.yaml.example",
            "secret.YML.BAK",
        ] {
            assert!(is_manifest_file(name), "{name}");
        }
        for name in [
            "a.bak",
            "a.json.bak",
            ".env.example",
            "yaml.bak",
            "a.yaml.txt",
            "README.md",
            "secret.yaml.bak.gz",
        ] {
            assert!(!is_manifest_file(name), "{name}");
        }
    }
}
