//! Plaintext Secret documents (alone, in a multi-document file, or items of a `List`; YAML or
//! JSON) replaced by their SealedSecret, every other byte of the file kept.

use std::collections::BTreeSet;

use serde_json::Value;

use super::edit::{apply, column_of, content_range, fit, is_crlf, is_flow, Edit};
use super::{FilePlan, FixContext, Planned, Problem};
use crate::crypto::{Scope, TryCryptoRng, CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};
use crate::detect::{detect_secrets, SECRET_INVALID_BASE64};
use crate::finding::Detection;
use crate::graph::{apply as apply_chain, Chain};
use crate::sealed::{seal_secret, SealRequest};
use crate::yaml::{parse_node, split_documents, DocSpan, Node};

/// Plans sealing every plaintext Secret of one file that has a finding in `reported` (the
/// value spans the scan reported, after suppressions: a suppressed Secret stays as it is).
pub fn plan_secrets<R: TryCryptoRng + ?Sized>(
    path: &str,
    bytes: &[u8],
    reported: &[std::ops::Range<usize>],
    ctx: &FixContext,
    rng: &mut R,
) -> Planned {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => text,
        _ => return Err(not_utf8(path, bytes, reported)),
    };
    let is_json = path.to_ascii_lowercase().ends_with(".json");
    let docs = if is_json {
        vec![DocSpan {
            range: 0..text.len(),
            first_line: 1,
        }]
    } else {
        split_documents(bytes)
    };
    let mut plan = FilePlan {
        path: path.to_string(),
        original: bytes.to_vec(),
        fixed: Vec::new(),
        edits: Vec::new(),
        redact: Vec::new(),
        count: 0,
    };
    let mut problems = Vec::new();
    // Reported values inside a Secret document of the file's own (sealed or not).
    let mut handled: Vec<std::ops::Range<usize>> = Vec::new();
    for doc in docs {
        if !text[doc.range.clone()].contains("Secret") {
            continue;
        }
        let Ok(Some(root)) = parse_node(text, doc.range.clone()) else {
            continue; // not YAML (a Helm template, say): the scan reports it, --fix can't
        };
        if root.get("sops").is_some() {
            continue;
        }
        let targets = secrets_in(&root);
        if targets.is_empty() {
            continue;
        }
        handled.extend(targets.iter().map(|(node, _)| node.span.clone()));
        let Ok((_, values)) = crate::doc::parse_documents(&text[doc.range.clone()], path) else {
            continue;
        };
        let Some(value) = values.first() else {
            continue;
        };
        for (node, item) in targets {
            let value = item.map_or(value, |i| &value["items"][i]);
            let inside =
                |r: &std::ops::Range<usize>| node.span.start <= r.start && r.end <= node.span.end;
            if !reported.iter().any(inside) {
                continue;
            }
            match seal_node(path, bytes, node, value, is_json, ctx, rng) {
                Ok(Some((edit, detections))) => {
                    plan.redact
                        .extend(detections.iter().map(|d| d.span.clone()));
                    // And what the scan reported: a value given by an alias is written at
                    // its anchor, which this tree's detections do not point at.
                    plan.redact
                        .extend(reported.iter().filter(|r| inside(r)).cloned());
                    plan.edits.push(edit);
                    plan.count += 1;
                }
                Ok(None) => {}
                Err(message) => problems.push(Problem::at(path, bytes, node, message)),
            }
        }
    }
    problems.extend(embedded(path, bytes, reported, &handled));
    if !problems.is_empty() {
        return Err(problems);
    }
    if plan.edits.is_empty() {
        return Ok(None);
    }
    plan.fixed = apply(bytes, &plan.edits);
    super::verify::sealed(&plan).map_err(|p| vec![p])?;
    Ok(Some(plan))
}

/// Values the scan reported outside every Secret document of the file: Secrets written inside
/// a Markdown code block, a heredoc or a string, which --fix does not rewrite. One problem per
/// Secret value, so the file stays as it is and the user is told why.
fn embedded(
    path: &str,
    bytes: &[u8],
    reported: &[std::ops::Range<usize>],
    handled: &[std::ops::Range<usize>],
) -> Vec<Problem> {
    // Secret nodes are disjoint and come in file order: the one that may hold a value is the
    // last to start before it.
    let inside = |r: &&std::ops::Range<usize>| {
        let n = handled.partition_point(|h| h.start <= r.start);
        n > 0 && r.end <= handled[n - 1].end
    };
    let lines = crate::finding::LineIndex::new(bytes);
    reported
        .iter()
        .filter(|r| !inside(r))
        .map(|r| {
            let (line, column) = lines.line_col(r.start);
            Problem {
                path: path.to_string(),
                line,
                column,
                message: "this Secret is written inside other text (a Markdown code block, a heredoc or a string), which --fix does not rewrite: seal it by hand (`sealant seal`) and put the SealedSecret there, or read the value from the environment".to_string(),
            }
        })
        .collect()
}

