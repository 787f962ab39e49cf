//! Secret manifests written inside other text: Markdown code blocks (```` ```yaml ````, or
//! untagged ones that start like a manifest) and shell heredocs (`cat <<EOF > secret.yaml`) in
//! scripts, Makefiles, READMEs and CI files. Each such region is a byte span of the outer
//! file, parsed in place, so findings carry the outer file's lines.

use std::borrow::Cow;
use std::ops::Range;

use crate::finding::Detection;
use crate::yaml::parse_expanded;

/// What holds an embedded document, for the finding's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    CodeBlock,
    Heredoc,
}

/// A span of the outer file that may hold YAML documents.
#[derive(Debug, PartialEq, Eq)]
struct Region {
    range: Range<usize>,
    holder: Holder,
}

/// Whether files named so may embed manifests: Markdown, shell scripts, Makefiles, YAML
/// (CI files' `run:` blocks) and extension-less scripts.
pub(crate) fn may_hold(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    let Some((_, extension)) = lower.rsplit_once('.') else {
        return true;
    };
    matches!(
        extension,
        "md" | "markdown" | "mdx" | "sh" | "bash" | "zsh" | "ksh" | "mk" | "yaml" | "yml"
    ) || lower == "gnumakefile"
}

/// Detections for the Secret manifests embedded in a file; SOPS-encrypted ones are not
/// plaintext. A detection inside one the file already has (`existing`, e.g. a script in a
/// Secret's value) is left to that one. Text that is not UTF-8 holds no YAML to read.
pub(crate) fn detect(bytes: &[u8], file_name: &str, existing: &[Detection]) -> Vec<Detection> {
    let markdown = is_markdown(file_name);
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    // Most files have neither a heredoc nor a code block: no need to walk their lines. A
    // README's first code fence comes early, a heredoc seldom: fences are looked for first.
    let has_marker = (markdown && (has(b"```") || has(b"~~~"))) || has(b"<<");
    let Some(text) = has_marker
        .then(|| std::str::from_utf8(bytes).ok())
        .flatten()
    else {
        return Vec::new();
    };
    let covered = super::Ranges::new(existing.iter().map(|d| d.span.clone()).collect());
    let mut found = Vec::new();
    for region in regions(text, markdown) {
        let start = region.range.start;
        let embedded = &text[region.range];
        if memchr::memmem::find(embedded.as_bytes(), b"Secret").is_none() {
            continue;
        }
        let yaml = untabbed(embedded);
        for doc in documents(&yaml) {
            // Not YAML (a shell script, a template): nothing to find here, and no note either.
            let Ok(Some(root)) = parse_expanded(&yaml, doc) else {
                continue;
            };
            if root.get("sops").is_some() {
                continue;
            }
            let mut detections = Vec::new();
            super::kube::detect_secrets(&root, &mut detections);
            for mut d in detections {
                d.span = start + d.span.start..start + d.span.end;
                if !covered.contains(&d.span) {
                    found.push(told(d, region.holder));
                }
            }
        }
    }
    found
}

/// The region with each line's leading tabs as spaces, which YAML allows and tab-indented
/// heredocs (`<<-EOF`) use; of the same length, so spans stay.
fn untabbed(region: &str) -> Cow<'_, str> {
    if !region.starts_with('\t') && !region.contains("\n\t") {
        return Cow::Borrowed(region);
    }
    let mut out = String::with_capacity(region.len());
    for line in region.split_inclusive('\n') {
        let tabs = line.bytes().take_while(|&b| b == b'\t').count();
        out.extend(std::iter::repeat_n(' ', tabs));
        out.push_str(&line[tabs..]);
    }
    Cow::Owned(out)
}

