//! Rebuilding read models (`jianxin projections rebuild [NAME]`): empty the read model's
//! tables and replay its aggregate's events in global order, in one transaction. The
//! events tables and the ledger are only read.

use chrono::{DateTime, Utc};
use esrs::store::StoreEvent;
use esrs::Aggregate;
use serde_json::Value;
use sqlx::{Executor, Row};
use uuid::Uuid;

use crate::store::{Envelope, ReadModels, Tx};
use crate::{Database, StoreError};

const CHUNK: i64 = 10_000;

/// Rebuild the read models of `A` (only the one named `only`, when given). Returns the
/// names rebuilt and the number of events replayed.
pub(crate) async fn rebuild<A>(
    db: &Database,
    read_models: &ReadModels<A>,
    only: Option<&str>,
) -> Result<Vec<(&'static str, u64)>, StoreError>
where
    A: Aggregate,
    A::Event: Envelope,
{
    let selected: Vec<_> = read_models
        .iter()
        .filter(|rm| only.is_none_or(|n| n == rm.name()))
        .collect();
    if selected.is_empty() {
        return Ok(vec![]);
    }
    let table = format!("{}_events", A::NAME);
    let mut replayed = 0u64;
    macro_rules! run {
        ($tx:expr, $tx_variant:ident, $select:expr, $decode:expr) => {{
            for rm in &selected {
                for t in rm.tables() {
                    // sql-safe: `t` is one of a registered read model's own `tables()`, fixed in code
                    $tx.execute(format!("DELETE FROM {t}").as_str()).await?;
                }
            }
            let mut after = 0i64;
            loop {
                let rows = sqlx::query($select)
                    .bind(A::NAME)
                    .bind(after)
                    .bind(CHUNK)
                    .fetch_all(&mut *$tx)
                    .await?;
                let Some(last) = rows.last() else { break };
                after = last.try_get("global_sequence")?;
                for row in &rows {
                    let seq: i64 = row.try_get("global_sequence")?;
                    let event: StoreEvent<A::Event> = $decode(row)?;
                    for rm in &selected {
                        rm.apply(&event, seq as u64, Tx::$tx_variant(&mut *$tx))
                            .await?;
                    }
                    replayed += 1;
                }
            }
        }};
    }
    match db {
        Database::Sqlite(pool) => {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            // sql-safe: only the aggregate's `NAME` constant is interpolated; values are bound
            let select = format!(
                "SELECT l.global_sequence, e.id, e.aggregate_id, e.payload, e.occurred_on, \
                 e.sequence_number, e.version FROM ledger l JOIN {table} e ON e.id = l.event_id \
                 WHERE l.aggregate_type = $1 AND l.global_sequence > $2 \
                 ORDER BY l.global_sequence LIMIT $3"
            );
            run!(tx, Sqlite, &select, |row: &sqlx::sqlite::SqliteRow| {
                crate::store::decode_sqlite_row::<A::Event>(row)
            });
            tx.commit().await?;
        }
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            // sql-safe: only the aggregate's `NAME` constant is interpolated; values are bound
            let select = format!(
                "SELECT l.global_sequence, e.id, e.aggregate_id, e.payload, e.occurred_on, \
                 e.sequence_number, e.version FROM ledger l JOIN {table} e ON e.id = l.event_id \
                 WHERE l.aggregate_type = $1 AND l.global_sequence > $2 \
                 ORDER BY l.global_sequence LIMIT $3"
            );
            run!(tx, Postgres, &select, |row: &sqlx::postgres::PgRow| {
                let payload: Value = row.try_get("payload")?;
                Ok::<_, StoreError>(StoreEvent {
                    id: row.try_get::<Uuid, _>("id")?,
                    aggregate_id: row.try_get::<Uuid, _>("aggregate_id")?,
                    payload: A::Event::from_payload(payload)?,
                    occurred_on: row.try_get::<DateTime<Utc>, _>("occurred_on")?,
                    sequence_number: row.try_get("sequence_number")?,
                    version: row.try_get("version")?,
                })
            });
            tx.commit().await?;
        }
    }
    Ok(selected.iter().map(|rm| (rm.name(), replayed)).collect())
}
