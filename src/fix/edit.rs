//! Byte-range replacements in a file's text, and how a replacement fits where it goes: the
//! indentation of its first line and the file's line endings.

use std::ops::Range;

use crate::yaml::{Node, NodeKind};

/// One replacement: `range` of the original bytes becomes `text`.
#[derive(Clone, Debug)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// Applies non-overlapping edits (any order).
pub(super) fn apply(original: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    // An insertion at the start of a removed range goes first.
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = Vec::with_capacity(original.len());
    let mut at = 0;
    for edit in sorted {
        out.extend_from_slice(&original[at..edit.range.start]);
        out.extend_from_slice(edit.text.as_bytes());
        at = edit.range.end;
    }
    out.extend_from_slice(&original[at..]);
    out
}

/// The bytes a node's content occupies: from its start to the end of its last value, without
/// the blank lines and comments a block node's span runs on to.
pub(super) fn content_range(text: &[u8], node: &Node) -> Range<usize> {
    let mut end = content_end(text, node).max(node.span.start);
    while end > node.span.start && text[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    node.span.start..end
}

fn content_end(text: &[u8], node: &Node) -> usize {
    let last = match &node.kind {
        NodeKind::Map(entries) if !is_flow(text, node) => entries.last().map(|(k, v)| {
            if v.span.end > v.span.start {
                content_end(text, v)
            } else {
                // An empty value's span stands at its key's end, before the `:`.
                past_indicator(text, content_end(text, k))
            }
        }),
        NodeKind::Seq(items) if !is_flow(text, node) => {
            items.last().map(|item| content_end(text, item))
        }
        _ => None,
    };
    last.unwrap_or(node.span.end)
}

/// After the `:` that follows a key ending at `end` (blanks between), or `end` itself.
fn past_indicator(text: &[u8], end: usize) -> usize {
    let blanks = text[end..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    match text.get(end + blanks) {
        Some(b':') => end + blanks + 1,
        _ => end,
    }
}

/// Flow collections' spans end at their closing bracket already.
pub(super) fn is_flow(text: &[u8], node: &Node) -> bool {
    matches!(text.get(node.span.start), Some(b'{' | b'['))
}

/// The column (in bytes) where `offset` stands on its line.
pub(super) fn column_of(text: &[u8], offset: usize) -> usize {
    offset
        - text[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
}

/// Text rendered for column 0, placed at `column`: every line after the first is indented,
/// the trailing newline dropped, and `\n` turned into `\r\n` for a CRLF file.
pub(super) fn fit(rendered: &str, column: usize, crlf: bool) -> String {
    let indent = " ".repeat(column);
    let body = rendered.strip_suffix('\n').unwrap_or(rendered);
    let newline = if crlf { "\r\n" } else { "\n" };
    body.split('\n')
        .enumerate()
        .map(|(i, line)| {
            if i == 0 || line.is_empty() {
                line.to_string()
            } else {
                format!("{indent}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join(newline)
}

/// Whether the file's lines end in CRLF (judged by its first line break).
pub(super) fn is_crlf(text: &[u8]) -> bool {
    memchr::memchr(b'\n', text).is_some_and(|i| i > 0 && text[i - 1] == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_indents_every_line_after_the_first() {
        assert_eq!(
            fit("a: 1\nb:\n  c: 2\n", 4, false),
            "a: 1\n    b:\n      c: 2"
        );
        assert_eq!(fit("a: 1\nb: 2\n", 0, true), "a: 1\r\nb: 2");
    }

    #[test]
    fn content_ends_at_the_last_value_not_at_the_next_comment() {
        let text = "items:\n  - kind: Secret\n    data: {a: \"eA==\"}\n  # c\n  - {kind: Secret}\n";
        let root = crate::yaml::parse_node(text, 0..text.len())
            .unwrap()
            .unwrap();
        let items = root.get("items").unwrap().items();
        let first = content_range(text.as_bytes(), &items[0]);
        assert_eq!(&text[first], "kind: Secret\n    data: {a: \"eA==\"}");
        let second = content_range(text.as_bytes(), &items[1]);
        assert_eq!(&text[second], "{kind: Secret}");
    }

    #[test]
    fn an_empty_last_value_ends_after_its_colon() {
        for (text, content) in [
            (
                "kind: Secret\ndata:\n  a: eA==\n  empty:\n",
                "kind: Secret\ndata:\n  a: eA==\n  empty:",
            ),
            ("kind: Secret\ndata:  # c\n", "kind: Secret\ndata:"),
            // Found by the fix fuzz target (fuzz/regressions/fix/).
            (
                "kind: Secret\nstringData:\n  b:\n",
                "kind: Secret\nstringData:\n  b:",
            ),
        ] {
            let root = crate::yaml::parse_node(text, 0..text.len())
                .unwrap()
                .unwrap();
            assert_eq!(&text[content_range(text.as_bytes(), &root)], content);
        }
    }

    #[test]
    fn edits_apply_in_place() {
        let edits = [
            Edit {
                range: 6..7,
                text: "Y".into(),
            },
            Edit {
                range: 0..1,
                text: "X".into(),
            },
        ];
        assert_eq!(apply(b"a bc d e", &edits), b"X bc dYe");
    }
}
