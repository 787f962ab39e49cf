//! Helpers for the unit tests.

/// A repeatable stream of numbers (xorshift): each call gives one below `n`. For tests that
/// build many random inputs and must fail the same way on every run.
pub(crate) fn numbers(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}
