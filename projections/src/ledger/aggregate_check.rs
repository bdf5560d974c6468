//! What one aggregate's replay needs from the ledger, read and checked in one pass: the
//! aggregate's events decoded once, the hash chain of the whole log, the aggregate's own
//! event rows against the entries they committed to, and the whole log's Merkle tree
//! with every level kept, so a proof of each of its events costs `O(log n)`.
//!
//! Unlike [`verify`](super::verify::verify), which checks every row of every aggregate,
//! this checks what can vouch for *this* aggregate (docs/CASES.md §4); the pass over
//! the ledger runs on its own task while the aggregate's rows are read and parsed:
//!
//! - every ledger row, in order: no gap, `prev_hash` is the previous entry's hash,
//!   `entry_hash` recomputes (no JSON decoded: two SHA-256 per entry, the second being
//!   the Merkle leaf the proofs need anyway);
//! - each of the aggregate's entries: its canonical bytes are exactly the canonical
//!   entry rebuilt from its event row (id, sequence, time, version, payload) and its
//!   ledger columns, and the ledger's command columns say what the payload says;
//! - the aggregate's event rows and its entries match one to one.
//!
//! Other aggregates' event rows are not read: a changed row elsewhere does not change
//! the chain, so it cannot make this aggregate's entries less trustworthy. `log verify`
//! still checks everything.

use jianxin_domain::event_log::{canonical_json, LedgerEntry, GENESIS_HASH};
use jianxin_domain::integrity::{leaf_hash, Hash, TreeLevels};
use serde_json::{json, Value};
use sqlx::Row;
use uuid::Uuid;

use super::read::{ledger_rows, EventRow, LedgerRow};
use super::verify::{check_event_row, check_ledger_columns, IntegrityFailure};
use crate::db::Database;
use crate::store::Envelope;
use crate::StoreError;

const CHUNK: i64 = 10_000;

/// One aggregate's events and what the ledger says about them.
#[derive(Debug)]
pub struct CheckedAggregate<E> {
    /// The events, decoded from the event rows, in aggregate order.
    pub events: Vec<E>,
    /// The aggregate's ledger entries `(global_sequence, canonical bytes)`, in order.
    pub entries: Vec<(u64, Vec<u8>)>,
    /// The Merkle tree of the whole log as read (for the inclusion proofs).
    pub tree: TreeLevels,
    /// The first failure that concerns the aggregate: a broken chain at or before its
    /// last entry, one of its own rows that differs from its entry, or an event row
    /// without an entry. `None`: the ledger vouches for every event.
    pub failure: Option<IntegrityFailure>,
}

/// Reads aggregate `aggregate_type`/`aggregate_id` and checks it against the ledger (see
/// the module header). The ledger is streamed, on its own task, while the event rows
/// are read.
pub async fn check_aggregate<E: Envelope>(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
) -> Result<CheckedAggregate<E>, StoreError> {
    // the chain pass hashes on another worker while this task reads and parses
    let chain = tokio::spawn({
        let (db, name) = (db.clone(), aggregate_type.to_owned());
        async move { chain_pass(&db, &name, aggregate_id).await }
    });
    let rows = event_rows(db, aggregate_type, aggregate_id).await?;
    let mut payloads = Vec::with_capacity(rows.len());
    for event in &rows {
        payloads.push(serde_json::from_str::<Value>(&event.payload));
    }
    let Chain {
        leaves,
        own,
        broken,
    } = chain
        .await
        .map_err(|e| StoreError::Encoding(format!("ledger read task: {e}")))??;
    // an event row beyond the entries (or an entry gone) makes any break relevant
    let last = if rows.len() > own.len() {
        u64::MAX
    } else {
        own.last().map_or(0, |r| r.global_sequence as u64)
    };
    let mut failure = broken.filter(|f| f.global_sequence <= last);
    let mut events = Vec::with_capacity(rows.len());
    for (i, (event, payload)) in rows.into_iter().zip(payloads).enumerate() {
        let Some(entry) = own.get(i) else {
            let what = format!(
                "{aggregate_type}_events row {} (aggregate {}, sequence {}) has no ledger entry",
                event.id, event.aggregate_id, event.sequence_number
            );
            first(&mut failure, leaves.len() as u64 + 1, what);
            break;
        };
        let seq = entry.global_sequence as u64;
        let payload: Value = match payload {
            Ok(v) => v,
            Err(e) => {
                first(
                    &mut failure,
                    seq,
                    format!(
                        "{aggregate_type}_events row {}: payload is not JSON: {e}",
                        event.id
                    ),
                );
                continue;
            }
        };
        let (payload, matches) = matches_entry(aggregate_type, entry, &event, payload);
        if !matches {
            first(&mut failure, seq, mismatch(aggregate_type, entry, &event));
        }
        events.push(E::from_payload(payload)?);
    }
    if let Some(entry) = own.get(events.len()) {
        first(
            &mut failure,
            entry.global_sequence as u64,
            format!(
                "event {} is missing from {}_events",
                entry.event_id, entry.aggregate_type
            ),
        );
    }
    Ok(CheckedAggregate {
        events,
        entries: own
            .into_iter()
            .map(|r| (r.global_sequence as u64, r.canonical))
            .collect(),
        tree: TreeLevels::new(leaves),
        failure,
    })
}

/// Keeps the failure with the lowest global sequence.
fn first(failure: &mut Option<IntegrityFailure>, global_sequence: u64, what: String) {
    if failure
        .as_ref()
        .is_none_or(|f| global_sequence < f.global_sequence)
    {
        *failure = Some(IntegrityFailure {
            global_sequence,
            what,
        });
    }
}

