//! The suppressions that apply to the whole output: the allowlist and the baseline.

use super::ScanOutput;
use crate::baseline::Baseline;
use crate::config::Config;

/// Drops findings the configuration's allowlist or the baseline accepts.
pub(super) fn apply_suppressions(
    output: &mut ScanOutput,
    config: &Config,
    baseline: Option<&Baseline>,
) {
    let before = output.findings.len();
    output
        .findings
        .retain(|f| !config.is_allowed(f) && !baseline.is_some_and(|b| b.contains(f)));
    output.suppressed += before - output.findings.len();
}
