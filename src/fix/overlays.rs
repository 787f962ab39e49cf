//! A plaintext Secret in a base that several overlays deploy under different namespaces, names
//! or certs: no one SealedSecret in the base is right for every build, so it is sealed once per
//! overlay, into a new file that overlay's kustomization lists, and removed from the base.
//!
//! The overlay of a build is the innermost kustomization of its chain that not every build
//! shares: what is common to all is the base. Planning never writes; every new or rewritten
//! file is checked (`verify`) before anything is.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde_json::Value;

use super::edit::{apply, content_range, is_flow, Edit};
use super::generator::{is_object_name, lines, resources_edit};
use super::secrets::{scope_of, secrets_in};
use super::{verify, FilePlan, FixContext, Problem, RepoFiles};
use crate::config::PinnedCert;
use crate::crypto::{Scope, TryCryptoRng, NAMESPACE_WIDE_ANNOTATION};
use crate::detect::{detect_secrets, SECRET_INVALID_BASE64};
use crate::graph::{apply as apply_chain, Chain, Transform};
use crate::sealed::{seal_secret, SealRequest};
use crate::yaml::{parse_node, split_documents, Node};

/// The cert an overlay's new SealedSecret is sealed with: the one of the roots that deploy the
/// overlay's kustomization, else the one the new file's path matches.
fn overlay_cert<'a>(ctx: &FixContext<'a>, target: &Target) -> Option<&'a PinnedCert> {
    match ctx.deployments {
        Some(_) if ctx.config.has_roots() => ctx.cert_for(target.overlay),
        _ => ctx.config.cert_for(&new_path(target)),
    }
}

/// What sealing one base file's Secrets per overlay changes.
#[derive(Debug)]
pub(crate) struct SharedFile {
    path: String,
    /// The base file without the Secrets, or `None` when nothing else is left in it.
    rest: Option<FilePlan>,
    /// Where the base file is listed (`resources` of these kustomizations), if it goes.
    listed_in: BTreeSet<String>,
    /// (overlay kustomization, new file, contents).
    created: Vec<(String, String, Vec<u8>)>,
    /// The base file as read, to put back if a later write fails.
    original: Vec<u8>,
}

/// Everything sealing shared Secrets per overlay changes, written as one.
#[derive(Debug, Default)]
pub(crate) struct OverlayPlan {
    /// Kustomizations (resources gained or lost) and base files (documents removed).
    pub(crate) changed: Vec<FilePlan>,
    /// New SealedSecret files: (root-relative path, contents).
    pub(crate) created: Vec<(String, Vec<u8>)>,
    /// Base files that held only Secrets, with their original bytes (for an undo).
    pub(crate) deleted: Vec<(String, Vec<u8>)>,
}

/// One overlay's SealedSecret: where it goes and what the build makes of it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target<'c> {
    overlay: &'c str,
    /// Its `metadata.name`: the name as it enters the overlay, which may rename it further.
    name: String,
    /// The name and namespace the build gives it (it is sealed for the namespace).
    final_name: String,
    namespace: Option<String>,
    /// The build's entry point (a top-level kustomization or a Flux Kustomization).
    entry: &'c str,
}

/// Plans sealing the reported Secrets of `path` per overlay, or `None` when the builds that
/// deploy it agree on namespace, name and cert (then it is sealed in place).
pub(crate) fn plan_shared<R: TryCryptoRng + ?Sized>(
    path: &str,
    bytes: &[u8],
    reported: &[Range<usize>],
    ctx: &FixContext,
    files: &RepoFiles,
    rng: &mut R,
) -> Option<Result<SharedFile, Vec<Problem>>> {
    let chains = ctx.chains.get(path).map(Vec::as_slice).unwrap_or_default();
    if chains.len() < 2 {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let secrets = reported_secrets(path, text, reported);
    if !secrets.iter().any(|s| is_shared(path, s, chains, ctx)) {
        return None;
    }
    Some(plan_file(path, text, &secrets, chains, ctx, files, rng))
}

/// A reported Secret of the base file: its document, node and object.
struct BaseSecret<'t> {
    doc: usize,
    node: Node<'t>,
    value: Value,
    in_list: bool,
}

