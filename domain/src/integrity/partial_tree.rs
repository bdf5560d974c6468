//! A Merkle tree known only in part (部分树): some of its leaves, and the few stored
//! subtree roots that fill in the rest, enough to recompute the root a signed
//! checkpoint commits to and to give an inclusion proof of each known leaf.
//!
//! A supervisor's replay of one case (docs/CASES.md §4) checks the case's events
//! against a checkpoint the log signed earlier. Rebuilding the whole tree for that
//! would read every ledger entry of every aggregate; instead the case's own leaves are
//! recomputed from its event rows, and every subtree that holds none of them is taken
//! as stored (the `ledger_tree` table keeps the root of each perfect, aligned subtree).
//! If anything the check relies on was changed — an event row, a stored node — the
//! recomputed root differs from the signed one, since a different root would need a
//! SHA-256 collision. What is stored is never trusted; only the signature is.
//!
//! The shape is RFC 9162's: a range `[lo, hi)` of more than one leaf splits at
//! `lo + k`, `k` the largest power of two below `hi - lo`. Every left part is a perfect
//! subtree aligned to its size, named by its [`NodeId`] (level, index); only the
//! ranges along the right edge, `[a, size)`, can be imperfect, and those are always
//! computed. [`PartialTree::missing`] lists the perfect subtrees to fetch,
//! [`PartialTree::root`] folds, and [`PartialTree::proof`] reads the RFC's `PATH` from
//! what the fold saw. The tests hold both to the full-tree functions of
//! [`proof`](super::proof) for every leaf set of small trees and at random.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::merkle::{node_hash, Hash, EMPTY_ROOT};
use super::proof::ProofError;

/// A perfect subtree aligned to its size: leaves `[index·2^level, (index+1)·2^level)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves (0: a leaf).
    pub level: u8,
    /// Position among the subtrees of that height, from the left.
    pub index: u64,
}

/// Levels above this are never stored: a tree of `2^56` leaves is out of reach.
const MAX_LEVEL: u8 = 56;

impl NodeId {
    /// One integer per node, as stored: `level · 2^56 + index` (non-negative in an i64).
    pub fn key(self) -> i64 {
        ((i64::from(self.level)) << MAX_LEVEL) | (self.index as i64)
    }

    /// The node a stored key names; `None` for a key no node has.
    pub fn from_key(key: i64) -> Option<NodeId> {
        let level = u8::try_from(key >> MAX_LEVEL).ok()?;
        (key >= 0 && level < MAX_LEVEL).then_some(NodeId {
            level,
            index: (key & ((1i64 << MAX_LEVEL) - 1)) as u64,
        })
    }

    /// Its first leaf and one past its last.
    fn range(self) -> (u64, u64) {
        (self.index << self.level, (self.index + 1) << self.level)
    }
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtree `[lo, hi)` is, when it is one.
fn perfect(lo: u64, hi: u64) -> Option<NodeId> {
    let n = hi - lo;
    (n.is_power_of_two() && lo.is_multiple_of(n)).then(|| NodeId {
        level: n.trailing_zeros() as u8,
        index: lo / n,
    })
}

/// The maps' hasher. Their keys are positions in the tree, computed here and never
/// chosen by a caller, so a multiply-and-rotate mix (as rustc's `FxHasher`) does what
/// std's DoS-resistant SipHash did at a fraction of its cost: a replay of 10,000 events
/// looks up ~150,000 nodes.
#[derive(Debug, Default, Clone, Copy)]
struct PositionHasher(u64);

impl Hasher for PositionHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Hashes by position in the tree.
type ByPosition<K> = HashMap<K, Hash, BuildHasherDefault<PositionHasher>>;

/// A tree of `size` leaves of which some are known (see the module header).
#[derive(Debug, Clone)]
pub struct PartialTree {
    size: u64,
    /// Known leaf indices, strictly increasing, and their hashes.
    indices: Vec<u64>,
    leaves: Vec<Hash>,
    /// Perfect subtrees: stored ones inserted, the rest computed by `root`.
    nodes: ByPosition<NodeId>,
    /// Right-edge ranges `[a, size)` computed by `root`, by `a`.
    edge: ByPosition<u64>,
}

impl PartialTree {
    /// A tree of `size` leaves, of which `known` (index, leaf hash) are given in
    /// strictly increasing order of index, each below `size`.
    pub fn new(size: u64, known: Vec<(u64, Hash)>) -> Result<PartialTree, ProofError> {
        let mut indices = Vec::with_capacity(known.len());
        let mut leaves = Vec::with_capacity(known.len());
        for (index, hash) in known {
            if index >= size {
                return Err(ProofError::IndexOutOfRange {
                    index,
                    tree_size: size,
                });
            }
            if indices.last().is_some_and(|last| *last >= index) {
                return Err(ProofError::LeavesOutOfOrder { index });
            }
            indices.push(index);
            leaves.push(hash);
        }
        Ok(PartialTree {
            size,
            indices,
            leaves,
            nodes: ByPosition::default(),
            edge: ByPosition::default(),
        })
    }