/// Whether the entry's canonical bytes are exactly the entry rebuilt from the event row
/// and the ledger columns, and the command columns agree; gives the payload back.
fn matches_entry(
    aggregate_type: &str,
    entry: &LedgerRow,
    event: &EventRow,
    payload: Value,
) -> (Value, bool) {
    let commands = payload["command_id"].as_str() == Some(entry.command_id.as_str())
        && payload["command_index"].as_i64() == Some(entry.command_index)
        && entry.event_id == event.id
        && entry.aggregate_sequence == event.sequence_number;
    let mut rebuilt = json!({
        "global_sequence": entry.global_sequence,
        "event_id": event.id,
        "aggregate_type": aggregate_type,
        "aggregate_id": event.aggregate_id,
        "aggregate_sequence": event.sequence_number,
        "occurred_on": event.occurred_on,
        "store_version": event.version,
        "payload": payload,
    });
    let same = canonical_json(&rebuilt).is_ok_and(|bytes| bytes == entry.canonical);
    let payload = rebuilt
        .as_object_mut()
        .and_then(|m| m.remove("payload"))
        .unwrap_or(Value::Null);
    (payload, commands && same)
}

/// What differs, in the words of `log verify` (the slow path, taken only on a mismatch).
fn mismatch(aggregate_type: &str, entry: &LedgerRow, event: &EventRow) -> String {
    let value = match LedgerEntry::decode_value(&entry.canonical) {
        Ok(v) => v,
        Err(e) => return format!("canonical bytes: {e}"),
    };
    if let Err(what) = check_ledger_columns(entry, &value) {
        return what;
    }
    if entry.event_id != event.id {
        return format!(
            "event {} is missing from {aggregate_type}_events",
            entry.event_id
        );
    }
    match check_event_row(event, &value) {
        Err(what) => format!("{aggregate_type}_events row {}: {what}", event.id),
        Ok(()) => format!(
            "{aggregate_type}_events row {} differs from its ledger entry",
            event.id
        ),
    }
}

/// The whole log's chain, checked; its leaves; the aggregate's own rows.
struct Chain {
    leaves: Vec<Hash>,
    own: Vec<LedgerRow>,
    broken: Option<IntegrityFailure>,
}

async fn chain_pass(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
) -> Result<Chain, StoreError> {
    let id = aggregate_id.hyphenated().to_string();
    let mut leaves = Vec::new();
    let mut own = Vec::new();
    let mut broken = None;
    let mut head: Hash = GENESIS_HASH;
    let fetch = |after: i64| {
        let db = db.clone();
        tokio::spawn(async move { ledger_rows(&db, after, CHUNK).await })
    };
    let mut pending = fetch(0);
    loop {
        let rows = pending
            .await
            .map_err(|e| StoreError::Encoding(format!("ledger read task: {e}")))??;
        let Some(last) = rows.last() else { break };
        pending = fetch(last.global_sequence);
        for row in rows {
            let seq = leaves.len() as u64 + 1;
            if broken.is_none() {
                broken = chain_link(seq, &head, &row);
            }
            head = row.entry_hash.as_slice().try_into().unwrap_or(GENESIS_HASH);
            leaves.push(leaf_hash(&row.canonical));
            if row.aggregate_type == aggregate_type && row.aggregate_id == id {
                own.push(row);
            }
        }
    }
    Ok(Chain {
        leaves,
        own,
        broken,
    })
}

/// The chain link of the row expected at `seq` after `head`.
fn chain_link(seq: u64, head: &Hash, row: &LedgerRow) -> Option<IntegrityFailure> {
    let what = if row.global_sequence as u64 != seq {
        format!(
            "ledger entry {seq} is missing (next stored is {})",
            row.global_sequence
        )
    } else if row.prev_hash.as_slice() != head.as_slice() {
        "prev_hash is not the hash of the previous entry".into()
    } else if row.entry_hash.as_slice() != LedgerEntry::chain_hash(head, &row.canonical).as_slice()
    {
        "entry_hash does not match the recomputed hash".into()
    } else {
        return None;
    };
    Some(IntegrityFailure {
        global_sequence: seq,
        what,
    })
}

/// The aggregate's event rows as stored, every column as text, in sequence order.
async fn event_rows(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
) -> Result<Vec<EventRow>, StoreError> {
    macro_rules! rows {
        ($rows:expr) => {{
            let mut out = Vec::new();
            for r in $rows {
                out.push(EventRow {
                    id: r.try_get("id")?,
                    aggregate_id: r.try_get("aggregate_id")?,
                    payload: r.try_get("payload")?,
                    occurred_on: r.try_get("occurred_on")?,
                    sequence_number: r.try_get("sequence_number")?,
                    version: r.try_get("version")?,
                });
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => {
            let sql = format!(
                "SELECT id, aggregate_id, payload, occurred_on, sequence_number, \
                 CAST(version AS BIGINT) AS version FROM {aggregate_type}_events \
                 WHERE aggregate_id = $1 ORDER BY sequence_number"
            );
            let rows = sqlx::query(&sql)
                .bind(aggregate_id.to_string())
                .fetch_all(p)
                .await?;
            rows!(rows)
        }
        Database::Postgres(p) => {
            let sql = format!(
                "SELECT CAST(id AS TEXT) AS id, CAST(aggregate_id AS TEXT) AS aggregate_id, \
                 CAST(payload AS TEXT) AS payload, \
                 to_char(occurred_on AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS occurred_on, \
                 CAST(sequence_number AS BIGINT) AS sequence_number, \
                 CAST(version AS BIGINT) AS version FROM {aggregate_type}_events \
                 WHERE aggregate_id = $1 ORDER BY sequence_number"
            );
            let rows = sqlx::query(&sql).bind(aggregate_id).fetch_all(p).await?;
            rows!(rows)
        }
    })
}
