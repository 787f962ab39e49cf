//! `sealant controller ...`: wires the CLI to `crate::controller`. Key material goes only to
//! the key store and to `export`'s output; plaintext only to `unseal`'s.

use std::io::Write;
use std::time::SystemTime;

use super::{emit_private, EXIT_FINDINGS, EXIT_OK};
use crate::cli::{
    ControllerCommand, ControllerUnsealArgs, ExportArgs, ImportArgs, KeygenArgs, NewKeyArgs,
    ServeArgs,
};
use crate::controller::{export, generate, import, unseal_tree, CertOptions, KeyStore};
#[cfg(feature = "server")]
use crate::controller::{serve, Logger, RenewPolicy, ServeOptions};
use crate::doc::render_documents;
use crate::error::{Error, Result};
use crate::sealed::UnsealRequest;

pub(super) fn run(command: ControllerCommand, stdout: &mut dyn Write) -> Result<u8> {
    match command {
        ControllerCommand::Keygen(args) => keygen(&args, stdout),
        ControllerCommand::Import(args) => import_keys(&args, stdout),
        ControllerCommand::Export(args) => export_keys(&args, stdout),
        ControllerCommand::Serve(args) => serve_api(&args),
        ControllerCommand::Unseal(args) => unseal_dir(&args, stdout),
    }
}

fn cert_options(key: &NewKeyArgs) -> CertOptions {
    CertOptions {
        common_name: key.my_cn.clone(),
        ttl: key.key_ttl,
    }
}

fn keygen(args: &KeygenArgs, stdout: &mut dyn Write) -> Result<u8> {
    let store = KeyStore::new(&args.store.keys_dir);
    store.create()?;
    let material = generate(
        args.key.key_size,
        &cert_options(&args.key),
        SystemTime::now(),
    )
    .map_err(|e| Error::crypto("keygen", e))?;
    let name = store.add(&material)?;
    let fingerprint = crate::crypto::Cert::from_der(material.cert_der.clone())
        .map_err(|e| Error::crypto("keygen", e))?
        .fingerprint();
    write_out(stdout, &format!("{name} sha256:{fingerprint}\n"))
}

fn import_keys(args: &ImportArgs, stdout: &mut dyn Write) -> Result<u8> {
    let store = KeyStore::new(&args.store.keys_dir);
    let options = CertOptions {
        common_name: args.my_cn.clone(),
        ttl: args.key_ttl,
    };
    let report = import(&store, &args.files, &options, SystemTime::now())?;
    let mut text = String::new();
    for name in &report.added {
        text.push_str(&format!("imported {name}\n"));
    }
    for (origin, existing) in &report.duplicates {
        text.push_str(&format!(
            "skipped {origin}: already in the store as {existing}\n"
        ));
    }
    write_out(stdout, &text)
}

fn export_keys(args: &ExportArgs, stdout: &mut dyn Write) -> Result<u8> {
    let store = KeyStore::new(&args.store.keys_dir);
    let list = export(&store)?;
    let text = zeroize::Zeroizing::new(render_documents(&[list], args.format));
    emit_private(args.output.as_deref(), text.as_bytes(), stdout)?;
    Ok(EXIT_OK)
}

#[cfg(feature = "server")]
fn serve_api(args: &ServeArgs) -> Result<u8> {
    let store = KeyStore::new(&args.store.keys_dir);
    let policy = RenewPolicy {
        period: args.key_renew_period,
        cutoff: args.key_cutoff_time,
        key_bits: args.key.key_size,
        cert: cert_options(&args.key),
    };
    crate::controller::keygen::key_size(args.key.key_size)
        .map_err(|e| Error::usage(e.to_string(), None))?;
    let options = ServeOptions {
        listen: args.listen.clone(),
        max_body: args.max_body,
        read_timeout: args.read_timeout,
        write_timeout: args.write_timeout,
        rate_limit: args.rate_limit,
        rate_limit_burst: args.rate_limit_burst,
        max_connections: args.max_connections,
        max_connections_per_client: args.max_connections_per_client,
        ..ServeOptions::default()
    };
    let log = Logger::new(std::sync::Arc::new(|line: &str| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }));
    serve(store, policy, options, log)?;
    Ok(EXIT_OK)
}

/// As ripgrep does for PCRE2: the command is there, the build says what it lacks.
#[cfg(not(feature = "server"))]
fn serve_api(_: &ServeArgs) -> Result<u8> {
    Err(Error::usage(
        "this sealant was built without the HTTP server (cargo feature `server`)",
        Some("use a release binary, the wheel or the container image, or build with `cargo install --locked --features server ...`".into()),
    ))
}

fn unseal_dir(args: &ControllerUnsealArgs, stdout: &mut dyn Write) -> Result<u8> {
    let store = KeyStore::new(&args.store.keys_dir);
    let keys = store.load()?;
    if keys.is_empty() {
        return Err(Error::input_help(
            args.store.keys_dir.display().to_string(),
            "the key store has no active key",
            "import the controller's keys with `sealant controller import --keys-dir DIR BACKUP`",
        ));
    }
    let request = UnsealRequest {
        namespace: args.namespace.clone(),
    };
    let report = unseal_tree(&args.dir, &keys, &request)?;
    if report.files == 0 {
        return Err(Error::input(
            args.dir.display().to_string(),
            "no SealedSecret found",
        ));
    }
    if !report.secrets.is_empty() {
        let text = zeroize::Zeroizing::new(render_documents(&report.secrets, args.format));
        emit_private(args.out.as_deref(), text.as_bytes(), stdout)?;
    }
    if report.failures.is_empty() {
        return Ok(EXIT_OK);
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{} of {} files with SealedSecrets failed:",
        report.failures.len(),
        report.files
    );
    for (file, reason) in &report.failures {
        let _ = writeln!(err, "  {}: {reason}", file.display());
    }
    Ok(EXIT_FINDINGS)
}

fn write_out(stdout: &mut dyn Write, text: &str) -> Result<u8> {
    emit_private(None, text.as_bytes(), stdout)?;
    Ok(EXIT_OK)
}
