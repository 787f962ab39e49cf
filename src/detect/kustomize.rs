//! kustomize `secretGenerator`: literal values in the kustomization, and the env files and
//! files it reads into Secrets.

use std::ops::Range;

use super::identity::{is_identity_key, IDENTITY_NOTE, SECRET_IDENTITY};
use crate::finding::Detection;
use crate::rules::is_not_a_credential;
use crate::yaml::Node;

pub const GENERATOR_LITERAL: &str = "kustomize-secret-generator-literal";
pub const GENERATOR_FILE: &str = "kustomize-secret-generator-file";

/// A file that a secretGenerator reads, relative to the kustomization's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorInput {
    pub generator: String,
    pub path: String,
    /// `envs` files are KEY=VALUE lines; `files` are whole values.
    pub is_env: bool,
}

/// Literal detections, plus the inputs whose contents the caller reports.
pub(super) fn detect_generators(
    root: &Node,
    text: &str,
    out: &mut Vec<Detection>,
) -> Vec<GeneratorInput> {
    let mut inputs = Vec::new();
    for generator in root
        .get("secretGenerator")
        .map(Node::items)
        .unwrap_or_default()
    {
        let name = generator
            .str_at(&["name"])
            .unwrap_or("(unnamed)")
            .to_string();
        for literal in generator
            .get("literals")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(d) = literal_detection(literal, text, &name) {
                out.push(d);
            }
        }
        inputs.extend(
            entry_inputs(generator).map(|(is_env, path)| GeneratorInput {
                generator: name.clone(),
                path: path.to_string(),
                is_env,
            }),
        );
    }
    inputs
}

/// The files one secretGenerator entry reads: (is an env file, path relative to the
/// kustomization's directory).
pub fn entry_inputs<'a>(generator: &'a Node<'a>) -> impl Iterator<Item = (bool, &'a str)> + 'a {
    [("envs", true), ("env", true), ("files", false)]
        .into_iter()
        .flat_map(move |(field, is_env)| {
            let entries: Vec<&Node> = match generator.get(field) {
                Some(n) if n.as_str().is_some() => vec![n],
                Some(n) => n.items().iter().collect(),
                None => Vec::new(),
            };
            entries
                .into_iter()
                .filter_map(Node::as_str)
                .map(move |entry| {
                    // `files` entries may be `key=path`.
                    (
                        is_env,
                        entry.split_once('=').map_or(entry, |(_, p)| p).trim(),
                    )
                })
        })
        .filter(|(_, path)| !path.is_empty())
}

fn literal_detection(literal: &Node, text: &str, generator: &str) -> Option<Detection> {
    let entry = literal.as_str()?;
    let (key, value) = entry.split_once('=')?;
    let value = unquote(value.trim());
    if value.is_empty() || is_not_a_credential(key.trim().as_bytes(), value.as_bytes()) {
        return None;
    }
    let message = format!("secretGenerator {generator:?} commits literal {key} in plaintext");
    let (rule, message) = judged(GENERATOR_LITERAL, key.trim(), message);
    Some(Detection::new(
        rule,
        value_span(literal, text, value),
        message,
        value.as_bytes().to_vec(),
    ))
}

/// The rule and message for a value under `key`: an identity key's value is an identity
/// finding (see `identity.rs`), any other the generator's own.
fn judged<'r>(rule: &'r str, key: &str, message: String) -> (&'r str, String) {
    if is_identity_key(key) {
        (SECRET_IDENTITY, format!("{message}{IDENTITY_NOTE}"))
    } else {
        (rule, message)
    }
}

fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// Where the value part of `KEY=VALUE` stands in the source, or the whole scalar.
fn value_span(literal: &Node, text: &str, value: &str) -> Range<usize> {
    let raw = &text[literal.span.clone()];
    let after_eq = raw.find('=').map_or(0, |i| i + 1);
    match raw[after_eq..].find(value) {
        Some(i) => {
            let start = literal.span.start + after_eq + i;
            start..start + value.len()
        }
        None => literal.span.clone(),
    }
}

/// Detections for the contents of a generator input: each `KEY=VALUE` line of an env file
/// with a value, or the whole of a plain file.
pub fn detect_input(
    input: &GeneratorInput,
    kustomization: &str,
    bytes: &[u8],
    out: &mut Vec<Detection>,
) {
    // Flux and the sops tooling decrypt it: only what it leaves in clear text can be a leak.
    if super::sops::is_encrypted(bytes) {
        super::sops::clear_credentials(bytes, 0..bytes.len(), out);
        return;
    }
    let message = |what: String| {
        format!(
            "{what} is read into Secret by secretGenerator {:?} in {kustomization}",
            input.generator
        )
    };
    if !input.is_env {
        // The whole file is the value.
        let end = bytes.len()
            - bytes
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        let start = bytes
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count()
            .min(end);
        if start < end {
            out.push(Detection::new(
                GENERATOR_FILE,
                start..end,
                message("this file".into()),
                bytes.to_vec(),
            ));
        }
        return;
    }
    let mut offset = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if let Some((key, span)) = env_value(line) {
            let value = &line[span.clone()];
            if !is_not_a_credential(key, value) {
                let key = String::from_utf8_lossy(key).into_owned();
                let (rule, message) = judged(GENERATOR_FILE, &key, message(key.clone()));
                out.push(Detection::new(
                    rule,
                    offset + span.start..offset + span.end,
                    message,
                    value.to_vec(),
                ));
            }
        }
        offset += line.len();
    }
}

/// `KEY=VALUE` (optionally quoted) → key and the value's range in the line.
fn env_value(line: &[u8]) -> Option<(&[u8], Range<usize>)> {
    let trimmed_start = line.iter().position(|b| !b.is_ascii_whitespace())?;
    if line[trimmed_start] == b'#' {
        return None;
    }
    let eq = trimmed_start + line[trimmed_start..].iter().position(|&b| b == b'=')?;
    let key = line[trimmed_start..eq].trim_ascii();
    let mut start = eq + 1;
    let mut end = line.len();
    while end > start && line[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    if end > start + 1 && matches!(line[start], b'"' | b'\'') && line[end - 1] == line[start] {
        start += 1;
        end -= 1;
    }
    (end > start).then_some((key, start..end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines() {
        assert_eq!(env_value(b"A=b\n"), Some((&b"A"[..], 2..3)));
        assert_eq!(env_value(b"  PW=\"x y\"  \n"), Some((&b"PW"[..], 6..9)));
        assert_eq!(env_value(b"# A=b\n"), None);
        assert_eq!(env_value(b"EMPTY=\n"), None);
        assert_eq!(env_value(b"no equals\n"), None);
    }
}
