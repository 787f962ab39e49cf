//! `--format json`: a stable object, version 1.

use std::io::Write;

use serde_json::json;

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let mut value = json!({
                "rule": f.rule,
                "category": f.category.as_str(),
                "severity": f.severity.as_str(),
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "message": f.message,
                "fingerprint": f.fingerprint,
            });
            if let Some(commit) = &f.commit {
                value["commit"] = json!(commit);
            }
            value
        })
        .collect();
    let s = report.summary;
    let value = json!({
        "version": 1,
        "findings": findings,
        "summary": {
            "files_scanned": s.files_scanned,
            "bytes_scanned": s.bytes_scanned,
            "findings": s.findings,
            "suppressed": s.suppressed,
            "elapsed_ms": s.elapsed.as_millis() as u64,
            "notes": s.notes,
        },
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}