/// Why the Secrets the scan found in a file that is not plain UTF-8 stay as they are: the
/// scan decodes UTF-16/32 and reads past stray bytes, but --fix writes the file back as it
/// is, so it edits UTF-8 text only. One problem per finding, at the place the scan gave.
fn not_utf8(path: &str, bytes: &[u8], reported: &[std::ops::Range<usize>]) -> Vec<Problem> {
    let why = if bytes.starts_with(b"\xff\xfe\0\0") || bytes.starts_with(b"\0\0\xfe\xff") {
        "the file is UTF-32: convert it to UTF-8 first"
    } else if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        "the file is UTF-16: convert it to UTF-8 first"
    } else if memchr::memchr(0, bytes).is_some() {
        "the file holds NUL bytes, which YAML does not allow: remove them first"
    } else {
        "the file is not valid UTF-8: fix or remove its invalid bytes first"
    };
    let text = match crate::source::sniff(bytes) {
        crate::source::Content::Text(text) => text,
        crate::source::Content::Binary(_) => bytes.into(),
    };
    // One line index for the file: a line count per finding would be quadratic.
    let lines = crate::finding::LineIndex::new(&text);
    let mut places: Vec<(usize, usize)> = reported
        .iter()
        .map(|r| lines.line_col(r.start.min(text.len())))
        .collect();
    places.dedup();
    places
        .into_iter()
        .map(|(line, column)| Problem {
            path: path.to_string(),
            line,
            column,
            message: why.to_string(),
        })
        .collect()
}

/// The Secret nodes of a document, with their index among a List's items.
pub(super) fn secrets_in<'a, 't>(root: &'a Node<'t>) -> Vec<(&'a Node<'t>, Option<usize>)> {
    let is_secret = |n: &Node| {
        n.str_at(&["kind"]) == Some("Secret") && n.str_at(&["apiVersion"]).is_none_or(|v| v == "v1")
    };
    match root.str_at(&["kind"]) {
        Some("List" | "SecretList") => root
            .get("items")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, n)| is_secret(n))
            .map(|(i, n)| (n, Some(i)))
            .collect(),
        _ if is_secret(root) => vec![(root, None)],
        _ => Vec::new(),
    }
}

/// The edit that seals one Secret, `None` if it holds no real value, or why it can't be.
#[allow(clippy::too_many_arguments)]
fn seal_node<R: TryCryptoRng + ?Sized>(
    path: &str,
    bytes: &[u8],
    node: &Node,
    value: &Value,
    is_json: bool,
    ctx: &FixContext,
    rng: &mut R,
) -> Result<Option<(Edit, Vec<Detection>)>, String> {
    let mut detections = Vec::new();
    detect_secrets(node, &mut detections);
    if detections.is_empty() {
        return Ok(None); // placeholders only
    }
    if detections.iter().any(|d| d.rule == SECRET_INVALID_BASE64) {
        return Err("a data value is not valid base64, so what it holds is unknown: fix or remove it (or move it to stringData), then run --fix again".into());
    }
    let chains = ctx.chains.get(path).map(Vec::as_slice).unwrap_or_default();
    let pinned = ctx.cert_for(path).ok_or_else(|| no_cert(chains))?;
    if pinned.cert.is_expired_at(ctx.now) {
        return Err(format!(
            "the cert pinned as {:?} expired on {}: fetch the controller's current cert (kubeseal --fetch-cert), pin it, then run --fix again",
            pinned.name,
            pinned.cert.not_after_text()
        ));
    }
    let (namespace, scope) = placement(node, chains, ctx)?;
    let mut secret = value.clone();
    if let (Some(ns), Some(meta)) = (&namespace, secret["metadata"].as_object_mut()) {
        meta.insert("namespace".into(), Value::String(ns.clone()));
    }
    let request = SealRequest {
        scope: Some(scope),
        ..SealRequest::default()
    };
    let sealed = seal_secret(&secret, path, &pinned.cert, &request, rng)
        .map_err(|e| format!("cannot seal it: {e}"))?;
    let range = content_range(bytes, node);
    let rendered = if is_json {
        serde_json::to_string_pretty(&sealed).expect("JSON values serialize")
    } else if is_flow(bytes, node) {
        serde_json::to_string(&sealed).expect("JSON values serialize")
    } else {
        crate::doc::to_yaml(&sealed)
    };
    let text = fit(&rendered, column_of(bytes, range.start), is_crlf(bytes));
    Ok(Some((Edit { range, text }, detections)))
}

