//! One pass per file over every keyword of every rule and detector.
//!
//! aho-corasick is only fast here with its SIMD Teddy searcher, which takes at most 64
//! case-sensitive patterns; past that (or with `ascii_case_insensitive`) it falls back to an
//! automaton and the whole scan gets about 3x slower. `AhoCorasick` does not say which it chose,
//! so Teddy is built directly (`packed::Searcher`, `None` when unavailable) and the automaton is
//! only the fallback; `uses_teddy` lets the tests catch a pack that outgrew it.

use std::ops::Range;

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// The most patterns Teddy takes.
pub const TEDDY_LIMIT: usize = 64;

enum Searcher {
    /// With the keyword of each of its pattern ids (see [`super::buckets`]).
    Teddy(packed::Searcher, Vec<usize>),
    Automaton(AhoCorasick),
}

pub(super) struct Prefilter {
    searcher: Searcher,
    keywords: Vec<String>,
    /// For each keyword: what is searched for it, the keyword or a rarer part of it
    /// (see [`super::anchors`]), and where that part is in the keyword.
    patterns: Vec<String>,
    parts: Vec<Range<usize>>,
    /// For each keyword: the rules to run when it hits.
    rules_of: Vec<Vec<usize>>,
    /// For each keyword: whether it is, or contains, a detector keyword.
    is_extra: Vec<bool>,
    /// For each keyword: (other keyword, offset) for every keyword it contains, itself
    /// included, at its first occurrence.
    inside: Vec<Vec<(usize, usize)>>,
    /// For each keyword's pattern: (offset, other keyword) for patterns that may start inside
    /// it and end past it (`Secret` + `token` in `Secretoken`), by offset.
    overlaps: Vec<Vec<(usize, usize)>>,
}

impl Prefilter {
    pub(super) fn new(rule_keywords: &[&[String]], extra: &[&str]) -> Result<Prefilter, String> {
        let mut keywords: Vec<String> = Vec::new();
        let all = extra.iter().copied().chain(
            rule_keywords
                .iter()
                .flat_map(|l| l.iter().map(String::as_str)),
        );
        for k in all {
            if k.is_empty() {
                return Err("empty keyword".to_string());
            }
            if !keywords.iter().any(|have| have == k) {
                keywords.push(k.to_string());
            }
        }
        // Leftmost-longest hits never overlap, so a hit on a longer keyword hides the shorter
        // ones inside it (`secretGenerator` hides `secret`): a hit stands for every keyword it
        // contains. Keywords that only overlap a hit's end are looked for after it (`scan`).
        let inside: Vec<Vec<(usize, usize)>> =
            keywords.iter().map(|k| inside(k, &keywords)).collect();
        let index = |k: &str| keywords.iter().position(|have| have == k);
        let rule_indexes: Vec<Vec<usize>> = rule_keywords
            .iter()
            .map(|list| list.iter().filter_map(|k| index(k)).collect())
            .collect();
        let rules_of = inside
            .iter()
            .map(|found| {
                (0..rule_keywords.len())
                    .filter(|&r| found.iter().any(|(k, _)| rule_indexes[r].contains(k)))
                    .collect()
            })
            .collect();
        // The extra keywords come first among the keywords.
        let extras = extra
            .iter()
            .filter_map(|e| index(e))
            .max()
            .map_or(0, |i| i + 1);
        let is_extra = inside
            .iter()
            .map(|found| found.iter().any(|&(k, _)| k < extras))
            .collect();
        let parts = super::anchors::parts(&keywords);
        let patterns: Vec<String> = keywords
            .iter()
            .zip(&parts)
            .map(|(k, part)| k[part.clone()].to_string())
            .collect();
        Ok(Prefilter {
            searcher: searcher(&patterns)?,
            overlaps: patterns.iter().map(|p| overlaps(p, &patterns)).collect(),
            keywords,
            patterns,
            parts,
            rules_of,
            is_extra,
            inside,
        })
    }

    /// The same prefilter searching the keywords themselves on the automaton: the reference
    /// that Teddy's hits (in its order, on parts) are checked against.
    #[cfg(test)]
    pub(super) fn on_the_automaton(mut self) -> Prefilter {
        self.searcher = Searcher::Automaton(
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&self.keywords)
                .expect("the keywords built Teddy"),
        );
        self.patterns = self.keywords.clone();
        self.parts = self.keywords.iter().map(|k| 0..k.len()).collect();
        self.overlaps = (self.keywords.iter())
            .map(|k| overlaps(k, &self.keywords))
            .collect();
        self
    }

    /// Whether the prefilter searches some keyword by a part.
    #[cfg(test)]
    pub(super) fn uses_parts(&self) -> bool {
        (self.parts.iter().zip(&self.keywords)).any(|(part, k)| part.len() < k.len())
    }

    pub(super) fn keywords(&self) -> &[String] {
        &self.keywords
    }

    pub(super) fn uses_teddy(&self) -> bool {
        matches!(self.searcher, Searcher::Teddy(..))
    }

    pub(super) fn rules_of(&self, keyword: usize) -> &[usize] {
        &self.rules_of[keyword]
    }

    pub(super) fn scan(&self, text: &[u8]) -> Hits<'_> {
        let mut hits = Vec::new();
        let mut add = |keyword: usize, at: usize| {
            self.push_hit(&mut hits, text, keyword, at);
            for &(offset, other) in &self.overlaps[keyword] {
                if text[at + offset..].starts_with(self.patterns[other].as_bytes()) {
                    self.push_hit(&mut hits, text, other, at + offset);
                }
            }
        };
        match &self.searcher {
            Searcher::Teddy(s, keyword_of) => s
                .find_iter(text)
                .for_each(|m| add(keyword_of[m.pattern().as_usize()], m.start())),
            Searcher::Automaton(a) => a
                .find_iter(text)
                .for_each(|m| add(m.pattern().as_usize(), m.start())),
        }
        // A keyword found by a part may start before a hit found just before it.
        if !hits.is_sorted_by_key(|&(_, at)| at) {
            hits.sort_by_key(|&(_, at)| at);
        }
        Hits {
            prefilter: self,
            hits,
        }
    }

    /// Records `keyword`'s pattern found at `at`: the keyword itself, or a part of it where
    /// the whole keyword stands around it.
    fn push_hit(&self, hits: &mut Vec<(u32, usize)>, text: &[u8], keyword: usize, at: usize) {
        let (part, whole) = (&self.parts[keyword], self.keywords[keyword].as_bytes());
        if part.len() == whole.len() {
            hits.push((keyword as u32, at));
        } else if let Some(start) = at.checked_sub(part.start) {
            if text.get(start..start + whole.len()) == Some(whole) {
                hits.push((keyword as u32, start));
            }
        }
    }
}

