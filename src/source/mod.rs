//! Where files come from. Every source hands out `(repository-relative path, bytes)` and
//! notes about what it skipped; everything downstream is the same for all sources.

pub mod git;
mod worktree;

use std::path::{Path, PathBuf};

pub use worktree::{walk_worktree, WalkOptions};

/// Receives files from a source, from several threads at once.
pub trait Visitor: Sync {
    fn file(&self, path: &str, bytes: &[u8]);
    fn note(&self, path: &str, message: String);
}

/// The repository root for `start`: the nearest ancestor holding `.git`, else `start` itself
/// (its directory, for a file).
pub fn repository_root(start: &Path) -> PathBuf {
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let dir = if start.is_file() {
        start.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        start.clone()
    };
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(dir)
}

/// `path` relative to `root`, `/`-separated; paths outside `root` keep their full form.
pub fn relative_path(root: &Path, path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let rel = absolute.strip_prefix(root).unwrap_or(&absolute);
    let text = rel
        .to_string_lossy()
        .replace(std::path::MAIN_SEPARATOR, "/");
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}
