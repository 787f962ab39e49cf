use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::report::report;
use super::{worker_threads, EXIT_OK};
use crate::baseline::Baseline;
use crate::cli::ScanArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::Format as ReportFormat;
use crate::scan::{scan, Mode, Progress, ScanRequest};
use crate::source::stdin;

pub(super) fn run(args: &ScanArgs, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Result<u8> {
    let started = Instant::now();
    let stream = reads_stdin(args)?;
    distinct_outputs(args)?;
    let first = match stream {
        true => stream_dir(args),
        false => args.paths.first().map_or(Path::new("."), |p| p.as_path()),
    };
    let mut config = Config::load(args.config.as_deref(), first)?;
    let root = crate::source::repository_root(first);
    config.anchor(&root);
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let mode = scan_mode(args)?;
    if matches!(mode, Mode::Worktree | Mode::Staged) && !stream {
        require_existing(&args.paths)?;
    }
    let display = progress_display(&mode, args.format);
    let progress = |p: Progress| {
        if let Some(display) = &display {
            display.update(p);
        }
    };
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
        progress: display
            .as_ref()
            .map(|_| &progress as &(dyn Fn(Progress) + Sync)),
        cache: !args.no_cache,
        frames: args.format == crate::report::Format::Human,
    };
    if stream {
        return run_stream(args, &request, &root, stdin, started, stdout);
    }
    let output = scan(&request)?;
    if let Some(display) = &display {
        display.finish();
    }
    if let Some(path) = &args.write_baseline {
        crate::io::write_atomic(path, Baseline::render(&output.findings).as_bytes(), 0o644)?;
        return Ok(EXIT_OK);
    }
    if args.fix {
        return super::fix::scan_fix(args, &request, &output, started, stdout);
    }
    let code = report(args, &output, config.max_file_size, started, stdout);
    // The process ends here: freeing 100k findings one by one took a tenth of such a run.
    // Findings hold no values (those are zeroized where detection drops them).
    std::mem::forget(output);
    code
}

/// `scan -`: one stream from standard input, reported as `--stdin-filename` (or `<stdin>`).
fn run_stream(
    args: &ScanArgs,
    request: &ScanRequest,
    root: &Path,
    input: &mut dyn Read,
    started: Instant,
    stdout: &mut dyn Write,
) -> Result<u8> {
    let name = match &args.stdin_filename {
        Some(named) => crate::source::relative_path(root, named),
        None => stdin::NAME.to_string(),
    };
    if std::io::stdin().is_terminal() {
        say!("(tty detected: expecting a stream on standard input, e.g. `kubectl kustomize DIR | sealant scan -`)");
    }
    let cap = request.config.max_file_size;
    let bytes = stdin::read(input, cap)?;
    let output = crate::scan::scan_stream(request, root, &name, &bytes);
    if let Some(path) = &args.write_baseline {
        crate::io::write_atomic(path, Baseline::render(&output.findings).as_bytes(), 0o644)?;
        return Ok(EXIT_OK);
    }
    let frames = frame_text(&name, &bytes);
    let source = |f: &crate::finding::Finding| (f.path == name).then(|| frames.clone()).flatten();
    super::report::report_from(args, &output, &source, started, stdout)
}

/// Whether the paths are `-` (standard input), refusing what cannot go with one stream.
fn reads_stdin(args: &ScanArgs) -> Result<bool> {
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    let refusal = if !dash {
        args.stdin_filename.as_ref().map(|_| {
            (
                "--stdin-filename names standard input, which is read only for the path `-`",
                "pipe the stream in: `kubectl kustomize DIR | sealant scan - --stdin-filename NAME`",
            )
        })
    } else if args.paths.len() > 1 {
        Some((
            "`-` (standard input) cannot be combined with other paths",
            "scan the stream and the files in two runs",
        ))
    } else if args.staged || args.range.is_some() || args.history {
        Some((
            "`-` (standard input) cannot be combined with --staged, --range or --history, which read git",
            "scan the stream alone, or the repository with the git option",
        ))
    } else if args.fix {
        Some((
            "--fix cannot seal standard input: there is no file to write the sealed Secret back to",
            "save the stream to a file in the repository and run `sealant scan --fix FILE`",
        ))
    } else {
        None
    };
    match refusal {
        Some((message, help)) => Err(Error::usage(message, Some(help.to_string()))),
        None => Ok(dash),
    }
}

