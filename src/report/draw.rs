//! The layout of a diagnostic for people: a `code` heading, the message after a severity
//! icon, causes, a one-line code frame with a labelled underline, and help. sealant drew these
//! with miette before; this module draws the same bytes for what sealant shows (one frame of
//! one line, one label, lines never re-wrapped) without miette's 31 crates, about 8% of a
//! cold build.

use std::fmt::Write as _;
use std::ops::Range;

use unicode_width::UnicodeWidthChar;

/// A tab in a frame's line reaches the next multiple of this many columns.
const TAB_WIDTH: usize = 4;

/// ANSI SGR parameters of each part (`None`: plain text).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Theme {
    error: Option<&'static str>,
    warning: Option<&'static str>,
    advice: Option<&'static str>,
    help: Option<&'static str>,
    link: Option<&'static str>,
    linum: Option<&'static str>,
    highlight: Option<&'static str>,
}

impl Theme {
    pub(crate) fn new(color: bool) -> Theme {
        if !color {
            return Theme {
                error: None,
                warning: None,
                advice: None,
                help: None,
                link: None,
                linum: None,
                highlight: None,
            };
        }
        Theme {
            error: Some("31"),
            warning: Some("33"),
            advice: Some("36"),
            help: Some("36"),
            link: Some("36;1;4"),
            linum: Some("2"),
            highlight: Some("35;1"),
        }
    }

    fn level(&self, level: Level) -> Option<&'static str> {
        match level {
            Level::Error => self.error,
            Level::Warning => self.warning,
            Level::Advice => self.advice,
        }
    }
}

/// `text` in `style`, reset after it.
fn paint(style: Option<&str>, text: &str) -> String {
    match style {
        Some(sgr) => format!("\x1b[{sgr}m{text}\x1b[0m"),
        None => text.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warning,
    Advice,
}

impl Level {
    fn icon(self) -> &'static str {
        match self {
            Level::Error => "×",
            Level::Warning => "⚠",
            Level::Advice => "☞",
        }
    }
}

/// One line of a file, already redacted, and the label's byte range in it.
pub(crate) struct Frame<'a> {
    /// `path:line:column`, the frame's heading.
    pub location: &'a str,
    /// 1-based; 0 with an empty `text`, for a finding whose bytes cannot be shown.
    pub line: usize,
    pub text: &'a str,
    pub label: Range<usize>,
}

pub(crate) struct Diagnostic<'a> {
    /// The heading line (`error[rule]`, `sealant::input`); empty for none.
    pub code: &'a str,
    pub level: Level,
    pub message: &'a str,
    /// Each cause's message, outermost first.
    pub causes: &'a [String],
    pub frame: Option<Frame<'a>>,
    pub help: Option<&'a str>,
}

/// Draws `diagnostic`; every line ends with `\n`.
pub(crate) fn draw(diagnostic: &Diagnostic, theme: &Theme) -> String {
    let style = theme.level(diagnostic.level);
    let mut out = String::new();
    if !diagnostic.code.is_empty() {
        out.push_str(&paint(style, diagnostic.code));
        out.push_str("\n\n");
    }
    let first = format!("  {} ", paint(style, diagnostic.level.icon()));
    let rest = format!("  {} ", paint(style, "│"));
    push_indented(&mut out, diagnostic.message, &first, &rest);
    for (i, cause) in diagnostic.causes.iter().enumerate() {
        let last = i + 1 == diagnostic.causes.len();
        let first = paint(style, if last { "  ╰─▶ " } else { "  ├─▶ " });
        let rest = paint(style, if last { "      " } else { "  │   " });
        push_indented(&mut out, cause, &first, &rest);
    }
    if let Some(frame) = &diagnostic.frame {
        push_frame(&mut out, frame, theme);
    }
    if let Some(help) = diagnostic.help {
        push_indented(&mut out, help, &paint(theme.help, "  help: "), "        ");
    }
    out
}

/// `text`'s lines after `first` (the first line) or `rest` (the others), a blank line's
/// indent without its trailing blanks, and a closing `\n`.
fn push_indented(out: &mut String, text: &str, first: &str, rest: &str) {
    for (i, line) in text.split_terminator('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = if i == 0 { first } else { rest };
        if line.trim().is_empty() {
            out.push_str(indent.trim_end());
        } else {
            out.push_str(indent);
        }
        out.push_str(line);
    }
    if text.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
}

fn push_frame(out: &mut String, frame: &Frame, theme: &Theme) {
    let shown = !frame.text.is_empty();
    let linum = if shown { frame.line } else { 0 };
    let gutter = linum.to_string().len();
    let pad = " ".repeat(gutter + 2);
    let _ = writeln!(out, "{pad}╭─[{}]", paint(theme.link, frame.location));
    if shown {
        let linum = paint(theme.linum, &linum.to_string());
        let _ = writeln!(out, " {linum} │ {}", expand_tabs(frame.text));
        push_label(out, frame, &" ".repeat(gutter), theme);
    }
    let _ = writeln!(out, "{pad}╰────");
}

/// The underline below the label's columns and the `here` hanging from its middle. A label
/// that starts at the line's end has nothing to underline.
fn push_label(out: &mut String, frame: &Frame, gutter: &str, theme: &Theme) {
    let label = &frame.label;
    if label.start >= frame.text.len() {
        return;
    }
    let start = columns(&frame.text[..floor_char(frame.text, label.start)]);
    let end = if label.is_empty() {
        start + 1
    } else {
        columns(&frame.text[..ceil_char(frame.text, label.end)]).max(start + 1)
    };
    let middle = (start + end) / 2;
    let mark = if label.is_empty() { "▲" } else { "┬" };
    let underline = format!(
        "{}{}{mark}{}",
        " ".repeat(start),
        "─".repeat(middle - start),
        "─".repeat(end - middle - 1)
    );
    let here = format!("╰── {}", paint(theme.highlight, "here"));
    let _ = writeln!(out, " {gutter} · {}", paint(theme.highlight, &underline));
    let _ = writeln!(
        out,
        " {gutter} · {}{}",
        " ".repeat(middle),
        paint(theme.highlight, &here)
    );
}

