//! Running rules near keyword hits: the window a regex sees, which values count, and which of
//! several overlapping matches is kept.

use std::ops::Range;

use regex_automata::meta::Regex;

use super::entropy::shannon_entropy;
use super::prefilter::{Hits, Prefilter};
use super::verdict::is_not_a_credential;
use super::{Rule, RuleMatch};

/// How far around its hit a single-line rule looks: enough for any one assignment, small enough
/// that a minified file's megabyte-long line is not searched once per hit.
const LINE_REACH: usize = 4 * 1024;
/// How far before its hit a multi-line rule starts (`-----BEGIN RSA ` before `PRIVATE KEY`).
const MULTILINE_BACK: usize = 256;
/// How far past its hit a multi-line rule looks: a PEM RSA-8192 key is about 6.5 KiB.
const MULTILINE_REACH: usize = 16 * 1024;
/// How far after a generic keyword its `:` or `=` may be (`_KEY`, a quote, aligned spaces).
const ASSIGNMENT_REACH: usize = 24;

/// How far before a match its key may start (`checksum/` before `secret:`).
const KEY_REACH: usize = 256;

/// A match before overlaps are resolved.
struct Candidate {
    rule: usize,
    span: Range<usize>,
}

/// Per rule, during one `find`: not yet looked at, not for this file, or done up to an offset.
#[derive(Clone, Copy)]
enum Progress {
    Unknown,
    Off,
    ScannedTo(usize),
}

pub(super) fn find<'a>(
    rules: &'a [Rule],
    prefilter: &Prefilter,
    file_name: &str,
    text: &[u8],
    hits: &Hits<'_>,
    quiet: &[Range<usize>],
) -> Vec<RuleMatch<'a>> {
    if hits.is_empty() {
        return Vec::new();
    }
    let search = Search {
        rules,
        prefilter,
        file_name,
        text,
        hits,
        quiet,
    };
    let runs = hits.line_runs(text, PARALLEL_HITS);
    let found = if runs.len() > 1 && rayon::current_num_threads() > 1 {
        // A single-line rule's matches on a line depend on that line's hits alone, so runs of
        // whole lines are independent; multi-line rules reach across runs and go in one pass.
        // `resolve` sorts, so the order they are found in does not matter.
        use rayon::prelude::*;
        let mut found: Vec<Candidate> = runs
            .into_par_iter()
            .flat_map_iter(|run| search.candidates(run, |r| !r.multiline))
            .collect();
        found.extend(search.candidates(0..usize::MAX, |r| r.multiline));
        found
    } else {
        search.candidates(0..usize::MAX, |_| true)
    };
    resolve(rules, found)
}

/// Hits in one file from which their regexes are shared among threads (a 50k-document file has
/// one `password` per document).
const PARALLEL_HITS: usize = 2048;

/// One file's search: its text, hits and quiet ranges, and the rules that may match.
struct Search<'s, 'a> {
    rules: &'a [Rule],
    prefilter: &'s Prefilter,
    file_name: &'s str,
    text: &'s [u8],
    hits: &'s Hits<'s>,
    quiet: &'s [Range<usize>],
}

impl Search<'_, '_> {
    /// The candidates of the rules `wanted` accepts, for the hits at `run` of their order.
    fn candidates(&self, run: Range<usize>, wanted: impl Fn(&Rule) -> bool) -> Vec<Candidate> {
        let (rules, text, hits) = (self.rules, self.text, self.hits);
        let mut progress = vec![Progress::Unknown; rules.len()];
        let mut found = Vec::new();
        for (keyword, at) in hits.iter_in(run) {
            let hit_end = at + hits.keyword(keyword).len();
            for &index in self.prefilter.rules_of(keyword) {
                let rule = &rules[index];
                let done = match progress[index] {
                    Progress::Off => continue,
                    Progress::ScannedTo(done) => done,
                    Progress::Unknown
                        if rule.pattern.is_some()
                            && rule.applies_to(self.file_name)
                            && wanted(rule) =>
                    {
                        0
                    }
                    Progress::Unknown => {
                        progress[index] = Progress::Off;
                        continue;
                    }
                };
                if at < done || (rule.generic && !assignment_follows(text, hit_end)) {
                    continue;
                }
                let Some(regex) = rule.regex() else { continue };
                let (window, natural) = window(text, at, rule.multiline);
                // The window is within the hit's line: its matches would be dropped. Later hits
                // on this line are skipped the same way, so the progress it would set is moot.
                if !rule.multiline && line_is_quiet(text, window.clone(), self.quiet) {
                    continue;
                }
                let reached = collect(index, rule, regex, text, window.clone(), &mut found);
                // A window cut short may hide the start of a later hit's match: resume past the
                // last match only. A whole line (or the rest of the text) is done.
                let scanned = if natural {
                    window.end
                } else {
                    reached.max(at + 1)
                };
                progress[index] = Progress::ScannedTo(scanned);
            }
        }
        found
    }
}