/// Keywords that can start inside `keyword` and run past its end, with where they start.
fn overlaps(keyword: &str, keywords: &[String]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for offset in 1..keyword.len() {
        let tail = &keyword.as_bytes()[offset..];
        for (index, other) in keywords.iter().enumerate() {
            let other = other.as_bytes();
            // The first byte first: start-up builds this for every pair of keywords.
            if other[0] == tail[0] && other.len() > tail.len() && other.starts_with(tail) {
                found.push((offset, index));
            }
        }
    }
    found
}

/// The keywords inside `keyword` (itself included), each with its first offset there.
fn inside(keyword: &str, keywords: &[String]) -> Vec<(usize, usize)> {
    let keyword = keyword.as_bytes();
    keywords
        .iter()
        .enumerate()
        .filter_map(|(index, other)| {
            let other = other.as_bytes();
            let last = keyword.len().checked_sub(other.len())?;
            (0..=last)
                .find(|&at| keyword[at] == other[0] && keyword[at..].starts_with(other))
                .map(|at| (index, at))
        })
        .collect()
}

fn searcher(keywords: &[String]) -> Result<Searcher, String> {
    let order = super::buckets::teddy_order(keywords);
    let teddy = packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostLongest)
        .builder()
        .extend(order.iter().map(|&k| &keywords[k]))
        .build();
    if let Some(teddy) = teddy {
        return Ok(Searcher::Teddy(teddy, order));
    }
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build(keywords)
        .map(Searcher::Automaton)
        .map_err(|e| e.to_string())
}

/// Where keywords occur in one text, in order of offset.
pub struct Hits<'a> {
    prefilter: &'a Prefilter,
    /// (keyword index, byte offset of the hit).
    hits: Vec<(u32, usize)>,
}

impl std::fmt::Debug for Hits<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(k, at)| (&self.prefilter.keywords[k], at)))
            .finish()
    }
}

impl Hits<'_> {
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// (keyword index, byte offset) of every hit.
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.hits.iter().map(|&(k, at)| (k as usize, at))
    }

    /// The hits at `range` of their order (clamped to the hits there are).
    pub(super) fn iter_in(&self, range: Range<usize>) -> impl Iterator<Item = (usize, usize)> + '_ {
        let end = range.end.min(self.hits.len());
        let start = range.start.min(end);
        self.hits[start..end]
            .iter()
            .map(|&(k, at)| (k as usize, at))
    }

    /// The hits cut into runs of about `size`, each run ending at the end of a line (no line
    /// has hits in two runs); a single run when there are fewer hits than two runs' worth.
    pub(super) fn line_runs(&self, text: &[u8], size: usize) -> Vec<Range<usize>> {
        let mut runs = Vec::new();
        let mut start = 0;
        while self.hits.len() - start >= 2 * size {
            let mut end = start + size;
            while end < self.hits.len()
                && memchr::memchr(b'\n', &text[self.hits[end - 1].1..self.hits[end].1]).is_none()
            {
                end += 1;
            }
            runs.push(start..end);
            start = end;
        }
        runs.push(start..self.hits.len());
        runs
    }

    /// The keyword a hit was on.
    pub fn keyword(&self, index: usize) -> &str {
        &self.prefilter.keywords[index]
    }

    /// Whether `keyword` (one of the extra keywords the set was built with) occurs.
    pub fn has_extra(&self, keyword: &str) -> bool {
        self.first_offset_of(keyword).is_some()
    }

    /// Where `keyword` first occurs, counting occurrences inside longer keywords' hits.
    pub fn first_offset_of(&self, keyword: &str) -> Option<usize> {
        debug_assert!(
            self.prefilter.keywords.iter().any(|k| k == keyword),
            "{keyword:?} is not a prefilter keyword"
        );
        let wanted = self.prefilter.keywords.iter().position(|k| k == keyword)?;
        self.iter().find_map(|(k, at)| {
            let inside = &self.prefilter.inside[k];
            inside
                .iter()
                .find(|&&(other, _)| other == wanted)
                .map(|&(_, offset)| at + offset)
        })
    }

    /// Whether any keyword occurs within `range`.
    pub fn any_within(&self, range: Range<usize>) -> bool {
        let first = self.hits.partition_point(|&(_, at)| at < range.start);
        self.hits.get(first).is_some_and(|&(_, at)| at < range.end)
    }

    /// Whether a detector keyword (not only a rule's) occurs within `range`.
    pub fn detector_within(&self, range: Range<usize>) -> bool {
        let first = self.hits.partition_point(|&(_, at)| at < range.start);
        self.hits[first..]
            .iter()
            .take_while(|&&(_, at)| at < range.end)
            .any(|&(k, _)| self.prefilter.is_extra[k as usize])
    }
}
