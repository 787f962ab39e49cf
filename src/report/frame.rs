//! Code frames for human output: the finding's line with every value in it replaced by
//! `<redacted>` (reported or not: see [`super::redact`]), cut to a window around the value.
//! Only that line is kept: a neighbouring line may hold a value no rule matches, and long
//! minified lines would otherwise be printed whole.

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::redact::{merge, redact, value_spans};
use crate::finding::{Finding, LineIndex};

/// Characters kept on each side of the value.
const CONTEXT_CHARS: usize = 40;

/// One file's bytes, where its lines start, and every value span in it (merged).
pub struct FileFrames<'a> {
    bytes: &'a [u8],
    lines: LineIndex<'a>,
    /// Sorted and disjoint: the spans near a line are found by binary search, not a walk
    /// over every span of the file.
    spans: Vec<Range<usize>>,
}

impl<'a> FileFrames<'a> {
    /// `path` is the file's repository path (rules choose files by name).
    pub fn new(path: &str, bytes: &'a [u8], findings: &[&Finding]) -> FileFrames<'a> {
        let reported = findings.iter().map(|f| f.span.clone());
        let spans = merge(reported.chain(value_spans(path, bytes)));
        FileFrames {
            bytes,
            lines: LineIndex::new(bytes),
            spans,
        }
    }

    /// The spans that touch `region`.
    fn spans_near(&self, region: &Range<usize>) -> &[Range<usize>] {
        let start = self.spans.partition_point(|s| s.end <= region.start);
        let end = self.spans.partition_point(|s| s.start < region.end);
        &self.spans[start..end.max(start)]
    }

    /// `None` when no safe frame can be made: an empty span, or a file that changed since
    /// the scan.
    pub fn snippet(&self, finding: &Finding) -> Option<Snippet> {
        let span = finding.span.clone();
        if span.start >= span.end || span.end > self.bytes.len() {
            return None;
        }
        // The scan took line and column from `span.start`. If they no longer agree, the span
        // may not cover the value any more. A cheap check, not a proof.
        if self.lines.line_col(span.start) != (finding.line, finding.column) {
            return None;
        }
        let region = self.lines.line_start(finding.line - 1)?..self.line_end(span.end - 1);
        let (text, markers) = redact(self.bytes, &region, self.spans_near(&region));
        let (_, at) = markers.into_iter().find(|(s, _)| s.contains(&span.start))?;
        let (text, label) = window(&text, at..at + super::redact::REDACTED.len());
        Some(Snippet {
            text,
            label,
            line: finding.line - 1,
            column: finding.column - 1,
        })
    }

    /// End of the line holding `offset` (the `\n` itself is left out).
    fn line_end(&self, offset: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[offset..]).map_or(self.bytes.len(), |i| offset + i)
    }
}

/// The redacted line and where the finding's `<redacted>` stands in it.
pub struct Snippet {
    text: String,
    label: Range<usize>,
    /// The finding's place in the file, 0-based as miette counts.
    line: usize,
    column: usize,
}

impl Snippet {
    pub fn label(&self) -> Range<usize> {
        self.label.clone()
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        // miette would count columns in bytes of the redacted, cut line; the read that starts at
        // the label is the one for the `[path:line:col]` header, so give the file's own column.
        let column = if inner.span().offset() == self.label.start {
            self.column
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            inner.line() + self.line,
            column,
            inner.line_count(),
        )))
    }
}

/// Keeps `CONTEXT_CHARS` characters on each side of the label, marking cuts with `…`.
fn window(text: &str, label: Range<usize>) -> (String, Range<usize>) {
    let mut out = keep_tail(&text[..label.start], CONTEXT_CHARS);
    let start = out.len();
    out.push_str(&text[label.clone()]);
    let end = out.len();
    out.push_str(&keep_head(&text[label.end..], CONTEXT_CHARS));
    (out, start..end)
}

fn keep_tail(text: &str, n: usize) -> String {
    match text.char_indices().rev().nth(n) {
        Some((i, c)) => format!("…{}", &text[i + c.len_utf8()..]),
        None => text.to_string(),
    }
}

fn keep_head(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
