//! `sealant unseal` on streams: other documents pass through, each SealedSecret that does not
//! unseal is named on stderr, the rest is printed in input order.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::common::{path_str, sealant, stderr, stdout, vector};

fn sealed() -> Value {
    let text = std::fs::read_to_string(vector("sealedsecret-strict.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The strict vector moved to another name: no key opens it there.
fn moved() -> Value {
    let mut doc = sealed();
    doc["metadata"]["name"] = json!("moved");
    doc
}

fn config_map(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})
}

fn unseal_stream(input: &str, extra: &[&str]) -> std::process::Output {
    let key = vector("key2048.pem");
    let mut args = vec!["unseal", "--keys", path_str(&key)];
    args.extend_from_slice(extra);
    sealant(&args, input.as_bytes())
}

fn docs(text: &str) -> Vec<Value> {
    sealant::doc::parse_documents(text, "out").unwrap().1
}

fn password(secret: &Value) -> Vec<u8> {
    STANDARD
        .decode(secret["data"]["password"].as_str().unwrap())
        .unwrap()
}

#[test]
fn a_yaml_stream_passes_other_documents_through_and_names_what_does_not_unseal() {
    let input = sealant::doc::render_documents(
        &[config_map("first"), sealed(), moved(), config_map("last")],
        sealant::doc::Format::Yaml,
    );
    let out = unseal_stream(&input, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("---\n"), "YAML in, YAML out: {text}");
    let back = docs(&text);
    assert_eq!(back.len(), 3, "{text}");
    assert_eq!(back[0], config_map("first"));
    assert_eq!(back[1]["kind"], "Secret");
    assert_eq!(password(&back[1]), b"hunter2");
    assert_eq!(back[2], config_map("last"));
    let err = stderr(&out);
    assert!(
        err.contains("document 3 (SealedSecret myns/moved): encryptedData."),
        "{err}"
    );
    assert!(err.contains("no key could decrypt secret"), "{err}");
    assert!(err.contains("1 of 2 SealedSecret(s) not unsealed"), "{err}");
    assert!(!err.contains("hunter2") && !err.contains("admin"), "{err}");
}

#[test]
fn a_stream_that_unseals_whole_exits_0_in_the_format_asked_for() {
    let input = format!("{}\n{}\n", config_map("cm"), sealed());
    let out = unseal_stream(&input, &["-o", "yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let back = docs(&stdout(&out));
    assert_eq!(back[0], config_map("cm"));
    assert_eq!(password(&back[1]), b"hunter2");
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_list_with_a_mix_behaves_the_same_per_item() {
    let list = json!({"apiVersion": "v1", "kind": "List",
        "items": [config_map("cm"), moved(), sealed()]});
    let out = unseal_stream(&list.to_string(), &["-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let back: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let items = back["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{back}");
    assert_eq!(items[0], config_map("cm"));
    assert_eq!(password(&items[1]), b"hunter2");
    let err = stderr(&out);
    assert!(
        err.contains("document 1: items[1] (SealedSecret myns/moved)"),
        "{err}"
    );
}

#[test]
fn one_undecryptable_document_is_reported_not_silent() {
    let out = unseal_stream(&moved().to_string(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("SealedSecret myns/moved"), "{err}");
    assert!(
        err.contains("help: the value was sealed with another key"),
        "{err}"
    );
}

#[test]
fn input_without_a_sealed_secret_passes_through_with_a_note() {
    let out = unseal_stream(&config_map("only").to_string(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let back: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(back, config_map("only"));
    assert!(
        stderr(&out).contains("no SealedSecret in the input"),
        "{}",
        stderr(&out)
    );
}
