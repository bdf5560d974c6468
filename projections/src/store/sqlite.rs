//! The SQLite event store (the embedded default), implementing esrs's `EventStore`.
//!
//! Same semantics as esrs's `PgStore`: one `<name>_events` table per aggregate, a unique
//! `(aggregate_id, sequence_number)` for optimistic concurrency, and all of a command's
//! events, their ledger entries and the read models written in one `BEGIN IMMEDIATE`
//! transaction. Deleting is refused.

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use esrs::store::{EventStore, EventStoreLockGuard, StoreEvent, UnlockOnDrop};
use esrs::{Aggregate, AggregateState};
use jianxin_domain::event_log::format_micros;
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

use super::read_model::{ReadModels, Tx};
use super::Envelope;
use crate::ledger::append::append_sqlite;
use crate::StoreError;

/// In-process per-aggregate locks, striped so memory stays bounded however many
/// aggregates exist. Across processes, `BEGIN IMMEDIATE` and the unique sequence
/// constraint keep writers apart.
#[derive(Debug)]
pub struct StripedLocks(Vec<Arc<tokio::sync::Mutex<()>>>);

impl StripedLocks {
    /// 256 stripes.
    pub fn new() -> Self {
        StripedLocks(
            (0..256)
                .map(|_| Arc::new(tokio::sync::Mutex::new(())))
                .collect(),
        )
    }

    fn stripe(&self, id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        let idx = (id.as_u128() % self.0.len() as u128) as usize;
        Arc::clone(&self.0[idx])
    }
}

impl Default for StripedLocks {
    fn default() -> Self {
        Self::new()
    }
}

struct StripeGuard(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>);
impl UnlockOnDrop for StripeGuard {}

/// The SQLite event store of aggregate `A`.
pub struct SqliteStore<A: Aggregate> {
    pool: SqlitePool,
    locks: Arc<StripedLocks>,
    read_models: ReadModels<A>,
    select: String,
    insert: String,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A: Aggregate> Clone for SqliteStore<A> {
    fn clone(&self) -> Self {
        SqliteStore {
            pool: self.pool.clone(),
            locks: Arc::clone(&self.locks),
            read_models: Arc::clone(&self.read_models),
            select: self.select.clone(),
            insert: self.insert.clone(),
            _aggregate: PhantomData,
        }
    }
}

impl<A: Aggregate> SqliteStore<A> {
    /// A store over `pool` (already migrated) feeding `read_models`.
    pub fn new(pool: SqlitePool, locks: Arc<StripedLocks>, read_models: ReadModels<A>) -> Self {
        let table = format!("{}_events", A::NAME);
        SqliteStore {
            pool,
            locks,
            read_models,
            // sql-safe: `table` is the aggregate's `NAME` constant + `_events`; values are bound
            select: format!(
                "SELECT id, aggregate_id, payload, occurred_on, sequence_number, version \
                 FROM {table} WHERE aggregate_id = $1 ORDER BY sequence_number"
            ),
            insert: format!(
                "{} VALUES ($1, $2, $3, $4, $5, $6)",
                super::events_insert_head(A::NAME)
            ),
            _aggregate: PhantomData,
        }
    }
}

impl<A> SqliteStore<A>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope,
    A::State: Send,
{
    /// Events, ledger entries and read models in one `BEGIN IMMEDIATE` transaction; on
    /// any error the transaction is dropped, which rolls it back.
    async fn write(
        &self,
        aggregate_state: &mut AggregateState<A::State>,
        events: Vec<A::Event>,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        let aggregate_id = *aggregate_state.id();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut store_events = Vec::with_capacity(events.len());
        for event in events {
            let payload = event.to_payload()?;
            // The store's own time column: the command's clock reading (recorded_at),
            // so a set clock governs every timestamp.
            let occurred_on = payload
                .get("recorded_at")
                .and_then(|v| v.as_str())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| StoreError::Encoding("payload has no recorded_at".into()))?;
            let store_event = StoreEvent {
                id: Uuid::now_v7(),
                aggregate_id,
                payload: event,
                occurred_on,
                sequence_number: aggregate_state.next_sequence_number(),
                version: None,
            };
            sqlx::query(&self.insert)
                .bind(store_event.id.to_string())
                .bind(aggregate_id.to_string())
                .bind(payload.to_string())
                .bind(format_micros(&store_event.occurred_on))
                .bind(store_event.sequence_number)
                .bind(store_event.version)
                .execute(&mut *tx)
                .await?;
            store_events.push(store_event);
        }
        for store_event in &store_events {
            let seq = append_sqlite(&mut tx, A::NAME, store_event).await?;
            for rm in self.read_models.iter() {
                rm.apply(store_event, seq, Tx::Sqlite(&mut tx)).await?;
            }
        }
        tx.commit().await?;
        Ok(store_events)
    }
}

#[async_trait]
impl<A> EventStore for SqliteStore<A>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope,
    A::State: Send,
{
    type Aggregate = A;
    type Error = StoreError;

    async fn lock(&self, aggregate_id: Uuid) -> Result<EventStoreLockGuard, StoreError> {
        let guard = self.locks.stripe(aggregate_id).lock_owned().await;
        Ok(EventStoreLockGuard::new(StripeGuard(guard)))
    }

    async fn by_aggregate_id(
        &self,
        aggregate_id: Uuid,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        let rows = sqlx::query(&self.select)
            .bind(aggregate_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|row| decode_row::<A::Event>(&row))
            .collect()
    }

    async fn persist(
        &self,
        aggregate_state: &mut AggregateState<A::State>,
        events: Vec<A::Event>,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        let aggregate_id = *aggregate_state.id();
        match self.write(aggregate_state, events).await {
            Ok(store_events) => {
                drop(aggregate_state.take_lock());
                Ok(store_events)
            }
            // Same mapping as the PostgreSQL store: any unique violation inside the
            // transaction means another writer got there first.
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict { aggregate_id }),
            Err(e) => Err(e),
        }
    }

    async fn publish(&self, _store_events: &[StoreEvent<A::Event>]) {}

    async fn delete(&self, aggregate_id: Uuid) -> Result<(), StoreError> {
        Err(super::refuse_delete(aggregate_id))
    }
}

/// Decode one row of an events table (SQLite text columns).
pub(crate) fn decode_row<E: Envelope>(
    row: &sqlx::sqlite::SqliteRow,
) -> Result<StoreEvent<E>, StoreError> {
    let parse_uuid = |s: String| {
        Uuid::parse_str(&s).map_err(|e| StoreError::Encoding(format!("uuid {s:?}: {e}")))
    };
    let payload: String = row.try_get("payload")?;
    let occurred_on: String = row.try_get("occurred_on")?;
    Ok(StoreEvent {
        id: parse_uuid(row.try_get("id")?)?,
        aggregate_id: parse_uuid(row.try_get("aggregate_id")?)?,
        payload: E::from_payload(serde_json::from_str(&payload)?)?,
        occurred_on: DateTime::parse_from_rfc3339(&occurred_on)
            .map_err(|e| StoreError::Encoding(format!("occurred_on {occurred_on:?}: {e}")))?
            .with_timezone(&Utc),
        sequence_number: row.try_get("sequence_number")?,
        version: row.try_get("version")?,
    })
}
