//! File and stream I/O shared by the commands: reading input, atomic replacement of files.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Name used for standard input in messages.
pub(crate) const STDIN: &str = "<stdin>";

/// Largest certificate or key file read: real ones are a few KiB.
pub(crate) const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Largest manifest or other input read whole (`-f`, configuration, key stores); also the
/// default `max-file-size` of scans.
pub(crate) const MAX_INPUT: u64 = 10 * 1024 * 1024;

/// A regular file of at most [`MAX_INPUT`] bytes.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    read_bounded(path, MAX_INPUT)
}

pub(crate) fn read_text(path: &Path) -> Result<String> {
    utf8(read_bytes(path)?, &path.display().to_string())
}

/// A certificate or key file: text of at most [`MAX_KEY_FILE`] bytes.
pub(crate) fn read_key_file(path: &Path) -> Result<String> {
    utf8(
        read_bounded(path, MAX_KEY_FILE)?,
        &path.display().to_string(),
    )
}

/// Reads a regular file of at most `limit` bytes (through a symlink, which the user named).
/// Devices, FIFOs and directories are refused (`/dev/zero` never ends, a FIFO blocks).
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let (file, meta) = open_regular(path, true).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => Error::input(path.display().to_string(), e.to_string()),
        _ => err(e),
    })?;
    if meta.len() > limit {
        return Err(too_large(&path.display().to_string(), limit));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(err)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(&path.display().to_string(), limit));
    }
    Ok(bytes)
}

/// Opens a regular file, and only that: the type is checked before opening and again on the
/// open file, and the open does not block (a FIFO swapped in between would hang a plain open).
/// `follow`: whether `path` may be a symlink. A file that is not regular is `InvalidInput`.
pub(crate) fn open_regular(path: &Path, follow: bool) -> std::io::Result<(fs::File, fs::Metadata)> {
    let meta = if follow {
        fs::metadata(path)?
    } else {
        fs::symlink_metadata(path)?
    };
    if !meta.is_file() {
        return Err(not_regular());
    }
    let file = open_nonblocking(path, follow)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    Ok((file, meta))
}

/// [`open_regular`] for a path its directory's listing gave as a regular file (not a
/// symlink): the listing was the check before opening, so only the open file is checked. A
/// stat of the path per file is a path walk in the kernel, a tenth of a scan's system time.
pub(crate) fn open_listed_file(path: &Path) -> std::io::Result<(fs::File, fs::Metadata)> {
    let file = open_nonblocking(path, false)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    Ok((file, meta))
}

/// Opens for reading without blocking (a FIFO swapped in would hang a plain open), following
/// a symlink at `path` only if `follow`.
fn open_nonblocking(path: &Path, follow: bool) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(libc::O_NONBLOCK | nofollow);
    }
    #[cfg(not(unix))]
    let _ = follow;
    options.open(path)
}

fn not_regular() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file")
}

fn too_large(origin: &str, limit: u64) -> Error {
    Error::input(
        origin,
        format!(
            "larger than {} MiB ({limit} bytes), the most sealant reads for this input",
            limit / (1024 * 1024)
        ),
    )
}

/// Reads a file, or standard input when `path` is `None` or `-`; returns the text and the
/// name to use in messages.
pub(crate) fn read_input(path: Option<&Path>, stdin: &mut dyn Read) -> Result<(String, String)> {
    let bytes = read_input_bytes(path, stdin)?;
    let origin = input_name(path);
    Ok((utf8(bytes, &origin)?, origin))
}

/// Like [`read_bytes`]; standard input is bounded the same way.
pub(crate) fn read_input_bytes(path: Option<&Path>, stdin: &mut dyn Read) -> Result<Vec<u8>> {
    match path.filter(|p| *p != Path::new("-")) {
        Some(path) => read_bytes(path),
        None => {
            let mut bytes = Vec::new();
            stdin
                .take(MAX_INPUT + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| Error::Read {
                    path: STDIN.into(),
                    source,
                })?;
            if bytes.len() as u64 > MAX_INPUT {
                return Err(too_large(STDIN, MAX_INPUT));
            }
            Ok(bytes)
        }
    }
}

pub(crate) fn input_name(path: Option<&Path>) -> String {
    match path.filter(|p| *p != Path::new("-")) {
        Some(path) => path.display().to_string(),
        None => STDIN.to_string(),
    }
}

