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
    // sql-safe: only the constant `LEDGER_COLUMNS` is interpolated; values are bound
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

/// `(COUNT(*), MAX(global_sequence))` of the ledger rows up to `upto`: the extent of the
/// prefix a verification started from, whatever was appended since.
pub async fn ledger_extent_upto(db: &Database, upto: i64) -> Result<(i64, i64), StoreError> {
    const SQL: &str = "SELECT COUNT(*), COALESCE(MAX(global_sequence), 0) FROM ledger \
                       WHERE global_sequence <= $1";
    let r = match db {
        Database::Sqlite(p) => {
            let r = sqlx::query(SQL).bind(upto).fetch_one(p).await?;
            (r.try_get(0)?, r.try_get(1)?)
        }
        Database::Postgres(p) => {
            let r = sqlx::query(SQL).bind(upto).fetch_one(p).await?;
            (r.try_get(0)?, r.try_get(1)?)
        }
    };
    Ok(r)
}

/// Rows of an events table, not counting those whose ledger entry lies after `upto`
/// (appended since a verification started), and one row (if any) that no ledger entry
/// references. Each is one statement, so an append (event and ledger rows in one
/// transaction) is seen whole or not at all.
pub async fn unledgered_event(
    db: &Database,
    aggregate_type: &str,
    upto: i64,
) -> Result<(i64, Option<EventRow>), StoreError> {
    // `NOT EXISTS`, not `NOT IN (SELECT event_id FROM ledger)`: PostgreSQL hashes a
    // `NOT IN` subquery only while it fits in `work_mem` and otherwise rescans the whole
    // ledger for every event row. At 477,634 entries that left `log verify` without an
    // answer after 32 minutes; as an anti-join on the ledger's unique index on
    // `event_id` the query takes under a second (docs/RELIABILITY.md).
    // sql-safe: `aggregate_type` is one of `registry::AGGREGATE_NAMES` (the only caller loops over them)
    let count_sql = format!(
        "SELECT COUNT(*) FROM {aggregate_type}_events e WHERE NOT EXISTS \
         (SELECT 1 FROM ledger l WHERE l.event_id = e.id AND l.global_sequence > $1)"
    );
    let orphan_sql = |cols: &str| {
        // sql-safe: as above; `cols` is one of two literal column lists
        format!(
            "SELECT {cols} FROM {aggregate_type}_events e WHERE NOT EXISTS \
             (SELECT 1 FROM ledger l WHERE l.event_id = e.id) ORDER BY sequence_number LIMIT 1"
        )
    };
    match db {
        Database::Sqlite(p) => {
            let count: i64 = sqlx::query(&count_sql)
                .bind(upto)
                .fetch_one(p)
                .await?
                .try_get(0)?;
            let sql =
                orphan_sql("id, aggregate_id, payload, occurred_on, sequence_number, version");
            let row = match sqlx::query(&sql).fetch_optional(p).await? {
                Some(r) => Some(event_row!(r)),
                None => None,
            };
            Ok((count, row))
        }
        Database::Postgres(p) => {
            let count: i64 = sqlx::query(&count_sql)
                .bind(upto)
                .fetch_one(p)
                .await?
                .try_get(0)?;
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

/// A ledger row and the event row it commits to (if that row exists).
#[derive(Debug, Clone)]
pub struct JoinedRow {
    /// The ledger row.
    pub ledger: LedgerRow,
    /// The event row with that id in the aggregate type's table, if any.
    pub event: Option<EventRow>,
}

/// Up to `limit` ledger rows after `after`, each joined to its event row in one query
/// (one LEFT JOIN per registered aggregate table, all by primary key).
pub async fn ledger_chunk(
    db: &Database,
    after: i64,
    limit: i64,
) -> Result<Vec<JoinedRow>, StoreError> {
    let names = crate::registry::AGGREGATE_NAMES;
    let pg = matches!(db, Database::Postgres(_));
    let coalesce = |col: &str| {
        let parts: Vec<String> = (0..names.len()).map(|i| format!("e{i}.{col}")).collect();
        format!("COALESCE({})", parts.join(", "))
    };
    let text = |expr: String| format!("CAST({expr} AS TEXT)");
    let occurred = if pg {
        format!(
            "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            coalesce("occurred_on")
        )
    } else {
        coalesce("occurred_on")
    };
    let joins: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                " LEFT JOIN {n}_events e{i} ON l.aggregate_type = '{n}' AND e{i}.id = l.event_id"
            )
        })
        .collect();
    // sql-safe: `joins` and the column lists are built from `registry::AGGREGATE_NAMES` only
    let sql = format!(
        "SELECT l.global_sequence, CAST(l.event_id AS TEXT) AS event_id, l.aggregate_type, \
         CAST(l.aggregate_id AS TEXT) AS aggregate_id, l.aggregate_sequence, \
         CAST(l.command_id AS TEXT) AS command_id, CAST(l.command_index AS BIGINT) AS command_index, \
         l.canonical, l.prev_hash, l.entry_hash, \
         {} AS e_id, {} AS e_aggregate_id, {} AS e_payload, {occurred} AS e_occurred_on, \
         CAST({} AS BIGINT) AS e_sequence_number, CAST({} AS BIGINT) AS e_version \
         FROM ledger l{joins} WHERE l.global_sequence > $1 ORDER BY l.global_sequence LIMIT $2",
        text(coalesce("id")),
        text(coalesce("aggregate_id")),
        text(coalesce("payload")),
        coalesce("sequence_number"),
        coalesce("version"),
    );
    macro_rules! joined {
        ($r:expr) => {{
            let ledger = ledger_row!($r);
            let id: Option<String> = $r.try_get("e_id")?;
            let event = match id {
                None => None,
                Some(id) => Some(EventRow {
                    id,
                    aggregate_id: $r.try_get("e_aggregate_id")?,
                    payload: $r.try_get("e_payload")?,
                    occurred_on: $r.try_get("e_occurred_on")?,
                    sequence_number: $r.try_get("e_sequence_number")?,
                    version: $r.try_get("e_version")?,
                }),
            };
            JoinedRow { ledger, event }
        }};
    }
    let mut out = Vec::with_capacity(limit.max(0) as usize);
    match db {
        Database::Sqlite(p) => {
            for r in sqlx::query(&sql)
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
            {
                out.push(joined!(r));
            }
        }
        Database::Postgres(p) => {
            for r in sqlx::query(&sql)
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
            {
                out.push(joined!(r));
            }
        }
    }
    Ok(out)
}
