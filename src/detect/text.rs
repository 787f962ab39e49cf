//! A manifest's text, twice: as read, for splitting and triage, and as the YAML parser takes it,
//! with a space for each character YAML forbids (NUL, other controls, stray invalid UTF-8),
//! which a parser would reject along with every Secret in the file. Both have the file's
//! length, so spans are offsets into the file either way. The parser's text is made when a
//! document first needs a tree: files that hold only CRDs or values never pay for it.

use std::borrow::Cow;
use std::sync::OnceLock;

pub(super) struct ManifestText<'a> {
    /// The file itself when it is UTF-8; else (owned) already the parser's text.
    read: Cow<'a, str>,
    /// For a UTF-8 file: its cleaned copy, or None when it has nothing to clean.
    cleaned: OnceLock<Option<String>>,
}

impl<'a> ManifestText<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> ManifestText<'a> {
        let read = match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(cleaned(bytes)),
        };
        ManifestText {
            read,
            cleaned: OnceLock::new(),
        }
    }

    /// The text as read. Where it differs from [`Self::parsed`], only characters YAML forbids
    /// differ, so a reader of top-level keys must not take a key or value holding one.
    pub(super) fn read(&self) -> &str {
        &self.read
    }

    /// The text the YAML parser takes.
    pub(super) fn parsed(&self) -> &str {
        match self.read {
            Cow::Owned(ref text) => text,
            Cow::Borrowed(text) => self
                .cleaned
                .get_or_init(|| has_not_yaml(text.as_bytes()).then(|| cleaned(text.as_bytes())))
                .as_deref()
                .unwrap_or(text),
        }
    }
}

/// `bytes` with a space for each byte of a character YAML forbids and of invalid UTF-8.
fn cleaned(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if not_yaml(c) {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            } else {
                out.push(c);
            }
        }
        out.extend(std::iter::repeat_n(' ', chunk.invalid().len()));
    }
    out
}

/// Whether valid UTF-8 `bytes` hold a character [`not_yaml`] names: a control byte, or the
/// encoding of a C1 control other than NEL (`C2 80`–`C2 9F`) or of U+FFFE/U+FFFF (`EF BF BE`,
/// `EF BF BF`). Tests of bytes, so that text costs one vectorized pass and a search for two
/// rare bytes, not a decoding of every character.
fn has_not_yaml(bytes: &[u8]) -> bool {
    let control = |&b: &u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f;
    // In blocks without an early exit, so that the test of every byte is vectorized. Most
    // blocks hold no byte below a space but line breaks, and no DEL: a cheaper test passes them,
    // and only the others get the exact one.
    let any_control = bytes.chunks(64).any(|c| {
        let maybe = c.iter().fold(false, |seen, &b| {
            seen | ((b < 0x20) & (b != b'\n')) | (b == 0x7f)
        });
        maybe && c.iter().any(control)
    });
    any_control
        || memchr::memchr2_iter(0xc2, 0xef, bytes).any(|i| match bytes[i] {
            0xc2 => matches!(bytes.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9f)),
            _ => bytes.get(i + 1) == Some(&0xbf) && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)),
        })
}

/// Characters YAML does not allow in a stream (it allows tab, line breaks, NEL, BOM).
pub(super) fn not_yaml(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte test finds exactly the characters `not_yaml` names, every one of them.
    #[test]
    fn has_not_yaml_agrees_with_not_yaml_on_every_character() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(has_not_yaml(text.as_bytes()), not_yaml(c), "{c:?}");
        }
    }

    #[test]
    fn the_parsed_text_has_spaces_for_what_yaml_forbids_and_the_same_length() {
        let text = ManifestText::new(b"a: \x01b\xffc\xc2\x85\n");
        assert_eq!(text.parsed(), "a:  b c\u{85}\n");
        assert_eq!(text.read(), text.parsed());
        let text = ManifestText::new("k\x7f: \u{fffe}\n".as_bytes());
        assert_eq!(text.read(), "k\x7f: \u{fffe}\n");
        assert_eq!(text.parsed(), "k :    \n");
        let text = ManifestText::new(b"a: b\n");
        assert!(std::ptr::eq(text.read(), text.parsed()));
    }
}
