//! Key generation the way the controller does it: an RSA key (RustCrypto `rsa`) and a self-signed
//! certificate with CA:TRUE, KeyUsage EncipherOnly, a 128-bit random serial, the given CN as
//! subject and issuer, NotBefore = now, signed sha256WithRSA.

use std::time::{Duration, SystemTime};

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::EncodePublicKey;
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use rsa::PrivateKey;
use x509_cert::der::DateTime;
use zeroize::Zeroizing;

use crate::crypto::Cert;
use crate::error::CryptoError;

/// Upstream's defaults: RSA-4096, valid ten years.
pub(crate) const DEFAULT_KEY_BITS: usize = 4096;
pub(crate) const DEFAULT_KEY_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// What a new certificate looks like.
#[derive(Clone, Debug)]
pub(crate) struct CertOptions {
    /// Subject and issuer CN; empty means an empty name, as upstream's default.
    pub common_name: String,
    /// Validity from NotBefore.
    pub ttl: Duration,
}

impl Default for CertOptions {
    fn default() -> Self {
        CertOptions {
            common_name: String::new(),
            ttl: DEFAULT_KEY_TTL,
        }
    }
}

/// A private key (PKCS#1 DER, as the controller stores it) and its certificate (DER).
pub(crate) struct KeyMaterial {
    pub pkcs1_der: Zeroizing<Vec<u8>>,
    pub cert_der: Vec<u8>,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMaterial(..)")
    }
}

/// The key sizes offered: upstream's and the common ones.
pub(crate) fn key_size(bits: usize) -> Result<usize, CryptoError> {
    match bits {
        2048 | 3072 | 4096 | 8192 => Ok(bits),
        _ => Err(CryptoError::Key(format!(
            "cannot generate a {bits}-bit key: use 2048, 3072, 4096 or 8192"
        ))),
    }
}

/// Generates a key and its self-signed certificate valid from `now`.
pub(crate) fn generate(
    bits: usize,
    options: &CertOptions,
    now: SystemTime,
) -> Result<KeyMaterial, CryptoError> {
    let pair = PrivateKey::new(&mut crate::crypto::os_rng(), key_size(bits)?)
        .map_err(|_| CryptoError::Key("RSA key generation failed".into()))?;
    let pkcs1_der = Zeroizing::new(
        pair.to_pkcs1_der()
            .map_err(|_| CryptoError::Key("cannot encode the new key".into()))?
            .as_bytes()
            .to_vec(),
    );
    let cert_der = sign_cert(&pair, options, now)?;
    Ok(KeyMaterial {
        pkcs1_der,
        cert_der,
    })
}

/// A fresh self-signed certificate for an existing PKCS#1 key (import of a bare key).
pub(crate) fn self_signed(
    pkcs1_der: &[u8],
    options: &CertOptions,
    now: SystemTime,
) -> Result<Vec<u8>, CryptoError> {
    let pair = PrivateKey::from_pkcs1_der(pkcs1_der)
        .map_err(|e| CryptoError::Key(format!("not a PKCS#1 RSA private key: {e}")))?;
    sign_cert(&pair, options, now)
}

