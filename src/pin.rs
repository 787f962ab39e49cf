//! Adding or updating one `certs:` entry in the text of `.sealant.yaml`, surgically: every byte
//! outside the values that change stays as it was, comments included. A shape that cannot be
//! edited safely is refused with the reason, never guessed at.

use std::ops::Range;

use crate::yaml::{parse_node, Node, NodeKind};

/// The entry to write. `name` must already be a plain YAML word (see [`valid_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub cert: String,
    pub sha256: String,
    pub serves: Serves,
}

/// What the cert serves: deployment roots or path globs (the other one is removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serves {
    Roots(Vec<String>),
    Paths(Vec<String>),
}

impl Serves {
    fn key(&self) -> &'static str {
        match self {
            Serves::Roots(_) => "roots",
            Serves::Paths(_) => "paths",
        }
    }

    fn other_key(&self) -> &'static str {
        match self {
            Serves::Roots(_) => "paths",
            Serves::Paths(_) => "roots",
        }
    }

    fn values(&self) -> &[String] {
        match self {
            Serves::Roots(v) | Serves::Paths(v) => v,
        }
    }
}

/// Whether the text changed an entry already there or added one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Updated,
}

/// An entry name: also a file name (`certs/NAME.pem`), so letters, digits, `.`, `_` and `-`.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `text` with `entry` added to `certs:`, or the entry of its name updated in place.
pub fn upsert(text: &str, entry: &Entry) -> Result<(String, Outcome), String> {
    if text
        .lines()
        .any(|l| l.starts_with("---") || l.starts_with("..."))
    {
        return Err("it has a YAML document marker (`---` or `...`); sealant edits a configuration of one document without markers".into());
    }
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let root = parse_node(text, 0..text.len()).map_err(|e| {
        format!(
            "it does not parse at {}: {}",
            place(text, e.offset),
            e.message
        )
    })?;
    let (edits, outcome) = match &root {
        None => (vec![append_certs(text, entry, nl)], Outcome::Added),
        Some(root) => edits_in(text, root, entry, nl)?,
    };
    let edited = apply(text, edits);
    check(&edited, entry)?;
    Ok((edited, outcome))
}

type Edit = (Range<usize>, String);

fn edits_in(
    text: &str,
    root: &Node,
    entry: &Entry,
    nl: &str,
) -> Result<(Vec<Edit>, Outcome), String> {
    let NodeKind::Map(entries) = &root.kind else {
        return Err("its top level is not a mapping".into());
    };
    if is_flow(text, root) || column(text, root.span.start) != 0 {
        return Err("its top level is not a block mapping starting at column 0".into());
    }
    let Some((key, value)) = entries.iter().find(|(k, _)| k.as_str() == Some("certs")) else {
        return Ok((vec![append_certs(text, entry, nl)], Outcome::Added));
    };
    match &value.kind {
        NodeKind::Seq(items) if items.is_empty() => {
            Ok((first_entry(text, key, value, entry, nl), Outcome::Added))
        }
        NodeKind::Scalar { value: v, quoted } if !quoted && matches!(&**v, "" | "~" | "null") => {
            Ok((first_entry(text, key, value, entry, nl), Outcome::Added))
        }
        NodeKind::Seq(_) if is_flow(text, value) => Err(
            "`certs:` is a flow list (`[...]`); write it as a block list (`- name: ...` lines)"
                .into(),
        ),
        NodeKind::Seq(items) => in_list(text, items, entry, nl),
        _ => Err(format!(
            "`certs:` at {} is not a list",
            place(text, key.span.start)
        )),
    }
}

/// A `certs:` key with nothing under it: its empty value goes, the entry follows its line.
fn first_entry(text: &str, key: &Node, value: &Node, entry: &Entry, nl: &str) -> Vec<Edit> {
    let at = line_end(text, key.span.end);
    let mut edits = vec![(at..at, lines_before(text, at, &render(entry, 2, nl), nl))];
    if !value.span.is_empty() && value.span.start > key.span.end && value.span.end <= at {
        // With the blank before it, so that no trailing space is left.
        let blank = text[..value.span.start].trim_end_matches([' ', '\t']).len();
        let start = blank.max(key.span.end + 1).min(value.span.start);
        edits.push((start..value.span.end, String::new()));
    }
    edits
}

