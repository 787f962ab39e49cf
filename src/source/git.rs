//! Git as a source, read directly with gix (no `git` process): the staged index, the blobs a
//! commit range introduced, and every blob reachable from the refs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;
use gix::ObjectId;

use crate::error::{Error, Result};

/// Where a blob entered the history: the first commit that added or changed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub commit: ObjectId,
    /// Author time, seconds since the epoch.
    pub time: i64,
    /// Position in the newest-first walk: among commits of the same second, the higher one is
    /// the ancestor.
    pub order: usize,
}

impl Origin {
    /// Whether `self` came before `other` in history.
    pub(crate) fn is_older_than(&self, other: &Origin) -> bool {
        (self.time, std::cmp::Reverse(self.order)) < (other.time, std::cmp::Reverse(other.order))
    }
}

/// One blob to scan, at the path it had.
#[derive(Clone, Debug)]
pub(crate) struct GitBlob {
    pub path: String,
    pub id: ObjectId,
    pub origin: Option<Origin>,
}

/// An opened repository.
pub(crate) struct GitRepo {
    repo: gix::ThreadSafeRepository,
    root: PathBuf,
}

fn git_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::usage(format!("git: {what}: {e}"), None)
}

impl GitRepo {
    /// The repository containing `path`.
    pub(crate) fn discover(path: &Path) -> Result<GitRepo> {
        // A named file (as pre-commit passes them) is found from its directory.
        let dir = match path.parent() {
            _ if path.is_dir() => path,
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let repo = open(dir).map_err(|e| {
            Error::usage(
                format!("{} is not inside a git repository ({e})", path.display()),
                Some(
                    "--staged, --range and --history read git; scan a working tree without them"
                        .into(),
                ),
            )
        })?;
        let root = repo
            .workdir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| repo.git_dir().to_path_buf());
        let root = std::path::absolute(&root).unwrap_or(root);
        Ok(GitRepo {
            repo: repo.into_sync(),
            root,
        })
    }

    /// The working tree's root (the git directory for a bare repository).
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the repository has a working tree (is not bare).
    pub(crate) fn has_worktree(&self) -> bool {
        self.repo.work_dir().is_some()
    }

    /// Whether the index holds `path`, or a path under it when `path` ends with `/`.
    pub(crate) fn tracks(&self, path: &str) -> bool {
        let Ok(index) = read_index(&self.local()) else {
            return false;
        };
        match path.strip_suffix('/') {
            Some(_) => index
                .prefixed_entries(path.into())
                .is_some_and(|e| !e.is_empty()),
            None => index.entry_index_by_path(path.into()).is_ok(),
        }
    }

    /// A handle for the current thread.
    pub(crate) fn local(&self) -> gix::Repository {
        self.repo.to_thread_local()
    }

    /// Index entries (stage 0) whose blob differs from HEAD's at the same path: what the next
    /// commit adds or changes.
    pub(crate) fn staged(&self) -> Result<Vec<GitBlob>> {
        let repo = self.local();
        let index = read_index(&repo)?;
        // Directories whose cached tree equals HEAD's hold no change: skip their entries, and
        // compare the rest path by path. Without a usable cache tree, compare everything.
        let unchanged = match (index.tree(), repo.head_tree_id()) {
            (Some(cache), Ok(head)) => Some(unchanged_dirs(&repo, cache, head.detach())),
            _ => None,
        };
        if unchanged.as_ref().is_some_and(|dirs| dirs.contains("")) {
            return Ok(Vec::new());
        }
        let mut candidates: Vec<(String, ObjectId)> = Vec::new();
        let entries = index.entries();
        let mut next = 0;
        while let Some(entry) = entries.get(next) {
            next += 1;
            let path = entry.path(&index).to_str_lossy();
            let dir = unchanged
                .as_ref()
                .and_then(|dirs| unchanged_ancestor(&path, dirs));
            if let Some(dir) = dir {
                // Entries are sorted, so a directory's are consecutive: skipped at once, not
                // one by one (that loop was 5% of a hook's instructions in a 100k-file index).
                let range = index.prefixed_entries_range(format!("{dir}/").as_str().into());
                next = range.map_or(next, |r| r.end.max(next));
                continue;
            }
            if entry.stage_raw() == 0
                && entry.mode.to_tree_entry_mode().is_some_and(|m| m.is_blob())
            {
                candidates.push((path.into_owned(), entry.id));
            }
        }
        let lookups: Option<HashSet<String>> = unchanged
            .is_some()
            .then(|| candidates.iter().map(|(p, _)| p.clone()).collect());
        let head = head_blobs(&repo, lookups.as_ref())?;
        Ok(candidates
            .into_iter()
            .filter(|(path, id)| head.get(path) != Some(id))
            .map(|(path, id)| GitBlob {
                path,
                id,
                origin: None,
            })
            .collect())
    }

