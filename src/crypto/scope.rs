//! Sealing scopes and the OAEP label each one binds a ciphertext to.

use std::fmt;
use std::str::FromStr;

pub const NAMESPACE_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/namespace-wide";
pub const CLUSTER_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/cluster-wide";

/// Where a sealed value may be decrypted: upstream's three scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scope {
    /// Only as a Secret with this exact namespace and name.
    #[default]
    Strict,
    /// Under any name, but only in this namespace.
    NamespaceWide,
    /// Anywhere.
    ClusterWide,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

    /// Reads the scope from annotations the way the controller does: cluster-wide "true" wins
    /// over namespace-wide "true"; anything else is strict.
    pub fn from_annotations<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Scope {
        if get(CLUSTER_WIDE_ANNOTATION) == Some("true") {
            Scope::ClusterWide
        } else if get(NAMESPACE_WIDE_ANNOTATION) == Some("true") {
            Scope::NamespaceWide
        } else {
            Scope::Strict
        }
    }

    /// The annotation that records this scope on a manifest, if any (strict has none).
    pub fn annotation(self) -> Option<&'static str> {
        match self {
            Scope::Strict => None,
            Scope::NamespaceWide => Some(NAMESPACE_WIDE_ANNOTATION),
            Scope::ClusterWide => Some(CLUSTER_WIDE_ANNOTATION),
        }
    }

    pub fn needs_namespace(self) -> bool {
        self != Scope::ClusterWide
    }

    pub fn needs_name(self) -> bool {
        self == Scope::Strict
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                format!("unknown scope {s:?}: use strict, namespace-wide or cluster-wide")
            })
    }
}

/// The OAEP label: strict "namespace/name", namespace-wide "namespace", cluster-wide empty.
pub fn label_for(scope: Scope, namespace: &str, name: &str) -> Vec<u8> {
    match scope {
        Scope::Strict => format!("{namespace}/{name}").into_bytes(),
        Scope::NamespaceWide => namespace.as_bytes().to_vec(),
        Scope::ClusterWide => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_upstream() {
        assert_eq!(label_for(Scope::Strict, "ns", "n"), b"ns/n");
        assert_eq!(label_for(Scope::NamespaceWide, "ns", "n"), b"ns");
        assert_eq!(label_for(Scope::ClusterWide, "ns", "n"), b"");
    }

    #[test]
    fn cluster_wide_wins_over_namespace_wide() {
        let both = |k: &str| match k {
            CLUSTER_WIDE_ANNOTATION | NAMESPACE_WIDE_ANNOTATION => Some("true"),
            _ => None,
        };
        assert_eq!(Scope::from_annotations(both), Scope::ClusterWide);
        let ns = |k: &str| (k == NAMESPACE_WIDE_ANNOTATION).then_some("true");
        assert_eq!(Scope::from_annotations(ns), Scope::NamespaceWide);
        let not_true = |_: &str| Some("yes");
        assert_eq!(Scope::from_annotations(not_true), Scope::Strict);
    }

    #[test]
    fn parses_every_scope_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        }
        assert!("global".parse::<Scope>().is_err());
    }
}
