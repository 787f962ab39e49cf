//! `.sealant.yaml`: excludes, size cap, allowlist and fingerprint salt.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::crypto::Cert;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::fingerprint::DEFAULT_SALT;

/// File names searched for, in order, walking up from the scanned path.
pub const CONFIG_NAMES: &[&str] = &[".sealant.yaml", ".sealant.yml"];
pub const DEFAULT_MAX_FILE_SIZE: u64 = crate::io::MAX_INPUT;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<String>,
    max_file_size: Option<SizeValue>,
    fingerprint_salt: Option<String>,
    #[serde(default)]
    allow: Vec<RawAllow>,
    #[serde(default)]
    certs: Vec<RawCert>,
    /// The scope `scan --fix` seals with when a Secret has no scope annotation.
    scope: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCert {
    name: String,
    cert: PathBuf,
    sha256: String,
    paths: Option<Vec<String>>,
    roots: Option<Vec<String>>,
}

/// A controller cert pinned for the deployment roots and paths of its cluster.
#[derive(Debug)]
pub struct PinnedCert {
    pub name: String,
    pub cert: Cert,
    paths: GlobSet,
    /// Deployment roots (Flux Kustomization files or directories, kustomization directories,
    /// Argo CD Application files), normalized, relative to the config file's directory.
    pub(crate) roots: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAllow {
    path: Option<String>,
    rule: Option<String>,
    fingerprint: Option<String>,
    #[allow(dead_code)] // documentation for humans; kept so that it is accepted
    reason: Option<String>,
}

/// One allowlist entry: a finding is allowed when every field given matches.
#[derive(Debug)]
pub struct Allow {
    path: Option<GlobSet>,
    rule: Option<String>,
    fingerprint: Option<String>,
}

impl Allow {
    /// `path` is the finding's path relative to the config file.
    pub fn allows(&self, finding: &Finding, path: &str) -> bool {
        self.path.as_ref().is_none_or(|g| g.is_match(path))
            && self.rule.as_ref().is_none_or(|r| *r == finding.rule)
            && self
                .fingerprint
                .as_ref()
                .is_none_or(|f| *f == finding.fingerprint)
    }
}

/// The effective configuration.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    pub exclude: Globs,
    pub exclude_patterns: Vec<String>,
    pub max_file_size: u64,
    pub fingerprint_salt: String,
    pub allow: Vec<Allow>,
    /// In order: the roots that deploy a file give its certs; failing those, the first whose
    /// paths match it.
    pub certs: Vec<PinnedCert>,
    /// Scope for `scan --fix` when the Secret has no scope annotation (strict if unset).
    pub scope: Option<crate::crypto::Scope>,
    /// The config file's directory relative to the scan's root, `/`-terminated ("" at the
    /// root): globs are relative to the config file, paths in findings to the root.
    prefix: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            exclude: Globs::default(),
            exclude_patterns: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            fingerprint_salt: DEFAULT_SALT.to_string(),
            allow: Vec::new(),
            certs: Vec::new(),
            scope: None,
            prefix: String::new(),
        }
    }
}

impl Config {
    /// `explicit` if given, else the nearest config file above `start`, else the defaults.
    pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Config> {
        match explicit
            .map(Path::to_path_buf)
            .or_else(|| find_config(start))
        {
            Some(path) => Config::from_file(&path),
            None => Ok(Config::default()),
        }
    }

