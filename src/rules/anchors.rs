//! What Teddy searches for each keyword: the keyword, or a part of it that begins rarely.
//!
//! Teddy raises a candidate wherever a pattern's first bytes could be, and verifies each one.
//! A keyword that begins like common words (`github_pat_` like every GitHub URL, `service_account`
//! like `service`) costs a verification at each of them: on bitnami/charts those two caused more
//! than half of all candidates. Such a keyword is searched by a part that begins rarely
//! (`hub_pat_`, `ce_acc`), and a hit on the part is a hit on the keyword only where the whole
//! keyword stands around it.
//!
//! Hits stay exactly those of the keywords (the prefilter's tests compare them with an
//! automaton over the keywords themselves) under three conditions, checked here:
//! - no other keyword contains the keyword, nor is contained in it, so its occurrences are
//!   never hidden inside another hit and hide none;
//! - no occurrence of the part can share a byte with one of another pattern (keyword or part)
//!   or of itself, so that a part found without its keyword (`hub_pat_` alone) changes nothing;
//! - a pattern that can start after the part, inside the keyword, and run past its end is found
//!   by the search's next step rather than as an overlap of the keyword's hit; that is the same
//!   only if it holds no other keyword and nothing can overlap its own end.

use std::ops::Range;

use super::byte_frequency::PER_MILLION;

/// Teddy's fingerprint: how many leading bytes of a pattern the estimate looks at, and the
/// shortest part searched.
const FINGERPRINT: usize = 4;

/// A keyword's fingerprint is common when more than this share of positions may start it.
const COMMON: f64 = 5e-8;

/// A part is worth searching instead when its fingerprint is at least this many times rarer.
const GAIN: f64 = 4.0;

/// For each keyword, the part of it Teddy searches (all of it, mostly).
pub(super) fn parts(keywords: &[String]) -> Vec<Range<usize>> {
    let mut patterns: Vec<&str> = keywords.iter().map(String::as_str).collect();
    let mut parts: Vec<Range<usize>> = keywords.iter().map(|k| 0..k.len()).collect();
    // The most common first: the parts they take constrain the parts of the others.
    let mut order: Vec<usize> = (0..keywords.len()).collect();
    order.sort_by(|&a, &b| estimate(&keywords[b]).total_cmp(&estimate(&keywords[a])));
    for k in order {
        let keyword = &keywords[k];
        let whole = estimate(keyword);
        if whole < COMMON || !alone(k, keywords) {
            continue;
        }
        // Rarest first, longest among equals (fewer false candidates pass it); the first safe.
        let rarer = |p: &Range<usize>| estimate(&keyword[p.clone()]) * GAIN <= whole;
        let mut tried: Vec<Range<usize>> = candidates(keyword).filter(rarer).collect();
        tried.sort_by(|a, b| {
            let (ea, eb) = (estimate(&keyword[a.clone()]), estimate(&keyword[b.clone()]));
            ea.total_cmp(&eb).then(b.len().cmp(&a.len()))
        });
        if let Some(part) = tried
            .into_iter()
            .find(|part| part_is_safe(keyword, part, k, &patterns, keywords))
        {
            patterns[k] = &keyword[part.clone()];
            parts[k] = part;
        }
    }
    parts
}

/// Every proper part of `keyword` at least a fingerprint long, on character boundaries.
fn candidates(keyword: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let n = keyword.len();
    (0..n)
        .flat_map(move |start| (start + FINGERPRINT..=n).map(move |end| start..end))
        .filter(move |p| p.len() < n)
        .filter(|p| keyword.is_char_boundary(p.start) && keyword.is_char_boundary(p.end))
}

/// Whether no other keyword contains keyword `k`, nor is contained in it.
fn alone(k: usize, keywords: &[String]) -> bool {
    let keyword = keywords[k].as_str();
    keywords
        .iter()
        .enumerate()
        .all(|(j, other)| j == k || !(other.contains(keyword) || keyword.contains(other.as_str())))
}

