//! The working tree: ripgrep's parallel walker, honouring `.gitignore`, `.ignore` and
//! `.sealantignore`, plus the configuration's excludes.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::{relative_path, sniff, Content, Visitor};

/// `ELOOP` on Linux and macOS differ; both are checked.
const ELOOP: [i32; 2] = [40, 62];

pub(crate) struct WalkOptions<'a> {
    pub root: &'a Path,
    pub config: &'a crate::config::Config,
    pub max_file_size: u64,
    /// Apply ignore files and excludes to explicitly named files too.
    pub force_exclude: bool,
    /// Leave out what `exclude:` names (false: the whole repository, as a cluster sees it).
    pub excludes: bool,
    pub threads: usize,
}

/// Visits every file under `paths` in parallel.
pub(crate) fn walk_worktree(paths: &[PathBuf], options: &WalkOptions, visitor: &dyn Visitor) {
    let (files, dirs): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| p.is_file());
    let mut buffer = Vec::new();
    for file in files {
        let rel = relative_path(options.root, file);
        if options.force_exclude
            && (options.config.is_excluded(&rel) || is_ignored(options.root, file))
        {
            continue;
        }
        read_file(
            file,
            &rel,
            options.max_file_size,
            Open::Follow,
            &mut buffer,
            visitor,
        );
    }
    for missing in paths.iter().filter(|p| !p.exists()) {
        visitor.note(
            &missing.display().to_string(),
            "no such file or directory".into(),
        );
    }
    let Some((first, rest)) = dirs.split_first() else {
        return;
    };
    let relative = RelativePaths::new(options.root, &dirs);
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
    let relative = &relative;
    builder.build_parallel().run(|| {
        let mut buffer = Vec::new();
        Box::new(move |entry| {
            match entry {
                Ok(entry) => visit_entry(&entry, options, relative, &mut buffer, visitor),
                Err(err) => visitor.skipped(
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
    relative: &RelativePaths,
    buffer: &mut Vec<u8>,
    visitor: &dyn Visitor,
) {
    let Some(kind) = entry.file_type() else {
        return;
    };
    if kind.is_symlink() {
        if let Err(e) = std::fs::metadata(entry.path()) {
            if e.raw_os_error().is_some_and(|c| ELOOP.contains(&c)) {
                visitor.skipped(&relative.of(entry.path()), "symlink loop; skipped".into());
            }
        }
        return;
    }
    if !kind.is_file() {
        return;
    }
    let rel = relative.of(entry.path());
    if options.excludes && options.config.is_excluded(&rel) {
        return;
    }
    read_file(
        entry.path(),
        &rel,
        options.max_file_size,
        Open::Listed,
        buffer,
        visitor,
    );
}

/// `relative_path` for the walker's entries, without its cost per file: `std::path::absolute`
/// reads the working directory (a syscall) for a relative path and re-parses every component.
/// An entry is `DIR/REST` for a walked `DIR`; when `REST` is plain components, its relative
/// path is `DIR`'s (computed once) joined with `REST`. Anything else takes the general route.
struct RelativePaths<'a> {
    root: &'a Path,
    /// Each walked directory as given, and its relative path.
    dirs: Vec<(&'a Path, String)>,
}

impl<'a> RelativePaths<'a> {
    fn new(root: &'a Path, dirs: &[&'a PathBuf]) -> RelativePaths<'a> {
        let dirs = dirs
            .iter()
            .map(|d| (d.as_path(), relative_path(root, d)))
            // A directory outside the root (`/`, or an ancestor of the root such as `/tmp`)
            // has an absolute "relative" path: a file under it may still lie inside the root,
            // which only the general route sees. Leave those to it.
            .filter(|(_, rel)| !rel.starts_with('/'))
            .collect();
        RelativePaths { root, dirs }
    }

    fn of(&self, path: &Path) -> String {
        self.dirs
            .iter()
            .find_map(|(dir, rel)| join_plain(rel, rest_under(dir, path)?))
            .unwrap_or_else(|| relative_path(self.root, path))
    }
}

/// What follows `dir/` in `path`, byte-wise.
fn rest_under<'p>(dir: &Path, path: &'p Path) -> Option<&'p [u8]> {
    let dir = dir.as_os_str().as_encoded_bytes();
    let rest = path.as_os_str().as_encoded_bytes().strip_prefix(dir)?;
    if dir.ends_with(b"/") {
        Some(rest)
    } else {
        rest.strip_prefix(b"/")
    }
}

/// `rel/rest` (`rest` alone under `.`) when `rest` is plain `/`-separated names (no empty,
/// `.` or `..` component): then it is what `relative_path` makes of the whole path.
fn join_plain(rel: &str, rest: &[u8]) -> Option<String> {
    let plain = rest
        .split(|&b| b == b'/')
        .all(|c| !c.is_empty() && c != b"." && c != b"..");
    if !plain || std::path::MAIN_SEPARATOR != '/' {
        return None;
    }
    let rest = String::from_utf8_lossy(rest);
    if rel == "." {
        return Some(rest.into_owned());
    }
    let mut joined = String::with_capacity(rel.len() + 1 + rest.len());
    joined.push_str(rel);
    joined.push('/');
    joined.push_str(&rest);
    Some(joined)
}

/// One file named by its root-relative path, read as the walk reads files, under the rules of
/// [`crate::paths`]: inside the root, not in `.git/`, through no symlink (else the refusal).
pub(crate) fn visit_named(
    root: &Path,
    rel: &str,
    cap: u64,
    visitor: &dyn Visitor,
) -> Result<(), crate::paths::Refusal> {
    let file = crate::paths::resolve(root, rel)?;
    read_file(&file, rel, cap, Open::NoFollow, &mut Vec::new(), visitor);
    Ok(())
}

/// How a file is opened: as [`crate::io::open_regular`] (following a symlink at the path or
/// not), or as a walked entry its directory listing gave as a regular file.
#[derive(Clone, Copy)]
enum Open {
    Follow,
    NoFollow,
    Listed,
}

/// Reads a file into the reused buffer (at most the size cap) and hands it on unless binary.
fn read_file(
    path: &Path,
    rel: &str,
    cap: u64,
    open: Open,
    buffer: &mut Vec<u8>,
    visitor: &dyn Visitor,
) {
    let opened = match open {
        Open::Follow => crate::io::open_regular(path, true),
        Open::NoFollow => crate::io::open_regular(path, false),
        Open::Listed => crate::io::open_listed_file(path),
    };
    // A FIFO or device swapped in must not block the read.
    let result = opened.and_then(|(file, meta)| {
        let len = meta.len();
        if len > cap {
            return Ok(Err(len));
        }
        let read = read_capped(file, len, cap, buffer)?;
        Ok(if read.len() as u64 > cap {
            Err(read.len() as u64)
        } else {
            Ok(read)
        })
    });
    match result {
        Ok(Err(len)) => visitor.skipped(
            rel,
            format!(
                "larger than max-file-size ({} > {} bytes); skipped",
                len, cap
            ),
        ),
        Ok(Ok(read)) => match sniff(&buffer[read]) {
            Content::Text(text) => visitor.file(rel, &text),
            Content::Binary(why) => visitor.skipped(rel, why.to_string()),
        },
        Err(e) => visitor.skipped(rel, format!("unreadable ({e}); skipped")),
    }
}

/// Reads `file` (`len` bytes when opened) into `buffer`, at most `cap + 1` bytes (so that
/// growth past the cap shows, and memory stays bounded); returns where. Straight into the
/// buffer, sized from `len`: `read_to_end` starts at 8 KiB a call and doubles. The buffer
/// keeps its length between files, so its bytes are zeroed once, not for every file.
fn read_capped(
    mut file: std::fs::File,
    len: u64,
    cap: u64,
    buffer: &mut Vec<u8>,
) -> std::io::Result<std::ops::Range<usize>> {
    let limit = usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX);
    // One byte past the length, to see the end (or growth) without another resize.
    let first = usize::try_from(len).map_or(limit, |len| len.saturating_add(1).min(limit));
    // The kernel copies into a cache-line-aligned start at several times the speed of the
    // 16-byte-aligned one malloc gives (bitnami/charts: 52 against 15 ms a run in
    // `_copy_to_iter`, the bytes rg copies in 15). ALIGN more bytes leave room for any start.
    let room = first.saturating_add(ALIGN);
    if buffer.len() < room {
        buffer.resize(room, 0);
    }
    let start = buffer.as_ptr().align_offset(ALIGN).min(ALIGN);
    let end_cap = start.saturating_add(limit);
    let mut filled = start;
    while filled < end_cap {
        if filled == buffer.len() {
            let grown = buffer.len().saturating_mul(2).clamp(1, end_cap);
            buffer.resize(grown, 0);
        }
        let end = buffer.len().min(end_cap);
        match file.read(&mut buffer[filled..end]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(start..filled)
}

/// Where a file's bytes start in the read buffer.
const ALIGN: usize = 64;

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut gives what `relative_path` gives, for directories given in every form.
    #[test]
    fn relative_paths_match_the_general_route() {
        let cwd = std::env::current_dir().unwrap();
        let root = cwd.parent().unwrap().to_path_buf();
        let dirs: Vec<PathBuf> = [".", "./", "src", "src/", "./src/../src", "/", "/tmp"]
            .iter()
            .map(PathBuf::from)
            .chain([cwd.clone(), cwd.join("src/")])
            .collect();
        let refs: Vec<&PathBuf> = dirs.iter().collect();
        let relative = RelativePaths::new(&root, &refs);
        for dir in &dirs {
            for rest in [
                "a",
                "a/b.yaml",
                "a/./b",
                "a//b",
                "../x",
                ".hidden/y",
                "t\u{e9}/z",
            ] {
                let path = dir.join(rest);
                assert_eq!(relative.of(&path), relative_path(&root, &path), "{path:?}");
            }
        }
        let shortcut = rest_under(Path::new("./src"), Path::new("./src/a/b"));
        assert_eq!(join_plain("x/src", shortcut.unwrap()).unwrap(), "x/src/a/b");
    }
}
