//! kustomize `secretGenerator` entries turned into SealedSecret manifests: the manifest is
//! written next to the kustomization, added to its `resources`, the entry removed, and the
//! env and plain files it read deleted. Entries whose meaning a SealedSecret cannot keep are
//! left with a message saying what to do instead.

use std::collections::BTreeMap;
use std::ops::Range;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::edit::{apply, content_range, is_flow, Edit};
use super::{verify, FilePlan, FixContext, Problem};
use crate::crypto::{Scope, TryCryptoRng};
use crate::graph::apply as apply_chain;
use crate::sealed::{is_valid_secret_key, seal_secret, SealRequest};
use crate::yaml::{parse_node, Node};

/// Everything converting a kustomization's generators changes.
#[derive(Debug)]
pub struct GeneratorPlan {
    /// The kustomization, without the entries and with the new resources.
    pub kustomization: FilePlan,
    /// New SealedSecret manifests: (root-relative path, contents).
    pub created: Vec<(String, Vec<u8>)>,
    /// Env and plain files no remaining entry reads (root-relative).
    pub deleted: Vec<String>,
}

/// Reads a generator's input (root-relative path).
pub type ReadInput<'a> = &'a dyn Fn(&str) -> std::result::Result<Vec<u8>, String>;

/// Fields of an entry a SealedSecret keeps; anything else makes the entry stay.
const KEPT_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "literals",
    "envs",
    "env",
    "files",
    "type",
    "options",
    "behavior",
];
const KEPT_OPTIONS: &[&str] = &["disableNameSuffixHash", "labels", "annotations"];

