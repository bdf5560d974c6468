//! `jianxin log verify`: recompute every hash from the stored rows and compare every
//! stored event with the bytes its ledger entry committed to.
//!
//! Streams the ledger in chunks, so memory stays flat however long the log is. Finds: a
//! changed payload byte or column (event row or ledger row), a removed row, an inserted
//! row, rows swapped — even with the append-only triggers dropped — and names the first
//! bad global sequence number. Against a checkpoint it also proves the log extends it.

use std::collections::HashMap;

use jianxin_domain::event_log::{LedgerEntry, GENESIS_HASH};
use jianxin_domain::integrity::{hash_to_hex, leaf_hash, Hash, TreeBuilder};
use serde_json::Value;

use super::read::{
    ledger_chunk, ledger_extent, ledger_extent_upto, unledgered_event, EventRow, JoinedRow,
    LedgerRow,
};
use crate::db::Database;
use crate::registry::AGGREGATE_NAMES;
use crate::StoreError;

const CHUNK: i64 = 10_000;

/// A verified log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Number of events (ledger entries).
    pub events: u64,
    /// The Merkle root over all entries.
    pub root: Hash,
    /// The hash of the last entry of the chain.
    pub head: Hash,
}

/// The first integrity failure found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("integrity failure at global sequence {global_sequence}: {what}")]
pub struct IntegrityFailure {
    /// The first bad global sequence number.
    pub global_sequence: u64,
    /// What differs.
    pub what: String,
}

fn fail<T>(global_sequence: u64, what: impl Into<String>) -> Result<T, IntegrityFailure> {
    Err(IntegrityFailure {
        global_sequence,
        what: what.into(),
    })
}

/// What a verification is checked against, besides the log itself.
#[derive(Debug, Clone, Copy)]
pub struct Expectation {
    /// A checkpoint's tree size.
    pub tree_size: u64,
    /// The checkpoint's root.
    pub root: Hash,
}

