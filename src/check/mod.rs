//! SealedSecret checks on one document: scope annotations, template, ciphertext shape, the
//! pinned cert's key size, the template type's keys, the CRD schema, and (given private keys)
//! decryption.

mod schema;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::crypto::{Cert, PrivateKey, Scope, CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};
use crate::finding::Detection;
use crate::k8s::is_templated;
use crate::sealed::{is_valid_secret_key, undecryptable};
use crate::yaml::Node;

pub const SCOPE_ANNOTATIONS: &str = "sealed-scope-annotations";
pub const TEMPLATE_MISMATCH: &str = "sealed-template-mismatch";
pub const EMPTY_DATA: &str = "sealed-empty-data";
pub const INVALID_KEY: &str = "sealed-invalid-key";
pub const INVALID_CIPHERTEXT: &str = "sealed-invalid-ciphertext";
pub const WRONG_KEY: &str = "sealed-wrong-key";
pub const TYPE_KEYS: &str = "sealed-type-keys";
pub const LEGACY_DATA: &str = "sealed-legacy-data";
pub const UNDECRYPTABLE: &str = "sealed-undecryptable";
pub const SCHEMA: &str = "sealed-schema";

/// Keys a Secret of a built-in type must have (any one of them, for basic-auth).
const TYPE_KEYS_REQUIRED: &[(&str, &[&str], bool)] = &[
    ("kubernetes.io/tls", &["tls.crt", "tls.key"], true),
    (
        "kubernetes.io/dockerconfigjson",
        &[".dockerconfigjson"],
        true,
    ),
    ("kubernetes.io/dockercfg", &[".dockercfg"], true),
    ("kubernetes.io/basic-auth", &["username", "password"], false),
    ("kubernetes.io/ssh-auth", &["ssh-privatekey"], true),
];

/// What the checks may use: the cert pinned for the file's path, and private keys.
#[derive(Default, Clone, Copy)]
pub struct CheckContext<'a> {
    pub cert: Option<&'a Cert>,
    pub keys: Option<&'a [PrivateKey]>,
    /// Leave decryption to the graph, which knows the namespace and name a deployment applies:
    /// the well-formed values are returned instead.
    pub defer_decrypt: bool,
    /// Return the well-formed values for the graph, which judges them against the cert of
    /// each cluster whose `roots:` deploy them.
    pub keep_values: bool,
}

impl<'a> CheckContext<'a> {
    /// The context for a file at `path`: with `roots:` configured the graph judges its
    /// values' key (`cert` is then none here), else the cert its path's `paths:` give.
    pub fn for_path(
        config: &'a crate::config::Config,
        path: &str,
        keys: Option<&'a [PrivateKey]>,
        defer_decrypt: bool,
    ) -> CheckContext<'a> {
        let by_roots = config.has_roots();
        CheckContext {
            cert: config.cert_for(path).filter(|_| !by_roots).map(|p| &p.cert),
            keys,
            defer_decrypt,
            keep_values: by_roots,
        }
    }
}

/// A well-formed sealed value: its key, where it starts, its bytes.
pub type DeferredValue = (String, usize, Vec<u8>);

