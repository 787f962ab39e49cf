//! Findings: plain data about one problem at one place. Never the secret value itself.

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::ops::{Deref, Range};
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;
use zeroize::Zeroizing;

/// A detector's raw result: the rule, where the value is, what to say, and the value itself
/// (only to compute the fingerprint and run the rules on decoded data; never reported).
pub struct Detection {
    pub rule: Shared,
    pub span: Range<usize>,
    pub message: String,
    pub value: Zeroizing<Vec<u8>>,
    /// Overrides the rule's severity for this one (e.g. a deprecation that is also a conflict).
    pub severity: Option<Severity>,
    /// What a structural finding is about (object, field, value digest): its fingerprint is
    /// made of this and the path instead of `value`, so that rewording a message keeps it.
    pub identity: Option<String>,
}

impl Detection {
    pub fn new(rule: &str, span: Range<usize>, message: String, value: Vec<u8>) -> Detection {
        Detection {
            rule: Shared::rule(rule),
            span,
            message,
            value: Zeroizing::new(value),
            severity: None,
            identity: None,
        }
    }

    /// A finding about a structure rather than a value: fingerprinted by `identity`.
    pub fn about(rule: &str, span: Range<usize>, message: String, identity: String) -> Detection {
        Detection {
            identity: Some(identity),
            ..Detection::new(rule, span, message, Vec::new())
        }
    }
}

/// How bad a finding is; `--fail-on` compares against this order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!(
                "unknown severity {s:?}: use info, warning or error"
            )),
        }
    }
}

/// What kind of problem a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A secret committed in plaintext (or base64).
    Leak,
    /// A SealedSecret that will not decrypt, or is malformed.
    SealedSecret,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Leak => "leak",
            Category::SealedSecret => "sealed-secret",
        }
    }
}

/// One finding. `line` and `column` are 1-based (column in characters); `span` is the byte
/// range of the offending value in the file, used to redact it in code frames.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Shared,
    pub category: Category,
    pub severity: Severity,
    /// Path relative to the repository root (or the scanned directory), `/`-separated: one
    /// string for all the findings of a file.
    pub path: Shared,
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
    pub message: String,
    /// Salted hash of the rule and the value (for a structural finding: the rule, path and
    /// identity): stable across runs, line moves and message rewording, and revealing nothing
    /// about the value.
    pub fingerprint: Fingerprint,
    /// For findings of `--range` and `--history`: the commit whose blob of `path` the value was
    /// found in (where it came in), and so whose blob code frames show. Boxed: most findings
    /// have none, and 100k findings of one file are held until the report is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<Box<CommitInfo>>,
}

/// A finding's fingerprint: 32 hex digits, held as the 16 bytes they spell (100k findings of
/// one file held a string each until the report was written).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(Digits);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Digits {
    /// Lower-case hex of these bytes, as fingerprints are made.
    Hex([u8; 16]),
    /// Any other text (a finding made by hand), as it is.
    Text(Box<str>),
}

impl Fingerprint {
    pub fn from_digest(bytes: [u8; 16]) -> Fingerprint {
        Fingerprint(Digits::Hex(bytes))
    }

    /// `f` of the fingerprint's text, written on the stack.
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Digits::Hex(bytes) => {
                let mut text = [0u8; 32];
                crate::crypto::hex_into(bytes, &mut text);
                f(std::str::from_utf8(&text).unwrap_or_default())
            }
            Digits::Text(text) => f(text),
        }
    }
}

impl From<&str> for Fingerprint {
    /// 32 lower-case hex digits are held as their bytes (so that both forms compare equal).
    fn from(text: &str) -> Fingerprint {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut bytes = [0u8; 16];
        let parsed = text.len() == 32
            && bytes
                .iter_mut()
                .zip(text.as_bytes().chunks_exact(2))
                .all(|(b, pair)| match (digit(pair[0]), digit(pair[1])) {
                    (Some(high), Some(low)) => {
                        *b = high << 4 | low;
                        true
                    }
                    _ => false,
                });
        Fingerprint(if parsed {
            Digits::Hex(bytes)
        } else {
            Digits::Text(text.into())
        })
    }
}