    /// The staged blob of each of `paths` (repository-relative), whether or not it differs
    /// from HEAD's: pre-commit also names committed files (`run --all-files`, `--files`,
    /// `try-repo`), and a committed Secret must not pass. Second, the named paths the index
    /// lacks (untracked files), for the caller to read from the working tree. A named path
    /// that is a symlink, a submodule or unmerged in the index is in neither.
    pub(crate) fn staged_named(
        &self,
        paths: &HashSet<String>,
    ) -> Result<(Vec<GitBlob>, Vec<String>)> {
        let index = read_index(&self.local())?;
        let (mut blobs, mut untracked) = (Vec::new(), Vec::new());
        for path in paths {
            let key: &gix::bstr::BStr = path.as_str().into();
            if index.entry_index_by_path(key).is_err() {
                untracked.push(path.clone());
                continue;
            }
            let entry = index.entry_by_path_and_stage(key, gix::index::entry::Stage::Unconflicted);
            if let Some(entry) = entry.filter(|e| is_regular(e.mode)) {
                blobs.push(GitBlob {
                    path: path.clone(),
                    id: entry.id,
                    origin: None,
                });
            }
        }
        blobs.sort_by(|a, b| a.path.cmp(&b.path));
        untracked.sort();
        Ok((blobs, untracked))
    }

    /// Blobs added or changed by the commits in `spec` (`A..B`, or `A` for `A..HEAD`, then any
    /// `^REV` words, as in `git rev-list`, leaving out what REV reaches), each with the oldest
    /// commit of the range that introduced it.
    pub(crate) fn range(&self, spec: &str) -> Result<(Vec<GitBlob>, usize)> {
        let repo = self.local();
        let mut words = spec.split_whitespace();
        let first = words.next().unwrap_or_default();
        let (from, to) = first.split_once("..").unwrap_or((first, "HEAD"));
        let to = if to.is_empty() { "HEAD" } else { to };
        let tip = resolve(&repo, to)?;
        let mut hidden = if from.is_empty() {
            Vec::new()
        } else {
            vec![resolve(&repo, from)?]
        };
        for word in words {
            let Some(rev) = word.strip_prefix('^') else {
                return Err(Error::usage(
                    format!("git: range {spec:?}: {word:?} after the range must be ^REV"),
                    Some("write A..B, then ^REV for each REV whose commits to leave out".into()),
                ));
            };
            hidden.extend(resolve_many(&repo, rev)?);
        }
        introduced(&repo, vec![tip], hidden)
    }

    /// Every blob reachable from `refs` (all refs when none is given), each once, with the
    /// oldest commit that introduced it. A `^REV` entry leaves out what REV reaches.
    pub(crate) fn history(&self, refs: &[String]) -> Result<(Vec<GitBlob>, usize)> {
        let repo = self.local();
        let (mut tips, mut hidden) = (Vec::new(), Vec::new());
        for entry in refs {
            match entry.strip_prefix('^') {
                Some(rev) => hidden.extend(resolve_many(&repo, rev)?),
                None => tips.push(resolve(&repo, entry)?),
            }
        }
        if tips.is_empty() {
            tips = ref_tips(&repo, "")?;
        }
        introduced(&repo, tips, hidden)
    }