/// The text a rule's regex sees for a hit at `at`, and whether it ends where it naturally
/// would (the line's end, or for multi-line rules the text's end) rather than being cut short.
fn window(text: &[u8], at: usize, multiline: bool) -> (Range<usize>, bool) {
    let line_start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    if multiline {
        let end = (at + MULTILINE_REACH).min(text.len());
        let start = line_start.max(at.saturating_sub(MULTILINE_BACK));
        return (start..end, end == text.len());
    }
    let line_end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
    let start = line_start.max(at.saturating_sub(LINE_REACH));
    let end = line_end.min(at + LINE_REACH);
    (start..end, end == line_end)
}

/// Whether the line holding a single-line `window` lies wholly inside one of `quiet`.
fn line_is_quiet(text: &[u8], window: Range<usize>, quiet: &[Range<usize>]) -> bool {
    let first = quiet.partition_point(|r| r.end <= window.start);
    let Some(range) = quiet.get(first) else {
        return false;
    };
    if range.start > window.start || range.end < window.end {
        return false;
    }
    let line_start = memchr::memrchr(b'\n', &text[..window.start]).map_or(0, |i| i + 1);
    let line_end =
        memchr::memchr(b'\n', &text[window.end..]).map_or(text.len(), |i| window.end + i);
    range.start <= line_start && line_end <= range.end
}

/// `password: …`, `API_TOKEN=…`, `"secret": …`: after the keyword, at most the rest of a key
/// name and some blanks, then `:` or `=`. Prose and code mentioning a keyword mostly fail this
/// before any regex runs.
fn assignment_follows(text: &[u8], keyword_end: usize) -> bool {
    let rest = &text[keyword_end..text.len().min(keyword_end + ASSIGNMENT_REACH)];
    let key_rest = rest
        .iter()
        .take_while(|&&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'"' | b'\'')
        })
        .count();
    let blanks = rest[key_rest..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    matches!(rest.get(key_rest + blanks), Some(b':' | b'='))
}

/// Adds the window's accepted matches to `found`; returns where the last match (accepted or
/// not) ended, or 0.
fn collect(
    index: usize,
    rule: &Rule,
    regex: &Regex,
    text: &[u8],
    window: Range<usize>,
    found: &mut Vec<Candidate>,
) -> usize {
    let mut reached = 0;
    // Most windows hold no match: saying so takes only the regex's DFA, not its captures.
    if !regex.is_match(&text[window.clone()]) {
        return reached;
    }
    for caps in regex.captures_iter(&text[window.clone()]) {
        let whole = caps.get_match().expect("an iterated match matched").span();
        reached = window.start + whole.end;
        // A branch without the `secret` group matched context to pass over (a ConfigMap's
        // `--from-literal`), not a value.
        let secret = match caps.get_group_by_name("secret") {
            Some(secret) => secret,
            None if has_secret_group(regex) => continue,
            None => caps.get_group(1).unwrap_or(whole),
        };
        let span = trim(text, window.start + secret.start..window.start + secret.end);
        let key = key_before(text, window.start + whole.start, span.start);
        if accepts(rule, key, &text[span.clone()]) && !continues_as_template(text, span.end) {
            found.push(Candidate { rule: index, span });
        }
    }
    reached
}

fn has_secret_group(regex: &Regex) -> bool {
    super::schema::group_names(regex)
        .flatten()
        .any(|name| name == "secret")
}

/// The key a value stands under: from where the match starts, back over the rest of a key
/// name (`checksum/` of `checksum/secret`, which the pattern starts after), to the value.
/// Bounded, so that matches in one long run of letters do not each walk all of it.
fn key_before(text: &[u8], match_start: usize, value_start: usize) -> &[u8] {
    let key_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/');
    let back = text[..match_start]
        .iter()
        .rev()
        .take(KEY_REACH)
        .take_while(|b| key_byte(b))
        .count();
    &text[match_start - back..value_start.max(match_start)]
}

/// `password: abc{{ .Values.suffix }}`: the pattern stops at `{`, but the value goes on as a
/// template, filled in at deploy time.
fn continues_as_template(text: &[u8], value_end: usize) -> bool {
    let rest = &text[value_end..];
    rest.starts_with(b"{{") || rest.starts_with(b"{%")
}