fn reported_secrets<'t>(
    path: &str,
    text: &'t str,
    reported: &[Range<usize>],
) -> Vec<BaseSecret<'t>> {
    let is_json = path.to_ascii_lowercase().ends_with(".json");
    let docs: Vec<Range<usize>> = if is_json {
        std::iter::once(0..text.len()).collect()
    } else {
        split_documents(text.as_bytes())
            .into_iter()
            .map(|d| d.range)
            .collect()
    };
    let mut out = Vec::new();
    for (doc, range) in docs.into_iter().enumerate() {
        let Ok(Some(root)) = parse_node(text, range.clone()) else {
            continue;
        };
        if root.get("sops").is_some() {
            continue; // encrypted by SOPS: not plaintext
        }
        let Ok((_, values)) = crate::doc::parse_documents(&text[range], path) else {
            continue;
        };
        let (Some(value), targets) = (values.first(), secrets_in(&root)) else {
            continue;
        };
        for (node, item) in targets {
            let inside = |r: &Range<usize>| node.span.start <= r.start && r.end <= node.span.end;
            if reported.iter().any(inside) {
                let value = item.map_or(value, |i| &value["items"][i]).clone();
                let in_list = item.is_some();
                let node = node.clone();
                out.push(BaseSecret {
                    doc,
                    node,
                    value,
                    in_list,
                });
            }
        }
    }
    out
}

/// Whether the builds deploying a Secret disagree on what it is sealed for or with.
fn is_shared(path: &str, secret: &BaseSecret, chains: &[Chain], ctx: &FixContext) -> bool {
    let name = secret
        .node
        .str_at(&["metadata", "name"])
        .unwrap_or_default();
    let own_ns = secret.node.str_at(&["metadata", "namespace"]);
    let placed: BTreeSet<(String, Option<String>)> = chains
        .iter()
        .map(|c| apply_chain(name, own_ns, c))
        .map(|a| (a.name, a.namespace))
        .collect();
    let certs: BTreeSet<Option<&str>> = match targets(path, name, own_ns, chains) {
        Ok(targets) => targets
            .iter()
            .map(|t| overlay_cert(ctx, t).map(|c| c.name.as_str()))
            .collect(),
        Err(_) => BTreeSet::new(),
    };
    placed.len() > 1 || certs.len() > 1
}

/// The file an overlay's SealedSecret goes to.
fn new_path(target: &Target) -> String {
    let dir = target.overlay.rsplit_once('/').map_or("", |(d, _)| d);
    crate::paths::join(dir, &format!("{}-sealedsecret.yaml", target.name))
}

fn is_kustomization(t: &Transform) -> bool {
    crate::k8s::is_kustomization_file(crate::paths::file_name(&t.file))
}

