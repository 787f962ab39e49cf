//! `sealant where PATH`: every build that deploys a manifest, as the graph resolves it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{default_threads, emit, EXIT_OK};
use crate::cli::{ListFormat, WhereArgs};
use crate::config::{Config, PinnedCert};
use crate::crypto::Scope;
use crate::error::{Error, Result};
use crate::graph::trace::{self, Deployment, Object, Step, Why};

/// What `where` found for one file.
struct Report<'c> {
    path: String,
    objects: Vec<Object>,
    deployments: Vec<Deployment<'c>>,
    /// The cert by `paths:` when no build deploys the file.
    undeployed: Option<(&'c PinnedCert, Why<'c>)>,
}

pub(super) fn run(args: &WhereArgs, stdout: &mut dyn Write) -> Result<u8> {
    let file = &args.path;
    if !file.is_file() {
        let what = if file.is_dir() {
            "is a directory"
        } else {
            "does not exist"
        };
        return Err(Error::usage(
            format!("{} {what}", file.display()),
            Some("name a manifest file: `sealant where apps/base/app/secret.yaml`".to_string()),
        ));
    }
    let (root, mut config) = root_and_config(file, args.config.as_deref())?;
    config.anchor(&root);
    // `a/../b` names `b`: the graph knows files by their normal path.
    let path = crate::paths::normalize(&crate::paths::relative_path(&root, file));
    let text = crate::io::read_text(file)?;
    let (_, docs) = crate::doc::parse_documents(&text, &path)?;
    let objects = trace::objects(&docs, config.scope);
    // A Flux `spec.path` may be relative to the configuration's directory (a GitOps tree
    // inside a bigger repository), as to a scanned directory.
    let scanned: Vec<PathBuf> = config
        .path
        .as_ref()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    let read = crate::scan::repository_graph(&root, &scanned, &config, default_threads());
    let deployments = trace::deployments(&read.graph(), &config, &path);
    let undeployed = match deployments.is_empty() {
        true => trace::undeployed_cert(&config, &path),
        false => None,
    };
    let report = Report {
        path,
        objects,
        deployments,
        undeployed,
    };
    let text = match args.format {
        ListFormat::Human => human(&report),
        ListFormat::Json => {
            let mut text = serde_json::to_string_pretty(&to_json(&report))
                .expect("JSON values always serialize");
            text.push('\n');
            text
        }
    };
    emit(None, text.as_bytes(), 0o644, stdout)?;
    Ok(EXIT_OK)
}

/// The repository holding the file (else the working directory) and its configuration.
fn root_and_config(file: &Path, explicit: Option<&Path>) -> Result<(PathBuf, Config)> {
    let absolute = std::path::absolute(file)
        .map_err(|e| Error::input(file.display().to_string(), e.to_string()))?;
    let dir = absolute.parent().unwrap_or(Path::new("/"));
    match crate::paths::enclosing_repository(dir) {
        Some(root) => Ok((root, Config::load(explicit, file)?)),
        None => {
            let root = std::env::current_dir().map_err(|e| Error::input(".", e.to_string()))?;
            let config = Config::load(explicit, &root)?;
            Ok((root, config))
        }
    }
}

fn why_text(why: Why) -> String {
    match why {
        Why::Root(root) => format!(
            "its root {} deploys this build",
            crate::config::shown_root(root)
        ),
        Why::Paths => "its `paths:` match the file".to_string(),
    }
}

fn namespaced(namespace: Option<&str>, name: &str) -> String {
    format!("{}/{name}", namespace.unwrap_or("(no namespace)"))
}

fn step_text(step: &Step) -> String {
    match step {
        Step::Flux {
            file,
            path,
            target_namespace,
        } => {
            let mut text = format!("{file}  (Flux Kustomization: path ./{path}");
            if let Some(ns) = target_namespace {
                text.push_str(&format!(", targetNamespace {ns}"));
            }
            text + ")"
        }
        Step::Argo {
            file,
            path,
            namespace,
        } => {
            let mut text = format!("{file}  (Argo CD Application: path {path}");
            if let Some(ns) = namespace {
                text.push_str(&format!(", destination namespace {ns}"));
            }
            text + ")"
        }
        Step::Kustomization {
            file,
            namespace,
            prefix,
            suffix,
        } => {
            let mut does = Vec::new();
            does.extend(namespace.as_ref().map(|ns| format!("namespace {ns}")));
            if !prefix.is_empty() {
                does.push(format!("namePrefix {prefix}"));
            }
            if !suffix.is_empty() {
                does.push(format!("nameSuffix {suffix}"));
            }
            match does.is_empty() {
                true => file.clone(),
                false => format!("{file}  ({})", does.join(", ")),
            }
        }
    }
}

