//! A YAML node tree with byte spans, built from the parser's events.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle, Tag};

/// Documents with more nodes than this are not parsed: a bound on memory for hostile input.
pub const MAX_NODES: usize = 1_000_000;

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind<'a> {
    /// Borrowed from the text where the parser can (plain and unescaped scalars): most
    /// scalars then cost no allocation.
    Scalar {
        value: Cow<'a, str>,
        quoted: bool,
    },
    Seq(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>),
    /// `*name` that was not expanded (past the document's alias budget).
    Alias,
}

/// One node; `span` is its byte range in the whole file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    pub kind: NodeKind<'a>,
    pub span: Range<usize>,
}

/// Why a document could not be parsed, with the byte offset in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl<'a> Node<'a> {
    /// The value of `key` in a mapping.
    /// The value of `key`, or else of a merge key's map (`<<: {kind: Secret}`, `<<: [*a, *b]`,
    /// the first that has it), as Kubernetes' YAML decoder reads them.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.get_within(key, MERGE_DEPTH)
    }

    fn get_within(&self, key: &str, depth: usize) -> Option<&Node<'a>> {
        let mut merged = None;
        for (k, v) in self.entries() {
            match k.as_str() {
                Some(k) if k == key => return Some(v),
                Some("<<") if merged.is_none() => merged = Some(v),
                _ => {}
            }
        }
        let merged = merged.filter(|_| depth > 0)?;
        match &merged.kind {
            NodeKind::Seq(maps) => maps.iter().find_map(|m| m.get_within(key, depth - 1)),
            _ => merged.get_within(key, depth - 1),
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&Node<'a>, &Node<'a>)> {
        let entries: &[(Node<'a>, Node<'a>)] = match &self.kind {
            NodeKind::Map(entries) => entries,
            _ => &[],
        };
        entries.iter().map(|(k, v)| (k, v))
    }

    pub fn items(&self) -> &[Node<'a>] {
        match &self.kind {
            NodeKind::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// A path of mapping keys, e.g. `["metadata", "name"]`.
    pub fn at(&self, path: &[&str]) -> Option<&Node<'a>> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)?.as_str()
    }
}

/// Merge keys followed through merge keys, at most: the tree is bounded by the alias budget,
/// this bounds the lookups.
const MERGE_DEPTH: usize = 8;

/// Parses the first document of `text[range]` into a tree; spans are offsets into `text`.
/// Aliases stay leaves: the tree is the text as written, for editing it.
pub fn parse_node(text: &str, range: Range<usize>) -> Result<Option<Node<'_>>, ParseError> {
    parse_with_budget(text, range, 0)
}

/// [`parse_node`], but an alias becomes a copy of its anchor's node (spans and all, so findings
/// point at the anchored text) while the document's alias budget lasts; past it, it stays a
/// leaf. For reading what the document means; a copy's spans do not say where it is written.
pub fn parse_expanded(text: &str, range: Range<usize>) -> Result<Option<Node<'_>>, ParseError> {
    let budget = range.len();
    parse_with_budget(text, range, budget)
}

fn parse_with_budget(
    text: &str,
    range: Range<usize>,
    alias_budget: usize,
) -> Result<Option<Node<'_>>, ParseError> {
    let mut builder = Builder::new(alias_budget, None);
    for_each_event(text, range, |event, span| builder.event(event, span))?;
    Ok(builder.root)
}

/// What typed reading needs of a scalar beyond the tree: its explicit tag (`!!str 5`), and
/// whether it is a block scalar (`|`, `>`: text, never a number).
#[derive(Clone, Debug, Default)]
pub(super) struct Typing {
    pub(super) tag: Option<String>,
    pub(super) block: bool,
}

/// The [`Typing`] of a document's tagged and block scalars, by the scalar's span.
pub(super) type ScalarTags = HashMap<(usize, usize), Typing>;

