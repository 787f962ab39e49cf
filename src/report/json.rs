//! `--format json`: a stable object, version 1. Plain structs, so the key order is the
//! documented one whatever serde_json's map features are.

use std::io::Write;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use super::redact::{all_bytes, is_unsafe};
use super::Report;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    findings: Findings<'a>,
    summary: Summary<'a>,
}

/// The findings, serialized one by one: a view of each collected first would cost as much
/// memory again as the findings.
struct Findings<'a>(&'a [crate::finding::Finding]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(finding))
    }
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'a str,
    category: &'a str,
    severity: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    fingerprint: &'a crate::finding::Fingerprint,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a crate::finding::CommitInfo>,
}

#[derive(Serialize)]
struct Summary<'a> {
    files_scanned: u64,
    bytes_scanned: u64,
    findings: usize,
    suppressed: usize,
    commits_scanned: u64,
    files_skipped: u64,
    elapsed_ms: u64,
    notes: Vec<Note<'a>>,
}

#[derive(Serialize)]
struct Note<'a> {
    path: &'a str,
    message: &'a str,
}

pub(super) fn render(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let s = report.summary;
    let output = Output {
        version: 1,
        findings: Findings(report.findings),
        summary: Summary {
            files_scanned: s.files_scanned,
            bytes_scanned: s.bytes_scanned,
            findings: s.findings,
            suppressed: s.suppressed,
            commits_scanned: s.commits_scanned,
            files_skipped: s.files_skipped,
            elapsed_ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
            notes: s
                .notes
                .iter()
                .map(|n| Note {
                    path: &n.path,
                    message: &n.message,
                })
                .collect(),
        },
    };
    write_pretty(out, &output)
}

/// `value` as pretty JSON and a newline, with every character a terminal or log viewer acts on
/// escaped as `\uXXXX`: serde_json escapes only C0 controls, and a C1 control or bidi override
/// in a file name would reach the terminal of whoever `cat`s the report. The value is the same.
/// Writes `value` as pretty JSON into the report's buffer: a concrete writer, not a `dyn
/// Write`, so the serializer's many small writes are plain copies (a third of a 100k-finding
/// report's time).
pub(super) fn write_pretty(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, Escaping(PrettyFormatter::new()));
    value.serialize(&mut serializer)?;
    out.write_all(b"\n")
}

/// serde_json's pretty formatter, escaping more in strings.
struct Escaping<'a>(PrettyFormatter<'a>);

impl Formatter for Escaping<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // Nearly every fragment is printable ASCII: write it whole.
        if all_bytes(fragment, |b| (0x20..0x7f).contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut from = 0;
        for (i, c) in fragment.char_indices().filter(|&(_, c)| is_unsafe(c)) {
            writer.write_all(&fragment.as_bytes()[from..i])?;
            // Every unsafe character is in the Basic Multilingual Plane: one `\u` escape.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            from = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[from..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn finding(f: &crate::finding::Finding) -> Finding<'_> {
    Finding {
        rule: &f.rule,
        category: f.category.as_str(),
        severity: f.severity.as_str(),
        path: &f.path,
        line: f.line,
        column: f.column,
        message: &f.message,
        fingerprint: &f.fingerprint,
        commit: f.commit.as_deref(),
    }
}
