//! Every level of one RFC 9162 Merkle tree, built once, so that many inclusion proofs of
//! the same tree cost `O(log n)` each instead of `O(n)` each.
//!
//! [`inclusion_proof`](super::proof::inclusion_proof) recomputes the subtree roots a
//! proof needs from the leaves, which is right for one proof and quadratic for a proof
//! of every event of a long case. Here the tree is built bottom-up once (about `n`
//! node hashes, `2n` hashes held): level 0 is the leaves, and each next level pairs
//! neighbours left to right, a last node without a partner moving up unchanged. That
//! is RFC 9162's tree: its left subtrees are the perfect, aligned ones of the pairing,
//! and a node carried up is the right-edge subtree the split at the largest power of
//! two leaves on its own. A proof then reads each level's sibling from the leaf up,
//! the order RFC 9162 `PATH` lists them in. The tests check both against the
//! recursive definitions for every index of every size up to 200, and at random.

use super::merkle::{node_hash, Hash, EMPTY_ROOT};
use super::proof::ProofError;

/// The levels of one Merkle tree, from the leaves up to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLevels {
    /// `levels[0]` is the leaf hashes; the last level holds the root alone (or nothing,
    /// for the empty tree). Kept whole so any number of proofs read it without hashing.
    levels: Vec<Vec<Hash>>,
}

impl TreeLevels {
    /// Builds every level over `leaf_hashes` (about one node hash per leaf).
    pub fn new(leaf_hashes: Vec<Hash>) -> TreeLevels {
        let mut levels = vec![leaf_hashes];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let above: Vec<Hash> = below
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node_hash(left, right),
                    [carried] => *carried,
                    _ => EMPTY_ROOT, // chunks(2) yields one or two items
                })
                .collect();
            levels.push(above);
        }
        TreeLevels { levels }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hashes, in order.
    pub fn leaves(&self) -> &[Hash] {
        self.levels.first().map_or(&[], |l| l.as_slice())
    }

    /// The Merkle Tree Hash (RFC 9162 `MTH`) of all the leaves.
    pub fn root(&self) -> Hash {
        match self.levels.last() {
            Some(top) if top.len() == 1 => top[0],
            _ => EMPTY_ROOT,
        }
    }

    /// RFC 9162 §2.1.3.1 `PATH(index, D[n])`: equal to
    /// [`inclusion_proof`](super::proof::inclusion_proof) of the same leaves.
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<Hash>, ProofError> {
        let size = self.size();
        let out_of_range = ProofError::IndexOutOfRange {
            index,
            tree_size: size,
        };
        if index >= size {
            return Err(out_of_range);
        }
        let mut m = usize::try_from(index).map_err(|_| out_of_range)?;
        let mut proof = Vec::with_capacity(self.levels.len());
        for level in &self.levels[..self.levels.len() - 1] {
            if let Some(sibling) = level.get(m ^ 1) {
                proof.push(*sibling);
            }
            m >>= 1;
        }
        Ok(proof)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::integrity::merkle::{leaf_hash, root_from_leaf_hashes};
    use crate::integrity::proof::{inclusion_proof, verify_inclusion};
    use crate::integrity::test_support::{ct_leaves, hx, path, CT_INCLUSION, CT_ROOTS};

    fn leaves(seed: u64, n: usize) -> Vec<Hash> {
        (0..n as u64)
            .map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
            .collect()
    }

    #[test]
    fn proofs_match_the_rfc6962_vectors() {
        let all = ct_leaves();
        for (index, size, want) in CT_INCLUSION {
            let tree = TreeLevels::new(all[..size as usize].to_vec());
            let want: Vec<Hash> = want.iter().map(|h| hx(h)).collect();
            assert_eq!(tree.inclusion_proof(index), Ok(want));
            assert_eq!(tree.root(), hx(CT_ROOTS[size as usize]));
        }
    }

    #[test]
    fn every_proof_of_every_size_up_to_200_equals_the_one_by_one_proof() {
        let all = leaves(7, 200);
        for n in 0..=all.len() {
            let tree = TreeLevels::new(all[..n].to_vec());
            assert_eq!(tree.size(), n as u64);
            assert_eq!(tree.root(), root_from_leaf_hashes(&all[..n]), "n = {n}");
            for m in 0..n {
                let one = inclusion_proof(&all[..n], m as u64);
                assert_eq!(tree.inclusion_proof(m as u64), one, "n = {n}, m = {m}");
                if n <= 40 {
                    assert_eq!(one, Ok(path(m, &all[..n])), "n = {n}, m = {m}");
                }
            }
            assert!(tree.inclusion_proof(n as u64).is_err());
        }
    }

    #[test]
    fn the_empty_tree_has_the_empty_root_and_no_proofs() {
        let tree = TreeLevels::new(vec![]);
        assert_eq!(tree.root(), EMPTY_ROOT);
        assert_eq!(tree.leaves(), &[] as &[Hash]);
        assert_eq!(
            tree.inclusion_proof(0),
            Err(ProofError::IndexOutOfRange {
                index: 0,
                tree_size: 0
            })
        );
    }

    proptest! {
        /// Proofs built in one pass equal the proofs built one by one, and verify.
        #[test]
        fn one_pass_proofs_equal_one_by_one_proofs(
            seed in any::<u64>(),
            n in 1usize..5000,
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..20),
        ) {
            let all = leaves(seed, n);
            let tree = TreeLevels::new(all.clone());
            let root = tree.root();
            prop_assert_eq!(root, root_from_leaf_hashes(&all));
            for pick in picks {
                let m = pick.index(n) as u64;
                let proof = tree.inclusion_proof(m);
                prop_assert_eq!(&proof, &inclusion_proof(&all, m));
                let proof = proof.unwrap_or_default();
                prop_assert_eq!(
                    verify_inclusion(m, n as u64, &all[m as usize], &proof, &root),
                    Ok(())
                );
            }
        }
    }
}
