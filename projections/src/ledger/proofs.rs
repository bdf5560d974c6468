//! Proofs from the stored ledger: signed checkpoints, inclusion proofs of single events
//! and consistency proofs between tree sizes (RFC 9162 §2.1.3–2.1.4).

use chrono::{DateTime, Utc};
use jianxin_domain::integrity::{
    consistency_proof, hash_to_hex, inclusion_proof, leaf_hash, root_from_leaf_hashes,
    sign_checkpoint, Checkpoint, ConsistencyProof, Hash, InclusionPath, InclusionProof, NoteSigner,
    TreeLevels,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::Database;
use crate::StoreError;

/// An inclusion proof of one event, as `jianxin log prove` prints it and
/// `jianxin log verify-proof` reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventProof {
    /// The event's global sequence number (leaf index + 1).
    pub global_sequence: u64,
    /// The ledger entry's canonical bytes (UTF-8 JSON), i.e. the Merkle leaf data.
    pub entry: String,
    /// `SHA-256(0x00 || entry)`, hex.
    pub leaf_hash: String,
    /// The RFC 9162 inclusion proof.
    pub inclusion: InclusionProof,
}

/// Leaf hashes of the first `upto` entries (all when `None`), in order.
pub async fn leaf_hashes(db: &Database, upto: Option<u64>) -> Result<Vec<Hash>, StoreError> {
    const SQL: &str = "SELECT global_sequence, canonical FROM ledger WHERE global_sequence > $1 \
                       AND global_sequence <= $2 ORDER BY global_sequence LIMIT 10000";
    let limit = upto.map(|u| u as i64).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, Vec<u8>)> = match db {
            Database::Sqlite(p) => sqlx::query(SQL)
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()?,
            Database::Postgres(p) => sqlx::query(SQL)
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()?,
        };
        let Some((last, _)) = rows.last() else { break };
        after = *last;
        out.extend(rows.iter().map(|(_, c)| leaf_hash(c)));
    }
    Ok(out)
}