/// Whether some end of `a` is a start of `b` (shorter than both).
fn overlap(a: &[u8], b: &[u8]) -> bool {
    (1..a.len().min(b.len())).any(|n| a.ends_with(&b[..n]))
}

/// The conditions of the module's doc for searching `keyword[part]` instead of `keyword`.
fn part_is_safe(
    keyword: &str,
    part: &Range<usize>,
    k: usize,
    patterns: &[&str],
    keywords: &[String],
) -> bool {
    let (text, p) = (&keyword[part.clone()], keyword[part.clone()].as_bytes());
    let apart = !overlap(p, p)
        && patterns.iter().enumerate().all(|(j, other)| {
            let o = other.as_bytes();
            j == k
                || !(other.contains(text) || text.contains(other) || overlap(p, o) || overlap(o, p))
        });
    // Patterns that can start after the part and run past the keyword's end.
    let after = &keyword.as_bytes()[part.end..];
    apart
        && patterns.iter().enumerate().all(|(j, other)| {
            let o = other.as_bytes();
            let runs_past =
                (0..after.len()).any(|i| o.len() > after.len() - i && o.starts_with(&after[i..]));
            j == k || !runs_past || inert(j, patterns, keywords)
        })
}

/// Whether pattern `j` holds no other keyword and no pattern can start inside it and run past.
fn inert(j: usize, patterns: &[&str], keywords: &[String]) -> bool {
    let o = patterns[j].as_bytes();
    let holds = keywords
        .iter()
        .enumerate()
        .any(|(i, k)| i != j && patterns[j].contains(k.as_str()));
    !holds && patterns.iter().all(|other| !overlap(o, other.as_bytes()))
}

/// The estimated share of positions where `pattern`'s fingerprint occurs, from byte frequencies.
fn estimate(pattern: &str) -> f64 {
    pattern
        .bytes()
        .take(FINGERPRINT)
        .map(|b| f64::from(PER_MILLION[usize::from(b)]) / 1e6)
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn searched(words: &[&str]) -> Vec<String> {
        let words = strings(words);
        let parts = parts(&words);
        words
            .iter()
            .zip(parts)
            .map(|(w, p)| w[p].to_string())
            .collect()
    }

    #[test]
    fn a_keyword_that_starts_like_common_words_is_searched_by_a_rarer_part() {
        for common in ["service_account", "github_pat_"] {
            let searched = searched(&[common, "AKIA", "secret", "token"]);
            assert_ne!(searched[0], common);
            assert!(common.contains(&searched[0]) && searched[0].len() >= FINGERPRINT);
            assert_eq!(
                searched[1..],
                ["AKIA", "secret", "token"],
                "rare keywords are searched whole"
            );
        }
    }

    #[test]
    fn a_keyword_inside_another_or_holding_one_is_searched_whole() {
        let words = ["service_account", "service_accounts", "github_pat_", "pat_"];
        assert_eq!(searched(&words), words);
    }

    #[test]
    fn a_part_shares_no_byte_with_another_pattern() {
        let words = ["github_pat_", "xx_pat_yy", "ghp_", "kustomize"];
        let searched = searched(&words);
        for (i, a) in searched.iter().enumerate() {
            for b in &searched[i + 1..] {
                let (x, y) = (a.as_bytes(), b.as_bytes());
                let shared = a.contains(b.as_str())
                    || b.contains(a.as_str())
                    || overlap(x, y)
                    || overlap(y, x);
                assert!(
                    !shared || (words.contains(&a.as_str()) && words.contains(&b.as_str())),
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn after_the_part_only_an_inert_pattern_may_run_past_the_keyword() {
        // `token` can start at the last `t` of `service_account`: it holds nothing, so the part
        // may end before it. `tokensecret` holds `secret`: then only a part reaching the end
        // (none is safe here) would do.
        let with_token = searched(&["service_account", "token"]);
        assert_ne!(with_token[0], "service_account");
        let with_holder = searched(&["service_account", "tokensecret", "secret"]);
        let part = &with_holder[0];
        assert!(
            part == "service_account" || part.ends_with("account"),
            "{part}"
        );
    }
}