fn utf8(bytes: Vec<u8>, origin: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        Error::input(
            origin,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Replaces `path` atomically: a temp file in the same directory is written, synced and
/// renamed over it, so readers see the old or the new content, never a mix. An existing
/// file keeps its mode, owner and group; a new one gets `new_mode`. A path that exists but is
/// not a regular file (a device, a FIFO, a symlink such as `/dev/stdout`) is written through
/// instead: a rename would turn it into a plain file.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], new_mode: u32) -> Result<()> {
    write_atomic_with(path, new_mode, &mut bytes(contents))
}

/// [`write_atomic`], with the contents written by `write` as they are made: a large report is
/// never held whole in memory.
pub(crate) fn write_atomic_with(path: &Path, new_mode: u32, write: Writes) -> Result<()> {
    match output_target(path) {
        Target::Special => write_through(path, write, None),
        Target::Regular(meta) => write_atomic_as(path, write, &Keep::of(&meta), Rename::Over),
        Target::Missing => write_atomic_as(path, write, &Keep::mode(new_mode), Rename::Over),
    }
}

/// Writes a file's contents into the writer it is given.
pub(crate) type Writes<'a> = &'a mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>;

fn bytes(contents: &[u8]) -> impl FnMut(&mut dyn Write) -> std::io::Result<()> + '_ {
    move |out| out.write_all(contents)
}

/// Writes a new file atomically; fails if `path` exists by the time of the rename.
pub(crate) fn create_new(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let exists = || match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        _ => Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists)),
    };
    exists().map_err(|source| write_error(path, source))?;
    write_atomic_as(
        path,
        &mut bytes(contents),
        &Keep::mode(mode),
        Rename::NoClobber,
    )
}

/// Like [`write_atomic`], but the file ends with mode 0600 whatever it had: for plaintext
/// Secrets and private keys, which must not stay readable through an old file's mode.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    match output_target(path) {
        Target::Special => write_through(path, &mut bytes(contents), Some(0o600)),
        Target::Regular(meta) => {
            let keep = Keep {
                mode: 0o600,
                ..Keep::of(&meta)
            };
            write_atomic_as(path, &mut bytes(contents), &keep, Rename::Over)
        }
        Target::Missing => {
            write_atomic_as(path, &mut bytes(contents), &Keep::mode(0o600), Rename::Over)
        }
    }
}

/// A regular file as it was read, to tell later whether anything changed it since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileState {
    len: u64,
    modified: Option<std::time::SystemTime>,
    sha256: [u8; 32],
    /// Mode and owner, for putting the file back as it was (not part of "unchanged").
    keep: Keep,
}

impl FileState {
    /// Reads a regular file (at most `cap` bytes, else an error) with its state.
    pub(crate) fn read(path: &Path, cap: u64) -> std::io::Result<(Vec<u8>, FileState)> {
        // Checked before opening too: opening a FIFO would wait for a writer.
        if !fs::symlink_metadata(path)?.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        let file = fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        let mut bytes = Vec::new();
        file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > cap {
            return Err(std::io::Error::other(format!(
                "larger than max-file-size ({cap} bytes)"
            )));
        }
        let state = FileState::of(&meta, &bytes);
        Ok((bytes, state))
    }

    fn of(meta: &fs::Metadata, bytes: &[u8]) -> FileState {
        use sha2::Digest;
        FileState {
            len: meta.len(),
            modified: meta.modified().ok(),
            sha256: sha2::Sha256::digest(bytes).into(),
            keep: Keep::of(meta),
        }
    }

    /// Whether `path` is still the same regular file: size, mtime and content hash.
    fn holds(&self, path: &Path) -> std::io::Result<bool> {
        let meta = fs::symlink_metadata(path)?;
        if !meta.is_file() || meta.len() != self.len || meta.modified().ok() != self.modified {
            return Ok(false);
        }
        let (bytes, _) = FileState::read(path, self.len)?;
        Ok(FileState::of(&meta, &bytes).sha256 == self.sha256)
    }
}

/// Writes `contents` back to a file read as `was` (undoing a rewrite or a deletion), with the
/// mode and owner it had: a deleted 0600 env file must not come back world-readable.
pub(crate) fn restore(path: &Path, contents: &[u8], was: &FileState) -> Result<()> {
    write_atomic_as(path, &mut bytes(contents), &was.keep, Rename::Over)
}