/// Plans converting the entries of the kustomization at `path` that have unsuppressed
/// findings: a literal value in `literal_spans`, or an input among `input_files`.
pub fn plan_generators<R: TryCryptoRng + ?Sized>(
    path: &str,
    bytes: &[u8],
    literal_spans: &[Range<usize>],
    input_files: &std::collections::HashSet<String>,
    read: ReadInput,
    ctx: &FixContext,
    rng: &mut R,
) -> std::result::Result<Option<GeneratorPlan>, Vec<Problem>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    let Ok(Some(root)) = parse_node(text, 0..text.len()) else {
        return Ok(None);
    };
    let Some(list) = root.get("secretGenerator") else {
        return Ok(None);
    };
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let wanted = |entry: &Node| {
        literal_spans
            .iter()
            .any(|r| entry.span.start <= r.start && r.end <= entry.span.end)
            || input_paths(dir, entry)
                .iter()
                .any(|(_, p)| input_files.contains(p))
    };
    let problem = |node: &Node, message: String| Problem::at(path, bytes, node, message);
    let entries: Vec<&Node> = list.items().iter().filter(|n| wanted(n)).collect();
    if entries.is_empty() {
        return Ok(None);
    }
    if is_flow(bytes, list) {
        return Err(vec![problem(list, "secretGenerator is written in flow style ([...]), which --fix does not rewrite: write it as a block list, then run --fix again".into())]);
    }
    let mut created = Vec::new();
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for entry in &entries {
        match convert(path, dir, &root, entry, read, ctx, rng) {
            Ok((file, contents, read_files)) => {
                created.push((file, contents));
                inputs.extend(read_files);
            }
            Err(message) => problems.push(problem(entry, message)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let remaining: Vec<&Node> = list.items().iter().filter(|n| !wanted(n)).collect();
    let still_read: Vec<String> = remaining
        .iter()
        .flat_map(|n| input_paths(dir, n))
        .map(|(_, p)| p)
        .collect();
    inputs.retain(|p| !still_read.contains(p));
    inputs.sort();
    inputs.dedup();
    let names: Vec<&str> = created
        .iter()
        .map(|(p, _)| p.rsplit('/').next().unwrap_or(p))
        .collect();
    let mut edits = removal_edits(bytes, &root, list, &entries);
    edits.push(resources_edit(bytes, &root, &names));
    let kustomization = FilePlan {
        path: path.to_string(),
        original: bytes.to_vec(),
        fixed: apply(bytes, &edits),
        count: entries.len(),
        edits,
        redact: literal_spans.to_vec(),
    };
    let removed: Vec<usize> = (0..list.items().len())
        .filter(|&i| wanted(&list.items()[i]))
        .collect();
    verify::converted(&kustomization, &removed, &names).map_err(|p| vec![p])?;
    for (file, contents) in &created {
        verify::manifest(file, contents).map_err(|m| vec![problem(list, m)])?;
    }
    Ok(Some(GeneratorPlan {
        kustomization,
        created,
        deleted: inputs,
    }))
}

/// The SealedSecret manifest for one entry: (path, contents, input files it read).
#[allow(clippy::type_complexity)]
fn convert<R: TryCryptoRng + ?Sized>(
    path: &str,
    dir: &str,
    root: &Node,
    entry: &Node,
    read: ReadInput,
    ctx: &FixContext,
    rng: &mut R,
) -> std::result::Result<(String, Vec<u8>, Vec<String>), String> {
    let name = entry
        .str_at(&["name"])
        .ok_or("the entry has no name: add one")?;
    if !is_object_name(name) {
        return Err("the entry's name is not a valid Kubernetes object name (lowercase letters, digits, '-' and '.'), so it cannot name the new manifest: fix it, then run --fix again".into());
    }
    if let Some(behavior) = entry.str_at(&["behavior"]).filter(|b| *b != "create") {
        // Only kustomize's own words are repeated: the field may hold anything.
        let behavior = match behavior {
            "merge" | "replace" => behavior,
            _ => "…",
        };
        return Err(format!("secretGenerator {name:?} has `behavior: {behavior}`, which changes a Secret made elsewhere; a SealedSecret cannot merge into it: seal the whole Secret by hand (sealant seal --merge-into) and drop the entry"));
    }
    let unknown = |node: Option<&Node>, allowed: &[&str]| {
        node.into_iter()
            .flat_map(Node::entries)
            .filter_map(|(k, _)| k.as_str())
            .find(|k| !allowed.contains(k))
            .map(str::to_string)
    };
    if let Some(field) =
        unknown(Some(entry), KEPT_FIELDS).or_else(|| unknown(entry.get("options"), KEPT_OPTIONS))
    {
        return Err(format!("secretGenerator {name:?} uses {field:?}, which a SealedSecret cannot express: convert it by hand"));
    }
    let (namespace, scope) = placement(path, root, entry, name, ctx)?;
    let pinned = ctx.cert_for(path).ok_or("no cert is pinned for this path: add an entry to `certs:` in .sealant.yaml whose `paths` match it")?;
    if pinned.cert.is_expired_at(ctx.now) {
        return Err(format!("the cert pinned as {:?} has expired: pin the controller's current cert, then run --fix again", pinned.name));
    }
    let (data, read_files) = values(dir, name, entry, read)?;
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(ns) = &namespace {
        meta.insert("namespace".into(), json!(ns));
    }
    for field in ["labels", "annotations"] {
        if let Some(map) = entry.at(&["options", field]) {
            let pairs: Map<String, Value> = map
                .entries()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), json!(v.as_str()?))))
                .collect();
            meta.insert(field.into(), Value::Object(pairs));
        }
    }
    let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": data});
    if let Some(kind) = entry.str_at(&["type"]) {
        secret["type"] = json!(kind);
    }
    let request = SealRequest {
        scope: Some(scope),
        ..SealRequest::default()
    };
    let sealed = seal_secret(&secret, path, &pinned.cert, &request, rng)
        .map_err(|e| format!("cannot seal secretGenerator {name:?}: {e}"))?;
    let file = crate::paths::join(dir, &format!("{name}-sealedsecret.yaml"));
    let header = format!("# secretGenerator {name:?}, sealed by `sealant scan --fix`.\n");
    let contents = format!("{header}{}", crate::doc::to_yaml(&sealed));
    Ok((file, contents.into_bytes(), read_files))
}