/// The overlay of every build that deploys the file, or why there is none for one.
fn targets<'c>(
    path: &'c str,
    name: &str,
    own_ns: Option<&str>,
    chains: &'c [Chain],
) -> Result<Vec<Target<'c>>, String> {
    let mut common: BTreeSet<&str> = chains[0].iter().map(|t| t.file.as_str()).collect();
    for chain in &chains[1..] {
        let files: BTreeSet<&str> = chain.iter().map(|t| t.file.as_str()).collect();
        common.retain(|f| files.contains(f));
    }
    let mut by_overlay: BTreeMap<&str, Target> = BTreeMap::new();
    for chain in chains {
        let entry = chain.last().map_or(path, |t| t.file.as_str());
        let Some(at) = chain
            .iter()
            .position(|t| is_kustomization(t) && !common.contains(t.file.as_str()))
        else {
            return Err(format!("{entry} deploys {path} without an overlay of its own, while other builds deploy it through theirs, so there is no one place to seal it for that build: point {entry} at an overlay that includes the base (or give it one), then run --fix again"));
        };
        let inner = apply_chain(name, own_ns, &chain[..at]);
        let whole = apply_chain(name, own_ns, chain);
        let target = Target {
            overlay: chain[at].file.as_str(),
            name: inner.name,
            final_name: whole.name,
            namespace: whole.namespace,
            entry,
        };
        if let Some(seen) = by_overlay.get(target.overlay) {
            if (&seen.final_name, &seen.namespace) != (&target.final_name, &target.namespace) {
                return Err(format!("{} is deployed by both {} and {}, as {} and {}: one SealedSecret in it cannot serve both; give each its own overlay, then run --fix again", target.overlay, seen.entry, target.entry, shown(seen), shown(&target)));
            }
            continue;
        }
        by_overlay.insert(target.overlay, target);
    }
    Ok(by_overlay.into_values().collect())
}

fn shown(t: &Target) -> String {
    format!("{}/{}", t.namespace.as_deref().unwrap_or("?"), t.final_name)
}

