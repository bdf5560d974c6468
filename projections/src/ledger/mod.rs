//! The integrity ledger (完整性账本): every event's canonical bytes in one hash chain and
//! one RFC 9162 Merkle tree, so that any change to a stored row is found and outsiders
//! holding a signed checkpoint can prove the log was only ever appended to.
//! `docs/LEDGER.md` specifies the encodings.

pub mod aggregate_check;
pub(crate) mod append;
pub mod proofs;
pub mod read;
pub mod stored_tree;
pub mod verify;

pub use aggregate_check::{
    check_against_checkpoint, check_aggregate, AgainstCheckpoint, CheckedAggregate,
    CheckpointedAggregate,
};
pub use proofs::{
    aggregate_proofs, consistency, current_checkpoint, inclusion, leaf_hashes, proofs_of,
    signed_paths, AggregateProofs, EventProof, ProofRequestError,
};
pub use stored_tree::{store_tree, stored_leaves};
pub use verify::{verify, Expectation, IntegrityFailure, Verified};
