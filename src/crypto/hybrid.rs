//! Hybrid RSA-OAEP + AES-GCM encryption of one value.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes192;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce};
use rand_core::TryCryptoRng;
use rsa::sha2::Sha256;
use rsa::Oaep;
use zeroize::Zeroizing;

use super::cert::Cert;
use super::keys::PrivateKey;
use crate::error::CryptoError;

/// Session key length that sealing uses (AES-256). Decryption also accepts 16 and 24 bytes, as
/// upstream does.
pub const SESSION_KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;

type Aes192Gcm = AesGcm<Aes192, aes_gcm::aead::consts::U12>;

/// Encrypts `plaintext` for the holder of `cert`'s private key, bound to `label`.
///
/// The random stream is consumed as upstream consumes it: the session key first, then the
/// OAEP seed; the known-answer vectors depend on this order.
pub fn hybrid_encrypt<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    cert: &Cert,
    plaintext: &[u8],
    label: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut session_key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    rng.try_fill_bytes(session_key.as_mut())
        .map_err(|_| CryptoError::Random)?;
    let padding = Oaep::<Sha256>::new_with_label(label.to_vec());
    let rsa_ct = cert
        .public_key()
        .encrypt(rng, padding, session_key.as_ref())
        .map_err(|e| CryptoError::Rsa(e.to_string()))?;
    let rsa_len = u16::try_from(rsa_ct.len())
        .map_err(|_| CryptoError::Rsa("RSA ciphertext longer than 65535 bytes".into()))?;
    let aes_ct = Aes256Gcm::new_from_slice(session_key.as_ref())
        .expect("32-byte key")
        .encrypt(&Nonce::default(), plaintext)
        .map_err(|_| CryptoError::Rsa("AES-GCM refused the plaintext".into()))?;

    let mut out = Vec::with_capacity(2 + rsa_ct.len() + aes_ct.len());
    out.extend_from_slice(&rsa_len.to_be_bytes());
    out.extend_from_slice(&rsa_ct);
    out.extend_from_slice(&aes_ct);
    Ok(out)
}

/// The two parts of a sealed value, split by the length prefix.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    pub rsa_ciphertext: &'a [u8],
    pub aes_ciphertext: &'a [u8],
}

/// Splits a sealed value into its RSA and AES parts, checking only the framing.
pub fn parse_envelope(ciphertext: &[u8]) -> Result<Envelope<'_>, CryptoError> {
    let Some((prefix, rest)) = ciphertext.split_first_chunk::<2>() else {
        return Err(CryptoError::TooShort {
            len: ciphertext.len(),
            need: 2,
        });
    };
    let rsa_len = usize::from(u16::from_be_bytes(*prefix));
    if rest.len() < rsa_len + TAG_LEN {
        return Err(CryptoError::TooShort {
            len: ciphertext.len(),
            need: 2 + rsa_len + TAG_LEN,
        });
    }
    let (rsa_ciphertext, aes_ciphertext) = rest.split_at(rsa_len);
    Ok(Envelope {
        rsa_ciphertext,
        aes_ciphertext,
    })
}

/// Decrypts a sealed value with the first of `keys` that opens it.
///
/// Like upstream, every key is tried and every failure after framing collapses into the one
/// error "no key could decrypt secret": which step failed is not told, so this is no oracle.
pub fn hybrid_decrypt(
    keys: &[PrivateKey],
    ciphertext: &[u8],
    label: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let envelope = parse_envelope(ciphertext)?;
    keys.iter()
        .find_map(|key| {
            let session_key = key.oaep_decrypt(envelope.rsa_ciphertext, label)?;
            aes_gcm_open(&session_key, envelope.aes_ciphertext)
        })
        .ok_or_else(|| CryptoError::NoKeyCouldDecrypt {
            label: String::from_utf8_lossy(label).into_owned(),
            keys: keys.len(),
        })
}

fn aes_gcm_open(key: &[u8], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let nonce = Nonce::default();
    let plaintext = match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .ok()?
            .decrypt(&nonce, ciphertext),
        24 => Aes192Gcm::new_from_slice(key)
            .ok()?
            .decrypt(&nonce, ciphertext),
        32 => Aes256Gcm::new_from_slice(key)
            .ok()?
            .decrypt(&nonce, ciphertext),
        _ => return None,
    };
    plaintext.ok().map(Zeroizing::new)
}
