use std::io::Write;

use super::cert::{report, shown, PinRequest};
use super::{emit, EXIT_OK};
use crate::cli::InitArgs;
use crate::config::CONFIG_NAMES;
use crate::error::{Error, Result};

/// README sections that init points to; `tests/it/onboard.rs` checks that they exist.
const README_CONFIG: &str = "https://github.com/sealant-dev/sealant#configuration-sealantyaml";
const README_WALKTHROUGH: &str =
    "https://github.com/sealant-dev/sealant#a-repository-with-two-clusters";

pub(super) fn run(args: &InitArgs, stdout: &mut dyn Write) -> Result<u8> {
    let path = args.dir.join(CONFIG_NAMES[0]);
    if path.exists() && !args.force {
        return Err(Error::usage(
            format!("{} already exists", path.display()),
            Some("pass --force to overwrite it".to_string()),
        ));
    }
    let entry = &args.entry;
    let pin = match &args.cert {
        Some(cert) => Some(PinRequest::new(cert, entry)?),
        None if entry.name.is_some() || !entry.roots.is_empty() || !entry.paths.is_empty() => {
            return Err(Error::usage(
                "--name, --root and --paths say how to pin a cert: give it with --cert FILE|URL"
                    .to_string(),
                None,
            ))
        }
        None => None,
    };
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| {
        Error::usage(
            format!("the operating system's random source failed: {e}"),
            None,
        )
    })?;
    let text = template(&crate::crypto::hex(&salt));
    let written = format!("wrote {}\n", shown(&path));
    match pin {
        Some(pin) => {
            let pinned = pin.write(&path, &text)?;
            emit(None, written.as_bytes(), 0o644, stdout)?;
            report(&pinned, stdout)
        }
        None => {
            crate::io::write_atomic(&path, text.as_bytes(), 0o644)?;
            let next = format!("{written}next: pin each cluster's sealed-secrets cert with `sealant cert pin CERT --name NAME --root PATH`\n  (see {README_WALKTHROUGH})\n");
            emit(None, next.as_bytes(), 0o644, stdout)?;
            Ok(EXIT_OK)
        }
    }
}

fn template(salt: &str) -> String {
    format!(
        r#"# sealant configuration: {README_CONFIG}
# Paths and globs are relative to the directory holding .sealant.yaml; a glob without "/"
# matches at any depth.

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

# The sealed-secrets controller's cert of each cluster, pinned by its SHA-256: SealedSecrets are
# checked, and `scan --fix` seals, against the cert of the cluster a file deploys to. Add or
# update entries with `sealant cert pin CERT --name NAME --root PATH` (or `--paths GLOB`).
certs: []
#  - name: production
#    cert: certs/production.pem
#    sha256: <sealant cert fingerprint certs/production.pem>
#    roots: ["clusters/production"]        # the deployment roots of the cluster, or
#    paths: ["**/overlays/production/**"]  # globs

# The scope `scan --fix` seals a Secret with when it has no sealedsecrets.bitnami.com/* scope
# annotation: strict (the default: its namespace and name), namespace-wide or cluster-wide.
# Widen it per Secret with the annotation, not here: this applies to every Secret.
# scope: strict
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