/// Namespace and scope: the namespace must be the kustomization's own (or the entry's), not
/// one only a parent kustomization or Flux sets, and nothing may rename it.
fn placement(
    path: &str,
    root: &Node,
    entry: &Node,
    name: &str,
    ctx: &FixContext,
) -> std::result::Result<(Option<String>, Scope), String> {
    let scope = ctx.config.scope.unwrap_or(Scope::Strict);
    let own = entry
        .str_at(&["namespace"])
        .or_else(|| root.str_at(&["namespace"]));
    for chain in ctx.chains.get(path).map(Vec::as_slice).unwrap_or_default() {
        let applied = apply_chain(name, own, chain);
        if applied.name != name {
            return Err(format!("{} renames what it includes, and kustomize rewrites references to generated Secrets but not to SealedSecrets: converting secretGenerator {name:?} would break them; seal it by hand for the name it is applied as ({:?})", applied.renamed_by.join(" and "), applied.name));
        }
        if applied.namespace.as_deref() != own && scope.needs_namespace() {
            return Err(format!("secretGenerator {name:?} gets its namespace {:?} from {}, a parent of this kustomization: set `namespace:` in this kustomization (or on the entry), or move the secretGenerator into the overlay that sets it; then run --fix again", applied.namespace.as_deref().unwrap_or("?"), applied.moved_by.unwrap_or("?")));
        }
    }
    if own.is_none() && scope.needs_namespace() {
        return Err(format!("secretGenerator {name:?} has no namespace, while a {scope} SealedSecret only decrypts in the one it is sealed for: set `namespace:` in the kustomization (or on the entry), or move the secretGenerator into each overlay that deploys it and sets its namespace"));
    }
    Ok((own.map(str::to_string), scope))
}

/// The entry's keys and values, as kustomize builds them, and the files read.
/// Messages name a literal by its place (`literal 2 of secretGenerator "db"`), never by its
/// text: without its `=`, a literal may be all value.
fn values(
    dir: &str,
    name: &str,
    entry: &Node,
    read: ReadInput,
) -> std::result::Result<(BTreeMap<String, String>, Vec<String>), String> {
    let mut data = BTreeMap::new();
    let literals = entry.get("literals").map(Node::items).unwrap_or_default();
    for (i, literal) in literals.iter().enumerate() {
        let which = format!("literal {} of secretGenerator {name:?}", i + 1);
        let (key, value) = literal
            .as_str()
            .and_then(|t| t.split_once('='))
            .ok_or_else(|| {
                format!("{which} is not KEY=VALUE: write it so, then run --fix again")
            })?;
        let key = key.trim();
        if !is_valid_secret_key(key) {
            return Err(format!(
                "{which} has a key that is not a valid Secret key (letters, digits, '-', '_', '.')"
            ));
        }
        data.insert(key.to_string(), STANDARD.encode(unquote(value)));
    }
    let mut read_files = Vec::new();
    for (is_env, file) in input_paths(dir, entry) {
        let bytes = read(&file)
            .map_err(|e| format!("secretGenerator {name:?} reads a file --fix cannot use: {e}"))?;
        if is_env {
            for (key, value) in env_pairs(&bytes, &file)? {
                data.insert(key, STANDARD.encode(value));
            }
        } else {
            let key = file_key(entry, &file);
            if !is_valid_secret_key(&key) {
                return Err(format!("secretGenerator {name:?} reads {file} under a key that is not a valid Secret key (letters, digits, '-', '_', '.')"));
            }
            data.insert(key, STANDARD.encode(&bytes));
        }
        read_files.push(file);
    }
    Ok((data, read_files))
}

/// A DNS subdomain, as Kubernetes names Secrets: it also makes a safe file name.
pub(super) fn is_object_name(name: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    name.len() <= 253
        && edge(name.bytes().next())
        && edge(name.bytes().last())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'))
}