/// The report and the SARIF file go to two places: one file for both would keep only the
/// last written.
fn distinct_outputs(args: &ScanArgs) -> Result<()> {
    let Some(sarif) = &args.sarif else {
        return Ok(());
    };
    let stdout = std::path::PathBuf::from("-");
    let output = args.output.as_ref().unwrap_or(&stdout);
    // Where a path lands, whether the file exists yet or not.
    let place = |p: &Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let dir = std::fs::canonicalize(crate::io::parent_dir(p)).ok()?;
            Some(dir.join(p.file_name()?))
        })
    };
    let same = output == sarif || place(output).is_some_and(|o| place(sarif) == Some(o));
    match same {
        true => Err(Error::usage(
            format!("-o and --sarif name the same file, {}", output.display()),
            Some("write the SARIF report to a file of its own, or use `--format sarif`".into()),
        )),
        false => Ok(()),
    }
}

/// Where a stream's configuration is looked up: the directory of `--stdin-filename` if it
/// exists, else the current one.
fn stream_dir(args: &ScanArgs) -> &Path {
    args.stdin_filename
        .as_deref()
        .and_then(Path::parent)
        .filter(|dir| dir.is_dir())
        .unwrap_or(Path::new("."))
}

/// The stream's text as code frames may show it, or `None` for a binary stream. Frames find
/// the values to redact by the reported name's file type, and `<stdin>` has none: the values
/// found in it as YAML are blanked here first (`*` for each byte but line breaks, so lines
/// and offsets stay; the reported ones become `<redacted>` in the frame).
fn frame_text(name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let crate::source::Content::Text(text) = crate::source::sniff(bytes) else {
        return None;
    };
    let mut text = text.into_owned();
    let type_name = stdin::type_name(name);
    if type_name != name {
        for span in crate::report::redact::value_spans(type_name, &text.clone()) {
            text[span]
                .iter_mut()
                .filter(|b| !matches!(**b, b'\n' | b'\r'))
                .for_each(|b| *b = b'*');
        }
    }
    Some(text)
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

/// Seconds between progress lines in CI logs.
const CI_PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// How a git scan shows progress on stderr: a line redrawn in place on a terminal; in CI (`CI`
/// set, stderr not a terminal) a plain line at most every few seconds for a history or range
/// walk, and never beside a machine-read report. None for a working-tree scan.
fn progress_display(mode: &Mode, format: ReportFormat) -> Option<ProgressDisplay> {
    if *mode == Mode::Worktree {
        return None;
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if std::io::stderr().is_terminal() {
        Some(ProgressDisplay::new(true))
    } else if ci
        && matches!(mode, Mode::History(_) | Mode::Range(_))
        && !matches!(format, ReportFormat::Json | ReportFormat::Sarif)
    {
        Some(ProgressDisplay::new(false))
    } else {
        None
    }
}

struct ProgressDisplay {
    terminal: bool,
    state: Mutex<CiState>,
}

/// When the last CI line was written and what it said, and the newest progress seen (threads
/// report out of order: the one with the most files is the newest).
#[derive(Default)]
struct CiState {
    last: Option<Instant>,
    written: u64,
    newest: Progress,
}

impl ProgressDisplay {
    fn new(terminal: bool) -> ProgressDisplay {
        ProgressDisplay {
            terminal,
            state: Mutex::new(CiState::default()),
        }
    }

    fn update(&self, p: Progress) {
        if self.terminal {
            // Redrawn at most every 64 files.
            if p.files.is_multiple_of(64) || p.files == p.total_files {
                say_inline!("\r\x1b[2Kscanning: {}", progress_text(&p));
            }
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if p.files > state.newest.files {
            state.newest = p;
        }
        let now = Instant::now();
        if is_due(state.last, now, CI_PROGRESS_EVERY) {
            say!("scanning: {}", progress_text(&state.newest));
            state.last = Some(now);
            state.written = state.newest.files;
        }
    }

    /// Clears the terminal line, or writes the CI log's last line.
    fn finish(&self) {
        if self.terminal {
            say_inline!("\r\x1b[2K");
            return;
        }
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.newest.files > state.written {
            say!("scanning: {}", progress_text(&state.newest));
        }
    }
}

/// Whether a CI line is due: the first one, then one per `every`.
fn is_due(last: Option<Instant>, now: Instant, every: Duration) -> bool {
    last.is_none_or(|last| now.duration_since(last) >= every)
}

fn progress_text(p: &Progress) -> String {
    format!(
        "{}/{} blobs, {:.1} MiB, {} commits",
        p.files,
        p.total_files,
        p.bytes as f64 / (1024.0 * 1024.0),
        p.commits
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_lines_come_first_then_once_per_interval() {
        let start = Instant::now();
        let every = Duration::from_secs(5);
        assert!(is_due(None, start, every));
        assert!(!is_due(Some(start), start + Duration::from_secs(4), every));
        assert!(is_due(Some(start), start + every, every));
    }

    #[test]
    fn sizes_are_in_mib() {
        let p = Progress {
            files: 1,
            bytes: 3 * 1024 * 1024 / 2,
            total_files: 2,
            commits: 3,
        };
        assert_eq!(progress_text(&p), "1/2 blobs, 1.5 MiB, 3 commits");
    }
}
