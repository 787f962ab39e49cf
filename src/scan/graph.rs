//! The kustomize/Flux graph checks of a working-tree scan.

use super::collect::GraphInput;
use super::inputs::read_text;
use super::{ScanOutput, ScanRequest};
use crate::config::Config;
use crate::detect::Suppressions;
use crate::finding::{Finding, Shared};
use crate::rules::RuleSet;

/// The checks that need the whole kustomize/Flux graph, for a working-tree scan (git modes:
/// [`super::git_graph`]).
pub(super) fn graph_findings(
    output: &mut ScanOutput,
    input: &GraphInput,
    bases: &[String],
    request: &ScanRequest,
) {
    let config = request.config;
    let graph = crate::graph::Graph::new(&input.facts, input.manifests.paths(), bases);
    // Findings come sorted by path: each marked file is read once, not once per finding.
    let (mut read_path, mut suppressions) = (None, Suppressions::default());
    let checked = graph.check(request.keys, config);
    note_empty_roots(output, &input.manifests.paths(), config);
    if let Some(path) = checked.unpinned.first() {
        output.notes.push(crate::finding::Note {
            path: path.clone(),
            message: crate::graph::UNPINNED_NOTE.to_string(),
        });
    }
    for g in checked.findings {
        let marked = input.marked.contains(&g.path);
        if marked && read_path.as_ref() != Some(&g.path) {
            let bytes = read_text(&output.root.join(&g.path), config.max_file_size);
            suppressions = Suppressions::new(&bytes.unwrap_or_default());
            read_path = Some(g.path.clone());
        }
        if marked && suppressions.covers(g.line, g.rule) {
            output.suppressed += 1;
            continue;
        }
        output.findings.push(graph_finding(g, config));
    }
}

/// A graph finding as a finding: its fingerprint hashes its path and the identity of what it
/// is about (it has no value; the message may be reworded).
pub(super) fn graph_finding(g: crate::graph::GraphFinding, config: &Config) -> Finding {
    let rule = RuleSet::builtin().meta(g.rule);
    let salt = &config.fingerprint_salt;
    Finding {
        rule: Shared::rule(g.rule),
        category: rule.category,
        severity: rule.severity,
        fingerprint: crate::fingerprint::of_identity(salt, g.rule, &g.path, &g.identity),
        path: g.path.into(),
        line: g.line,
        column: g.column,
        span: 0..0,
        message: g.message,
        commit: None,
    }
}

/// A note per root of `certs:` that holds no manifest of the scan (a typo, or a directory that
/// moved): its cert would silently apply to nothing.
fn note_empty_roots(output: &mut ScanOutput, manifests: &[&str], config: &crate::config::Config) {
    if !config.has_roots() {
        return;
    }
    let roots: usize = config.certs.iter().map(|c| c.roots.len()).sum();
    let mut held = std::collections::HashSet::new();
    // Stops once every root holds something: usually within the first few manifests.
    for manifest in manifests {
        if held.len() == roots {
            break;
        }
        held.extend(config.roots_holding(manifest));
    }
    for (i, cert) in config.certs.iter().enumerate() {
        for root in cert
            .roots
            .iter()
            .filter(|r| !held.contains(&(i, r.as_str())))
        {
            output.notes.push(crate::finding::Note {
                path: config.path.as_ref().map_or(".sealant.yaml".to_string(), |p| {
                    crate::source::relative_path(&output.root, p)
                }),
                message: format!(
                    "root {:?} of cert {:?} holds no manifest: check its spelling (roots are relative to the directory holding .sealant.yaml)",
                    crate::config::shown_root(root),
                    cert.name
                ),
            });
        }
    }
}
