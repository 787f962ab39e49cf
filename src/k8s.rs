//! The Kubernetes and kustomize vocabulary that detection, checks, the graph and fix share:
//! which files are manifests or kustomizations, which kinds only refer to secrets.

use crate::yaml::Node;

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
