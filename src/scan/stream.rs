//! Standard input, scanned as one file of the repository.

use std::path::Path;
use std::sync::atomic::Ordering;

use super::collect::Collector;
use super::{finish, ScanOutput, ScanRequest};
use crate::detect::scan_file;
use crate::finding::Note;
use crate::source::filter::{is_ignored, sealantignore};
use crate::source::{Content, Visitor};

/// Scans one stream (standard input) as the file `name` of the repository at `root`:
/// `request.paths` and `request.mode` are not used. The stream is judged on its own: no graph
/// checks, and the files its secretGenerators would read are not read.
pub fn scan_stream(request: &ScanRequest, root: &Path, name: &str, bytes: &[u8]) -> ScanOutput {
    let mut collector = Collector::new(request);
    collector.defer_decrypt = false;
    if is_ignored(name, request.config, &sealantignore(root)) {
        let why = "excluded by .sealant.yaml or .sealantignore; not scanned";
        collector.note(name, why.into());
    } else {
        match crate::source::sniff(bytes) {
            Content::Binary(why) => collector.skipped(name, why.to_string()),
            Content::Text(text) => scan_stream_text(&collector, name, &text),
        }
    }
    let (mut output, inputs) = collector.into_output();
    output.root = root.to_path_buf();
    for (kustomization, input, _) in inputs {
        output.notes.push(Note {
            path: kustomization,
            message: format!(
                "secretGenerator {:?} reads {}: not read (standard input is judged on its own)",
                input.generator, input.path
            ),
        });
    }
    finish(output, request)
}

/// A stream's text, scanned as a file of its type (see [`crate::source::stdin::type_name`])
/// and reported under `name`.
fn scan_stream_text(collector: &Collector, name: &str, text: &[u8]) {
    collector.files.fetch_add(1, Ordering::Relaxed);
    collector
        .bytes
        .fetch_add(text.len() as u64, Ordering::Relaxed);
    let type_name = crate::source::stdin::type_name(name);
    let mut outcome = scan_file(type_name, text, &collector.context(name, text));
    let shared_name = crate::finding::Shared::from(name);
    for finding in &mut outcome.findings {
        finding.path = shared_name.clone();
    }
    collector
        .state
        .lock()
        .expect("no panics while holding the lock")
        .add(name, outcome, None);
}