fn is_markdown(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    [".md", ".markdown", ".mdx"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn told(mut d: Detection, holder: Holder) -> Detection {
    d.message.push_str(match holder {
        Holder::CodeBlock => " (in a Markdown code block)",
        Holder::Heredoc => " (in a heredoc)",
    });
    d
}

/// The regions of `text`, in order and disjoint, in one pass over its lines. In Markdown,
/// YAML code blocks are regions and heredocs are looked for in the other code blocks too.
fn regions(text: &str, markdown: bool) -> Vec<Region> {
    let mut out = Vec::new();
    let mut fence: Option<Fence> = None;
    let mut heredoc: Option<(&str, usize)> = None;
    let mut offset = 0;
    while offset < text.len() {
        if heredoc.is_none() {
            offset = next_line_with(text, offset, wanted_bytes(fence.as_ref(), markdown));
        }
        let Some(line) = next_line(text, offset) else {
            break;
        };
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some((delimiter, from)) = heredoc {
            let fence_ends = fence.as_ref().is_some_and(|f| f.closes(body));
            if body.trim() == delimiter || fence_ends {
                out.push(region(from..start, Holder::Heredoc));
                heredoc = None;
            }
            if !fence_ends {
                continue;
            }
        }
        if let Some(f) = &fence {
            if f.closes(body) {
                if f.yaml {
                    out.push(region(f.content..start, Holder::CodeBlock));
                }
                fence = None;
                continue;
            }
            if f.yaml {
                continue;
            }
        } else if markdown {
            if let Some(f) = Fence::opens(body, &text[offset..], offset) {
                fence = Some(f);
                continue;
            }
        }
        if let Some(delimiter) = heredoc_delimiter(body) {
            heredoc = Some((delimiter, offset));
        }
    }
    // Unterminated: up to the end of the file.
    if let Some((_, from)) = heredoc {
        out.push(region(from..text.len(), Holder::Heredoc));
    } else if let Some(f) = fence.filter(|f| f.yaml) {
        out.push(region(f.content..text.len(), Holder::CodeBlock));
    }
    out
}

/// The bytes a line must hold to change [`regions`]' state outside a heredoc: a fence's mark
/// to close it, `<` to begin a heredoc (where one may begin), `` ` `` or `~` to open a fence.
fn wanted_bytes(fence: Option<&Fence>, markdown: bool) -> &'static [u8] {
    match fence {
        Some(f) if f.yaml => mark_only(f.mark),
        Some(f) if f.mark == b'`' => b"`<",
        Some(_) => b"~<",
        None if markdown => b"`~<",
        None => b"<",
    }
}

fn mark_only(mark: u8) -> &'static [u8] {
    if mark == b'`' {
        b"`"
    } else {
        b"~"
    }
}

/// The start of the first line at or after `from` (a line start) that holds one of `bytes`,
/// else the end: the lines before it are passed over at memchr's speed, not one at a time.
fn next_line_with(text: &str, from: usize, bytes: &[u8]) -> usize {
    let rest = &text.as_bytes()[from..];
    let found = match *bytes {
        [a] => memchr::memchr(a, rest),
        [a, b] => memchr::memchr2(a, b, rest),
        [a, b, c] => memchr::memchr3(a, b, c, rest),
        _ => Some(0),
    };
    let Some(at) = found else {
        return text.len();
    };
    memchr::memrchr(b'\n', &rest[..at]).map_or(from, |i| from + i + 1)
}

/// The line starting at `from`, with its line break.
fn next_line(text: &str, from: usize) -> Option<&str> {
    let rest = text.get(from..).filter(|r| !r.is_empty())?;
    let end = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |i| i + 1);
    Some(&rest[..end])
}

fn region(range: Range<usize>, holder: Holder) -> Region {
    Region { range, holder }
}

/// An open Markdown code block.
struct Fence {
    /// `` ` `` or `~`, and how many open it.
    mark: u8,
    length: usize,
    /// Whether its content is read as YAML.
    yaml: bool,
    /// Where its content starts.
    content: usize,
}

impl Fence {
    /// A fence opened by `line`, whose content (`rest`, at `content`) follows.
    fn opens(line: &str, rest: &str, content: usize) -> Option<Fence> {
        let trimmed = line.trim_start();
        let mark = *trimmed
            .as_bytes()
            .first()
            .filter(|&&b| b == b'`' || b == b'~')?;
        let length = trimmed.bytes().take_while(|&b| b == mark).count();
        if length < 3 {
            return None;
        }
        let info = trimmed[length..].trim_start_matches(['{', '.', ' ']);
        let language = info
            .split(|c: char| c.is_whitespace() || c == '}' || c == ',')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let yaml = match language.as_str() {
            "yaml" | "yml" => true,
            "" => starts_like_a_manifest(rest),
            _ => false,
        };
        Some(Fence {
            mark,
            length,
            yaml,
            content,
        })
    }

    fn closes(&self, line: &str) -> bool {
        let trimmed = line.trim();
        trimmed.len() >= self.length && trimmed.bytes().all(|b| b == self.mark)
    }
}

/// An untagged code block is YAML when its first line is `apiVersion:`, `kind:` or `---`.
fn starts_like_a_manifest(rest: &str) -> bool {
    let first = rest.lines().map(str::trim).find(|l| !l.is_empty());
    first.is_some_and(|l| {
        l.starts_with("apiVersion:") || l.starts_with("kind:") || l.starts_with("---")
    })
}

