//! Splitting a YAML stream into documents without parsing it: a line starting with `---` or
//! `...` at column 0 ends a document (YAML forbids such lines inside a document's content).

use std::ops::Range;

/// One document's byte range in the file and its first line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocSpan {
    pub range: Range<usize>,
    pub first_line: usize,
}

/// The documents of a YAML stream, in order. Marker lines are not part of any document,
/// except that content after `--- ` on the same line belongs to the document it starts.
pub fn split_documents(text: &[u8]) -> Vec<DocSpan> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut first_line = 1;
    // Lines are counted from marker to marker, not one at a time.
    let (mut counted_to, mut line_no) = (0, 1);
    for pos in marker_candidates(text) {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        if let Some(content_start) = marker_content(line) {
            line_no += memchr::memchr_iter(b'\n', &text[counted_to..pos]).count();
            counted_to = pos;
            push(&mut docs, text, start..pos, first_line);
            start = pos + content_start;
            first_line = line_no + usize::from(content_start == line.len());
        }
    }
    push(&mut docs, text, start..text.len(), first_line);
    docs
}

/// The starts of the lines that begin with `---` or `...`, in order. Lines are found by their
/// first byte (`-` or `.` at column 0 is rare in YAML), not by a search for the markers, whose
/// bytes are everywhere in manifests (`- item`, `description: ….`).
fn marker_candidates(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let marker_byte = |b: u8| b == b'-' || b == b'.';
    let mut at = 0;
    std::iter::from_fn(move || loop {
        at = crate::lines::next_line_start(text, at, marker_byte, marker_byte);
        if at >= text.len() {
            return None;
        }
        let line = at;
        at = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
        if text[line..].starts_with(b"---") || text[line..].starts_with(b"...") {
            return Some(line);
        }
    })
}

/// For a `---`/`...` marker line, where the document content on it starts (or the line's end).
fn marker_content(line: &[u8]) -> Option<usize> {
    let rest = line
        .strip_prefix(b"---")
        .or_else(|| line.strip_prefix(b"..."))?;
    match rest.first() {
        None | Some(b'\n' | b'\r') => Some(line.len()),
        Some(b' ' | b'\t') => {
            let content = rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t'))
                .unwrap_or(rest.len());
            let after = &rest[content..];
            if after.is_empty() || after[0] == b'#' || after[0] == b'\n' || after[0] == b'\r' {
                Some(line.len())
            } else {
                Some(3 + content)
            }
        }
        _ => None,
    }
}

fn push(docs: &mut Vec<DocSpan>, text: &[u8], range: Range<usize>, first_line: usize) {
    let has_content = text[range.clone()].split(|&b| b == b'\n').any(|line| {
        let trimmed = line.trim_ascii();
        !trimmed.is_empty() && !trimmed.starts_with(b"#") && !trimmed.starts_with(b"%")
    });
    if has_content {
        docs.push(DocSpan { range, first_line });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The candidates are the line starts that begin a marker, whatever surrounds them.
    #[test]
    fn marker_candidates_are_every_line_starting_a_marker() {
        let pieces = [
            "---\n", "...\n", "- a\n", "a: b\n", "  ---\n", "--- x\n", ".x\n", "-\n", "\n",
        ];
        for seed in 0..300u32 {
            let text = crate::lines::pieces_in_turn(&pieces, seed, seed % 80);
            let bytes = text.as_bytes();
            let naive: Vec<usize> = (0..bytes.len())
                .filter(|&i| i == 0 || bytes[i - 1] == b'\n')
                .filter(|&i| bytes[i..].starts_with(b"---") || bytes[i..].starts_with(b"..."))
                .collect();
            assert_eq!(
                marker_candidates(bytes).collect::<Vec<_>>(),
                naive,
                "{text:?}"
            );
        }
    }

    fn texts(src: &str) -> Vec<&str> {
        split_documents(src.as_bytes())
            .into_iter()
            .map(|d| &src[d.range])
            .collect()
    }

    #[test]
    fn splits_on_markers_and_skips_empty_documents() {
        let src = "a: 1\n---\nb: 2\n...\n---\n# only a comment\n---\nc: 3\n";
        assert_eq!(texts(src), ["a: 1\n", "b: 2\n", "c: 3\n"]);
        let docs = split_documents(src.as_bytes());
        assert_eq!(
            docs.iter().map(|d| d.first_line).collect::<Vec<_>>(),
            [1, 3, 8]
        );
    }

    #[test]
    fn content_after_the_marker_starts_the_document() {
        assert_eq!(texts("--- {a: 1}\n--- # c\nb: 2\n"), ["{a: 1}\n", "b: 2\n"]);
    }

    #[test]
    fn line_numbers_count_every_line_before_a_marker() {
        let src = "...\na\n\n---\n\n\nb: 1\n--- c: 2\n...\n---\nd\n";
        let docs = split_documents(src.as_bytes());
        let got: Vec<_> = docs
            .iter()
            .map(|d| (&src[d.range.clone()], d.first_line))
            .collect();
        assert_eq!(
            got,
            [("a\n\n", 2), ("\n\nb: 1\n", 5), ("c: 2\n", 8), ("d\n", 11)]
        );
    }

    #[test]
    fn crlf_and_lookalikes() {
        assert_eq!(texts("a: 1\r\n---\r\nb: 2\r\n"), ["a: 1\r\n", "b: 2\r\n"]);
        assert_eq!(texts("a: |\n  ---\n----\n"), ["a: |\n  ---\n----\n"]);
    }
}
