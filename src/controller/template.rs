//! The `spec.template.data` forms controller mode renders: plain strings and simple
//! `{{ index . "key" }}` references (with text around them). Anything else is reported as
//! unsupported rather than rendered differently from the controller or dropped.

/// `Err(reason)` when `text` uses template features outside the subset. The reason never
/// quotes the template text (it may embed a secret).
pub(crate) fn check_simple(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or("an unclosed {{ action (only {{ index . \"key\" }} is rendered)")?;
        if !is_index_reference(&after[..close]) {
            return Err(
                "unsupported template: only plain strings and {{ index . \"key\" }} references are rendered offline"
                    .into(),
            );
        }
        rest = &after[close + 2..];
    }
    if rest.contains("}}") {
        return Err("a stray }} (only {{ index . \"key\" }} is rendered)".into());
    }
    Ok(())
}

/// ` index . "key" ` with any surrounding blanks; the key a plain string literal.
fn is_index_reference(action: &str) -> bool {
    let words: Vec<&str> = action.split_whitespace().collect();
    let ["index", ".", key] = words.as_slice() else {
        return false;
    };
    key.len() >= 2
        && key.starts_with('"')
        && key.ends_with('"')
        && !key[1..key.len() - 1].contains(['"', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_and_index_references_pass() {
        for ok in [
            "",
            "plain value",
            r#"{{ index . "password" }}"#,
            r#"{{index . "user"}}"#,
            r#"url=postgres://{{ index . "user" }}:{{ index . "password" }}@db:5432"#,
        ] {
            assert_eq!(check_simple(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn everything_else_is_unsupported() {
        for bad in [
            "{{ .password }}",
            r#"{{ index . "password" | b64enc }}"#,
            r#"{{ toJson (index . "a") }}"#,
            r#"{{- index . "a" -}}"#,
            r#"{{ index . "a" "b" }}"#,
            r#"{{ index . "a\"b" }}"#,
            "{{ index . \"a\" ",
            "a }} b",
        ] {
            let err = check_simple(bad).unwrap_err();
            assert!(!err.contains("password"), "no template text in {err}");
        }
    }
}