    /// The regular files of the index (stage 0) whose file name (its bytes) `keep` accepts:
    /// the state a commit would record, which `--staged` judges.
    pub(crate) fn index_files(&self, keep: impl Fn(&[u8]) -> bool) -> Result<Vec<GitBlob>> {
        let repo = self.local();
        let index = repo
            .index_or_empty()
            .map_err(|e| git_error("cannot read the index", e))?;
        let regular = [
            gix::index::entry::Mode::FILE,
            gix::index::entry::Mode::FILE_EXECUTABLE,
        ];
        let mut files = Vec::new();
        for entry in index.entries() {
            if entry.stage_raw() != 0 || !regular.contains(&entry.mode) {
                continue;
            }
            let path = entry.path(&index);
            // The name's bytes alone first: converting each of 100k names cost more than the
            // check.
            let name = &path[path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)..];
            if keep(name) {
                files.push(GitBlob {
                    path: path.to_str_lossy().into_owned(),
                    id: entry.id,
                    origin: None,
                });
            }
        }
        Ok(files)
    }

    /// The commit a range ends at: B of `A..B`, HEAD for `A` or `A..` (as [`GitRepo::range`]
    /// reads the spec).
    pub(crate) fn range_tip(&self, spec: &str) -> Result<ObjectId> {
        let first = spec.split_whitespace().next().unwrap_or_default();
        let to = first.split_once("..").map_or("", |(_, to)| to);
        resolve(&self.local(), if to.is_empty() { "HEAD" } else { to })
    }

    /// The regular files of `commit`'s tree whose file name (its bytes) `keep` accepts.
    pub(crate) fn tree_files(
        &self,
        commit: ObjectId,
        keep: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<GitBlob>> {
        let repo = self.local();
        let tree = repo
            .find_commit(commit)
            .and_then(|c| Ok(c.tree_id()?.detach()))
            .map_err(|e| git_error("cannot read a commit", e))?;
        let mut files = Vec::new();
        tree_blobs(&repo, tree, "", &keep, &mut files)?;
        Ok(files)
    }

    /// Path → blob id of HEAD's tree (empty for an unborn HEAD).
    pub(crate) fn head_blob_paths(&self) -> Result<HashMap<String, ObjectId>> {
        head_blobs(&self.local(), None)
    }
}

/// The regular files (not links or submodules) under tree `id` whose file name `keep` accepts.
fn tree_blobs(
    repo: &gix::Repository,
    id: ObjectId,
    prefix: &str,
    keep: &impl Fn(&[u8]) -> bool,
    out: &mut Vec<GitBlob>,
) -> Result<()> {
    let tree = repo
        .find_tree(id)
        .map_err(|e| git_error("cannot read a tree", e))?;
    let decoded = tree
        .decode()
        .map_err(|e| git_error("cannot decode a tree", e))?;
    for entry in &decoded.entries {
        let file = entry.mode.is_blob() || entry.mode.is_executable();
        let wanted = entry.mode.is_tree() || (file && keep(entry.filename));
        if !wanted {
            continue;
        }
        let name = entry.filename.to_str_lossy();
        let path = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        if entry.mode.is_tree() {
            tree_blobs(repo, entry.oid.to_owned(), &path, keep, out)?;
        } else {
            out.push(GitBlob {
                path,
                id: entry.oid.to_owned(),
                origin: None,
            });
        }
    }
    Ok(())
}

/// Directories (`""` for the root) whose cache-tree entry is valid and equal to HEAD's tree.
fn unchanged_dirs(
    repo: &gix::Repository,
    cache: &gix::index::extension::Tree,
    head: ObjectId,
) -> HashSet<String> {
    let mut dirs = HashSet::new();
    collect_unchanged(repo, cache, head, "", &mut dirs);
    dirs
}