/// A signed checkpoint of the log as it stands.
pub async fn current_checkpoint(
    db: &Database,
    signer: &NoteSigner,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<(Checkpoint, String), StoreError> {
    let leaves = leaf_hashes(db, None).await?;
    let cp = Checkpoint::new(
        origin,
        leaves.len() as u64,
        root_from_leaf_hashes(&leaves),
        now,
    )
    .map_err(|e| StoreError::Config(format!("checkpoint: {e}")))?;
    let note =
        sign_checkpoint(&cp, signer).map_err(|e| StoreError::Config(format!("checkpoint: {e}")))?;
    Ok((cp, note))
}

/// Why a proof cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ProofRequestError {
    /// The sequence or size is outside the log.
    #[error("{0}")]
    OutOfRange(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An inclusion proof of the event at `global_sequence` in the tree of `tree_size`
/// entries (the current size when `None`).
pub async fn inclusion(
    db: &Database,
    global_sequence: u64,
    tree_size: Option<u64>,
) -> Result<EventProof, ProofRequestError> {
    let leaves = leaf_hashes(db, tree_size).await?;
    let size = leaves.len() as u64;
    if let Some(t) = tree_size.filter(|t| *t != size) {
        return Err(ProofRequestError::OutOfRange(format!(
            "tree size {t} is larger than the log ({size} entries)"
        )));
    }
    if global_sequence == 0 || global_sequence > size {
        return Err(ProofRequestError::OutOfRange(format!(
            "global sequence {global_sequence} is not in a log of {size} entries (expected 1..={size})"
        )));
    }
    let index = global_sequence - 1;
    let hashes = inclusion_proof(&leaves, index)
        .map_err(|e| ProofRequestError::OutOfRange(e.to_string()))?;
    let canonical = entry_bytes(db, global_sequence).await?;
    Ok(EventProof {
        global_sequence,
        entry: String::from_utf8_lossy(&canonical).into_owned(),
        leaf_hash: hash_to_hex(&leaves[index as usize]),
        inclusion: InclusionProof::new(index, size, &hashes),
    })
}

/// A consistency proof from the tree of `old_size` entries to the current tree.
pub async fn consistency(
    db: &Database,
    old_size: u64,
) -> Result<ConsistencyProof, ProofRequestError> {
    let leaves = leaf_hashes(db, None).await?;
    let size = leaves.len() as u64;
    if old_size > size {
        return Err(ProofRequestError::OutOfRange(format!(
            "old size {old_size} is larger than the log ({size} entries)"
        )));
    }
    let hashes = consistency_proof(&leaves, old_size)
        .map_err(|e| ProofRequestError::OutOfRange(e.to_string()))?;
    Ok(ConsistencyProof::new(old_size, size, &hashes))
}

async fn entry_bytes(db: &Database, global_sequence: u64) -> Result<Vec<u8>, StoreError> {
    const SQL: &str = "SELECT canonical FROM ledger WHERE global_sequence = $1";
    let seq = global_sequence as i64;
    Ok(match db {
        Database::Sqlite(p) => sqlx::query(SQL).bind(seq).fetch_one(p).await?.try_get(0)?,
        Database::Postgres(p) => sqlx::query(SQL).bind(seq).fetch_one(p).await?.try_get(0)?,
    })
}

/// Every ledger entry of one aggregate with its inclusion proof, under one signed
/// checkpoint of the log as it stands: what a published bundle carries, so a reader
/// can check each event is in the log the deployment signed.
#[derive(Debug, Clone)]
pub struct AggregateProofs {
    /// `(global_sequence, canonical entry bytes)`, in ledger order.
    pub entries: Vec<(u64, Vec<u8>)>,
    /// One inclusion proof per entry, in the same order.
    pub proofs: Vec<InclusionProof>,
    /// The signed checkpoint note the proofs lead to.
    pub checkpoint_note: String,
    /// Its tree size.
    pub tree_size: u64,
}

/// The entries of aggregate `aggregate_type`/`aggregate_id`, their inclusion proofs and
/// a checkpoint signed now. The leaves are read once and the tree built once, whatever
/// the number of entries.
pub async fn aggregate_proofs(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: uuid::Uuid,
    signer: &NoteSigner,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<AggregateProofs, StoreError> {
    let tree = TreeLevels::new(leaf_hashes(db, None).await?);
    let size = tree.size();
    const SQL: &str = "SELECT global_sequence, canonical FROM ledger \
                       WHERE aggregate_type = $1 AND aggregate_id = $2 AND global_sequence <= $3 \
                       ORDER BY global_sequence";
    let rows: Vec<(i64, Vec<u8>)> = match db {
        Database::Sqlite(p) => sqlx::query(SQL)
            .bind(aggregate_type)
            .bind(aggregate_id.to_string())
            .bind(size as i64)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?,
        Database::Postgres(p) => sqlx::query(SQL)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(size as i64)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?,
    };
    let entries = rows
        .into_iter()
        .map(|(seq, canonical)| (seq as u64, canonical))
        .collect();
    proofs_of(&tree, entries, signer, origin, now)
}

/// Inclusion proofs of `entries` (`(global_sequence, canonical bytes)`, leaves of
/// `tree`) and a checkpoint of `tree` signed now: one tree, one proof per entry read
/// off its levels.
pub fn proofs_of(
    tree: &TreeLevels,
    entries: Vec<(u64, Vec<u8>)>,
    signer: &NoteSigner,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<AggregateProofs, StoreError> {
    let (checkpoint_note, paths) = signed_paths(tree, &entries, signer, origin, now)?;
    Ok(AggregateProofs {
        entries,
        proofs: paths.iter().map(InclusionProof::from).collect(),
        checkpoint_note,
        tree_size: tree.size(),
    })
}

/// What [`proofs_of`] computes, the proofs kept as bytes ([`InclusionPath`]: the same
/// JSON, its hex written while serializing): the note of a checkpoint of `tree` signed
/// now and one path per entry of `entries`, in order.
pub fn signed_paths(
    tree: &TreeLevels,
    entries: &[(u64, Vec<u8>)],
    signer: &NoteSigner,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<(String, Vec<InclusionPath>), StoreError> {
    let size = tree.size();
    let cp = Checkpoint::new(origin, size, tree.root(), now)
        .map_err(|e| StoreError::Config(format!("checkpoint: {e}")))?;
    let checkpoint_note =
        sign_checkpoint(&cp, signer).map_err(|e| StoreError::Config(format!("checkpoint: {e}")))?;
    let mut paths = Vec::with_capacity(entries.len());
    for (seq, _) in entries {
        let index = seq.saturating_sub(1);
        let hashes = tree
            .inclusion_proof(index)
            .map_err(|e| StoreError::Config(format!("inclusion proof of {seq}: {e}")))?;
        paths.push(InclusionPath {
            leaf_index: index,
            tree_size: size,
            hashes,
        });
    }
    Ok((checkpoint_note, paths))
}
