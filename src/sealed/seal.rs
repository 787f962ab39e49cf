//! Secret → SealedSecret, as kubeseal does it offline.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::manifest::{
    expect_kind, is_valid_secret_key, metadata, opt_str, scope_of, string_map,
    SEALED_SECRET_API_VERSION,
};
use crate::crypto::{
    hybrid_encrypt, label_for, Cert, Scope, TryCryptoRng, CLUSTER_WIDE_ANNOTATION,
    NAMESPACE_WIDE_ANNOTATION,
};
use crate::error::{Error, Result};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Fields the API server fills in; they must not travel into the template.
const SERVER_FIELDS: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "ownerReferences",
];

/// What the user asked for on the command line; `None` means "take it from the manifest".
#[derive(Clone, Debug, Default)]
pub struct SealRequest {
    pub scope: Option<Scope>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub allow_empty_data: bool,
}

/// Seals one Secret manifest into a SealedSecret manifest (JSON value in kubeseal's key order).
pub fn seal_secret<R: TryCryptoRng + ?Sized>(
    secret: &Value,
    origin: &str,
    cert: &Cert,
    request: &SealRequest,
    rng: &mut R,
) -> Result<Value> {
    expect_kind(secret, origin, "Secret", "v1")?;
    let meta = metadata(secret, origin)?;
    let name = match (&request.name, opt_str(meta, "name", origin)?) {
        (Some(name), _) => name.as_str(),
        (None, Some(name)) => name,
        (None, None) => {
            return Err(Error::input_help(
                origin,
                "the Secret has no metadata.name",
                "set metadata.name or pass --name (generateName cannot be sealed: the name is part of the encryption label)",
            ))
        }
    };
    let namespace = effective_namespace(meta, request.namespace.as_deref(), origin)?;
    let scope = request.scope.unwrap_or_else(|| scope_of(meta));
    if scope.needs_namespace() && namespace.is_none() {
        return Err(Error::input_help(
            origin,
            format!(
                "Secret {name:?} has no namespace, and {scope} scope binds the sealed value to one"
            ),
            "add metadata.namespace, pass --namespace NS, or seal with --scope cluster-wide",
        ));
    }
    let values = secret_values(secret, origin)?;
    if values.is_empty() && !request.allow_empty_data {
        return Err(Error::input_help(
            origin,
            "Secret.data is empty in input Secret, assuming this is an error and aborting",
            "to seal a Secret without data, pass --allow-empty-data",
        ));
    }

    let label = label_for(scope, namespace.unwrap_or_default(), name);
    let mut encrypted = Map::new();
    for (key, value) in &values {
        encrypted.insert(
            key.clone(),
            Value::String(seal_value(cert, value, &label, origin, rng)?),
        );
    }

    let mut own_meta = Map::new();
    own_meta.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        own_meta.insert("namespace".into(), json!(ns));
    }
    if let Some(annotation) = scope.annotation() {
        own_meta.insert("annotations".into(), json!({ annotation: "true" }));
    }

    let mut template = Map::new();
    template.insert(
        "metadata".into(),
        Value::Object(template_metadata(meta, name, namespace, request.scope)),
    );
    for field in ["type", "immutable"] {
        if let Some(v) = secret.get(field).filter(|v| !v.is_null()) {
            template.insert(field.into(), v.clone());
        }
    }

    Ok(json!({
        "kind": "SealedSecret",
        "apiVersion": SEALED_SECRET_API_VERSION,
        "metadata": own_meta,
        "spec": { "template": template, "encryptedData": encrypted },
    }))
}

/// Seals `secret`'s values into an existing SealedSecret, whose name, namespace and scope win.
pub fn merge_into<R: TryCryptoRng + ?Sized>(
    sealed: &mut Value,
    sealed_origin: &str,
    secret: &Value,
    secret_origin: &str,
    cert: &Cert,
    rng: &mut R,
) -> Result<()> {
    expect_kind(
        sealed,
        sealed_origin,
        "SealedSecret",
        SEALED_SECRET_API_VERSION,
    )?;
    expect_kind(secret, secret_origin, "Secret", "v1")?;
    let (scope, namespace, name) = super::unseal::binding(sealed, sealed_origin, None)?;
    let label = label_for(scope, &namespace, &name);
    let values = secret_values(secret, secret_origin)?;
    let spec = sealed
        .as_object_mut()
        .expect("checked kind above, so it is an object")
        .entry("spec")
        .or_insert_with(|| json!({}));
    let Some(spec) = spec.as_object_mut() else {
        return Err(Error::input(sealed_origin, "spec must be a mapping"));
    };
    let encrypted = spec.entry("encryptedData").or_insert_with(|| json!({}));
    let Some(encrypted) = encrypted.as_object_mut() else {
        return Err(Error::input(
            sealed_origin,
            "spec.encryptedData must be a mapping",
        ));
    };
    for (key, value) in &values {
        encrypted.insert(
            key.clone(),
            Value::String(seal_value(cert, value, &label, secret_origin, rng)?),
        );
    }
    encrypted.sort_keys();
    Ok(())
}

