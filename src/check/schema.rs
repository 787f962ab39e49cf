//! A SealedSecret against the CRD's structural schema (rules/sealedsecret-schema.yaml): unknown
//! and mistyped fields, missing required ones.

use std::sync::OnceLock;

use serde_json::Value;

use crate::yaml::{Node, NodeKind};

const SCHEMA: &str = include_str!("../../rules/sealedsecret-schema.yaml");

/// The schema, parsed once.
pub(super) fn schema() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| {
        crate::yaml::de::from_str(SCHEMA).expect("the built-in schema is checked by the tests")
    })
}

/// A problem: the offending node, the field it is about (for the finding's identity), and
/// what to say.
pub(super) type Problem<'n, 't> = (&'n Node<'t>, String, String);

/// Problems of `node` against `schema`; `path` names the field.
pub(super) fn validate<'n, 't>(
    node: &'n Node<'t>,
    schema: &Value,
    path: &str,
    out: &mut Vec<Problem<'n, 't>>,
) {
    let expected = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    // The API server prunes a null in a field that is not nullable, so it is as if absent
    // (a required one is reported as missing by its parent); Helm fills in a template.
    if is_null(node) || crate::k8s::is_templated(node) {
        return;
    }
    let found = type_of(node);
    if !matches(expected, node) {
        out.push((
            node,
            format!("{path} type"),
            format!("{path} is {found}, but the CRD says {expected}"),
        ));
        return;
    }
    match &node.kind {
        NodeKind::Map(entries) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let open = schema
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                == Some(true);
            for (key_node, value) in entries {
                let Some(key) = key_node
                    .as_str()
                    .filter(|_| !crate::k8s::is_templated(key_node))
                else {
                    continue;
                };
                // Built for every field of every SealedSecret: one allocation, no formatting.
                let mut child = String::with_capacity(path.len() + 1 + key.len());
                if !path.is_empty() {
                    child.push_str(path);
                    child.push('.');
                }
                child.push_str(key);
                match (properties.and_then(|p| p.get(key)), additional) {
                    (Some(sub), _) | (None, Some(sub)) => validate(value, sub, &child, out),
                    (None, None) if !open && properties.is_some() => out.push((
                        key_node,
                        format!("{child} unknown"),
                        format!("unknown field {child}: the CRD does not define it (a typo?)"),
                    )),
                    _ => {}
                }
            }
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if node.get(required).is_none_or(is_null) {
                    let at = if path.is_empty() {
                        required.to_string()
                    } else {
                        format!("{path}.{required}")
                    };
                    let message = format!("{at} is required by the CRD but missing");
                    out.push((node, format!("{at} missing"), message));
                }
            }
        }
        NodeKind::Seq(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    validate(item, item_schema, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn is_null(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Scalar { value, quoted: false } if matches!(&**value, "" | "~" | "null"))
}

fn type_of(node: &Node) -> &'static str {
    match &node.kind {
        NodeKind::Map(_) => "a mapping",
        NodeKind::Seq(_) => "a list",
        NodeKind::Alias => "an alias",
        NodeKind::Scalar { .. } if is_null(node) => "null",
        NodeKind::Scalar {
            value,
            quoted: false,
        } if value == "true" || value == "false" => "a boolean",
        NodeKind::Scalar {
            value,
            quoted: false,
        } if value.parse::<f64>().is_ok() => "a number",
        NodeKind::Scalar { .. } => "a string",
    }
}

fn matches(expected: &str, node: &Node) -> bool {
    let found = type_of(node);
    let fits = match expected {
        "object" => found == "a mapping",
        "array" => found == "a list",
        "string" => found == "a string",
        "boolean" => found == "a boolean",
        "integer" => found == "a number" && node.as_str().is_some_and(|v| v.parse::<i64>().is_ok()),
        "number" => found == "a number",
        _ => true,
    };
    fits || found == "an alias"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let root = crate::yaml::parse_node(text, 0..text.len())
            .unwrap()
            .unwrap();
        let mut out = Vec::new();
        validate(&root, schema(), "", &mut out);
        out.into_iter().map(|(_, _, m)| m).collect()
    }

    #[test]
    fn finds_unknown_mistyped_and_missing_fields() {
        let ok = "kind: SealedSecret\nspec:\n  encryptedData: {a: AgB=}\n  template:\n    immutable: true\n    metadata: {labels: {x: y}}\n";
        assert_eq!(problems(ok), Vec::<String>::new());
        let bad = "kind: SealedSecret\nspec:\n  encryptedData: {a: 5}\n  tempalte: {}\n  template:\n    immutable: \"yes\"\n    metadata: {labels: [x]}\n";
        let found = problems(bad);
        assert!(
            found
                .iter()
                .any(|m| m.contains("spec.encryptedData.a is a number")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|m| m.contains("unknown field spec.tempalte")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|m| m.contains("spec.template.immutable is a string")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|m| m.contains("spec.template.metadata.labels is a list")),
            "{found:?}"
        );
        assert!(problems("kind: SealedSecret\n")
            .iter()
            .any(|m| m.contains("spec is required")));
    }

    /// The embedded schema is the CRD's, descriptions aside.
    #[test]
    fn agrees_with_the_shipped_crd() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/crd/sealedsecret-crd.yaml");
        let text = std::fs::read_to_string(&path).expect("testdata/crd/sealedsecret-crd.yaml");
        let crd: Value = crate::yaml::de::from_str(&text).unwrap();
        let mut shipped = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
        strip_descriptions(&mut shipped);
        assert_eq!(&shipped, schema());
    }

    fn strip_descriptions(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("description");
                map.values_mut().for_each(strip_descriptions);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_descriptions),
            _ => {}
        }
    }
}
