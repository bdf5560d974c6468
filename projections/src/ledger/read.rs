//! Reading the ledger and the event tables as stored, on either backend, with every
//! column as text or bytes so that verification compares exactly what is there.

use sqlx::Row;

use crate::db::Database;
use crate::StoreError;

/// One ledger row, as stored.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    /// Position in the global order.
    pub global_sequence: i64,
    /// The event's id (text).
    pub event_id: String,
    /// The aggregate type (its table is `<type>_events`).
    pub aggregate_type: String,
    /// The aggregate id (text).
    pub aggregate_id: String,
    /// The event's position within its aggregate.
    pub aggregate_sequence: i64,
    /// The causing command (text).
    pub command_id: String,
    /// Index within the command.
    pub command_index: i64,
    /// The canonical bytes that were hashed.
    pub canonical: Vec<u8>,
    /// The previous entry's hash.
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    pub entry_hash: Vec<u8>,
}

/// One event-table row, as stored.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Event id (text).
    pub id: String,
    /// Aggregate id (text).
    pub aggregate_id: String,
    /// The payload as text.
    pub payload: String,
    /// `occurred_on`, RFC 3339 with six fractional digits and `Z`.
    pub occurred_on: String,
    /// Position within the aggregate.
    pub sequence_number: i64,
    /// esrs's version column.
    pub version: Option<i64>,
}

const LEDGER_COLUMNS: &str =
    "global_sequence, CAST(event_id AS TEXT) AS event_id, aggregate_type, \
    CAST(aggregate_id AS TEXT) AS aggregate_id, aggregate_sequence, \
    CAST(command_id AS TEXT) AS command_id, CAST(command_index AS BIGINT) AS command_index, \
    canonical, prev_hash, entry_hash";

macro_rules! ledger_row {
    ($r:expr) => {
        LedgerRow {
            global_sequence: $r.try_get("global_sequence")?,
            event_id: $r.try_get("event_id")?,
            aggregate_type: $r.try_get("aggregate_type")?,
            aggregate_id: $r.try_get("aggregate_id")?,
            aggregate_sequence: $r.try_get("aggregate_sequence")?,
            command_id: $r.try_get("command_id")?,
            command_index: $r.try_get("command_index")?,
            canonical: $r.try_get("canonical")?,
            prev_hash: $r.try_get("prev_hash")?,
            entry_hash: $r.try_get("entry_hash")?,
        }
    };
}

macro_rules! event_row {
    ($r:expr) => {
        EventRow {
            id: $r.try_get("id")?,
            aggregate_id: $r.try_get("aggregate_id")?,
            payload: $r.try_get("payload")?,
            occurred_on: $r.try_get("occurred_on")?,
            sequence_number: $r.try_get("sequence_number")?,
            version: $r.try_get("version")?,
        }
    };
}

/// Up to `limit` ledger rows after position `after`, in order.
pub async fn ledger_rows(
    db: &Database,
    after: i64,
    limit: i64,
) -> Result<Vec<LedgerRow>, StoreError> {
    let sql = format!(
        "SELECT {LEDGER_COLUMNS} FROM ledger WHERE global_sequence > $1 \
         ORDER BY global_sequence LIMIT $2"
    );
    let mut out = Vec::new();
    match db {
        Database::Sqlite(p) => {
            for r in sqlx::query(&sql)
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
            {
                out.push(ledger_row!(r));
            }
        }
        Database::Postgres(p) => {
            for r in sqlx::query(&sql)
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
            {
                out.push(ledger_row!(r));
            }
        }
    }
    Ok(out)
}

/// The number of ledger rows and the highest position (they differ only if rows were
/// removed).
pub async fn ledger_extent(db: &Database) -> Result<(i64, i64), StoreError> {
    const SQL: &str = "SELECT COUNT(*), COALESCE(MAX(global_sequence), 0) FROM ledger";
    let r = match db {
        Database::Sqlite(p) => {
            let r = sqlx::query(SQL).fetch_one(p).await?;
            (r.try_get(0)?, r.try_get(1)?)
        }
        Database::Postgres(p) => {
            let r = sqlx::query(SQL).fetch_one(p).await?;
            (r.try_get(0)?, r.try_get(1)?)
        }
    };
    Ok(r)
}

/// The event rows of `aggregate_type` referenced by ledger positions `(after, upto]`.
/// `aggregate_type` must be a registered name (it becomes a table name).
pub async fn event_rows_for_range(
    db: &Database,
    aggregate_type: &str,
    after: i64,
    upto: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let where_ = "WHERE id IN (SELECT event_id FROM ledger WHERE global_sequence > $1 \
                  AND global_sequence <= $2 AND aggregate_type = $3)";
    let mut out = Vec::new();
    match db {
        Database::Sqlite(p) => {
            let sql = format!(
                "SELECT id, aggregate_id, payload, occurred_on, sequence_number, version \
                 FROM {aggregate_type}_events {where_}"
            );
            let rows = sqlx::query(&sql)
                .bind(after)
                .bind(upto)
                .bind(aggregate_type)
                .fetch_all(p);
            for r in rows.await? {
                out.push(event_row!(r));
            }
        }
        Database::Postgres(p) => {
            let sql = format!(
                "SELECT CAST(id AS TEXT) AS id, CAST(aggregate_id AS TEXT) AS aggregate_id, \
                 CAST(payload AS TEXT) AS payload, \
                 to_char(occurred_on AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS occurred_on, \
                 CAST(sequence_number AS BIGINT) AS sequence_number, CAST(version AS BIGINT) AS version \
                 FROM {aggregate_type}_events {where_}"
            );
            let rows = sqlx::query(&sql)
                .bind(after)
                .bind(upto)
                .bind(aggregate_type)
                .fetch_all(p);
            for r in rows.await? {
                out.push(event_row!(r));
            }
        }
    }
    Ok(out)
}

/// Rows of an events table and one of them (if any) that no ledger entry references.
pub async fn unledgered_event(
    db: &Database,
    aggregate_type: &str,
) -> Result<(i64, Option<EventRow>), StoreError> {
    let count_sql = format!("SELECT COUNT(*) FROM {aggregate_type}_events");
    let orphan_sql = |cols: &str| {
        format!(
            "SELECT {cols} FROM {aggregate_type}_events \
             WHERE id NOT IN (SELECT event_id FROM ledger) ORDER BY sequence_number LIMIT 1"
        )
    };
    match db {
        Database::Sqlite(p) => {
            let count: i64 = sqlx::query(&count_sql).fetch_one(p).await?.try_get(0)?;
            let sql =
                orphan_sql("id, aggregate_id, payload, occurred_on, sequence_number, version");
            let row = match sqlx::query(&sql).fetch_optional(p).await? {
                Some(r) => Some(event_row!(r)),
                None => None,
            };
            Ok((count, row))
        }
        Database::Postgres(p) => {
            let count: i64 = sqlx::query(&count_sql).fetch_one(p).await?.try_get(0)?;
            let sql = orphan_sql(
                "CAST(id AS TEXT) AS id, CAST(aggregate_id AS TEXT) AS aggregate_id, \
                 CAST(payload AS TEXT) AS payload, CAST(occurred_on AS TEXT) AS occurred_on, \
                 CAST(sequence_number AS BIGINT) AS sequence_number, CAST(version AS BIGINT) AS version",
            );
            let row = match sqlx::query(&sql).fetch_optional(p).await? {
                Some(r) => Some(event_row!(r)),
                None => None,
            };
            Ok((count, row))
        }
    }
}
