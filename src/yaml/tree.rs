//! A YAML node tree with byte spans, built from the parser's events.

use std::borrow::Cow;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle};

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
    /// `*name`: never expanded.
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
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entries()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
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

/// Parses the first document of `text[range]` into a tree; spans are offsets into `text`.
pub fn parse_node(text: &str, range: Range<usize>) -> Result<Option<Node<'_>>, ParseError> {
    let base = range.start;
    let mut parser = Parser::new_from_str(&text[range]);
    let mut builder = Builder {
        stack: Vec::new(),
        root: None,
        nodes: 0,
    };
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| ParseError {
            offset: base + e.marker().byte_offset().unwrap_or(0),
            message: e.info().to_string(),
        })?;
        let start = base + span.start.byte_offset().unwrap_or(0);
        let end = base + span.end.byte_offset().unwrap_or(0);
        if builder.event(event, start..end)? {
            break;
        }
    }
    Ok(builder.root)
}

enum Open<'a> {
    Seq(Vec<Node<'a>>, usize),
    /// Entries so far, a key waiting for its value, start offset.
    Map(Vec<(Node<'a>, Node<'a>)>, Option<Node<'a>>, usize),
}

struct Builder<'a> {
    stack: Vec<Open<'a>>,
    root: Option<Node<'a>>,
    nodes: usize,
}

impl<'a> Builder<'a> {
    /// Feeds one event; returns true when the first document is complete.
    fn event(&mut self, event: Event<'a>, span: Range<usize>) -> Result<bool, ParseError> {
        match event {
            Event::Scalar(value, style, ..) => {
                let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
                self.leaf(NodeKind::Scalar { value, quoted }, span)?;
            }
            Event::Alias(_) => self.leaf(NodeKind::Alias, span)?,
            Event::SequenceStart(..) => self.stack.push(Open::Seq(Vec::new(), span.start)),
            Event::MappingStart(..) => self.stack.push(Open::Map(Vec::new(), None, span.start)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Open::Seq(items, start)) => Node {
                        kind: NodeKind::Seq(items),
                        span: start..span.end,
                    },
                    Some(Open::Map(entries, _, start)) => Node {
                        kind: NodeKind::Map(entries),
                        span: start..span.end,
                    },
                    None => return Ok(false),
                };
                self.attach(node);
            }
            Event::DocumentEnd => return Ok(self.root.is_some()),
            _ => {}
        }
        Ok(false)
    }

    fn leaf(&mut self, kind: NodeKind<'a>, span: Range<usize>) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(ParseError {
                offset: span.start,
                message: format!("more than {MAX_NODES} nodes in one document"),
            });
        }
        self.attach(Node { kind, span });
        Ok(())
    }

    fn attach(&mut self, node: Node<'a>) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq(items, _)) => items.push(node),
            Some(Open::Map(entries, pending, _)) => match pending.take() {
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
    fn aliases_stay_leaves() {
        let src = "a: &x [1, 2]\nb: *x\nc: [*x, *x, *x]\n";
        let root = parse(src);
        assert_eq!(root.get("b").unwrap().kind, NodeKind::Alias);
    }

    #[test]
    fn errors_carry_offsets() {
        let src = "a: 1\nb: [unclosed\n";
        let err = parse_node(src, 0..src.len()).unwrap_err();
        assert!(err.offset > 0 && err.offset <= src.len(), "{err:?}");
    }

    #[test]
    fn offsets_are_relative_to_the_whole_file() {
        let src = "x: 1\n---\nk: v\n";
        let root = parse_node(src, 9..src.len()).unwrap().unwrap();
        assert_eq!(&src[root.get("k").unwrap().span.clone()], "v");
    }
}
