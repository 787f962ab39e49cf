//! The commands behind the CLI. Each reads its inputs, calls the library and writes its
//! output to the writer it is given.

/// `eprintln!` that never panics: a closed or broken stderr (`2>&-`, a pipe whose reader is
/// gone) must not turn a run into a panic with exit 101, so write errors are dropped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that never panics, as [`say!`].
macro_rules! say_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod cert;
mod controller;
mod explain;
mod fix;
pub mod hints;
mod hooks;
mod init;
mod report;
mod rules;
mod scan;
mod seal;
mod unseal;
mod whereis;

use std::io::{Read, Write};
use std::path::Path;

use crate::cli::{CertCommand, Cli, Command};
use crate::crypto::{Cert, Scope};
use crate::error::{Error, Result};
use crate::io::read_key_file;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for findings at or above the failure threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for usage, configuration or input errors.
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Result<u8> {
    match cli.command {
        Command::Seal(args) => seal::run(&args, stdin, stdout),
        Command::Unseal(args) => unseal::run(&args, stdin, stdout),
        Command::Cert(CertCommand::Fingerprint { file }) => cert::fingerprint(&file, stdout),
        Command::Cert(CertCommand::Pin(args)) => cert::pin(&args, stdout),
        Command::Scan(args) => scan::run(&args, stdin, stdout),
        Command::Reseal(args) => fix::reseal(&args, stdout),
        Command::Init(args) => init::run(&args, stdout),
        Command::Explain { rule } => explain::run(rule.as_deref(), stdout),
        Command::Rules { format, keywords } => rules::run(format, keywords, stdout),
        Command::Where(args) => whereis::run(&args, stdout),
        Command::InstallHooks { dir } => hooks::install(&dir, stdout),
        Command::Controller(command) => controller::run(command, stdout),
    }
}

/// Loads a certificate for sealing from a file or an http(s) URL, refusing an expired one
/// unless allowed.
/// `err` as the CLI shows it on stderr (in colour when `color`), ending with a newline.
pub fn error_text(err: &Error, color: bool) -> String {
    crate::report::error_text(err, color)
}

pub fn load_cert_from(source: &str, allow_expired: bool) -> Result<Cert> {
    if crate::fetch::is_url(source) {
        check_cert(source, &crate::fetch::fetch_text(source)?, allow_expired)
    } else {
        load_cert(Path::new(source), allow_expired)
    }
}

/// Loads a certificate file for sealing, refusing an expired one unless allowed.
pub fn load_cert(path: &Path, allow_expired: bool) -> Result<Cert> {
    check_cert(
        &path.display().to_string(),
        &read_key_file(path)?,
        allow_expired,
    )
}

fn check_cert(origin: &str, pem: &str, allow_expired: bool) -> Result<Cert> {
    let cert = Cert::from_pem(pem).map_err(|e| Error::crypto(origin, e))?;
    if !allow_expired && cert.is_expired_at(std::time::SystemTime::now()) {
        return Err(Error::input_help(
            origin,
            format!("the certificate expired on {}", cert.not_after_text()),
            "fetch the controller's current cert, or pass --allow-expired-cert if the controller still holds this key",
        ));
    }
    Ok(cert)
}

/// Checks that a bare value's scope has the namespace and name it needs.
pub fn raw_binding<'a>(
    scope: Scope,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
) -> Result<(&'a str, &'a str)> {
    if scope.needs_namespace() && namespace.is_none() {
        return Err(Error::usage(
            format!("--raw with {scope} scope needs --namespace"),
            None,
        ));
    }
    if scope.needs_name() && name.is_none() {
        return Err(Error::usage(
            "--raw with strict scope needs --name".to_string(),
            None,
        ));
    }
    Ok((namespace.unwrap_or_default(), name.unwrap_or_default()))
}

/// Writes `contents` to `path` atomically, or to the writer when no path is given.
/// Like [`emit`], but a file is always left with mode 0600 (plaintext, keys).
pub fn emit_private(path: Option<&Path>, contents: &[u8], stdout: &mut dyn Write) -> Result<()> {
    match path {
        Some(path) => crate::io::write_private(path, contents),
        None => emit(None, contents, 0o600, stdout),
    }
}

pub fn emit(
    path: Option<&Path>,
    contents: &[u8],
    new_mode: u32,
    stdout: &mut dyn Write,
) -> Result<()> {
    emit_with(path, new_mode, stdout, &mut |out| out.write_all(contents))
}

/// [`emit`], with the contents written by `write` as they are made.
pub(crate) fn emit_with(
    path: Option<&Path>,
    new_mode: u32,
    stdout: &mut dyn Write,
    write: crate::io::Writes,
) -> Result<()> {
    match path {
        // `-` is standard output, as it is standard input for the paths read.
        Some(path) if path.as_os_str() != "-" => {
            crate::io::write_atomic_with(path, new_mode, write)
        }
        _ => write(stdout)
            .and_then(|()| stdout.flush())
            .map_err(|source| Error::Write {
                path: "<stdout>".into(),
                source,
            }),
    }
}

/// Worker threads when `-j` is not given: one per CPU.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Most worker threads used, whatever `-j` asks: more than a few per CPU only adds stacks and
/// contention (thousands never finish starting).
pub(crate) const MAX_THREADS: usize = 256;

/// `-j N`, clamped to 4 per CPU and [`MAX_THREADS`], with a note on stderr when clamped.
pub(crate) fn worker_threads(requested: Option<usize>) -> usize {
    let cap = (4 * default_threads()).min(MAX_THREADS);
    match requested {
        None | Some(0) => default_threads(),
        Some(n) if n > cap => {
            say!("note: -j {n} is more than this machine can use; using {cap} threads");
            cap
        }
        Some(n) => n,
    }
}
