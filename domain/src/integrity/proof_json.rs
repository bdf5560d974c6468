//! The JSON form of proofs, as the API serves them and an auditor stores them: sizes as
//! numbers, hashes as lowercase hex in RFC 9162 order. Decoding is strict (exactly 64
//! lowercase hex digits per hash, no unknown fields) so that one proof has one encoding.
//!
//! [`InclusionPath`] is the same JSON for an answer that carries many proofs (a case
//! replay's 10,000 events hold ~140,000 hashes): the hashes stay 32-byte arrays and
//! their hex is written while serializing, with no `String` per hash to build and free.

use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::merkle::{hash_from_hex, hash_to_hex, hex_digits, Hash};
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

impl From<&InclusionPath> for InclusionProof {
    fn from(path: &InclusionPath) -> Self {
        InclusionProof::new(path.leaf_index, path.tree_size, &path.hashes)
    }
}

/// An inclusion proof kept as bytes, serialized exactly as [`InclusionProof`] is
/// (`{"leaf_index", "tree_size", "hashes": ["<64 hex digits>", …]}`): the hex of each
/// hash is written into the serializer's output from a stack buffer. Serialize-only;
/// a reader decodes the JSON as an [`InclusionProof`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionPath {
    /// Zero-based index of the proven leaf.
    pub leaf_index: u64,
    /// Size of the tree the proof leads to (the checkpoint's size).
    pub tree_size: u64,
    /// The RFC 9162 `PATH`, from the leaf's sibling up to the root's child.
    pub hashes: Vec<Hash>,
}

impl InclusionPath {
    /// Runs [`verify_inclusion`] against `leaf_hash` and `root`.
    pub fn verify(&self, leaf_hash: &Hash, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(
            self.leaf_index,
            self.tree_size,
            leaf_hash,
            &self.hashes,
            root,
        )
    }
}

impl Serialize for InclusionPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("InclusionProof", 3)?;
        s.serialize_field("leaf_index", &self.leaf_index)?;
        s.serialize_field("tree_size", &self.tree_size)?;
        s.serialize_field("hashes", &HexHashes(&self.hashes))?;
        s.end()
    }
}

/// Hashes serialized as a list of lowercase hex strings.
struct HexHashes<'a>(&'a [Hash]);

impl Serialize for HexHashes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for hash in self.0 {
            seq.serialize_element(&HexHash(hash))?;
        }
        seq.end()
    }
}

/// One hash serialized as lowercase hex.
struct HexHash<'a>(&'a Hash);

impl Serialize for HexHash<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(hex_digits(self.0, &mut [0; 64]))
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
