//! Repository paths: finding the root, root-relative `/`-separated paths, and the rules every
//! read or write of a repository file follows: never above the root, never in `.git/`, never
//! through a symlink (one could lead out), never a FIFO or device (opening one can block).

use std::io::Read;
use std::path::{Path, PathBuf};

/// The repository root for `start`: the nearest ancestor holding `.git`, else `start` itself
/// (its directory, for a file).
pub(crate) fn repository_root(start: &Path) -> PathBuf {
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let dir = if start.is_file() {
        start.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        start.clone()
    };
    enclosing_repository(&dir).unwrap_or(dir)
}

/// The nearest directory at or above `dir` that holds `.git` (a directory, or the file a
/// linked worktree or submodule has).
pub(crate) fn enclosing_repository(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `path` relative to `root`, `/`-separated; paths outside `root` keep their full form.
pub(crate) fn relative_path(root: &Path, path: &Path) -> String {
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

/// The last component of a `/`-separated repository path: the file's name.
pub(crate) fn file_name(path: &str) -> &str {
    // A byte loop: `rsplit`'s searcher cost more than the check of the name after it, asked
    // of every path of a 100k-file index.
    match path.bytes().rposition(|b| b == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// Whether repository path `path` is `dir` or lies under it; `dir` empty or `.` is the whole
/// repository.
pub(crate) fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || dir == "."
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// `a/./b/../c` → `a/c`; see [`join`].
pub(crate) fn normalize(path: &str) -> String {
    join("", path)
}

/// `normalize("{dir}/{rel}")`, built in place (the graph joins every resource of every
/// build). A `..` that would leave the root stays, as a leading `../`, so that callers see
/// the path is outside (`is_outside`) and refuse it.
pub(crate) fn join(dir: &str, rel: &str) -> String {
    let mut out = String::with_capacity(dir.len() + rel.len() + 1);
    // Bytes of the leading `..` parts, which a later `..` must not drop.
    let mut ups = 0;
    for part in parts(dir).chain(parts(rel)) {
        match part {
            "" | "." => {}
            ".." if out.len() > ups => out.truncate(out.rfind('/').unwrap_or(0).max(ups)),
            p => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(p);
                if p == ".." {
                    ups = out.len();
                }
            }
        }
    }
    out
}

/// `path.split('/')` by a byte loop: `str::split` looks for each `/` with a `memchr` call,
/// whose set-up outweighs the search in path parts of a few bytes.
fn parts(path: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let ends = (path.bytes().enumerate())
        .filter_map(|(i, b)| (b == b'/').then_some(i))
        .chain(std::iter::once(path.len()));
    ends.map(move |end| {
        let part = &path[start..end];
        start = end + 1;
        part
    })
}

/// Whether a normalized root-relative path leads above the root.
pub(crate) fn is_outside(rel: &str) -> bool {
    rel == ".." || rel.starts_with("../")
}

/// Why a root-relative path must not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Absolute, or above the root.
    Outside,
    /// In `.git/` (any case: case-insensitive file systems).
    InGit,
    /// It, or a directory on the way, is a symlink.
    Symlink,
    /// Its name is not valid UTF-8 (lossily decoded), so no file can be addressed by it.
    BadName,
}

/// Refuses what can be told from the path alone: absolute, any `..`, any `.git` part.
pub(crate) fn check(rel: &str) -> Result<(), Refusal> {
    if rel.starts_with('/') || Path::new(rel).is_absolute() {
        return Err(Refusal::Outside);
    }
    for part in rel.split('/') {
        if part == ".." {
            return Err(Refusal::Outside);
        }
        if part.eq_ignore_ascii_case(".git") {
            return Err(Refusal::InGit);
        }
    }
    Ok(())
}

/// The filesystem path of root-relative `rel`, checked by [`check`] and part by part for
/// symlinks (the parts that exist).
pub(crate) fn resolve(root: &Path, rel: &str) -> Result<PathBuf, Refusal> {
    check(rel)?;
    let mut path = root.to_path_buf();
    for part in rel.split('/').filter(|p| !p.is_empty() && *p != ".") {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(Refusal::Symlink),
            Ok(_) => {}
            Err(_) if rel.contains(char::REPLACEMENT_CHARACTER) => return Err(Refusal::BadName),
            Err(_) => break, // the rest does not exist either
        }
    }
    Ok(path)
}

/// A regular file's bytes, at most `cap` of them. Anything else (a FIFO, a device, a
/// directory, a symlink) is refused without blocking: opened non-blocking and not following
/// a symlink, then checked on the open file, so a swap after a check changes nothing.
pub(crate) fn read_regular(path: &Path, cap: u64) -> std::io::Result<(Vec<u8>, std::fs::Metadata)> {
    let (file, meta) = crate::io::open_regular(path, false)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "larger than max-file-size ({cap} bytes)"
        )));
    }
    Ok((bytes, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_keep_what_leaves_the_root() {
        assert_eq!(normalize("./a/./b/../c/"), "a/c");
        assert_eq!(join("apps/x/overlays/dev", "../../base"), "apps/x/base");
        assert_eq!(join("", "../a"), "../a");
        assert_eq!(normalize("../../a"), "../../a");
        assert_eq!(normalize("a/../../b"), "../b");
        assert_eq!(normalize("a/../../b/../../c"), "../../c");
        assert_eq!(join("a", "/b//c/.."), "a/b");
        assert_eq!(join("x", "../../../y"), "../../y");
        assert_eq!(normalize(".."), "..");
        assert!(is_outside("../a") && is_outside("..") && !is_outside("..a/b"));
    }

    #[test]
    fn parts_are_what_splitting_on_slashes_gives() {
        let mut next = crate::testing::numbers(7);
        let pieces = ["a", "bc", ".", "..", "", "/", "é", ".x", "x.", "..."];
        for _ in 0..20_000 {
            let path: String = (0..next(7))
                .map(|_| pieces[next(pieces.len())])
                .collect::<Vec<_>>()
                .join(["/", "", "//"][next(3)]);
            assert!(parts(&path).eq(path.split('/')), "{path:?}");
        }
    }

    #[test]
    fn checks_refuse_what_leads_out() {
        assert_eq!(check("a/b.env"), Ok(()));
        assert_eq!(check("../x"), Err(Refusal::Outside));
        assert_eq!(check("/etc/passwd"), Err(Refusal::Outside));
        assert_eq!(check("a/.GIT/config"), Err(Refusal::InGit));
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/tmp", dir.path().join("out")).unwrap();
            assert_eq!(resolve(dir.path(), "out/x.env"), Err(Refusal::Symlink));
        }
        assert!(resolve(dir.path(), "a/b").is_ok());
    }

    #[test]
    fn reads_are_bounded_and_regular_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"12345").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap().0, b"12345");
        assert!(read_regular(&file, 4).is_err());
        assert!(read_regular(dir.path(), 4).is_err());
    }
}
