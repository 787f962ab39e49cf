//! serde's `Deserializer` over the node tree: manifests as `serde_json::Value`, the
//! configuration and rule packs as their structs, from the same YAML reading the scan uses.
//!
//! Values follow the YAML 1.2 core schema as serde-saphyr read them with `strict_booleans`:
//! plain `null`/`~`/empty are null, `true`/`True`/`TRUE` (and false) booleans,
//! integers with `0x`/`0o`/`0b`, floats; quoted and block scalars stay strings; `!!str` and `!`
//! keep text, `!!binary` is base64 of UTF-8 text; merge keys (`<<`) add the entries the map does
//! not have; a key written twice is an error. Errors carry an offset and never a scalar's value.

use std::collections::HashSet;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer as _, Unexpected, Visitor};

use super::message::{expected_words, type_word, unexpected_kind};
use super::tree::{parse_documents, Node, NodeKind, ScalarTags};

/// Collections nested deeper than this are refused: deserializing recurses once per level.
pub const MAX_DEPTH: usize = 64;

const BUDGET: &str = "document too large or too deeply nested";
const TAG_NOT_TEXT: &str = "a tag whose value cannot be read here";

/// Why a document could not be read: words without input values, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    offset: Option<usize>,
    message: String,
}

impl Error {
    fn at(offset: usize, message: impl Into<String>) -> Self {
        Error {
            offset: Some(offset),
            message: message.into(),
        }
    }

    /// The 1-based line and column (in characters) of the error in `text`, if known.
    pub fn line_column(&self, text: &str) -> Option<(usize, usize)> {
        Some(crate::finding::line_col(text.as_bytes(), self.offset?))
    }

    /// The innermost place wins: only an error without one takes `offset`.
    fn or_at(mut self, offset: usize) -> Self {
        self.offset.get_or_insert(offset);
        self
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error {
            offset: None,
            message: msg.to_string(),
        }
    }

    // serde's own wording quotes the value (`invalid type: string "hunter2"`).
    fn invalid_type(unexp: Unexpected, exp: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "found {}, expected {}",
            unexpected_kind(&unexp),
            expected_words(exp)
        ))
    }

    fn invalid_value(unexp: Unexpected, exp: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "invalid {}, expected {}",
            unexpected_kind(&unexp),
            expected_words(exp)
        ))
    }

    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        de::Error::custom(format_args!(
            "unknown value, expected one of {}",
            expected.join(", ")
        ))
    }
}

/// Every document of a YAML stream as `T`; one with no content reads as null, for the caller
/// to drop.
pub fn from_documents<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, Error> {
    let docs = parse_documents(text).map_err(|e| Error::at(e.offset, e.message))?;
    docs.iter()
        .map(|(root, tags)| T::deserialize(De::new(text, root, tags, 0)))
        .collect()
}

/// The one document of `text` as `T`; a text without one reads as an empty mapping.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let docs = parse_documents(text).map_err(|e| Error::at(e.offset, e.message))?;
    match docs.as_slice() {
        [] => {
            let empty = Node {
                kind: NodeKind::Map(Vec::new()),
                span: 0..0,
            };
            T::deserialize(De::new(text, &empty, &ScalarTags::new(), 0))
        }
        [(root, tags)] => T::deserialize(De::new(text, root, tags, 0)),
        [_, (second, _), ..] => Err(Error::at(
            second.span.start,
            "more than one document where one is expected",
        )),
    }
}

/// An explicit tag, as it changes how a scalar reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    /// None, or one the core schema does not know (`!env`): read as untagged.
    Untagged,
    /// `!!str`, `!` and the like: text, never null or a number.
    Str,
    Null,
    Bool,
    Int,
    Float,
    Binary,
    /// A tag no scalar value here can have (`!!timestamp`, `!!map` on a scalar).
    Unreadable,
}

const CORE_PREFIX: &str = "tag:yaml.org,2002:";

/// serde-saphyr's reading of a resolved tag.
fn classify(tag: &str) -> Tag {
    if let Some(name) = tag.strip_prefix(CORE_PREFIX) {
        return by_name(name.strip_prefix('!').unwrap_or(name));
    }
    match tag.strip_prefix('!') {
        None => Tag::Untagged,
        Some("" | "!") => Tag::Str,
        Some("!timestamp") => Tag::Unreadable,
        Some("!binary") => Tag::Binary,
        Some(name) => match name.strip_prefix('!') {
            Some(core) if is_core_name(core) => by_name(core),
            Some(_) => Tag::Untagged,
            None => by_name(name),
        },
    }
}