/// Whether a value the pattern found under `key` is reported.
fn accepts(rule: &Rule, key: &[u8], value: &[u8]) -> bool {
    !is_not_a_credential(key, value)
        && rule
            .entropy
            .is_none_or(|floor| shannon_entropy(value) >= floor)
        && !(rule.generic && looks_like_name(value))
}

/// Without surrounding blanks or escaped newlines (PEM bodies in JSON strings end in `\n`,
/// or `\\n` when that JSON is itself a quoted string).
fn trim(text: &[u8], mut span: Range<usize>) -> Range<usize> {
    while span.start < span.end && text[span.start].is_ascii_whitespace() {
        span.start += 1;
    }
    loop {
        let value = &text[span.clone()];
        if value
            .last()
            .is_some_and(|&b| b.is_ascii_whitespace() || b == b'\\')
        {
            span.end -= 1;
        } else if value.ends_with(b"\\n") || value.ends_with(b"\\r") {
            span.end -= 2;
        } else {
            return span;
        }
    }
}

/// Under a generic key, a value that reads like a name (`db-credentials`, `myAppSecret`,
/// `tls-2`), a path or a URL names a secret kept elsewhere rather than being one. Generated
/// secrets mix letters and digits inside one word, which names rarely do.
pub(crate) fn looks_like_name(value: &[u8]) -> bool {
    if [&b"/"[..], b"./", b"~/"]
        .iter()
        .any(|p| value.starts_with(p))
    {
        return true;
    }
    let has = |needle: &[u8]| value.windows(needle.len()).any(|w| w == needle);
    if has(b"://") && !value.contains(&b'@') {
        return true;
    }
    let separator = |b: &u8| matches!(b, b'-' | b'_' | b'.' | b'/' | b':');
    let several = value.iter().any(separator);
    value
        .split(separator)
        .all(|segment| is_word(segment) || (several && is_short_name(segment)))
}

/// Empty, digits, an acronym (`TLS`, `CAs`), or lowercase letters then Capitalized humps.
fn is_word(segment: &[u8]) -> bool {
    let caps = segment
        .iter()
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    if segment.iter().all(u8::is_ascii_digit)
        || ((1..=5).contains(&caps) && (segment.len() == caps || &segment[caps..] == b"s"))
    {
        return true;
    }
    let head = segment
        .iter()
        .take_while(|b| b.is_ascii_lowercase())
        .count();
    humps(&segment[head..])
}

/// Among other words: `k8s`, `v1`, `ec2`, or a word and a number (`redis6`, `sha256`).
fn is_short_name(segment: &[u8]) -> bool {
    let letters = segment
        .iter()
        .take_while(|b| b.is_ascii_lowercase())
        .count();
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (segment.len() <= 4 && segment.iter().all(lower_alnum))
        || (letters > 0 && segment[letters..].iter().all(u8::is_ascii_digit))
}

/// `PasswordSecret`: each hump one capital and at least two lowercase letters.
fn humps(mut rest: &[u8]) -> bool {
    while let Some((&first, tail)) = rest.split_first() {
        let lower = tail.iter().take_while(|b| b.is_ascii_lowercase()).count();
        if !first.is_ascii_uppercase() || lower < 2 {
            return false;
        }
        rest = &tail[lower..];
    }
    true
}

/// Sorted by offset, each (span, rule) once, and one finding per value: where matches of
/// different rules overlap, a specific rule beats a generic one, and a match inside another
/// (a PEM body inside a service-account key) gives way to it.
fn resolve<'a>(rules: &'a [Rule], mut found: Vec<Candidate>) -> Vec<RuleMatch<'a>> {
    found.sort_by_key(|c| (c.span.start, c.span.end, c.rule));
    found.dedup_by(|a, b| a.span == b.span && a.rule == b.rule);
    let mut keep = vec![true; found.len()];
    for i in 0..found.len() {
        for j in i + 1..found.len() {
            if found[j].span.start >= found[i].span.end {
                break;
            }
            if beats(rules, &found[i], &found[j]) {
                keep[j] = false;
            } else if beats(rules, &found[j], &found[i]) {
                keep[i] = false;
            }
        }
    }
    found
        .into_iter()
        .zip(keep)
        .filter(|(_, keep)| *keep)
        .map(|(c, _)| RuleMatch {
            rule: &rules[c.rule],
            span: c.span,
        })
        .collect()
}

