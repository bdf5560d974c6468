//! The Merkle Tree Hash of RFC 9162 §2.1 over SHA-256, the tree every jianxin proof and
//! checkpoint refers to.
//!
//! `leaf_hash(d) = SHA-256(0x00 || d)`, `node_hash(l, r) = SHA-256(0x01 || l || r)`, the
//! empty tree hashes to `SHA-256("")`, and a tree of `n > 1` leaves splits at `k`, the
//! largest power of two strictly smaller than `n`. The two prefixes keep a leaf from ever
//! being read as an interior node (second-preimage resistance).
//!
//! [`TreeBuilder`] is the streaming form: it keeps one hash per set bit of the tree size
//! (at most 64, on the stack), so an auditor can recompute the root of millions of entries
//! without holding them, and without allocating per leaf.

use sha2::{Digest, Sha256};

use super::proof::ProofError;

/// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The root of the empty tree, `SHA-256("")`.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of one leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The Merkle Tree Hash (RFC 9162 `MTH`) of a list of leaf hashes.
pub fn root_from_leaf_hashes(leaf_hashes: &[Hash]) -> Hash {
    let mut builder = TreeBuilder::new();
    for leaf in leaf_hashes {
        // A slice cannot hold u64::MAX 32-byte elements, so the size never saturates.
        builder.append(leaf);
    }
    builder.root()
}

/// Lowercase hex of a hash, the form used in JSON proofs. Written from a table rather
/// than through `hex::encode`'s character iterator: a replay's proofs hold hundreds of
/// thousands of these.
pub fn hash_to_hex(hash: &Hash) -> String {
    let mut out = String::with_capacity(64);
    out.push_str(hex_digits(hash, &mut [0; 64]));
    out
}

/// Lowercase hex of a hash written into `buf`, borrowed back as text: no allocation,
/// for serializers that write the hashes of many proofs straight into their output.
pub fn hex_digits<'b>(hash: &Hash, buf: &'b mut [u8; 64]) -> &'b str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in buf.chunks_exact_mut(2).zip(hash) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    // every byte is one of DIGITS (ASCII), so this never fails
    std::str::from_utf8(buf).unwrap_or_default()
}

/// Parses exactly 64 lowercase hex digits into a hash; `None` for anything else.
pub fn hash_from_hex(text: &str) -> Option<Hash> {
    let canonical = text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !canonical {
        return None;
    }
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash).ok()?;
    Some(hash)
}

/// The largest power of two strictly smaller than `n`, for `n >= 2` (RFC 9162's `k`).
pub(crate) fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// A streaming Merkle tree: leaf hashes go in one by one, the root comes out at any time.
///
/// It holds the roots of the perfect subtrees ("peaks") that the binary expansion of the
/// size describes, which is all that later leaves can still combine with. Appending is
/// amortised two node hashes; [`TreeBuilder::root`] folds the peaks right to left, which
/// is exactly RFC 9162's split at the largest power of two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeBuilder {
    /// `peaks[h]` is the root of a perfect subtree of `2^h` leaves; it is meaningful only
    /// while bit `h` of `size` is set. A fixed array, so appending never allocates.
    peaks: [Hash; 64],
    /// Number of leaves appended so far.
    size: u64,
}

impl Default for TreeBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TreeBuilder {
    /// An empty tree.
    pub const fn new() -> Self {
        Self {
            peaks: [[0u8; 32]; 64],
            size: 0,
        }
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends the next leaf hash.
    ///
    /// Fails with [`ProofError::TreeFull`] only once the tree holds `u64::MAX` leaves.
    pub fn push(&mut self, leaf_hash: &Hash) -> Result<(), ProofError> {
        if self.size == u64::MAX {
            return Err(ProofError::TreeFull);
        }
        self.append(leaf_hash);
        Ok(())
    }

    /// Hashes `data` as a leaf and appends it.
    pub fn push_data(&mut self, data: &[u8]) -> Result<(), ProofError> {
        self.push(&leaf_hash(data))
    }

    /// Appending without the size check; callers guarantee `size < u64::MAX`, which
    /// keeps every peak index below 64.
    fn append(&mut self, leaf_hash: &Hash) {
        let mut carry = *leaf_hash;
        let mut height = 0usize;
        let mut size = self.size;
        while size & 1 == 1 {
            carry = node_hash(&self.peaks[height], &carry);
            size >>= 1;
            height += 1;
        }
        self.peaks[height] = carry;
        self.size += 1;
    }

    /// The Merkle Tree Hash of the leaves appended so far.
    pub fn root(&self) -> Hash {
        let mut bits = self.size;
        if bits == 0 {
            return EMPTY_ROOT;
        }
        let mut root = self.peaks[bits.trailing_zeros() as usize];
        bits &= bits - 1;
        while bits != 0 {
            root = node_hash(&self.peaks[bits.trailing_zeros() as usize], &root);
            bits &= bits - 1;
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::test_support::{ct_leaves, mth, CT_ROOTS};

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, <Hash>::from(Sha256::digest(b"")));
        assert_eq!(root_from_leaf_hashes(&[]), EMPTY_ROOT);
    }

    #[test]
    fn roots_match_the_rfc6962_test_vectors() {
        let leaves = ct_leaves();
        let mut builder = TreeBuilder::new();
        for (size, want) in CT_ROOTS.iter().enumerate() {
            assert_eq!(hash_to_hex(&root_from_leaf_hashes(&leaves[..size])), *want);
            assert_eq!(
                hash_to_hex(&builder.root()),
                *want,
                "builder at size {size}"
            );
            if let Some(leaf) = leaves.get(size) {
                builder.push(leaf).expect("room for the leaf");
            }
        }
    }

    #[test]
    fn split_point_is_the_largest_smaller_power_of_two() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512)] {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn builder_equals_the_recursive_root_for_every_size_up_to_600() {
        let data = |i: usize| (i as u32).to_be_bytes();
        let leaves: Vec<Hash> = (0..600).map(|i| leaf_hash(&data(i))).collect();
        let mut builder = TreeBuilder::default();
        for n in 0..=leaves.len() {
            assert_eq!(builder.size(), n as u64);
            assert_eq!(builder.root(), mth(&leaves[..n]), "n = {n}");
            assert_eq!(root_from_leaf_hashes(&leaves[..n]), builder.root());
            builder.push_data(&data(n)).expect("room for the leaf");
        }
    }

    #[test]
    fn a_full_tree_refuses_more_leaves() {
        let mut builder = TreeBuilder::new();
        builder.size = u64::MAX;
        assert!(matches!(
            builder.push(&EMPTY_ROOT),
            Err(ProofError::TreeFull)
        ));
    }

    #[test]
    fn hex_round_trips_and_rejects_non_canonical_text() {
        let hash = leaf_hash(b"x");
        assert_eq!(hash_from_hex(&hash_to_hex(&hash)), Some(hash));
        assert_eq!(hash_from_hex(&hash_to_hex(&hash).to_uppercase()), None);
        assert_eq!(hash_from_hex("00"), None);
        assert_eq!(hash_from_hex(&"g".repeat(64)), None);
    }
}
