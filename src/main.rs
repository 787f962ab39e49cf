use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;
use sealant::cli::{Cli, Command};
use sealant::commands::hints::kubeseal_hint;
use sealant::commands::{error_text, run, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    if reads_stdin(&cli) && std::io::stdin().is_terminal() {
        let _ = writeln!(
            std::io::stderr(),
            "(tty detected: expecting a YAML or JSON manifest on standard input)"
        );
    }
    let mut stdout = EndsQuietly(std::io::stdout().lock());
    match run(cli, &mut std::io::stdin().lock(), &mut stdout) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // Not `eprintln!`: it panics (exit 101) when stderr is a closed pipe.
            let _ = writeln!(std::io::stderr(), "{}", error_text(&err, stderr_color()));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Errors in colour only for a person at a terminal who did not opt out.
fn stderr_color() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Standard output whose reader may be gone (`sealant scan | head -c1`): what cannot be
/// delivered is dropped, and the run ends with the exit code its findings give, as it would
/// have with the reader still there. Other write errors (a full disk) stay errors.
struct EndsQuietly<W>(W);

impl<W: Write> Write for EndsQuietly<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

fn reads_stdin(cli: &Cli) -> bool {
    match &cli.command {
        Command::Seal(a) => a.file.is_none() && a.from_file.is_none(),
        Command::Unseal(a) => a.file.is_none(),
        Command::Cert(_)
        | Command::Controller(_)
        | Command::Scan(_)
        | Command::Reseal(_)
        | Command::Init(_)
        | Command::Explain { .. }
        | Command::Rules { .. }
        | Command::Where(_)
        | Command::InstallHooks { .. } => false,
    }
}

/// clap's usage error, except that a kubeseal flag is answered with the sealant command that
/// does its job.
fn usage_error(err: clap::Error) -> ExitCode {
    let hint = match (err.kind(), err.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) => {
            let flag = arg.split_once('=').map_or(arg.as_str(), |(flag, _)| flag);
            kubeseal_hint(flag).map(|h| (flag.to_string(), h))
        }
        _ => None,
    };
    let Some((arg, hint)) = hint else { err.exit() };
    let _ = writeln!(
        std::io::stderr(),
        "error: sealant has no {arg} (a kubeseal flag)\n  {hint}\n\nFor more information, try '--help'."
    );
    ExitCode::from(EXIT_ERROR)
}
