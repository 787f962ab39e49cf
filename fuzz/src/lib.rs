//! What the fuzz targets share: the test cert and key (loaded once), a deterministic random
//! source for sealing, and invariants on the YAML span tree.

use std::convert::Infallible;
use std::ops::Range;
use std::sync::OnceLock;

use rand_core::{TryCryptoRng, TryRng};
use sealant::crypto::{parse_private_keys, Cert, PrivateKey};
use sealant::yaml::{Node, NodeKind};

pub const CERT_PEM: &str = include_str!("../../testdata/vectors/cert2048.pem");
pub const KEY_PEM: &str = include_str!("../../testdata/vectors/key2048.pem");
pub const CERT_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/cert2048.pem"
);

pub fn cert() -> &'static Cert {
    static CERT: OnceLock<Cert> = OnceLock::new();
    CERT.get_or_init(|| Cert::from_pem(CERT_PEM).expect("the test cert parses"))
}

pub fn keys() -> &'static [PrivateKey] {
    static KEYS: OnceLock<Vec<PrivateKey>> = OnceLock::new();
    KEYS.get_or_init(|| parse_private_keys(KEY_PEM).expect("the test key parses"))
}

/// File names the scanner treats differently; the first input byte picks one.
pub const PATHS: &[&str] = &[
    "apps/secret.yaml",
    "apps/secret.json",
    "apps/kustomization.yaml",
    "apps/values.yml",
    "apps/.env",
    "apps/config.txt",
    "apps/id_rsa",
    "apps/main.tf",
    "docs/README.md",
    "scripts/setup.sh",
];

/// Splits the input into a path (from its first byte) and the file's bytes.
pub fn path_and_bytes(data: &[u8]) -> (&'static str, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (PATHS[usize::from(*first) % PATHS.len()], rest),
        None => (PATHS[0], data),
    }
}

/// A xorshift stream: sealing needs randomness, and a fuzz run must be reproducible.
pub struct Xorshift(pub u64);

impl TryRng for Xorshift {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.try_next_u64()? as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        Ok(x)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for Xorshift {}

/// Every span of the tree lies inside `within`, on char boundaries of `text`, and every child
/// inside its parent; returns how many nodes there are. Iterative: the harness must not be the
/// one to overflow the stack on deep nesting.
pub fn check_spans(text: &str, root: &Node, within: &Range<usize>) -> usize {
    let mut stack = vec![(root, within.clone())];
    let mut count = 0;
    while let Some((node, parent)) = stack.pop() {
        count += 1;
        let span = &node.span;
        assert!(
            span.start <= span.end && parent.start <= span.start && span.end <= parent.end,
            "span {span:?} outside {parent:?}"
        );
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "span {span:?} splits a character"
        );
        match &node.kind {
            NodeKind::Scalar { .. } | NodeKind::Alias => {}
            NodeKind::Seq(items) => stack.extend(items.iter().map(|n| (n, span.clone()))),
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    stack.push((k, span.clone()));
                    stack.push((v, span.clone()));
                }
            }
        }
    }
    count
}