/// No `certs:` key at all: one at the end of the file.
fn append_certs(text: &str, entry: &Entry, nl: &str) -> Edit {
    let end = text.len();
    let block = format!("certs:{nl}{}", render(entry, 2, nl));
    (end..end, lines_before(text, end, &block, nl))
}

fn in_list(
    text: &str,
    items: &[Node],
    entry: &Entry,
    nl: &str,
) -> Result<(Vec<Edit>, Outcome), String> {
    let mut dashes = Vec::with_capacity(items.len());
    for item in items {
        if !matches!(item.kind, NodeKind::Map(_)) || is_flow(text, item) {
            return Err(format!(
                "the entry of `certs:` at {} is not a block mapping",
                place(text, item.span.start)
            ));
        }
        dashes.push(dash_column(text, item.span.start)?);
    }
    let named: Vec<&Node> = items
        .iter()
        .filter(|i| i.str_at(&["name"]) == Some(entry.name.as_str()))
        .collect();
    match named.as_slice() {
        [] => {
            let last = items.last().expect("a non-empty list");
            let at = line_end(text, content_end(text, last));
            let block = render(entry, dashes[0], nl);
            Ok((
                vec![(at..at, lines_before(text, at, &block, nl))],
                Outcome::Added,
            ))
        }
        [item] => Ok((update(text, item, entry, nl)?, Outcome::Updated)),
        _ => Err(format!(
            "`certs:` has several entries named {:?}; keep one",
            entry.name
        )),
    }
}

/// Replaces the values of `cert`, `sha256` and what the entry serves; adds the ones missing.
fn update(text: &str, item: &Node, entry: &Entry, nl: &str) -> Result<Vec<Edit>, String> {
    let indent = column(text, item.span.start);
    let mut edits = Vec::new();
    let mut missing = String::new();
    for (key, value) in fields(entry).into_iter().skip(1) {
        match item.entries().find(|(k, _)| k.as_str() == Some(key)) {
            Some((k, v)) => edits.push(replace_value(text, k, v, &value)?),
            None => missing.push_str(&format!("{:indent$}{key}: {value}{nl}", "")),
        }
    }
    if let Some((k, v)) = item
        .entries()
        .find(|(k, _)| k.as_str() == Some(entry.serves.other_key()))
    {
        let start = line_start(text, k.span.start);
        if text[start..k.span.start].trim().is_empty() {
            edits.push((
                start..line_end(text, content_end_of_pair(text, k, v)),
                String::new(),
            ));
        } else {
            return Err(format!(
                "entry {:?} starts with `{}:`, which this change removes; move `name:` first",
                entry.name,
                entry.serves.other_key()
            ));
        }
    }
    if !missing.is_empty() {
        let at = line_end(text, content_end(text, item));
        edits.push((at..at, lines_before(text, at, &missing, nl)));
    }
    Ok(edits)
}

/// The new value of one key: in place for a scalar or flow value, from after the key for a
/// block list or mapping (which becomes a flow list on the key's line). A value with an anchor
/// is refused: other entries may share it through an alias, and would change too.
fn replace_value(text: &str, key: &Node, value: &Node, new: &str) -> Result<Edit, String> {
    let between = text.get(key.span.end..value.span.start).unwrap_or_default();
    let anchored = between
        .lines()
        .any(|line| line.split('#').next().unwrap_or_default().contains('&'));
    if anchored {
        return Err(format!(
            "`{}` carries a YAML anchor that other entries may share; write the value out in each entry first",
            key.as_str().unwrap_or_default()
        ));
    }
    let end = content_end_of_pair(text, key, value);
    let block = matches!(value.kind, NodeKind::Seq(_) | NodeKind::Map(_)) && !is_flow(text, value);
    if block || is_empty_plain(value) {
        // Through the `:` too: an empty value's node sits before it.
        let colon = text[key.span.end..]
            .find(':')
            .map_or(end, |i| key.span.end + i + 1);
        // A comment on the key's own line stays, after the new value.
        let key_line = text[colon.min(end)..]
            .split('\n')
            .next()
            .unwrap_or_default();
        let comment = match key_line.find('#') {
            Some(at) if block && key_line[..at].trim().is_empty() => {
                format!(" {}", key_line[at..].trim_end_matches('\r').trim_end())
            }
            _ => String::new(),
        };
        Ok((key.span.end..end.max(colon), format!(": {new}{comment}")))
    } else {
        Ok((value.span.clone(), new.to_string()))
    }
}

