//! A unified diff of a file's edits. Every line shown, context, removed or added, goes through
//! the reporters' redaction: any value a rule or detector matches (reported or suppressed) is
//! `<redacted>`, and control characters are neutralised.

use std::ops::Range;

use super::edit::Edit;
use crate::report::redact::{merge, printable, redact, value_spans};

const CONTEXT: usize = 3;

/// One changed region in line numbers (0-based, end exclusive) of the old and new text.
struct Change {
    old: Range<usize>,
    new: Range<usize>,
}

/// The unified diff of `edits` on `original` (which yield `fixed`), for `path`; `redact` are
/// value ranges of `original` to hide besides those the rules find.
pub fn unified(
    path: &str,
    original: &[u8],
    fixed: &[u8],
    edits: &[Edit],
    redact: &[Range<usize>],
) -> String {
    let old_lines = lines(original);
    let new_lines = lines(fixed);
    let changes = changes(original, edits);
    let old_spans = merge(redact.iter().cloned().chain(value_spans(path, original)));
    let new_spans = merge(value_spans(path, fixed));
    let shown_path = printable(path).replace('\n', " ");
    let mut out = format!("--- a/{shown_path}\n+++ b/{shown_path}\n");
    let mut i = 0;
    while i < changes.len() {
        let mut j = i;
        while j + 1 < changes.len() && changes[j + 1].old.start <= changes[j].old.end + 2 * CONTEXT
        {
            j += 1;
        }
        let old_start = changes[i].old.start.saturating_sub(CONTEXT);
        let old_end = (changes[j].old.end + CONTEXT).min(old_lines.len());
        let new_start = changes[i].new.start.saturating_sub(CONTEXT);
        let new_end = (changes[j].new.end + CONTEXT).min(new_lines.len());
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            old_start + 1,
            old_end - old_start,
            new_start + 1,
            new_end - new_start
        ));
        let mut at = old_start;
        for change in &changes[i..=j] {
            for line in &old_lines[at..change.old.start] {
                push(&mut out, ' ', &redacted(original, line, &old_spans));
            }
            for line in &old_lines[change.old.clone()] {
                push(&mut out, '-', &redacted(original, line, &old_spans));
            }
            for line in &new_lines[change.new.clone()] {
                push(&mut out, '+', &redacted(fixed, line, &new_spans));
            }
            at = change.old.end;
        }
        for line in &old_lines[at..old_end] {
            push(&mut out, ' ', &redacted(original, line, &old_spans));
        }
        i = j + 1;
    }
    out
}

fn push(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line.trim_end_matches(['\n', '\r']));
    out.push('\n');
}

/// Byte ranges of the lines, each with its line break.
fn lines(text: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', text) {
        out.push(start..i + 1);
        start = i + 1;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// The whole lines each edit touches, before and after.
fn changes(original: &[u8], edits: &[Edit]) -> Vec<Change> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut delta: isize = 0;
    let mut out = Vec::new();
    let lines = crate::finding::LineIndex::new(original);
    for edit in sorted {
        let first = lines.line_of(edit.range.start);
        let at_line_start = edit.range.start == 0 || original[edit.range.start - 1] == b'\n';
        if edit.range.is_empty() && at_line_start && edit.text.ends_with('\n') {
            // Whole lines inserted before line `first`.
            let added = edit.text.matches('\n').count();
            let new_start = (first as isize + delta) as usize;
            out.push(Change {
                old: first..first,
                new: new_start..new_start + added,
            });
            delta += added as isize;
            continue;
        }
        // The line holding the edit's last byte (or its start, for an insertion).
        let last_byte = edit.range.end.max(edit.range.start + 1) - 1;
        let last = lines.line_of(last_byte.min(original.len().saturating_sub(1)));
        let old = first..last + 1;
        let added_breaks = edit.text.matches('\n').count();
        let removed_breaks = memchr::memchr_iter(b'\n', &original[edit.range.clone()]).count();
        let new_len = (old.len() + added_breaks) as isize - removed_breaks as isize;
        let new_start = (first as isize + delta) as usize;
        out.push(Change {
            new: new_start..new_start + new_len.max(0) as usize,
            old,
        });
        delta += added_breaks as isize - removed_breaks as isize;
    }
    out
}

/// The line, printable, with every part inside a value span (merged) as `<redacted>`.
fn redacted(bytes: &[u8], line: &Range<usize>, spans: &[Range<usize>]) -> String {
    redact(bytes, line, spans).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_values_are_redacted_and_hunks_carry_context() {
        let original = b"a\nb\nkind: Secret\npassword: hunter2\nz\n";
        let start = 4;
        let end = original.len() - 3;
        let edits = [Edit {
            range: start..end,
            text: "kind: SealedSecret\nspec: {}\nx: y".into(),
        }];
        let fixed = super::super::edit::apply(original, &edits);
        let secret = 27..34;
        assert_eq!(&original[secret.clone()], b"hunter2");
        let diff = unified("f.yaml", original, &fixed, &edits, &[secret]);
        assert_eq!(
            diff,
            "--- a/f.yaml\n+++ b/f.yaml\n@@ -1,5 +1,6 @@\n a\n b\n-kind: Secret\n-password: <redacted>\n+kind: SealedSecret\n+spec: {}\n+x: y\n z\n"
        );
    }
}
