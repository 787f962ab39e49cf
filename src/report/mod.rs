//! Reporters: render findings for people (human), programs (json), code scanning (sarif) and
//! GitHub workflow logs (github). Only what is in a finding is printed, never a value.

mod github;
mod human;
mod json;
mod sarif;

use std::io::Write;
use std::time::Duration;

use crate::finding::{Category, Finding, Note, Severity};

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
    pub description: String,
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
    pub elapsed: Duration,
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

/// Renders `report`; `source(path)` gives a file's bytes for human code frames.
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
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "scanned {} ({}) in {} ms: {}",
        plural(summary.files_scanned as usize, "file"),
        human_bytes(summary.bytes_scanned),
        summary.elapsed.as_millis(),
        plural(summary.findings, "finding"),
    );
    if summary.suppressed > 0 {
        line.push_str(&format!(" ({} suppressed)", summary.suppressed));
    }
    line
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests;
