//! File and stream I/O shared by the commands: reading input, atomic replacement of files.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Name used for standard input in messages.
pub const STDIN: &str = "<stdin>";

/// Largest certificate or key file read: real ones are a few KiB.
pub const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Largest manifest or other input read whole (`-f`, configuration, key stores): the default
/// `max-file-size` of scans.
pub const MAX_INPUT: u64 = crate::config::DEFAULT_MAX_FILE_SIZE;

/// A regular file of at most [`MAX_INPUT`] bytes.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    read_bounded(path, MAX_INPUT)
}

pub fn read_text(path: &Path) -> Result<String> {
    utf8(read_bytes(path)?, &path.display().to_string())
}

/// A certificate or key file: text of at most [`MAX_KEY_FILE`] bytes.
pub fn read_key_file(path: &Path) -> Result<String> {
    utf8(
        read_bounded(path, MAX_KEY_FILE)?,
        &path.display().to_string(),
    )
}

/// Reads a regular file of at most `limit` bytes. Devices, FIFOs and directories are refused
/// before opening (`/dev/zero` never ends, a FIFO blocks); the open does not block either,
/// should a FIFO be swapped in, and `take` bounds memory if the file grows meanwhile.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::metadata(path).map_err(err)?;
    if !meta.is_file() {
        return Err(Error::input(
            path.display().to_string(),
            "not a regular file",
        ));
    }
    if meta.len() > limit {
        return Err(too_large(&path.display().to_string(), limit));
    }
    let file = open_nonblocking(path).map_err(err)?;
    if !file.metadata().map_err(err)?.is_file() {
        return Err(Error::input(
            path.display().to_string(),
            "not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(err)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(&path.display().to_string(), limit));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc_nonblock())
        .open(path)
}

/// `O_NONBLOCK`, which std does not name: 0o4000 on Linux, 0x4 on the BSDs and macOS.
#[cfg(unix)]
const fn libc_nonblock() -> i32 {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        0o4000
    } else {
        0x4
    }
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    fs::File::open(path)
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
pub fn read_input(path: Option<&Path>, stdin: &mut dyn Read) -> Result<(String, String)> {
    let bytes = read_input_bytes(path, stdin)?;
    let origin = input_name(path);
    Ok((utf8(bytes, &origin)?, origin))
}

/// Like [`read_bytes`]; standard input is bounded the same way.
pub fn read_input_bytes(path: Option<&Path>, stdin: &mut dyn Read) -> Result<Vec<u8>> {
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

pub fn input_name(path: Option<&Path>) -> String {
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
/// file keeps its mode; a new one gets `new_mode`.
pub fn write_atomic(path: &Path, contents: &[u8], new_mode: u32) -> Result<()> {
    let mode = existing_mode(path).unwrap_or(new_mode);
    write_atomic_as(path, contents, mode)
}

/// Like [`write_atomic`], but the file ends with mode 0600 whatever it had: for plaintext
/// Secrets and private keys, which must not stay readable through an old file's mode.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_as(path, contents, 0o600)
}

fn write_atomic_as(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".sealant-")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(contents).map_err(err)?;
    set_mode(tmp.as_file(), mode).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    simulated_crash(path).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Tests stop a debug build between writing the temp file and renaming it, as a kill would,
/// for the file named by `SEALANT_TEST_FAIL_RENAME`.
fn simulated_crash(path: &Path) -> std::io::Result<()> {
    let failing = cfg!(debug_assertions)
        && std::env::var_os("SEALANT_TEST_FAIL_RENAME")
            .is_some_and(|n| path.file_name() == Some(&n));
    if failing {
        return Err(std::io::Error::other("simulated crash before the rename"));
    }
    Ok(())
}

#[cfg(unix)]
fn existing_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn existing_mode(_: &Path) -> Option<u32> {
    None
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