fn is_core_name(name: &str) -> bool {
    matches!(
        name,
        "null" | "bool" | "int" | "float" | "map" | "seq" | "str"
    )
}

fn by_name(name: &str) -> Tag {
    match name {
        "str" => Tag::Str,
        "null" => Tag::Null,
        "bool" => Tag::Bool,
        "int" => Tag::Int,
        "float" => Tag::Float,
        "binary" => Tag::Binary,
        "seq" | "map" | "timestamp" | "time" | "degrees" | "radians" => Tag::Unreadable,
        _ => Tag::Untagged,
    }
}

/// One scalar as the readers see it.
struct Scalar<'n> {
    value: &'n str,
    /// Quoted or a block scalar: not resolved to null, booleans or numbers.
    plain: bool,
    tag: Tag,
    offset: usize,
}

impl Scalar<'_> {
    fn is_null(&self) -> bool {
        self.tag == Tag::Null
            || (self.tag == Tag::Untagged
                && self.plain
                && matches!(self.value, "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Whether a tag forbids reading it as `expected` (untagged and `!`-like tags allow all).
    fn check_tag(&self, expected: Tag, ty: &str) -> Result<(), Error> {
        match self.tag {
            Tag::Untagged | Tag::Str => Ok(()),
            tag if tag == expected => Ok(()),
            _ => Err(Error::at(self.offset, format!("expected {ty}"))),
        }
    }

    /// The text a string target gets: `!!binary` decoded, null-like text refused.
    fn text(&self) -> Result<std::borrow::Cow<'_, str>, Error> {
        match self.tag {
            Tag::Binary => decode_binary(self.value).map(Into::into).ok_or_else(|| {
                Error::at(self.offset, "invalid !!binary: not base64 of UTF-8 text")
            }),
            Tag::Untagged if self.is_null() => {
                Err(Error::at(self.offset, "found null, expected a string"))
            }
            Tag::Untagged | Tag::Str => Ok(self.value.into()),
            _ => Err(Error::at(self.offset, TAG_NOT_TEXT)),
        }
    }
}

fn decode_binary(text: &str) -> Option<String> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// YAML 1.2 booleans as serde-saphyr's `strict_booleans` reads them.
fn parse_bool(text: &str) -> Option<bool> {
    match yaml_trim(text) {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn yaml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

/// An integer in decimal (no leading zero), `0x`, `0o` or `0b`, `_` between digits.
fn parse_int(text: &str) -> Option<i128> {
    let t = yaml_trim(text);
    let (negative, rest) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let magnitude = parse_digits(digits, radix)?;
    let magnitude = i128::try_from(magnitude).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn radix_and_digits(rest: &str) -> (u32, &str) {
    for (prefixes, radix) in [(["0x", "0X"], 16), (["0o", "0O"], 8), (["0b", "0B"], 2)] {
        if let Some(digits) = prefixes.iter().find_map(|p| rest.strip_prefix(p)) {
            return (radix, digits);
        }
    }
    (10, rest)
}

/// Digits of `radix`, underscores only between digits; `None` past u128.
fn parse_digits(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut any = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let inside =
                i > 0 && bytes[i - 1] != b'_' && bytes.get(i + 1).is_some_and(|&n| n != b'_');
            if !inside {
                return None;
            }
            continue;
        }
        let digit = (b as char).to_digit(radix)?;
        value = value
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(digit))?;
        any = true;
    }
    any.then_some(value)
}

/// A YAML 1.2 float: `.inf`, `.nan` (any of three cases) or a finite decimal.
fn parse_float(text: &str) -> Option<f64> {
    let t = yaml_trim(text);
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// [`parse_float`], and a numeral too large for f64 (`1e999`) as infinite.
fn parse_float_or_overflow(text: &str) -> Option<f64> {
    if let Some(v) = parse_float(text) {
        return Some(v);
    }
    let t = yaml_trim(text);
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if !unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_infinite())
}

/// Spellings a plain scalar keeps as text though a number parser would take them.
fn stays_text(t: &str) -> bool {
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    matches!(unsigned.as_bytes(), [b'0', b'X' | b'O' | b'B', ..])
        || (t.len() > unsigned.len() && matches!(unsigned, ".nan" | ".NaN" | ".NAN"))
}

fn leading_zero_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A node being read: the tree, the tags beside it, how deep it is.
#[derive(Clone, Copy)]
struct De<'n, 'a> {
    text: &'a str,
    node: &'n Node<'a>,
    tags: &'n ScalarTags,
    depth: usize,
}

impl<'n, 'a> De<'n, 'a> {
    fn new(text: &'a str, node: &'n Node<'a>, tags: &'n ScalarTags, depth: usize) -> Self {
        De {
            text,
            node,
            tags,
            depth,
        }
    }

    fn child(&self, node: &'n Node<'a>) -> Self {
        De::new(self.text, node, self.tags, self.depth + 1)
    }

    /// A child node read by `seed`; its errors placed at it unless placed deeper.
    fn read<S: DeserializeSeed<'a>>(&self, seed: S, node: &'n Node<'a>) -> Result<S::Value, Error> {
        seed.deserialize(self.child(node))
            .map_err(|e: Error| e.or_at(node.span.start))
    }

    fn offset(&self) -> usize {
        self.node.span.start
    }

    fn scalar(&self) -> Option<Scalar<'n>> {
        let NodeKind::Scalar { value, quoted } = &self.node.kind else {
            return None;
        };
        let span = &self.node.span;
        let typing = self.tags.get(&(span.start, span.end));
        let block = typing.is_some_and(|t| t.block);
        let tag = typing
            .and_then(|t| t.tag.as_deref())
            .map_or(Tag::Untagged, classify);
        Some(Scalar {
            value,
            plain: !quoted && !block,
            tag,
            offset: span.start,
        })
    }

    /// The scalar, or the error a `what` target gets for anything else.
    fn expect_scalar(&self, what: &dyn de::Expected) -> Result<Scalar<'n>, Error> {
        self.scalar().ok_or_else(|| self.not_a(what))
    }

    fn not_a(&self, what: &dyn de::Expected) -> Error {
        let unexpected = match &self.node.kind {
            NodeKind::Seq(_) => Unexpected::Seq,
            NodeKind::Map(_) => Unexpected::Map,
            NodeKind::Scalar { .. } => Unexpected::Other("a scalar"),
            NodeKind::Alias => return Error::at(self.offset(), BUDGET),
        };
        <Error as de::Error>::invalid_type(unexpected, what).or_at(self.offset())
    }

    fn enter(&self) -> Result<(), Error> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::at(self.offset(), BUDGET));
        }
        Ok(())
    }

    fn any_scalar<V: Visitor<'a>>(self, s: Scalar<'n>, visitor: V) -> Result<V::Value, Error> {
        match s.tag {
            Tag::Null => return visitor.visit_unit(),
            Tag::Bool => return self.deserialize_bool(visitor),
            Tag::Int if yaml_trim(s.value).starts_with('-') => {
                return self.deserialize_i64(visitor)
            }
            Tag::Int => return self.deserialize_u64(visitor),
            Tag::Float => {
                let v = parse_float_or_overflow(s.value)
                    .ok_or_else(|| Error::at(s.offset, "expected a number"))?;
                return visit_finite(v, s.offset, visitor);
            }
            Tag::Unreadable => return Err(Error::at(s.offset, TAG_NOT_TEXT)),
            Tag::Untagged | Tag::Str | Tag::Binary => {}
        }
        if s.is_null() {
            return visitor.visit_unit();
        }
        if !s.plain || s.tag != Tag::Untagged {
            return visit_text(s.text()?, visitor);
        }
        if let Some(b) = parse_bool(s.value) {
            return visitor.visit_bool(b);
        }
        let t = yaml_trim(s.value);
        if stays_text(t) {
            return visitor.visit_str(s.value);
        }
        if t.starts_with('-') {
            if !leading_zero_decimal(t) {
                if let Some(v) = parse_int(t).and_then(|v| i64::try_from(v).ok()) {
                    return visitor.visit_i64(v);
                }
            }
        } else if let Some(v) = parse_int(t).and_then(|v| u64::try_from(v).ok()) {
            return visitor.visit_u64(v);
        }
        if let Some(v) = parse_float_or_overflow(s.value) {
            return visit_finite(v, s.offset, visitor);
        }
        visitor.visit_str(s.value)
    }

    fn integer(&self, ty: &str) -> Result<i128, Error> {
        let s = self.expect_scalar(&type_word(ty))?;
        s.check_tag(Tag::Int, type_word(ty))?;
        parse_int(s.value).ok_or_else(|| Error::at(s.offset, format!("expected {}", type_word(ty))))
    }

    fn float(&self) -> Result<f64, Error> {
        let s = self.expect_scalar(&"a number")?;
        s.check_tag(Tag::Float, "a number")?;
        parse_float(s.value).ok_or_else(|| Error::at(s.offset, "expected a number"))
    }

    /// A mapping's entries as read: its own (a key twice is an error), then those of its merge
    /// keys' maps that it does not have, earlier merges first.
    fn entries(&self) -> Result<Vec<(&'n Node<'a>, &'n Node<'a>)>, Error> {
        let mut own = Vec::new();
        let mut merges = Vec::new();
        for (key, value) in self.node.entries() {
            if self.child(key).is_merge_key() {
                merges.push(value);
            } else {
                own.push((key, value));
            }
        }
        let mut seen = HashSet::new();
        for (key, _) in &own {
            if let Some(name) = key.as_str() {
                if !seen.insert(name) {
                    return Err(Error::at(key.span.start, format!("duplicate key `{name}`")));
                }
            }
        }
        for merged in merges {
            let maps = match &merged.kind {
                NodeKind::Seq(items) => items.iter().collect(),
                _ => vec![merged],
            };
            for map in maps {
                let de = self.child(map);
                de.enter()?;
                if !matches!(map.kind, NodeKind::Map(_)) {
                    return Err(Error::at(
                        map.span.start,
                        "a merge key's value is not a mapping",
                    ));
                }
                for (key, value) in de.entries()? {
                    if key.as_str().is_none_or(|name| seen.insert(name)) {
                        own.push((key, value));
                    }
                }
            }
        }
        Ok(own)
    }

    fn is_merge_key(&self) -> bool {
        self.scalar().is_some_and(|s| {
            (s.plain && s.tag == Tag::Untagged && s.value == "<<")
                || self
                    .tags
                    .get(&(self.node.span.start, self.node.span.end))
                    .and_then(|t| t.tag.as_deref())
                    .is_some_and(|t| t == "tag:yaml.org,2002:merge")
        })
    }
}

