//! Errors in words for users: no parser settings or Rust types, and no input values (a key
//! may be named; a scalar is named by its kind only, as it may be a secret).

use serde::de::Unexpected;

/// A Rust scalar type in words.
pub(super) fn type_word(ty: &str) -> &'static str {
    match ty {
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        "char" => "one character",
        _ => "a whole number",
    }
}

/// What serde found, by kind only: serde's own wording quotes the value (`string "x"`).
/// What a field expects, without the Rust type serde names (`struct RawConfig`: a mapping).
pub(super) fn expected_words(expected: &dyn serde::de::Expected) -> String {
    let text = expected.to_string();
    if text.starts_with("struct ") || text.starts_with("tuple struct ") {
        "a mapping".to_string()
    } else if text.starts_with("enum ") {
        "one of its names".to_string()
    } else {
        text
    }
}

pub(super) fn unexpected_kind(unexpected: &Unexpected) -> &'static str {
    match unexpected {
        Unexpected::Bool(_) => "boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "integer",
        Unexpected::Float(_) => "floating point",
        Unexpected::Char(_) => "character",
        Unexpected::Str(_) => "string",
        Unexpected::Bytes(_) => "bytes",
        Unexpected::Unit => "null",
        Unexpected::Option => "optional value",
        Unexpected::NewtypeStruct => "newtype struct",
        Unexpected::Seq => "sequence",
        Unexpected::Map => "map",
        Unexpected::Enum => "enum",
        Unexpected::UnitVariant => "unit variant",
        Unexpected::NewtypeVariant => "newtype variant",
        Unexpected::TupleVariant => "tuple variant",
        Unexpected::StructVariant => "struct variant",
        Unexpected::Other(_) => "scalar",
    }
}
