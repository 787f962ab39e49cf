use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::{check_cert, emit, load_cert, EXIT_OK};
use crate::cli::{CertPinArgs, PinEntryArgs};
use crate::config::{find_config, Config};
use crate::crypto::Cert;
use crate::error::{Error, Result};
use crate::pin::{Entry, Outcome, Serves};

pub(super) fn fingerprint(path: &Path, stdout: &mut dyn Write) -> Result<u8> {
    let cert = load_cert(path, true)?;
    emit(
        None,
        format!("{}\n", cert.fingerprint()).as_bytes(),
        0o644,
        stdout,
    )?;
    Ok(EXIT_OK)
}

/// `sealant cert pin`: the entry goes into the configuration file found or named.
pub(super) fn pin(args: &CertPinArgs, stdout: &mut dyn Write) -> Result<u8> {
    let config = match &args.config {
        Some(path) => path.clone(),
        None => find_config(Path::new(".")).ok_or_else(|| {
            Error::usage(
                "no .sealant.yaml in the working directory or above it (up to the repository root)".to_string(),
                Some("run `sealant init --cert FILE --name NAME --root PATH` to write one with this pin, or pass --config FILE".to_string()),
            )
        })?,
    };
    let text = crate::io::read_text(&config)?;
    let pinned = PinRequest::new(&args.cert, &args.entry)?.write(&config, &text)?;
    report(&pinned, stdout)
}

/// What `cert pin` and `init --cert` were asked to pin.
pub(super) struct PinRequest<'a> {
    source: &'a str,
    name: &'a str,
    entry: &'a PinEntryArgs,
    cert: Cert,
    pem: String,
}

/// The entry written, for the report.
pub(super) struct Pinned {
    config: PathBuf,
    outcome: Outcome,
    entry: Entry,
    copied: Option<PathBuf>,
}

impl<'a> PinRequest<'a> {
    pub(super) fn new(source: &'a str, entry: &'a PinEntryArgs) -> Result<Self> {
        let name = entry
            .name
            .as_deref()
            .ok_or_else(|| Error::usage("pinning a cert needs --name NAME".to_string(), None))?;
        if !crate::pin::valid_name(name) {
            return Err(Error::usage(
                format!("--name {name:?} is not a usable entry name"),
                Some("use letters, digits, '.', '_' and '-' (at most 63): it also names the cert file certs/NAME.pem".to_string()),
            ));
        }
        if entry.roots.is_empty() && entry.paths.is_empty() {
            return Err(Error::usage(
                "pinning a cert needs --root PATH… (the deployment roots of its cluster) or --paths GLOB…".to_string(),
                None,
            ));
        }
        let pem = if crate::fetch::is_url(source) {
            crate::fetch::fetch_text(source)?
        } else {
            crate::io::read_key_file(Path::new(source))?
        };
        let cert = check_cert(source, &pem, entry.allow_expired_cert)?;
        Ok(PinRequest {
            source,
            name,
            entry,
            cert,
            pem,
        })
    }

    /// Adds the entry to `text` (the file at `config`, or the one about to be written there),
    /// saves a cert from elsewhere as `certs/NAME.pem`, checks that the result loads, and
    /// writes it atomically. On any failure nothing is left changed.
    pub(super) fn write(&self, config: &Path, text: &str) -> Result<Pinned> {
        let origin = config.display().to_string();
        let dir = config
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (cert_path, copy) = self.cert_location(dir)?;
        let entry = Entry {
            name: self.name.to_string(),
            cert: cert_path,
            sha256: self.cert.fingerprint(),
            serves: self.serves(dir, &origin)?,
        };
        let (edited, outcome) = crate::pin::upsert(text, &entry).map_err(|why| {
            Error::input_help(
                &origin,
                format!("cannot add the certs entry safely: {why}"),
                "add it by hand (see `sealant cert fingerprint FILE`), or fix the file and run again",
            )
        })?;
        let restore = match &copy {
            Some(path) => Some(self.save_cert(path)?),
            None => None,
        };
        let written = Config::parse_in(&edited, &origin, dir)
            .and_then(|_| crate::io::write_atomic(config, edited.as_bytes(), 0o644));
        if let Err(err) = written {
            if let (Some(path), Some(previous)) = (&copy, restore) {
                undo_save(path, previous);
            }
            return Err(err);
        }
        Ok(Pinned {
            config: config.to_path_buf(),
            outcome,
            entry,
            copied: copy,
        })
    }