/// Seals one bare value (kubeseal --raw) and returns it base64-encoded.
pub fn seal_raw<R: TryCryptoRng + ?Sized>(
    cert: &Cert,
    scope: Scope,
    namespace: &str,
    name: &str,
    value: &[u8],
    rng: &mut R,
) -> Result<String> {
    seal_value(
        cert,
        value,
        &label_for(scope, namespace, name),
        "--raw",
        rng,
    )
}

fn seal_value<R: TryCryptoRng + ?Sized>(
    cert: &Cert,
    value: &[u8],
    label: &[u8],
    origin: &str,
    rng: &mut R,
) -> Result<String> {
    let ciphertext =
        hybrid_encrypt(rng, cert, value, label).map_err(|e| Error::crypto(origin, e))?;
    Ok(STANDARD.encode(ciphertext))
}

fn effective_namespace<'a>(
    meta: &'a Map<String, Value>,
    requested: Option<&'a str>,
    origin: &str,
) -> Result<Option<&'a str>> {
    let own = opt_str(meta, "namespace", origin)?;
    match (own, requested) {
        (Some(own), Some(req)) if own != req => Err(Error::input_help(
            origin,
            format!("the Secret's namespace {own:?} contradicts --namespace {req:?}"),
            "remove one of them: a sealed value only decrypts in the namespace it was sealed for",
        )),
        (own, req) => Ok(own.or(req)),
    }
}

/// The Secret's values: `data` decoded from base64, then `stringData`, which wins per key.
fn secret_values(secret: &Value, origin: &str) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>> {
    let empty = Map::new();
    let top = secret.as_object().unwrap_or(&empty);
    let mut values = BTreeMap::new();
    for (key, encoded) in string_map(top, "data", origin)? {
        check_key(key, "data", origin)?;
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| {
            Error::input_help(
                origin,
                format!("data.{key} is not valid base64"),
                "data values are base64-encoded; put plain text under stringData instead",
            )
        })?;
        values.insert(key.to_string(), Zeroizing::new(decoded));
    }
    for (key, text) in string_map(top, "stringData", origin)? {
        check_key(key, "stringData", origin)?;
        values.insert(key.to_string(), Zeroizing::new(text.as_bytes().to_vec()));
    }
    Ok(values)
}

fn check_key(key: &str, field: &str, origin: &str) -> Result<()> {
    if is_valid_secret_key(key) {
        Ok(())
    } else {
        Err(Error::input(
            origin,
            format!("{field} key {key:?} is not a valid Secret key (allowed: letters, digits, '-', '_', '.')"),
        ))
    }
}

/// The Secret's metadata as the template carries it: server-side fields and the
/// last-applied annotation dropped, scope annotations updated when the scope was chosen.
fn template_metadata(
    meta: &Map<String, Value>,
    name: &str,
    namespace: Option<&str>,
    chosen: Option<Scope>,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        out.insert("namespace".into(), json!(ns));
    }
    for (key, value) in meta {
        if key == "name" || key == "namespace" || SERVER_FIELDS.contains(&key.as_str()) {
            continue;
        }
        out.insert(key.clone(), value.clone());
    }
    let annotations = out.entry("annotations").or_insert_with(|| json!({}));
    if let Some(annotations) = annotations.as_object_mut() {
        annotations.shift_remove(LAST_APPLIED);
        if let Some(scope) = chosen {
            annotations.shift_remove(NAMESPACE_WIDE_ANNOTATION);
            annotations.shift_remove(CLUSTER_WIDE_ANNOTATION);
            if let Some(annotation) = scope.annotation() {
                annotations.insert(annotation.into(), json!("true"));
            }
        }
    }
    if out
        .get("annotations")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        out.shift_remove("annotations");
    }
    out
}