/// Checks one SealedSecret document; returns the values to decrypt later (with keys and
/// `defer_decrypt`).
pub fn check_sealed_secret(
    root: &Node,
    ctx: &CheckContext,
    out: &mut Vec<Detection>,
) -> Vec<DeferredValue> {
    let mut deferred = Vec::new();
    let name = root
        .str_at(&["metadata", "name"])
        .unwrap_or("(unnamed)")
        .to_string();
    let namespace = root.str_at(&["metadata", "namespace"]);
    let obj = Object {
        name: &name,
        namespace,
    };
    let scope = scope_annotations(root, &obj, out);
    let mut problems = Vec::new();
    schema::validate(root, schema::schema(), "", &mut problems);
    for (node, field, message) in problems {
        let identity = obj.id(&format!("schema {field}"));
        out.push(detection(
            SCHEMA,
            node,
            identity,
            format!("{name:?}: {message}"),
        ));
    }
    template_matches(root, &obj, out);
    let encrypted = root.at(&["spec", "encryptedData"]);
    legacy_data(root, &obj, encrypted.is_some(), out);
    if let Some(map) = encrypted {
        if map.entries().next().is_none() {
            out.push(detection(EMPTY_DATA, map, obj.id("spec.encryptedData"), format!("SealedSecret {name:?} has an empty encryptedData: the Secret it makes holds nothing")));
        }
    }
    type_keys(root, &obj, out);
    for (key, value) in encrypted
        .map(|m| m.entries().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let Some(key) = key.as_str() else { continue };
        if is_templated(value) || key.contains("{{") {
            continue; // Helm fills it in: no shape to check yet
        }
        if !is_valid_secret_key(key) {
            let identity = obj.id(&format!("encryptedData.{key}"));
            out.push(detection(INVALID_KEY, value, identity, format!("encryptedData key {key:?} of {name:?} is not a valid Secret key (letters, digits, '-', '_', '.')")));
        }
        let Some(text) = value.as_str() else { continue };
        let Some(bytes) = ciphertext(text, key, &obj, ctx, value, out) else {
            continue;
        };
        let defer = ctx.keys.is_some() && ctx.defer_decrypt;
        if defer || ctx.keep_values {
            deferred.push((key.to_string(), value.span.start, bytes.clone()));
        }
        if defer {
            continue;
        }
        // Without the graph (git modes), the value must open with its own label.
        if let (Some(keys), true) = (ctx.keys, scope.needs_namespace() <= namespace.is_some()) {
            let ns = namespace.unwrap_or_default();
            if let Some(message) = undecryptable(&bytes, keys, scope, ns, &name, key, &name) {
                let identity = value_identity(ns, &name, key, &bytes);
                out.push(detection(UNDECRYPTABLE, value, identity, message));
            }
        }
    }
    deferred
}

fn detection(rule: &str, at: &Node, identity: String, message: String) -> Detection {
    Detection::about(rule, at.span.clone(), message, identity)
}

/// The SealedSecret a check judges: what its findings' identities start with.
struct Object<'a> {
    name: &'a str,
    namespace: Option<&'a str>,
}

impl Object<'_> {
    /// `what` of this SealedSecret, for a finding's identity (its fingerprint), never shown.
    fn id(&self, what: &str) -> String {
        object_id(self.namespace.unwrap_or_default(), self.name, what)
    }
}

fn object_id(namespace: &str, name: &str, what: &str) -> String {
    format!("SealedSecret {namespace}/{name} {what}")
}

/// The identity of a sealed value's finding: its SealedSecret, key and ciphertext digest. The
/// graph's decryption check uses it too, so both modes fingerprint a value alike.
pub fn value_identity(namespace: &str, name: &str, key: &str, ciphertext: &[u8]) -> String {
    let digest = crate::fingerprint::digest(ciphertext);
    object_id(namespace, name, &format!("encryptedData.{key} {digest}"))
}

/// Annotations that contradict each other, or scope annotations whose value is not "true".
fn scope_annotations(root: &Node, obj: &Object, out: &mut Vec<Detection>) -> Scope {
    let name = obj.name;
    let annotations = root.at(&["metadata", "annotations"]);
    let get = |key: &str| annotations.and_then(|a| a.get(key));
    for key in [CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION] {
        if let Some(node) = get(key).filter(|n| !is_templated(n)) {
            if node.as_str() != Some("true") {
                let shown = node.as_str().unwrap_or("not a string");
                let identity = obj.id(&format!("annotation {key}"));
                out.push(detection(SCOPE_ANNOTATIONS, node, identity, format!("{key} on {name:?} is {shown:?}, not \"true\": the controller reads it as not set")));
            }
        }
    }
    let on = |key: &str| get(key).and_then(Node::as_str) == Some("true");
    if on(CLUSTER_WIDE_ANNOTATION) && on(NAMESPACE_WIDE_ANNOTATION) {
        let node = get(NAMESPACE_WIDE_ANNOTATION).expect("checked");
        let identity = obj.id("annotations cluster-wide and namespace-wide");
        out.push(detection(SCOPE_ANNOTATIONS, node, identity, format!("{name:?} is annotated both cluster-wide and namespace-wide; cluster-wide wins, so remove one")));
    }
    Scope::from_annotations(|k| get(k).and_then(Node::as_str))
}

/// `spec.template.metadata.name/namespace` that differ from the SealedSecret's own.
fn template_matches(root: &Node, obj: &Object, out: &mut Vec<Detection>) {
    for (field, own) in [("name", Some(obj.name)), ("namespace", obj.namespace)] {
        let Some(node) = root.at(&["spec", "template", "metadata", field]) else {
            continue;
        };
        if let (Some(template), Some(own)) = (node.as_str(), own) {
            if template != own && !template.contains("{{") && !own.contains("{{") {
                let identity = obj.id(&format!("spec.template.metadata.{field}"));
                out.push(detection(TEMPLATE_MISMATCH, node, identity, format!("spec.template.metadata.{field} is {template:?} but the SealedSecret's is {own:?}; the controller uses its own and the template's is misleading")));
            }
        }
    }
}

