use std::io::{Read, Write};
use std::path::Path;

use serde_json::{json, Value};

use super::{emit, load_cert_from, raw_binding, EXIT_OK};
use crate::cli::SealArgs;
use crate::crypto::{os_rng, Cert, Scope};
use crate::doc::{doc_origin, parse_documents, render_documents};
use crate::error::{Error, Result};
use crate::io::{read_input, read_input_bytes, read_text};
use crate::sealed::{merge_into, seal_raw, seal_secret, SealRequest};

pub(super) fn run(args: &SealArgs, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Result<u8> {
    let cert = load_cert_from(&args.cert, args.allow_expired_cert)?;
    if args.raw {
        return raw(args, &cert, stdin, stdout);
    }
    if let Some(target) = &args.merge_into {
        return merge(args, target, &cert, stdin);
    }
    let (text, origin) = read_input(args.file.as_deref(), stdin)?;
    let (format, docs) = parse_documents(&text, &origin)?;
    if docs.is_empty() {
        return Err(Error::input(origin, "no Secret found in the input"));
    }
    let request = SealRequest {
        scope: args.scope,
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        allow_empty_data: args.allow_empty_data,
    };
    let sealed = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| seal_document(doc, &doc_origin(&origin, i, docs.len()), &cert, &request))
        .collect::<Result<Vec<_>>>()?;
    let output = render_documents(&sealed, args.format.unwrap_or(format));
    emit(args.output.as_deref(), output.as_bytes(), 0o644, stdout)?;
    Ok(EXIT_OK)
}

/// Seals a Secret, or each Secret of a `List`.
fn seal_document(doc: &Value, origin: &str, cert: &Cert, request: &SealRequest) -> Result<Value> {
    if doc.get("kind").and_then(Value::as_str) != Some("List") {
        return seal_secret(doc, origin, cert, request, &mut os_rng());
    }
    let items = doc
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::input(origin, "a List needs an items list"))?;
    let sealed = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            seal_secret(
                item,
                &format!("{origin}: items[{i}]"),
                cert,
                request,
                &mut os_rng(),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({ "apiVersion": "v1", "kind": "List", "items": sealed }))
}

fn raw(args: &SealArgs, cert: &Cert, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Result<u8> {
    let scope = args.scope.unwrap_or(Scope::Strict);
    let (namespace, name) = raw_binding(scope, args.namespace.as_deref(), args.name.as_deref())?;
    let value = zeroize::Zeroizing::new(read_input_bytes(args.from_file.as_deref(), stdin)?);
    let sealed = seal_raw(cert, scope, namespace, name, &value, &mut os_rng())?;
    emit(args.output.as_deref(), sealed.as_bytes(), 0o644, stdout)?;
    Ok(EXIT_OK)
}

fn merge(args: &SealArgs, target: &Path, cert: &Cert, stdin: &mut dyn Read) -> Result<u8> {
    let (text, origin) = read_input(args.file.as_deref(), stdin)?;
    let (_, secrets) = parse_documents(&text, &origin)?;
    let target_origin = target.display().to_string();
    let (format, mut docs) = parse_documents(&read_text(target)?, &target_origin)?;
    let [sealed] = docs.as_mut_slice() else {
        return Err(Error::input(
            target_origin,
            format!(
                "--merge-into needs a file with exactly one SealedSecret, found {} documents",
                docs.len()
            ),
        ));
    };
    if secrets.is_empty() {
        return Err(Error::input(origin, "no Secret found in the input"));
    }
    for (i, secret) in secrets.iter().enumerate() {
        merge_into(
            sealed,
            &target_origin,
            secret,
            &doc_origin(&origin, i, secrets.len()),
            cert,
            &mut os_rng(),
        )?;
    }
    let output = render_documents(&docs, format);
    crate::io::write_atomic(target, output.as_bytes(), 0o644)?;
    Ok(EXIT_OK)
}
