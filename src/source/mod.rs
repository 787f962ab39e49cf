//! Where files come from. Every source hands out `(repository-relative path, bytes)` and
//! notes about what it skipped; everything downstream is the same for all sources.

pub(crate) mod filter;
pub(crate) mod git;
pub(crate) mod stdin;
mod worktree;

pub(crate) use crate::paths::{relative_path, repository_root};
pub(crate) use worktree::visit_named;
pub(crate) use worktree::{walk_worktree, WalkOptions};

/// Receives files from a source, from several threads at once.
pub(crate) trait Visitor: Sync {
    fn file(&self, path: &str, bytes: &[u8]);
    fn note(&self, path: &str, message: String);
    /// A file not scanned at all (binary, too large, unreadable), and why.
    fn skipped(&self, path: &str, message: String) {
        self.note(path, message);
    }
}

/// Bytes looked at to tell a binary file from text: the first block only, once per file.
const PROBE: usize = 8 * 1024;

/// What a file holds, judged once per file, here only, for every source.
pub(crate) enum Content<'a> {
    /// Text to scan: the bytes as they are, or UTF-8 decoded from UTF-16/32 with a BOM.
    Text(std::borrow::Cow<'a, [u8]>),
    /// Not text; says why, for the note.
    Binary(&'static str),
}

/// Text or binary. A file with a BOM for UTF-16 or UTF-32 is decoded to UTF-8: each code
/// unit becomes one character and a line break stays a line break, so lines and columns
/// (in characters) are those of the file, and spans are byte offsets into the UTF-8 text.
/// Any other file is text, passed on byte for byte (stray invalid UTF-8 and NULs included:
/// the detectors cope), unless its first block starts with a binary format's magic or is
/// full of control bytes.
pub(crate) fn sniff(bytes: &[u8]) -> Content<'_> {
    if let Some(text) = decode_with_bom(bytes) {
        return Content::Text(std::borrow::Cow::Owned(text.into_bytes()));
    }
    let probe = &bytes[..bytes.len().min(PROBE)];
    if BINARY_MAGIC.iter().any(|m| probe.starts_with(m)) {
        return Content::Binary("binary file (by its format's signature); skipped");
    }
    // Text seldom holds a NUL; binary data without a signature nearly always does (random
    // bytes: about 32 in a block). memchr tells that at memory speed.
    if memchr::memchr(0, probe).is_none() {
        return Content::Text(std::borrow::Cow::Borrowed(bytes));
    }
    let control = probe
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    // A few NULs or stray controls do not make a manifest binary; a block full of them does
    // (random and compressed data: one byte in eight; UTF-16 without a BOM: one in two).
    if control > 8 && control * 16 > probe.len() {
        return Content::Binary("binary file (control bytes in its first block); skipped");
    }
    Content::Text(std::borrow::Cow::Borrowed(bytes))
}

/// Signatures of binary formats found in repositories: images, archives, compressed
/// streams, executables, PDF, SQLite, Java classes.
const BINARY_MAGIC: &[&[u8]] = &[
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
    b"7z\xbc\xaf\x27\x1c",
    b"\x7fELF",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"%PDF-",
    b"SQLite format 3\x00",
    b"\x00asm",
];

/// UTF-32 and UTF-16 (either byte order) with their BOM, as UTF-8 without it; a code unit
/// that is not a character becomes U+FFFD, a trailing odd byte is dropped.
fn decode_with_bom(bytes: &[u8]) -> Option<String> {
    type Unit = fn([u8; 4]) -> u32;
    let (bom, width, unit): (&[u8], usize, Unit) = if bytes.starts_with(b"\xff\xfe\x00\x00") {
        (b"\xff\xfe\x00\x00", 4, u32::from_le_bytes)
    } else if bytes.starts_with(b"\x00\x00\xfe\xff") {
        (b"\x00\x00\xfe\xff", 4, u32::from_be_bytes)
    } else if bytes.starts_with(b"\xff\xfe") {
        (b"\xff\xfe", 2, |b| {
            u32::from(u16::from_le_bytes([b[0], b[1]]))
        })
    } else if bytes.starts_with(b"\xfe\xff") {
        (b"\xfe\xff", 2, |b| {
            u32::from(u16::from_be_bytes([b[0], b[1]]))
        })
    } else {
        return None;
    };
    let units = bytes[bom.len()..].chunks_exact(width).map(|c| {
        let mut b = [0; 4];
        b[..width].copy_from_slice(c);
        unit(b)
    });
    let text = if width == 4 {
        units
            .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    } else {
        char::decode_utf16(units.map(|u| u as u16))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> Vec<u8> {
        match sniff(bytes) {
            Content::Text(t) => t.into_owned(),
            Content::Binary(why) => panic!("binary: {why}"),
        }
    }

    #[test]
    fn boms_decode_to_the_same_text() {
        let plain = "kind: Secret\r\nstringData: {pw: h\u{e9}\u{1f600}}\n";
        let utf16le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(plain.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let utf16be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain(plain.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let utf32le: Vec<u8> = [0xff, 0xfe, 0, 0]
            .into_iter()
            .chain(plain.chars().flat_map(|c| u32::from(c).to_le_bytes()))
            .collect();
        let utf32be: Vec<u8> = [0, 0, 0xfe, 0xff]
            .into_iter()
            .chain(plain.chars().flat_map(|c| u32::from(c).to_be_bytes()))
            .collect();
        for encoded in [utf16le, utf16be, utf32le, utf32be] {
            assert_eq!(text(&encoded), plain.as_bytes());
        }
    }

    #[test]
    fn stray_bytes_are_text_and_binary_formats_are_not() {
        assert_eq!(text(b"a: \xff\x00b\n"), b"a: \xff\x00b\n");
        assert!(matches!(
            sniff(b"\x89PNG\r\n\x1a\nkind: Secret"),
            Content::Binary(_)
        ));
        let random: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(matches!(sniff(&random), Content::Binary(_)));
        let bomless: Vec<u8> = "kind: Secret\n"
            .repeat(10)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(matches!(sniff(&bomless), Content::Binary(_)));
    }
}
