//! The order Teddy is given the keywords in, so that unlike keywords do not share a bucket.
//!
//! Teddy files each pattern into one of 8 buckets (16 past 32 patterns), and a position is a
//! candidate for a bucket when each of its next few bytes has nibbles the bucket's patterns have
//! at that place; every candidate that is not a hit costs a verification. aho-corasick files
//! patterns whose first bytes share low nibbles together (`Secret`, `secret`, `SECRET`), and
//! gives each new group the bucket `buckets - 1 - id % buckets` of its first pattern, longest
//! first. So the order decides which groups share a bucket. In the pack's own order, `gith`,
//! `serv` and `Secr` shared buckets with unlike keywords, and verification was 40% of
//! Teddy's time on bitnami/charts.
//!
//! Groups are placed greedily, the most frequent first, where the bucket's estimated candidate
//! rate rises least (from [`byte_frequency`](super::byte_frequency)), and the order is built to
//! realise that placement. Any order finds the same hits; only speed depends on this one.

use std::collections::HashMap;

use super::byte_frequency::PER_MILLION;

/// Teddy's fingerprint is at most this many leading bytes.
const MAX_MASK_LEN: usize = 4;

/// Teddy pattern `i` is keyword `order[i]`. Falls back to the keywords' own order when the
/// placement cannot be realised.
pub(super) fn teddy_order(keywords: &[String]) -> Vec<usize> {
    let identity: Vec<usize> = (0..keywords.len()).collect();
    let Some(mask_len) = keywords.iter().map(String::len).min() else {
        return identity;
    };
    let mask_len = mask_len.min(MAX_MASK_LEN);
    let buckets = if keywords.len() > 32 { 16 } else { 8 };
    let groups = groups(keywords, mask_len);
    let placed = place(keywords, &groups, mask_len, buckets);
    realise(keywords, &groups, &placed, buckets).unwrap_or(identity)
}

/// Keywords with the same low nibbles in their first `mask_len` bytes: Teddy keeps them in one
/// bucket.
fn groups(keywords: &[String], mask_len: usize) -> Vec<Vec<usize>> {
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, k) in keywords.iter().enumerate() {
        let nibbles: Vec<u8> = k.bytes().take(mask_len).map(|b| b & 0xF).collect();
        let g = *index.entry(nibbles).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups
}

/// How many group leaders each bucket takes: the ids `i < n` with
/// `buckets - 1 - i % buckets == bucket`.
fn capacity(n: usize, buckets: usize) -> Vec<usize> {
    let mut free = vec![0; buckets];
    for i in 0..n {
        free[buckets - 1 - i % buckets] += 1;
    }
    free
}

/// A bucket's nibble sets at each fingerprint place.
#[derive(Clone, Default)]
struct Masks {
    lo: [u16; MAX_MASK_LEN],
    hi: [u16; MAX_MASK_LEN],
    patterns: usize,
}

impl Masks {
    fn of(keywords: &[String], group: &[usize], mask_len: usize) -> Masks {
        let mut m = Masks::default();
        for &k in group {
            for (j, b) in keywords[k].bytes().take(mask_len).enumerate() {
                m.lo[j] |= 1 << (b & 0xF);
                m.hi[j] |= 1 << (b >> 4);
            }
        }
        m.patterns = group.len();
        m
    }

    fn union(&self, other: &Masks) -> Masks {
        Masks {
            lo: std::array::from_fn(|j| self.lo[j] | other.lo[j]),
            hi: std::array::from_fn(|j| self.hi[j] | other.hi[j]),
            patterns: self.patterns + other.patterns,
        }
    }