fn visit_text<'a, V: Visitor<'a>>(
    text: std::borrow::Cow<'_, str>,
    visitor: V,
) -> Result<V::Value, Error> {
    match text {
        std::borrow::Cow::Borrowed(s) => visitor.visit_str(s),
        std::borrow::Cow::Owned(s) => visitor.visit_string(s),
    }
}

/// A float where any value may come: an infinite or NaN one cannot be JSON, so it is refused.
fn visit_finite<'a, V: Visitor<'a>>(v: f64, offset: usize, visitor: V) -> Result<V::Value, Error> {
    if !v.is_finite() {
        return Err(Error::at(offset, "a number that is not finite"));
    }
    visitor.visit_f64(v)
}

macro_rules! integers {
    ($($method:ident $visit:ident $ty:ident),*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
            let v = self.integer(stringify!($ty))?;
            let v = $ty::try_from(v).map_err(|_| {
                Error::at(self.offset(), format!("expected {}", type_word(stringify!($ty))))
            })?;
            visitor.$visit(v).map_err(|e: Error| e.or_at(self.offset()))
        }
    )*};
}

/// Methods that read as another one does, their extra arguments unused.
macro_rules! read_as {
    ($($method:ident($($arg:ident: $ty:ty),*) => $target:ident;)*) => {$(
        fn $method<V: Visitor<'a>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            self.$target(visitor)
        }
    )*};
}

