//! The working tree: ripgrep's parallel walker, honouring `.gitignore`, `.ignore` and
//! `.sealantignore`, plus the configuration's excludes.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::{relative_path, Visitor};

/// Bytes looked at to decide that a file is binary (as git and ripgrep do: a NUL byte).
const BINARY_PROBE: usize = 8 * 1024;
/// `ELOOP` on Linux and macOS differ; both are checked.
const ELOOP: [i32; 2] = [40, 62];

pub struct WalkOptions<'a> {
    pub root: &'a Path,
    pub config: &'a crate::config::Config,
    pub max_file_size: u64,
    /// Apply ignore files and excludes to explicitly named files too.
    pub force_exclude: bool,
    pub threads: usize,
}

/// Visits every file under `paths` in parallel.
pub fn walk_worktree(paths: &[PathBuf], options: &WalkOptions, visitor: &dyn Visitor) {
    let (files, dirs): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| p.is_file());
    let mut buffer = Vec::new();
    for file in files {
        let rel = relative_path(options.root, file);
        if options.force_exclude
            && (options.config.is_excluded(&rel) || is_ignored(options.root, file))
        {
            continue;
        }
        read_and_visit(file, &rel, options.max_file_size, &mut buffer, visitor);
    }
    for missing in paths.iter().filter(|p| !p.exists()) {
        visitor.note(
            &missing.display().to_string(),
            "no such file or directory".into(),
        );
    }
    // Absolute roots make every entry's path absolute, so that relative_path does not ask
    // the OS for the working directory once per file.
    let dirs: Vec<PathBuf> = dirs
        .into_iter()
        .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()))
        .collect();
    let Some((first, rest)) = dirs.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for dir in rest {
        builder.add(dir);
    }
    builder
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .add_custom_ignore_filename(".sealantignore")
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|e| e.file_name() != ".git");
    builder.build_parallel().run(|| {
        let mut buffer = Vec::new();
        Box::new(move |entry| {
            match entry {
                Ok(entry) => visit_entry(&entry, options, &mut buffer, visitor),
                Err(err) => visitor.note(
                    &error_path(&err, options.root),
                    format!("skipped: {}", root_cause(&err)),
                ),
            }
            WalkState::Continue
        })
    });
}

fn visit_entry(
    entry: &ignore::DirEntry,
    options: &WalkOptions,
    buffer: &mut Vec<u8>,
    visitor: &dyn Visitor,
) {
    let Some(kind) = entry.file_type() else {
        return;
    };
    let rel = relative_path(options.root, entry.path());
    if kind.is_symlink() {
        if let Err(e) = std::fs::metadata(entry.path()) {
            if e.raw_os_error().is_some_and(|c| ELOOP.contains(&c)) {
                visitor.note(&rel, "symlink loop; skipped".into());
            }
        }
        return;
    }
    if !kind.is_file() || options.config.is_excluded(&rel) {
        return;
    }
    read_and_visit(entry.path(), &rel, options.max_file_size, buffer, visitor);
}

/// Reads a file into the reused buffer (at most the size cap) and hands it on unless binary.
fn read_and_visit(path: &Path, rel: &str, cap: u64, buffer: &mut Vec<u8>, visitor: &dyn Visitor) {
    buffer.clear();
    let result = File::open(path).and_then(|file| {
        let len = file.metadata()?.len();
        if len > cap {
            return Ok(Some(len));
        }
        // `take` bounds memory even if the file grows while it is read.
        file.take(cap + 1).read_to_end(buffer)?;
        Ok((buffer.len() as u64 > cap).then_some(buffer.len() as u64))
    });
    match result {
        Ok(Some(len)) => visitor.note(
            rel,
            format!(
                "larger than max-file-size ({} > {} bytes); skipped",
                len, cap
            ),
        ),
        Ok(None) if is_binary(buffer) => {}
        Ok(None) => visitor.file(rel, buffer),
        Err(e) => visitor.note(rel, format!("unreadable ({e}); skipped")),
    }
}

fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}

/// Whether a root-level ignore file (`.gitignore`, `.ignore`, `.sealantignore`) excludes `file`.
fn is_ignored(root: &Path, file: &Path) -> bool {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
    for name in [".gitignore", ".ignore", ".sealantignore"] {
        let _ = builder.add(root.join(name));
    }
    let Ok(matcher) = builder.build() else {
        return false;
    };
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    absolute.starts_with(root)
        && matcher
            .matched_path_or_any_parents(&absolute, false)
            .is_ignore()
}

fn error_path(err: &ignore::Error, root: &Path) -> String {
    match err {
        ignore::Error::WithPath { path, .. } => relative_path(root, path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err, root)
        }
        ignore::Error::Loop { child, .. } => relative_path(root, child),
        _ => ".".to_string(),
    }
}

fn root_cause(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => root_cause(err),
        other => other.to_string(),
    }
}