/// The entry's fields in order, each value rendered as YAML.
fn fields(entry: &Entry) -> Vec<(&'static str, String)> {
    let list: Vec<String> = entry.serves.values().iter().map(|v| quoted(v)).collect();
    vec![
        ("name", entry.name.clone()),
        ("cert", scalar(&entry.cert)),
        ("sha256", entry.sha256.clone()),
        (entry.serves.key(), format!("[{}]", list.join(", "))),
    ]
}

/// The entry as block list lines, its dash at `indent`.
fn render(entry: &Entry, indent: usize, nl: &str) -> String {
    fields(entry)
        .into_iter()
        .enumerate()
        .map(|(i, (key, value))| {
            let lead = if i == 0 { "- " } else { "  " };
            format!("{:indent$}{lead}{key}: {value}{nl}", "")
        })
        .collect()
}

/// A plain scalar when it is one unambiguously (a path), else a double-quoted one.
fn scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
    if plain {
        value.to_string()
    } else {
        quoted(value)
    }
}

/// A JSON string is a valid YAML double-quoted scalar.
fn quoted(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// Inserting `block` (whole lines) at `at`: a newline first when `at` ends a last line that has none.
fn lines_before(text: &str, at: usize, block: &str, nl: &str) -> String {
    if at > 0 && !text[..at].ends_with('\n') {
        format!("{nl}{block}")
    } else {
        block.to_string()
    }
}

fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|(range, _)| std::cmp::Reverse((range.start, range.end)));
    let mut out = text.to_string();
    for (range, new) in edits {
        out.replace_range(range, &new);
    }
    out
}

/// The result has exactly one entry of the name, holding what was asked for.
fn check(text: &str, entry: &Entry) -> Result<(), String> {
    let wrong =
        || "the edited text does not hold the entry as asked (please report this)".to_string();
    let root = parse_node(text, 0..text.len())
        .map_err(|e| format!("the edited text does not parse: {}", e.message))?
        .ok_or_else(wrong)?;
    let items = root.get("certs").map(Node::items).unwrap_or_default();
    let named: Vec<&Node> = items
        .iter()
        .filter(|i| i.str_at(&["name"]) == Some(entry.name.as_str()))
        .collect();
    let [item] = named.as_slice() else {
        return Err(wrong());
    };
    let list: Option<Vec<&str>> = item
        .get(entry.serves.key())
        .map(|l| l.items().iter().filter_map(Node::as_str).collect());
    let holds = item.str_at(&["cert"]) == Some(entry.cert.as_str())
        && item.str_at(&["sha256"]) == Some(entry.sha256.as_str())
        && list == Some(entry.serves.values().iter().map(String::as_str).collect())
        && item.get(entry.serves.other_key()).is_none();
    if holds {
        Ok(())
    } else {
        Err(wrong())
    }
}

fn is_flow(text: &str, node: &Node) -> bool {
    matches!(text.as_bytes().get(node.span.start), Some(b'[' | b'{'))
}

fn is_empty_plain(node: &Node) -> bool {
    // A key with nothing after it is a null the parser spells `~`, at an empty span.
    matches!(&node.kind, NodeKind::Scalar { value, quoted: false } if value.is_empty() || node.span.is_empty())
}

/// Where a node's text ends: a block collection's span runs on to the next token, so its last
/// child says where its content ends.
fn content_end(text: &str, node: &Node) -> usize {
    if is_flow(text, node) {
        return node.span.end;
    }
    match &node.kind {
        NodeKind::Seq(items) => items
            .last()
            .map_or(node.span.end, |last| content_end(text, last)),
        NodeKind::Map(entries) => entries
            .last()
            .map_or(node.span.end, |(k, v)| content_end_of_pair(text, k, v)),
        _ => node.span.end,
    }
}