/// Verify the whole log, as far as it reached when the verification began (a running
/// service may append meanwhile). Outer error: the database failed; inner: the log is
/// not intact.
///
/// The next chunk is fetched while the current one is checked, and each ledger row
/// arrives joined to its event row, so the database and the CPU work side by side.
pub async fn verify(
    db: &Database,
    checkpoint: Option<Expectation>,
) -> Result<Result<Verified, IntegrityFailure>, StoreError> {
    let mut tree = TreeBuilder::new();
    let mut head: Hash = GENESIS_HASH;
    let mut expected_seq: u64 = 1;
    let mut per_type: HashMap<&'static str, i64> = HashMap::new();
    let mut checkpoint_root: Option<Hash> = None;
    // A running service appends while the log is verified: verify the entries that exist
    // now, up to `upto`, and leave those appended since to the next verification.
    let (_, upto) = ledger_extent(db).await?;
    let fetch = |after: i64| {
        let db = db.clone();
        tokio::spawn(async move { ledger_chunk(&db, after, CHUNK).await })
    };
    let mut pending = Some(fetch(0));
    while let Some(chunk) = pending.take() {
        let rows = chunk
            .await
            .map_err(|e| StoreError::Encoding(format!("verify task: {e}")))??;
        let Some(last) = rows.last() else { break };
        let last = last.ledger.global_sequence;
        if last < upto {
            pending = Some(fetch(last));
        }
        let prefix = rows.iter().take_while(|r| r.ledger.global_sequence <= upto);
        for JoinedRow { ledger: row, event } in prefix {
            let seq = expected_seq;
            if row.global_sequence as u64 != seq {
                return Ok(fail(
                    seq,
                    format!(
                        "ledger entry {seq} is missing (next stored is {})",
                        row.global_sequence
                    ),
                ));
            }
            let Some(name) = AGGREGATE_NAMES.iter().find(|n| **n == row.aggregate_type) else {
                return Ok(fail(
                    seq,
                    format!(
                        "ledger row names unknown aggregate type {:?}",
                        row.aggregate_type
                    ),
                ));
            };
            if row.prev_hash.as_slice() != head.as_slice() {
                return Ok(fail(seq, "prev_hash is not the hash of the previous entry"));
            }
            let entry = match LedgerEntry::decode_value(&row.canonical) {
                Ok(e) => e,
                Err(e) => return Ok(fail(seq, format!("canonical bytes: {e}"))),
            };
            let hash = LedgerEntry::chain_hash(&head, &row.canonical);
            if row.entry_hash.as_slice() != hash.as_slice() {
                return Ok(fail(seq, "entry_hash does not match the recomputed hash"));
            }
            if let Err(what) = check_ledger_columns(row, &entry) {
                return Ok(fail(seq, what));
            }
            let Some(event) = event else {
                return Ok(fail(
                    seq,
                    format!(
                        "event {} is missing from {}_events",
                        row.event_id, row.aggregate_type
                    ),
                ));
            };
            if let Err(what) = check_event_row(event, &entry) {
                return Ok(fail(
                    seq,
                    format!("{}_events row {}: {what}", row.aggregate_type, row.event_id),
                ));
            }
            *per_type.entry(name).or_default() += 1;
            tree.push(&leaf_hash(&row.canonical))
                .map_err(|e| StoreError::Encoding(e.to_string()))?;
            head = hash;
            if let Some(cp) = checkpoint {
                if tree.size() == cp.tree_size {
                    checkpoint_root = Some(tree.root());
                }
            }
            expected_seq += 1;
        }
    }
    let size = expected_seq - 1;
    let (count, max) = ledger_extent_upto(db, upto).await?;
    if count as u64 != size || max as u64 != size {
        return Ok(fail(
            size + 1,
            format!("ledger holds {count} rows up to {max} beyond a gap"),
        ));
    }
    for name in AGGREGATE_NAMES {
        let (rows, orphan) = unledgered_event(db, name, upto).await?;
        let ledgered = per_type.get(*name).copied().unwrap_or(0);
        if let Some(o) = orphan {
            return Ok(fail(
                size + 1,
                format!(
                    "{name}_events row {} (aggregate {}, sequence {}) has no ledger entry",
                    o.id, o.aggregate_id, o.sequence_number
                ),
            ));
        }
        if rows != ledgered {
            return Ok(fail(
                size + 1,
                format!("{name}_events holds {rows} rows, the ledger {ledgered}"),
            ));
        }
    }
    if let Some(cp) = checkpoint {
        if cp.tree_size == 0 {
            checkpoint_root = Some(jianxin_domain::integrity::EMPTY_ROOT);
        }
        match checkpoint_root {
            None => {
                return Ok(fail(
                    size + 1,
                    format!(
                        "the log has {size} entries, fewer than the checkpoint's {}",
                        cp.tree_size
                    ),
                ))
            }
            Some(root) if root != cp.root => {
                return Ok(fail(
                    1,
                    format!(
                        "the first {} entries hash to {}, not the checkpoint's root {}: history was rewritten",
                        cp.tree_size,
                        hash_to_hex(&root),
                        hash_to_hex(&cp.root)
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(Ok(Verified {
        events: size,
        root: tree.root(),
        head,
    }))
}

/// The ledger row's own columns must say what its canonical bytes say.
pub(super) fn check_ledger_columns(row: &LedgerRow, entry: &Value) -> Result<(), String> {
    let differs = |field: &str, stored: &dyn std::fmt::Display, hashed: &Value| {
        Err(format!(
            "ledger column {field} is {stored}, the hashed entry says {hashed}"
        ))
    };
    if entry["global_sequence"].as_i64() != Some(row.global_sequence) {
        return differs(
            "global_sequence",
            &row.global_sequence,
            &entry["global_sequence"],
        );
    }
    if entry["event_id"].as_str() != Some(row.event_id.as_str()) {
        return differs("event_id", &row.event_id, &entry["event_id"]);
    }
    if entry["aggregate_type"].as_str() != Some(row.aggregate_type.as_str()) {
        return differs(
            "aggregate_type",
            &row.aggregate_type,
            &entry["aggregate_type"],
        );
    }
    if entry["aggregate_id"].as_str() != Some(row.aggregate_id.as_str()) {
        return differs("aggregate_id", &row.aggregate_id, &entry["aggregate_id"]);
    }
    if entry["aggregate_sequence"].as_i64() != Some(row.aggregate_sequence) {
        return differs(
            "aggregate_sequence",
            &row.aggregate_sequence,
            &entry["aggregate_sequence"],
        );
    }
    let payload = &entry["payload"];
    if payload["command_id"].as_str() != Some(row.command_id.as_str())
        || payload["command_index"].as_i64() != Some(row.command_index)
    {
        return Err("ledger columns command_id/command_index differ from the hashed entry".into());
    }
    Ok(())
}

/// The stored event row must be exactly what the entry committed to.
pub(super) fn check_event_row(event: &EventRow, entry: &Value) -> Result<(), String> {
    if entry["aggregate_id"].as_str() != Some(event.aggregate_id.as_str()) {
        return Err(format!(
            "aggregate_id is {}, hashed {}",
            event.aggregate_id, entry["aggregate_id"]
        ));
    }
    if entry["aggregate_sequence"].as_i64() != Some(event.sequence_number) {
        return Err(format!(
            "sequence_number is {}, hashed {}",
            event.sequence_number, entry["aggregate_sequence"]
        ));
    }
    if entry["occurred_on"].as_str() != Some(event.occurred_on.as_str()) {
        return Err(format!(
            "occurred_on is {}, hashed {}",
            event.occurred_on, entry["occurred_on"]
        ));
    }
    if entry["store_version"].as_i64() != event.version {
        return Err(format!(
            "version is {:?}, hashed {}",
            event.version, entry["store_version"]
        ));
    }
    let payload: Value =
        serde_json::from_str(&event.payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    if payload != entry["payload"] {
        return Err(format!(
            "payload differs from the hashed entry{}",
            first_difference(&payload, &entry["payload"], "$")
        ));
    }
    Ok(())
}

/// Where two JSON values first differ, as ` at <path>`.
fn first_difference(a: &Value, b: &Value, path: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) if p == q => continue,
                    (Some(p), Some(q)) => return first_difference(p, q, &format!("{path}.{k}")),
                    _ => return format!(" at {path}.{k}"),
                }
            }
            format!(" at {path}")
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if p != q {
                    return first_difference(p, q, &format!("{path}[{i}]"));
                }
            }
            format!(" at {path}")
        }
        _ => format!(" at {path}"),
    }
}
