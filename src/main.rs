use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use sealant::cli::{Cli, Command};
use sealant::commands::{run, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if reads_stdin(&cli) && std::io::stdin().is_terminal() {
        eprintln!("(tty detected: expecting a YAML or JSON manifest on standard input)");
    }
    match run(
        cli,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
    ) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(EXIT_ERROR)
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
        | Command::InstallHooks { .. } => false,
    }
}