/// Seals every reported Secret of the file for every overlay, and removes them from it.
fn plan_file<R: TryCryptoRng + ?Sized>(
    path: &str,
    text: &str,
    secrets: &[BaseSecret],
    chains: &[Chain],
    ctx: &FixContext,
    files: &RepoFiles,
    rng: &mut R,
) -> Result<SharedFile, Vec<Problem>> {
    let bytes = text.as_bytes();
    let mut problems = Vec::new();
    let mut created = Vec::new();
    let mut redact = Vec::new();
    for secret in secrets {
        let problem = |m: String| Problem::at(path, bytes, &secret.node, m);
        let mut detections = Vec::new();
        detect_secrets(&secret.node, &mut detections);
        redact.extend(detections.iter().map(|d| d.span.clone()));
        match seal_for_overlays(path, secret, &detections, chains, ctx, files, rng) {
            Ok(made) => created.extend(made),
            Err(message) => problems.push(problem(message)),
        }
    }
    let mut seen = BTreeSet::new();
    for (_, file, _) in &created {
        if !seen.insert(file.clone()) {
            let message = format!("two Secrets would be sealed into {file}: give them different names, then run --fix again");
            problems.push(Problem::at(path, bytes, &secrets[0].node, message));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let rest = without_secrets(path, bytes, secrets, &redact).map_err(|p| vec![p])?;
    let listed_in = if rest.is_none() {
        chains
            .iter()
            .filter_map(|c| c.first())
            .filter(|t| is_kustomization(t))
            .map(|t| t.file.clone())
            .collect()
    } else {
        BTreeSet::new()
    };
    Ok(SharedFile {
        path: path.to_string(),
        rest,
        listed_in,
        created,
        original: bytes.to_vec(),
    })
}

/// The new files of one Secret: (overlay kustomization, path, contents) per overlay.
#[allow(clippy::type_complexity)]
fn seal_for_overlays<R: TryCryptoRng + ?Sized>(
    path: &str,
    secret: &BaseSecret,
    detections: &[crate::finding::Detection],
    chains: &[Chain],
    ctx: &FixContext,
    files: &RepoFiles,
    rng: &mut R,
) -> Result<Vec<(String, String, Vec<u8>)>, String> {
    if secret.in_list {
        return Err("this Secret, deployed by several overlays, is an item of a List, which --fix does not split: move it to a document of its own, then run --fix again".into());
    }
    if detections.iter().any(|d| d.rule == SECRET_INVALID_BASE64) {
        return Err("a data value is not valid base64, so what it holds is unknown: fix or remove it (or move it to stringData), then run --fix again".into());
    }
    let name = secret
        .node
        .str_at(&["metadata", "name"])
        .ok_or("the Secret has no metadata.name, which sealing binds the values to: add one")?;
    let own_ns = secret.node.str_at(&["metadata", "namespace"]);
    let scope = scope_of(&secret.node, ctx);
    let mut out = Vec::new();
    for target in targets(path, name, own_ns, chains)? {
        let file = new_path(&target);
        if let Some(kustomization) = patcher(chains, &target, name, files) {
            return Err(format!("{kustomization} changes Secret {name:?} when {} is built (a patch, a replacement or a secretGenerator that merges into it), which it could not do to a SealedSecret: move that change into the Secret, then run --fix again", target.overlay));
        }
        let cert = check_target(&target, name, scope, &file, ctx, files)?;
        let contents = seal_one(path, secret, &target, scope, &file, cert, rng)?;
        out.push((target.overlay.to_string(), file, contents));
    }
    Ok(out)
}

/// The cert for an overlay's SealedSecret, once its place, scope and names allow it.
fn check_target<'a>(
    target: &Target,
    name: &str,
    scope: Scope,
    file: &str,
    ctx: &FixContext<'a>,
    files: &RepoFiles,
) -> Result<&'a PinnedCert, String> {
    check_place(target, file, files)?;
    let cert = overlay_cert(ctx, target).ok_or_else(|| format!("no one cert is pinned for {file}, where the SealedSecret for {} would go: pin the cert of the cluster {} deploys to (`sealant cert pin FILE --name NAME --root ROOT`, or `paths:` that match it), then run --fix again", target.overlay, target.entry))?;
    if cert.cert.is_expired_at(ctx.now) {
        return Err(format!("the cert pinned as {:?} for {file} expired on {}: fetch the controller's current cert (kubeseal --fetch-cert), pin it, then run --fix again", cert.name, cert.cert.not_after_text()));
    }
    if scope == Scope::Strict && target.name != target.final_name {
        // sealant's own checks (sealed-moved, sealed-template-mismatch) take a strict
        // SealedSecret's own name as the one it is sealed for.
        return Err(format!("{} renames Secret {name:?} to {:?}; a strict SealedSecret is sealed for one name, which the overlay would change again: seal it namespace-wide (annotate the Secret with {NAMESPACE_WIDE_ANNOTATION}: \"true\"), then run --fix again", target.overlay, target.final_name));
    }
    // Once the Secret is gone, no kustomization rewrites the references to it.
    if target.final_name != name {
        if let Some(user) = referrer(target, name, ctx, files) {
            return Err(format!("{} deploys Secret {name:?} as {:?}, and kustomize renames the references to a Secret but not to a SealedSecret: {user} refers to {name:?}, which would then name no Secret; refer to it as {:?} (a patch in {}), or drop the rename, then run --fix again", target.overlay, target.final_name, target.final_name, target.overlay));
        }
    }
    if scope.needs_namespace() && target.namespace.is_none() {
        return Err(format!("{} deploys Secret {name:?} without a namespace, while a {scope} SealedSecret only decrypts in the namespace it is sealed for: set `namespace:` in {}, then run --fix again", target.entry, target.overlay));
    }
    Ok(cert)
}

/// The new file for one overlay: the Secret sealed for the namespace the build gives it, named
/// as it enters the overlay; checked to read back as a SealedSecret.
fn seal_one<R: TryCryptoRng + ?Sized>(
    path: &str,
    secret: &BaseSecret,
    target: &Target,
    scope: Scope,
    file: &str,
    cert: &PinnedCert,
    rng: &mut R,
) -> Result<Vec<u8>, String> {
    let mut value = secret.value.clone();
    if let Some(meta) = value["metadata"].as_object_mut() {
        meta.insert("name".into(), Value::String(target.name.clone()));
        match &target.namespace {
            Some(ns) => meta.insert("namespace".into(), Value::String(ns.clone())),
            None => meta.shift_remove("namespace"),
        };
    }
    let request = SealRequest {
        scope: Some(scope),
        ..SealRequest::default()
    };
    let sealed = seal_secret(&value, file, &cert.cert, &request, rng)
        .map_err(|e| format!("cannot seal it for {}: {e}", target.overlay))?;
    let name = secret
        .node
        .str_at(&["metadata", "name"])
        .unwrap_or_default();
    let header = format!(
        "# Secret {name:?} of {path} as {} deploys it ({}), sealed by `sealant scan --fix`.\n",
        target.overlay,
        shown(target)
    );
    let contents = format!("{header}{}", crate::doc::to_yaml(&sealed)).into_bytes();
    verify::sealed_manifest(file, &contents)?;
    Ok(contents)
}

