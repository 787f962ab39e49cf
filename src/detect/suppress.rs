//! Inline suppression: `# sealant:ignore` (every rule) or `# sealant:ignore RULE[,RULE]` on the
//! finding's line, or among the comment lines that open its YAML document.

const MARKER: &str = "sealant:ignore";

/// Whether `text` holds a suppression marker at all: without one, nothing in it is suppressed.
pub fn has_marker(text: &[u8]) -> bool {
    memchr::memmem::find(text, MARKER.as_bytes()).is_some()
}

/// Whether the finding of `rule` on 1-based `line` is suppressed by a comment.
pub fn is_suppressed(text: &[u8], line: usize, rule: &str) -> bool {
    // Most files have no marker at all: one search instead of splitting every line.
    if !has_marker(text) {
        return false;
    }
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let Some(own) = lines.get(line.saturating_sub(1)) else {
        return false;
    };
    if comment_suppresses(own, rule) {
        return true;
    }
    let suppressed = document_header(&lines, line).any(|l| comment_suppresses(l, rule));
    suppressed
}

/// The comment lines at the top of the document that contains `line`.
fn document_header<'a>(lines: &'a [&'a [u8]], line: usize) -> impl Iterator<Item = &'a [u8]> {
    let before = &lines[..line.saturating_sub(1).min(lines.len())];
    let start = before
        .iter()
        .rposition(|l| l.starts_with(b"---") || l.starts_with(b"..."))
        .map_or(0, |i| i + 1);
    before[start..].iter().copied().take_while(|l| {
        let t = l.trim_ascii();
        t.is_empty() || t.starts_with(b"#")
    })
}

fn comment_suppresses(line: &[u8], rule: &str) -> bool {
    let text = String::from_utf8_lossy(line);
    let Some(hash) = text.find('#') else {
        return false;
    };
    let comment = &text[hash + 1..];
    let Some(at) = comment.find(MARKER) else {
        return false;
    };
    let rest = comment[at + MARKER.len()..].trim();
    let names = rest
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty());
    let mut names = names.peekable();
    names.peek().is_none() || names.any(|n| n == rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_the_line_or_at_the_document_top() {
        let text = b"a: 1\n---\n# sealant:ignore k8s-secret-data\nkind: Secret\ndata:\n  x: eA==\n---\nb: c # sealant:ignore\n";
        assert!(is_suppressed(text, 6, "k8s-secret-data"));
        assert!(!is_suppressed(text, 6, "github-token"));
        assert!(is_suppressed(text, 8, "anything"));
        assert!(!is_suppressed(text, 1, "anything"));
    }

    #[test]
    fn a_comment_below_content_does_not_cover_the_document() {
        let text = b"kind: Secret\n# sealant:ignore\ndata:\n  x: eA==\n";
        assert!(!is_suppressed(text, 4, "k8s-secret-data"));
    }
}
