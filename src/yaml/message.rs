//! The YAML parser's errors in words for users: no parser settings or Rust types to adjust,
//! and no input values (a key may be named; a scalar is named by its kind only).

use std::borrow::Cow;

use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};

/// The message of a parse error, without its location (callers put `file:line:column` first).
pub fn parse_error_message(err: &Error) -> String {
    let mut err = err;
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = err {
        err = error;
    }
    let text = Plain.format_message(err);
    let first = text.lines().next().unwrap_or_default();
    first.chars().filter(|c| !c.is_control()).collect()
}

struct Plain;

impl MessageFormatter for Plain {
    fn format_message<'a>(&self, err: &'a Error) -> Cow<'a, str> {
        match err {
            Error::DuplicateMappingKey { key: Some(k), .. } => {
                Cow::Owned(format!("duplicate key `{k}`"))
            }
            Error::DuplicateMappingKey { key: None, .. } => Cow::Borrowed("duplicate key"),
            Error::SerdeInvalidType {
                unexpected,
                expected,
                ..
            } => Cow::Owned(format!(
                "found {}, expected {expected}",
                kind_only(unexpected)
            )),
            Error::SerdeInvalidValue {
                unexpected,
                expected,
                ..
            } => Cow::Owned(format!(
                "invalid {}, expected {expected}",
                kind_only(unexpected)
            )),
            Error::InvalidScalar { ty, .. } => Cow::Owned(format!("expected {}", type_word(ty))),
            Error::NonFiniteFloat { .. } => Cow::Borrowed("a number that is not finite"),
            Error::Budget { .. } => Cow::Borrowed("document too large or too deeply nested"),
            _ => UserMessageFormatter.format_message(err),
        }
    }
}

/// A Rust scalar type in words.
fn type_word(ty: &str) -> &str {
    match ty {
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        "char" => "one character",
        t if t.starts_with(['u', 'i']) && t[1..].chars().all(|c| c.is_ascii_digit()) => {
            "a whole number"
        }
        t if t.starts_with("usize") || t.starts_with("isize") => "a whole number",
        t => t,
    }
}

/// `string "x"` or ``integer `5` `` → `string`, `integer`: serde quotes the value after its kind.
fn kind_only(unexpected: &str) -> &str {
    unexpected
        .split([' ', '`', '"', '\''])
        .next()
        .unwrap_or(unexpected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_of(text: &str) -> String {
        let err = serde_saphyr::from_str::<serde_json::Value>(text).unwrap_err();
        parse_error_message(&err)
    }

    #[test]
    fn a_duplicate_key_is_named_without_parser_settings() {
        let message = message_of("a: 1\nb: 2\na: hunter2\n");
        assert_eq!(message, "duplicate key `a`");
    }

    #[test]
    fn a_wrong_type_names_the_kind_not_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct S {
            n: u64,
        }
        let err = serde_saphyr::from_str::<S>("n: hunter2\n").unwrap_err();
        let message = parse_error_message(&err);
        assert!(!message.contains("hunter2"), "{message}");
        assert_eq!(message, "expected a whole number");
    }
}
