//! The typed YAML reader (src/yaml/de.rs): manifests as JSON values (first byte even) or a
//! struct of every kind of field the configuration and rule packs use (odd).
//! Checks: no panic; an error's place is inside the text; a value never nests deeper than the
//! bound.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sealant::yaml::de::{from_documents, from_str, MAX_DEPTH};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Typed {
    #[serde(default)]
    list: Vec<String>,
    size: Option<Size>,
    small: Option<u8>,
    signed: Option<i64>,
    ratio: Option<f64>,
    flag: Option<bool>,
    letter: Option<char>,
    level: Option<Level>,
    pair: Option<(String, u32)>,
    nested: Option<Box<Typed>>,
    #[serde(default)]
    map: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
enum Level {
    Low,
    High(u8),
    Range { from: u8, to: u8 },
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let error = if mode % 2 == 0 {
        match from_documents::<Value>(text) {
            Ok(docs) => {
                for doc in &docs {
                    assert!(depth(doc) <= MAX_DEPTH + 1, "a value deeper than the bound");
                }
                return;
            }
            Err(e) => e,
        }
    } else {
        match from_str::<Typed>(text) {
            Ok(_) => return,
            Err(e) => e,
        }
    };
    if let Some((line, column)) = error.line_column(text) {
        assert!(line >= 1 && column >= 1);
        assert!(line <= text.lines().count() + 1, "error past the last line");
    }
});

/// Nesting of arrays and objects, without recursion (a deep value must not overflow here).
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}