/// Why no cert applies; for a kustomization nothing in the repository includes (a base whose
/// overlays are elsewhere, or that has none yet), what to do instead.
fn no_cert(chains: &[Chain]) -> String {
    let pin = "add an entry to `certs:` in .sealant.yaml whose `paths` match it, so that --fix knows which cluster it deploys to";
    // Its one build is its own kustomization: nothing includes it.
    let alone = match chains {
        [chain] => match chain.as_ref() {
            [own] => crate::k8s::is_kustomization_file(crate::paths::file_name(&own.file))
                .then_some(own.file.as_str()),
            _ => None,
        },
        _ => None,
    };
    match alone {
        Some(kustomization) => format!(
            "no cert is pinned for this path, and nothing in the repository includes {kustomization} (no overlay, no Flux Kustomization): if it deploys to one cluster, {pin}; if it is a base for overlays (here or in other repositories, as a remote base), --fix cannot seal it for them: include it from an overlay per cluster in this repository and pin each cluster's cert for its overlay's paths, then run --fix again, or seal the Secret in each overlay by hand (`sealant seal`) and delete it here"
        ),
        None => format!("no cert is pinned for this path: {pin}"),
    }
}

/// The Secret's scope annotation, else the configured scope, else strict.
pub(super) fn scope_of(node: &Node, ctx: &FixContext) -> Scope {
    let annotations = node.at(&["metadata", "annotations"]);
    let annotated = [CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION]
        .iter()
        .any(|k| annotations.and_then(|a| a.get(k)).is_some());
    if annotated {
        Scope::from_annotations(|k| annotations?.get(k)?.as_str())
    } else {
        ctx.config.scope.unwrap_or(Scope::Strict)
    }
}

/// The namespace to seal for and the scope, from the Secret and every build that deploys it.
fn placement(
    node: &Node,
    chains: &[Chain],
    ctx: &FixContext,
) -> Result<(Option<String>, Scope), String> {
    let name = node
        .str_at(&["metadata", "name"])
        .ok_or("the Secret has no metadata.name, which sealing binds the values to: add one")?;
    let own_ns = node.str_at(&["metadata", "namespace"]);
    let scope = scope_of(node, ctx);
    let none: &[Chain] = &[Chain::from(Vec::new())];
    let chains = if chains.is_empty() { none } else { chains };
    let applied: Vec<_> = chains
        .iter()
        .map(|c| apply_chain(name, own_ns, c))
        .collect();
    if scope == Scope::Strict {
        if let Some(a) = applied.iter().find(|a| a.name != name) {
            return Err(format!("{} renames Secret {name:?} to {:?}; a strict SealedSecret is sealed for one name, which the build would change again: annotate this Secret with {NAMESPACE_WIDE_ANNOTATION}: \"true\" (it then decrypts under any name in its namespace), or seal it in each overlay that deploys it, for the name it gets there; then run --fix again", a.renamed_by.join(" and "), a.name));
        }
    }
    if !scope.needs_namespace() {
        return Ok((own_ns.map(str::to_string), scope));
    }
    let namespaces: BTreeSet<Option<&str>> =
        applied.iter().map(|a| a.namespace.as_deref()).collect();
    match namespaces.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(ns)] => Ok((Some(ns.to_string()), scope)),
        [None] => Err(format!("Secret {name:?} has no namespace, and nothing that deploys it sets one, while a {scope} SealedSecret only decrypts in the namespace it is sealed for: set metadata.namespace or `namespace:` in the kustomization that deploys it, or seal it in each overlay that deploys it, for that overlay's namespace; only a Secret that must decrypt in any namespace should be annotated {CLUSTER_WIDE_ANNOTATION}: \"true\"")),
        many => {
            let list: Vec<&str> = many.iter().map(|n| n.unwrap_or("(none)")).collect();
            Err(format!("Secret {name:?} is deployed to several namespaces ({}), while a {scope} SealedSecret decrypts in one only: seal it in each overlay that deploys it, for that overlay's namespace (a Secret per overlay instead of one in the base), or, if the same value may decrypt in any namespace, annotate this Secret with {CLUSTER_WIDE_ANNOTATION}: \"true\"", list.join(", ")))
        }
    }
}
