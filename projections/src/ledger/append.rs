//! Appending ledger entries inside the event-writing transaction.
//!
//! The global sequence is assigned under a lock held until commit — the SQLite write
//! lock of `BEGIN IMMEDIATE`, or a PostgreSQL transaction-scoped advisory lock — never by
//! a sequence or autoincrement: positions are then gap-free and in commit order, so a
//! reader that has seen position N has seen every fact before it.

use esrs::store::StoreEvent;
use jianxin_domain::event_log::{format_micros, LedgerEntry, GENESIS_HASH};
use sqlx::{PgConnection, Row, SqliteConnection};

use crate::store::Envelope;
use crate::StoreError;

/// Advisory-lock key pair (two-int form, a key space apart from esrs's one-bigint
/// aggregate locks) serialising ledger appends on PostgreSQL.
pub const PG_LEDGER_LOCK: (i32, i32) = (0x6a78_6c67, 1);

/// A ledger row about to be written.
pub(crate) struct NextEntry {
    /// The entry.
    pub entry: LedgerEntry,
    /// Its canonical bytes.
    pub canonical: Vec<u8>,
    /// The previous entry's hash.
    pub prev_hash: [u8; 32],
    /// This entry's hash.
    pub hash: [u8; 32],
}

/// The ledger entry of `event`, placed after `prev` (global sequence, entry hash).
pub(crate) fn next_entry<E: Envelope>(
    prev: Option<(i64, Vec<u8>)>,
    aggregate_type: &str,
    event: &StoreEvent<E>,
) -> Result<NextEntry, StoreError> {
    next_entry_with(prev, aggregate_type, event, event.payload.to_payload()?)
}

/// [`next_entry`] given the event's payload, already encoded by the caller.
pub(crate) fn next_entry_with<E: Envelope>(
    prev: Option<(i64, Vec<u8>)>,
    aggregate_type: &str,
    event: &StoreEvent<E>,
    payload: serde_json::Value,
) -> Result<NextEntry, StoreError> {
    let (prev_seq, prev_hash) = match prev {
        Some((seq, hash)) => {
            let hash: [u8; 32] = hash.as_slice().try_into().map_err(|_| {
                StoreError::Encoding(format!("ledger entry {seq} has a malformed hash"))
            })?;
            (seq as u64, hash)
        }
        None => (0, GENESIS_HASH),
    };
    let entry = LedgerEntry {
        global_sequence: prev_seq + 1,
        event_id: event.id,
        aggregate_type: aggregate_type.to_string(),
        aggregate_id: event.aggregate_id,
        aggregate_sequence: event.sequence_number as u64,
        occurred_on: format_micros(&event.occurred_on),
        store_version: event.version,
        payload,
    };
    let canonical = entry.canonical_bytes()?;
    let hash = LedgerEntry::chain_hash(&prev_hash, &canonical);
    Ok(NextEntry {
        entry,
        canonical,
        prev_hash,
        hash,
    })
}

/// `INSERT INTO ledger (columns)`, shared by the one-row insert and the multi-row one.
macro_rules! ledger_columns {
    () => {
        "INSERT INTO ledger (global_sequence, event_id, aggregate_type, aggregate_id, \
         aggregate_sequence, command_id, command_index, canonical, prev_hash, entry_hash)"
    };
}

/// The head of a ledger insert, for multi-row statements (ten values a row).
pub(crate) const COLUMNS: &str = ledger_columns!();

pub(crate) const INSERT: &str = concat!(
    ledger_columns!(),
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);
pub(crate) const LAST: &str =
    "SELECT global_sequence, entry_hash FROM ledger ORDER BY global_sequence DESC LIMIT 1";

/// The last entry (global sequence, entry hash) on SQLite.
pub(crate) async fn last_sqlite(
    conn: &mut SqliteConnection,
) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    Ok(sqlx::query(LAST)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| (r.get::<i64, _>(0), r.get::<Vec<u8>, _>(1))))
}

/// The last entry (global sequence, entry hash) on PostgreSQL.
pub(crate) async fn last_pg(conn: &mut PgConnection) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    Ok(sqlx::query(LAST)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| (r.get::<i64, _>(0), r.get::<Vec<u8>, _>(1))))
}

/// Take the PostgreSQL ledger lock for the rest of the transaction.
pub(crate) async fn lock_pg(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(PG_LEDGER_LOCK.0)
        .bind(PG_LEDGER_LOCK.1)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Insert the entry of `event` after `prev` on SQLite; returns the new head.
pub(crate) async fn insert_sqlite<E: Envelope>(
    conn: &mut SqliteConnection,
    aggregate_type: &str,
    event: &StoreEvent<E>,
    prev: Option<(i64, Vec<u8>)>,
) -> Result<(i64, Vec<u8>), StoreError> {
    let NextEntry {
        entry,
        canonical,
        prev_hash,
        hash,
    } = next_entry(prev, aggregate_type, event)?;
    let (command_id, command_index) = event.payload.command();
    sqlx::query(INSERT)
        .bind(entry.global_sequence as i64)
        .bind(entry.event_id.to_string())
        .bind(aggregate_type)
        .bind(entry.aggregate_id.to_string())
        .bind(entry.aggregate_sequence as i64)
        .bind(command_id.to_string())
        .bind(command_index as i64)
        .bind(canonical)
        .bind(prev_hash.to_vec())
        .bind(hash.to_vec())
        .execute(&mut *conn)
        .await?;
    Ok((entry.global_sequence as i64, hash.to_vec()))
}

/// Insert the entry of `event` after `prev` on PostgreSQL (the caller holds the ledger
/// lock); returns the new head.
pub(crate) async fn insert_pg<E: Envelope>(
    conn: &mut PgConnection,
    aggregate_type: &str,
    event: &StoreEvent<E>,
    prev: Option<(i64, Vec<u8>)>,
) -> Result<(i64, Vec<u8>), StoreError> {
    let NextEntry {
        entry,
        canonical,
        prev_hash,
        hash,
    } = next_entry(prev, aggregate_type, event)?;
    let (command_id, command_index) = event.payload.command();
    sqlx::query(INSERT)
        .bind(entry.global_sequence as i64)
        .bind(entry.event_id)
        .bind(aggregate_type)
        .bind(entry.aggregate_id)
        .bind(entry.aggregate_sequence as i64)
        .bind(command_id)
        .bind(command_index as i32)
        .bind(canonical)
        .bind(prev_hash.to_vec())
        .bind(hash.to_vec())
        .execute(&mut *conn)
        .await?;
    Ok((entry.global_sequence as i64, hash.to_vec()))
}

/// Append the entry of `event` on SQLite; the caller holds `BEGIN IMMEDIATE`.
pub(crate) async fn append_sqlite<E: Envelope>(
    conn: &mut SqliteConnection,
    aggregate_type: &str,
    event: &StoreEvent<E>,
) -> Result<u64, StoreError> {
    let prev = last_sqlite(conn).await?;
    Ok(insert_sqlite(conn, aggregate_type, event, prev).await?.0 as u64)
}

/// Append the entry of `event` on PostgreSQL, inside the event-writing transaction.
pub(crate) async fn append_pg<E: Envelope>(
    conn: &mut PgConnection,
    aggregate_type: &str,
    event: &StoreEvent<E>,
) -> Result<u64, StoreError> {
    lock_pg(conn).await?;
    let prev = last_pg(conn).await?;
    Ok(insert_pg(conn, aggregate_type, event, prev).await?.0 as u64)
}
