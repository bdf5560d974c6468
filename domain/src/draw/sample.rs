//! Sampling without replacement: the forward partial Fisher–Yates shuffle of
//! docs/DRAW.md §6.
//!
//! Every element of the list can land in every position with equal probability, unlike
//! systematic sampling from one random start, which never draws whole stretches of a
//! list (the tail past `k × step`, and any two neighbours together).

use super::random::WordStream;

/// Runs `steps` forward Fisher–Yates steps over `items` (in their published order) and
/// returns the list: for `i` in `0..steps`, `j = i + below(len - i)`, swap positions `i`
/// and `j`. The first `steps` elements are a uniform ordered sample without replacement;
/// with `steps == len` the whole list is a uniform permutation. `steps` above `len` is
/// taken as `len`; each step reads at least one word, the last one included.
pub fn fisher_yates<T>(mut items: Vec<T>, steps: usize, stream: &mut WordStream) -> Vec<T> {
    let len = items.len();
    for i in 0..steps.min(len) {
        let offset = stream.index_below(len - i).unwrap_or(0);
        items.swap(i, i + offset);
    }
    items
}

/// An ordered sample of `k` from `items` plus the ordered reserve: a full Fisher–Yates
/// permutation of the list, split after `k`. With `k == 0` nothing is drawn and no word
/// is read.
pub fn sample_with_reserve<T>(
    items: Vec<T>,
    k: usize,
    stream: &mut WordStream,
) -> (Vec<T>, Vec<T>) {
    if k == 0 {
        return (Vec::new(), Vec::new());
    }
    let steps = items.len();
    let mut permuted = fisher_yates(items, steps, stream);
    let reserve = permuted.split_off(k.min(permuted.len()));
    (permuted, reserve)
}
