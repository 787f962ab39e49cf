//! kubeseal's flags that sealant answers with another command: one table, consulted when the
//! command line has an argument sealant does not know.

/// Offline: sealant never talks to a cluster.
const OFFLINE: &str = "sealant works offline: pin the controller's cert in .sealant.yaml with `sealant cert pin CERT --name NAME --root PATH` (see README, Configuration), or pass `seal --cert FILE|URL`";

/// (kubeseal flag, what to run instead).
const KUBESEAL_FLAGS: &[(&str, &str)] = &[
    (
        "--re-encrypt",
        "use `sealant reseal [PATHS] --keys K`: it re-encrypts SealedSecrets with the cert pinned for their path",
    ),
    (
        "--recovery-unseal",
        "use `sealant unseal --keys K -f FILE`: it turns SealedSecrets back into Secrets with the controller's private keys",
    ),
    (
        "--recovery-private-key",
        "use `sealant unseal --keys K -f FILE`: --keys takes the private keys",
    ),
    (
        "--validate",
        "use `sealant scan --keys K PATHS`: it checks that every SealedSecret value decrypts",
    ),
    ("--fetch-cert", OFFLINE),
    ("--controller-name", OFFLINE),
    ("--controller-namespace", OFFLINE),
];

/// What to run instead of kubeseal's `arg` (as typed, `--flag` or `--flag=value`).
pub fn kubeseal_hint(arg: &str) -> Option<&'static str> {
    let flag = arg.split_once('=').map_or(arg, |(flag, _)| flag);
    KUBESEAL_FLAGS
        .iter()
        .find(|(known, _)| *known == flag)
        .map(|(_, hint)| *hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_found_with_or_without_a_value() {
        assert!(kubeseal_hint("--re-encrypt")
            .unwrap()
            .contains("sealant reseal"));
        assert!(kubeseal_hint("--controller-name=x")
            .unwrap()
            .contains("offline"));
        assert_eq!(kubeseal_hint("--nope"), None);
    }
}
