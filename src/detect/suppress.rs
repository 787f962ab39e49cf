//! Inline suppression: `# sealant:ignore` (every rule) or `# sealant:ignore RULE[,RULE]` on the
//! finding's line, or among the comment lines that open its YAML document.

use std::collections::HashMap;

const MARKER: &str = "sealant:ignore";

/// Whether `text` holds a suppression marker at all: without one, nothing in it is suppressed.
pub fn has_marker(text: &[u8]) -> bool {
    memchr::memmem::find(text, MARKER.as_bytes()).is_some()
}

/// Whether the finding of `rule` on 1-based `line` is suppressed by a comment. For one
/// finding; a file with many goes through `Suppressions`.
pub fn is_suppressed(text: &[u8], line: usize, rule: &str) -> bool {
    Suppressions::new(text).covers(line, rule)
}

/// A file's suppression comments, found in one pass, so that each finding is looked up in
/// them instead of splitting the file again.
#[derive(Default)]
pub(crate) struct Suppressions {
    /// 0-based lines holding a marker in a comment, with the rules it names (none: all).
    marked: HashMap<usize, Vec<String>>,
    /// 0-based lines that separate YAML documents (`---`, `...`), in order.
    separators: Vec<usize>,
    /// The markers at the top of each document: before the first separator, then after each.
    headers: Vec<Header>,
    lines: usize,
}

/// The first line of a document's leading comments that suppresses all rules, and each rule.
#[derive(Default)]
struct Header {
    all: Option<usize>,
    named: HashMap<String, usize>,
}

impl Header {
    /// Whether a marker on a line before `end` covers `rule`.
    fn covers(&self, end: usize, rule: &str) -> bool {
        self.all.is_some_and(|l| l < end) || self.named.get(rule).is_some_and(|&l| l < end)
    }

    fn add(&mut self, line: usize, names: &[String]) {
        if names.is_empty() {
            self.all.get_or_insert(line);
        }
        for name in names {
            self.named.entry(name.clone()).or_insert(line);
        }
    }
}

impl Suppressions {
    pub(crate) fn new(text: &[u8]) -> Suppressions {
        let mut found = Suppressions::default();
        // Most files have no marker at all: one search instead of splitting every line.
        if !has_marker(text) {
            return found;
        }
        found.headers.push(Header::default());
        let mut in_header = true;
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let names = marker_names(line);
            if line.starts_with(b"---") || line.starts_with(b"...") {
                found.separators.push(i);
                found.headers.push(Header::default());
                in_header = true;
            } else {
                let t = line.trim_ascii();
                in_header &= t.is_empty() || t.starts_with(b"#");
                if let (true, Some(names)) = (in_header, &names) {
                    found
                        .headers
                        .last_mut()
                        .expect("one per document")
                        .add(i, names);
                }
            }
            if let Some(names) = names {
                found.marked.insert(i, names);
            }
            found.lines = i + 1;
        }
        found
    }

    /// Whether the finding of `rule` on 1-based `line` is suppressed: by a marker on its line,
    /// or on a comment line above it at the top of its document.
    pub(crate) fn covers(&self, line: usize, rule: &str) -> bool {
        if self.marked.is_empty() {
            return false;
        }
        let own = line.saturating_sub(1);
        if own >= self.lines {
            return false;
        }
        if self.marked.get(&own).is_some_and(|n| names_cover(n, rule)) {
            return true;
        }
        let document = self.separators.partition_point(|&s| s < own);
        self.headers[document].covers(own, rule)
    }
}

fn names_cover(names: &[String], rule: &str) -> bool {
    names.is_empty() || names.iter().any(|n| n == rule)
}

/// The rules a `sealant:ignore` comment on `line` names (empty: every rule); `None` without one.
fn marker_names(line: &[u8]) -> Option<Vec<String>> {
    memchr::memmem::find(line, MARKER.as_bytes())?;
    let text = String::from_utf8_lossy(line);
    let comment = &text[text.find('#')? + 1..];
    let at = comment.find(MARKER)?;
    let rest = comment[at + MARKER.len()..].trim();
    Some(
        rest.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    )
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

    /// The lookup as it was, splitting the file for every finding.
    fn reference(text: &[u8], line: usize, rule: &str) -> bool {
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let Some(own) = lines.get(line.saturating_sub(1)) else {
            return false;
        };
        let covers = |l: &[u8]| marker_names(l).is_some_and(|n| names_cover(&n, rule));
        let before = &lines[..line.saturating_sub(1).min(lines.len())];
        let start = before
            .iter()
            .rposition(|l| l.starts_with(b"---") || l.starts_with(b"..."))
            .map_or(0, |i| i + 1);
        covers(own)
            || before[start..]
                .iter()
                .take_while(|l| {
                    let t = l.trim_ascii();
                    t.is_empty() || t.starts_with(b"#")
                })
                .any(|l| covers(l))
    }

    #[test]
    fn the_one_pass_index_agrees_with_the_per_finding_lookup() {
        let texts: [&[u8]; 3] = [
            b"# sealant:ignore a\n\n# x\n# sealant:ignore b, c\nk: v\n# sealant:ignore\nk: v # sealant:ignore d\n--- # sealant:ignore e\n# sealant:ignore\n...\nk: v\n---\n\n  # sealant:ignore a\n",
            b"k: v\n# sealant:ignore\n---\n#sealant:ignore f\nx\n# sealant:ignore g\n",
            b"no marker\n---\nat all\n",
        ];
        for text in texts {
            let index = Suppressions::new(text);
            for line in 0..=text.split(|&b| b == b'\n').count() + 1 {
                for rule in ["a", "b", "c", "d", "e", "f", "g", "z"] {
                    assert_eq!(
                        index.covers(line, rule),
                        reference(text, line, rule),
                        "line {line}, rule {rule}, text {:?}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    #[test]
    fn a_comment_below_content_does_not_cover_the_document() {
        let text = b"kind: Secret\n# sealant:ignore\ndata:\n  x: eA==\n";
        assert!(!is_suppressed(text, 4, "k8s-secret-data"));
    }
}
