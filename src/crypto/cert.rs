//! The controller's public certificate: the RSA key that sealing encrypts to.

use std::time::SystemTime;

use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use super::pem::pem_blocks;
use crate::error::CryptoError;

/// Keys shorter than this are refused: upstream's controller never makes them and they are
/// breakable.
pub const MIN_KEY_BITS: usize = 2048;

/// The bit length of an RSA modulus in a DER `SubjectPublicKeyInfo`, if it holds one.
fn spki_modulus_bits(spki: &[u8]) -> Option<usize> {
    let info = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(spki).ok()?;
    let key = pkcs1::RsaPublicKey::<pkcs1::UintRef>::from_der(info.subject_public_key.raw_bytes())
        .ok()?;
    Some(modulus_bits(key.modulus.as_bytes()))
}

/// A modulus's size in bits as the rsa crate counts it (whole bytes, as `size() * 8`): the
/// checks before and after it agree, and a 2047-bit key passes as it always did.
pub(crate) fn modulus_bits(big_endian: &[u8]) -> usize {
    big_endian.iter().skip_while(|&&b| b == 0).count() * 8
}

/// A parsed X.509 certificate carrying an RSA public key.
#[derive(Clone, Debug)]
pub struct Cert {
    der: Vec<u8>,
    spki: Vec<u8>,
    public_key: rsa::PublicKey,
    not_before: SystemTime,
    not_after: SystemTime,
    not_after_text: String,
}

impl Cert {
    /// Parses the first CERTIFICATE block of a PEM text.
    pub fn from_pem(text: &str) -> Result<Cert, CryptoError> {
        let block = pem_blocks(text)?
            .into_iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| CryptoError::Cert("no PEM CERTIFICATE block found".into()))?;
        Cert::from_der(block.der)
    }

    /// Parses a DER certificate.
    pub fn from_der(der: Vec<u8>) -> Result<Cert, CryptoError> {
        let cert = Certificate::from_der(&der)
            .map_err(|e| CryptoError::Cert(format!("not an X.509 certificate: {e}")))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| CryptoError::Cert(e.to_string()))?;
        // The rsa crate refuses short keys with an opaque error: say how short first.
        if let Some(bits) = spki_modulus_bits(&spki).filter(|&bits| bits < MIN_KEY_BITS) {
            return Err(CryptoError::Cert(format!(
                "the certificate's RSA key has {bits} bits; at least {MIN_KEY_BITS} are required"
            )));
        }
        let public_key = rsa::PublicKey::from_public_key_der(&spki).map_err(|e| {
            CryptoError::Cert(format!(
                "the certificate's key is not a usable RSA key ({e}); sealed-secrets only uses RSA"
            ))
        })?;
        let bits = public_key.size() * 8;
        if bits < MIN_KEY_BITS {
            return Err(CryptoError::Cert(format!(
                "the certificate's RSA key has {bits} bits; at least {MIN_KEY_BITS} are required"
            )));
        }
        let validity = tbs.validity();
        Ok(Cert {
            not_before: validity.not_before.to_system_time(),
            not_after: validity.not_after.to_system_time(),
            not_after_text: validity.not_after.to_string(),
            der,
            spki,
            public_key,
        })
    }

    /// DER `SubjectPublicKeyInfo`, to pair the cert with its private key.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    pub fn public_key(&self) -> &rsa::PublicKey {
        &self.public_key
    }

    /// Size of the RSA modulus in bytes: the length of every RSA ciphertext sealed to it.
    pub fn modulus_len(&self) -> usize {
        self.public_key.size()
    }

    pub fn key_bits(&self) -> usize {
        self.modulus_len() * 8
    }

    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// The expiry as the certificate states it (RFC 3339, UTC).
    pub fn not_after_text(&self) -> &str {
        &self.not_after_text
    }

    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now > self.not_after
    }

    /// SHA-256 of the DER encoding, lowercase hex: the value that pins a cert in configuration.
    pub fn fingerprint(&self) -> String {
        hex(&Sha256::digest(&self.der))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    hex_into(bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Lower-case hex of `bytes` into `out` (two digits a byte, `out` that long): a finding's
/// fingerprint is written on the stack each time it is shown or compared.
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_count_whole_bytes_after_leading_zeros() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[0, 1]), 8);
        assert_eq!(modulus_bits(&[0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0, 0x7f, 0xff]), 16);
    }
}
