//! The JSON form of proofs, as the API serves them and an auditor stores them: sizes as
//! numbers, hashes as lowercase hex in RFC 9162 order. Decoding is strict (exactly 64
//! lowercase hex digits per hash, no unknown fields) so that one proof has one encoding.

use serde::{Deserialize, Serialize};

use super::merkle::{hash_from_hex, hash_to_hex, Hash};
use super::proof::{verify_consistency, verify_inclusion, ProofError};

/// An inclusion proof as served in JSON: hashes in lowercase hex, bottom-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// Zero-based index of the proven leaf.
    pub leaf_index: u64,
    /// Size of the tree the proof leads to (the checkpoint's size).
    pub tree_size: u64,
    /// The RFC 9162 `PATH`, from the leaf's sibling up to the root's child.
    pub hashes: Vec<String>,
}

impl InclusionProof {
    /// Wraps a proof from [`inclusion_proof`](super::proof::inclusion_proof) for serialization.
    pub fn new(leaf_index: u64, tree_size: u64, hashes: &[Hash]) -> Self {
        let hashes = hashes.iter().map(hash_to_hex).collect();
        Self {
            leaf_index,
            tree_size,
            hashes,
        }
    }

    /// Decodes the hex hashes.
    pub fn decode_hashes(&self) -> Result<Vec<Hash>, ProofError> {
        decode_all(&self.hashes)
    }

    /// Decodes and runs [`verify_inclusion`] against `leaf_hash` and `root`.
    pub fn verify(&self, leaf_hash: &Hash, root: &Hash) -> Result<(), ProofError> {
        let proof = self.decode_hashes()?;
        verify_inclusion(self.leaf_index, self.tree_size, leaf_hash, &proof, root)
    }
}

/// A consistency proof as served in JSON: hashes in lowercase hex, in RFC 9162 order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// Size of the older tree (the checkpoint the client already trusts).
    pub old_size: u64,
    /// Size of the newer tree.
    pub new_size: u64,
    /// The RFC 9162 `PROOF(old_size, D[new_size])`.
    pub hashes: Vec<String>,
}

impl ConsistencyProof {
    /// Wraps a proof from [`consistency_proof`](super::proof::consistency_proof) for serialization.
    pub fn new(old_size: u64, new_size: u64, hashes: &[Hash]) -> Self {
        let hashes = hashes.iter().map(hash_to_hex).collect();
        Self {
            old_size,
            new_size,
            hashes,
        }
    }

    /// Decodes the hex hashes.
    pub fn decode_hashes(&self) -> Result<Vec<Hash>, ProofError> {
        decode_all(&self.hashes)
    }

    /// Decodes and runs [`verify_consistency`] against the two roots.
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), ProofError> {
        let proof = self.decode_hashes()?;
        verify_consistency(self.old_size, self.new_size, old_root, new_root, &proof)
    }
}

/// Decodes a list of hex hashes, naming the first bad one.
fn decode_all(hashes: &[String]) -> Result<Vec<Hash>, ProofError> {
    hashes
        .iter()
        .enumerate()
        .map(|(position, h)| hash_from_hex(h).ok_or(ProofError::InvalidHex { position }))
        .collect()
}
