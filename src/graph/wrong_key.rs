//! With `roots:` in the configuration: every sealed value must be sealed against a key of the
//! size of the cert of each cluster that deploys it (without roots, the per-file check judges
//! it against the cert its path's `paths:` give).

use super::{cluster_name, Deployments, Fact, GraphFinding};
use crate::check::{value_identity, WRONG_KEY};

/// Also lists the files no pinned cert applies to in `unpinned`.
pub(super) fn check(
    facts: &[Fact],
    deployments: &Deployments,
    out: &mut Vec<GraphFinding>,
    unpinned: &mut Vec<String>,
) {
    for fact in facts {
        let Fact::Sealed {
            path,
            name,
            namespace,
            values,
            ..
        } = fact
        else {
            continue;
        };
        let certs = deployments.certs_for(path);
        if certs.is_empty() {
            unpinned.push(path.clone());
        }
        for value in values {
            // Shorter than the 2-byte length prefix: the per-file check reports it.
            let Some(prefix) = value.ciphertext.first_chunk::<2>() else {
                continue;
            };
            let rsa_len = usize::from(u16::from_be_bytes(*prefix));
            for (cert, root) in &certs {
                if rsa_len == cert.cert.modulus_len() {
                    continue;
                }
                let own_ns = namespace.as_deref().unwrap_or_default();
                let identity = value_identity(own_ns, name, &value.key, &value.ciphertext);
                out.push(GraphFinding {
                    rule: WRONG_KEY,
                    path: path.clone(),
                    line: value.line,
                    column: value.column,
                    message: format!(
                        "encryptedData.{} of {name:?} was sealed against another key than {}'s: its RSA part is {} bits, that cert's key {} bits",
                        value.key,
                        cluster_name(cert, *root),
                        rsa_len * 8,
                        cert.cert.key_bits()
                    ),
                    identity: format!("{identity} for cert {}", cert.name),
                });
            }
        }
    }
}
