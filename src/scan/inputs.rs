//! The files secretGenerators read into Secrets, read after the walk and reported.

use std::collections::HashSet;
use std::path::Path;

use super::ScanOutput;
use crate::config::Config;
use crate::detect::{detect_input, findings_from, GeneratorInput, GENERATOR_FILE};
use crate::finding::{CommitInfo, LineIndex, Note};
use crate::paths::Refusal;
use crate::rules::RuleSet;
use crate::source::git::Origin;
use crate::source::Content;

pub(super) fn commit_info(origin: &Origin) -> Box<CommitInfo> {
    Box::new(CommitInfo {
        id: origin.commit.to_string(),
        time: origin.time,
        at_head: None,
    })
}

/// Reads a secretGenerator input (repository-relative path) as of a blob's origin.
type ReadInput<'a> = dyn Fn(&str, Option<&Origin>) -> std::result::Result<Vec<u8>, String> + 'a;

/// Reads every file a secretGenerator pulls into a Secret and reports its values there; a
/// finding another rule made at the same place gives way to it.
pub(super) fn report_generator_inputs(
    output: &mut ScanOutput,
    inputs: &[(String, GeneratorInput, Option<Origin>)],
    read: &ReadInput,
    config: &Config,
) {
    let rules = RuleSet::builtin();
    let mut seen = HashSet::new();
    for (kustomization, input, origin) in inputs {
        let dir = kustomization.rsplit_once('/').map_or("", |(d, _)| d);
        let rel = crate::paths::join(dir, &input.path);
        if !seen.insert((rel.clone(), input.is_env)) {
            continue;
        }
        // Checked here for every source: blobs' paths must obey the same rules as files'.
        let checked = match input.path.starts_with('/') {
            true => Err(Refusal::Outside),
            false => crate::paths::check(&rel),
        };
        let bytes = match checked
            .map_err(refused)
            .and_then(|()| read(&rel, origin.as_ref()))
        {
            Ok(bytes) => bytes,
            Err(message) => {
                output.notes.push(Note {
                    path: kustomization.clone(),
                    message: format!(
                        "secretGenerator {:?} reads {}: {message}",
                        input.generator, input.path
                    ),
                });
                continue;
            }
        };
        let mut detections = Vec::new();
        detect_input(input, kustomization, &bytes, &mut detections);
        crate::detect::report_credentials_inside(&mut detections, rules);
        let lines = LineIndex::new(&bytes);
        let places: HashSet<(usize, usize)> = detections
            .iter()
            .map(|d| lines.line_col(d.span.start))
            .collect();
        output.findings.retain(|f| {
            f.path != rel || f.rule == GENERATOR_FILE || !places.contains(&(f.line, f.column))
        });
        let mut outcome = findings_from(&rel, &bytes, detections, rules, &config.fingerprint_salt);
        for f in &mut outcome.findings {
            f.commit = origin.as_ref().map(commit_info);
        }
        output.suppressed += outcome.suppressed;
        output.findings.extend(outcome.findings);
    }
}

/// A worktree input's bytes (decoded like a scanned file), or why it is not read: the path
/// rules of [`crate::paths`], a regular file only (a FIFO would block), at most `cap` bytes.
pub(super) fn read_input(root: &Path, rel: &str, cap: u64) -> std::result::Result<Vec<u8>, String> {
    let file = crate::paths::resolve(root, rel).map_err(refused)?;
    let meta = std::fs::symlink_metadata(&file).map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_file() {
        return Err("it is not a regular file (a FIFO, a device or a directory); not read".into());
    }
    if meta.len() > cap {
        return Err(format!(
            "it is larger than max-file-size ({} > {cap} bytes); not checked",
            meta.len()
        ));
    }
    let (bytes, _) =
        crate::paths::read_regular(&file, cap).map_err(|e| format!("cannot read it ({e})"))?;
    Ok(decoded(bytes))
}

/// Why an input is not read, for its note.
pub(super) fn refused(why: Refusal) -> String {
    match why {
        Refusal::Outside => "it is outside the repository, which sealant never reads; not read",
        Refusal::InGit => "it is inside .git/, which sealant never reads; not read",
        Refusal::Symlink => "it is or goes through a symlink, which sealant does not follow (it could lead out of the repository); not read",
        Refusal::BadName => "its name is not valid UTF-8, so sealant cannot address the file; not read",
    }
    .to_string()
}

/// A file as the scan saw it: UTF-16/32 decoded (see [`crate::source::sniff`]), so that
/// spans and lines of findings fit what is read back.
/// A regular file of at most `cap` bytes only: opening a FIFO would block.
pub(crate) fn read_text(file: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (bytes, _) = crate::paths::read_regular(file, cap)?;
    Ok(decoded(bytes))
}

/// `bytes` as the scan reads them: UTF-16/32 decoded (see [`crate::source::sniff`]).
pub(crate) fn decoded(bytes: Vec<u8>) -> Vec<u8> {
    match crate::source::sniff(&bytes) {
        Content::Text(std::borrow::Cow::Owned(text)) => text,
        _ => bytes,
    }
}
