use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{emit, EXIT_OK};
use crate::error::{Error, Result};

/// The hook scripts, embedded so that an installed binary can install them.
const HOOKS: &[(&str, &str)] = &[
    ("pre-commit", include_str!("../../hooks/pre-commit")),
    ("pre-push", include_str!("../../hooks/pre-push")),
];

/// Installs the hooks into the repository's hooks directory. A foreign hook already there is
/// kept as `<hook>.pre-sealant` and run first; if that name is taken too, nothing is changed.
pub(super) fn install(dir: &Path, stdout: &mut dyn Write) -> Result<u8> {
    let hooks_dir = hooks_dir(dir)?;
    fs::create_dir_all(&hooks_dir).map_err(|source| Error::Write {
        path: hooks_dir.clone(),
        source,
    })?;
    let mut report = String::new();
    for (name, script) in HOOKS {
        let path = hooks_dir.join(name);
        let kept = hooks_dir.join(format!("{name}.pre-sealant"));
        match fs::read_to_string(&path) {
            Ok(existing) if existing == *script => {
                report.push_str(&format!("{}: already installed\n", path.display()));
                continue;
            }
            Ok(_) if kept.exists() => {
                return Err(Error::usage(
                    format!("{} exists and so does {}", path.display(), kept.display()),
                    Some(
                        "merge them by hand, or remove one; then run `sealant install-hooks` again"
                            .to_string(),
                    ),
                ));
            }
            Ok(_) => {
                fs::rename(&path, &kept).map_err(|source| Error::Write {
                    path: kept.clone(),
                    source,
                })?;
                report.push_str(&format!(
                    "{}: kept your hook as {} (it runs first)\n",
                    path.display(),
                    kept.display()
                ));
            }
            Err(_) => {}
        }
        crate::io::write_atomic(&path, script.as_bytes(), 0o755)?;
        report.push_str(&format!("{}: installed\n", path.display()));
    }
    emit(None, report.as_bytes(), 0o644, stdout)?;
    Ok(EXIT_OK)
}

/// `core.hooksPath` if set (relative to the work tree), else `.git/hooks`.
fn hooks_dir(dir: &Path) -> Result<PathBuf> {
    let repo = gix::discover(dir).map_err(|e| {
        Error::usage(
            format!("{} is not inside a git repository ({e})", dir.display()),
            None,
        )
    })?;
    let configured = repo
        .config_snapshot()
        .string("core.hooksPath")
        .map(|p| PathBuf::from(p.to_string()));
    let base = repo
        .workdir()
        .unwrap_or_else(|| repo.git_dir())
        .to_path_buf();
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => base.join(p),
        None => repo.git_dir().join("hooks"),
    })
}
