//! `.sealant_cache/graph-facts-v1`: what the git graph learnt from a blob at a path, so that
//! the next run need not read and parse it again.
//!
//! A hook's graph parses every kustomization of the index and every file holding a build entry
//! point: in a 100k-file repository, 766 files and most of the hook's instructions. A blob id
//! names the content, and a file's facts depend only on its content, its path and the sealant
//! that parsed it, so an entry never goes stale. An entry keeps the blob's size (a smaller
//! max-file-size must still leave it unread), whether it holds a build entry point, and its
//! facts. Kept only: files whose facts are the graph's shape (kustomizations, Flux
//! Kustomizations, Argo CD sources: no SealedSecret, no value of any kind) and that have no
//! `sealant:ignore` marker. Paths in facts are not stored: they are the entry's own.
//!
//! Trust: as [`super::cache`]'s, in the same directory and on the same conditions. A file of
//! another format or sealant build, or one that is not whole and well-formed (every length
//! within the file, UTF-8 text, entries sorted and unique, nothing after the last), is not read
//! and is replaced. Like a skip entry, an entry forged into a local cache is believed: it can
//! hide a finding, as a forged skip entry can.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::graph::{Fact, Provider, Transform};

const FILE: &str = "graph-facts-v1";
/// Bumped when the file's layout changes.
const FORMAT: u32 = 1;
/// At most this many bytes of entries; a larger set is started afresh.
const MAX_BYTES: usize = 32 << 20;
/// An entry larger than this (a kustomization of thousands of resources) is not kept.
const MAX_ENTRY: usize = 256 << 10;
/// The only Secret provider a kustomization's facts hold.
const GENERATOR: &str = "secretGenerator";

/// What a blob at a path gave the graph.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: ObjectId,
    pub(crate) path: String,
    pub(crate) size: u64,
    /// Whether it holds one of the build entry points' needles.
    pub(crate) entry_point: bool,
    pub(crate) facts: Vec<Fact>,
}

/// An entry's (id, path) and its bytes in the file.
type Encoded = ((ObjectId, String), Vec<u8>);

/// The facts of the (blob, path) pairs read before.
#[derive(Default)]
pub(crate) struct FactsCache {
    /// `None`: no cache (turned off, tracked, or not a plain directory).
    dir: Option<PathBuf>,
    /// Sorted by (id, path), unique.
    known: Vec<Entry>,
    /// Entries made this run that `known` lacks, by (id, path), encoded.
    found: Vec<Encoded>,
}

impl FactsCache {
    /// The cache in `dir` (see [`super::cache::usable_dir`]); none without one.
    pub(crate) fn open(dir: Option<PathBuf>) -> FactsCache {
        let known = dir
            .as_ref()
            .and_then(|dir| read_entries(&dir.join(FILE), &header()))
            .unwrap_or_default();
        FactsCache {
            dir,
            known,
            found: Vec::new(),
        }
    }

    /// Whether entries are kept at all.
    pub(crate) fn is_on(&self) -> bool {
        self.dir.is_some()
    }

    /// The entry of blob `id` at `path`, if there is one.
    pub(crate) fn get(&self, id: &ObjectId, path: &str) -> Option<&Entry> {
        self.known
            .binary_search_by(|e| (&e.id, e.path.as_str()).cmp(&(id, path)))
            .ok()
            .map(|i| &self.known[i])
    }

    /// Keeps `entry` if its facts are the graph's shape only and it is new.
    pub(crate) fn add(&mut self, entry: Entry) {
        if !self.is_on() || self.get(&entry.id, &entry.path).is_some() {
            return;
        }
        if let Some(bytes) = encode_entry(&entry).filter(|b| b.len() <= MAX_ENTRY) {
            self.found.push(((entry.id, entry.path), bytes));
        }
    }

