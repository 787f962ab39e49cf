//! Code frames for human output: the finding's line with every value in it replaced by
//! `<redacted>` (reported or not: see [`super::redact`]), cut to a window around the value.
//! Only that line is kept: a neighbouring line may hold a value no rule matches, and long
//! minified lines would otherwise be printed whole.

use std::borrow::Cow;
use std::ops::Range;

use super::redact::{merge, redact, value_spans};
use crate::finding::{Finding, LineIndex, ValueSpans};

/// Characters kept on each side of the value.
const CONTEXT_CHARS: usize = 40;

/// One file's bytes, where its lines start, and every value span in it (merged).
pub(super) struct FileFrames<'a> {
    bytes: &'a [u8],
    lines: LineIndex<'a>,
    /// Sorted and disjoint: the spans near a line are found by binary search, not a walk
    /// over every span of the file.
    spans: Cow<'a, [Range<usize>]>,
}

impl<'a> FileFrames<'a> {
    /// `path` is the file's repository path (rules choose files by name); `reported`: the spans
    /// of the findings to frame. `known`: the spans the scan found in this path, used when they
    /// were found in these very bytes.
    pub(super) fn new(
        path: &str,
        bytes: &'a [u8],
        reported: impl Iterator<Item = Range<usize>>,
        known: Option<&ValueSpans>,
    ) -> FileFrames<'a> {
        let spans = match known.and_then(|k| k.spans_for(bytes)) {
            Some(spans) => merge(reported.chain(spans.iter().cloned())),
            None => merge(reported.chain(value_spans(path, bytes))),
        };
        FileFrames {
            bytes,
            lines: LineIndex::new(bytes),
            spans: Cow::Owned(spans),
        }
    }

    /// The same frames with a cursor of their own, for another thread.
    pub(super) fn share(&self) -> FileFrames<'_> {
        FileFrames {
            bytes: self.bytes,
            lines: LineIndex::with_starts(self.bytes, self.lines.starts()),
            spans: Cow::Borrowed(&self.spans),
        }
    }

    /// The spans that touch `region`.
    fn spans_near(&self, region: &Range<usize>) -> &[Range<usize>] {
        let start = self.spans.partition_point(|s| s.end <= region.start);
        let end = self.spans.partition_point(|s| s.start < region.end);
        &self.spans[start..end.max(start)]
    }

    /// `None` when no safe frame can be made: no line, or bytes that do not fit the finding.
    pub(super) fn snippet(&self, finding: &Finding) -> Option<Snippet> {
        let span = finding.span.clone();
        if finding.line == 0 || span.end > self.bytes.len() {
            return None;
        }
        if span.start >= span.end {
            return self.point(finding);
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
            line: finding.line,
        })
    }

    /// A frame for a finding at a place rather than a value (a graph check's): its line, the
    /// label from its column to the end of the word there (or the `<redacted>` it falls in).
    fn point(&self, finding: &Finding) -> Option<Snippet> {
        let start = self.lines.line_start(finding.line - 1)?;
        let region = start..self.line_end(start);
        let offset = self.offset_of(&region, (finding.line, finding.column))?;
        let spans = self.spans_near(&region);
        let (text, markers) = redact(self.bytes, &region, spans);
        let label = match markers.iter().find(|(s, _)| s.contains(&offset)) {
            Some((_, at)) => *at..*at + super::redact::REDACTED.len(),
            None => {
                let at = redact(self.bytes, &(start..offset), spans).0.len();
                let rest = text.get(at..)?;
                at..at + rest.find(char::is_whitespace).unwrap_or(rest.len())
            }
        };
        let (text, label) = window(&text, label);
        Some(Snippet {
            text,
            label,
            line: finding.line,
        })
    }

    /// The offset in `region` (one line) at 1-based `place`, on a character's first byte.
    fn offset_of(&self, region: &Range<usize>, place: (usize, usize)) -> Option<usize> {
        (region.start..=region.end).find(|&at| {
            let continuation = self.bytes.get(at).is_some_and(|b| b & 0xc0 == 0x80);
            !continuation && self.lines.line_col(at) == place
        })
    }

    /// End of the line holding `offset` (the `\n` itself is left out).
    fn line_end(&self, offset: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[offset..]).map_or(self.bytes.len(), |i| offset + i)
    }
}

/// The redacted line and where the finding's `<redacted>` stands in it.
pub(super) struct Snippet {
    text: String,
    label: Range<usize>,
    /// The finding's line in the file, 1-based.
    line: usize,
}

impl Snippet {
    /// An empty frame, for a finding whose bytes cannot be shown: only its header is drawn.
    pub(super) fn without_source(finding: &Finding) -> Snippet {
        Snippet {
            text: String::new(),
            label: 0..0,
            line: finding.line,
        }
    }

    /// The frame to draw under `location`.
    pub(super) fn frame<'a>(&'a self, location: &'a str) -> super::draw::Frame<'a> {
        super::draw::Frame {
            location,
            line: self.line,
            text: &self.text,
            label: self.label.clone(),
        }
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

#[cfg(test)]
mod known_spans {
    use super::*;
    use crate::finding::line_col;

    /// A finding of `value` in `text`, placed as the scanner places it.
    fn at(text: &str, value: &str) -> Finding {
        let start = text.find(value).unwrap();
        let (line, column) = line_col(text.as_bytes(), start);
        Finding {
            rule: "r".into(),
            category: crate::finding::Category::Leak,
            severity: crate::finding::Severity::Error,
            path: "a.txt".into(),
            line,
            column,
            span: start..start + value.len(),
            message: "m".into(),
            fingerprint: "".into(),
            commit: None,
        }
    }

    #[test]
    fn the_scans_spans_redact_the_frame_when_the_bytes_are_the_ones_scanned() {
        // No rule matches OTHER-VALUE: only the scan's spans can say it is one.
        let text = "a: REPORTED b: OTHER-VALUE\n";
        let f = at(text, "REPORTED");
        let other = at(text, "OTHER-VALUE").span;
        let known = ValueSpans::new(text.as_bytes(), vec![other]);
        let frames = FileFrames::new(
            "a.txt",
            text.as_bytes(),
            [f.span.clone()].into_iter(),
            Some(&known),
        );
        let shown = frames.snippet(&f).unwrap().text;
        assert_eq!(shown, "a: <redacted> b: <redacted>");
    }

    #[test]
    fn spans_found_in_other_bytes_are_not_trusted_and_the_frame_is_detected_again() {
        // The file changed after the scan: its spans (none) say nothing about the token now
        // on the line, which detecting again finds.
        let text = "a: REPORTED b: ghp_0123456789abcdefghijABCDEFGHIJ012345\n";
        let f = at(text, "REPORTED");
        let known = ValueSpans::new(b"a: REPORTED\n", Vec::new());
        let frames = FileFrames::new(
            "a.txt",
            text.as_bytes(),
            [f.span.clone()].into_iter(),
            Some(&known),
        );
        let shown = frames.snippet(&f).unwrap().text;
        assert_eq!(shown, "a: <redacted> b: <redacted>");
    }
}
