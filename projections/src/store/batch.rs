//! Many commands, one transaction: the path of bulk imports, where a file is applied all
//! or nothing. Same semantics as a store's `persist` — events, ledger entries and read
//! models together — but across many aggregates, with the ledger head kept in memory and
//! (on PostgreSQL) the ledger lock held for the whole batch so the global order stays
//! gap-free. Dropping the writer without [`BatchWriter::commit`] rolls everything back;
//! so does a killed process.
//!
//! The batch keeps the state of the aggregates it wrote last: since it holds the write
//! lock from its first statement to its commit, nobody else can append to them, and the
//! next command of the same aggregate starts from that state instead of re-reading and
//! re-folding its whole history (which made a long aggregate quadratic to write).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use esrs::store::StoreEvent;
use esrs::Aggregate;
use jianxin_domain::event_log::format_micros;
use serde_json::Value;
use sqlx::{Postgres, Sqlite, Transaction};
use uuid::Uuid;

use super::read_model::{ReadModels, Tx};
use super::Envelope;
use crate::ledger::append::{insert_pg, insert_sqlite, last_pg, last_sqlite, lock_pg};
use crate::StoreError;

enum BackendTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// What one command of a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The aggregate had events before this command.
    pub existed: bool,
    /// Events the command appended.
    pub events: usize,
}

/// An open all-or-nothing batch of commands of aggregate `A`.
pub struct BatchWriter<A: Aggregate> {
    tx: BackendTx,
    read_models: ReadModels<A>,
    insert: String,
    head: Option<(i64, Vec<u8>)>,
    appended: u64,
    /// The state and last sequence of aggregates written in this batch (at most
    /// [`KEPT`]), exact because the batch holds the write lock throughout.
    states: HashMap<Uuid, (i32, A::State)>,
}

/// Kept states beyond this many are dropped all at once (imports touch each aggregate
/// once: keeping them all would only cost memory).
const KEPT: usize = 1024;