    /// Writes the cache if this run made new entries; a failure is ignored (the next run
    /// parses the blobs again).
    pub(crate) fn save(self) {
        let FactsCache { dir, known, found } = self;
        let Some(dir) = dir else { return };
        if found.is_empty() || found.iter().any(|((id, _), _)| id.as_bytes().len() != 20) {
            return; // nothing new, or a SHA-256 repository: not cached yet
        }
        let known: Vec<Encoded> = known
            .into_iter()
            .filter_map(|e| Some((encode_entry(&e)?, e)))
            .map(|(bytes, e)| ((e.id, e.path), bytes))
            .collect();
        let size = |list: &[Encoded]| list.iter().map(|(_, bytes)| bytes.len()).sum::<usize>();
        let mut entries = match size(&known) + size(&found) > MAX_BYTES {
            true => Vec::new(),
            false => known,
        };
        entries.extend(found);
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        let bytes: Vec<&[u8]> = entries.iter().map(|(_, bytes)| bytes.as_slice()).collect();
        let _ = super::cache::write_file(&dir, FILE, &encode_file(&bytes));
    }
}

/// Whether the cache keeps `facts`, found in the file at `path`: the graph's shape only, each
/// naming `path` as its file (which an entry does not store).
pub(crate) fn keeps(facts: &[Fact], path: &str) -> bool {
    facts.iter().all(|fact| match fact {
        Fact::Kustomization {
            path: p,
            transform,
            generators,
            ..
        } => p == path && transform.file == path && generators.iter().all(|g| g.kind == GENERATOR),
        Fact::Flux { path: p, .. } => p == path,
        Fact::Argo {
            path: p, kustomize, ..
        } => p == path && kustomize.file == path,
        _ => false,
    })
}

/// The first line: what the entries mean, so that another layout or sealant build does not
/// read them (facts change with the code that parses them).
fn header() -> Vec<u8> {
    format!(
        "sealant-cache {FORMAT} {} {} graph-facts\n",
        env!("CARGO_PKG_VERSION"),
        env!("SEALANT_COMMIT")
    )
    .into_bytes()
}

/// The entries of a cache file, if it is one of this header, whole and well-formed: a count
/// line, then the entries, sorted by (id, path).
fn read_entries(path: &Path, header: &[u8]) -> Option<Vec<Entry>> {
    let (count, body) = super::cache::read_counted(path, header, MAX_BYTES)?;
    let mut cursor = Cursor(&body);
    let mut entries: Vec<Entry> = Vec::new();
    for _ in 0..count {
        let entry = cursor.entry()?;
        let sorted = entries
            .last()
            .is_none_or(|last| (&last.id, &last.path) < (&entry.id, &entry.path));
        if !sorted {
            return None;
        }
        entries.push(entry);
    }
    cursor.0.is_empty().then_some(entries)
}

/// The file's bytes: the header, the count line, and as many entries (encoded, in order) as
/// [`MAX_BYTES`] holds.
fn encode_file(entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut count = 0;
    for bytes in entries {
        if body.len() + bytes.len() > MAX_BYTES {
            break;
        }
        body.extend_from_slice(bytes);
        count += 1;
    }
    super::cache::counted_file(&header(), count, &body)
}

/// An entry's bytes: id, path, size, entry point, then its facts without their paths; `None`
/// for facts that are not the graph's shape, or a length beyond 32 bits.
fn encode_entry(entry: &Entry) -> Option<Vec<u8>> {
    if !keeps(&entry.facts, &entry.path) {
        return None;
    }
    let mut out = Writer(Vec::new());
    out.0.extend_from_slice(entry.id.as_bytes());
    out.str(&entry.path)?;
    out.0.extend_from_slice(&entry.size.to_le_bytes());
    out.bool(entry.entry_point);
    out.len(entry.facts.len())?;
    for fact in &entry.facts {
        out.fact(fact)?;
    }
    Some(out.0)
}

const KUSTOMIZATION: u8 = 0;
const FLUX: u8 = 1;
const ARGO: u8 = 2;

/// Appends lengths (32 bits, little-endian) and length-prefixed text.
struct Writer(Vec<u8>);

impl Writer {
    fn len(&mut self, n: usize) -> Option<()> {
        self.0
            .extend_from_slice(&u32::try_from(n).ok()?.to_le_bytes());
        Some(())
    }

    fn bool(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }

    fn str(&mut self, s: &str) -> Option<()> {
        self.len(s.len())?;
        self.0.extend_from_slice(s.as_bytes());
        Some(())
    }

