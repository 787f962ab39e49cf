//! Redaction for everything that shows file content (code frames, `--fix` diffs): every span
//! any detector or rule matches is `<redacted>`, whether it was reported, suppressed,
//! allowed, baselined or of another category, and what is left is made safe for a terminal.

use std::ops::Range;

use crate::detect::{scan_file, FileContext};
use crate::rules::RuleSet;

pub(crate) const REDACTED: &str = "<redacted>";

/// The suppression marker, and a same-length stand-in that suppresses nothing.
const MARKER: &[u8] = b"sealant:ignore";
const DEFUSED: &[u8] = b"sealant-ignore";

/// Byte ranges of every value the scan finds in `bytes` (the file at repository path `path`),
/// before any suppression: a value suppressed for reporting is still a value.
pub(crate) fn value_spans(path: &str, bytes: &[u8]) -> Vec<Range<usize>> {
    let defused = defuse_markers(bytes);
    let ctx = FileContext::new(RuleSet::builtin(), "");
    scan_file(path, &defused, &ctx)
        .findings
        .into_iter()
        .map(|f| f.span)
        .filter(|s| s.start < s.end && s.end <= bytes.len())
        .collect()
}

/// `bytes` with every `sealant:ignore` marker made inert; offsets stay the same.
fn defuse_markers(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if memchr::memmem::find(bytes, MARKER).is_none() {
        return bytes.into();
    }
    let mut copy = bytes.to_vec();
    for at in memchr::memmem::find_iter(bytes, MARKER) {
        copy[at..at + MARKER.len()].copy_from_slice(DEFUSED);
    }
    copy.into()
}

/// `spans` sorted, with overlapping or touching ones joined: an overlap left unjoined would
/// print the part of one span that follows the other.
pub(crate) fn merge(spans: impl IntoIterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    let mut spans: Vec<Range<usize>> = spans.into_iter().filter(|s| s.start < s.end).collect();
    spans.sort_unstable_by_key(|s| s.start);
    // Joined in place: a frame of 100k findings held a second list of every span.
    let mut kept: usize = 0;
    for i in 0..spans.len() {
        let span = spans[i].clone();
        match kept.checked_sub(1).map(|last| &mut spans[last]) {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => {
                spans[kept] = span;
                kept += 1;
            }
        }
    }
    spans.truncate(kept);
    spans.shrink_to_fit();
    spans
}

/// `region` of `bytes` as printable text with each of `spans` (merged: see [`merge`]) that
/// touches it replaced by `<redacted>`; and, for each marker, the span it stands for and
/// where it starts in the text.
pub(crate) fn redact(
    bytes: &[u8],
    region: &Range<usize>,
    spans: &[Range<usize>],
) -> (String, Vec<(Range<usize>, usize)>) {
    let mut text = String::new();
    let mut markers = Vec::new();
    let mut at = region.start;
    let first = spans.partition_point(|s| s.end <= region.start);
    for span in spans[first..].iter().take_while(|s| s.start < region.end) {
        let start = span.start.max(at);
        text.push_str(&printable(&String::from_utf8_lossy(&bytes[at..start])));
        markers.push((span.clone(), text.len()));
        text.push_str(REDACTED);
        at = span.end.min(region.end);
    }
    text.push_str(&printable(&String::from_utf8_lossy(&bytes[at..region.end])));
    (text, markers)
}

/// Text safe to print on a terminal: control characters (escape sequences from a hostile file
/// or file name, C0, DEL and C1) and bidirectional overrides become `�`; carriage returns go;
/// tabs and newlines stay.
pub(crate) fn printable(text: &str) -> String {
    // Nearly all text is printable ASCII: copied whole, not rebuilt a character at a time
    // (which took a tenth of the human report of 100k findings).
    let plain = |b: u8| (0x20..0x7f).contains(&b) | (b == b'\t') | (b == b'\n');
    if all_bytes(text, plain) {
        return text.to_string();
    }
    text.chars()
        .filter(|&c| c != '\r')
        .map(|c| {
            if is_unsafe(c) && c != '\t' && c != '\n' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// Whether `test` holds for every byte of `text`: a test of each without an early exit, which
/// the compiler makes a vector loop.
pub(crate) fn all_bytes(text: &str, test: impl Fn(u8) -> bool) -> bool {
    text.bytes().fold(true, |all, b| all & test(b))
}

/// Characters that must not reach a terminal or log viewer as they are: control characters
/// (which start escape sequences), bidirectional controls (which reorder what is shown) and
/// the Unicode line and paragraph separators.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressed_values_are_still_values() {
        let text = b"kind: ConfigMap\ndata:\n  password: Zq8r2Lm5Nv9Wt1Xy # sealant:ignore\n";
        let spans = value_spans("c.yaml", text);
        assert!(
            spans
                .iter()
                .any(|s| &text[s.clone()] == b"Zq8r2Lm5Nv9Wt1Xy"),
            "{spans:?}"
        );
    }

    #[test]
    fn spans_are_clipped_to_the_region_and_joined() {
        let bytes = b"a: 0123456789\nb: xyz\n";
        let spans = merge([3..8, 5..17, 20..21]);
        assert_eq!(spans, [3..17, 20..21]);
        let (line, markers) = redact(bytes, &(0..13), &spans);
        assert_eq!(line, "a: <redacted>");
        assert_eq!(markers, [(3..17, 3)]);
        let (line, _) = redact(bytes, &(14..20), &spans);
        assert_eq!(line, "<redacted>xyz");
    }

    #[test]
    fn bidi_and_c1_controls_are_not_printable() {
        assert_eq!(printable("a\u{202e}b\u{9b}c\u{1b}d\te"), "a�b�c�d\te");
    }

    /// The whole-copy path for ASCII text agrees with the character-by-character one.
    #[test]
    fn ascii_is_printable_except_controls_and_carriage_returns() {
        for b in 0..0x80u8 {
            let text = format!("a{}b", char::from(b));
            let expected = match b {
                b'\r' => "ab".to_string(),
                b'\t' | b'\n' => text.clone(),
                0..0x20 | 0x7f => "a�b".to_string(),
                _ => text.clone(),
            };
            assert_eq!(printable(&text), expected, "byte {b:#x}");
        }
    }
}
