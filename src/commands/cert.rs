use std::io::Write;
use std::path::Path;

use super::{emit, load_cert, EXIT_OK};
use crate::error::Result;

pub fn fingerprint(path: &Path, stdout: &mut dyn Write) -> Result<u8> {
    let cert = load_cert(path, true)?;
    emit(
        None,
        format!("{}\n", cert.fingerprint()).as_bytes(),
        0o644,
        stdout,
    )?;
    Ok(EXIT_OK)
}
