//! The published bundle of a drawn task (docs/DRAW.md §12): every file a stranger needs
//! to re-run the draw and to check that what was run is what the log recorded.
//!
//! A draw is trusted only if anyone can redo it without our database. So the bundle
//! holds the task's ledger entries, each with its inclusion proof in a signed
//! checkpoint, and every other file is derived from those events alone: the task, the
//! five frozen texts, the exclusions, the randomness, the seed text, the transcript,
//! the recusals and the final teams. [`verify_bundle`] checks the signature and the
//! proofs, replays the events, demands every derived file byte for byte, and then
//! recomputes the draw itself from the published texts and the drand round, so a log
//! that recorded a wrong draw fails too. Each mismatch names the file and what differs.
//!
//! A bundle is a map from file name to bytes; the CLI writes it to a directory and the
//! HTTP API zips it. This module does no I/O.

mod files;
mod history;
mod verify;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::integrity::{leaf_hash, open_checkpoint, CheckpointError, InclusionProof, NoteVerifier};

pub use history::HistoryError;
pub use verify::verify_bundle;

use files::BundleProof;
use history::History;

/// The format name, written into `task.json`.
pub const BUNDLE_FORMAT: &str = "jianxin-draw-bundle-v1";

/// `task.json`: the task as created and frozen, and the attempt drawn.
pub const TASK_JSON: &str = "task.json";
/// `exclusions.csv`: subjects left out at the freeze, with reasons.
pub const EXCLUSIONS_CSV: &str = "exclusions.csv";
/// `randomness.json`: the drand round and the commit–reveal values.
pub const RANDOMNESS_JSON: &str = "randomness.json";
/// `seed.txt`: the seed text (docs/DRAW.md §3.3).
pub const SEED_TXT: &str = "seed.txt";
/// `result.txt`: the transcript (docs/DRAW.md §10).
pub const RESULT_TXT: &str = "result.txt";
/// `recusals.csv`: each recusal and its replacement, in event order.
pub const RECUSALS_CSV: &str = "recusals.csv";
/// `teams.csv`: the final teams, after replacements.
pub const TEAMS_CSV: &str = "teams.csv";
/// `events.jsonl`: the task's ledger entries, canonical bytes, one per line.
pub const EVENTS_JSONL: &str = "events.jsonl";
/// `proofs.json`: one inclusion proof per line of `events.jsonl`.
pub const PROOFS_JSON: &str = "proofs.json";
/// `checkpoint.txt`: the signed checkpoint every proof leads to.
pub const CHECKPOINT_TXT: &str = "checkpoint.txt";
/// `key.txt`: the verifier key of the checkpoint's signature.
pub const KEY_TXT: &str = "key.txt";

/// Every file of a bundle, in the order of docs/DRAW.md §12; a bundle holds exactly
/// these.
pub const BUNDLE_FILES: [&str; 16] = [
    TASK_JSON,
    "subjects.csv",
    "inspectors.csv",
    "relationships.csv",
    "previous.csv",
    "rules.txt",
    EXCLUSIONS_CSV,
    RANDOMNESS_JSON,
    SEED_TXT,
    RESULT_TXT,
    RECUSALS_CSV,
    TEAMS_CSV,
    EVENTS_JSONL,
    PROOFS_JSON,
    CHECKPOINT_TXT,
    KEY_TXT,
];

/// Why a bundle could not be built from what the log handed over.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Each entry needs exactly one proof, in the same order.
    #[error("{entries} ledger entries but {proofs} inclusion proofs")]
    ProofCount {
        /// Entries given.
        entries: usize,
        /// Proofs given.
        proofs: usize,
    },
    /// The checkpoint does not open with the log's key.
    #[error("the checkpoint does not open with key {key}: {error}")]
    Checkpoint {
        /// The verifier key string.
        key: String,
        /// Why.
        error: CheckpointError,
    },
    /// A proof does not lead from its entry to the checkpoint's root.
    #[error("event {global_sequence}: {what}")]
    Proof {
        /// The entry's global sequence.
        global_sequence: u64,
        /// What is wrong with its proof.
        what: String,
    },
    /// The entries are not the complete, drawn history of one task.
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// A bundle that does not verify: the file at fault and what differs in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {what}")]
pub struct BundleMismatch {
    /// The file name, e.g. `result.txt`.
    pub file: String,
    /// What differs, e.g. `line 7: expected "team=…", found "team=…"`.
    pub what: String,
}

impl BundleMismatch {
    pub(crate) fn new(file: &str, what: impl Into<String>) -> BundleMismatch {
        BundleMismatch {
            file: file.to_owned(),
            what: what.into(),
        }
    }
}

/// What a verified bundle shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReport {
    /// The task (its aggregate id).
    pub task_id: Uuid,
    /// The log's origin line in the checkpoint.
    pub origin: String,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// Events of the task in `events.jsonl`.
    pub events: usize,
    /// The attempt drawn (above 1 after an approved redraw).
    pub attempt: u32,
    /// The seed, hex.
    pub seed: String,
    /// Subjects drawn.
    pub subjects_drawn: usize,
    /// Teams after replacements.
    pub teams: usize,
    /// Recusals declared on the current draw.
    pub recusals: usize,
    /// The checkpoint key's name.
    pub key_name: String,
    /// The checkpoint key's id.
    pub key_id: u32,
}

/// Builds the bundle of a drawn task from its ledger entries (global sequence and
/// canonical bytes, as stored), one inclusion proof per entry in the same order, a
/// checkpoint note every proof leads to, and the key that signed it. Everything else is
/// derived from the events. Refuses entries of another aggregate, gaps, a task whose
/// current attempt is not drawn, and proofs that do not verify.
pub fn build_bundle(
    entries: &[(u64, Vec<u8>)],
    proofs: &[InclusionProof],
    checkpoint_note: &str,
    verifier: &NoteVerifier,
) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    if entries.len() != proofs.len() {
        return Err(BundleError::ProofCount {
            entries: entries.len(),
            proofs: proofs.len(),
        });
    }
    let checkpoint =
        open_checkpoint(checkpoint_note, verifier).map_err(|error| BundleError::Checkpoint {
            key: verifier.to_verifier_key_string(),
            error,
        })?;
    let mut pairs: Vec<(&(u64, Vec<u8>), &InclusionProof)> = entries.iter().zip(proofs).collect();
    pairs.sort_by_key(|((sequence, _), _)| *sequence);
    let mut bundle_proofs = Vec::with_capacity(pairs.len());
    for ((global_sequence, bytes), proof) in &pairs {
        let leaf = leaf_hash(bytes);
        let bundled = BundleProof::new(*global_sequence, &leaf, proof);
        bundled
            .check(&checkpoint)
            .map_err(|what| BundleError::Proof {
                global_sequence: *global_sequence,
                what,
            })?;
        bundle_proofs.push(bundled);
    }
    let history = History::decode(pairs.iter().map(|((s, b), _)| (*s, b.as_slice())))?;
    let mut files = files::derived(&history)?;
    files.insert(PROOFS_JSON, files::proofs_json(&bundle_proofs)?);
    files.insert(CHECKPOINT_TXT, checkpoint_note.as_bytes().to_vec());
    files.insert(KEY_TXT, files::key_txt(verifier));
    Ok(files
        .into_iter()
        .map(|(name, bytes)| (name.to_owned(), bytes))
        .collect())
}
