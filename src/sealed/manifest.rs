//! Small typed views over manifest JSON values, with errors that name the field.

use serde_json::{Map, Value};

use crate::crypto::Scope;
use crate::error::{Error, Result};

pub const SEALED_SECRET_API_VERSION: &str = "bitnami.com/v1alpha1";

/// Kubernetes' rule for Secret data keys.
pub fn is_valid_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Checks `kind` (and `apiVersion`, when present) of a manifest.
pub(crate) fn expect_kind(doc: &Value, origin: &str, kind: &str, api_version: &str) -> Result<()> {
    let found = doc.get("kind").and_then(Value::as_str);
    if found != Some(kind) {
        let what = found.map_or("has no kind".to_string(), |k| format!("is a {k}"));
        return Err(Error::input(
            origin,
            format!("expected a {kind}, but this document {what}"),
        ));
    }
    match doc.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v != api_version => Err(Error::input(
            origin,
            format!("{kind} has apiVersion {v:?}; expected {api_version:?}"),
        )),
        _ => Ok(()),
    }
}

/// `metadata` as an object (empty when absent).
pub(super) fn metadata<'a>(doc: &'a Value, origin: &str) -> Result<&'a Map<String, Value>> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match doc.get("metadata") {
        None | Some(Value::Null) => Ok(EMPTY.get_or_init(Map::new)),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(Error::input(origin, "metadata must be a mapping")),
    }
}

/// A string field of a mapping; absent or empty gives `None`, another type an error.
pub(super) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    field: &str,
    origin: &str,
) -> Result<Option<&'a str>> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::input(origin, format!("{field} must be a string"))),
    }
}

/// A map of string values (`labels`, `annotations`, `stringData`, `data`, ...). Values are
/// checked but never quoted in errors, since they may be secret.
pub(crate) fn string_map<'a>(
    parent: &'a Map<String, Value>,
    field: &str,
    origin: &str,
) -> Result<Vec<(&'a str, &'a str)>> {
    match parent.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.as_str(), s.as_str())),
                Value::Null => Ok((k.as_str(), "")),
                other => Err(Error::input_help(
                    origin,
                    format!("{field}.{k} is a {}, not a string", type_name(other)),
                    "quote it: unquoted, YAML reads it as a number or boolean, and kubectl would store its rewritten form (0123 becomes 83)",
                )),
            })
            .collect(),
        Some(_) => Err(Error::input(origin, format!("{field} must be a mapping"))),
    }
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// The scope a manifest's own annotations declare.
pub(super) fn scope_of(meta: &Map<String, Value>) -> Scope {
    let annotations = meta.get("annotations").and_then(Value::as_object);
    Scope::from_annotations(|key| annotations?.get(key)?.as_str())
}
