//! What `/v1/verify` and `/v1/rotate` do with a request body, apart from HTTP.
//!
//! Every decryption failure is one outcome without a reason (the endpoints are decryption
//! oracles): the response says "does not decrypt", never which step failed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::store::KeySet;
use crate::crypto::{hybrid_decrypt, hybrid_encrypt, label_for, os_rng};
use crate::doc::parse_documents;
use crate::sealed::{binding, expect_kind, unseal, UnsealRequest, SEALED_SECRET_API_VERSION};

/// Why a request failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// The body is not one SealedSecret (400); the message names the problem, never a value.
    BadRequest(String),
    /// It is one, but the current keys do not open it (409).
    Undecryptable,
    /// The server cannot seal (no key); should not happen once started (500).
    Internal(&'static str),
}

/// Parses a body as exactly one SealedSecret (JSON or YAML) bound to a namespace and name.
pub(crate) fn parse_sealed_secret(body: &[u8]) -> Result<Value, ApiError> {
    let bad = |m: String| ApiError::BadRequest(m);
    let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8 text".into()))?;
    let (_, mut docs) = parse_documents(text, "body").map_err(|e| bad(e.to_string()))?;
    if docs.len() != 1 {
        return Err(bad(format!(
            "the body must hold one SealedSecret, found {} documents",
            docs.len()
        )));
    }
    let doc = docs.pop().expect("one document");
    expect_kind(&doc, "body", "SealedSecret", SEALED_SECRET_API_VERSION)
        .map_err(|e| bad(e.to_string()))?;
    binding(&doc, "body", None).map_err(|e| bad(e.to_string()))?;
    Ok(doc)
}

/// `/v1/verify`: does the SealedSecret unseal (values and templates) with the current keys?
pub(crate) fn verify(body: &[u8], keys: &KeySet) -> Result<(), ApiError> {
    let sealed = parse_sealed_secret(body)?;
    unseal(&sealed, "body", &keys.keys, &UnsealRequest::default())
        .map(drop)
        .map_err(|_| ApiError::Undecryptable)
}

/// `/v1/rotate`: the same SealedSecret with every value re-encrypted to the newest key, as a
/// complete object.
pub(crate) fn rotate(body: &[u8], keys: &KeySet) -> Result<Value, ApiError> {
    let mut sealed = parse_sealed_secret(body)?;
    let newest = keys
        .newest()
        .ok_or(ApiError::Internal("no key to seal with"))?;
    let (scope, namespace, name) =
        binding(&sealed, "body", None).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let label = label_for(scope, &namespace, &name);
    let reseal = |encoded: &Value| -> Result<Value, ApiError> {
        let encoded = encoded
            .as_str()
            .ok_or_else(|| ApiError::BadRequest("a sealed value is not a string".into()))?;
        let ciphertext = STANDARD
            .decode(encoded.trim())
            .map_err(|_| ApiError::Undecryptable)?;
        let plaintext =
            hybrid_decrypt(&keys.keys, &ciphertext, &label).map_err(|_| ApiError::Undecryptable)?;
        let fresh = hybrid_encrypt(&mut os_rng(), &newest.cert, &plaintext, &label)
            .map_err(|_| ApiError::Internal("sealing failed"))?;
        Ok(Value::String(STANDARD.encode(fresh)))
    };
    let Some(spec) = sealed.get_mut("spec").and_then(Value::as_object_mut) else {
        return Err(ApiError::BadRequest("the SealedSecret has no spec".into()));
    };
    if let Some(map) = spec.get_mut("encryptedData").and_then(Value::as_object_mut) {
        for value in map.values_mut() {
            *value = reseal(value)?;
        }
    }
    // The pre-0.7 format seals the whole Secret as one value with the same label.
    if let Some(legacy) = spec.get_mut("data").filter(|d| !d.is_null()) {
        *legacy = reseal(legacy)?;
    }
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_not_one_sealed_secret_are_bad_requests() {
        for body in [
            &b"\xff\xfe"[..],
            b"{not json",
            b"{\"kind\": \"Secret\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"a\"}}",
            b"kind: SealedSecret\napiVersion: bitnami.com/v1alpha1\nmetadata: {name: a, namespace: b}\n---\nkind: SealedSecret\n",
            b"",
        ] {
            assert!(
                matches!(parse_sealed_secret(body), Err(ApiError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let ok = b"kind: SealedSecret\napiVersion: bitnami.com/v1alpha1\nmetadata: {name: a, namespace: b}\nspec: {encryptedData: {}}\n";
        assert!(parse_sealed_secret(ok).is_ok());
    }

    #[test]
    fn verify_without_keys_is_a_conflict_not_a_crash() {
        let body = br#"{"kind":"SealedSecret","apiVersion":"bitnami.com/v1alpha1","metadata":{"name":"a","namespace":"b"},"spec":{"encryptedData":{"k":"AAAA"}}}"#;
        let keys = KeySet::new(Vec::new());
        assert_eq!(verify(body, &keys), Err(ApiError::Undecryptable));
        assert_eq!(
            rotate(body, &keys),
            Err(ApiError::Internal("no key to seal with"))
        );
    }
}
