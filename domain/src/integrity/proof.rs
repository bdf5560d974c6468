//! Inclusion and consistency proofs over the [`merkle`](super::merkle) tree, generated as
//! RFC 9162 §2.1.3.1 / §2.1.4.1 define them and verified by the §2.1.3.2 / §2.1.4.2
//! algorithms step by step, so that any RFC 9162 verifier accepts what jianxin serves.
//!
//! An inclusion proof shows that one entry is leaf `i` of the tree a checkpoint signs; a
//! consistency proof shows that the tree of an older checkpoint is a prefix of a newer
//! one, i.e. that nothing was rewritten or dropped in between.

use super::merkle::{node_hash, root_from_leaf_hashes, split_point, Hash, EMPTY_ROOT};

/// Why a proof could not be generated, decoded or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not smaller than the tree size.
    #[error("leaf index {index} is outside a tree of size {tree_size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The size of the tree.
        tree_size: u64,
    },
    /// The old tree of a consistency proof is larger than the new one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeTooLarge {
        /// The older tree size.
        old_size: u64,
        /// The newer tree size.
        new_size: u64,
    },
    /// The proof has more hashes than the tree shape allows (RFC 9162 step "sn is 0").
    #[error("the proof has more hashes than a tree of this size needs")]
    ProofTooLong,
    /// The proof ran out of hashes before reaching the root.
    #[error("the proof has fewer hashes than a tree of this size needs")]
    ProofTooShort,
    /// A consistency proof between different sizes must not be empty.
    #[error("the consistency proof is empty")]
    EmptyProof,
    /// The root recomputed from an inclusion proof differs from the expected root.
    #[error("the recomputed root does not match the expected root")]
    RootMismatch,
    /// The old root recomputed from a consistency proof differs from the old root.
    #[error("the recomputed old root does not match the old root")]
    OldRootMismatch,
    /// The new root recomputed from a consistency proof differs from the new root.
    #[error("the recomputed new root does not match the new root")]
    NewRootMismatch,
    /// A hash of a serialized proof is not 64 lowercase hex digits.
    #[error("proof hash #{position} is not 64 lowercase hex digits")]
    InvalidHex {
        /// Zero-based position of the hash in the proof.
        position: usize,
    },
    /// A [`TreeBuilder`](super::merkle::TreeBuilder) already holds `u64::MAX` leaves.
    #[error("the tree already holds the maximum number of leaves")]
    TreeFull,
    /// The known leaves of a [`PartialTree`](super::partial_tree::PartialTree) are not
    /// in strictly increasing order.
    #[error("known leaf {index} is not after the one before it")]
    LeavesOutOfOrder {
        /// The leaf index out of order.
        index: u64,
    },
    /// A partial tree needs a stored subtree root that was not given.
    #[error("the subtree at level {level}, index {index} is needed and was not given")]
    NodeNotGiven {
        /// Its height above the leaves.
        level: u8,
        /// Its position at that height.
        index: u64,
    },
    /// A proof of a partial tree was asked for before its root was folded.
    #[error("the partial tree was not folded before the proof")]
    NotFolded,
}

/// Converts a leaf count or index to `u64` (lossless on every supported target).
fn to_u64(n: usize) -> u64 {
    n as u64
}

/// RFC 9162 §2.1.3.1 `PATH(index, D[n])`: the sibling hashes from the leaf up to the root.
pub fn inclusion_proof(leaf_hashes: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let n = leaf_hashes.len();
    let out_of_range = ProofError::IndexOutOfRange {
        index,
        tree_size: to_u64(n),
    };
    let m = usize::try_from(index).map_err(|_| out_of_range.clone())?;
    if m >= n {
        return Err(out_of_range);
    }
    // Walk down from the root; the RFC lists the siblings from the bottom up.
    let (mut lo, mut hi) = (0, n);
    let mut proof = Vec::with_capacity(64);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < lo + k {
            proof.push(root_from_leaf_hashes(&leaf_hashes[lo + k..hi]));
            hi = lo + k;
        } else {
            proof.push(root_from_leaf_hashes(&leaf_hashes[lo..lo + k]));
            lo += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// RFC 9162 §2.1.3.2: checks that `leaf_hash` is leaf `leaf_index` of the tree of
/// `tree_size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // 1.
    if leaf_index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index: leaf_index,
            tree_size,
        });
    }
    // 2., 3.
    let (mut f_n, mut s_n) = (leaf_index, tree_size - 1);
    let mut r = *leaf_hash;
    // 4.
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::ProofTooLong);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // 5.
    if s_n != 0 {
        return Err(ProofError::ProofTooShort);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.1 `PROOF(old_size, D[n])`, `n` being the number of leaf hashes.
///
/// `old_size == n` gives the empty proof (`SUBPROOF(m, D[m], true) = {}`). The RFC only
/// defines proofs for `0 < old_size`; jianxin also answers `old_size == 0` with the empty
/// proof, since every tree extends the empty one (see [`verify_consistency`]).
pub fn consistency_proof(leaf_hashes: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let n = leaf_hashes.len();
    let too_large = ProofError::OldSizeTooLarge {
        old_size,
        new_size: to_u64(n),
    };
    let m = usize::try_from(old_size).map_err(|_| too_large.clone())?;
    if m > n {
        return Err(too_large);
    }
    if m == 0 || m == n {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[lo..hi], known), walked from the root down, reversed at the end.
    let (mut lo, mut hi, mut m, mut known) = (0, n, m, true);
    let mut proof = Vec::with_capacity(64);
    while m != hi - lo {
        let k = split_point(hi - lo);
        if m <= k {
            proof.push(root_from_leaf_hashes(&leaf_hashes[lo + k..hi]));
            hi = lo + k;
        } else {
            proof.push(root_from_leaf_hashes(&leaf_hashes[lo..lo + k]));
            lo += k;
            m -= k;
            known = false;
        }
    }
    if !known {
        proof.push(root_from_leaf_hashes(&leaf_hashes[lo..hi]));
    }
    proof.reverse();
    Ok(proof)
}

/// RFC 9162 §2.1.4.2: checks that the tree of `old_size` leaves with root `old_root` is a
/// prefix of the tree of `new_size` leaves with root `new_root`.
///
/// Edge cases the RFC's algorithm (stated for `0 < old_size < new_size`) leaves open:
/// equal sizes need an empty proof and equal roots; `old_size == 0` needs an empty proof
/// and `old_root` equal to the empty-tree hash, and proves nothing about `new_root`.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeTooLarge { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::ProofTooLong);
        }
        if old_size == 0 && *old_root != EMPTY_ROOT {
            return Err(ProofError::OldRootMismatch);
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::NewRootMismatch);
        }
        return Ok(());
    }
    // 1.
    let Some((first, rest)) = proof.split_first() else {
        return Err(ProofError::EmptyProof);
    };
    // 2., 5.: with `first` a power of two, the path starts at old_root itself.
    let (start, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    // 3.
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    // 4.
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // 5.
    let (mut f_r, mut s_r) = (*start, *start);
    // 6.
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::ProofTooLong);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // 7.
    if s_n != 0 {
        return Err(ProofError::ProofTooShort);
    }
    if f_r != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if s_r != *new_root {
        return Err(ProofError::NewRootMismatch);
    }
    Ok(())
}