    fn opt_str(&mut self, s: Option<&str>) -> Option<()> {
        self.bool(s.is_some());
        s.map_or(Some(()), |s| self.str(s))
    }

    fn strs(&mut self, items: &[String]) -> Option<()> {
        self.len(items.len())?;
        items.iter().try_for_each(|s| self.str(s))
    }

    /// A transform's namespace, prefix and suffix (its file is the entry's path).
    fn transform(&mut self, t: &Transform) -> Option<()> {
        self.opt_str(t.namespace.as_deref())?;
        self.str(&t.prefix)?;
        self.str(&t.suffix)
    }

    fn generator(&mut self, g: &Provider) -> Option<()> {
        self.str(&g.name)?;
        self.opt_str(g.namespace.as_deref())?;
        self.bool(g.keys.is_some());
        g.keys.as_ref().map_or(Some(()), |keys| self.strs(keys))?;
        for flag in [g.refs_follow_renames, g.fixed_name, g.names_derived] {
            self.bool(flag);
        }
        Some(())
    }

    fn fact(&mut self, fact: &Fact) -> Option<()> {
        match fact {
            Fact::Kustomization {
                transform,
                resources,
                generators,
                patched,
                ..
            } => {
                self.0.push(KUSTOMIZATION);
                self.transform(transform)?;
                self.strs(resources)?;
                self.len(generators.len())?;
                generators.iter().try_for_each(|g| self.generator(g))?;
                self.strs(patched)
            }
            Fact::Flux {
                line,
                dir,
                target_namespace,
                ..
            } => {
                self.0.push(FLUX);
                self.0.extend_from_slice(&(*line as u64).to_le_bytes());
                self.str(dir)?;
                self.opt_str(target_namespace.as_deref())
            }
            Fact::Argo {
                dir,
                namespace,
                recurse,
                kustomize,
                ..
            } => {
                self.0.push(ARGO);
                self.str(dir)?;
                self.opt_str(namespace.as_deref())?;
                self.bool(*recurse);
                self.transform(kustomize)
            }
            _ => None,
        }
    }
}