impl<A> BatchWriter<A>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope,
    A::State: Default + Send,
{
    pub(crate) async fn begin(
        db: &crate::Database,
        read_models: ReadModels<A>,
    ) -> Result<Self, StoreError> {
        let table = format!("{}_events", A::NAME);
        // sql-safe: `table` is the aggregate's `NAME` constant + `_events`; values are bound
        let insert = format!(
            "INSERT INTO {table} (id, aggregate_id, payload, occurred_on, sequence_number, version) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        );
        let (tx, head) = match db {
            crate::Database::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let head = last_sqlite(&mut tx).await?;
                (BackendTx::Sqlite(tx), head)
            }
            crate::Database::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                lock_pg(&mut tx).await?;
                let head = last_pg(&mut tx).await?;
                (BackendTx::Postgres(tx), head)
            }
        };
        Ok(BatchWriter {
            tx,
            read_models,
            insert,
            head,
            appended: 0,
            states: HashMap::new(),
        })
    }

    /// Run one command against aggregate `aggregate_id` inside the batch. Outer error:
    /// storage; inner: the domain refused (the batch stays usable: the caller decides
    /// whether to go on collecting errors or to roll back).
    pub async fn apply(
        &mut self,
        aggregate_id: Uuid,
        command: A::Command,
    ) -> Result<Result<Applied, A::Error>, StoreError> {
        self.apply_loading(aggregate_id, command, true).await
    }

    /// [`BatchWriter::apply`] to an aggregate the caller has just created the id of (a
    /// fresh random UUID, such as a credit query's): its history is not read, since it
    /// has none. Should the id exist after all, the events table's unique
    /// (aggregate_id, sequence_number) refuses the insert and the batch fails whole —
    /// never a silent second history.
    pub async fn apply_fresh(
        &mut self,
        aggregate_id: Uuid,
        command: A::Command,
    ) -> Result<Result<Applied, A::Error>, StoreError> {
        self.apply_loading(aggregate_id, command, false).await
    }

    async fn apply_loading(
        &mut self,
        aggregate_id: Uuid,
        command: A::Command,
        load: bool,
    ) -> Result<Result<Applied, A::Error>, StoreError> {
        let (mut sequence, mut state) = match self.states.remove(&aggregate_id) {
            Some(kept) => kept,
            None if !load => (0, A::State::default()),
            None => {
                let history = self.load(aggregate_id).await?;
                let sequence = history.last().map(|e| e.sequence_number).unwrap_or(0);
                let state = history
                    .into_iter()
                    .fold(A::State::default(), |s, e| A::apply_event(s, e.payload));
                (sequence, state)
            }
        };
        let existed = sequence > 0;
        let events = match A::handle_command(&state, command) {
            Ok(events) => events,
            Err(refused) => {
                self.keep(aggregate_id, sequence, state);
                return Ok(Err(refused));
            }
        };
        let n = events.len();
        for event in events {
            sequence += 1;
            let payload = event.to_payload()?;
            let occurred_on = recorded_at(&payload)?;
            let store_event = StoreEvent {
                id: Uuid::now_v7(),
                aggregate_id,
                payload: event,
                occurred_on,
                sequence_number: sequence,
                version: None,
            };
            let prev = self.head.take();
            match &mut self.tx {
                BackendTx::Sqlite(tx) => {
                    sqlx::query(&self.insert)
                        .bind(store_event.id.to_string())
                        .bind(aggregate_id.to_string())
                        .bind(payload.to_string())
                        .bind(format_micros(&occurred_on))
                        .bind(sequence)
                        .bind(None::<i32>)
                        .execute(&mut **tx)
                        .await?;
                    let head = insert_sqlite(tx, A::NAME, &store_event, prev).await?;
                    for rm in self.read_models.iter() {
                        rm.apply(&store_event, head.0 as u64, Tx::Sqlite(tx))
                            .await?;
                    }
                    self.head = Some(head);
                }
                BackendTx::Postgres(tx) => {
                    sqlx::query(&self.insert)
                        .bind(store_event.id)
                        .bind(aggregate_id)
                        .bind(sqlx::types::Json(&payload))
                        .bind(occurred_on)
                        .bind(sequence)
                        .bind(None::<i32>)
                        .execute(&mut **tx)
                        .await?;
                    let head = insert_pg(tx, A::NAME, &store_event, prev).await?;
                    for rm in self.read_models.iter() {
                        rm.apply(&store_event, head.0 as u64, Tx::Postgres(tx))
                            .await?;
                    }
                    self.head = Some(head);
                }
            }
            self.appended += 1;
            state = A::apply_event(state, store_event.payload);
        }
        self.keep(aggregate_id, sequence, state);
        Ok(Ok(Applied { existed, events: n }))
    }

    fn keep(&mut self, aggregate_id: Uuid, sequence: i32, state: A::State) {
        if self.states.len() >= KEPT {
            self.states.clear();
        }
        self.states.insert(aggregate_id, (sequence, state));
    }

    /// Events appended so far in this batch.
    pub fn appended(&self) -> u64 {
        self.appended
    }

    /// Commit the whole batch.
    pub async fn commit(self) -> Result<u64, StoreError> {
        match self.tx {
            BackendTx::Sqlite(tx) => tx.commit().await?,
            BackendTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(self.appended)
    }

    /// Discard the whole batch (also what dropping the writer does).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            BackendTx::Sqlite(tx) => tx.rollback().await?,
            BackendTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    async fn load(&mut self, aggregate_id: Uuid) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        let mut tx = match &mut self.tx {
            BackendTx::Sqlite(tx) => Tx::Sqlite(tx),
            BackendTx::Postgres(tx) => Tx::Postgres(tx),
        };
        tx.events::<A::Event>(A::NAME, aggregate_id).await
    }
}

fn recorded_at(payload: &Value) -> Result<DateTime<Utc>, StoreError> {
    payload
        .get("recorded_at")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| StoreError::Encoding("payload has no recorded_at".into()))
}