impl<'n, 'a> de::Deserializer<'a> for De<'n, 'a> {
    type Error = Error;

    read_as! {
        deserialize_f32() => deserialize_f64;
        deserialize_char() => deserialize_str;
        deserialize_string() => deserialize_str;
        deserialize_identifier() => deserialize_str;
        deserialize_byte_buf() => deserialize_bytes;
        deserialize_unit_struct(_name: &'static str) => deserialize_unit;
        deserialize_tuple(_len: usize) => deserialize_seq;
        deserialize_tuple_struct(_name: &'static str, _len: usize) => deserialize_seq;
        deserialize_struct(_name: &'static str, _fields: &'static [&'static str]) => deserialize_map;
    }

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let offset = self.offset();
        let result = match (&self.node.kind, self.scalar()) {
            (_, Some(s)) => self.any_scalar(s, visitor),
            (NodeKind::Seq(_), _) => self.deserialize_seq(visitor),
            (NodeKind::Map(_), _) => self.deserialize_map(visitor),
            _ => Err(Error::at(offset, BUDGET)),
        };
        result.map_err(|e: Error| e.or_at(offset))
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let s = self.expect_scalar(&"true or false")?;
        s.check_tag(Tag::Bool, "true or false")?;
        let b = parse_bool(s.value).ok_or_else(|| Error::at(s.offset, "expected true or false"))?;
        visitor.visit_bool(b).map_err(|e: Error| e.or_at(s.offset))
    }

    integers!(
        deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16, deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64, deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64
    );

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let v = self.float()?;
        visitor
            .visit_f64(v)
            .map_err(|e: Error| e.or_at(self.offset()))
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let s = self.expect_scalar(&"a string")?;
        let offset = s.offset;
        visit_text(s.text()?, visitor).map_err(|e: Error| e.or_at(offset))
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.scalar() {
            Some(s) if s.tag == Tag::Binary => {
                visitor.visit_byte_buf(s.text()?.into_owned().into_bytes())
            }
            _ => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.scalar().is_some_and(|s| s.is_null()) {
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.scalar() {
            Some(s) if s.is_null() => visitor.visit_unit(),
            _ => Err(self.not_a(&"null")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let NodeKind::Seq(items) = &self.node.kind else {
            return Err(self.not_a(&visitor));
        };
        self.enter()?;
        let mut access = Items {
            de: self,
            items: items.iter(),
        };
        let value = visitor
            .visit_seq(&mut access)
            .map_err(|e: Error| e.or_at(self.offset()))?;
        match access.items.next() {
            None => Ok(value),
            Some(extra) => Err(Error::at(extra.span.start, "more items than expected")),
        }
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if !matches!(self.node.kind, NodeKind::Map(_)) {
            return Err(self.not_a(&visitor));
        }
        self.enter()?;
        let entries = self.entries()?;
        let mut access = Entries {
            de: self,
            entries: entries.into_iter(),
            value: None,
        };
        visitor
            .visit_map(&mut access)
            .map_err(|e: Error| e.or_at(self.offset()))
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let offset = self.offset();
        let variant = match &self.node.kind {
            NodeKind::Map(entries) if entries.len() == 1 => Variant {
                de: self.child(&entries[0].0),
                payload: Some(self.child(&entries[0].1)),
            },
            NodeKind::Scalar { .. } => Variant {
                de: self,
                payload: None,
            },
            _ => return Err(self.not_a(&visitor)),
        };
        visitor
            .visit_enum(variant)
            .map_err(|e: Error| e.or_at(offset))
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

struct Items<'n, 'a> {
    de: De<'n, 'a>,
    items: std::slice::Iter<'n, Node<'a>>,
}

impl<'a> de::SeqAccess<'a> for Items<'_, 'a> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let de = self.de;
        self.items
            .next()
            .map(|item| de.read(seed, item))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'n, 'a> {
    de: De<'n, 'a>,
    entries: std::vec::IntoIter<(&'n Node<'a>, &'n Node<'a>)>,
    value: Option<&'n Node<'a>>,
}

impl<'a> de::MapAccess<'a> for Entries<'_, 'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        self.de.read(seed, key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(value) = self.value.take() else {
            return Err(de::Error::custom("a value asked for before its key"));
        };
        self.de.read(seed, value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written as its variant's name, or as a one-entry map of the name to the payload.
struct Variant<'n, 'a> {
    de: De<'n, 'a>,
    payload: Option<De<'n, 'a>>,
}

impl<'n, 'a> de::EnumAccess<'a> for Variant<'n, 'a> {
    type Error = Error;
    type Variant = Payload<'n, 'a>;

    fn variant_seed<S: DeserializeSeed<'a>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Error> {
        let offset = self.de.offset();
        let name = seed
            .deserialize(self.de)
            .map_err(|e: Error| e.or_at(offset))?;
        Ok((name, Payload(self.payload, offset)))
    }
}

struct Payload<'n, 'a>(Option<De<'n, 'a>>, usize);

impl<'a> de::VariantAccess<'a> for Payload<'_, 'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            None => Ok(()),
            Some(de) => de::Deserialize::deserialize(de),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'a>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.payload()?)
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self.payload()?, visitor)
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self.payload()?, visitor)
    }
}

impl<'n, 'a> Payload<'n, 'a> {
    fn payload(self) -> Result<De<'n, 'a>, Error> {
        self.0
            .ok_or_else(|| Error::at(self.1, "expected a mapping of the variant to its value"))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{json, Value};

    use super::*;

    fn value(text: &str) -> Value {
        from_str(text).unwrap()
    }

    fn error(text: &str) -> (String, Option<(usize, usize)>) {
        let err = from_str::<Value>(text).unwrap_err();
        (err.to_string(), err.line_column(text))
    }

    /// The YAML 1.2 core schema as serde-saphyr read it with strict booleans.
    #[test]
    fn scalars_resolve_as_the_core_schema() {
        let doc = value(concat!(
            "n: ~\ne:\nb: [true, True, yes, on, n, 'true']\n",
            "i: [0x1F, 0o17, 0b101, 1_000, -12, 0X1F, 0127]\n",
            "f: [1.5, 1e3, .5]\ns: ['1', \"2\"]\nl: |\n  3\nm: >-\n  true\n",
            "t: [!!str 5, ! 6, !!int '7', !env 8, !!str, !!binary aGk=]\n"
        ));
        let expected = json!({
            "n": null, "e": null,
            "b": [true, true, "yes", "on", "n", "true"],
            "i": [31, 15, 5, 1000, -12, "0X1F", 127.0],
            "f": [1.5, 1000.0, 0.5],
            "s": ["1", "2"],
            "l": "3\n",
            "m": "true",
            "t": ["5", "6", 7, 8, "", "hi"],
        });
        assert_eq!(doc, expected);
    }

    #[test]
    fn merge_keys_add_what_the_map_lacks_earlier_merges_first() {
        let doc = value("a: &a {k: v, j: 1}\nb: {<<: [*a, {z: 3, k: w}], j: 2}\n");
        assert_eq!(doc["b"], json!({"j": 2, "k": "v", "z": 3}));
    }

    #[test]
    fn streams_keep_non_empty_documents() {
        let docs: Vec<Value> = from_documents("---\n---\na: 1\n---\n# c\n---\nb: ~\n").unwrap();
        let docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
        assert_eq!(docs, vec![json!({"a": 1}), json!({"b": null})]);
        assert_eq!(value("\u{feff}a: 1\n"), json!({"a": 1}));
    }

    #[test]
    fn a_duplicate_key_is_named_at_its_second_place() {
        let (message, at) = error("a: 1\nb: 2\na: hunter2\n");
        assert_eq!(message, "duplicate key `a`");
        assert_eq!(at, Some((3, 1)));
    }

    /// Every error path: a place, and never the value (a YAML value may be a secret).
    #[test]
    fn errors_have_a_place_and_no_value() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        #[serde(deny_unknown_fields)]
        struct Typed {
            n: Option<u64>,
            f: Option<f64>,
            b: Option<bool>,
            s: Option<String>,
            e: Option<Level>,
            v: Option<Vec<String>>,
        }
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "lowercase")]
        enum Level {
            Low,
        }
        let typed = [
            "n: hunter2\n",
            "n: -5hunter2\n",
            "f: hunter2\n",
            "b: hunter2\n",
            "s: [hunter2]\n",
            "e: hunter2\n",
            "v: hunter2\n",
        ];
        for text in typed {
            let err = from_str::<Typed>(text).unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{text:?}: {err}");
            assert!(err.line_column(text).is_some(), "{text:?}: {err}");
        }
        let untyped = [
            "a: .inf\n",
            "a: !!binary hunter2\n",
            "a: !!int hunter2\n",
            "a: !!timestamp hunter2\n",
            "{hunter2: 1}: 2\n",
            "~: hunter2\n",
            "<<: hunter2\n",
            "a: [hunter2\n",
            "a: 1\n---\nb: 2\n",
        ];
        for text in untyped {
            let (message, at) = error(text);
            assert!(!message.contains("hunter2"), "{text:?}: {message}");
            assert!(at.is_some(), "{text:?}: {message}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!(
            "{}x{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(error(&deep).0, BUDGET);
        let fine = format!(
            "{}x{}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(from_str::<Value>(&fine).is_ok());
    }

    /// Unlike serde-saphyr, which stopped at the first key it could not read, the whole
    /// document is parsed first: a Helm template's syntax error is the one reported.
    #[test]
    fn a_syntax_error_is_reported_before_a_key_that_is_not_a_string() {
        let (message, at) = error("{{ x }}: 1\nb: [\n");
        assert!(!message.contains("expected a string"), "{message}");
        assert_ne!(at.map(|(line, _)| line), Some(1), "{message}");
    }
}