fn collect_unchanged(
    repo: &gix::Repository,
    cache: &gix::index::extension::Tree,
    head: ObjectId,
    prefix: &str,
    dirs: &mut HashSet<String>,
) {
    if cache.num_entries.is_some() && cache.id == head {
        dirs.insert(prefix.to_string());
        return;
    }
    let Ok(tree) = repo.find_tree(head) else {
        return;
    };
    let Ok(decoded) = tree.decode() else { return };
    let subtrees: HashMap<&[u8], ObjectId> = decoded
        .entries
        .iter()
        .filter(|e| e.mode.is_tree())
        .map(|e| (e.filename.as_bytes(), e.oid.to_owned()))
        .collect();
    for child in &cache.children {
        let name = child.name.as_slice();
        let Some(&subtree) = subtrees.get(name) else {
            continue;
        };
        let path = if prefix.is_empty() {
            name.to_str_lossy().into_owned()
        } else {
            format!("{prefix}/{}", name.to_str_lossy())
        };
        collect_unchanged(repo, child, subtree, &path, dirs);
    }
}

/// The outermost directory holding file `path` that is one of `dirs`.
fn unchanged_ancestor<'p>(path: &'p str, dirs: &HashSet<String>) -> Option<&'p str> {
    path.match_indices('/')
        .map(|(i, _)| &path[..i])
        .find(|dir| dirs.contains(*dir))
}

/// Reads a blob; `None` if it is missing (a shallow or partial clone).
pub(crate) fn read_blob(repo: &gix::Repository, id: ObjectId) -> Option<Vec<u8>> {
    repo.find_object(id).ok().map(|o| o.detach().data)
}

/// The file `path` of `commit`'s tree, as [`read_regular_blob`] reads it.
pub(crate) fn read_file_at(
    repo: &gix::Repository,
    commit: ObjectId,
    path: &str,
    cap: u64,
) -> std::result::Result<Vec<u8>, String> {
    let entry = repo
        .find_commit(commit)
        .ok()
        .and_then(|c| c.tree().ok())
        .and_then(|t| t.lookup_entry_by_path(path).ok().flatten())
        .ok_or_else(|| NOT_THERE.to_string())?;
    let mode = entry.mode();
    read_regular_blob(
        repo,
        entry.object_id(),
        mode.is_blob() || mode.is_executable(),
        cap,
    )
}

/// The file `path` of the index, as [`read_regular_blob`] reads it.
pub(crate) fn read_file_staged(
    repo: &gix::Repository,
    index: &gix::index::File,
    path: &str,
    cap: u64,
) -> std::result::Result<Vec<u8>, String> {
    let entry = index
        .entry_by_path(path.into())
        .ok_or_else(|| NOT_THERE.to_string())?;
    read_regular_blob(repo, entry.id, is_regular(entry.mode), cap)
}

/// Whether an index entry is a regular file (executable or not): not a symlink or submodule.
fn is_regular(mode: gix::index::entry::Mode) -> bool {
    [
        gix::index::entry::Mode::FILE,
        gix::index::entry::Mode::FILE_EXECUTABLE,
    ]
    .contains(&mode)
}

/// Opens the repository holding `dir`. The index's checksum is not verified on reading, as git
/// does not: hashing a 100k-file index took a third of a pre-commit hook's time.
fn open(dir: &Path) -> gix::Result<gix::Repository> {
    let mut trust = gix::sec::trust::Mapping::<gix::open::Options>::default();
    for options in [&mut trust.full, &mut trust.reduced] {
        *options = std::mem::take(options).config_overrides(["index.skipHash=true"]);
    }
    gix::ThreadSafeRepository::discover_opts(dir, Default::default(), trust).map(Into::into)
}

