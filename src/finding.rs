//! Findings: plain data about one problem at one place. Never the secret value itself.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::Serialize;
use zeroize::Zeroizing;

/// A detector's raw result: the rule, where the value is, what to say, and the value itself
/// (only to compute the fingerprint and run the rules on decoded data; never reported).
pub struct Detection {
    pub rule: String,
    pub span: Range<usize>,
    pub message: String,
    pub value: Zeroizing<Vec<u8>>,
    /// Overrides the rule's severity for this one (e.g. a deprecation that is also a conflict).
    pub severity: Option<Severity>,
}

impl Detection {
    pub fn new(rule: &str, span: Range<usize>, message: String, value: Vec<u8>) -> Detection {
        Detection {
            rule: rule.to_string(),
            span,
            message,
            value: Zeroizing::new(value),
            severity: None,
        }
    }
}

/// How bad a finding is; `--fail-on` compares against this order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!(
                "unknown severity {s:?}: use info, warning or error"
            )),
        }
    }
}

/// What kind of problem a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A secret committed in plaintext (or base64).
    Leak,
    /// A SealedSecret that will not decrypt, or is malformed.
    SealedSecret,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Leak => "leak",
            Category::SealedSecret => "sealed-secret",
        }
    }
}

/// One finding. `line` and `column` are 1-based (column in characters); `span` is the byte
/// range of the offending value in the file, used to redact it in code frames.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    /// Path relative to the repository root (or the scanned directory), `/`-separated.
    pub path: String,
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
    pub message: String,
    /// Salted hash of the rule and the value: stable across runs and line moves, and
    /// revealing nothing about the value.
    pub fingerprint: String,
    /// For findings in git history: where the value came in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
}

/// The commit that introduced a finding's value, and whether the value is still at HEAD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub id: String,
    /// Author time, seconds since the epoch.
    pub time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
}

/// Byte offset → 1-based (line, column in characters).
pub fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let text = "ab\ncdé f\n".as_bytes();
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 8), (2, 5), "é is one column");
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn severities_order_for_fail_on() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warning);
    }
}

/// Something worth telling that is not a finding: a file skipped, a document not parsed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub path: String,
    pub message: String,
}