/// Whether overlapping match `a` makes `b` redundant.
fn beats(rules: &[Rule], a: &Candidate, b: &Candidate) -> bool {
    let (ga, gb) = (rules[a.rule].generic, rules[b.rule].generic);
    let contains = a.span.start <= b.span.start && b.span.end <= a.span.end && a.span != b.span;
    a.rule != b.rule && ((!ga && gb) || (ga == gb && contains))
}

/// `*.ext`, `prefix.*`, `*part*` and exact names against a path's last component; patterns
/// starting with `!` exclude. No patterns: every file.
pub(super) fn paths_accept(patterns: &[String], path: &str) -> bool {
    // Bytes, not `rsplit` on a set of chars: that decodes the name backwards, char by char.
    let name = match path.bytes().rposition(|b| b == b'/' || b == b'\\') {
        Some(slash) => &path[slash + 1..],
        None => path,
    };
    // Runs for every rule on every file with a hit: no allocation.
    let mut include = patterns.iter().filter(|p| !p.starts_with('!')).peekable();
    let included = include.peek().is_none() || include.any(|p| name_matches(p, name));
    included
        && !patterns
            .iter()
            .filter_map(|p| p.strip_prefix('!'))
            .any(|p| name_matches(p, name))
}

pub(super) fn name_matches(pattern: &str, name: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(rest), Some(_)) if rest.len() > 1 => name.contains(&rest[..rest.len() - 1]),
        (Some(suffix), _) => name.ends_with(suffix),
        (None, Some(prefix)) => name.starts_with(prefix),
        (None, None) => name == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_need_a_colon_or_equals_right_after_the_keyword() {
        let ok = |line: &str, kw: &str| {
            let end = line.find(kw).unwrap() + kw.len();
            assignment_follows(line.as_bytes(), end)
        };
        assert!(ok("password: x", "password"));
        assert!(ok("  \"client_secret\" : \"x\"", "secret"));
        assert!(ok("export API_TOKEN_VALUE=x", "TOKEN"));
        assert!(ok("db.password          = x", "password"));
        assert!(!ok("# set the password in the vault", "password"));
        assert!(!ok("kind: Secret", "Secret"));
        assert!(!ok("token", "token"));
    }

    #[test]
    fn names_paths_and_urls_are_not_values() {
        for v in [
            "db-credentials",
            "db-credentials-2",
            "etcd-cluster-k8s",
            "more-custom-CAs",
            "redis6-sha256-ec2",
            "myAppSecret",
            "StrongPasswordRequired",
            "TLS-cert",
            "/var/run/secrets/kubernetes.io/serviceaccount/token",
            "https://login.example.com/oauth2/token",
        ] {
            assert!(looks_like_name(v.as_bytes()), "{v}");
        }
        for v in [
            "Zq8r2Lm5Nv9Wt1",
            "s3cr3t-example-value",
            "hunter2hunter2",
            "password123",
            "a391df94-dd1f-46d6-b3ab-60e90f23e8a2",
            "4Kd7Lf0Mg3Nh6Pj9Qk2R",
            "https://user:pw@host",
            "ABCDEFGHIJKLMN",
        ] {
            assert!(!looks_like_name(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn file_name_patterns() {
        let paths = |ps: &[&str]| ps.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        let env = paths(&["*.env", ".env", ".env.*", "!.env.example"]);
        assert!(paths_accept(&env, "prod.env"));
        assert!(paths_accept(&env, "deploy/.env"));
        assert!(paths_accept(&env, ".env.local"));
        assert!(!paths_accept(&env, ".env.example"));
        assert!(!paths_accept(&env, "x.envrc"));
        assert!(paths_accept(&[], "anything.go"));
        assert!(paths_accept(&paths(&["*secret*"]), "my-secret.txt"));
        assert!(!paths_accept(&paths(&["*.yaml"]), "values.yaml.bak"));
    }

    #[test]
    fn windows_stop_at_the_line_or_the_reach() {
        let text = b"a: 1\npassword: x\nb: 2\n";
        assert_eq!(window(text, 5, false), (5..16, true));
        let long = vec![b'x'; 3 * LINE_REACH];
        let (w, natural) = window(&long, LINE_REACH + 10, false);
        assert_eq!(w, 10..2 * LINE_REACH + 10);
        assert!(!natural);
        assert_eq!(window(text, 5, true), (5..text.len(), true));
    }

    #[test]
    fn spans_lose_blanks_and_escaped_newlines() {
        let text = b"  abc\\n  ";
        assert_eq!(trim(text, 0..text.len()), 2..5);
        let text = br"abc\\n\\n";
        assert_eq!(trim(text, 0..text.len()), 0..3);
    }
}
