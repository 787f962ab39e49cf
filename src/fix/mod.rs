//! `scan --fix`: plaintext Secrets replaced in place by SealedSecrets sealed against the cert
//! pinned for their path, for the namespace and name a deployment applies; and `reseal`.
//!
//! Planning never writes: a [`FilePlan`] holds the new bytes, the edits (for a diff) and the
//! value ranges to redact. A file with any Secret that cannot be sealed gets no plan at all,
//! only [`Problem`]s, so it is left byte-identical; so does a plan whose new content does not
//! read back as intended (`verify`). All reading and writing goes through `RepoFiles`.

pub mod apply;
mod diff;
mod edit;
mod files;
mod generator;
mod overlays;
mod reseal;
mod secrets;
mod verify;

use std::collections::HashMap;
use std::ops::Range;

pub use diff::unified;
pub use edit::Edit;
pub(crate) use files::RepoFiles;
pub use generator::{plan_generators, GeneratorPlan, ReadInput};
pub(crate) use overlays::{combine, plan_shared, OverlayPlan};
pub use reseal::plan_reseal;
pub use secrets::plan_secrets;

use crate::config::Config;
use crate::graph::Chain;

/// What planning needs besides the file.
pub struct FixContext<'a> {
    pub config: &'a Config,
    /// Every file's deployment chains ([`crate::scan::deployments`]).
    pub chains: &'a HashMap<String, Vec<Chain>>,
    /// "Now", for cert expiry.
    pub now: std::time::SystemTime,
    /// Which roots deploy each file, for certs pinned by `roots:` (`None`: by `paths:` only).
    pub deployments: Option<&'a crate::graph::Deployments<'a>>,
}

impl<'a> FixContext<'a> {
    /// The one cert a file is sealed with: the cert of every root that deploys it, else the
    /// one its path matches; `None` when none applies or the roots disagree (several clusters).
    pub fn cert_for(&self, path: &str) -> Option<&'a crate::config::PinnedCert> {
        let Some(deployments) = self.deployments else {
            return self.config.cert_for(path);
        };
        let certs = deployments.certs_for(path);
        let first = certs.first()?.0;
        certs
            .iter()
            .all(|(c, _)| std::ptr::eq(*c, first))
            .then_some(first)
    }
}

/// The change to one file.
#[derive(Debug)]
pub struct FilePlan {
    pub path: String,
    pub original: Vec<u8>,
    pub fixed: Vec<u8>,
    pub edits: Vec<Edit>,
    /// Byte ranges of secret values in `original`, never to be shown.
    pub redact: Vec<Range<usize>>,
    /// How many documents were sealed (or values re-encrypted).
    pub count: usize,
}

impl FilePlan {
    /// The unified diff, values redacted.
    pub fn diff(&self) -> String {
        unified(
            &self.path,
            &self.original,
            &self.fixed,
            &self.edits,
            &self.redact,
        )
    }
}

/// Why something could not be fixed, where, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Problem {
    /// A problem with a whole file.
    pub(crate) fn in_file(path: &str, message: String) -> Problem {
        Problem {
            path: path.to_string(),
            line: 1,
            column: 1,
            message,
        }
    }

    /// A problem with the node at its start.
    pub fn at(path: &str, bytes: &[u8], node: &crate::yaml::Node, message: String) -> Problem {
        let (line, column) = crate::finding::line_col(bytes, node.span.start);
        Problem {
            path: path.to_string(),
            line,
            column,
            message,
        }
    }
}

/// The outcome of planning one file: a plan, nothing to do, or why it stays as it is.
pub type Planned = std::result::Result<Option<FilePlan>, Vec<Problem>>;