fn human(report: &Report) -> String {
    let mut out = format!("{}\n", report.path);
    for o in &report.objects {
        let at = namespaced(o.namespace.as_deref(), &o.name);
        out.push_str(&format!("  {} {at} ({})\n", o.kind, o.scope));
    }
    if report.deployments.is_empty() {
        out.push_str("\nno build deploys it: no kustomization, Flux Kustomization or Argo CD Application in the repository includes it\n");
        out.push_str(&match report.undeployed {
            Some((cert, why)) => format!("cert: {} ({})\n", cert.name, why_text(why)),
            None => "cert: none pinned for it\n".to_string(),
        });
        return out;
    }
    let count = report.deployments.len();
    let builds = if count == 1 { "build" } else { "builds" };
    out.push_str(&format!("\ndeployed by {count} {builds}:\n"));
    for d in &report.deployments {
        out.push_str(&format!("\n{}\n", d.entry));
        for (i, step) in d.steps.iter().enumerate() {
            out.push_str(&format!("  {}{}\n", "  ".repeat(i), step_text(step)));
        }
        out.push_str(&format!(
            "  {}{}\n",
            "  ".repeat(d.steps.len()),
            report.path
        ));
        for o in &report.objects {
            let (ns, name) = d.applied(o);
            let at = namespaced(ns.as_deref(), &name);
            let breaks = match breaks(o, ns.as_deref(), &name) {
                true => "; sealed for another namespace or name: sealed-moved",
                false => "",
            };
            out.push_str(&format!(
                "  {} {} → {at} ({}{breaks})\n",
                o.kind, o.name, o.scope
            ));
        }
        if d.certs.is_empty() {
            out.push_str("  cert: none pinned for it\n");
        }
        for (cert, why) in &d.certs {
            out.push_str(&format!("  cert: {} ({})\n", cert.name, why_text(*why)));
        }
    }
    out
}

/// Whether a SealedSecret applied as `namespace`/`name` no longer decrypts (its scope binds
/// what the build changed).
fn breaks(o: &Object, namespace: Option<&str>, name: &str) -> bool {
    let ns_changed = o.namespace.is_some() && namespace != o.namespace.as_deref();
    o.kind == "SealedSecret"
        && match o.scope {
            Scope::Strict => ns_changed || name != o.name,
            Scope::NamespaceWide => ns_changed,
            Scope::ClusterWide => false,
        }
}

fn why_json(cert: &PinnedCert, why: Why) -> Value {
    match why {
        Why::Root(root) => json!({"name": cert.name, "why": "root", "root": root}),
        Why::Paths => json!({"name": cert.name, "why": "paths"}),
    }
}

fn step_json(step: &Step) -> Value {
    match step {
        Step::Flux {
            file,
            path,
            target_namespace,
        } => json!({
            "kind": "FluxKustomization",
            "file": file,
            "path": path,
            "targetNamespace": target_namespace,
        }),
        Step::Argo {
            file,
            path,
            namespace,
        } => json!({
            "kind": "ArgoApplication",
            "file": file,
            "path": path,
            "destinationNamespace": namespace,
        }),
        Step::Kustomization {
            file,
            namespace,
            prefix,
            suffix,
        } => json!({
            "kind": "Kustomization",
            "file": file,
            "namespace": namespace,
            "namePrefix": prefix,
            "nameSuffix": suffix,
        }),
    }
}

fn to_json(report: &Report) -> Value {
    let object = |o: &Object| json!({"kind": o.kind, "name": o.name, "namespace": o.namespace, "scope": o.scope.as_str()});
    let deployments: Vec<Value> = report
        .deployments
        .iter()
        .map(|d| {
            let objects: Vec<Value> = report
                .objects
                .iter()
                .map(|o| {
                    let (ns, name) = d.applied(o);
                    let mut v = object(o);
                    v["appliedNamespace"] = json!(ns);
                    v["moved"] = json!(breaks(o, ns.as_deref(), &name));
                    v["appliedName"] = json!(name);
                    v
                })
                .collect();
            json!({
                "entry": d.entry,
                "chain": d.steps.iter().map(step_json).collect::<Vec<_>>(),
                "objects": objects,
                "certs": d.certs.iter().map(|(c, w)| why_json(c, *w)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "path": report.path,
        "objects": report.objects.iter().map(object).collect::<Vec<_>>(),
        "deployments": deployments,
        "certs": report.undeployed.map(|(c, w)| vec![why_json(c, w)]).unwrap_or_default(),
    })
}
