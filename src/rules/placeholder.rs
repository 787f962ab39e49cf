//! Values that are never secrets: templates, substitutions, ciphertext and placeholders. One
//! function, used by every rule and detector.

/// Words people write where a secret will go (compared case-insensitively, whole value).
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "replace_me",
    "placeholder",
    "example",
    "redacted",
    "dummy",
    "todo",
    "none",
    "null",
    "secret",
    "password",
    "your-token-here",
    "notset",
];

/// Prefixes of references to a secret kept elsewhere.
const REFERENCE_PREFIXES: &[&str] = &[
    "vault:",
    "ref+",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "secretref:",
    "akv:",
];

/// Whether `value` is empty, a template, a substitution, SOPS ciphertext, a reference or an
/// obvious placeholder.
pub fn is_placeholder(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    let v = text.trim().trim_matches(|c| c == '"' || c == '\'');
    v.is_empty()
        || v.contains("{{")
        || v.contains("${")
        || v.contains("$(")
        || (v.starts_with('$')
            && v[1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
        || v.starts_with("ENC[")
        || (v.starts_with('<') && v.ends_with('>'))
        || v.chars()
            .all(|c| c == v.chars().next().unwrap_or(' ') || c == '-' || c == '_')
        || has_repeated_run(v)
        || PLACEHOLDER_WORDS.iter().any(|w| v.eq_ignore_ascii_case(w))
        || REFERENCE_PREFIXES
            .iter()
            .any(|p| v.to_ascii_lowercase().starts_with(p))
}

/// `xxxxxxxx` or `********` inside a longer value: a masked or template value.
fn has_repeated_run(v: &str) -> bool {
    let bytes = v.as_bytes();
    bytes.windows(8).any(|w| {
        w.iter()
            .all(|&b| b == w[0] && matches!(b, b'x' | b'X' | b'*' | b'#' | b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for v in [
            "",
            "  ",
            "{{ .Values.pw }}",
            "${DB_PASS}",
            "$DB_PASS",
            "$(cat f)",
            "ENC[AES256_GCM,data:x]",
            "<password>",
            "********",
            "xxxxxxxxxxxx",
            "CHANGEME",
            "vault:secret/data/db#pw",
            "ref+vault://x",
            "glpat-xxxxxxxxxxxxxxxxxxxx",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v:?}");
        }
    }

    #[test]
    fn real_looking_values_are_not_placeholders() {
        for v in [
            "hunter2",
            "Zq8r2Lm5Nv9Wt1",
            "$5ecret",
            "s3cr3t-example-value",
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v:?}");
        }
    }
}