fn read_index(repo: &gix::Repository) -> Result<gix::worktree::Index> {
    repo.index_or_empty()
        .map_err(|e| git_error("cannot read the index", e))
}

const NOT_THERE: &str = "it is not in the repository";

/// A blob of a regular file, at most `cap` bytes (its size is looked up first): a symlink's
/// blob holds where it points, which is not the file's contents, and is not followed.
fn read_regular_blob(
    repo: &gix::Repository,
    id: ObjectId,
    regular: bool,
    cap: u64,
) -> std::result::Result<Vec<u8>, String> {
    if !regular {
        return Err(
            "it is not a regular file in git (a symlink, which sealant does not follow, or a submodule); not read"
                .into(),
        );
    }
    let size = repo
        .find_header(id)
        .map_err(|_| format!("blob {id} is missing (shallow or partial clone?); not read"))?
        .size();
    if size > cap {
        return Err(format!(
            "it is larger than max-file-size ({size} > {cap} bytes); not checked"
        ));
    }
    read_blob(repo, id)
        .ok_or_else(|| format!("blob {id} is missing (shallow or partial clone?); not read"))
}

fn resolve(repo: &gix::Repository, spec: &str) -> Result<ObjectId> {
    let id = repo.rev_parse_single(spec).map_err(|e| {
        Error::usage(
            format!("git: cannot resolve {spec:?}: {e}"),
            Some("give a commit, branch or tag".into()),
        )
    })?;
    let object = id.object().map_err(|e| git_error(spec, e))?;
    let commit = object
        .peel_to_commit()
        .map_err(|e| git_error(&format!("{spec} is not a commit"), e))?;
    Ok(commit.id)
}

/// The commits `rev` names: one for a revision, every ref's under a `PREFIX/*` glob (git's
/// `--glob`; `refs/remotes/origin/*` is what remote `origin` is known to hold, none if unknown).
fn resolve_many(repo: &gix::Repository, rev: &str) -> Result<Vec<ObjectId>> {
    match rev.strip_suffix('*') {
        Some(prefix) if prefix.ends_with('/') => ref_tips(repo, prefix),
        _ => Ok(vec![resolve(repo, rev)?]),
    }
}