/// What `--fix` says when a file changed under it.
pub(crate) const CHANGED: &str =
    "it changed since sealant read it (another process wrote it); run --fix again";

/// Replaces the regular file `path`, as [`write_atomic`] does, unless it changed since it
/// was read as `was`: checked just before the rename, so a concurrent edit is never lost.
pub(crate) fn replace_unchanged(path: &Path, contents: &[u8], was: &FileState) -> Result<()> {
    let meta = fs::symlink_metadata(path).map_err(|source| write_error(path, source))?;
    if !meta.is_file() {
        return Err(write_error(
            path,
            std::io::Error::other("not a regular file"),
        ));
    }
    let unchanged = || {
        simulated_change(path)?;
        match was.holds(path) {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(std::io::Error::other(CHANGED)),
        }
    };
    write_atomic_as(
        path,
        &mut bytes(contents),
        &Keep::of(&meta),
        Rename::IfUnchanged(&unchanged),
    )
}

/// Deletes `path` unless it changed since it was read as `was`.
pub(crate) fn remove_unchanged(path: &Path, was: &FileState) -> Result<()> {
    match was.holds(path) {
        Ok(true) => fs::remove_file(path).map_err(|source| write_error(path, source)),
        Ok(false) | Err(_) => Err(write_error(path, std::io::Error::other(CHANGED))),
    }
}

/// Temp files are `.sealant-PID-XXXXXX.tmp`: the PID tells a later run whether the writer is
/// gone (killed before its rename), so that run may remove the file.
const TEMP_PREFIX: &str = ".sealant-";
const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RANDOM: usize = 6;

/// Removes the temp files that sealant runs no longer alive left in `dir` (and nothing
/// else); returns their paths.
pub(crate) fn remove_leftovers(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(temp_pid) else {
            continue;
        };
        let path = entry.path();
        let is_file = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        if is_file && !writer_alive(pid, &path) && fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// The PID in a sealant temp file's name, if `name` is one.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, random) = rest.split_once('-')?;
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let random_ok =
        random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric());
    (plain(pid) && random_ok).then(|| pid.parse().ok())?
}

/// Whether the run that made a temp file may still be writing it: its process exists (where
/// `/proc` tells), else the file is less than an hour old.
fn writer_alive(pid: u32, temp: &Path) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    let age = fs::symlink_metadata(temp)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    age.is_none_or(|a| a < std::time::Duration::from_secs(3600))
}

/// What an output path is now.
enum Target {
    Missing,
    Regular(fs::Metadata),
    /// Exists, and is not a regular file (or is a symlink).
    Special,
}

fn output_target(path: &Path) -> Target {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Target::Regular(meta),
        Ok(_) => Target::Special,
        Err(_) => Target::Missing,
    }
}

/// Writes into what `path` is (a device, a FIFO, a symlink's target) without replacing it;
/// `private` sets that mode when it turns out to be a regular file.
fn write_through(path: &Path, write: Writes, private: Option<u32>) -> Result<()> {
    let err = |source| write_error(path, source);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(err)?;
    if let Some(mode) = private {
        if file.metadata().map_err(err)?.is_file() {
            set_mode(&file, mode).map_err(err)?;
        }
    }
    write(&mut file).map_err(err)?;
    file.flush().map_err(err)
}

/// Mode, and owner and group where known, for the file that replaces another.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Keep {
    mode: u32,
    owner: Option<(u32, u32)>,
}

impl Keep {
    fn mode(mode: u32) -> Keep {
        Keep { mode, owner: None }
    }

    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Keep {
        use std::os::unix::fs::MetadataExt;
        Keep {
            mode: meta.mode() & 0o7777,
            owner: Some((meta.uid(), meta.gid())),
        }
    }

    #[cfg(not(unix))]
    fn of(_: &fs::Metadata) -> Keep {
        Keep::mode(0o644)
    }
}

/// How the temp file takes the path's place.
enum Rename<'a> {
    Over,
    /// Only if this check, made just before the rename, passes.
    IfUnchanged(&'a dyn Fn() -> std::io::Result<()>),
    /// Only if nothing is there.
    NoClobber,
}