    /// Estimated candidates per million positions, times the patterns each one checks: the
    /// product over fingerprint places of the share of bytes the nibble sets let through.
    fn cost(&self, mask_len: usize) -> f64 {
        if self.patterns == 0 {
            return 0.0;
        }
        let mut rate = 1.0;
        for j in 0..mask_len {
            let share: u32 = bits(self.hi[j])
                .flat_map(|hi| bits(self.lo[j]).map(move |lo| PER_MILLION[hi << 4 | lo]))
                .sum();
            rate *= f64::from(share) / 1e6;
        }
        rate * 1e6 * (2 + self.patterns) as f64
    }
}

/// The indexes of the set bits.
fn bits(mut set: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let bit = set.trailing_zeros() as usize;
        set &= set.checked_sub(1)?;
        Some(bit)
    })
}

/// The bucket of each group.
fn place(
    keywords: &[String],
    groups: &[Vec<usize>],
    mask_len: usize,
    buckets: usize,
) -> Vec<usize> {
    let alone: Vec<Masks> = groups
        .iter()
        .map(|g| Masks::of(keywords, g, mask_len))
        .collect();
    let alone_cost: Vec<f64> = alone.iter().map(|m| m.cost(mask_len)).collect();
    let mut by_cost: Vec<usize> = (0..groups.len()).collect();
    by_cost.sort_by(|&a, &b| alone_cost[b].total_cmp(&alone_cost[a]));
    let mut free = capacity(keywords.len(), buckets);
    let mut masks = vec![Masks::default(); buckets];
    let mut costs = vec![0.0; buckets];
    let mut placed = vec![0; groups.len()];
    for g in by_cost {
        let best = (0..buckets)
            .filter(|&b| free[b] > 0)
            .map(|b| {
                let joined = masks[b].union(&alone[g]);
                let cost = joined.cost(mask_len);
                (cost - costs[b], b, joined, cost)
            })
            .min_by(|x, y| x.0.total_cmp(&y.0));
        // There are as many leader places as keywords, so never more groups than places.
        let Some((_, b, joined, cost)) = best else {
            return placed;
        };
        free[b] -= 1;
        masks[b] = joined;
        costs[b] = cost;
        placed[g] = b;
    }
    placed
}

