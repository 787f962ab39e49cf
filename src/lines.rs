//! Finding the few line starts that matter among many that do not, without a call per line:
//! a YAML stream's document markers, a manifest's top-level keys.

/// Bytes tested at once: long enough that the test's set-up is a small part of it, short
/// enough that a block that passes for nothing (then looked at line by line) costs little.
const BLOCK: usize = 256;

/// The first line start at or after `from` (itself a line start) whose first byte `wanted`
/// accepts; else the end. `maybe` must accept every byte `wanted` does: each block of bytes
/// is tested whole for a line break before a byte `maybe` accepts (a test that vectorizes),
/// and only the line breaks of a block that passes are looked at one by one.
#[inline]
pub(crate) fn next_line_start(
    bytes: &[u8],
    from: usize,
    maybe: impl Fn(u8) -> bool,
    wanted: impl Fn(u8) -> bool,
) -> usize {
    if bytes.get(from).is_some_and(|&b| wanted(b)) {
        return from;
    }
    let last = bytes.len().saturating_sub(1);
    let mut at = from;
    while at < last {
        let end = (at + BLOCK).min(last);
        // Each byte of the block with the byte after it.
        let (here, after) = (&bytes[at..end], &bytes[at + 1..=end]);
        let passes =
            (here.iter().zip(after)).fold(false, |seen, (&b, &c)| seen | ((b == b'\n') & maybe(c)));
        if passes {
            let found = memchr::memchr_iter(b'\n', here).find(|&i| wanted(after[i]));
            if let Some(i) = found {
                return at + i + 1;
            }
        }
        at = end;
    }
    bytes.len()
}

/// `count` of `pieces`, in an order `seed` picks (repeatable): text for tests that compare a
/// search over lines with a plain look at every line.
#[cfg(test)]
pub(crate) fn pieces_in_turn(pieces: &[&str], seed: u32, count: u32) -> String {
    let mut text = String::new();
    let mut x = seed.wrapping_mul(2654435761);
    for _ in 0..count {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        text.push_str(pieces[(x >> 16) as usize % pieces.len()]);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block test finds what a look at every line start finds, across block edges.
    #[test]
    fn next_line_start_agrees_with_every_line_start() {
        let wanted = |b: u8| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'#');
        let naive = |bytes: &[u8], from: usize| {
            (from..bytes.len())
                .find(|&i| (i == from || bytes[i - 1] == b'\n') && wanted(bytes[i]))
                .unwrap_or(bytes.len())
        };
        let pieces = [
            "  a: 1\n",
            "\n",
            "# c\n",
            "\r\n",
            "\t- x\n",
            "key: v\n",
            "#\n",
            " ",
            "    a long indented line, to cross the edges of blocks at other offsets\n",
        ];
        for seed in 0..400u32 {
            let doc = pieces_in_turn(&pieces, seed, seed % 60);
            let bytes = doc.as_bytes();
            let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
            for from in starts {
                let found = next_line_start(bytes, from, |b| b != b' ', wanted);
                assert_eq!(found, naive(bytes, from), "{doc:?} {from}");
            }
        }
    }
}
