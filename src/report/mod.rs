//! Reporters: render findings for people (human), programs (json), code scanning (sarif) and
//! GitHub workflow logs (github). Only what is in a finding, rule or note is printed, never a
//! value: human code frames and `--fix` diffs show file content with every value any rule
//! matches replaced by `<redacted>` (`redact`).

mod frame;
mod github;
mod human;
mod json;
pub(crate) mod redact;
mod sarif;

use std::io::Write;
use std::time::Duration;

pub use crate::finding::Note;
use crate::finding::{Category, Finding, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            _ => Err(format!(
                "unknown format {s:?}: use human, json, sarif or github"
            )),
        }
    }
}

/// What a reporter needs to know about a rule.
#[derive(Clone, Debug)]
pub struct RuleDoc {
    pub id: String,
    /// One line.
    pub description: String,
    /// Why it matters and what to do; may be hard-wrapped.
    pub explanation: String,
    pub severity: Severity,
    pub category: Category,
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
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

pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub summary: &'a Summary,
    pub rules: &'a [RuleDoc],
    pub tool_version: &'a str,
}

impl Report<'_> {
    fn rule(&self, id: &str) -> Option<&RuleDoc> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Renders `report`. `source(path)` gives a file's bytes for human code frames (`None`: no
/// frame); `color` allows ANSI colour in human output.
pub fn render(
    format: Format,
    report: &Report,
    source: &dyn Fn(&str) -> Option<Vec<u8>>,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::render(report, source, color, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
    }
}

/// `scanned 13 files (24.1 KiB) in 4 ms: 3 findings (1 suppressed)`.
pub fn summary_line(summary: &Summary) -> String {
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
