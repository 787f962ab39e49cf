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
    is_manifest_name(file_name.as_bytes())
}

/// [`is_manifest_file`] of a file name's bytes: the git graph asks it of every path of a
/// 100k-file index, before converting any (str slices and conversions there were a tenth of
/// a hook's time).
pub(crate) fn is_manifest_name(name: &[u8]) -> bool {
    // The longest extension taken is `example`: a dot further back decides nothing, and a
    // name without one is a manifest only as `Kustomization`.
    let tail = name.len().saturating_sub(LONGEST_EXTENSION + 1);
    let Some(dot) = name[tail..].iter().rposition(|&b| b == b'.') else {
        return name == b"Kustomization";
    };
    let dot = tail + dot;
    let key = extension_key(&name[dot + 1..]);
    if MANIFEST_EXTENSIONS.contains(&key) {
        return true;
    }
    let stem = &name[..dot];
    COPY_EXTENSIONS.contains(&key)
        && (ends_with_ignore_case(stem, b".yaml") || ends_with_ignore_case(stem, b".yml"))
}

/// The length of `example`, the longest extension [`is_manifest_name`] takes.
const LONGEST_EXTENSION: usize = 7;

/// An extension of at most [`LONGEST_EXTENSION`] bytes, lowercased, as one number (its length
/// in the top byte): compared at once, not byte by byte and call by call.
const fn extension_key(ext: &[u8]) -> u64 {
    let mut key = ext.len() as u64;
    let mut i = 0;
    while i < ext.len() {
        key = key << 8 | ext[i].to_ascii_lowercase() as u64;
        i += 1;
    }
    key
}

const MANIFEST_EXTENSIONS: [u64; 3] = [
    extension_key(b"yaml"),
    extension_key(b"yml"),
    extension_key(b"json"),
];

/// Backup and template copies that keep a manifest's content; only YAML copies count
/// (`secret.yaml.bak`): a `.json.bak` or `.env.example` is not a manifest.
const COPY_EXTENSIONS: [u64; 8] = [
    extension_key(b"old"),
    extension_key(b"bak"),
    extension_key(b"back"),
    extension_key(b"orig"),
    extension_key(b"tpl"),
    extension_key(b"tmpl"),
    extension_key(b"j2"),
    extension_key(b"example"),
];

fn ends_with_ignore_case(name: &[u8], suffix: &[u8]) -> bool {
    name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
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
            "a.yaml.examples",
            "a.b.c.d.e.f.g.h.i.j",
            "Kustomization.go",
            "kustomization",
            "",
            ".",
        ] {
            assert!(!is_manifest_file(name), "{name}");
        }
    }
}
