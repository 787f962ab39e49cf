//! The YAML document splitter and the span tree (src/yaml), and the manifest reader (src/doc.rs).
//! Checks: no panic; documents in order, inside the file, not overlapping, with the right first
//! line; every node span inside its document and its parent, on character boundaries; the
//! node bound holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealant::yaml::{parse_node, split_documents, MAX_NODES};
use sealant_fuzz::check_spans;

fuzz_target!(|data: &[u8]| {
    let docs = split_documents(data);
    let mut end = 0;
    for doc in &docs {
        assert!(end <= doc.range.start && doc.range.start <= doc.range.end);
        assert!(doc.range.end <= data.len());
        let lines_before = memchr_count(&data[..doc.range.start]) + 1;
        assert!(
            doc.first_line == lines_before || doc.first_line == lines_before + 1,
            "first_line {} for a document starting on line {lines_before}",
            doc.first_line
        );
        end = doc.range.end;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for doc in &docs {
        // A split point inside a character would make parse_node slice mid-character.
        assert!(text.is_char_boundary(doc.range.start) && text.is_char_boundary(doc.range.end));
        match parse_node(text, doc.range.clone()) {
            Ok(Some(root)) => {
                let nodes = check_spans(text, &root, &doc.range);
                assert!(nodes <= 2 * MAX_NODES + doc.range.len() + 1);
            }
            Ok(None) => {}
            Err(e) => assert!(
                e.offset <= data.len(),
                "error offset {} past the end",
                e.offset
            ),
        }
    }
    let _ = sealant::doc::parse_documents(text, "fuzz.yaml");
});

fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}
