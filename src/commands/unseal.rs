use std::io::{Read, Write};

use serde_json::{json, Value};

use super::{emit_private, raw_binding, EXIT_FINDINGS, EXIT_OK};
use crate::cli::UnsealArgs;
use crate::crypto::{PrivateKey, Scope};
use crate::doc::{parse_documents, render_documents};
use crate::error::{help_text, Error, Result};
use crate::io::{read_input, read_input_bytes};
use crate::keyring::load_keys;
use crate::report::redact::printable;
use crate::sealed::{unseal, unseal_raw, UnsealRequest};

pub(super) fn run(args: &UnsealArgs, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Result<u8> {
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
    let mut stream = Stream {
        keys: &keys,
        request: UnsealRequest {
            namespace: args.namespace.clone(),
        },
        sealed: 0,
        failed: Vec::new(),
    };
    let out: Vec<Value> = docs
        .iter()
        .enumerate()
        .filter_map(|(i, doc)| stream.document(doc, &format!("{origin}: document {}", i + 1)))
        .collect();
    let output = zeroize::Zeroizing::new(render_documents(&out, args.format.unwrap_or(format)));
    emit_private(args.output.as_deref(), output.as_bytes(), stdout)?;
    Ok(stream.finish())
}

/// Unseals the SealedSecrets of a stream and passes every other document through; a
/// SealedSecret that does not unseal is left out and its error kept for stderr.
struct Stream<'a> {
    keys: &'a [PrivateKey],
    request: UnsealRequest,
    sealed: usize,
    failed: Vec<Error>,
}

impl Stream<'_> {
    /// The document as it goes out: a Secret, the document itself, or a `List` of those;
    /// `None` for a SealedSecret that did not unseal.
    fn document(&mut self, doc: &Value, origin: &str) -> Option<Value> {
        let items = match (kind(doc), doc.get("items").and_then(Value::as_array)) {
            (Some("List"), Some(items)) => items,
            _ => return self.one(doc, origin),
        };
        let items: Vec<Value> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.one(item, &format!("{origin}: items[{i}]")))
            .collect();
        Some(json!({ "apiVersion": "v1", "kind": "List", "items": items }))
    }

    /// One manifest: unsealed if it is a SealedSecret (`None` if that fails), else unchanged.
    fn one(&mut self, doc: &Value, origin: &str) -> Option<Value> {
        if kind(doc) != Some("SealedSecret") {
            return Some(doc.clone());
        }
        self.sealed += 1;
        let origin = format!("{origin} ({})", identity(doc));
        match unseal(doc, &origin, self.keys, &self.request) {
            Ok(secret) => Some(secret),
            Err(err) => {
                self.failed.push(err);
                None
            }
        }
    }

    /// Reports what did not unseal on stderr and gives the exit code.
    fn finish(self) -> u8 {
        if self.sealed == 0 {
            say!("note: no SealedSecret in the input; its documents were passed through unchanged");
        }
        if self.failed.is_empty() {
            return EXIT_OK;
        }
        for err in &self.failed {
            say!("error: {err}");
        }
        let mut helps: Vec<String> = self.failed.iter().filter_map(help_text).collect();
        helps.dedup();
        for help in helps {
            say!("help: {help}");
        }
        say!(
            "{} of {} SealedSecret(s) not unsealed, and left out of the output",
            self.failed.len(),
            self.sealed
        );
        EXIT_FINDINGS
    }
}

fn kind(doc: &Value) -> Option<&str> {
    doc.get("kind").and_then(Value::as_str)
}

/// `SealedSecret NAMESPACE/NAME` (or `NAME`), as messages name a document.
fn identity(doc: &Value) -> String {
    let field = |f: &str| {
        doc.pointer(&format!("/metadata/{f}"))
            .and_then(Value::as_str)
    };
    let name = field("name").unwrap_or("(no name)");
    match field("namespace") {
        Some(ns) => printable(&format!("SealedSecret {ns}/{name}")),
        None => printable(&format!("SealedSecret {name}")),
    }
}