fn write_atomic_as(path: &Path, write: Writes, keep: &Keep, rename: Rename) -> Result<()> {
    let err = |source| write_error(path, source);
    let dir = parent_dir(path);
    let mut tmp = temp_file(dir).map_err(err)?;
    write(tmp.as_file_mut()).map_err(err)?;
    if let Some((uid, gid)) = keep.owner {
        set_owner(tmp.as_file(), uid, gid).map_err(err)?;
    }
    // After the owner: changing it clears set-id bits.
    set_mode(tmp.as_file(), keep.mode).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    simulated_crash(path).map_err(err)?;
    match rename {
        Rename::Over => tmp.persist(path).map(drop),
        Rename::IfUnchanged(unchanged) => {
            unchanged().map_err(err)?;
            tmp.persist(path).map(drop)
        }
        Rename::NoClobber => tmp.persist_noclobber(path).map(drop),
    }
    .map_err(|e| err(e.error))?;
    // The rename itself is durable once the directory is synced.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Replaces `path` by renaming a temp file over it, without syncing: for caches, which a crash
/// may leave old, empty or missing (their reader checks them) but never mixed, and which must
/// not make a hook wait for the disk. The temp file is named as [`write_atomic`]'s are, so
/// [`remove_leftovers`] removes it after a kill.
pub(crate) fn write_unsynced(path: &Path, contents: &[u8]) -> Result<()> {
    let err = |source| write_error(path, source);
    let dir = parent_dir(path);
    let mut tmp = temp_file(dir).map_err(err)?;
    tmp.write_all(contents).map_err(err)?;
    simulated_crash(path).map_err(err)?;
    tmp.persist(path).map(drop).map_err(|e| err(e.error))
}

/// The directory `path` is in: `.` for a bare file name.
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temp file in `dir` named `.sealant-PID-XXXXXX.tmp`.
fn temp_file(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM)
        .tempfile_in(dir)
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Debug builds only: tests stop between writing the temp file and renaming it for the file
/// named by `SEALANT_TEST_FAIL_RENAME` (an error, the temp file removed), or die there as a
/// kill -9 would for `SEALANT_TEST_KILL_BEFORE_RENAME` (the temp file stays).
fn simulated_crash(path: &Path) -> std::io::Result<()> {
    if test_hook("SEALANT_TEST_KILL_BEFORE_RENAME", path) {
        std::process::abort();
    }
    if test_hook("SEALANT_TEST_FAIL_RENAME", path) {
        return Err(std::io::Error::other("simulated crash before the rename"));
    }
    Ok(())
}

/// Debug builds only: another process appends to the file named by
/// `SEALANT_TEST_CHANGE_BEFORE_RENAME` just before sealant would replace it.
fn simulated_change(path: &Path) -> std::io::Result<()> {
    if test_hook("SEALANT_TEST_CHANGE_BEFORE_RENAME", path) {
        let mut file = fs::OpenOptions::new().append(true).open(path)?;
        file.write_all(b"# changed by another process\n")?;
    }
    Ok(())
}

fn test_hook(variable: &str, path: &Path) -> bool {
    cfg!(debug_assertions)
        && std::env::var_os(variable).is_some_and(|n| path.file_name() == Some(&n))
}

#[cfg(unix)]
fn set_owner(file: &fs::File, uid: u32, gid: u32) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = file.metadata()?;
    if (now.uid(), now.gid()) == (uid, gid) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(uid), Some(gid)).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot give the new file the owner and group of the old one ({e})"),
        )
    })
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_owner(_: &fs::File, _: u32, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_: &fs::File, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_sealant_temp_names_are_recognised() {
        assert_eq!(temp_pid(".sealant-123-aB3xYz.tmp"), Some(123));
        for other in [
            ".sealant-aB3xYz",
            ".sealant-123-aB3xY.tmp",
            ".sealant--aB3xYz.tmp",
            ".sealant-12a-aB3xYz.tmp",
            ".sealant-123-aB3xYz.tmp.yaml",
            "sealant-123-aB3xYz.tmp",
        ] {
            assert_eq!(temp_pid(other), None, "{other}");
        }
    }

    #[test]
    fn atomic_write_keeps_the_mode_of_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yaml");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new", 0o600).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let fresh = dir.path().join("g.yaml");
        write_atomic(&fresh, b"x", 0o600).unwrap();
        assert_eq!(
            fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 2, "no temp file left behind");
        write_private(&path, b"secret").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "plaintext never keeps an old, wider mode"
        );
    }
}
