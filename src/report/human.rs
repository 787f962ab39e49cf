//! `--format human`: findings grouped by file, each drawn as a diagnostic: `severity[rule]`
//! (and the commit, for a history finding), the message, a frame headed `[path:line:column]`
//! holding its own line with every value in it replaced by `<redacted>`, and the rule's
//! explanation as help. A finding whose bytes cannot be shown gets the same layout with an
//! empty frame. The lines come from the bytes the scan read (see [`super::Source`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;

use super::draw::{draw, Diagnostic, Level, Theme};
use super::frame::{FileFrames, Snippet};
use super::redact::printable;
use super::{commit_label, summary_line, unwrap_lines, Report, Source};
use crate::finding::{Finding, Severity};

const WIDTH: usize = 100;
/// Columns before a message's text (`  × `) and a help's (`  help: `).
const MESSAGE_INDENT: usize = 4;
const HELP_INDENT: usize = 8;

pub(super) fn render(
    report: &Report,
    source: &Source,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let theme = Theme::new(color);
    let mut helps = Helps::default();
    for (path, findings) in by_file(report.findings) {
        writeln!(out, "{}", printable(path).replace('\n', " "))?;
        let file = File {
            path,
            findings: &findings,
        };
        write_file(report, &theme, &mut helps, file, source, out)?;
    }
    for note in &report.summary.notes {
        writeln!(
            out,
            "note: {}: {}",
            printable(&note.path),
            printable(&note.message)
        )?;
    }
    writeln!(out, "{}", summary_line(report.summary, report.findings))
}

/// One file's findings. In `--history` and `--range` a path's findings may come from several
/// blobs (one per commit): each is framed from its own.
fn write_file(
    report: &Report,
    theme: &Theme,
    helps: &mut Helps,
    file: File,
    source: &Source,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let File { path, findings } = file;
    let blobs: Vec<Option<&str>> = findings
        .iter()
        .map(|f| blob_of(f))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let bytes: Vec<Option<Vec<u8>>> = blobs
        .iter()
        .map(|blob| {
            let first = findings.iter().find(|f| blob_of(f) == *blob)?;
            source(first)
        })
        .collect();
    let frames: Vec<Option<FileFrames>> = blobs
        .iter()
        .zip(&bytes)
        .map(|(blob, bytes)| {
            let in_blob = findings.iter().filter(|f| blob_of(f) == *blob);
            // A commit's blob is not what a working-tree scan's spans were found in.
            let known = report
                .values
                .filter(|_| blob.is_none())
                .and_then(|v| v.get(path));
            let reported = in_blob.map(|f| f.span.clone());
            Some(FileFrames::new(path, bytes.as_deref()?, reported, known))
        })
        .collect();
    helps.add(report, findings);
    let helps = &*helps;
    let write = |part: &[&Finding], frames: &[Option<FileFrames>], out: &mut dyn Write| {
        for finding in part {
            let at = blobs.iter().position(|b| *b == blob_of(finding));
            let snippet = at
                .and_then(|at| frames[at].as_ref())
                .and_then(|frames| frames.snippet(finding))
                .unwrap_or_else(|| Snippet::without_source(finding));
            let help = helps.get(&finding.rule);
            write_finding(theme, finding, help.as_deref(), &snippet, out)?;
        }
        std::io::Result::Ok(())
    };
    if findings.len() < PARALLEL_FRAMES || rayon::current_num_threads() < 2 {
        return write(findings, &frames, out);
    }
    // 100k frames of one file took two seconds on one thread: render parts of them on each,
    // every part with its own copy of the frames' cursor, and print the parts in order, a few
    // per thread at a time (all of them at once held the whole report).
    use rayon::prelude::*;
    let batch = PARALLEL_FRAMES / 4 * 2 * rayon::current_num_threads();
    for group in findings.chunks(batch) {
        let parts: Vec<(&[&Finding], Vec<Option<FileFrames>>)> = group
            .chunks(PARALLEL_FRAMES / 4)
            .map(|part| {
                (
                    part,
                    frames
                        .iter()
                        .map(|f| f.as_ref().map(FileFrames::share))
                        .collect(),
                )
            })
            .collect();
        let texts: Vec<std::io::Result<Vec<u8>>> = parts
            .into_par_iter()
            .map(|(part, frames)| {
                let mut text = Vec::new();
                write(part, &frames, &mut text).map(|()| text)
            })
            .collect();
        for text in texts {
            out.write_all(&text?)?;
        }
    }
    Ok(())
}

