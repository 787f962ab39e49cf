//! Baselines: accepted findings, keyed by rule and fingerprint (which reveal nothing of the
//! value), so that a scan reports only what is new.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::finding::Finding;

#[derive(Debug, Default)]
pub struct Baseline {
    entries: HashSet<(String, String)>,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    rule: String,
    /// Where it was when the baseline was written; for people, not for matching.
    path: String,
    fingerprint: String,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = crate::io::read_text(path)?;
        let file: File = serde_json::from_str(&text).map_err(|e| Error::Parse {
            origin: format!("{}:{}:{}", path.display(), e.line(), e.column()),
            message: "not a sealant baseline (JSON with version and findings)".into(),
        })?;
        if file.version != 1 {
            return Err(Error::input(
                path.display().to_string(),
                format!("baseline version {} is not supported", file.version),
            ));
        }
        Ok(Baseline {
            entries: file
                .findings
                .into_iter()
                .map(|e| (e.rule, e.fingerprint))
                .collect(),
        })
    }

    pub fn contains(&self, finding: &Finding) -> bool {
        self.entries
            .contains(&(finding.rule.to_string(), finding.fingerprint.to_string()))
    }

    /// The baseline file for `findings`.
    pub fn render(findings: &[Finding]) -> String {
        let file = File {
            version: 1,
            findings: findings
                .iter()
                .map(|f| Entry {
                    rule: f.rule.to_string(),
                    path: f.path.to_string(),
                    fingerprint: f.fingerprint.to_string(),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&file).expect("baseline serializes") + "\n"
    }
}
