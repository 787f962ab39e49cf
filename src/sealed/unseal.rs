//! SealedSecret → Secret, as the controller does it.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::manifest::{
    expect_kind, metadata, opt_str, scope_of, string_map, SEALED_SECRET_API_VERSION,
};
use super::template::render_template;
use crate::crypto::{hybrid_decrypt, label_for, PrivateKey, Scope};
use crate::error::{Error, Result};

/// Options for unsealing; `namespace` fills in for a SealedSecret that has none.
#[derive(Clone, Debug, Default)]
pub struct UnsealRequest {
    pub namespace: Option<String>,
}

/// The scope, namespace and name a SealedSecret's values are bound to, read from its own
/// metadata as the controller reads them.
pub(crate) fn binding(
    sealed: &Value,
    origin: &str,
    fallback_namespace: Option<&str>,
) -> Result<(Scope, String, String)> {
    let meta = metadata(sealed, origin)?;
    let scope = scope_of(meta);
    let name = opt_str(meta, "name", origin)?
        .ok_or_else(|| Error::input(origin, "the SealedSecret has no metadata.name"))?;
    let namespace = opt_str(meta, "namespace", origin)?.or(fallback_namespace);
    if scope.needs_namespace() && namespace.is_none() {
        return Err(Error::input_help(
            origin,
            format!("SealedSecret {name:?} has no namespace, and its {scope} scope needs the one it was sealed for"),
            "pass --namespace NS (the namespace the controller would see)",
        ));
    }
    Ok((
        scope,
        namespace.unwrap_or_default().to_string(),
        name.to_string(),
    ))
}

/// Turns a SealedSecret manifest back into the Secret the controller would create.
pub fn unseal(
    sealed: &Value,
    origin: &str,
    keys: &[PrivateKey],
    request: &UnsealRequest,
) -> Result<Value> {
    expect_kind(sealed, origin, "SealedSecret", SEALED_SECRET_API_VERSION)?;
    let (scope, namespace, name) = binding(sealed, origin, request.namespace.as_deref())?;
    let label = label_for(scope, &namespace, &name);
    let empty = Map::new();
    let spec = sealed
        .get("spec")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let template = spec
        .get("template")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    let mut values: BTreeMap<String, Zeroizing<Vec<u8>>> = BTreeMap::new();
    if spec.get("data").is_some_and(|d| !d.is_null()) {
        values.extend(legacy_data(spec, origin, keys, &label)?);
    }
    for (key, encoded) in string_map(spec, "encryptedData", origin)? {
        let at = format!("{origin}: encryptedData.{key}");
        values.insert(key.to_string(), decrypt_value(encoded, &at, keys, &label)?);
    }
    for (key, text) in string_map(template, "data", origin)? {
        let rendered = render_template(text, &values).map_err(|message| {
            Error::input(format!("{origin}: spec.template.data.{key}"), message)
        })?;
        values.insert(key.to_string(), Zeroizing::new(rendered.into_bytes()));
    }

    let mut meta = template
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    meta.insert("name".into(), json!(name));
    if namespace.is_empty() {
        meta.shift_remove("namespace");
    } else {
        meta.insert("namespace".into(), json!(namespace));
    }
    let mut secret = Map::new();
    secret.insert("apiVersion".into(), json!("v1"));
    secret.insert("kind".into(), json!("Secret"));
    secret.insert("metadata".into(), Value::Object(meta));
    for field in ["type", "immutable"] {
        if let Some(v) = template.get(field).filter(|v| !v.is_null()) {
            secret.insert(field.into(), v.clone());
        }
    }
    let data: Map<String, Value> = values
        .iter()
        .map(|(k, v)| (k.clone(), json!(STANDARD.encode(v.as_slice()))))
        .collect();
    secret.insert("data".into(), Value::Object(data));
    Ok(Value::Object(secret))
}

/// Decrypts one bare base64 value (unseal --raw).
pub fn unseal_raw(
    encoded: &str,
    keys: &[PrivateKey],
    scope: Scope,
    namespace: &str,
    name: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    decrypt_value(encoded, "--raw", keys, &label_for(scope, namespace, name))
}

fn decrypt_value(
    encoded: &str,
    origin: &str,
    keys: &[PrivateKey],
    label: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let ciphertext = STANDARD.decode(encoded.trim()).map_err(|e| {
        Error::input_help(
            origin,
            format!("not valid base64 ({e})"),
            "sealed values are standard base64 with padding",
        )
    })?;
    hybrid_decrypt(keys, &ciphertext, label).map_err(|e| Error::crypto(origin, e))
}

/// The pre-0.7 format: the whole Secret, JSON-encoded, sealed as one value in `spec.data`.
fn legacy_data(
    spec: &Map<String, Value>,
    origin: &str,
    keys: &[PrivateKey],
    label: &[u8],
) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>> {
    let at = format!("{origin}: spec.data");
    let encoded = spec
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::input(&at, "spec.data must be a base64 string"))?;
    let plaintext = decrypt_value(encoded, &at, keys, label)?;
    let inner: Value = serde_json::from_slice(&plaintext)
        .map_err(|_| Error::input(&at, "decrypted, but the content is not a JSON Secret"))?;
    let inner_map = inner.as_object().cloned().unwrap_or_default();
    string_map(&inner_map, "data", &at)?
        .into_iter()
        .map(|(key, encoded)| {
            let bytes = STANDARD.decode(encoded).map_err(|_| {
                Error::input(
                    &at,
                    format!("decrypted Secret's data.{key} is not valid base64"),
                )
            })?;
            Ok((key.to_string(), Zeroizing::new(bytes)))
        })
        .collect()
}

/// Why `encryptedData.KEY` of SealedSecret `sealed_name` does not open with the `scope` label
/// of `namespace`/`name`, or `None` when it does. Tells when another scope's label opens it.
pub fn undecryptable(
    bytes: &[u8],
    keys: &[PrivateKey],
    scope: Scope,
    namespace: &str,
    name: &str,
    key: &str,
    sealed_name: &str,
) -> Option<String> {
    let label = label_for(scope, namespace, name);
    if hybrid_decrypt(keys, bytes, &label).is_ok() {
        return None;
    }
    let other = Scope::ALL
        .into_iter()
        .filter(|s| *s != scope)
        .find(|s| hybrid_decrypt(keys, bytes, &label_for(*s, namespace, name)).is_ok());
    let hint = match other {
        Some(s) => format!("; it decrypts with the {s} label, so its scope annotation is wrong"),
        None => String::new(),
    };
    Some(format!(
        "encryptedData.{key} of {sealed_name:?}: no key could decrypt secret with the {scope} label {:?} ({} keys tried){hint}",
        String::from_utf8_lossy(&label),
        keys.len()
    ))
}
