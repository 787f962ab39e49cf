//! The sealed-secrets hybrid scheme, exactly as upstream's `pkg/crypto`, plus the key and cert
//! parsing it needs.
//!
//! ciphertext = u16be(len(rsa_ct)) || rsa_ct || AES-GCM(session key, zero nonce)(plaintext) || tag,
//! where rsa_ct = RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session key).

mod cert;
mod hybrid;
mod keys;
mod pem;
mod scope;

pub use cert::{hex, hex_into, Cert, MIN_KEY_BITS};
pub use hybrid::{hybrid_decrypt, hybrid_encrypt, parse_envelope, Envelope, SESSION_KEY_LEN};
pub use keys::{parse_private_keys, PrivateKey};
pub use pem::{pem_blocks, PemBlock};
pub use scope::{label_for, Scope, CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};

/// Random source used for sealing: the operating system's CSPRNG in production, an injected
/// byte stream in known-answer tests.
pub use rand_core::TryCryptoRng;

/// The operating system's CSPRNG.
pub fn os_rng() -> getrandom::SysRng {
    getrandom::SysRng
}
