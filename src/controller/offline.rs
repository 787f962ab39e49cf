//! `controller unseal`: what the controller would create in a cluster, offline. Every
//! SealedSecret under a directory becomes the Secret the controller would apply; failures are
//! collected per file with their reason.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::store::KeySet;
use super::template::check_simple;
use crate::doc::{doc_origin, parse_documents};
use crate::error::{Error, Result};
use crate::io::read_text;
use crate::sealed::{string_map, unseal, UnsealRequest};

/// The outcome for one tree.
#[derive(Debug, Default)]
pub(crate) struct OfflineReport {
    /// The Secrets, in file order.
    pub secrets: Vec<Value>,
    /// Files with at least one SealedSecret that could not be rendered: (file, reason).
    pub failures: Vec<(PathBuf, String)>,
    /// Files that held SealedSecrets.
    pub files: usize,
}

/// Renders every SealedSecret in the YAML/JSON files under `root` (a file or a directory).
pub(crate) fn unseal_tree(
    root: &Path,
    keys: &KeySet,
    request: &UnsealRequest,
) -> Result<OfflineReport> {
    let mut report = OfflineReport::default();
    for file in manifest_files(root)? {
        let Ok(text) = read_text(&file) else {
            continue; // binary or unreadable: not a manifest
        };
        if !text.contains("SealedSecret") {
            continue;
        }
        let origin = file.display().to_string();
        let docs = match parse_documents(&text, &origin) {
            Ok((_, docs)) => docs,
            Err(e) => {
                report.failures.push((file.clone(), failure_text(&e)));
                report.files += 1;
                continue;
            }
        };
        let sealed: Vec<(String, &Value)> = docs
            .iter()
            .enumerate()
            .flat_map(|(i, doc)| sealed_secrets(doc, doc_origin(&origin, i, docs.len())))
            .collect();
        if sealed.is_empty() {
            continue;
        }
        report.files += 1;
        let rendered: Result<Vec<Value>> = sealed
            .iter()
            .map(|(at, doc)| render(doc, at, keys, request))
            .collect();
        match rendered {
            Ok(secrets) => report.secrets.extend(secrets),
            Err(e) => {
                let text = failure_text(&e);
                let reason = text
                    .strip_prefix(&format!("{origin}: "))
                    .unwrap_or(&text)
                    .to_string();
                report.failures.push((file.clone(), reason));
            }
        }
    }
    Ok(report)
}

/// The error and its help on one line.
fn failure_text(e: &Error) -> String {
    let mut text = e.to_string();
    if let Error::Crypto { source, .. } = e {
        if let Some(help) = source.help() {
            text.push_str(&format!(" ({help})"));
        }
    }
    text
}

fn render(doc: &Value, origin: &str, keys: &KeySet, request: &UnsealRequest) -> Result<Value> {
    let empty = serde_json::Map::new();
    let template = doc
        .pointer("/spec/template")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, text) in string_map(template, "data", origin)? {
        check_simple(text).map_err(|reason| {
            Error::input(format!("{origin}: spec.template.data.{key}"), reason)
        })?;
    }
    unseal(doc, origin, &keys.keys, request)
}

/// SealedSecrets in a document: itself, or the items of a `List`.
fn sealed_secrets(doc: &Value, origin: String) -> Vec<(String, &Value)> {
    match doc.get("kind").and_then(Value::as_str) {
        Some("SealedSecret") => vec![(origin, doc)],
        Some("List") => doc
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter(|(_, item)| item.get("kind").and_then(Value::as_str) == Some("SealedSecret"))
            .map(|(i, item)| (format!("{origin}: items[{i}]"), item))
            .collect(),
        _ => Vec::new(),
    }
}

/// `*.yaml`, `*.yml`, `*.json` under `root`, sorted, hidden entries skipped; `root` itself if
/// it is a file.
fn manifest_files(root: &Path) -> Result<Vec<PathBuf>> {
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    if !root.is_dir() {
        return Err(Error::Read {
            path: root.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        });
    }
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(true)
        .sort_by_file_path(|a, b| a.cmp(b))
        .build()
    {
        let entry = entry.map_err(|e| Error::input(root.display().to_string(), e.to_string()))?;
        let path = entry.path();
        let is_manifest = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if is_manifest && entry.file_type().is_some_and(|t| t.is_file()) {
            files.push(path.to_path_buf());
        }
    }
    Ok(files)
}
