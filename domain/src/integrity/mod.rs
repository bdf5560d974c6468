//! Integrity primitives (完整性): what lets a regulator, or anyone they hand the log to,
//! check that jianxin's event log is complete and was never rewritten.
//!
//! Two layers, both pure (no I/O, no clock; times are passed in):
//!
//! 1. **Merkle tree** ([`merkle`], [`proof`], [`proof_json`]): every ledger entry is a leaf of an RFC 9162
//!    Merkle tree over SHA-256. An *inclusion proof* shows in `O(log n)` hashes that an
//!    entry is leaf `i` of a tree with a given root; a *consistency proof* shows that an
//!    older tree is a prefix of a newer one, i.e. that the log only ever grew.
//! 2. **Signed checkpoints** ([`checkpoint`], [`note`], [`keys`]): the log periodically
//!    signs `(origin, size, root, time)` as a C2SP `tlog-checkpoint` in a C2SP
//!    `signed-note`. A root alone proves nothing about who claimed it; a signed one
//!    commits the log. Two checkpoints that no consistency proof connects are proof of a
//!    rewrite, and anybody can keep old checkpoints to demand such proofs.
//!
//! The encodings are specified in `docs/LEDGER-MERKLE.md`, precisely enough to write an
//! independent verifier; keys and notes interoperate with Go's
//! `golang.org/x/mod/sumdb/note`.

pub mod archive;
pub mod checkpoint;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod partial_tree;
pub mod proof;
pub mod proof_json;
pub mod tree_levels;

#[cfg(test)]
mod checkpoint_tests;
#[cfg(test)]
mod note_tests;
#[cfg(test)]
mod proof_tests;
#[cfg(test)]
mod test_support;

pub use checkpoint::{open_checkpoint, sign_checkpoint, Checkpoint, CheckpointError};
pub use keys::{ed25519_key_id, KeyError, NoteSigner, NoteVerifier};
pub use merkle::{
    hash_from_hex, hash_to_hex, hex_digits, leaf_hash, node_hash, root_from_leaf_hashes, Hash,
    TreeBuilder, EMPTY_ROOT,
};
pub use note::{open_note, sign_message, sign_note, verify_message, MessageError, NoteError};
pub use partial_tree::{NodeId, PartialTree};
pub use proof::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion, ProofError,
};
pub use proof_json::{ConsistencyProof, InclusionPath, InclusionProof};
pub use tree_levels::TreeLevels;
