//! `.sealant_cache/` at the repository root: the blob ids that the git graph need not read.
//!
//! A hook's graph looks for Flux Kustomizations and Argo CD Applications in every manifest of
//! the index, which means reading thousands of blobs per commit. A blob id is a hash of the
//! content, so "this blob holds no build entry point" never goes stale: the cache lists such
//! ids and the next run skips them. An entry can only skip reading a blob that would give the
//! graph nothing; it never adds a finding.
//!
//! Trust: the cache is used only when it is sealant's own local file. It is left alone (not
//! read, not written) when git tracks anything under it (a committed cache could hide a
//! Flux Kustomization) or it is not a plain directory (a symlink could lead outside the root);
//! a file of another format, sealant version or entry-point list, a corrupt or oversized one is
//! not read and is replaced. A cache that cannot be written (a read-only checkout) is skipped
//! silently: the scan never fails because of it.

use std::io::Read;
use std::path::{Path, PathBuf};

use gix::ObjectId;

/// The directory, at the repository root.
pub(crate) const DIR: &str = ".sealant_cache";
const FILE: &str = "graph-skip-v1";
/// Bumped when the file's layout changes.
const FORMAT: u32 = 1;
/// At most this many ids (20 MiB of SHA-1 ids); a larger set is started afresh.
const MAX_ENTRIES: usize = 1 << 20;
/// <https://bford.info/cachedir/>: backup tools skip a directory holding this file.
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by sealant.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";

/// The ids of blobs known to hold none of a list of needles (or to be binary).
pub(crate) struct SkipCache {
    /// `None`: no cache (turned off, tracked, or not a plain directory).
    dir: Option<PathBuf>,
    header: Vec<u8>,
    /// Sorted, unique.
    known: Vec<ObjectId>,
    /// Ids found this run that `known` lacks.
    found: Vec<ObjectId>,
}

impl Default for SkipCache {
    fn default() -> SkipCache {
        SkipCache::off()
    }
}

impl SkipCache {
    /// No cache: nothing is skipped or written.
    pub(crate) fn off() -> SkipCache {
        SkipCache {
            dir: None,
            header: Vec::new(),
            known: Vec::new(),
            found: Vec::new(),
        }
    }

    /// The cache in `dir` (see [`usable_dir`]) for blobs holding none of `needles`; off
    /// without one.
    pub(crate) fn open(dir: Option<PathBuf>, needles: &[&[u8]]) -> SkipCache {
        let Some(dir) = dir else {
            return SkipCache::off();
        };
        let header = header(needles);
        let known = read_entries(&dir.join(FILE), &header).unwrap_or_default();
        SkipCache {
            dir: Some(dir),
            header,
            known,
            found: Vec::new(),
        }
    }

    /// Whether blob `id` is known to hold none of the needles.
    pub(crate) fn skips(&self, id: &ObjectId) -> bool {
        self.known.binary_search(id).is_ok()
    }

    /// Notes that blob `id` holds none of the needles.
    pub(crate) fn add(&mut self, id: ObjectId) {
        if self.dir.is_some() && !self.skips(&id) {
            self.found.push(id);
        }
    }

    /// Writes the cache if this run found new ids; a failure is ignored (the next run reads
    /// the blobs again).
    pub(crate) fn save(mut self) {
        let Some(dir) = self.dir.take() else { return };
        if self.found.is_empty() {
            return;
        }
        let mut ids = std::mem::take(&mut self.known);
        if ids.len() + self.found.len() > MAX_ENTRIES {
            ids.clear();
        }
        ids.append(&mut self.found);
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(MAX_ENTRIES);
        let _ = write(&dir, &self.header, &ids);
    }
}