/// Display columns of `text` as the frame draws it: tabs to the next stop, terminal escape
/// sequences (up to their `m`) taking none.
fn columns(text: &str) -> usize {
    widths(text).map(|(_, w)| w).sum()
}

/// Each character of `text` with the columns it takes at its place.
fn widths(text: &str) -> impl Iterator<Item = (char, usize)> + '_ {
    let mut column = 0;
    let mut escaped = false;
    text.chars().map(move |c| {
        let width = match (escaped, c) {
            (false, '\t') => TAB_WIDTH - column % TAB_WIDTH,
            (false, '\x1b') => {
                escaped = true;
                0
            }
            (false, c) => c.width().unwrap_or(0),
            (true, 'm') => {
                escaped = false;
                0
            }
            (true, _) => 0,
        };
        column += width;
        (c, width)
    })
}

fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (c, width) in widths(text) {
        if c == '\t' {
            out.extend(std::iter::repeat_n(' ', width));
        } else {
            out.push(c);
        }
    }
    out
}

/// `at`, or the start of the character it falls in.
fn floor_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `at` (at most the text's end), or the end of the character it falls in.
fn ceil_char(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding<'a>(text: &'a str, label: Range<usize>) -> Diagnostic<'a> {
        Diagnostic {
            code: "error[r]",
            level: Level::Error,
            message: "m",
            causes: &[],
            frame: Some(Frame {
                location: "a.yaml:9:5",
                line: 9,
                text,
                label,
            }),
            help: Some("h"),
        }
    }

    #[test]
    fn a_frame_underlines_its_label_and_hangs_here_from_the_middle() {
        let text = draw(&finding("key: <redacted>", 5..15), &Theme::new(false));
        let want = "error[r]\n\n  × m\n   ╭─[a.yaml:9:5]\n 9 │ key: <redacted>\n   ·      ─────┬────\n   ·           ╰── here\n   ╰────\n  help: h\n";
        assert_eq!(text, want);
    }

    #[test]
    fn tabs_and_wide_characters_move_the_underline_by_columns() {
        let text = draw(&finding("\tk: 日本 x", 4..10), &Theme::new(false));
        assert!(text.contains(" 9 │     k: 日本 x\n"), "{text}");
        assert!(text.contains("   ·        ──┬─\n"), "{text}");
    }

    #[test]
    fn an_empty_label_gets_an_arrow_and_one_at_the_end_of_the_line_nothing() {
        let arrow = draw(&finding("ab", 1..1), &Theme::new(false));
        assert!(arrow.contains("   ·  ▲\n   ·  ╰── here\n"), "{arrow}");
        let none = draw(&finding("ab", 2..2), &Theme::new(false));
        assert!(!none.contains("here"), "{none}");
    }

    #[test]
    fn causes_hang_from_the_message_and_blank_lines_keep_no_trailing_blanks() {
        let causes = ["first".to_string(), "last".to_string()];
        let text = draw(
            &Diagnostic {
                code: "",
                level: Level::Warning,
                message: "one\n\ntwo",
                causes: &causes,
                frame: None,
                help: None,
            },
            &Theme::new(false),
        );
        assert_eq!(text, "  ⚠ one\n  │\n  │ two\n  ├─▶ first\n  ╰─▶ last\n");
    }

    #[test]
    fn any_line_and_label_draw_without_panic_and_the_mark_stays_under_the_label() {
        let pieces = ["a", "\t", "日", "é", "\x1b[1m", " ", "<redacted>", "…"];
        let mut next = crate::testing::numbers(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let text: String = (0..next(12)).map(|_| pieces[next(pieces.len())]).collect();
            let start = next(text.len() + 2);
            let label = start..start + next(6);
            let color = next(2) == 1;
            let drawn = draw(&finding(&text, label.clone()), &Theme::new(color));
            if color {
                continue;
            }
            let Some(under) = drawn.lines().find(|l| l.contains('┬') || l.contains('▲')) else {
                continue;
            };
            assert!(label.start < text.len(), "{text:?} {label:?}: {drawn}");
            let mark = under.chars().position(|c| c == '┬' || c == '▲').unwrap() - 5;
            let from = columns(&text[..floor_char(&text, label.start)]);
            let to = columns(&text[..ceil_char(&text, label.end)]).max(from + 1);
            assert!(
                (from..to.max(from + 1)).contains(&mark),
                "{text:?} {label:?}: {drawn}"
            );
        }
    }

    #[test]
    fn colour_wraps_each_part_in_its_own_escape() {
        let text = draw(&finding("k: v", 3..4), &Theme::new(true));
        assert!(text.starts_with("\x1b[31merror[r]\x1b[0m\n\n  \x1b[31m×\x1b[0m m\n"));
        assert!(text.contains("╭─[\x1b[36;1;4ma.yaml:9:5\x1b[0m]"));
        assert!(text.contains(" \x1b[2m9\x1b[0m │ k: v\n"));
        assert!(text.contains("\x1b[35;1m╰── \x1b[35;1mhere\x1b[0m\x1b[0m\n"));
        assert!(text.ends_with("\x1b[36m  help: \x1b[0mh\n"));
    }
}
