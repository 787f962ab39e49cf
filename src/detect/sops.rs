//! SOPS-encrypted files (YAML, JSON, dotenv, INI, binary envelopes): their values are
//! ciphertext (`ENC[AES256_GCM,…]`) that Flux or the sops tooling decrypts, so they are not
//! plaintext. What `unencrypted_suffix`/`encrypted_regex` leaves in clear text is judged line
//! by line: a key named like a credential with a value that looks generated is a warning.

use std::ops::Range;

use crate::finding::Detection;
use crate::rules::{is_placeholder, looks_like_name, shannon_entropy};
use crate::yaml::Node;

pub(super) const SOPS_UNENCRYPTED: &str = "sops-unencrypted-credential";

/// Whether `bytes` is a SOPS-encrypted file: `ENC[…]` values and SOPS's metadata, as a
/// top-level `sops:` map (YAML), a `"sops"` key (JSON and binary envelopes), `sops_*` keys
/// (dotenv) or a `[sops]` section (INI).
pub(crate) fn is_encrypted(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    let line_starts = |word: &[u8]| bytes.starts_with(word) || has(&[b"\n", word].concat());
    has(b"ENC[AES256_GCM,")
        && (line_starts(b"sops:")
            || has(b"\"sops\"")
            || line_starts(b"sops_mac=")
            || line_starts(b"sops_version=")
            || line_starts(b"[sops]"))
}

/// Warnings for the clear-text credentials of a SOPS-encrypted YAML document (`root` has a
/// `sops` key); nothing for other documents.
pub(crate) fn clear_in_document(
    root: &Node,
    text: &str,
    range: Range<usize>,
    out: &mut Vec<Detection>,
) {
    if root.get("sops").is_some() {
        clear_credentials(text.as_bytes(), range, out);
    }
}

/// Warnings for the `key: value` / `KEY=value` lines of `bytes[range]` whose key names a
/// credential and whose value is in clear text and looks generated; only where the SOPS
/// metadata in that range says some keys stay unencrypted (sops writes the setting it used).
pub(crate) fn clear_credentials(bytes: &[u8], range: Range<usize>, out: &mut Vec<Detection>) {
    if !leaves_keys_in_clear(&bytes[range.clone()]) {
        return;
    }
    let mut offset = range.start;
    for line in bytes[range].split_inclusive(|&b| b == b'\n') {
        if let Some((key, value)) = assignment(line) {
            let span = offset + value.start..offset + value.end;
            let value = &line[value];
            if names_a_credential(key) && looks_generated(value) {
                let key = String::from_utf8_lossy(key);
                out.push(Detection::new(
                    SOPS_UNENCRYPTED,
                    span,
                    format!("{key} is left in clear text in a SOPS-encrypted file (unencrypted_suffix or encrypted_regex keeps it out of encryption), and its value looks like a credential"),
                    value.to_vec(),
                ));
            }
        }
        offset += line.len();
    }
}

/// `unencrypted_suffix`, `encrypted_suffix`, `(un)encrypted_regex`,
/// `(un)encrypted_comment_regex`, as YAML/JSON/INI keys or `sops_*` dotenv keys.
fn leaves_keys_in_clear(bytes: &[u8]) -> bool {
    [
        &b"encrypted_suffix"[..],
        b"encrypted_regex",
        b"encrypted_comment_regex",
    ]
    .iter()
    .any(|setting| memchr::memmem::find(bytes, setting).is_some())
}

