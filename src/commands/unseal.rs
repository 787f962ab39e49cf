use std::io::{Read, Write};

use serde_json::{json, Value};

use super::{emit_private, raw_binding, EXIT_OK};
use crate::cli::UnsealArgs;
use crate::crypto::{PrivateKey, Scope};
use crate::doc::{doc_origin, parse_documents, render_documents};
use crate::error::{Error, Result};
use crate::io::{read_input, read_input_bytes};
use crate::keyring::load_keys;
use crate::sealed::{unseal, unseal_raw, UnsealRequest};

pub fn run(args: &UnsealArgs, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Result<u8> {
    let keys = load_keys(&args.keys)?;
    if args.raw {
        let scope = args.scope.unwrap_or(Scope::Strict);
        let (namespace, name) =
            raw_binding(scope, args.namespace.as_deref(), args.name.as_deref())?;
        let input = read_input_bytes(args.file.as_deref(), stdin)?;
        let encoded = String::from_utf8(input)
            .map_err(|_| Error::input("--raw", "the sealed value is not base64 text"))?;
        let plaintext = unseal_raw(&encoded, &keys, scope, namespace, name)?;
        emit_private(args.output.as_deref(), &plaintext, stdout)?;
        return Ok(EXIT_OK);
    }
    let (text, origin) = read_input(args.file.as_deref(), stdin)?;
    let (format, docs) = parse_documents(&text, &origin)?;
    if docs.is_empty() {
        return Err(Error::input(origin, "no SealedSecret found in the input"));
    }
    let request = UnsealRequest {
        namespace: args.namespace.clone(),
    };
    let secrets = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| unseal_document(doc, &doc_origin(&origin, i, docs.len()), &keys, &request))
        .collect::<Result<Vec<_>>>()?;
    let output = zeroize::Zeroizing::new(render_documents(&secrets, args.format.unwrap_or(format)));
    emit_private(args.output.as_deref(), output.as_bytes(), stdout)?;
    Ok(EXIT_OK)
}

/// Unseals a SealedSecret, or each SealedSecret of a `List`.
fn unseal_document(
    doc: &Value,
    origin: &str,
    keys: &[PrivateKey],
    request: &UnsealRequest,
) -> Result<Value> {
    if doc.get("kind").and_then(Value::as_str) != Some("List") {
        return unseal(doc, origin, keys, request);
    }
    let items = doc
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::input(origin, "a List needs an items list"))?;
    let secrets = items
        .iter()
        .enumerate()
        .map(|(i, item)| unseal(item, &format!("{origin}: items[{i}]"), keys, request))
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({ "apiVersion": "v1", "kind": "List", "items": secrets }))
}
