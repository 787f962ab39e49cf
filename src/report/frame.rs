//! Code frames for human output: the finding's line with every reported span in it replaced by
//! `<redacted>`, cut to a window around the value. Only that line is kept: a neighbouring line
//! may hold a value that was not reported (suppressed, or missed), and long minified lines
//! would otherwise be printed whole.

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::finding::{Finding, LineIndex};

const REDACTED: &str = "<redacted>";

/// Characters kept on each side of the value.
const CONTEXT_CHARS: usize = 40;

/// One file's bytes, where its lines start, and every reported span in it.
pub struct FileFrames<'a> {
    bytes: &'a [u8],
    lines: LineIndex<'a>,
    /// Sorted by start, with the furthest end reached up to each: the spans near a line are
    /// found without a walk over every span of the file.
    spans: Vec<Range<usize>>,
    furthest_end: Vec<usize>,
}

impl<'a> FileFrames<'a> {
    pub fn new(bytes: &'a [u8], findings: &[&Finding]) -> FileFrames<'a> {
        let mut spans: Vec<Range<usize>> = findings.iter().map(|f| f.span.clone()).collect();
        spans.sort_unstable_by_key(|s| (s.start, s.end));
        let furthest_end = spans
            .iter()
            .scan(0, |end, s| {
                *end = s.end.max(*end);
                Some(*end)
            })
            .collect();
        FileFrames {
            bytes,
            lines: LineIndex::new(bytes),
            spans,
            furthest_end,
        }
    }

    /// The spans that may touch `region`: those starting in it, and those before it that
    /// reach into it.
    fn spans_near(&self, region: &Range<usize>) -> &[Range<usize>] {
        let end = self.spans.partition_point(|s| s.start < region.end);
        let mut start = self.spans[..end].partition_point(|s| s.start < region.start);
        while start > 0 && self.furthest_end[start - 1] > region.start {
            start -= 1;
        }
        &self.spans[start..end]
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
        let (text, label) = redact(self.bytes, &region, self.spans_near(&region), &span);
        let (text, label) = window(&text, label);
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

/// `region` of `bytes` as printable text with every span in it replaced by `<redacted>`, and
/// where the marker covering `own` stands.
fn redact(
    bytes: &[u8],
    region: &Range<usize>,
    spans: &[Range<usize>],
    own: &Range<usize>,
) -> (String, Range<usize>) {
    let mut text = String::new();
    let mut label = 0..0;
    let mut at = region.start;
    for span in merged(spans, own, region) {
        text.push_str(&printable(&String::from_utf8_lossy(&bytes[at..span.start])));
        if span.contains(&own.start) {
            label = text.len()..text.len() + REDACTED.len();
        }
        text.push_str(REDACTED);
        at = span.end;
    }
    text.push_str(&printable(&String::from_utf8_lossy(&bytes[at..region.end])));
    (text, label)
}

/// The spans that touch `region`, clipped to it, sorted, with overlapping ones joined: an
/// overlap left unjoined would print the part of one span that follows the other.
fn merged(spans: &[Range<usize>], own: &Range<usize>, region: &Range<usize>) -> Vec<Range<usize>> {
    let mut clipped: Vec<Range<usize>> = spans
        .iter()
        .chain(std::iter::once(own))
        .filter(|s| s.start < region.end && s.end > region.start)
        .map(|s| s.start.max(region.start)..s.end.min(region.end))
        .filter(|s| s.start < s.end)
        .collect();
    clipped.sort_by_key(|s| s.start);
    let mut joined: Vec<Range<usize>> = Vec::with_capacity(clipped.len());
    for span in clipped {
        match joined.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => joined.push(span),
        }
    }
    joined
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

/// Text safe to print on a terminal: control characters (escape sequences from a hostile file
/// or file name) become `�`; carriage returns go; tabs and newlines stay.
pub fn printable(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '\r')
        .map(|c| {
            if c.is_control() && c != '\t' && c != '\n' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}