/// A kustomization of the overlay's build that patches, replaces into or merges a generator into
/// the Secret `name`: after sealing, there is no Secret for it to change and the build fails (or
/// the change is silently lost). Judged by the name appearing in what can change it: a false
/// match only refuses.
fn patcher(chains: &[Chain], target: &Target, name: &str, files: &RepoFiles) -> Option<String> {
    let mut kustomizations: Vec<&str> = chains
        .iter()
        .filter(|c| c.iter().any(|t| t.file == target.overlay))
        .flat_map(|c| {
            c.iter()
                .filter(|t| is_kustomization(t))
                .map(|t| t.file.as_str())
        })
        .collect();
    kustomizations.sort_unstable();
    kustomizations.dedup();
    kustomizations
        .into_iter()
        .find(|k| changes_secret(k, name, files))
        .map(str::to_string)
}

/// Whether kustomization `path` has a patch, replacement or merging generator about `name`.
fn changes_secret(path: &str, name: &str, files: &RepoFiles) -> bool {
    let Ok(bytes) = files.read(path) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    let Ok(Some(root)) = parse_node(text, 0..text.len()) else {
        return false;
    };
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mentions = |node: &Node| {
        let inline = text[node.span.clone()].contains(name);
        inline
            || files_named(node).any(|f| {
                files
                    .read(&crate::paths::join(dir, f))
                    .is_ok_and(|b| String::from_utf8_lossy(&b).contains(name))
            })
    };
    let patching = [
        "patches",
        "patchesStrategicMerge",
        "patchesJson6902",
        "replacements",
    ];
    let patched = patching.iter().filter_map(|k| root.get(k)).any(mentions);
    let merged = root
        .get("secretGenerator")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|g| {
            g.str_at(&["name"]) == Some(name)
                && matches!(g.str_at(&["behavior"]), Some("merge" | "replace"))
        });
    patched || merged
}

/// The file names a patch list holds: `- path: FILE` entries and plain `- FILE` ones.
fn files_named<'n>(list: &'n Node<'n>) -> impl Iterator<Item = &'n str> + 'n {
    list.items().iter().filter_map(|item| {
        item.str_at(&["path"])
            .or_else(|| item.as_str().filter(|s| !s.contains('\n')))
    })
}

/// A workload of the overlay's build that refers to the Secret by `name` (a file path).
fn referrer(target: &Target, name: &str, ctx: &FixContext, files: &RepoFiles) -> Option<String> {
    let in_build = |chains: &Vec<Chain>| {
        let has = |c: &Chain| c.iter().any(|t| t.file == target.overlay);
        chains.iter().any(has)
    };
    let mut members: Vec<&String> = ctx
        .chains
        .iter()
        .filter(|(_, chains)| in_build(chains))
        .map(|(path, _)| path)
        .collect();
    members.sort();
    members
        .into_iter()
        .find(|path| refers_to(path, name, files))
        .cloned()
}

/// Whether a workload in the file refers to the Secret `name`.
fn refers_to(path: &str, name: &str, files: &RepoFiles) -> bool {
    let Ok(bytes) = files.read(path) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    if !text.contains(name) {
        return false;
    }
    let mut facts = Vec::new();
    for doc in split_documents(bytes.as_slice()) {
        if let Ok(Some(root)) = parse_node(text, doc.range) {
            let file_name = crate::paths::file_name(path);
            crate::graph::facts_of(&root, path, file_name, &|_| (1, 1), &mut facts);
        }
    }
    facts.iter().any(|f| match f {
        crate::graph::Fact::Workload { refs, .. } => refs.iter().any(|r| r.secret == name),
        _ => false,
    })
}