    /// The known leaves `(index, leaf hash)`, in order, as given to [`new`](Self::new).
    pub fn known(&self) -> impl Iterator<Item = (u64, Hash)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.leaves.iter().copied())
    }

    /// The number of leaves of the whole tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The position in `indices` of the first known leaf in `[lo, hi)`, if any.
    fn first_known(&self, lo: u64, hi: u64) -> Option<usize> {
        let at = self.indices.partition_point(|i| *i < lo);
        self.indices.get(at).filter(|i| **i < hi).map(|_| at)
    }

    /// The perfect subtrees that hold no known leaf and that the root needs: the ones to
    /// fetch from storage and [`insert`](Self::insert) before [`root`](Self::root).
    pub fn missing(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        if self.size > 0 {
            self.collect_missing(0, self.size, &mut out);
        }
        out
    }

    fn collect_missing(&self, lo: u64, hi: u64, out: &mut Vec<NodeId>) {
        let known = self.first_known(lo, hi).is_some();
        match perfect(lo, hi) {
            Some(id) if !known => out.push(id),
            Some(id) if id.level == 0 => {}
            _ => {
                let k = split(hi - lo);
                self.collect_missing(lo, lo + k, out);
                self.collect_missing(lo + k, hi, out);
            }
        }
    }

    /// Adds a stored subtree root (one [`missing`](Self::missing) listed).
    pub fn insert(&mut self, id: NodeId, hash: Hash) {
        self.nodes.insert(id, hash);
    }

    /// Folds the known leaves and the inserted subtrees into the root, keeping every
    /// node it computes for [`proof`](Self::proof). Fails when a node it needs was not
    /// inserted.
    pub fn root(&mut self) -> Result<Hash, ProofError> {
        if self.size == 0 {
            return Ok(EMPTY_ROOT);
        }
        // the fold keeps about one node per known leaf (and one per level above them)
        self.nodes.reserve(self.indices.len() + 64);
        self.fold(0, self.size)
    }

    fn fold(&mut self, lo: u64, hi: u64) -> Result<Hash, ProofError> {
        let known = self.first_known(lo, hi);
        if let Some(id) = perfect(lo, hi) {
            if let Some(hash) = self.nodes.get(&id) {
                return Ok(*hash);
            }
            match known {
                None => {
                    return Err(ProofError::NodeNotGiven {
                        level: id.level,
                        index: id.index,
                    })
                }
                Some(at) if id.level == 0 => return Ok(self.leaves[at]),
                Some(_) => {}
            }
        } else if let Some(hash) = self.edge.get(&lo) {
            return Ok(*hash);
        }
        let k = split(hi - lo);
        let left = self.fold(lo, lo + k)?;
        let right = self.fold(lo + k, hi)?;
        let hash = node_hash(&left, &right);
        match perfect(lo, hi) {
            Some(id) => self.nodes.insert(id, hash),
            None => self.edge.insert(lo, hash),
        };
        Ok(hash)
    }

    /// The hash of `[lo, hi)` as the fold left it.
    fn seen(&self, lo: u64, hi: u64) -> Option<Hash> {
        match perfect(lo, hi) {
            Some(id) if id.level == 0 => self
                .first_known(lo, hi)
                .map(|at| self.leaves[at])
                .or_else(|| self.nodes.get(&id).copied()),
            Some(id) => self.nodes.get(&id).copied(),
            None => self.edge.get(&lo).copied(),
        }
    }

    /// RFC 9162 `PATH(index, D[size])` of a known leaf, from the leaf up; call after
    /// [`root`](Self::root) succeeded.
    pub fn proof(&self, index: u64) -> Result<Vec<Hash>, ProofError> {
        if index >= self.size || self.first_known(index, index + 1).is_none() {
            return Err(ProofError::IndexOutOfRange {
                index,
                tree_size: self.size,
            });
        }
        let (mut lo, mut hi) = (0, self.size);
        // a path is at most ⌈log2 size⌉ hashes long: allocate no more (a replay keeps
        // one path per event)
        let depth = 64 - (self.size - 1).leading_zeros();
        let mut path = Vec::with_capacity(depth as usize);
        while hi - lo > 1 {
            let k = split(hi - lo);
            let sibling = if index < lo + k {
                let s = self.seen(lo + k, hi);
                hi = lo + k;
                s
            } else {
                let s = self.seen(lo, lo + k);
                lo += k;
                s
            };
            path.push(sibling.ok_or(ProofError::NotFolded)?);
        }
        path.reverse();
        Ok(path)
    }

    /// The root of a perfect subtree over `leaves` (its whole leaf range), for
    /// storing: what [`missing`](Self::missing) will later ask for.
    pub fn subtree_root(id: NodeId, leaves: &[Hash]) -> Option<Hash> {
        let (lo, hi) = id.range();
        let slice = leaves.get(usize::try_from(lo).ok()?..usize::try_from(hi).ok()?)?;
        Some(super::merkle::root_from_leaf_hashes(slice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::merkle::{leaf_hash, root_from_leaf_hashes};
    use crate::integrity::proof::inclusion_proof;
    use proptest::prelude::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    /// Builds the partial tree of `known` leaves of `all`, fills what it asks for from
    /// the full tree, and checks root and proofs against the full-tree functions.
    fn check(all: &[Hash], known: &[u64]) {
        let n = all.len() as u64;
        let mut t = PartialTree::new(n, known.iter().map(|i| (*i, all[*i as usize])).collect())
            .expect("valid leaves");
        for id in t.missing() {
            let (lo, _) = id.range();
            assert!(
                known.iter().all(|k| *k < lo || *k >= id.range().1),
                "{id:?} holds a known leaf"
            );
            let hash = PartialTree::subtree_root(id, all).expect("in range");
            t.insert(id, hash);
        }
        assert_eq!(t.root().expect("all given"), root_from_leaf_hashes(all));
        for k in known {
            assert_eq!(
                t.proof(*k).expect("known"),
                inclusion_proof(all, *k).expect("in range"),
                "leaf {k} of {n}"
            );
        }
    }

    #[test]
    fn every_leaf_set_of_small_trees_gives_the_full_root_and_proofs() {
        for n in 1..=9u64 {
            let all = leaves(n);
            for mask in 0..(1u32 << n) {
                let known: Vec<u64> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                check(&all, &known);
            }
        }
    }

    #[test]
    fn a_changed_leaf_changes_the_root() {
        let all = leaves(13);
        let mut t = PartialTree::new(13, vec![(4, leaf_hash(b"changed"))]).expect("valid");
        for id in t.missing() {
            t.insert(id, PartialTree::subtree_root(id, &all).expect("in range"));
        }
        assert_ne!(t.root().expect("all given"), root_from_leaf_hashes(&all));
    }

    #[test]
    fn a_missing_node_is_an_error_not_a_guess() {
        let all = leaves(6);
        let mut t = PartialTree::new(6, vec![(0, all[0])]).expect("valid");
        let missing = t.missing();
        for id in missing.iter().skip(1) {
            t.insert(*id, PartialTree::subtree_root(*id, &all).expect("in range"));
        }
        assert!(t.root().is_err());
    }

    #[test]
    fn leaves_out_of_order_or_range_are_refused() {
        let h = leaf_hash(b"x");
        assert!(PartialTree::new(3, vec![(1, h), (1, h)]).is_err());
        assert!(PartialTree::new(3, vec![(2, h), (1, h)]).is_err());
        assert!(PartialTree::new(3, vec![(3, h)]).is_err());
        assert!(PartialTree::new(0, vec![]).expect("empty").root().is_ok());
    }

    #[test]
    fn node_keys_round_trip() {
        for id in [
            NodeId { level: 0, index: 0 },
            NodeId {
                level: 3,
                index: 77,
            },
            NodeId {
                level: 55,
                index: 1,
            },
        ] {
            assert_eq!(NodeId::from_key(id.key()), Some(id));
        }
        assert_eq!(NodeId::from_key(-1), None);
    }

    proptest! {
        #[test]
        fn random_leaf_sets_give_the_full_root_and_proofs(
            n in 1u64..400,
            picks in proptest::collection::vec(any::<u64>(), 0..40),
        ) {
            let all = leaves(n);
            let mut known: Vec<u64> = picks.iter().map(|p| p % n).collect();
            known.sort_unstable();
            known.dedup();
            check(&all, &known);
        }
    }
}