/// An order in which each group's first pattern (longest first, then lowest id) has an id
/// that gives it its bucket; `None` when there is none.
fn realise(
    keywords: &[String],
    groups: &[Vec<usize>],
    placed: &[usize],
    buckets: usize,
) -> Option<Vec<usize>> {
    let n = keywords.len();
    let mut order: Vec<Option<usize>> = vec![None; n];
    let mut followers = Vec::new();
    for (group, &bucket) in groups.iter().zip(placed) {
        let mut members = group.clone();
        members.sort_by_key(|&k| std::cmp::Reverse(keywords[k].len()));
        let id = (0..n).find(|&i| order[i].is_none() && buckets - 1 - i % buckets == bucket)?;
        order[id] = Some(members[0]);
        let leader_len = keywords[members[0]].len();
        // A follower as long as the leader must come after it, or it would lead.
        followers.extend(
            members[1..]
                .iter()
                .map(|&k| (k, (keywords[k].len() == leader_len).then_some(id))),
        );
    }
    followers.sort_by_key(|&(_, after)| std::cmp::Reverse(after));
    for (k, after) in followers {
        let from = after.map_or(0, |id| id + 1);
        let id = (from..n).find(|&i| order[i].is_none())?;
        order[id] = Some(k);
    }
    order.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::prefilter::Prefilter;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn the_order_is_a_permutation() {
        let pack = crate::rules::RuleSet::builtin().keywords().to_vec();
        let mut order = teddy_order(&pack);
        order.sort_unstable();
        assert_eq!(order, (0..pack.len()).collect::<Vec<_>>());
    }

    #[test]
    fn each_group_leads_from_the_bucket_it_was_placed_in() {
        let pack = crate::rules::RuleSet::builtin().keywords().to_vec();
        let mask_len = pack
            .iter()
            .map(String::len)
            .min()
            .unwrap()
            .min(MAX_MASK_LEN);
        let groups = groups(&pack, mask_len);
        let placed = place(&pack, &groups, mask_len, 16);
        let order = realise(&pack, &groups, &placed, 16).expect("the pack's placement is realised");
        // aho-corasick's rule: patterns longest first, then by id; a group's first one leads.
        let mut by_length: Vec<usize> = (0..order.len()).collect();
        by_length.sort_by_key(|&id| std::cmp::Reverse(pack[order[id]].len()));
        for (group, &bucket) in groups.iter().zip(&placed) {
            let leader = by_length
                .iter()
                .find(|&&id| group.contains(&order[id]))
                .unwrap();
            assert_eq!(
                15 - leader % 16,
                bucket,
                "group {:?}",
                group.iter().map(|&k| &pack[k]).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn frequent_words_get_buckets_of_their_own_and_rare_prefixes_share() {
        // 16 keywords in 8 buckets: two to a bucket. The common words must not share one.
        let words = strings(&[
            "secret", "password", "token", "service", "AKIA", "ASIA", "ghp_", "xoxb-", "glpat-",
            "AGE-", "sk_live_", "rk_test_", "gldt-", "hooks.", "PRIVATE", "amqp",
        ]);
        let groups = groups(&words, 4);
        let placed = place(&words, &groups, 4, 8);
        let bucket_of = |w: &str| {
            let k = words.iter().position(|x| x == w).unwrap();
            placed[groups.iter().position(|g| g.contains(&k)).unwrap()]
        };
        let mut common: Vec<usize> = ["secret", "password", "token", "service"]
            .iter()
            .map(|w| bucket_of(w))
            .collect();
        common.sort_unstable();
        common.dedup();
        assert_eq!(common.len(), 4, "{placed:?}");
    }

    #[test]
    fn the_order_finds_the_same_hits_as_the_automaton() {
        let pack = crate::rules::RuleSet::builtin().keywords().to_vec();
        assert_ne!(teddy_order(&pack), (0..pack.len()).collect::<Vec<_>>());
        let words: Vec<&str> = pack.iter().map(String::as_str).collect();
        let teddy = Prefilter::new(&[], &words).unwrap();
        assert!(teddy.uses_teddy() && teddy.uses_parts());
        let automaton = Prefilter::new(&[], &words).unwrap().on_the_automaton();
        const NOISE: &[u8] = b" \n:-_aeSsTtk";
        // Texts of keywords, their pieces and joins (`Secretoken`, `secretGenerator`), and noise.
        let mut next = crate::testing::numbers(0x9E37_79B9_7F4A_7C15);
        for _ in 0..300 {
            let mut text = Vec::new();
            while text.len() < 2000 {
                let k = pack[next(pack.len())].as_bytes();
                match next(4) {
                    0 => text.extend_from_slice(k),
                    1 => text.extend_from_slice(&k[..1 + next(k.len())]),
                    2 => text.extend_from_slice(&k[next(k.len())..]),
                    _ => text.push(NOISE[next(NOISE.len())]),
                }
            }
            let found: Vec<_> = teddy.scan(&text).iter().collect();
            let expected: Vec<_> = automaton.scan(&text).iter().collect();
            assert!(!found.is_empty());
            if found != expected {
                let i = (0..).find(|&i| found.get(i) != expected.get(i)).unwrap();
                let at = found.get(i).or(expected.get(i)).unwrap().1;
                let near = String::from_utf8_lossy(
                    &text[at.saturating_sub(20)..(at + 30).min(text.len())],
                );
                panic!(
                    "found {:?}, expected {:?} near {near:?}",
                    found.get(i).map(|&(k, a)| (&pack[k], a)),
                    expected.get(i).map(|&(k, a)| (&pack[k], a))
                );
            }
        }
    }

    #[test]
    fn one_keyword_and_none_keep_their_order() {
        assert_eq!(teddy_order(&strings(&["abcd"])), vec![0]);
        assert_eq!(teddy_order(&[]), Vec::<usize>::new());
    }
}
