//! Private keys for unsealing. RustCrypto's `rsa` 0.10 does every private-key operation on
//! constant-time integers with base, exponent and modulus blinding (the fix for
//! RUSTSEC-2023-0071, which concerned its earlier variable-time path).

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use rsa::Oaep;
use x509_cert::der::Decode;
use zeroize::Zeroizing;

use super::cert::{modulus_bits, MIN_KEY_BITS};
use super::pem::pem_blocks;
use crate::error::CryptoError;

/// An RSA private key that can open sealed values.
pub struct PrivateKey {
    key: rsa::PrivateKey,
    spki_der: Vec<u8>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({} bits)", self.bits())
    }
}

impl PrivateKey {
    /// Parses a PKCS#1 `RSAPrivateKey` (PEM label "RSA PRIVATE KEY", the controller's format).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PrivateKey, CryptoError> {
        refuse_short(pkcs1_modulus_bits(der))?;
        let key = rsa::PrivateKey::from_pkcs1_der(der)
            .map_err(|e| CryptoError::Key(format!("not a PKCS#1 RSA private key: {e}")))?;
        PrivateKey::new(key)
    }

    /// Parses a PKCS#8 `PrivateKeyInfo` holding an RSA key (PEM label "PRIVATE KEY").
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, CryptoError> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).ok();
        refuse_short(info.and_then(|info| pkcs1_modulus_bits(info.private_key.as_bytes())))?;
        let key = rsa::PrivateKey::from_pkcs8_der(der)
            .map_err(|e| CryptoError::Key(format!("not a usable RSA private key: {e}")))?;
        PrivateKey::new(key)
    }

    fn new(key: rsa::PrivateKey) -> Result<PrivateKey, CryptoError> {
        refuse_short(Some(key.size() * 8))?;
        let spki_der = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| CryptoError::Key("cannot encode the public key".into()))?
            .into_vec();
        Ok(PrivateKey { key, spki_der })
    }

    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }

    /// DER `SubjectPublicKeyInfo` of the matching public key, to pair a key with its cert.
    pub fn public_key_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// RSA-OAEP(SHA-256) decryption; `None` on any failure, deliberately without a reason.
    pub(crate) fn oaep_decrypt(
        &self,
        ciphertext: &[u8],
        label: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        if ciphertext.len() != self.key.size() {
            return None;
        }
        let padding = Oaep::<Sha256>::new_with_label(label);
        self.key
            .decrypt(padding, ciphertext)
            .ok()
            .map(Zeroizing::new)
    }
}

/// The bit length of the modulus of a DER PKCS#1 private key, read before the rsa crate, which
/// refuses short keys with an opaque error.
fn pkcs1_modulus_bits(der: &[u8]) -> Option<usize> {
    let key = pkcs1::RsaPrivateKeyRef::from_der(der).ok()?;
    Some(modulus_bits(key.modulus.as_bytes()))
}

fn refuse_short(bits: Option<usize>) -> Result<(), CryptoError> {
    match bits {
        Some(bits) if bits < MIN_KEY_BITS => Err(CryptoError::Key(format!(
            "not a usable RSA private key: {bits} bits; at least {MIN_KEY_BITS} are required"
        ))),
        _ => Ok(()),
    }
}

/// A passphrase-protected key: sealant never asks for passphrases (it runs in hooks and CI).
fn encrypted_key(command: &str) -> CryptoError {
    CryptoError::Key(format!(
        "the private key is encrypted with a passphrase; decrypt it to a file only you can read \
         (`{command}`) and give that"
    ))
}

/// Every RSA private key in a PEM text ("RSA PRIVATE KEY" or "PRIVATE KEY" blocks; other
/// blocks such as certificates are skipped).
pub fn parse_private_keys(text: &str) -> Result<Vec<PrivateKey>, CryptoError> {
    let blocks = pem_blocks(text).map_err(|e| {
        // OpenSSL's legacy encryption puts headers in the block, which RFC 7468 PEM refuses.
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            encrypted_key("openssl rsa -in KEY -out PLAIN")
        } else {
            e
        }
    })?;
    let keys = blocks
        .iter()
        .filter_map(|block| match block.label.as_str() {
            "RSA PRIVATE KEY" => Some(PrivateKey::from_pkcs1_der(&block.der)),
            "PRIVATE KEY" => Some(PrivateKey::from_pkcs8_der(&block.der)),
            _ => None,
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Beside usable keys an encrypted one is skipped, as certificates are; alone, it is why
    // there is no key.
    if keys.is_empty() && blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY") {
        return Err(encrypted_key("openssl pkcs8 -in KEY -out PLAIN"));
    }
    Ok(keys)
}