/// The commits the refs under `prefix` point at (all refs and HEAD for `""`).
fn ref_tips(repo: &gix::Repository, prefix: &str) -> Result<Vec<ObjectId>> {
    let platform = repo
        .references()
        .map_err(|e| git_error("cannot list refs", e))?;
    let mut tips = Vec::new();
    for reference in platform
        .all()
        .map_err(|e| git_error("cannot list refs", e))?
    {
        let Ok(mut reference) = reference else {
            continue;
        };
        if !reference.name().as_bstr().starts_with(prefix.as_bytes()) {
            continue;
        }
        let Ok(id) = reference.peel_to_id() else {
            continue;
        };
        if id
            .object()
            .is_ok_and(|o| o.kind == gix::object::Kind::Commit)
        {
            tips.push(id.detach());
        }
    }
    if prefix.is_empty() {
        if let Ok(head) = repo.head_id() {
            tips.push(head.detach());
        }
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// Path → blob id of HEAD's tree, limited to `only` when given.
fn head_blobs(
    repo: &gix::Repository,
    only: Option<&HashSet<String>>,
) -> Result<HashMap<String, ObjectId>> {
    let Ok(tree) = repo.head_tree() else {
        return Ok(HashMap::new());
    };
    let mut map = HashMap::new();
    match only {
        Some(paths) => {
            // Each lookup walks the trees from the root: cached, a directory's tree is
            // decoded once, not once per path in it (a hook's lookups took 15M instructions).
            let mut repo = repo.clone();
            repo.object_cache_size_if_unset(4 << 20);
            let Ok(tree) = repo.find_tree(tree.id) else {
                return Ok(map);
            };
            for path in paths {
                if let Ok(Some(entry)) = tree.lookup_entry_by_path(path) {
                    map.insert(path.clone(), entry.object_id());
                }
            }
        }
        None => {
            let mut out = Vec::new();
            changed_blobs(repo, tree.id, None, "", &mut out)?;
            map.extend(out);
        }
    }
    Ok(map)
}

/// Walks the commits reachable from `tips` but not from `hidden`, and collects each blob that
/// a commit added or changed (against its first parent), keeping the oldest commit per blob.
fn introduced(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
) -> Result<(Vec<GitBlob>, usize)> {
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .all()
        .map_err(|e| git_error("cannot walk the history", e))?;
    let mut first: HashMap<ObjectId, GitBlob> = HashMap::new();
    let mut commits = 0;
    for info in walk {
        let info = info.map_err(|e| git_error("cannot walk the history", e))?;
        let commit = repo
            .find_commit(info.id)
            .map_err(|e| git_error("cannot read a commit", e))?;
        let time = commit.author().map(|a| a.seconds()).unwrap_or_default();
        let tree = commit
            .tree_id()
            .map_err(|e| git_error("cannot read a commit", e))?
            .detach();
        let parent_tree = match commit.parent_ids().next() {
            Some(parent) => Some(
                repo.find_commit(parent)
                    .and_then(|p| Ok(p.tree_id()?.detach()))
                    .map_err(|e| git_error("cannot read a parent commit", e))?,
            ),
            None => None,
        };
        commits += 1;
        let mut changed = Vec::new();
        changed_blobs(repo, tree, parent_tree, "", &mut changed)?;
        let origin = Origin {
            commit: info.id,
            time,
            order: commits,
        };
        for (path, id) in changed {
            let seen = first.get(&id).and_then(|b| b.origin.as_ref());
            if seen.is_none_or(|seen| origin.is_older_than(seen)) {
                first.insert(
                    id,
                    GitBlob {
                        path,
                        id,
                        origin: Some(origin.clone()),
                    },
                );
            }
        }
    }
    let mut blobs: Vec<GitBlob> = first.into_values().collect();
    blobs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((blobs, commits))
}

/// Blobs (not links or submodules) in tree `new` that `old` lacks or holds with another id.
fn changed_blobs(
    repo: &gix::Repository,
    new: ObjectId,
    old: Option<ObjectId>,
    prefix: &str,
    out: &mut Vec<(String, ObjectId)>,
) -> Result<()> {
    if Some(new) == old {
        return Ok(());
    }
    let new_tree = repo
        .find_tree(new)
        .map_err(|e| git_error("cannot read a tree", e))?;
    let old_entries: HashMap<Vec<u8>, (bool, ObjectId)> = match old {
        Some(old) => {
            let old_tree = repo
                .find_tree(old)
                .map_err(|e| git_error("cannot read a tree", e))?;
            let decoded = old_tree
                .decode()
                .map_err(|e| git_error("cannot decode a tree", e))?;
            decoded
                .entries
                .iter()
                .map(|e| (e.filename.to_vec(), (e.mode.is_tree(), e.oid.to_owned())))
                .collect()
        }
        None => HashMap::new(),
    };
    let decoded = new_tree
        .decode()
        .map_err(|e| git_error("cannot decode a tree", e))?;
    for entry in &decoded.entries {
        let before = old_entries.get(entry.filename.as_bytes());
        if before.is_some_and(|(_, id)| id.as_ref() == entry.oid) {
            continue;
        }
        let path = if prefix.is_empty() {
            entry.filename.to_str_lossy().into_owned()
        } else {
            format!("{prefix}/{}", entry.filename.to_str_lossy())
        };
        if entry.mode.is_tree() {
            let old_sub = before.filter(|(is_tree, _)| *is_tree).map(|(_, id)| *id);
            changed_blobs(repo, entry.oid.to_owned(), old_sub, &path, out)?;
        } else if entry.mode.is_blob() {
            out.push((path, entry.oid.to_owned()));
        }
    }
    Ok(())
}