/// Findings of one file from which their frames are rendered on several threads.
const PARALLEL_FRAMES: usize = 1024;

/// Which blob of its path a finding was found in: its commit's (`None`: the one file or index
/// blob the scan read).
fn blob_of(finding: &Finding) -> Option<&str> {
    finding.commit.as_ref().map(|c| c.id.as_str())
}

/// One file's findings, in place order.
struct File<'a> {
    path: &'a str,
    findings: &'a [&'a Finding],
}

/// Each rule's help text, wrapped once and shared: with 100k findings of one rule, wrapping
/// its explanation per finding took most of the run.
#[derive(Default)]
struct Helps(HashMap<String, Option<Arc<str>>>);

impl Helps {
    /// Wraps the help of each rule of `findings` not seen before.
    fn add(&mut self, report: &Report, findings: &[&Finding]) {
        for finding in findings {
            if self.0.contains_key(finding.rule.as_str()) {
                continue;
            }
            let help = report
                .rule(&finding.rule)
                .map(|r| unwrap_lines(&r.explanation))
                .filter(|h| !h.is_empty())
                .map(|h| Arc::from(wrap(&h, HELP_INDENT)));
            self.0.insert(finding.rule.to_string(), help);
        }
    }

    /// The help of a rule [`Helps::add`] saw.
    fn get(&self, rule: &str) -> Option<Arc<str>> {
        self.0.get(rule).cloned().flatten()
    }
}

/// `text` wrapped to the report's width after an indent of `indent` columns (a rule's help is
/// wrapped once, not once per finding).
fn wrap(text: &str, indent: usize) -> String {
    let width = WIDTH - 2 - indent;
    let short = text.len() <= width && text.is_ascii() && !text.contains('\n');
    if short && !text.ends_with(char::is_whitespace) {
        return text.to_string();
    }
    textwrap::fill(text, textwrap::Options::new(width).break_words(true))
}

/// Findings by file in path order, each file's by place.
fn by_file(findings: &[Finding]) -> BTreeMap<&str, Vec<&Finding>> {
    let mut files: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        files.entry(f.path.as_str()).or_default().push(f);
    }
    for in_file in files.values_mut() {
        in_file.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    }
    files
}

/// One finding: `severity[rule]` (and the commit), its message, its frame and its rule's help,
/// then a blank line.
fn write_finding(
    theme: &Theme,
    finding: &Finding,
    help: Option<&str>,
    snippet: &Snippet,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut code = format!("{}[{}]", finding.severity, printable(&finding.rule));
    if let Some(commit) = &finding.commit {
        code.push_str(&format!(" ({})", commit_label(commit)));
    }
    let location = location(finding);
    let diagnostic = Diagnostic {
        code: &code,
        level: match finding.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Advice,
        },
        message: &wrap(&printable(&finding.message), MESSAGE_INDENT),
        causes: &[],
        frame: Some(snippet.frame(&location)),
        help,
    };
    writeln!(out, "{}", draw(&diagnostic, theme))
}

/// `path:line:column`, or the path alone for a finding about a whole file (line 0).
fn location(f: &Finding) -> String {
    let path = printable(&f.path).replace('\n', " ");
    match f.line {
        0 => path,
        line => format!("{path}:{line}:{}", f.column),
    }
}
