//! Rendering a scan's output in the chosen formats (the report, and `--sarif` beside it); the
//! exit code follows `--fail-on`. Shared by `scan` and `scan --fix`.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::{emit_with, EXIT_FINDINGS, EXIT_OK};
use crate::cli::{ColorChoice, ScanArgs};
use crate::error::Result;
use crate::finding::Finding;
use crate::report::{render, Format as ReportFormat, Provenance, Report, RuleDoc, Source, Summary};
use crate::rules::RuleSet;
use crate::scan::ScanOutput;
use crate::source::git::{read_file_at, read_file_staged, GitRepo};

/// Renders the scan's report; the exit code says whether a finding reaches `--fail-on`.
pub(super) fn report(
    args: &ScanArgs,
    output: &ScanOutput,
    max_file_size: u64,
    started: Instant,
    stdout: &mut dyn Write,
) -> Result<u8> {
    let source = frame_source(args, &output.root, max_file_size);
    report_from(args, output, &source, started, stdout)
}

/// As [`report`], with code frames read by `source` (a stream has no file to read them from).
pub(super) fn report_from(
    args: &ScanArgs,
    output: &ScanOutput,
    source: &Source,
    started: Instant,
    stdout: &mut dyn Write,
) -> Result<u8> {
    let root = output.root.clone();
    let summary = Summary {
        files_scanned: output.files_scanned,
        bytes_scanned: output.bytes_scanned,
        findings: output.findings.len(),
        suppressed: output.suppressed,
        commits_scanned: output.commits_scanned,
        files_skipped: output.files_skipped,
        elapsed: started.elapsed(),
        notes: output.notes.clone(),
    };
    let rules = rule_docs();
    let in_history = args.range.is_some() || args.history;
    let provenance = in_history.then(|| provenance(&root)).flatten();
    let report = Report {
        findings: &output.findings,
        summary: &summary,
        rules: &rules,
        tool_version: env!("CARGO_PKG_VERSION"),
        provenance: provenance.as_ref(),
        values: Some(&output.values),
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.as_ref().is_none_or(|o| o.as_os_str() == "-")
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    emit_with(args.output.as_deref(), 0o644, stdout, &mut |out| {
        render(args.format, &report, source, color, out)
    })?;
    if let Some(path) = &args.sarif {
        emit_with(Some(path), 0o644, stdout, &mut |out| {
            render(ReportFormat::Sarif, &report, source, false, out)
        })?;
    }
    let failing = output.worst().is_some_and(|worst| worst >= args.fail_on);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}

/// Reads, for a code frame, the bytes a finding was found in: the working-tree file, the index
/// blob (`--staged`) or its commit's blob (`--range`, `--history`); never the working tree
/// for a git mode. At most `cap` bytes; decoded as the scan decoded them.
fn frame_source<'a>(args: &ScanArgs, root: &'a std::path::Path, cap: u64) -> Box<Source<'a>> {
    let git_mode = args.staged || args.range.is_some() || args.history;
    if !git_mode {
        return Box::new(move |f: &Finding| crate::scan::read_text(&root.join(&f.path), cap).ok());
    }
    let Ok(repo) = GitRepo::discover(root) else {
        return Box::new(|_: &Finding| None);
    };
    let repo = repo.local();
    // Read on the first frame: a JSON or SARIF report shows none, and a 100k-file index takes
    // a tenth of a hook's time to decode.
    let index = std::cell::OnceCell::new();
    let staged = args.staged;
    Box::new(move |f: &Finding| {
        let index = index.get_or_init(|| staged.then(|| repo.index_or_empty().ok()).flatten());
        let bytes = match (&f.commit, index) {
            (Some(commit), _) => {
                let id = gix::ObjectId::from_hex(commit.id.as_bytes()).ok()?;
                read_file_at(&repo, id, &f.path, cap)
            }
            // A named path the index lacks was scanned from the working tree.
            (None, Some(index)) if index.entry_by_path(f.path.as_str().into()).is_none() => {
                return crate::scan::read_text(&root.join(&f.path), cap).ok();
            }
            (None, Some(index)) => read_file_staged(&repo, index, &f.path, cap),
            (None, None) => return None,
        };
        Some(crate::scan::decoded(bytes.ok()?))
    })
}

/// HEAD and remote `origin`'s URL (credentials left out), for SARIF; `None` without a HEAD.
fn provenance(root: &std::path::Path) -> Option<Provenance> {
    let repo = GitRepo::discover(root).ok()?.local();
    let head = repo.head_id().ok()?.detach();
    let url = repo
        .config_snapshot()
        .string("remote.origin.url")
        .and_then(|url| public_url(url.as_ref()));
    Some(Provenance {
        repository_uri: url,
        revision_id: head.to_string(),
    })
}

/// A network remote's URL as `scheme://host[:port]/path`, without user name or password;
/// `None` for a local path, or anything that does not make a plain URI.
fn public_url(url: &[u8]) -> Option<String> {
    use gix::url::Scheme;
    let url = gix::url::parse(gix::bstr::BStr::new(url)).ok()?;
    let scheme = match url.scheme {
        Scheme::Https => "https",
        Scheme::Http => "http",
        Scheme::Ssh => "ssh",
        Scheme::Git => "git",
        _ => return None,
    };
    let host = url.host()?;
    let path = std::str::from_utf8(url.path.as_ref()).ok()?;
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~/".contains(c))
    };
    if !plain(host) || !plain(path) {
        return None;
    }
    let port = url.port.map(|p| format!(":{p}")).unwrap_or_default();
    let slash = if path.starts_with('/') { "" } else { "/" };
    Some(format!("{scheme}://{host}{port}{slash}{path}"))
}

/// Every rule's documentation, for reporters.
pub(super) fn rule_docs() -> Vec<RuleDoc> {
    RuleSet::builtin()
        .rules()
        .iter()
        .map(|r| RuleDoc {
            id: r.id.clone(),
            description: r.description.clone(),
            explanation: r.explanation.clone(),
            severity: r.severity,
            category: r.category,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn remote_urls_lose_their_credentials_and_local_paths_are_left_out() {
        let cases = [
            (
                "https://user:pass@example.com/org/repo.git",
                Some("https://example.com/org/repo.git"),
            ),
            (
                "git@github.com:org/repo.git",
                Some("ssh://github.com/org/repo.git"),
            ),
            (
                "ssh://git@host:2222/srv/repo",
                Some("ssh://host:2222/srv/repo"),
            ),
            ("/srv/git/repo.git", None),
            ("file:///srv/git/repo.git", None),
            ("https://example.com/repo?token=abc", None),
        ];
        for (url, expected) in cases {
            assert_eq!(public_url(url.as_bytes()).as_deref(), expected, "{url}");
        }
    }
}
