//! Integrity primitives: Merkle tree and checkpoints. Placeholder: being written.