/// `key: value`, `"key": "value",`, `KEY=value`, `key = value`: the key, and where the value
/// (unquoted) is in the line. SOPS's own `sops_*` dotenv keys are metadata.
fn assignment(line: &[u8]) -> Option<(&[u8], Range<usize>)> {
    let start = line.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &line[start..];
    let rest = rest.strip_prefix(b"- ").unwrap_or(rest);
    let quoted = matches!(rest.first(), Some(b'"' | b'\''));
    let key_start = line.len() - rest.len() + usize::from(quoted);
    let key_len = line[key_start..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    let key = &line[key_start..key_start + key_len];
    let mut at = key_start + key_len + usize::from(quoted);
    while line.get(at).is_some_and(|b| *b == b' ' || *b == b'\t') {
        at += 1;
    }
    if key.is_empty() || key.starts_with(b"sops_") || !matches!(line.get(at), Some(b':' | b'=')) {
        return None;
    }
    Some((key, value_range(line, at + 1)?))
}

/// The value after a `:`/`=` at `from`: blanks, a trailing `,` and quotes removed; none for a
/// block scalar, a flow collection, an alias or a comment.
fn value_range(line: &[u8], from: usize) -> Option<Range<usize>> {
    let mut start = from;
    let mut end = line.len();
    while start < end && line[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && (line[end - 1].is_ascii_whitespace() || line[end - 1] == b',') {
        end -= 1;
    }
    if end > start + 1 && matches!(line[start], b'"' | b'\'') && line[end - 1] == line[start] {
        start += 1;
        end -= 1;
    }
    let first = *line.get(start).filter(|_| start < end)?;
    (!matches!(first, b'|' | b'>' | b'{' | b'[' | b'&' | b'*' | b'#')).then_some(start..end)
}

fn names_a_credential(key: &[u8]) -> bool {
    let key = key.to_ascii_lowercase();
    let has = |word: &[u8]| key.windows(word.len()).any(|w| w == word);
    [
        &b"password"[..],
        b"passwd",
        b"secret",
        b"token",
        b"apikey",
        b"api_key",
        b"api-key",
        b"private_key",
        b"privatekey",
        b"credential",
    ]
    .iter()
    .any(|w| has(w))
}

/// As the generic credential rules judge a value: not a placeholder or ciphertext, at least 8
/// bytes of 3 bits of entropy, not a name, path or URL.
fn looks_generated(value: &[u8]) -> bool {
    value.len() >= 8
        && !is_placeholder(value)
        && shannon_entropy(value) >= 3.0
        && !looks_like_name(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sops_files_in_every_format_are_encrypted() {
        let enc = "ENC[AES256_GCM,data:Tr7o=,iv:1=,tag:2=,type:str]";
        for text in [
            format!("password: {enc}\nsops:\n  version: 3.8.1\n"),
            format!("sops:\n  mac: {enc}\nvalue: {enc}\n"),
            format!("{{\"data\": \"{enc}\", \"sops\": {{\"version\": \"3.8.1\"}}}}"),
            format!("DB_PASSWORD={enc}\nsops_version=3.8.1\nsops_mac={enc}\n"),
            format!("[app]\npassword = {enc}\n[sops]\nversion = 3.8.1\n"),
        ] {
            assert!(is_encrypted(text.as_bytes()), "{text}");
        }
        for text in [
            "password: hunter2hunter2\nsops:\n  version: 3.8.1\n",
            "password: ENC[AES256_GCM,data:x]\n",
            "DB_PASSWORD=Zq8r2Lm5Nv9Wt1Xy\n",
        ] {
            assert!(!is_encrypted(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn assignments_in_yaml_json_dotenv_and_ini() {
        let value = |line: &str| {
            assignment(line.as_bytes())
                .map(|(k, r)| (String::from_utf8_lossy(k).into_owned(), line[r].to_string()))
        };
        let pair = |k: &str, v: &str| Some((k.to_string(), v.to_string()));
        assert_eq!(
            value("  password_unencrypted: hunter2\n"),
            pair("password_unencrypted", "hunter2")
        );
        assert_eq!(
            value("    \"api_key\": \"abc def\",\n"),
            pair("api_key", "abc def")
        );
        assert_eq!(value("TOKEN=x1\n"), pair("TOKEN", "x1"));
        assert_eq!(value("secret = 'q'\n"), pair("secret", "q"));
        assert_eq!(value("- token: t\n"), pair("token", "t"));
        assert_eq!(value("sops_mac=ENC[x]\n"), None);
        assert_eq!(value("  enc: |\n"), None);
        assert_eq!(value("  -----BEGIN AGE ENCRYPTED FILE-----\n"), None);
    }

    #[test]
    fn only_credential_keys_with_generated_values_are_warned_of() {
        let text = "stringData:\n  password_unencrypted: Zq8r2Lm5Nv9Wt1Xy\n  password: ENC[AES256_GCM,data:x,type:str]\n  username_unencrypted: admin-user\n  secretName_unencrypted: db-credentials\nsops:\n  mac: ENC[AES256_GCM,data:y]\n  encrypted_regex: ^(data|stringData)$\n";
        let found = |text: &str| {
            let mut out = Vec::new();
            clear_credentials(text.as_bytes(), 0..text.len(), &mut out);
            out.iter()
                .map(|d| text[d.span.clone()].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(found(text), ["Zq8r2Lm5Nv9Wt1Xy"]);
        let without_setting = text.replace("  encrypted_regex: ^(data|stringData)$\n", "");
        assert!(
            found(&without_setting).is_empty(),
            "sops encrypts every value then"
        );
    }
}