    pub fn from_file(path: &Path) -> Result<Config> {
        let text = crate::io::read_text(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse_in(&text, &path.display().to_string(), base).map(|c| Config {
            path: Some(path.to_path_buf()),
            ..c
        })
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config> {
        Config::parse_in(text, origin, Path::new("."))
    }

    /// Parses a configuration whose relative cert paths start at `base`.
    pub fn parse_in(text: &str, origin: &str, base: &Path) -> Result<Config> {
        let raw: RawConfig = if text.trim().is_empty() {
            RawConfig::default()
        } else {
            crate::yaml::de::from_str(text).map_err(|e| Error::Parse {
                origin: match e.line_column(text) {
                    Some((line, column)) => format!("{origin}:{line}:{column}"),
                    None => origin.to_string(),
                },
                message: format!("invalid configuration: {e}"),
            })?
        };
        let max_file_size = match raw.max_file_size {
            None => DEFAULT_MAX_FILE_SIZE,
            Some(SizeValue::Bytes(n)) => n,
            Some(SizeValue::Text(t)) => crate::size::parse(&t).map_err(|_| {
                Error::input_help(
                    origin,
                    format!("max-file-size {t:?} is not a size"),
                    "write it like 10MiB, 512KiB or 1048576",
                )
            })?,
        };
        let scope = raw
            .scope
            .as_deref()
            .map(|s| {
                s.parse::<crate::crypto::Scope>().map_err(|_| {
                    Error::input_help(
                        origin,
                        format!("scope {s:?} is not a sealing scope"),
                        "write strict, namespace-wide or cluster-wide",
                    )
                })
            })
            .transpose()?;
        let certs: Vec<PinnedCert> = raw
            .certs
            .into_iter()
            .map(|c| pin(c, origin, base))
            .collect::<Result<_>>()?;
        disjoint_roots(&certs, origin)?;
        Ok(Config {
            path: None,
            scope,
            exclude: exclude_globs(&raw.exclude, origin)?,
            exclude_patterns: raw.exclude,
            max_file_size,
            fingerprint_salt: raw
                .fingerprint_salt
                .unwrap_or_else(|| DEFAULT_SALT.to_string()),
            allow: raw
                .allow
                .into_iter()
                .map(|a| {
                    Ok(Allow {
                        path: a.path.map(|p| globs(&[p], origin)).transpose()?,
                        rule: a.rule,
                        fingerprint: a.fingerprint,
                    })
                })
                .collect::<Result<_>>()?,
            certs,
            prefix: String::new(),
        })
    }

    /// Makes globs apply relative to the config file when paths are relative to `root`.
    pub fn anchor(&mut self, root: &Path) {
        let Some(dir) = self.path.as_ref().and_then(|p| p.parent()) else {
            return;
        };
        let rel = crate::paths::relative_path(root, dir);
        self.prefix = if rel == "." || rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
    }

    /// A root-relative path as the config's globs see it; `None` outside the config's directory.
    fn local<'a>(&self, path: &'a str) -> Option<&'a str> {
        path.strip_prefix(self.prefix.as_str())
    }

    /// Whether the `exclude:` globs exclude a root-relative path.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.local(path).is_some_and(|p| self.exclude.is_match(p))
    }

    /// The cert whose `paths:` match a repository-relative path (see
    /// `graph::Deployments::certs_for` for the certs its deployment roots give it).
    pub fn cert_for(&self, path: &str) -> Option<&PinnedCert> {
        let path = self.local(path)?;
        self.certs.iter().find(|c| c.paths.is_match(path))
    }

    /// Whether any `certs:` entry names deployment roots.
    pub fn has_roots(&self) -> bool {
        self.certs.iter().any(|c| !c.roots.is_empty())
    }

    /// Every `(cert index, root)` of whose root `file` (root-relative) is, or lies under.
    pub(crate) fn roots_holding(&self, file: &str) -> Vec<(usize, &str)> {
        let Some(file) = self.local(file) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, cert) in self.certs.iter().enumerate() {
            for root in &cert.roots {
                if crate::paths::is_under(file, root) {
                    out.push((i, root.as_str()));
                }
            }
        }
        out
    }

    pub fn is_allowed(&self, finding: &Finding) -> bool {
        let Some(path) = self.local(&finding.path) else {
            return false;
        };
        self.allow.iter().any(|a| a.allows(finding, path))
    }
}

/// A root as a person reads it: `.` for the configuration's whole directory.
pub(crate) fn shown_root(root: &str) -> &str {
    if root.is_empty() {
        "."
    } else {
        root
    }
}