/// The overlay must be in the repository, and the new file's name free.
fn check_place(target: &Target, file: &str, files: &RepoFiles) -> Result<(), String> {
    files.path(target.overlay)?;
    if !is_object_name(&target.name) {
        return Err(format!("the Secret's name in {} is not a valid Kubernetes object name, so it cannot name the new file: fix it, then run --fix again", target.overlay));
    }
    let place = files.path(file)?;
    if std::fs::symlink_metadata(place).is_ok() {
        return Err(format!("{file} already exists, where the SealedSecret for {} would go: move or rename it, then run --fix again", target.overlay));
    }
    Ok(())
}

/// The base file without the Secret documents, or `None` when nothing else is in it.
fn without_secrets(
    path: &str,
    bytes: &[u8],
    secrets: &[BaseSecret],
    redact: &[Range<usize>],
) -> Result<Option<FilePlan>, Problem> {
    let docs = split_documents(bytes);
    let gone: BTreeSet<usize> = secrets.iter().map(|s| s.doc).collect();
    let is_json = path.to_ascii_lowercase().ends_with(".json");
    let kept = (0..docs.len()).filter(|i| !gone.contains(i));
    let empty = |i: usize| {
        parse_node(
            std::str::from_utf8(&bytes[docs[i].range.clone()]).unwrap_or("x"),
            0..docs[i].range.len(),
        )
        .is_ok_and(|n| n.is_none())
    };
    if is_json || kept.clone().all(empty) {
        return Ok(None);
    }
    let edits: Vec<Edit> = runs(&gone)
        .into_iter()
        .map(|(first, last)| {
            // A run that ends the file goes with the separator before it. Runs, not single
            // documents: two neighbours removed one by one would overlap at their separator.
            let range = match docs.get(last + 1) {
                Some(next) => docs[first].range.start..next.range.start,
                None => docs[first - 1].range.end..docs[last].range.end,
            };
            Edit {
                range,
                text: String::new(),
            }
        })
        .collect();
    let plan = FilePlan {
        path: path.to_string(),
        original: bytes.to_vec(),
        fixed: apply(bytes, &edits),
        edits,
        redact: redact.to_vec(),
        count: 0,
    };
    let names: Vec<&str> = secrets
        .iter()
        .filter_map(|s| s.node.str_at(&["metadata", "name"]))
        .collect();
    verify::without_secrets(&plan, &names)?;
    Ok(Some(plan))
}

