use std::io::Write;

use super::{emit, EXIT_OK};
use crate::cli::InitArgs;
use crate::config::CONFIG_NAMES;
use crate::error::{Error, Result};

pub fn run(args: &InitArgs, stdout: &mut dyn Write) -> Result<u8> {
    let path = args.dir.join(CONFIG_NAMES[0]);
    if path.exists() && !args.force {
        return Err(Error::usage(
            format!("{} already exists", path.display()),
            Some("pass --force to overwrite it".to_string()),
        ));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| {
        Error::usage(
            format!("the operating system's random source failed: {e}"),
            None,
        )
    })?;
    crate::io::write_atomic(
        &path,
        template(&crate::crypto::hex(&salt)).as_bytes(),
        0o644,
    )?;
    emit(
        None,
        format!("wrote {}\n", path.display()).as_bytes(),
        0o644,
        stdout,
    )?;
    Ok(EXIT_OK)
}

fn template(salt: &str) -> String {
    format!(
        r#"# sealant configuration: https://github.com/sealant-dev/sealant#configuration
# Paths are relative to the repository root; a pattern without "/" matches at any depth.

# Files and directories never scanned (in addition to .gitignore, .ignore and .sealantignore).
exclude: []
#  - "vendor/**"
#  - "charts/*/templates/**"

# Files larger than this are skipped, with a note.
max-file-size: 10MiB

# Salt for finding fingerprints (baselines and allow entries use them). Keep it: changing it
# changes every fingerprint. It makes fingerprints useless for guessing values from a report.
fingerprint-salt: "{salt}"

# Findings that are accepted. Every field given must match; say why.
allow: []
#  - path: "testdata/**"
#    rule: k8s-secret-data
#    reason: test fixtures, not real credentials
#  - fingerprint: 0123456789abcdef0123456789abcdef
#    reason: rotated on 2026-01-01; still in history
"#
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_template_is_a_valid_config() {
        let config = crate::config::Config::parse(&super::template("abc"), "t").unwrap();
        assert_eq!(config.fingerprint_salt, "abc");
        assert_eq!(config.max_file_size, crate::config::DEFAULT_MAX_FILE_SIZE);
    }
}