/// Refuses roots of two certs where one holds the other: a file deployed from both would be
/// judged against both certs, and one of the two judgements would be wrong.
fn disjoint_roots(certs: &[PinnedCert], origin: &str) -> Result<()> {
    let holds = |outer: &str, inner: &str| crate::paths::is_under(inner, outer);
    for (i, a) in certs.iter().enumerate() {
        for b in &certs[i + 1..] {
            for (ra, rb) in a
                .roots
                .iter()
                .flat_map(|ra| b.roots.iter().map(move |rb| (ra, rb)))
            {
                if holds(ra, rb) || holds(rb, ra) {
                    return Err(Error::input_help(
                        origin,
                        format!("roots overlap: {:?} of cert {:?} and {:?} of cert {:?}", shown_root(ra), a.name, shown_root(rb), b.name),
                        "give each cluster's cert the roots that deploy to that cluster alone (e.g. clusters/production and clusters/staging)",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Loads a pinned cert and checks it against its pin: a mismatch is an error, never a fallback.
fn pin(raw: RawCert, origin: &str, base: &Path) -> Result<PinnedCert> {
    let file = base.join(&raw.cert);
    let entry = format!("certs entry `{}` (in {origin})", raw.name);
    let at = format!("cert file {}", raw.cert.display());
    let pem = crate::io::read_key_file(&file).map_err(|e| cert_file_error(&entry, &at, e))?;
    let cert = Cert::from_pem(&pem).map_err(|e| Error::crypto(format!("{entry}: {at}"), e))?;
    let pinned = raw.sha256.trim().to_ascii_lowercase().replace(':', "");
    if cert.fingerprint() != pinned {
        return Err(Error::input_help(
            origin,
            format!("cert {:?} ({}) has fingerprint {}, but its pin is {pinned}", raw.name, file.display(), cert.fingerprint()),
            "if the controller's key was rotated on purpose, update the pin (`sealant cert pin FILE --name NAME …`); otherwise the cert file is not the one you trusted",
        ));
    }
    // After the cert file: a bad file is the first thing to fix.
    let serves = |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| !l.is_empty());
    if !serves(&raw.paths) && !serves(&raw.roots) {
        return Err(Error::input_help(
            &entry,
            "names neither `roots:` nor `paths:` (or only empty lists), so it serves nothing"
                .to_string(),
            "add `roots:` (the Flux Kustomizations, kustomization directories or Argo CD Applications that deploy to its cluster) or `paths:` (globs), relative to the configuration file's directory",
        ));
    }
    let roots = raw
        .roots
        .unwrap_or_default()
        .iter()
        .map(|r| root_path(r, &entry))
        .collect::<Result<_>>()?;
    let paths = raw.paths.unwrap_or_default();
    let paths = paths.iter().map(|p| {
        Glob::new(p).map_err(|e| Error::input(origin, format!("invalid glob {p:?}: {e}")))
    });
    let mut builder = GlobSetBuilder::new();
    for glob in paths {
        builder.add(glob?);
    }
    let paths = builder
        .build()
        .map_err(|e| Error::input(origin, format!("invalid globs: {e}")))?;
    Ok(PinnedCert {
        name: raw.name,
        cert,
        paths,
        roots,
    })
}

/// A `roots:` entry, normalized (`./clusters/prod/` → `clusters/prod`, `.` → ``); one that
/// leads out of the config file's directory is refused.
fn root_path(root: &str, entry: &str) -> Result<String> {
    if root.starts_with('/') || root.starts_with('\\') || root.get(1..2) == Some(":") {
        return Err(Error::input_help(
            entry,
            format!("root {root:?} is an absolute path"),
            "roots are relative to the configuration file's directory",
        ));
    }
    let normal = crate::paths::normalize(root);
    let normal = if normal == "." { String::new() } else { normal };
    if crate::paths::is_outside(&normal) {
        return Err(Error::input_help(
            entry,
            format!("root {root:?} is outside the configuration file's directory"),
            "roots are relative to the configuration file's directory",
        ));
    }
    Ok(normal)
}

/// A cert file that cannot be read, named by the `certs:` entry that refers to it.
fn cert_file_error(entry: &str, at: &str, err: Error) -> Error {
    let why = match err {
        Error::Read { source, .. } => crate::error::io_reason(&source),
        Error::Input { message, .. } => message,
        other => other.to_string(),
    };
    Error::input_help(
        entry,
        format!("{at}: {why}"),
        "the `cert:` path is relative to the directory holding .sealant.yaml",
    )
}

/// The nearest config file from `start` (its directory, for a file) up to the repository root,
/// the nearest directory holding `.git`, and never above it: a file outside the repository
/// must not switch checks off. Outside any repository it looks in `start`'s directory only,
/// which is then the scan's root too (see `paths::repository_root`).
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = lexical(&std::path::absolute(start).ok()?);
    let dir = if start.is_file() {
        start.parent()?.to_path_buf()
    } else {
        start
    };
    let top = crate::paths::enclosing_repository(&dir).unwrap_or_else(|| dir.clone());
    dir.ancestors()
        .take_while(|d| d.starts_with(&top))
        .flat_map(|dir| CONFIG_NAMES.iter().map(move |name| dir.join(name)))
        .find(|p| p.is_file())
}

/// `a/b/../c` → `a/c` without touching the file system, so that `..` cannot lead a bounded
/// search above its bound.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Globs match repository-relative `/`-separated paths; a pattern without `/` matches at any
/// depth, as in `.gitignore`.
fn globs(patterns: &[String], origin: &str) -> Result<GlobSet> {
    globs_named(patterns, origin, &|_| origin.to_string())
}

/// [`globs`], naming the `i`th pattern `entry(i)` in an error about it.
fn globs_named(
    patterns: &[String],
    origin: &str,
    entry: &dyn Fn(usize) -> String,
) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let anchored = pattern.trim_start_matches('/');
        let full = if pattern.contains('/') {
            anchored.to_string()
        } else {
            format!("**/{anchored}")
        };
        for p in [full.clone(), format!("{}/**", full.trim_end_matches('/'))] {
            let glob = Glob::new(&p)
                .map_err(|e| Error::input(entry(i), format!("invalid glob {pattern:?}: {e}")))?;
            builder.add(glob);
        }
    }
    builder
        .build()
        .map_err(|e| Error::input(origin, format!("invalid globs: {e}")))
}

/// Most `exclude:` entries accepted.
pub const MAX_EXCLUDES: usize = 100_000;

/// Entries compiled together: one set of tens of thousands of globs exceeds the regex size
/// limit, several smaller sets do not.
const EXCLUDES_PER_SET: usize = 256;

/// The `exclude:` globs, as a few sets.
#[derive(Debug, Default)]
pub struct Globs(Vec<GlobSet>);

impl Globs {
    pub fn is_match(&self, path: &str) -> bool {
        self.0.iter().any(|set| set.is_match(path))
    }

    /// Whether no path matches: there are no globs.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(GlobSet::is_empty)
    }
}

/// Compiles `exclude:`; an error names the entry (`exclude[INDEX]`, counted from 0).
fn exclude_globs(patterns: &[String], origin: &str) -> Result<Globs> {
    if patterns.len() > MAX_EXCLUDES {
        return Err(Error::input_help(
            format!("{origin}: exclude"),
            format!(
                "{} entries; at most {MAX_EXCLUDES} are accepted",
                patterns.len()
            ),
            "exclude whole directories (`vendor/`) or use wildcards instead of listing files",
        ));
    }
    patterns
        .chunks(EXCLUDES_PER_SET)
        .enumerate()
        .map(|(chunk, part)| {
            let first = chunk * EXCLUDES_PER_SET;
            let entry = |i: usize| format!("{origin}: exclude[{}]", first + i);
            let last = first + part.len() - 1;
            globs_named(
                part,
                &format!("{origin}: exclude[{first}..={last}]"),
                &entry,
            )
        })
        .collect::<Result<_>>()
        .map(Globs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Severity};

    fn finding(path: &str, rule: &str, fp: &str) -> Finding {
        Finding {
            rule: rule.into(),
            category: Category::Leak,
            severity: Severity::Error,
            path: path.into(),
            line: 1,
            column: 1,
            span: 0..0,
            message: String::new(),
            fingerprint: fp.into(),
            commit: None,
        }
    }

    #[test]
    fn parses_every_field() {
        let c = Config::parse(
            "exclude: [vendor, 'charts/*/templates/**']\nmax-file-size: 1MiB\nfingerprint-salt: abc\nallow:\n  - path: testdata/**\n    rule: k8s-secret-data\n    reason: fixtures\n  - fingerprint: ff00\n",
            "c",
        )
        .unwrap();
        assert_eq!(c.max_file_size, 1024 * 1024);
        assert_eq!(c.fingerprint_salt, "abc");
        assert!(c.exclude.is_match("a/vendor/x.yaml"));
        assert!(c.exclude.is_match("charts/app/templates/s.yaml"));
        assert!(!c.exclude.is_match("charts/app/values.yaml"));
        assert!(c.is_allowed(&finding("testdata/x.yaml", "k8s-secret-data", "1")));
        assert!(!c.is_allowed(&finding("testdata/x.yaml", "github-token", "1")));
        assert!(c.is_allowed(&finding("anything", "any", "ff00")));
    }

    #[test]
    fn unknown_fields_and_bad_sizes_are_errors_with_a_location() {
        let err = Config::parse("exclude: []\nexlcude: [x]\n", ".sealant.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains(".sealant.yaml:2"), "{err}");
        assert!(Config::parse("max-file-size: lots\n", "c").is_err());
    }

    fn pin_to(cert: &str) -> String {
        Config::parse(
            &format!("certs:\n  - name: a\n    cert: {cert}\n    sha256: ab\n    paths: []\n"),
            "c",
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn roots_are_normalized_and_hold_the_files_under_them() {
        let cert = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/vectors/cert2048.pem");
        let text = format!("certs:\n  - name: a\n    cert: {cert}\n    sha256: 1701b6a7c91c2bd9fb5781eca7d8912cbbb8c0fbb4b9d939585e4cc3f4c946d9\n    roots: [./clusters/prod/, argocd/app.yaml]\n");
        let c = Config::parse(&text, "c").unwrap();
        assert!(c.has_roots());
        assert_eq!(
            c.roots_holding("clusters/prod/flux.yaml"),
            [(0, "clusters/prod")]
        );
        assert_eq!(c.roots_holding("argocd/app.yaml"), [(0, "argocd/app.yaml")]);
        assert!(c.roots_holding("clusters/production/flux.yaml").is_empty());
        assert!(
            c.cert_for("clusters/prod/flux.yaml").is_none(),
            "no paths: given"
        );
        let everything = text.replace("[./clusters/prod/, argocd/app.yaml]", "[.]");
        let c = Config::parse(&everything, "c").unwrap();
        assert_eq!(c.roots_holding("a/b.yaml"), [(0, "")]);
    }

    #[test]
    fn an_absolute_root_is_refused_not_read_as_relative() {
        let cert = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/vectors/cert2048.pem");
        for root in ["/clusters/prod", "/tmp/repo/clusters/prod"] {
            let text = format!("certs:\n  - name: a\n    cert: {cert}\n    sha256: 1701b6a7c91c2bd9fb5781eca7d8912cbbb8c0fbb4b9d939585e4cc3f4c946d9\n    roots: [{root}]\n");
            let err = Config::parse(&text, "c").unwrap_err().to_string();
            assert!(err.contains("is an absolute path"), "{root}: {err}");
        }
    }

    #[test]
    fn roots_of_two_certs_must_not_hold_one_another() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors");
        let fp = |f: &str| {
            let pem = std::fs::read_to_string(dir.join(f)).unwrap();
            Cert::from_pem(&pem).unwrap().fingerprint()
        };
        let two = |a: &str, b: &str| {
            format!(
                "certs:\n  - name: prod\n    cert: cert2048.pem\n    sha256: {}\n    roots: [{a}]\n  - name: stg\n    cert: cert4096.pem\n    sha256: {}\n    roots: [{b}]\n",
                fp("cert2048.pem"),
                fp("cert4096.pem")
            )
        };
        Config::parse_in(&two("clusters/prod", "clusters/production"), "c", &dir).unwrap();
        for (a, b) in [
            ("clusters", "clusters/staging"),
            ("x/y", "x/y"),
            (".", "clusters/stg"),
        ] {
            let err = Config::parse_in(&two(a, b), "c", &dir)
                .unwrap_err()
                .to_string();
            assert!(err.contains("roots overlap"), "{a} {b}: {err}");
        }
    }

    /// Found with the config fuzz target (fuzz/regressions/config): `cert: /dev/zero` ran out of memory.
    #[cfg(unix)]
    #[test]
    fn pinned_cert_that_is_a_device_is_refused_unread() {
        let err = pin_to("/dev/zero");
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_cert_entry_serves_roots_or_paths_but_not_nothing() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors");
        let pem = std::fs::read_to_string(dir.join("cert2048.pem")).unwrap();
        let fp = Cert::from_pem(&pem).unwrap().fingerprint();
        let entry = |serves: &str| {
            format!("certs:\n  - name: a\n    cert: cert2048.pem\n    sha256: {fp}\n{serves}")
        };
        for serves in ["    roots: [clusters/prod]\n", "    paths: [\"**\"]\n"] {
            Config::parse_in(&entry(serves), "c", &dir).unwrap();
        }
        for serves in ["", "    paths: []\n"] {
            let err = Config::parse_in(&entry(serves), "c", &dir).unwrap_err();
            assert!(err.to_string().contains("serves nothing"), "{err}");
        }
    }

    #[test]
    fn pinned_cert_file_read_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'A'; crate::io::MAX_KEY_FILE as usize + 10]).unwrap();
        let err = pin_to(&big.display().to_string());
        assert!(err.contains("larger than"), "{err}");
    }
}