/// Puts the files together: overlay kustomizations list the new files, base kustomizations
/// lose the base files that go.
pub(crate) fn combine(
    shared: Vec<SharedFile>,
    files: &RepoFiles,
) -> Result<OverlayPlan, Vec<Problem>> {
    let mut listing: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut plan = OverlayPlan::default();
    let bases: Vec<String> = shared.iter().map(|f| f.path.clone()).collect();
    let mut problems = Vec::new();
    for file in shared {
        for (overlay, new, contents) in file.created {
            if plan.created.iter().any(|(p, _)| *p == new) {
                let message = format!("a Secret of another base file is sealed into {new} too: give them different names, then run --fix again");
                problems.push(Problem::in_file(&file.path, message));
            }
            let name = crate::paths::file_name(&new).to_string();
            listing.entry(overlay).or_default().1.push(name);
            plan.created.push((new, contents));
        }
        for kustomization in file.listed_in {
            listing
                .entry(kustomization)
                .or_default()
                .0
                .push(file.path.clone());
        }
        match file.rest {
            Some(rest) => plan.changed.push(rest),
            None => plan.deleted.push((file.path, file.original)),
        }
    }
    for (path, (removed, added)) in listing {
        match relist(&path, &removed, &added, files) {
            Ok(changed) => plan.changed.push(changed),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        // All or none: every base this run would have changed stays as it is, and says why.
        problems.extend(bases.iter().map(|base| Problem::in_file(base, "sealing it per overlay needs a kustomization changed that --fix cannot change (see above), and the overlays' files change all together or not at all".into())));
        return Err(problems);
    }
    plan.changed.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(plan)
}

/// A kustomization whose `resources` lose `removed` (root-relative files) and gain `added`.
fn relist(
    path: &str,
    removed: &[String],
    added: &[String],
    files: &RepoFiles,
) -> Result<FilePlan, Problem> {
    let bytes = files.read(path).map_err(|m| Problem::in_file(path, m))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Problem::in_file(
            path,
            "the kustomization is not UTF-8, so --fix cannot add to or remove from its resources"
                .into(),
        )
    })?;
    let root = match parse_node(text, 0..text.len()) {
        Ok(Some(root)) => root,
        _ => return Err(Problem::in_file(path, "the kustomization does not parse, so --fix cannot change its resources: fix it, then run --fix again".into())),
    };
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut edits = Vec::new();
    let mut entries = Vec::new();
    for file in removed {
        let resources = root.get("resources");
        let item = resources
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .find(|n| {
                n.as_str()
                    .is_some_and(|r| crate::paths::join(dir, r) == *file)
            });
        let (Some(list), Some(item)) = (resources, item) else {
            return Err(Problem::in_file(path, format!("{file} is not listed in `resources` here (an entry --fix cannot read, such as a glob or a `bases` entry): remove the Secret from it by hand")));
        };
        if is_flow(&bytes, list) {
            return Err(Problem::at(path, &bytes, list, format!("`resources` is written in flow style ([...]), which --fix does not remove {file} from: write it as a block list, then run --fix again")));
        }
        edits.push(Edit {
            range: lines(&bytes, content_range(&bytes, item)),
            text: String::new(),
        });
        entries.push(item.as_str().unwrap_or_default().to_string());
    }
    let names: Vec<&str> = added.iter().map(String::as_str).collect();
    if !names.is_empty() {
        edits.push(resources_edit(&bytes, &root, &names));
    }
    let plan = FilePlan {
        path: path.to_string(),
        fixed: apply(&bytes, &edits),
        original: bytes,
        edits,
        redact: Vec::new(),
        count: 0,
    };
    verify::relisted(&plan, &entries, &names)?;
    Ok(plan)
}

/// `indices` (sorted) as runs of consecutive ones: (first, last) each.
fn runs(indices: &BTreeSet<usize>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &i in indices {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => out.push((i, i)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(overlay: &str) -> Target<'_> {
        Target {
            overlay,
            name: "db".into(),
            final_name: "prod-db".into(),
            namespace: Some("prod".into()),
            entry: "clusters/prod/apps.yaml",
        }
    }

    #[test]
    fn an_overlay_outside_the_repository_or_behind_a_symlink_gets_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let files = RepoFiles::new(dir.path(), 1024, false);
        let outside = target("../elsewhere/kustomization.yaml");
        let why = check_place(&outside, &new_path(&outside), &files).unwrap_err();
        assert!(why.contains("outside the repository"), "{why}");
        #[cfg(unix)]
        {
            let away = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("overlays")).unwrap();
            std::os::unix::fs::symlink(away.path(), dir.path().join("overlays/prod")).unwrap();
            let linked = target("overlays/prod/kustomization.yaml");
            let why = check_place(&linked, &new_path(&linked), &files).unwrap_err();
            assert!(why.contains("symlink"), "{why}");
        }
        let inside = target("overlays/dev/kustomization.yaml");
        assert_eq!(new_path(&inside), "overlays/dev/db-sealedsecret.yaml");
        assert!(check_place(&inside, &new_path(&inside), &files).is_ok());
    }
}