/// Reads what [`Writer`] wrote; `None` for anything else (a length beyond the bytes left,
/// text that is not UTF-8, an unknown tag or flag).
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn len(&mut self) -> Option<usize> {
        let bytes: [u8; 4] = self.take(4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(bytes)).ok()
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn str(&mut self) -> Option<String> {
        let n = self.len()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }

    fn opt_str(&mut self) -> Option<Option<String>> {
        match self.bool()? {
            true => self.str().map(Some),
            false => Some(None),
        }
    }

    /// `count` items, each read by `item` (which takes a byte at least: a count larger than
    /// the bytes left fails before anything is read).
    fn items<T>(&mut self, item: impl Fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let count = self.len()?;
        if count > self.0.len() {
            return None;
        }
        (0..count).map(|_| item(self)).collect()
    }

    fn transform(&mut self, path: &str) -> Option<Transform> {
        Some(Transform {
            file: path.to_string(),
            namespace: self.opt_str()?,
            prefix: self.str()?,
            suffix: self.str()?,
        })
    }

    fn generator(&mut self) -> Option<Provider> {
        let name = self.str()?;
        let namespace = self.opt_str()?;
        let keys = match self.bool()? {
            true => Some(self.items(Cursor::str)?),
            false => None,
        };
        Some(Provider {
            kind: GENERATOR,
            name,
            namespace,
            keys,
            refs_follow_renames: self.bool()?,
            fixed_name: self.bool()?,
            names_derived: self.bool()?,
        })
    }

    fn fact(&mut self, path: &str) -> Option<Fact> {
        let path_ = || path.to_string();
        match self.u8()? {
            KUSTOMIZATION => Some(Fact::Kustomization {
                path: path_(),
                transform: self.transform(path)?,
                resources: self.items(Cursor::str)?,
                generators: self.items(Cursor::generator)?,
                patched: self.items(Cursor::str)?,
            }),
            FLUX => Some(Fact::Flux {
                path: path_(),
                line: usize::try_from(self.u64()?).ok()?,
                dir: self.str()?,
                target_namespace: self.opt_str()?,
            }),
            ARGO => Some(Fact::Argo {
                path: path_(),
                dir: self.str()?,
                namespace: self.opt_str()?,
                recurse: self.bool()?,
                kustomize: self.transform(path)?,
            }),
            _ => None,
        }
    }

    fn entry(&mut self) -> Option<Entry> {
        let id = ObjectId::from_bytes_or_panic(self.take(20)?);
        let path = self.str()?;
        let size = self.u64()?;
        let entry_point = self.bool()?;
        let facts = self.items(|c| c.fact(&path))?;
        Some(Entry {
            id,
            path,
            size,
            entry_point,
            facts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transform(path: &str, namespace: Option<&str>) -> Transform {
        Transform {
            file: path.into(),
            namespace: namespace.map(Into::into),
            prefix: "p-".into(),
            suffix: String::new(),
        }
    }

    /// An entry with a fact of each kind the cache keeps, every field set.
    fn entry(n: u8, path: &str) -> Entry {
        let generator = Provider {
            kind: GENERATOR,
            name: "creds".into(),
            namespace: Some("ns".into()),
            keys: Some(vec!["a".into(), "b".into()]),
            refs_follow_renames: true,
            fixed_name: false,
            names_derived: false,
        };
        Entry {
            id: ObjectId::from_bytes_or_panic(&[n; 20]),
            path: path.into(),
            size: 1234,
            entry_point: true,
            facts: vec![
                Fact::Kustomization {
                    path: path.into(),
                    transform: transform(path, Some("prod")),
                    resources: vec!["../base".into(), "s.yaml".into()],
                    generators: vec![
                        generator.clone(),
                        Provider {
                            keys: None,
                            ..generator
                        },
                    ],
                    patched: vec!["web".into()],
                },
                Fact::Flux {
                    path: path.into(),
                    line: 9,
                    dir: "apps/x".into(),
                    target_namespace: None,
                },
                Fact::Argo {
                    path: path.into(),
                    dir: "apps/y".into(),
                    namespace: Some("argo".into()),
                    recurse: true,
                    kustomize: transform(path, None),
                },
            ],
        }
    }

    #[test]
    fn saved_entries_are_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FactsCache::open(Some(dir.path().to_path_buf()));
        cache.add(entry(2, "b/kustomization.yaml"));
        cache.add(entry(1, "a/kustomization.yaml"));
        cache.save();
        let cache = FactsCache::open(Some(dir.path().to_path_buf()));
        let id = ObjectId::from_bytes_or_panic(&[1; 20]);
        let got = cache.get(&id, "a/kustomization.yaml").unwrap();
        let want = entry(1, "a/kustomization.yaml");
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
        assert!(
            cache.get(&id, "b/kustomization.yaml").is_none(),
            "by path too"
        );
        assert!(FactsCache::open(None)
            .get(&id, "a/kustomization.yaml")
            .is_none());
    }

    #[test]
    fn facts_with_a_sealed_secret_or_another_path_are_not_kept() {
        let mut sealed = entry(1, "a.yaml");
        sealed.facts.push(Fact::Provider {
            path: "a.yaml".into(),
            provider: Provider {
                kind: "Secret",
                name: "s".into(),
                namespace: None,
                keys: None,
                refs_follow_renames: true,
                fixed_name: false,
                names_derived: false,
            },
        });
        let mut elsewhere = entry(2, "a.yaml");
        elsewhere.path = "b.yaml".into();
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FactsCache::open(Some(dir.path().to_path_buf()));
        cache.add(sealed);
        cache.add(elsewhere);
        assert!(cache.found.is_empty());
        cache.save();
        assert!(!dir.path().join(FILE).exists(), "nothing to write");
    }

    #[test]
    fn every_truncation_of_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let (a, b) = (entry(1, "a.yaml"), entry(1, "b.yaml"));
        let bytes = encode_file(&[&encode_entry(&a).unwrap(), &encode_entry(&b).unwrap()]);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_entries(&path, &header()).map(|e| e.len()), Some(2));
        for len in 0..bytes.len() {
            std::fs::write(&path, &bytes[..len]).unwrap();
            assert!(read_entries(&path, &header()).is_none(), "{len}");
        }
    }
}
