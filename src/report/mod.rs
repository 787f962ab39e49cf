//! Reporters: render findings for people (human), programs (json), code scanning (sarif) and
//! GitHub workflow logs (github). Only what is in a finding, rule or note is printed, never a
//! value: human code frames and `--fix` diffs show file content with every value any rule
//! matches replaced by `<redacted>` (`redact`).

mod draw;
mod frame;
mod github;
mod human;
mod json;
pub(crate) mod redact;
mod sarif;

use std::time::Duration;

pub(crate) use crate::finding::Note;
use crate::finding::{Category, CommitInfo, Finding, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// What a reporter needs to know about a rule.
#[derive(Clone, Debug)]
pub(crate) struct RuleDoc {
    pub id: String,
    /// One line.
    pub description: String,
    /// Why it matters and what to do; may be hard-wrapped.
    pub explanation: String,
    pub severity: Severity,
    pub category: Category,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub findings: usize,
    pub suppressed: usize,
    /// Commits walked by `--range` or `--history` (0 otherwise).
    pub commits_scanned: u64,
    /// Files not scanned at all (binary, too large, unreadable); the notes say why.
    pub files_skipped: u64,
    pub elapsed: Duration,
    /// Files skipped or only partly checked; not findings.
    pub notes: Vec<Note>,
}

pub(crate) struct Report<'a> {
    pub findings: &'a [Finding],
    pub summary: &'a Summary,
    pub rules: &'a [RuleDoc],
    pub tool_version: &'a str,
    /// The repository a git-mode scan read (`None` for a working-tree scan).
    pub provenance: Option<&'a Provenance>,
    /// The value spans the scan found, by path (working-tree scans): frames redact with them.
    pub values: Option<&'a crate::finding::Values>,
}

/// Where a git-mode scan's findings live, for SARIF's `versionControlProvenance`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Provenance {
    /// Remote `origin`'s URL, without any user name or password; `None` when unknown.
    pub repository_uri: Option<String>,
    /// HEAD's commit id.
    pub revision_id: String,
}

/// An error as the CLI shows it on stderr: its kind, message, causes and help.
pub(crate) fn error_text(err: &crate::error::Error, color: bool) -> String {
    let causes = crate::error::shown_causes(err);
    let help = crate::error::help_text(err);
    let diagnostic = draw::Diagnostic {
        code: err.code(),
        level: draw::Level::Error,
        message: &err.to_string(),
        causes: &causes,
        frame: None,
        help: help.as_deref(),
    };
    draw::draw(&diagnostic, &draw::Theme::new(color))
}

impl Report<'_> {
    fn rule(&self, id: &str) -> Option<&RuleDoc> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The bytes a finding was found in, for human code frames (`None`: no frame): the working-tree
/// file, the index blob or the blob of the finding's commit, whichever the scan read.
pub(crate) type Source<'a> = dyn Fn(&Finding) -> Option<Vec<u8>> + 'a;

/// Renders `report`. `source` gives the scanned bytes for human code frames; `color` allows
/// ANSI colour in human output.
pub(crate) fn render(
    format: Format,
    report: &Report,
    source: &Source,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // Written as rendered, not held whole (a 100k-finding JSON report is 35 MB); the buffer
    // keeps the serializers' many small writes plain copies.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    match format {
        Format::Human => human::render(report, source, color, &mut out),
        Format::Json => json::render(report, &mut out),
        Format::Sarif => sarif::render(report, &mut out),
        Format::Github => github::render(report, &mut out),
    }?;
    std::io::Write::flush(&mut out)
}

/// `scanned 13 files (24.1 KiB) in 4 ms: 3 findings (1 suppressed): 2 errors, 1 warning, 0 notes
/// in 2 files`; `findings` are the reported ones.
pub(crate) fn summary_line(summary: &Summary, findings: &[Finding]) -> String {
    let mut line = format!(
        "scanned {} ({}) in {} ms: {}",
        plural(summary.files_scanned, "file"),
        human_bytes(summary.bytes_scanned),
        summary.elapsed.as_millis(),
        plural(summary.findings as u64, "finding"),
    );
    if summary.suppressed > 0 {
        line.push_str(&format!(" ({} suppressed)", summary.suppressed));
    }
    if !findings.is_empty() {
        line.push_str(&format!(": {}", by_severity(findings)));
    }
    if summary.files_skipped > 0 {
        line.push_str(&format!(
            ", {} skipped (see the notes)",
            plural(summary.files_skipped, "file")
        ));
    }
    if summary.commits_scanned > 0 {
        line.push_str(&format!(
            ", across {}",
            plural(summary.commits_scanned, "commit")
        ));
    }
    line
}

/// `2 errors, 1 warning, 0 notes in 2 files` (a note is an info finding).
fn by_severity(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as u64;
    let files: std::collections::HashSet<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    format!(
        "{}, {}, {} in {}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "note"),
        plural(files.len() as u64, "file")
    )
}

/// `commit 1a2b3c4d5e, 2024-05-01`: where a history finding's value came in (author date, UTC).
fn commit_label(commit: &CommitInfo) -> String {
    let short: String = commit.id.chars().take(10).collect();
    format!("commit {short}, {}", date(commit.time))
}

/// `YYYY-MM-DD` (UTC) of seconds since the epoch.
fn date(time: i64) -> String {
    let (y, m, d) = civil(time.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
fn timestamp(time: i64) -> String {
    let secs = time.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(time),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Year, month and day of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's
/// `civil_from_days`).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn plural(n: u64, word: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {word}{s}")
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Hard-wrapped text as one line per paragraph; each output wraps it to its own width.
fn unwrap_lines(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