impl PartialEq<str> for Fingerprint {
    fn eq(&self, other: &str) -> bool {
        self.with_str(|text| text == other)
    }
}

impl PartialEq<&str> for Fingerprint {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl PartialEq<Fingerprint> for String {
    fn eq(&self, other: &Fingerprint) -> bool {
        other == self.as_str()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| f.write_str(text))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| fmt::Debug::fmt(text, f))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_str(|text| serializer.serialize_str(text))
    }
}

/// A string many findings share, as the path of a file with 100k findings or a rule id: one
/// allocation for all of them instead of one each.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shared(Arc<str>);

thread_local! {
    /// Rule ids made on this thread: every detection of a rule shares its id. Bounded by the
    /// rule pack, never by the input.
    static RULE_IDS: RefCell<std::collections::HashSet<Shared>> = RefCell::default();
}

impl Shared {
    /// The shared string of rule `id`.
    pub fn rule(id: &str) -> Shared {
        RULE_IDS.with(|ids| {
            let mut ids = ids.borrow_mut();
            if let Some(shared) = ids.get(id) {
                return shared.clone();
            }
            let shared = Shared::from(id);
            ids.insert(shared.clone());
            shared
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Shared {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Shared {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Shared {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::path::Path> for Shared {
    fn as_ref(&self) -> &std::path::Path {
        self.0.as_ref().as_ref()
    }
}

impl From<&str> for Shared {
    fn from(s: &str) -> Shared {
        Shared(Arc::from(s))
    }
}

impl From<String> for Shared {
    fn from(s: String) -> Shared {
        Shared(Arc::from(s))
    }
}

impl From<&String> for Shared {
    fn from(s: &String) -> Shared {
        Shared::from(s.as_str())
    }
}

impl From<Shared> for String {
    fn from(s: Shared) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Shared {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<Shared> for &str {
    fn eq(&self, other: &Shared) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Shared> for String {
    fn eq(&self, other: &Shared) -> bool {
        self.as_str() == &*other.0
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The commit that introduced a finding's value, and whether the value is still at HEAD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// The full commit id.
    pub id: String,
    /// Author time, seconds since the epoch.
    pub time: i64,
    /// `--history` only: whether this value (same rule and fingerprint) is still in the file at
    /// the finding's path at HEAD, i.e. found in the blob HEAD holds at that path. `false` when
    /// the value was removed or the file deleted or moved since, even if the value is at HEAD in
    /// another file (the finding keeps the path where the value first came in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
}

/// Byte offset → 1-based (line, column in characters). For one offset; a file with many
/// goes through a `LineIndex`.
pub fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(offset)
}

/// The offset of every line's start in `text`, to share among threads (each [`LineIndex`] keeps
/// a cursor of its own).
pub(crate) fn line_starts(text: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
        .collect()
}

/// Where offsets of a file are: line and column. Lines are counted between the offsets asked
/// for, from a cursor (a vectorized count, no list of every line's start), which is cheapest
/// when offsets come in order, as findings do. Once counting has walked the text twice over
/// (offsets asked for out of order), every line's start is listed once and searched instead.
pub(crate) struct LineIndex<'a> {
    text: &'a [u8],
    starts: std::cell::OnceCell<std::borrow::Cow<'a, [usize]>>,
    /// (offset, 0-based line of that offset): where counting resumes.
    cursor: Cell<(usize, usize)>,
    /// Bytes counted or searched so far, and how many may be before listing the starts.
    walked: Cell<usize>,
    budget: usize,
    /// The last offset located, its line and its column: offsets found in order along one long
    /// line count characters from there instead of from the line's start.
    last: Cell<Option<(usize, usize, usize)>>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a [u8]) -> LineIndex<'a> {
        LineIndex::from_point(text, 0, 0, text.len())
    }

    /// An index that starts counting at `offset`, known to be on 0-based `line`, for offsets
    /// within `span` bytes of it (a document of a file): counting never walks from the file's
    /// start for each document.
    pub(crate) fn from_point(
        text: &'a [u8],
        offset: usize,
        line: usize,
        span: usize,
    ) -> LineIndex<'a> {
        LineIndex {
            text,
            starts: std::cell::OnceCell::new(),
            cursor: Cell::new((offset.min(text.len()), line)),
            walked: Cell::new(0),
            budget: 2 * span + 4096,
            last: Cell::new(None),
        }
    }

    /// An index of `text` over line starts found before by [`line_starts`].
    pub(crate) fn with_starts(text: &'a [u8], starts: &'a [usize]) -> LineIndex<'a> {
        let index = LineIndex::new(text);
        let _ = index.starts.set(std::borrow::Cow::Borrowed(starts));
        index
    }

    /// Line starts, to share among threads (the index itself keeps a cursor of its own).
    pub(crate) fn starts(&self) -> &[usize] {
        self.starts
            .get_or_init(|| std::borrow::Cow::Owned(line_starts(self.text)))
    }

    /// 0-based line of `offset`: the number of line breaks before it.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if let Some(starts) = self.starts.get() {
            return starts.partition_point(|&s| s <= offset) - 1;
        }
        let (at, line) = self.cursor.get();
        if !self.walk(offset.abs_diff(at)) {
            return self.line_of(offset);
        }
        let line = if offset >= at {
            line + memchr::memchr_iter(b'\n', &self.text[at..offset]).count()
        } else {
            line - memchr::memchr_iter(b'\n', &self.text[offset..at]).count()
        };
        self.cursor.set((offset, line));
        line
    }

    /// Charges `bytes` of walking; false (and the starts listed) once the budget is spent.
    fn walk(&self, bytes: usize) -> bool {
        let walked = self.walked.get() + bytes;
        self.walked.set(walked);
        if walked <= self.budget {
            return true;
        }
        self.starts();
        false
    }

    /// Byte offset where 0-based `line` starts.
    pub(crate) fn line_start(&self, line: usize) -> Option<usize> {
        self.starts().get(line).copied()
    }

    /// Where the line holding `offset` starts.
    fn start_of_line_at(&self, offset: usize, line: usize) -> usize {
        if let Some(starts) = self.starts.get() {
            return starts[line];
        }
        let start = memchr::memrchr(b'\n', &self.text[..offset]).map_or(0, |i| i + 1);
        if !self.walk(offset - start) {
            return self.starts()[line];
        }
        start
    }

    /// 1-based (line, column in characters) of `offset`.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let (from, column) = match self.last.get() {
            Some((at, at_line, column)) if at_line == line && at <= offset => (at, column),
            _ => (self.start_of_line_at(offset, line), 1),
        };
        let column = column + chars(&self.text[from..offset]);
        // Counting resumes only before a byte that starts a character: there, counting in two
        // parts gives what counting the whole gives, even in invalid UTF-8.
        if self.text.get(offset).is_none_or(|&b| !is_continuation(b)) {
            self.last.set(Some((offset, line, column)));
        }
        (line + 1, column)
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// Characters in `bytes`, an invalid sequence counting as one (as `from_utf8_lossy` shows it).
fn chars(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes).chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counted from a cursor or searched in the list of starts, in order or not, an offset is
    /// where a count from the file's start puts it.
    #[test]
    fn line_col_is_the_same_in_any_order_of_offsets() {
        let text = "ab\ncdé f\n\n  x: y\r\nzz\n".repeat(50);
        let bytes = text.as_bytes();
        let naive = |offset: usize| {
            let before = &bytes[..offset];
            let line = before.iter().filter(|&&b| b == b'\n').count();
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            (
                line + 1,
                String::from_utf8_lossy(&bytes[start..offset])
                    .chars()
                    .count()
                    + 1,
            )
        };
        let offsets: Vec<usize> = (0..bytes.len())
            .filter(|&i| !is_continuation(bytes[i]))
            .collect();
        let mut shuffled = offsets.clone();
        shuffled.sort_by_key(|&i| (i * 7919) % offsets.len());
        for order in [&offsets, &shuffled] {
            let index = LineIndex::new(bytes);
            for &offset in order.iter() {
                assert_eq!(index.line_col(offset), naive(offset), "at {offset}");
            }
        }
        // From a point inside the text, before and after it.
        let index = LineIndex::from_point(bytes, 100, naive(100).0 - 1, 50);
        for offset in [100, 140, 120, 3, bytes.len()] {
            assert_eq!(index.line_col(offset), naive(offset), "at {offset}");
        }
    }

    /// Offsets asked for back and forth across the text stop being counted and are searched.
    #[test]
    fn counting_back_and_forth_lists_the_starts_instead() {
        let text = "a\n".repeat(10_000);
        let index = LineIndex::new(text.as_bytes());
        for _ in 0..3 {
            index.line_col(text.len());
            index.line_col(0);
        }
        assert!(index.starts.get().is_some());
        assert!(index.walked.get() <= index.budget + text.len());
    }

    #[test]
    fn line_col_counts_characters_from_one() {
        let text = "ab\ncdé f\n".as_bytes();
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 8), (2, 5), "é is one column");
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn the_index_agrees_with_counting_from_the_start() {
        let text = b"ab\xe2\x82 c\xff\xc3\xa9d\n\nxy\xe2\x82\xacz\nlast";
        let reference = |offset: usize| {
            let before = &text[..offset.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            (line, chars(&before[start..]) + 1)
        };
        let index = LineIndex::new(text);
        let offsets: Vec<usize> = (0..=text.len() + 1).chain((0..text.len()).rev()).collect();
        for offset in offsets {
            assert_eq!(index.line_col(offset), reference(offset), "offset {offset}");
        }
    }

    #[test]
    fn fingerprints_read_and_print_as_their_text() {
        let hex = "d83133f5fd6fce6e02ff9a1d2788c534";
        let parsed = Fingerprint::from(hex);
        assert!(matches!(parsed.0, Digits::Hex(_)));
        assert_eq!(parsed.to_string(), hex);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), format!("{hex:?}"));
        assert_eq!(parsed, hex);
        assert_eq!(hex.to_string(), parsed);
        for text in [
            "",
            "fp",
            "D83133F5FD6FCE6E02FF9A1D2788C534",
            "d83133f5fd6fce6e02ff9a1d2788c53x",
        ] {
            let kept = Fingerprint::from(text);
            assert!(matches!(kept.0, Digits::Text(_)), "{text}");
            assert_eq!(kept.to_string(), text);
            assert_ne!(kept, parsed);
        }
        assert!(
            std::mem::size_of::<Finding>() <= 128,
            "a finding per key of 100k"
        );
    }

    #[test]
    fn severities_order_for_fail_on() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warning);
    }
}

/// Something worth telling that is not a finding: a file skipped, a document not parsed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// Every value span the scan found in one file, before any suppression, with a digest of the
/// bytes it found them in: the report redacts code frames with them instead of detecting the
/// whole file again, when the bytes it reads for the frame are the same.
#[derive(Debug, Default)]
pub struct ValueSpans {
    digest: [u8; 32],
    spans: Vec<Range<usize>>,
}

/// [`ValueSpans`] by repository path, for the files with findings of a working-tree scan.
pub type Values = std::collections::HashMap<String, ValueSpans>;

impl ValueSpans {
    pub fn new(bytes: &[u8], spans: Vec<Range<usize>>) -> ValueSpans {
        ValueSpans {
            digest: digest(bytes),
            spans,
        }
    }

    /// The spans, if `bytes` are the bytes they were found in (a file may change between the
    /// scan and the report: then the report must detect again).
    pub fn spans_for(&self, bytes: &[u8]) -> Option<&[Range<usize>]> {
        (digest(bytes) == self.digest).then_some(self.spans.as_slice())
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
