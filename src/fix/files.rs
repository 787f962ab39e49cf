//! The one way `--fix` and `reseal` touch files. Every path is root-relative and must stay in
//! the repository: not above the root, not in `.git/`, and reached through no symlink (one
//! could lead out). Every file is replaced or deleted only if it is as it was read.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::io::FileState;

/// The repository's files as `--fix` sees them.
pub(crate) struct RepoFiles {
    root: PathBuf,
    cap: u64,
    /// Whether to remove the temp files that killed runs left (not in a dry run).
    sweep: bool,
    read: Mutex<HashMap<String, FileState>>,
    swept: Mutex<HashSet<PathBuf>>,
    notes: Mutex<Vec<String>>,
}

impl RepoFiles {
    /// Files under `root`, read up to `cap` bytes each.
    pub(crate) fn new(root: &Path, cap: u64, sweep: bool) -> RepoFiles {
        RepoFiles {
            root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            cap,
            sweep,
            read: Mutex::default(),
            swept: Mutex::default(),
            notes: Mutex::default(),
        }
    }

    /// The filesystem path of root-relative `rel`, or why it must not be touched.
    pub(crate) fn path(&self, rel: &str) -> Result<PathBuf, String> {
        use crate::paths::Refusal;
        crate::paths::resolve(&self.root, rel).map_err(|why| match why {
            Refusal::Outside if rel.starts_with('/') || Path::new(rel).is_absolute() => format!(
                "{rel} is outside the repository, which --fix never changes: seal it by hand"
            ),
            Refusal::Outside => format!("{rel} is outside the repository, which --fix never reads or changes: move it into the repository, or seal it by hand"),
            Refusal::InGit => format!("{rel} is inside .git/, which --fix never reads or changes"),
            Refusal::Symlink => format!("{rel} is or goes through a symlink, which --fix does not follow (it could lead out of the repository): seal it by hand"),
            Refusal::BadName => format!("the name {rel} is not valid UTF-8 (shown with \u{FFFD}), so sealant cannot address the file: rename it, then run --fix again"),
        })
    }

    /// Reads a file, remembering its state for [`RepoFiles::replace`] and
    /// [`RepoFiles::remove`].
    pub(crate) fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        let path = self.path(rel)?;
        let (bytes, state) =
            FileState::read(&path, self.cap).map_err(|e| format!("cannot read {rel}: {e}"))?;
        self.sweep_dir(&path);
        lock(&self.read).insert(rel.to_string(), state);
        Ok(bytes)
    }

    /// Whether `rel` is a regular file fix may read.
    pub(crate) fn is_file(&self, rel: &str) -> bool {
        self.path(rel)
            .is_ok_and(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
    }

    /// Replaces a file read before, unless it changed since.
    pub(crate) fn replace(&self, rel: &str, contents: &[u8]) -> Result<(), String> {
        let path = self.path(rel)?;
        let was = self.state(rel)?;
        // A rename would replace it even so (root, a writable directory): its mode says no.
        if std::fs::metadata(&path).is_ok_and(|m| m.permissions().readonly()) {
            return Err("it is read-only: make it writable to let sealant rewrite it".into());
        }
        crate::io::replace_unchanged(&path, contents, &was).map_err(|e| reason(&e))
    }

    /// Creates a new file; fails if one is there.
    pub(crate) fn create(&self, rel: &str, contents: &[u8]) -> Result<(), String> {
        let path = self.path(rel)?;
        crate::io::create_new(&path, contents, 0o644).map_err(|e| match e {
            crate::error::Error::Write { source, .. }
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                format!("{rel} already exists: move it away, then run --fix again")
            }
            other => reason(&other),
        })
    }

    /// Deletes a file read before, unless it changed since.
    pub(crate) fn remove(&self, rel: &str) -> Result<(), String> {
        let path = self.path(rel)?;
        let was = self.state(rel)?;
        crate::io::remove_unchanged(&path, &was)
            .map_err(|e| format!("cannot delete {rel}: {}", reason(&e)))
    }

    /// Puts back what a file held (undoing a rewrite or a deletion of this run).
    pub(crate) fn restore(&self, rel: &str, original: &[u8]) {
        let (Ok(path), Ok(was)) = (self.path(rel), self.state(rel)) else {
            return;
        };
        let _ = crate::io::restore(&path, original, &was);
    }

    /// Removes a file this run created (undoing a conversion).
    pub(crate) fn undo_create(&self, rel: &str) {
        if let Ok(path) = self.path(rel) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// What was noticed on the way (leftover temp files removed).
    pub(crate) fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.notes))
    }

    fn state(&self, rel: &str) -> Result<FileState, String> {
        lock(&self.read)
            .get(rel)
            .cloned()
            .ok_or_else(|| format!("{rel} was not read before; run --fix again"))
    }

    /// Once per directory: the temp files of sealant runs that were killed go.
    fn sweep_dir(&self, file: &Path) {
        let Some(dir) = file.parent() else {
            return;
        };
        if !self.sweep || !lock(&self.swept).insert(dir.to_path_buf()) {
            return;
        }
        for removed in crate::io::remove_leftovers(dir) {
            let rel = removed.strip_prefix(&self.root).unwrap_or(&removed);
            lock(&self.notes).push(format!(
                "{}: removed, a temp file left by a sealant run that was killed",
                rel.display()
            ));
        }
    }
}

/// An I/O error's cause, without the path (messages name the file already).
fn reason(e: &crate::error::Error) -> String {
    match e {
        crate::error::Error::Write { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_in_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/.git")).unwrap();
        let files = RepoFiles::new(dir.path(), 1024, false);
        assert!(files.path("a/b.yaml").is_ok());
        assert!(files.path("./a/b.yaml").is_ok());
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            ".git/HEAD",
            "a/.GIT/config",
        ] {
            assert!(files.path(bad).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/tmp", dir.path().join("out")).unwrap();
            assert!(files.path("out/x.env").is_err());
        }
    }

    /// Undoing a deletion puts the file back with its mode, not a default one.
    #[cfg(unix)]
    #[test]
    fn a_restored_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join("db.env");
        std::fs::write(&env, "PASSWORD=x\n").unwrap();
        std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
        let files = RepoFiles::new(dir.path(), 1024, false);
        let original = files.read("db.env").unwrap();
        files.remove("db.env").unwrap();
        assert!(!env.exists());
        files.restore("db.env", &original);
        assert_eq!(std::fs::read(&env).unwrap(), original);
        let mode = std::fs::metadata(&env).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
