//! YAML (and JSON, its subset) as the scanner needs it: cheap document splitting, and a small
//! node tree with byte spans for the few documents worth parsing.
//!
//! For reading (`parse_expanded`), an alias is expanded to a copy of its anchor's node while
//! the document's budget lasts (copies cost at most the document's length, so an alias bomb
//! costs what its text costs); past it, an alias stays a leaf. For editing (`parse_node`),
//! aliases stay leaves, so spans say where each node is written. `de` reads the same tree
//! into typed values (manifests as JSON values, the configuration, rule packs).

pub mod de;
mod message;
mod split;
mod tree;

pub use split::{split_documents, DocSpan};
pub use tree::{check_parses, parse_expanded, parse_node, Node, NodeKind, ParseError, MAX_NODES};