/// Every non-empty document of `text`, aliases expanded as in [`parse_expanded`] (one budget,
/// the text's length, for the whole stream), with its scalars' tags: for reading values.
pub(super) fn parse_documents(text: &str) -> Result<Vec<(Node<'_>, ScalarTags)>, ParseError> {
    let mut builder = Builder::new(text.len(), Some(ScalarTags::new()));
    let mut docs = Vec::new();
    for_each_event(text, 0..text.len(), |event, span| {
        if builder.event(event, span)? {
            docs.extend(builder.take_document());
        }
        Ok(false)
    })?;
    Ok(docs)
}

/// Whether the first document of `text[range]` parses, without building its tree: the same
/// answer and error as [`parse_expanded`] and [`parse_node`], for a fraction of their cost.
pub fn check_parses(text: &str, range: Range<usize>) -> Result<(), ParseError> {
    let (mut leaves, mut any_node) = (0, false);
    for_each_event(text, range, |event, span| {
        match event {
            // What the tree counts against MAX_NODES.
            Event::Scalar(..) | Event::Alias(_) => {
                leaves += 1;
                if leaves > MAX_NODES {
                    return Err(too_many_nodes(span.start));
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {}
            Event::DocumentEnd => return Ok(any_node),
            _ => return Ok(false),
        }
        any_node = true;
        Ok(false)
    })
}

/// Feeds the parser's events, with spans in the whole file, to `f` until it returns true.
fn for_each_event<'a>(
    text: &'a str,
    range: Range<usize>,
    mut f: impl FnMut(Event<'a>, Range<usize>) -> Result<bool, ParseError>,
) -> Result<(), ParseError> {
    let base = range.start;
    let mut parser = Parser::new_from_str(&text[range]);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| ParseError {
            offset: base + e.marker().byte_offset().unwrap_or(0),
            message: e.info().to_string(),
        })?;
        let start = base + span.start.byte_offset().unwrap_or(0);
        let end = base + span.end.byte_offset().unwrap_or(0);
        if f(event, start..end)? {
            break;
        }
    }
    Ok(())
}

fn too_many_nodes(offset: usize) -> ParseError {
    ParseError {
        offset,
        message: format!("more than {MAX_NODES} nodes in one document"),
    }
}

/// Keeps what typed reading needs of a tagged or block scalar (plain untagged ones need nothing).
fn note_typing(
    tags: &mut ScalarTags,
    style: ScalarStyle,
    tag: Option<Cow<'_, Tag>>,
    span: &Range<usize>,
) {
    let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
    if block || tag.is_some() {
        let tag = tag.map(|t| t.to_string());
        tags.insert((span.start, span.end), Typing { tag, block });
    }
}

/// A collection being built: its children so far, and what its completion needs.
struct Open<'a> {
    kind: OpenKind<'a>,
    start: usize,
    /// The anchor defined on it (0: none).
    anchor: usize,
    /// Its weight so far (itself included): what a copy of it costs, see `alias_budget`.
    size: usize,
}