fn sign_cert(
    pair: &PrivateKey,
    options: &CertOptions,
    now: SystemTime,
) -> Result<Vec<u8>, CryptoError> {
    let fail = |what: &str| CryptoError::Cert(format!("cannot build the certificate: {what}"));
    let public = pair.to_public_key();
    let spki = public
        .to_public_key_der()
        .map_err(|_| fail("public key encoding"))?;
    let pkcs1_public = public
        .to_pkcs1_der()
        .map_err(|_| fail("public key encoding"))?;
    // Go's subject key identifier: SHA-1 of the PKCS#1 RSAPublicKey. sha1dc is the SHA-1 gix
    // already links; a collision cannot occur on a key made just now.
    let ski = sha1dc::digest(pkcs1_public.as_bytes()).map_err(|_| fail("key identifier"))?;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|_| CryptoError::Random)?;
    let not_before = now;
    let not_after = now
        .checked_add(options.ttl)
        .ok_or_else(|| fail("--key-ttl is too long"))?;

    let name = der_name(&options.common_name);
    let sha256_with_rsa = seq(&[&oid(&[1, 2, 840, 113549, 1, 1, 11]), &[0x05, 0x00]]);
    let extensions = seq(&[
        // KeyUsage (critical): encipherOnly, encoded as Go encodes it.
        &extension(&[2, 5, 29, 15], true, &tlv(0x03, &[0x00, 0x01])),
        // BasicConstraints (critical): CA:TRUE.
        &extension(&[2, 5, 29, 19], true, &seq(&[&tlv(0x01, &[0xff])])),
        // SubjectKeyIdentifier.
        &extension(&[2, 5, 29, 14], false, &tlv(0x04, ski.as_ref())),
    ]);
    let tbs = seq(&[
        &tlv(0xa0, &tlv(0x02, &[2])), // v3
        &tlv(0x02, &unsigned(&serial)),
        &sha256_with_rsa,
        &name,
        &seq(&[&der_time(not_before)?, &der_time(not_after)?]),
        &name,
        spki.as_bytes(),
        &tlv(0xa3, &extensions),
    ]);
    let signature = pair
        .pkcs1v15_sign::<Sha256>(&tbs)
        .map_err(|_| fail("signing failed"))?;
    debug_assert_eq!(signature.len(), pair.size());
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    let der = seq(&[&tbs, &sha256_with_rsa, &tlv(0x03, &bits)]);
    // What we built must be what the rest of sealant reads.
    Cert::from_der(der.clone())?;
    Ok(der)
}

/// A DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut push = |mut v: u64| {
        let mut chunk = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        chunk.reverse();
        body.extend(chunk);
    };
    push(arcs[0] * 40 + arcs[1]);
    arcs[2..].iter().for_each(|a| push(*a));
    tlv(0x06, &body)
}

/// A positive INTEGER's content: leading zeros dropped, a zero byte added if the top bit is set.
fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let skip = bytes
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(bytes.len() - 1);
    let trimmed = &bytes[skip..];
    let mut out = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
    out
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let id = oid(id);
    let value = tlv(0x04, value);
    if critical {
        seq(&[&id, &tlv(0x01, &[0xff]), &value])
    } else {
        seq(&[&id, &value])
    }
}

/// An empty Name, or one with a CN (PrintableString when it fits, else UTF8String, as Go does).
fn der_name(common_name: &str) -> Vec<u8> {
    if common_name.is_empty() {
        return seq(&[]);
    }
    let printable = common_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c));
    let value = tlv(if printable { 0x13 } else { 0x0c }, common_name.as_bytes());
    let attribute = seq(&[&oid(&[2, 5, 4, 3]), &value]);
    seq(&[&tlv(0x31, &attribute)])
}

/// UTCTime before 2050, GeneralizedTime from then on (RFC 5280).
fn der_time(t: SystemTime) -> Result<Vec<u8>, CryptoError> {
    let dt = DateTime::from_system_time(t)
        .map_err(|_| CryptoError::Cert("certificate time out of range".into()))?;
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minutes(),
        dt.seconds()
    );
    Ok(if dt.year() < 2050 {
        tlv(0x17, format!("{:02}{rest}", dt.year() % 100).as_bytes())
    } else {
        tlv(0x18, format!("{:04}{rest}", dt.year()).as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_helpers_encode_like_the_standard() {
        assert_eq!(oid(&[2, 5, 29, 15]), [0x06, 0x03, 0x55, 0x1d, 0x0f]);
        assert_eq!(
            oid(&[1, 2, 840, 113549, 1, 1, 11]),
            [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]
        );
        assert_eq!(unsigned(&[0, 0, 0x80]), [0, 0x80]);
        assert_eq!(unsigned(&[0, 0x7f]), [0x7f]);
        assert_eq!(unsigned(&[0, 0]), [0]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(der_name(""), [0x30, 0x00]);
    }

    #[test]
    fn times_switch_to_generalized_in_2050() {
        let t2049 = std::time::UNIX_EPOCH + Duration::from_secs(2_524_607_999); // 2049-12-31T23:59:59Z
        assert_eq!(der_time(t2049).unwrap(), tlv(0x17, b"491231235959Z"));
        let t2050 = t2049 + Duration::from_secs(1);
        assert_eq!(der_time(t2050).unwrap(), tlv(0x18, b"20500101000000Z"));
    }

    #[test]
    fn rejects_sizes_not_offered() {
        assert!(key_size(1024).is_err());
        assert!(key_size(4096).is_ok());
    }
}