/// The word that ends a heredoc begun on this line: `<<EOF`, `<<-EOF`, `<< 'EOF'`, `<<"EOF"`;
/// not a here-string (`<<<`) nor a YAML merge key (`<<:`).
fn heredoc_delimiter(line: &str) -> Option<&str> {
    // The first `<<`; memchr, not memmem, whose searcher costs more to build than a line to scan.
    let bytes = line.as_bytes();
    let at = memchr::memchr_iter(b'<', bytes).find(|&i| bytes.get(i + 1) == Some(&b'<'))?;
    let rest = line[at + 2..].strip_prefix('-').unwrap_or(&line[at + 2..]);
    if line[at + 2..].starts_with('<') {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix(['\'', '"', '\\']).unwrap_or(rest);
    let length = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let word = &rest[..length];
    word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        .then_some(word)
}

/// The documents of a region, split at its `---` lines (indented as the region is).
fn documents(region: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in region.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            out.push(start..offset);
            start = offset + line.len();
        }
        offset += line.len();
    }
    out.push(start..region.len());
    out.retain(|r| !r.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str, markdown: bool) -> Vec<(&str, Holder)> {
        regions(text, markdown)
            .into_iter()
            .map(|r| (&text[r.range], r.holder))
            .collect()
    }

    /// Lines passed over for lacking a fence mark or `<` are those that change nothing: the
    /// regions are those of a walk over every line.
    #[test]
    fn skipped_lines_change_no_region() {
        let text = "prose\n```yaml\nkind: Secret\n  ~~ not a close\n```\ntext <<EOF\nkind: Secret\nEOF\n~~~\ncat <<X\na\nX\n~~~\n````\n```\nstill\n````\n```\napiVersion: v1\n";
        let found: Vec<(&str, Holder)> = spans(text, true);
        assert_eq!(
            found,
            vec![
                ("kind: Secret\n  ~~ not a close\n", Holder::CodeBlock),
                ("kind: Secret\n", Holder::Heredoc),
                ("a\n", Holder::Heredoc),
                ("apiVersion: v1\n", Holder::CodeBlock),
            ]
        );
        assert_eq!(
            spans("a\nb <<EOF\nc\nEOF\n", false),
            vec![("c\n", Holder::Heredoc)]
        );
    }

    #[test]
    fn yaml_code_blocks_and_manifest_like_untagged_ones_are_regions() {
        let text = "# x\n```yaml\na: 1\n```\n```\nkind: Secret\n```\n```\nls -l\n```\n~~~yml title=x\nb: 2\n~~~\n```json\n{}\n```\n";
        assert_eq!(
            spans(text, true),
            [
                ("a: 1\n", Holder::CodeBlock),
                ("kind: Secret\n", Holder::CodeBlock),
                ("b: 2\n", Holder::CodeBlock),
            ]
        );
        assert!(
            spans(text, false).is_empty(),
            "fences only count in Markdown"
        );
    }

    #[test]
    fn heredocs_end_at_their_word_or_their_code_block() {
        let text = "cat <<EOF > s.yaml\na: 1\nEOF\n  kubectl apply -f - <<-'END'\n    b: 2\n    END\nx <<< y\nz <<: w\n";
        assert_eq!(
            spans(text, false),
            [("a: 1\n", Holder::Heredoc), ("    b: 2\n", Holder::Heredoc)]
        );
        let md = "```sh\ncat <<EOF\nc: 3\n```\nd: 4\n";
        assert_eq!(spans(md, true), [("c: 3\n", Holder::Heredoc)]);
        assert_eq!(
            spans("cat <<EOF\ne: 5\n", false),
            [("e: 5\n", Holder::Heredoc)]
        );
    }

    #[test]
    fn tab_indented_heredocs_read_as_yaml_of_the_same_length() {
        let region = "\tkind: Secret\n\tstringData:\n\t\tpassword: x\n";
        let yaml = untabbed(region);
        assert_eq!(yaml, " kind: Secret\n stringData:\n  password: x\n");
        assert_eq!(yaml.len(), region.len());
        assert!(matches!(untabbed("a: 1\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn heredoc_words() {
        assert_eq!(heredoc_delimiter("cat <<EOF >x"), Some("EOF"));
        assert_eq!(heredoc_delimiter("cat << \"EOF\""), Some("EOF"));
        assert_eq!(heredoc_delimiter("cat <<-'_END'"), Some("_END"));
        assert_eq!(heredoc_delimiter("cat <<\\EOF"), Some("EOF"));
        assert_eq!(heredoc_delimiter("x <<< $y"), None);
        assert_eq!(heredoc_delimiter("<<: *defaults"), None);
        assert_eq!(heredoc_delimiter("a << 1"), None);
    }

    #[test]
    fn indented_regions_split_into_documents() {
        let text = "  a: 1\n  ---\n  b: 2\n";
        let docs: Vec<&str> = documents(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(docs, ["  a: 1\n", "  b: 2\n"]);
    }
}