fn legacy_data(root: &Node, obj: &Object, has_encrypted: bool, out: &mut Vec<Detection>) {
    let Some(node) = root.at(&["spec", "data"]) else {
        return;
    };
    let name = obj.name;
    let message = if has_encrypted {
        format!("{name:?} has both the deprecated spec.data and encryptedData; the controller uses only one: re-seal into encryptedData")
    } else {
        format!("{name:?} uses the deprecated spec.data; re-seal it into encryptedData (sealant reseal, or kubeseal)")
    };
    let mut found = detection(LEGACY_DATA, node, obj.id("spec.data"), message);
    if has_encrypted {
        found.severity = Some(crate::finding::Severity::Error);
    }
    out.push(found);
}

/// The Secret type's required keys, from encryptedData and template.data.
fn type_keys(root: &Node, obj: &Object, out: &mut Vec<Detection>) {
    let name = obj.name;
    let Some(type_node) = root.at(&["spec", "template", "type"]) else {
        return;
    };
    let Some(kind) = type_node.as_str() else {
        return;
    };
    let data = [
        &["spec", "encryptedData"][..],
        &["spec", "template", "data"],
    ];
    if data.iter().any(|at| root.at(at).is_some_and(is_templated)) {
        return; // the keys are Helm's to fill in
    }
    let Some((_, required, all)) = TYPE_KEYS_REQUIRED.iter().find(|(t, ..)| *t == kind) else {
        return;
    };
    let has = |key: &str| {
        [
            root.at(&["spec", "encryptedData"]),
            root.at(&["spec", "template", "data"]),
        ]
        .into_iter()
        .flatten()
        .any(|m| m.get(key).is_some())
    };
    let missing: Vec<&str> = required.iter().copied().filter(|k| !has(k)).collect();
    let broken = if *all {
        !missing.is_empty()
    } else {
        missing.len() == required.len()
    };
    if broken {
        let what = if *all {
            "needs"
        } else {
            "needs at least one of"
        };
        out.push(detection(
            TYPE_KEYS,
            type_node,
            obj.id(&format!("type {kind}")),
            format!(
                "{name:?} is a {kind} Secret, which {what} {}; missing: {}",
                required.join(", "),
                missing.join(", ")
            ),
        ));
    }
}

/// Decodes a value and checks its framing against the pinned cert; `None` when broken.
fn ciphertext(
    text: &str,
    key: &str,
    obj: &Object,
    ctx: &CheckContext,
    at: &Node,
    out: &mut Vec<Detection>,
) -> Option<Vec<u8>> {
    let name = obj.name;
    let identity = || {
        value_identity(
            obj.namespace.unwrap_or_default(),
            name,
            key,
            text.as_bytes(),
        )
    };
    let Ok(bytes) = STANDARD.decode(text.trim()) else {
        out.push(detection(
            INVALID_CIPHERTEXT,
            at,
            identity(),
            format!("encryptedData.{key} of {name:?} is not padded standard base64"),
        ));
        return None;
    };
    let Some((prefix, _)) = bytes.split_first_chunk::<2>() else {
        out.push(detection(
            INVALID_CIPHERTEXT,
            at,
            identity(),
            format!(
                "encryptedData.{key} of {name:?} is {} bytes: too short to be sealed",
                bytes.len()
            ),
        ));
        return None;
    };
    let rsa_len = usize::from(u16::from_be_bytes(*prefix));
    if let Some(cert) = ctx.cert {
        if rsa_len != cert.modulus_len() {
            out.push(detection(
                WRONG_KEY,
                at,
                identity(),
                format!(
                    "encryptedData.{key} of {name:?} was sealed against another key: its RSA part is {} bits, the pinned cert's key {} bits",
                    rsa_len * 8,
                    cert.key_bits()
                ),
            ));
            return None;
        }
    }
    if bytes.len() < 2 + rsa_len + 16 {
        out.push(detection(INVALID_CIPHERTEXT, at, identity(), format!("encryptedData.{key} of {name:?} is {} bytes, shorter than 2 + {rsa_len} + 16: truncated", bytes.len())));
        return None;
    }
    Some(bytes)
}
