//! Kubernetes manifests as text: reading YAML or JSON streams into documents and writing them
//! back in the format they came in.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The two manifest formats kubectl and kubeseal speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[value(alias = "yml")]
    Yaml,
    Json,
}

/// Guesses the format as kubectl does: JSON starts with `{` or `[`, anything else is YAML.
pub fn detect_format(text: &str) -> Format {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .as_bytes()
        .first()
    {
        Some(b'{' | b'[') => Format::Json,
        _ => Format::Yaml,
    }
}

/// Parses a stream of documents (YAML `---`-separated or concatenated JSON); empty YAML
/// documents are skipped. `origin` names the input in messages.
pub fn parse_documents(text: &str, origin: &str) -> Result<(Format, Vec<Value>)> {
    let format = detect_format(text);
    let docs = match format {
        Format::Json => parse_json(text, origin)?,
        Format::Yaml => parse_yaml(text, origin)?,
    };
    Ok((format, docs))
}

fn parse_json(text: &str, origin: &str) -> Result<Vec<Value>> {
    serde_json::Deserializer::from_str(text.trim_start_matches('\u{feff}'))
        .into_iter::<Value>()
        .map(|doc| {
            doc.map_err(|e| Error::Parse {
                origin: format!("{origin}:{}:{}", e.line(), e.column()),
                message: format!("invalid JSON: {}", json_message(&e)),
            })
        })
        .collect()
}

/// serde_json's message without its " at line L column C" tail (the origin carries that).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn parse_yaml(text: &str, origin: &str) -> Result<Vec<Value>> {
    let docs: Vec<Value> = crate::yaml::de::from_documents(text).map_err(|e| Error::Parse {
        origin: match e.line_column(text) {
            Some((line, column)) => format!("{origin}:{line}:{column}"),
            None => origin.to_string(),
        },
        message: format!("invalid YAML: {e}"),
    })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Renders documents: YAML as a `---`-led stream with keys sorted (as kubectl and kubeseal
/// print them), JSON as pretty objects in their own key order, one after another.
pub fn render_documents(docs: &[Value], format: Format) -> String {
    let mut out = String::new();
    for doc in docs {
        match format {
            Format::Yaml => {
                out.push_str("---\n");
                out.push_str(&to_yaml(doc));
            }
            Format::Json => {
                out.push_str(
                    &serde_json::to_string_pretty(doc).expect("JSON values always serialize"),
                );
                out.push('\n');
            }
        }
    }
    out
}

/// One document as YAML with sorted keys.
pub fn to_yaml(doc: &Value) -> String {
    let sorted = sort_keys(doc);
    let mut options = serde_saphyr::SerializerOptions::default();
    // Long base64 values stay on one line as kubectl prints them; only multi-line strings get
    // a literal block.
    options.folded_wrap_chars = usize::MAX;
    let mut text = serde_saphyr::to_string_with_options(&sorted, options)
        .expect("JSON values always serialize as YAML");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Origin label for document `index` (0-based) of `name`, used in messages.
pub fn doc_origin(name: &str, index: usize, count: usize) -> String {
    if count > 1 {
        format!("{name} (document {})", index + 1)
    } else {
        name.to_string()
    }
}

/// Typed look-ups into a manifest.
pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path)?.as_str()
}

pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_json_and_yaml() {
        assert_eq!(detect_format("  {\"a\":1}"), Format::Json);
        assert_eq!(detect_format("\u{feff}[1]"), Format::Json);
        assert_eq!(detect_format("a: 1"), Format::Yaml);
        assert_eq!(detect_format("---\na: 1"), Format::Yaml);
    }

    #[test]
    fn reads_multi_document_yaml_and_skips_empty_documents() {
        let (format, docs) = parse_documents("---\na: 1\n---\n---\nb: x\n...\n", "t").unwrap();
        assert_eq!(format, Format::Yaml);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["b"], "x");
    }

    #[test]
    fn reads_concatenated_json() {
        let (format, docs) = parse_documents("{\"a\":1}\n{\"b\":2}", "t").unwrap();
        assert_eq!(format, Format::Json);
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn parse_errors_carry_a_location_but_no_input_text() {
        let err = parse_documents("a: 1\nb: [unclosed-hunter2\n", "f.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f.yaml:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse_documents("{\"a\": hunter2}", "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f.json:1:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn yaml_output_is_sorted_and_round_trips() {
        let doc: Value = serde_json::json!({"b": "true", "a": {"z": "multi\nline", "y": "01"}});
        let text = render_documents(std::slice::from_ref(&doc), Format::Yaml);
        assert!(text.starts_with("---\na:"), "{text}");
        let (_, back) = parse_documents(&text, "t").unwrap();
        assert_eq!(back, vec![doc]);
    }
}