enum OpenKind<'a> {
    Seq(Vec<Node<'a>>),
    /// Entries so far and a key waiting for its value.
    Map(Vec<(Node<'a>, Node<'a>)>, Option<Node<'a>>),
}

struct Builder<'a> {
    stack: Vec<Open<'a>>,
    root: Option<Node<'a>>,
    nodes: usize,
    /// Each anchored node and its weight.
    anchors: HashMap<usize, (Node<'a>, usize)>,
    /// What copies for anchors and aliases may still cost, in nodes plus the bytes of owned
    /// scalars they copy: the document's length, so an alias bomb costs what its text costs,
    /// never more (linear in the input).
    alias_budget: usize,
    /// Scalars' tags, when kept (see [`parse_documents`]).
    tags: Option<ScalarTags>,
}

impl<'a> Builder<'a> {
    fn new(alias_budget: usize, tags: Option<ScalarTags>) -> Self {
        Builder {
            stack: Vec::new(),
            root: None,
            nodes: 0,
            anchors: HashMap::new(),
            alias_budget,
            tags,
        }
    }

    /// The document just completed, and a fresh start for the next one.
    fn take_document(&mut self) -> Option<(Node<'a>, ScalarTags)> {
        self.nodes = 0;
        let tags = self.tags.as_mut().map(std::mem::take).unwrap_or_default();
        Some((self.root.take()?, tags))
    }

    /// Feeds one event; returns true when the first document is complete.
    fn event(&mut self, event: Event<'a>, span: Range<usize>) -> Result<bool, ParseError> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                if let Some(tags) = &mut self.tags {
                    note_typing(tags, style, tag, &span);
                }
                let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
                self.leaf(NodeKind::Scalar { value, quoted }, span, anchor)?;
            }
            Event::Alias(anchor) => self.alias(anchor, span)?,
            Event::SequenceStart(_, anchor, _) => {
                self.open(OpenKind::Seq(Vec::new()), span, anchor)
            }
            Event::MappingStart(_, anchor, _) => {
                self.open(OpenKind::Map(Vec::new(), None), span, anchor)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = self.stack.pop() else {
                    return Ok(false);
                };
                let kind = match open.kind {
                    OpenKind::Seq(items) => NodeKind::Seq(items),
                    OpenKind::Map(entries, _) => NodeKind::Map(entries),
                };
                let node = Node {
                    kind,
                    span: open.start..span.end,
                };
                self.attach(node, open.size, open.anchor);
            }
            Event::DocumentEnd => return Ok(self.root.is_some()),
            _ => {}
        }
        Ok(false)
    }

    fn open(&mut self, kind: OpenKind<'a>, span: Range<usize>, anchor: usize) {
        self.stack.push(Open {
            kind,
            start: span.start,
            anchor,
            size: 1,
        });
    }

    fn leaf(
        &mut self,
        kind: NodeKind<'a>,
        span: Range<usize>,
        anchor: usize,
    ) -> Result<(), ParseError> {
        self.count(1, span.start)?;
        // A copy of an owned scalar copies its text: that is weighed too.
        let weight = match &kind {
            NodeKind::Scalar {
                value: Cow::Owned(text),
                ..
            } => 1 + text.len(),
            _ => 1,
        };
        self.attach(Node { kind, span }, weight, anchor);
        Ok(())
    }

    /// A copy of the anchored node, or a leaf once the budget is spent.
    fn alias(&mut self, anchor: usize, span: Range<usize>) -> Result<(), ParseError> {
        let copy = match self.anchors.get(&anchor) {
            Some((node, size)) if *size <= self.alias_budget => Some((node.clone(), *size)),
            _ => None,
        };
        let Some((node, size)) = copy else {
            return self.leaf(NodeKind::Alias, span, 0);
        };
        // The budget bounds what copies cost; MAX_NODES bounds what the text itself holds.
        self.alias_budget -= size;
        self.count(1, span.start)?;
        self.attach(node, size, 0);
        Ok(())
    }

    fn count(&mut self, nodes: usize, offset: usize) -> Result<(), ParseError> {
        self.nodes += nodes;
        if self.nodes > MAX_NODES {
            return Err(too_many_nodes(offset));
        }
        Ok(())
    }

    fn attach(&mut self, node: Node<'a>, size: usize, anchor: usize) {
        if anchor != 0 && size <= self.alias_budget {
            self.alias_budget -= size;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        parent.size += size;
        match &mut parent.kind {
            OpenKind::Seq(items) => items.push(node),
            OpenKind::Map(entries, pending) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Node<'_> {
        parse_node(src, 0..src.len()).unwrap().unwrap()
    }

    fn expanded(src: &str) -> Node<'_> {
        parse_expanded(src, 0..src.len()).unwrap().unwrap()
    }

    /// Explicit keys first, then merge keys' maps in order, through merges of merges.
    #[test]
    fn get_reads_through_merge_keys() {
        let src = "a: &a {kind: Secret, x: 1}\nb: &b {x: 2, y: 3}\nc: {<<: [*a, *b], x: 0}\nd: {<<: *a}\ne: {<<: {<<: {deep: 4}}}\n";
        let root = expanded(src);
        let c = root.get("c").unwrap();
        assert_eq!(c.str_at(&["x"]), Some("0"));
        assert_eq!(c.str_at(&["kind"]), Some("Secret"));
        assert_eq!(c.str_at(&["y"]), Some("3"));
        assert_eq!(root.str_at(&["d", "kind"]), Some("Secret"));
        assert_eq!(root.str_at(&["e", "deep"]), Some("4"));
        assert_eq!(root.str_at(&["d", "y"]), None);
    }

    #[test]
    fn spans_point_at_values() {
        let src = "kind: Secret\ndata:\n  \"pw\": 'aGk='\n";
        let root = parse(src);
        let value = root.at(&["data", "pw"]).unwrap();
        assert_eq!(value.as_str(), Some("aGk="));
        assert_eq!(&src[value.span.clone()], "'aGk='");
    }

    #[test]
    fn flow_style_and_json() {
        let root = parse("{\"kind\": \"Secret\", \"stringData\": {\"a\": \"b\"}}");
        assert_eq!(root.str_at(&["stringData", "a"]), Some("b"));
        let root = parse("items: [{kind: Secret}, {kind: X}]");
        assert_eq!(root.get("items").unwrap().items().len(), 2);
    }

    #[test]
    fn aliases_are_copies_of_their_anchor_within_the_budget() {
        let src = "a: &x {k: v}\nb: *x\nc: [*x, &y s, *y]\n";
        assert_eq!(
            parse(src).get("b").unwrap().kind,
            NodeKind::Alias,
            "unless asked for"
        );
        let root = expanded(src);
        let b = root.get("b").unwrap();
        assert_eq!(b.str_at(&["k"]), Some("v"));
        assert_eq!(
            &src[b.get("k").unwrap().span.clone()],
            "v",
            "spans are the anchor's"
        );
        let c = root.get("c").unwrap().items();
        assert_eq!(c[0].str_at(&["k"]), Some("v"));
        assert_eq!(c[2].as_str(), Some("s"));
    }

    #[test]
    fn an_alias_bomb_stops_at_the_budget() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..40 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let root = expanded(&src);
        fn size(n: &Node) -> usize {
            1 + n.items().iter().map(size).sum::<usize>()
                + n.entries().map(|(k, v)| size(k) + size(v)).sum::<usize>()
        }
        assert!(size(&root) <= 3 * src.len(), "{} nodes", size(&root));
        let last = root.get("a39").unwrap().items();
        assert_eq!(last[0].kind, NodeKind::Alias);
    }

    #[test]
    fn errors_carry_offsets() {
        let src = "a: 1\nb: [unclosed\n";
        let err = parse_node(src, 0..src.len()).unwrap_err();
        assert!(err.offset > 0 && err.offset <= src.len(), "{err:?}");
    }

    /// `check_parses` says what building the tree says: Ok, or the same error.
    #[test]
    fn check_parses_agrees_with_the_tree() {
        for src in [
            "a: 1\nb: [x, {y: z}]\n",
            "a: 1\nb: [unclosed\n",
            "a: 1\n  b: 2\n",
            "{{- if .Values.x }}\na: 1\n{{- end }}\n",
            "a: &x [1]\nb: *x\nc: *missing\n",
            "# only a comment\n",
            "",
            "a: 1\n---\nb: [\n",
            "- a\n- b: 'c\n",
            "key: \"bad \\q escape\"\n",
        ] {
            for start in [0, src.find('\n').map_or(0, |i| i + 1)] {
                let tree = parse_expanded(src, start..src.len()).map(|_| ());
                assert_eq!(
                    check_parses(src, start..src.len()),
                    tree,
                    "{src:?} from {start}"
                );
            }
        }
    }

    #[test]
    fn offsets_are_relative_to_the_whole_file() {
        let src = "x: 1\n---\nk: v\n";
        let root = parse_node(src, 9..src.len()).unwrap().unwrap();
        assert_eq!(&src[root.get("k").unwrap().span.clone()], "v");
    }
}
