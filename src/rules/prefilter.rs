//! One aho-corasick pass per file over every keyword of every rule and detector.
//!
//! aho-corasick only uses its SIMD (Teddy) search with at most 64 patterns and without
//! `ascii_case_insensitive`; past that it falls back to a DFA and the whole scan gets about 3x
//! slower. So keywords are case-sensitive literals (spellings listed in the rules) and their
//! number is checked by the tests.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Above this many patterns aho-corasick stops using Teddy.
#[cfg(test)]
pub const TEDDY_LIMIT: usize = 64;

pub struct Prefilter {
    automaton: AhoCorasick,
    keywords: Vec<String>,
    /// For each keyword: the rules to run when it hits.
    rules_of: Vec<Vec<usize>>,
    /// Keywords `0..extras` are the detectors' (they come first, so that `secretGenerator`
    /// wins over a rule's `secret` at the same place).
    extras: usize,
}

impl Prefilter {
    pub fn new(rule_keywords: &[&[String]], extra: &[&str]) -> Result<Prefilter, String> {
        let mut keywords: Vec<String> = extra.iter().map(|k| k.to_string()).collect();
        for list in rule_keywords {
            for k in list.iter() {
                if !keywords.contains(k) {
                    keywords.push(k.clone());
                }
            }
        }
        // A hit on a longer keyword hides the shorter ones inside it (leftmost-first), so a
        // keyword also triggers the rules of every keyword it contains.
        let rules_of = keywords
            .iter()
            .map(|k| {
                (0..rule_keywords.len())
                    .filter(|&r| rule_keywords[r].iter().any(|rk| k.contains(rk.as_str())))
                    .collect()
            })
            .collect();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&keywords)
            .map_err(|e| e.to_string())?;
        Ok(Prefilter {
            automaton,
            keywords,
            rules_of,
            extras: extra.len(),
        })
    }

    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    pub fn rules_of(&self, keyword: usize) -> &[usize] {
        &self.rules_of[keyword]
    }

    pub fn scan(&self, text: &[u8]) -> Hits {
        let hits = self
            .automaton
            .find_iter(text)
            .map(|m| (m.pattern().as_usize() as u32, m.start()))
            .collect();
        Hits {
            hits,
            extras: self.extras as u32,
        }
    }
}

/// Where keywords occur in one text, in order.
#[derive(Debug, Default)]
pub struct Hits {
    hits: Vec<(u32, usize)>,
    extras: u32,
}

impl Hits {
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// (keyword index, byte offset) of every hit.
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.hits.iter().map(|&(k, at)| (k as usize, at))
    }

    /// Whether any keyword occurs within `range`.
    pub fn any_within(&self, range: Range<usize>) -> bool {
        let first = self.hits.partition_point(|&(_, at)| at < range.start);
        self.hits.get(first).is_some_and(|&(_, at)| at < range.end)
    }

    /// Whether a detector keyword (not a rule's) occurs within `range`.
    pub fn detector_within(&self, range: Range<usize>) -> bool {
        let first = self.hits.partition_point(|&(_, at)| at < range.start);
        self.hits[first..]
            .iter()
            .take_while(|&&(_, at)| at < range.end)
            .any(|&(k, _)| k < self.extras)
    }
}
