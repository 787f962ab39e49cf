//! Private keys for unsealing, held by AWS-LC so that every private-key operation is
//! constant-time (RUSTSEC-2023-0071 concerns the pure-Rust `rsa` crate's private-key path).

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeyPair, OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA256_MGF1SHA256,
};
use zeroize::Zeroizing;

use super::pem::pem_blocks;
use crate::error::CryptoError;

/// An RSA private key that can open sealed values.
pub struct PrivateKey {
    key: OaepPrivateDecryptingKey,
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
        let pair = KeyPair::from_der(der)
            .map_err(|e| CryptoError::Key(format!("not a PKCS#1 RSA private key: {e}")))?;
        let pkcs8: Pkcs8V1Der = pair
            .as_der()
            .map_err(|_| CryptoError::Key("cannot re-encode the key".into()))?;
        PrivateKey::from_pkcs8_der(pkcs8.as_ref())
    }

    /// Parses a PKCS#8 `PrivateKeyInfo` holding an RSA key (PEM label "PRIVATE KEY").
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, CryptoError> {
        let key = PrivateDecryptingKey::from_pkcs8(der)
            .map_err(|e| CryptoError::Key(format!("not a usable RSA private key: {e}")))?;
        let public: PublicKeyX509Der = key
            .public_key()
            .as_der()
            .map_err(|_| CryptoError::Key("cannot encode the public key".into()))?;
        let spki_der = public.as_ref().to_vec();
        let key = OaepPrivateDecryptingKey::new(key)
            .map_err(|_| CryptoError::Key("RSA-OAEP refused the key".into()))?;
        Ok(PrivateKey { key, spki_der })
    }

    pub fn bits(&self) -> usize {
        self.key.key_size_bits()
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
        if ciphertext.len() != self.key.key_size_bytes() {
            return None;
        }
        let mut out = Zeroizing::new(vec![0u8; self.key.min_output_size()]);
        let len = self
            .key
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, Some(label))
            .ok()?
            .len();
        out.truncate(len);
        Some(out)
    }
}

/// Every RSA private key in a PEM text ("RSA PRIVATE KEY" or "PRIVATE KEY" blocks; other
/// blocks such as certificates are skipped).
pub fn parse_private_keys(text: &str) -> Result<Vec<PrivateKey>, CryptoError> {
    pem_blocks(text)?
        .iter()
        .filter_map(|block| match block.label.as_str() {
            "RSA PRIVATE KEY" => Some(PrivateKey::from_pkcs1_der(&block.der)),
            "PRIVATE KEY" => Some(PrivateKey::from_pkcs8_der(&block.der)),
            _ => None,
        })
        .collect()
}
