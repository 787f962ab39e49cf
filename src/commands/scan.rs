use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::report::report;
use super::{worker_threads, EXIT_OK};
use crate::baseline::Baseline;
use crate::cli::ScanArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::scan::{scan, Mode, Progress, ScanRequest};

pub fn run(args: &ScanArgs, stdout: &mut dyn Write) -> Result<u8> {
    let started = Instant::now();
    let first = args
        .paths
        .first()
        .map_or(std::path::Path::new("."), |p| p.as_path());
    let mut config = Config::load(args.config.as_deref(), first)?;
    config.anchor(&crate::source::repository_root(first));
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let mode = scan_mode(args)?;
    if matches!(mode, Mode::Worktree | Mode::Staged) {
        require_existing(&args.paths)?;
    }
    let show_progress = mode != Mode::Worktree && std::io::stderr().is_terminal();
    let progress = |p: Progress| print_progress(p);
    let keys = if args.keys.is_empty() {
        None
    } else {
        Some(crate::keyring::load_keys(&args.keys)?)
    };
    let request = ScanRequest {
        keys: keys.as_deref(),
        paths: args.paths.clone(),
        config: &config,
        baseline: baseline.as_ref(),
        force_exclude: args.force_exclude,
        threads: worker_threads(args.threads),
        mode,
        progress: if show_progress { Some(&progress) } else { None },
    };
    let output = scan(&request)?;
    if show_progress {
        say_inline!("\r\x1b[2K");
    }
    if let Some(path) = &args.write_baseline {
        crate::io::write_atomic(path, Baseline::render(&output.findings).as_bytes(), 0o644)?;
        return Ok(EXIT_OK);
    }
    if args.fix {
        return super::fix::scan_fix(args, &request, &output, started, stdout);
    }
    report(args, &output, config.max_file_size, started, stdout)
}

/// A path that names nothing is an error, not an empty scan: a typo in CI must not pass.
/// (In `--range` and `--history` a path may name what only the history holds: the scan
/// checks those against the blobs.)
fn require_existing(paths: &[std::path::PathBuf]) -> Result<()> {
    match paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        Some(missing) => Err(crate::error::Error::input(
            missing.display().to_string(),
            "no such file or directory",
        )),
        None => Ok(()),
    }
}

/// The git walk the arguments ask for; `--not-remote R` becomes git's `^refs/remotes/R/*`.
fn scan_mode(args: &ScanArgs) -> Result<Mode> {
    let mut excluded = Vec::new();
    for remote in &args.not_remote {
        let bad = |c: char| c.is_whitespace() || "^*?[\\:~".contains(c);
        if remote.is_empty() || remote.contains(bad) {
            return Err(Error::usage(
                format!("--not-remote {remote:?} is not a remote name"),
                Some("give a remote's name as `git remote` lists it".into()),
            ));
        }
        excluded.push(format!("^refs/remotes/{remote}/*"));
    }
    let mode = match (&args.range, args.staged, args.history) {
        (Some(range), ..) => Mode::Range(
            std::iter::once(range.clone())
                .chain(excluded)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (None, false, true) => Mode::History(args.refs.iter().cloned().chain(excluded).collect()),
        _ if !excluded.is_empty() => {
            return Err(Error::usage(
                "--not-remote needs --range or --history",
                None,
            ))
        }
        (None, true, _) => Mode::Staged,
        (None, false, false) => Mode::Worktree,
    };
    Ok(mode)
}

/// One status line on stderr, redrawn at most every 64 files.
fn print_progress(p: Progress) {
    if p.files.is_multiple_of(64) || p.files == p.total_files {
        say_inline!(
            "\r\x1b[2Kscanning: {}/{} blobs, {:.1} MB, {} commits",
            p.files,
            p.total_files,
            p.bytes as f64 / 1e6,
            p.commits
        );
    }
}