/// kustomize removes one pair of matching quotes around a literal's value.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// `KEY=VALUE` lines as kustomize reads an env file: leading space trimmed, `#` comments and
/// blank lines skipped, the value kept verbatim.
fn env_pairs(bytes: &[u8], file: &str) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line).trim_ascii_start();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            return Err(format!("{file}:{}: a line without `=` takes its value from kustomize's environment, which a SealedSecret cannot: write KEY=VALUE", n + 1));
        };
        let key = String::from_utf8_lossy(&line[..eq]).into_owned();
        if !is_valid_secret_key(&key) {
            return Err(format!(
                "{file}:{}: the key is not a valid Secret key (letters, digits, '-', '_', '.')",
                n + 1
            ));
        }
        out.push((key, line[eq + 1..].to_vec()));
    }
    Ok(out)
}

/// `files` entries are `path` (key: its file name) or `key=path`.
fn file_key(entry: &Node, file: &str) -> String {
    let base = crate::paths::file_name(file);
    for item in entry.get("files").map(Node::items).unwrap_or_default() {
        if let Some((key, p)) = item.as_str().and_then(|s| s.split_once('=')) {
            if p.trim().rsplit('/').next() == Some(base) {
                return key.trim().to_string();
            }
        }
    }
    base.to_string()
}

/// (is_env, root-relative path) of every file the entry reads.
fn input_paths(dir: &str, entry: &Node) -> Vec<(bool, String)> {
    crate::detect::entry_inputs(entry)
        .map(|(is_env, file)| (is_env, crate::paths::join(dir, file)))
        .collect()
}

/// Whole lines from the one holding `start` to the end of the one holding `end - 1`.
pub(super) fn lines(bytes: &[u8], range: Range<usize>) -> Range<usize> {
    let start = bytes[..range.start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &bytes[range.end.max(start)..])
        .map_or(bytes.len(), |i| range.end.max(start) + i + 1);
    start..end
}

/// Removes the converted entries, or the whole `secretGenerator` key when none remains.
fn removal_edits(bytes: &[u8], root: &Node, list: &Node, entries: &[&Node]) -> Vec<Edit> {
    if entries.len() == list.items().len() {
        let key = root
            .entries()
            .find(|(k, _)| k.as_str() == Some("secretGenerator"))
            .map(|(k, _)| k)
            .expect("the list is this key's value");
        let range = lines(bytes, key.span.start..content_range(bytes, list).end);
        return vec![Edit {
            range,
            text: String::new(),
        }];
    }
    entries
        .iter()
        .map(|entry| Edit {
            range: lines(bytes, content_range(bytes, entry)),
            text: String::new(),
        })
        .collect()
}

/// Adds the new manifests to `resources` (created at the end when absent).
pub(super) fn resources_edit(bytes: &[u8], root: &Node, names: &[&str]) -> Edit {
    let resources = root.get("resources");
    if let Some(empty) = resources.filter(|r| is_flow(bytes, r) && r.items().is_empty()) {
        let inside = empty.span.start + 1;
        return Edit {
            range: inside..inside,
            text: names.join(", "),
        };
    }
    // (A `resources:` without a value gets a second key, which the check refuses.)
    let Some(resources) = resources.filter(|r| !r.items().is_empty()) else {
        let lead = if bytes.ends_with(b"\n") || bytes.is_empty() {
            ""
        } else {
            "\n"
        };
        let items: String = names.iter().map(|n| format!("  - {n}\n")).collect();
        return Edit {
            range: bytes.len()..bytes.len(),
            text: format!("{lead}resources:\n{items}"),
        };
    };
    let last = resources.items().last().expect("not empty");
    if is_flow(bytes, resources) {
        let end = last.span.end;
        let items: String = names.iter().map(|n| format!(", {n}")).collect();
        return Edit {
            range: end..end,
            text: items,
        };
    }
    let line = lines(bytes, content_range(bytes, last));
    let item_line = &bytes[line.clone()];
    let indent = item_line.iter().take_while(|&&b| b == b' ').count();
    let newline = if item_line.ends_with(b"\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lead = if item_line.ends_with(b"\n") {
        ""
    } else {
        newline
    };
    let items: String = names
        .iter()
        .map(|n| format!("{}- {n}{newline}", " ".repeat(indent)))
        .collect();
    Edit {
        range: line.end..line.end,
        text: format!("{lead}{items}"),
    }
}
