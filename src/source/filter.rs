//! Which of a git source's paths a scan reads: the paths given, the configuration's excludes
//! and `.sealantignore` (the working-tree walk applies them itself).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::git::GitBlob;
use super::relative_path;
use crate::config::Config;
use crate::error::{Error, Result};

/// For `--staged` with files named: exactly those paths (as pre-commit passes them).
pub(crate) fn exact_paths(paths: &[PathBuf], root: &Path) -> Option<HashSet<String>> {
    let all_files = !paths.is_empty() && paths.iter().all(|p| !p.is_dir());
    all_files.then(|| paths.iter().map(|p| relative_path(root, p)).collect())
}

/// A path given with `--range` or `--history` must be in the working tree or name a blob of
/// the commits read (a directory since deleted, say): a typo is an error, not an empty scan.
pub(crate) fn require_known(blobs: &[GitBlob], paths: &[PathBuf], root: &Path) -> Result<()> {
    for path in paths {
        let prefix = relative_path(root, path);
        let known = std::fs::symlink_metadata(path).is_ok()
            || blobs
                .iter()
                .any(|b| crate::paths::is_under(&b.path, &prefix));
        if !known {
            return Err(Error::input(
                path.display().to_string(),
                "no such file or directory, in the working tree or in the commits scanned",
            ));
        }
    }
    Ok(())
}

/// Applies the paths given (as prefixes), the configuration's excludes and `.sealantignore`.
/// In git modes these apply to named paths too: pre-commit names every staged file.
pub(crate) fn select(
    blobs: Vec<GitBlob>,
    paths: &[PathBuf],
    config: &Config,
    root: &Path,
) -> Vec<GitBlob> {
    let prefixes: Vec<String> = paths
        .iter()
        .map(|p| relative_path(root, p))
        .filter(|p| p != ".")
        .collect();
    let ignore = sealantignore(root);
    blobs
        .into_iter()
        .filter(|b| {
            prefixes.is_empty() || prefixes.iter().any(|p| crate::paths::is_under(&b.path, p))
        })
        .filter(|b| !is_ignored(&b.path, config, &ignore))
        .collect()
}

/// Whether the configuration's excludes or `.sealantignore` leave out `rel`, a path inside the
/// root (the matchers take no other: a path outside is for the path rules to refuse).
pub(crate) fn is_ignored(
    rel: &str,
    config: &Config,
    ignore: &ignore::gitignore::Gitignore,
) -> bool {
    // Checking each of thousands of paths when nothing can be ignored was 4% of a hook's time.
    let nothing_to_ignore = config.exclude.is_empty() && ignore.is_empty();
    !nothing_to_ignore
        && crate::paths::check(rel).is_ok()
        && (config.is_excluded(rel) || ignore.matched_path_or_any_parents(rel, false).is_ignore())
}

/// The root's `.sealantignore` (empty when there is none or it cannot be read).
pub(crate) fn sealantignore(root: &Path) -> ignore::gitignore::Gitignore {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
    let _ = builder.add(root.join(".sealantignore"));
    builder
        .build()
        .unwrap_or_else(|_| ignore::gitignore::Gitignore::empty())
}
