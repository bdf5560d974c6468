//! The random words of a draw: raw 64-bit words of the ChaCha20 keystream and our own
//! unbiased range reduction (docs/DRAW.md §5).
//!
//! Only `next_u64` of `rand_chacha::ChaCha20Rng::from_seed` is ever called: the published
//! result must not depend on `rand`'s `gen_range`, `shuffle` or `choose`, whose values
//! change between minor versions and with the `unbiased` feature any crate can enable.
//! Word `i` of a stream is the little-endian `u64` of keystream bytes `8i..8i+8` of
//! ChaCha20 (20 rounds) with the stream's key, a zero 64-bit nonce and the block counter
//! starting at 0; the vectors in `random_tests` pin that.

use std::num::NonZeroU64;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// One keystream of a draw (one purpose: a stratum, a team, a recusal), read as 64-bit
/// words.
pub struct WordStream {
    /// The generator; only [`RngCore::next_u64`] is called on it, so words stay aligned
    /// on 8 keystream bytes.
    rng: ChaCha20Rng,
    /// How many words were read, published with results so a re-run can check it.
    words_read: u64,
}

impl WordStream {
    /// The stream of ChaCha20 with `key` (nonce 0, counter 0).
    pub fn from_key(key: [u8; 32]) -> WordStream {
        WordStream {
            rng: ChaCha20Rng::from_seed(key),
            words_read: 0,
        }
    }

    /// The next word: the next 8 keystream bytes, little-endian.
    pub fn next_word(&mut self) -> u64 {
        self.words_read += 1;
        self.rng.next_u64()
    }

    /// How many words were read so far (rejected ones included).
    pub fn words_read(&self) -> u64 {
        self.words_read
    }

    /// A uniform integer in `0..n` by rejection: with `r = 2^64 mod n`, read words until
    /// one is at most `2^64 - 1 - r` and return it modulo `n`. Rejected words are
    /// consumed. `below(1)` reads one word and returns 0.
    pub fn below(&mut self, n: NonZeroU64) -> u64 {
        let n = n.get();
        // 2^64 mod n without 128-bit arithmetic: (2^64 - n) mod n.
        let r = n.wrapping_neg() % n;
        let limit = u64::MAX - r;
        loop {
            let x = self.next_word();
            if x <= limit {
                return x % n;
            }
        }
    }

    /// A uniform index into a list of `len` elements, or `None` when the list is empty
    /// (then no word is read).
    pub fn index_below(&mut self, len: usize) -> Option<usize> {
        let n = NonZeroU64::new(u64::try_from(len).ok()?)?;
        usize::try_from(self.below(n)).ok()
    }
}
