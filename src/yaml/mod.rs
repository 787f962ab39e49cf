//! YAML (and JSON, its subset) as the scanner needs it: cheap document splitting, and a small
//! node tree with byte spans for the few documents worth parsing.
//!
//! Aliases are never expanded (an alias is a leaf), so an alias bomb costs what its text costs.

mod split;
mod tree;

pub use split::{split_documents, DocSpan};
pub use tree::{parse_node, Node, NodeKind, ParseError, MAX_NODES};