/// A `key: value` pair's end; an empty value has no text of its own, so the key ends it.
fn content_end_of_pair(text: &str, key: &Node, value: &Node) -> usize {
    if is_empty_plain(value) {
        key.span.end
    } else {
        content_end(text, value)
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Just after the newline that ends the line holding the byte before `at` (or the text's end).
fn line_end(text: &str, at: usize) -> usize {
    if at > 0 && text.as_bytes()[at - 1] == b'\n' {
        return at;
    }
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

/// `line L, column C` (1-based) of a byte offset, for messages.
fn place(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line = text[..offset].matches('\n').count() + 1;
    format!("line {line}, column {}", column(text, offset) + 1)
}

fn column(text: &str, at: usize) -> usize {
    at - line_start(text, at)
}

/// The column of the `- ` that opens a block list item starting at `at`; only spaces may
/// come before it on its line.
fn dash_column(text: &str, at: usize) -> Result<usize, String> {
    let before = text[..at].trim_end_matches([' ', '\t', '\r', '\n']);
    let start = line_start(text, before.len());
    if before.ends_with('-') && before[start..before.len() - 1].bytes().all(|b| b == b' ') {
        Ok(before.len() - 1 - start)
    } else {
        Err(format!(
            "the entry of `certs:` at {} is not written as `- name: ...` lines",
            place(text, before.len())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, serves: Serves) -> Entry {
        Entry {
            name: name.into(),
            cert: "certs/prod.pem".into(),
            sha256: "ab12".into(),
            serves,
        }
    }

    fn roots(list: &[&str]) -> Serves {
        Serves::Roots(list.iter().map(|s| s.to_string()).collect())
    }

    fn pinned(text: &str, e: &Entry) -> String {
        upsert(text, e).unwrap().0
    }

    const PROD: &str = "  - name: prod\n    cert: certs/prod.pem\n    sha256: ab12\n    roots: [\"clusters/prod\"]\n";

    #[test]
    fn a_value_with_an_anchor_other_entries_may_share_is_refused() {
        let text = "certs:\n  - name: prod\n    cert: certs/prod.pem\n    sha256: ab12\n    paths: &shared [\"clusters/**\"]\n  - name: stg\n    cert: certs/stg.pem\n    sha256: cd34\n    paths: *shared\n";
        let e = entry("prod", Serves::Paths(vec!["clusters/prod/**".into()]));
        let err = upsert(text, &e).unwrap_err();
        assert!(err.contains("anchor"), "{err}");
        // Replacing an alias changes that entry alone, and is done.
        let e = entry("stg", Serves::Paths(vec!["clusters/stg/**".into()]));
        assert!(pinned(text, &e).contains("paths: &shared [\"clusters/**\"]"));
    }

    #[test]
    fn a_comment_on_a_block_lists_key_line_stays() {
        let text = "certs:\n  - name: prod\n    cert: certs/prod.pem\n    sha256: ab12\n    roots: # prod cluster only\n      - clusters/old\n";
        assert_eq!(
            pinned(text, &entry("prod", roots(&["clusters/prod"]))),
            "certs:\n  - name: prod\n    cert: certs/prod.pem\n    sha256: ab12\n    roots: [\"clusters/prod\"] # prod cluster only\n"
        );
    }

    #[test]
    fn an_empty_value_is_filled_in() {
        let text = "certs:\n  - name: prod\n    cert: certs/prod.pem\n    sha256:\n    roots: [\"clusters/prod\"]\n";
        assert_eq!(
            pinned(text, &entry("prod", roots(&["clusters/prod"]))),
            format!("certs:\n{PROD}")
        );
    }

    #[test]
    fn a_file_without_certs_gets_the_section_at_its_end() {
        let e = entry("prod", roots(&["clusters/prod"]));
        let text = "# top\nexclude: [] # keep\n# tail";
        assert_eq!(pinned(text, &e), format!("{text}\ncerts:\n{PROD}"));
        assert_eq!(pinned("", &e), format!("certs:\n{PROD}"));
        assert_eq!(pinned("# only\n", &e), format!("# only\ncerts:\n{PROD}"));
    }

    #[test]
    fn an_empty_certs_list_is_filled_and_the_comments_after_it_stay() {
        let e = entry("prod", roots(&["clusters/prod"]));
        let text = "a: 1\ncerts: [] # pins\n#  - name: example\nscope: strict\n";
        assert_eq!(
            pinned(text, &e),
            format!("a: 1\ncerts: # pins\n{PROD}#  - name: example\nscope: strict\n")
        );
        assert_eq!(
            pinned("certs:\n# none yet\nb: 2\n", &e),
            format!("certs:\n{PROD}# none yet\nb: 2\n")
        );
        assert_eq!(pinned("certs: ~\n", &e), format!("certs:\n{PROD}"));
        assert_eq!(pinned("certs:", &e), format!("certs:\n{PROD}"));
    }

    #[test]
    fn a_new_name_is_appended_after_the_last_entry_at_its_indentation() {
        let text = "certs:\n- name: a\n  cert: a.pem\n  sha256: 00\n  paths: [\"a/**\"]\n# end of certs\nx: 1\n";
        let e = entry("prod", Serves::Paths(vec!["p/**".into(), "q".into()]));
        assert_eq!(
            pinned(text, &e),
            "certs:\n- name: a\n  cert: a.pem\n  sha256: 00\n  paths: [\"a/**\"]\n- name: prod\n  cert: certs/prod.pem\n  sha256: ab12\n  paths: [\"p/**\", \"q\"]\n# end of certs\nx: 1\n"
        );
    }

    #[test]
    fn an_existing_entry_keeps_its_comments_and_gets_new_values() {
        let text = "certs:\n  # production\n  - name: prod # the big one\n    cert: old.pem   # rotated yearly\n    sha256: 'ff'\n    paths:\n      - \"x/**\"\n      - y\n    # trailing\nz: 1\n";
        let (out, outcome) = upsert(text, &entry("prod", roots(&["clusters/prod"]))).unwrap();
        assert_eq!(outcome, Outcome::Updated);
        assert_eq!(
            out,
            "certs:\n  # production\n  - name: prod # the big one\n    cert: certs/prod.pem   # rotated yearly\n    sha256: ab12\n    roots: [\"clusters/prod\"]\n    # trailing\nz: 1\n"
        );
    }

    #[test]
    fn the_same_pin_twice_changes_nothing_the_second_time() {
        let e = entry("prod", roots(&["clusters/prod"]));
        let once = pinned("exclude: []\n", &e);
        assert_eq!(pinned(&once, &e), once);
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let e = entry("prod", roots(&["c"]));
        let out = pinned("exclude: []\r\n", &e);
        assert!(out.ends_with("roots: [\"c\"]\r\n"), "{out:?}");
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    }

    #[test]
    fn shapes_that_cannot_be_edited_safely_are_refused_with_the_reason() {
        let e = entry("prod", roots(&["c"]));
        for (text, reason) in [
            ("certs: [{name: a}]\n", "flow list"),
            ("certs: {a: 1}\n", "not a list"),
            ("{certs: []}\n", "block mapping"),
            ("- a\n", "not a mapping"),
            ("a: 1\n---\nb: 2\n", "document marker"),
            (
                "certs:\n  - name: prod\n  - name: prod\n",
                "several entries",
            ),
            (
                "certs:\n  - {name: a}\n",
                "at line 2, column 5 is not a block mapping",
            ),
            (
                "certs:\n  - paths: [x]\n    name: prod\n",
                "move `name:` first",
            ),
            ("a: [\n", "does not parse at line 1"),
        ] {
            let err = upsert(text, &e).unwrap_err();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
    }

    /// Every prefix of a commented configuration, and every one-byte deletion from it, is
    /// either edited or refused: never a panic.
    #[test]
    fn damaged_text_is_edited_or_refused_never_a_panic() {
        let text = "# c\nexclude: [] # x\ncerts:\n  # p\n  - name: prod\n    cert: 'a.pem'\n    sha256: ff\n    paths:\n      - \"x/**\"\n  -\n    name: b\n    cert: b.pem\n    roots: [r]\n# end\nscope: strict\n";
        for e in [
            entry("prod", roots(&["c"])),
            entry("b", Serves::Paths(vec!["p".into()])),
        ] {
            for cut in 0..=text.len() {
                let _ = upsert(&text[..cut], &e);
                let damaged = format!("{}{}", &text[..cut], &text[(cut + 1).min(text.len())..]);
                let _ = upsert(&damaged, &e);
            }
        }
    }

    #[test]
    fn values_that_are_not_plain_words_are_quoted() {
        assert_eq!(scalar("certs/a-b_c.pem"), "certs/a-b_c.pem");
        assert_eq!(scalar("my certs/a: b.pem"), "\"my certs/a: b.pem\"");
        assert_eq!(scalar("*x"), "\"*x\"");
        assert!(valid_name("prod-eu.1") && !valid_name("-x") && !valid_name("a b"));
    }
}