/// [`DIR`] under `root`, unless `tracked` (git tracks something under it) or it is there and
/// is not a plain directory.
pub(crate) fn usable_dir(root: &Path, tracked: bool) -> Option<PathBuf> {
    let dir = root.join(DIR);
    let plain = match std::fs::symlink_metadata(&dir) {
        Ok(meta) => meta.is_dir(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    };
    (!tracked && plain).then_some(dir)
}

/// The first line: what the entries mean, so that another format, sealant version or needle
/// list does not read them.
fn header(needles: &[&[u8]]) -> Vec<u8> {
    let needles: Vec<String> = needles
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    format!(
        "sealant-cache {FORMAT} {} skip-graph-without:{}\n",
        env!("CARGO_PKG_VERSION"),
        needles.join(",")
    )
    .into_bytes()
}

/// The ids of a cache file, if it is one of this header, whole and well-formed: a count line,
/// then the ids (raw bytes), sorted.
fn read_entries(path: &Path, header: &[u8]) -> Option<Vec<ObjectId>> {
    let (count, body) = read_counted(path, header, MAX_ENTRIES * 32)?;
    if count > MAX_ENTRIES || body.len() != count * 20 {
        return None;
    }
    let ids: Vec<ObjectId> = body
        .chunks_exact(20)
        .map(ObjectId::from_bytes_or_panic)
        .collect();
    ids.windows(2).all(|w| w[0] < w[1]).then_some(ids)
}

/// Writes the cache file.
fn write(dir: &Path, header: &[u8], ids: &[ObjectId]) -> crate::error::Result<()> {
    if ids.iter().any(|id| id.as_bytes().len() != 20) {
        // SHA-256 repositories: not cached yet.
        return Ok(());
    }
    let body: Vec<u8> = ids.iter().flat_map(|id| id.as_bytes()).copied().collect();
    write_file(dir, FILE, &counted_file(header, ids.len(), &body))
}

/// The entry count and the entries' bytes of a cache file laid out by [`counted_file`], if it
/// has this `header` and at most `limit` bytes of entries; read without following a symlink
/// or blocking.
pub(crate) fn read_counted(path: &Path, header: &[u8], limit: usize) -> Option<(usize, Vec<u8>)> {
    let limit = (header.len() + 32 + limit) as u64;
    let (file, _) = crate::io::open_regular(path, false).ok()?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > limit {
        return None;
    }
    let rest = bytes.strip_prefix(header)?;
    let newline = rest.iter().position(|&b| b == b'\n')?;
    let count = std::str::from_utf8(&rest[..newline])
        .ok()?
        .strip_suffix(" sha1")?
        .parse()
        .ok()?;
    let start = header.len() + newline + 1;
    bytes.drain(..start);
    Some((count, bytes))
}

/// A cache file: `header`, a line `COUNT sha1` (the repository's ids are SHA-1), then `body`.
pub(crate) fn counted_file(header: &[u8], count: usize, body: &[u8]) -> Vec<u8> {
    let mut file = header.to_vec();
    file.extend_from_slice(format!("{count} sha1\n").as_bytes());
    file.extend_from_slice(body);
    file
}

/// Writes file `name` of the cache (and the directory's `.gitignore` and `CACHEDIR.TAG` when
/// it is made), each atomically but unsynced (a torn file fails its reader's checks); removes
/// temp files a killed run left there.
pub(crate) fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> crate::error::Result<()> {
    if !dir.exists() {
        std::fs::create_dir(dir).map_err(|source| crate::error::Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    for (name, text) in [(".gitignore", "*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)] {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_err() {
            crate::io::write_unsynced(&path, text.as_bytes())?;
        }
    }
    crate::io::remove_leftovers(dir);
    crate::io::write_unsynced(&dir.join(name), bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn saved_ids_are_read_back_and_other_needles_read_none() {
        let dir = tempfile::tempdir().unwrap();
        let open =
            |needles: &[&[u8]], tracked| SkipCache::open(usable_dir(dir.path(), tracked), needles);
        let mut cache = open(&[b"a"], false);
        cache.add(id(2));
        cache.add(id(1));
        cache.save();
        let cache = open(&[b"a"], false);
        assert!(cache.skips(&id(1)) && cache.skips(&id(2)) && !cache.skips(&id(3)));
        assert!(!open(&[b"b"], false).skips(&id(1)));
        assert!(!open(&[b"a"], true).skips(&id(1)));
    }

    #[test]
    fn a_truncated_or_unsorted_file_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let header = header(&[b"a"]);
        let path = dir.path().join("f");
        let mut bytes = header.clone();
        bytes.extend_from_slice(b"2 sha1\n");
        bytes.extend_from_slice(id(2).as_bytes());
        bytes.extend_from_slice(id(1).as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_entries(&path, &header), None);
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(read_entries(&path, &header), None);
    }
}