    /// The `cert:` path, relative to `dir`; a cert outside `dir` (or fetched) is saved in it.
    fn cert_location(&self, dir: &Path) -> Result<(String, Option<PathBuf>)> {
        if !crate::fetch::is_url(self.source) {
            let inside = std::fs::canonicalize(self.source)
                .ok()
                .zip(std::fs::canonicalize(dir).ok())
                .and_then(|(file, dir)| file.strip_prefix(&dir).ok().map(Path::to_path_buf));
            if let Some(rel) = inside.and_then(|r| slash_path(&r)) {
                return Ok((rel, None));
            }
        }
        let rel = format!("certs/{}.pem", self.name);
        Ok((rel.clone(), Some(dir.join(rel))))
    }

    fn serves(&self, dir: &Path, origin: &str) -> Result<Serves> {
        if !self.entry.roots.is_empty() {
            let roots = self
                .entry
                .roots
                .iter()
                .map(|r| root(dir, r, origin))
                .collect::<Result<_>>()?;
            return Ok(Serves::Roots(roots));
        }
        for glob in &self.entry.paths {
            globset::Glob::new(glob)
                .map_err(|e| Error::usage(format!("--paths {glob:?}: {e}"), None))?;
        }
        Ok(Serves::Paths(self.entry.paths.clone()))
    }

    /// Writes the cert file; returns what was there before (for [`undo_save`]).
    fn save_cert(&self, path: &Path) -> Result<Option<Vec<u8>>> {
        let previous =
            match std::fs::symlink_metadata(path) {
                Ok(meta) if !meta.is_file() => return Err(Error::input_help(
                    path.display().to_string(),
                    "is not a regular file, so the cert is not saved there",
                    "remove it, or save the cert inside the repository yourself and pin that file",
                )),
                Ok(_) => Some(crate::io::read_key_file(path)?.into_bytes()),
                Err(_) => None,
            };
        if let Some(parent) = path.parent() {
            // `certs/` as a symlink would take the write out of the repository.
            if std::fs::symlink_metadata(parent).is_ok_and(|m| !m.is_dir()) {
                return Err(Error::input_help(
                    parent.display().to_string(),
                    "is a symlink or not a directory, so the cert is not saved there",
                    "make it a plain directory, or save the cert inside the repository yourself and pin that file",
                ));
            }
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        crate::io::write_atomic(path, self.pem.as_bytes(), 0o644)?;
        Ok(previous)
    }
}

/// Puts back what [`PinRequest::save_cert`] replaced; best effort, the error being reported is
/// the one that matters.
fn undo_save(path: &Path, previous: Option<Vec<u8>>) {
    let _ = match previous {
        Some(bytes) => crate::io::write_atomic(path, &bytes, 0o644).map_err(|_| ()),
        None => std::fs::remove_file(path).map_err(|_| ()),
    };
}

/// A deployment root as written in the entry: relative, inside `dir`, and existing.
fn root(dir: &Path, given: &str, origin: &str) -> Result<String> {
    let path = Path::new(given);
    let inside = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    let rel = slash_path(path).filter(|r| inside && !r.is_empty());
    match rel {
        Some(rel) if dir.join(&rel).exists() => Ok(rel),
        _ => Err(Error::input_help(
            origin,
            format!(
                "--root {given:?} is not a file or directory under {}",
                dir.display()
            ),
            "roots are relative to the directory holding .sealant.yaml, like every path in it",
        )),
    }
}

/// `a/./b/` → `a/b`, with `/` separators; `None` for a path that is not UTF-8.
fn slash_path(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_str())
        .collect();
    Some(parts?.join("/"))
}

/// `added certs entry "NAME" to FILE:` and the entry as written.
pub(super) fn report(pinned: &Pinned, stdout: &mut dyn Write) -> Result<u8> {
    let verb = match pinned.outcome {
        Outcome::Added => "added",
        Outcome::Updated => "updated",
    };
    let mut text = String::new();
    if let Some(path) = &pinned.copied {
        text.push_str(&format!("saved the cert as {}\n", shown(path)));
    }
    let entry = &pinned.entry;
    let (key, values) = match &entry.serves {
        Serves::Roots(v) => ("roots", v),
        Serves::Paths(v) => ("paths", v),
    };
    text.push_str(&format!(
        "{verb} certs entry {:?} in {}:\n  cert: {}\n  sha256: {}\n  {key}: {}\n",
        entry.name,
        shown(&pinned.config),
        entry.cert,
        entry.sha256,
        values.join(", ")
    ));
    emit(None, text.as_bytes(), 0o644, stdout)?;
    Ok(EXIT_OK)
}

/// A path as the user would type it: relative to the working directory when under it.
pub(super) fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let rel = path.strip_prefix(&cwd).unwrap_or(path);
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    rel.display().to_string()
}
