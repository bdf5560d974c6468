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
use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};
use uuid::Uuid;

use super::read_model::{ReadModels, Tx, MAX_BINDS};
use super::Envelope;
use crate::ledger::append::{
    insert_pg, insert_sqlite, last_pg, last_sqlite, lock_pg, next_entry_with, NextEntry,
    COLUMNS as LEDGER_COLUMNS,
};
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
    /// `insert` without its values, for multi-row statements.
    columns: String,
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
        let columns = super::events_insert_head(A::NAME);
        let insert = format!("{columns} VALUES ($1, $2, $3, $4, $5, $6)");
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
            columns,
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

    /// [`BatchWriter::apply_fresh`] for many commands, each to its own fresh aggregate:
    /// every command is decided first, then their events, ledger entries and read-model
    /// rows go in as a few multi-row statements — not several statements per command,
    /// each a round trip to the database. This is the query log's group commit. If the
    /// domain refuses a command, nothing of the group is written and the index of that
    /// command comes back with the refusal.
    pub async fn apply_fresh_all(
        &mut self,
        commands: Vec<(Uuid, A::Command)>,
    ) -> Result<Result<usize, (usize, A::Error)>, StoreError>
    where
        A::Event: Sync,
    {
        let (rows, head) = match fresh_rows::<A>(commands, self.head.clone())? {
            Ok(decided) => decided,
            Err(refused) => return Ok(Err(refused)),
        };
        // 10 values a ledger row, the widest of the two
        for chunk in rows.chunks(MAX_BINDS / 10) {
            match &mut self.tx {
                BackendTx::Sqlite(tx) => {
                    let mut q = QueryBuilder::<Sqlite>::new(&self.columns);
                    q.push(" ");
                    q.push_values(chunk, |mut b, (e, next)| {
                        b.push_bind(e.id.to_string())
                            .push_bind(e.aggregate_id.to_string())
                            .push_bind(next.entry.payload.to_string())
                            .push_bind(format_micros(&e.occurred_on))
                            .push_bind(e.sequence_number)
                            .push_bind(None::<i32>);
                    });
                    q.build().execute(&mut **tx).await?;
                    let mut q = QueryBuilder::<Sqlite>::new(LEDGER_COLUMNS);
                    q.push(" ");
                    q.push_values(chunk, |mut b, (e, next)| {
                        let (command_id, command_index) = e.payload.command();
                        b.push_bind(next.entry.global_sequence as i64)
                            .push_bind(e.id.to_string())
                            .push_bind(A::NAME)
                            .push_bind(e.aggregate_id.to_string())
                            .push_bind(i64::from(e.sequence_number))
                            .push_bind(command_id.to_string())
                            .push_bind(i64::from(command_index))
                            .push_bind(next.canonical.clone())
                            .push_bind(next.prev_hash.to_vec())
                            .push_bind(next.hash.to_vec());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                BackendTx::Postgres(tx) => {
                    let mut q = QueryBuilder::<Postgres>::new(&self.columns);
                    q.push(" ");
                    q.push_values(chunk, |mut b, (e, next)| {
                        b.push_bind(e.id)
                            .push_bind(e.aggregate_id)
                            .push_bind(sqlx::types::Json(next.entry.payload.clone()))
                            .push_bind(e.occurred_on)
                            .push_bind(e.sequence_number)
                            .push_bind(None::<i32>);
                    });
                    q.build().execute(&mut **tx).await?;
                    let mut q = QueryBuilder::<Postgres>::new(LEDGER_COLUMNS);
                    q.push(" ");
                    q.push_values(chunk, |mut b, (e, next)| {
                        let (command_id, command_index) = e.payload.command();
                        b.push_bind(next.entry.global_sequence as i64)
                            .push_bind(e.id)
                            .push_bind(A::NAME)
                            .push_bind(e.aggregate_id)
                            .push_bind(i64::from(e.sequence_number))
                            .push_bind(command_id)
                            .push_bind(command_index as i32)
                            .push_bind(next.canonical.clone())
                            .push_bind(next.prev_hash.to_vec())
                            .push_bind(next.hash.to_vec());
                    });
                    q.build().execute(&mut **tx).await?;
                }
            }
        }
        let applied: Vec<(&StoreEvent<A::Event>, u64)> = rows
            .iter()
            .map(|(e, next)| (e, next.entry.global_sequence))
            .collect();
        for rm in self.read_models.iter() {
            let tx = match &mut self.tx {
                BackendTx::Sqlite(tx) => Tx::Sqlite(tx),
                BackendTx::Postgres(tx) => Tx::Postgres(tx),
            };
            rm.apply_all(&applied, tx).await?;
        }
        self.head = head;
        self.appended += rows.len() as u64;
        Ok(Ok(rows.len()))
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

/// The events of fresh aggregates' commands, each with its ledger entry chained after
/// `head` (the last entry): every command decided first, so a refusal (its index and
/// error) comes back before anything is written. Also the new head.
#[allow(clippy::type_complexity)]
pub(crate) fn fresh_rows<A>(
    commands: Vec<(Uuid, A::Command)>,
    head: Option<(i64, Vec<u8>)>,
) -> Result<
    Result<
        (
            Vec<(StoreEvent<A::Event>, NextEntry)>,
            Option<(i64, Vec<u8>)>,
        ),
        (usize, A::Error),
    >,
    StoreError,
>
where
    A: Aggregate,
    A::Event: Envelope,
    A::State: Default,
{
    let mut decided = Vec::with_capacity(commands.len());
    for (i, (aggregate_id, command)) in commands.into_iter().enumerate() {
        match A::handle_command(&A::State::default(), command) {
            Ok(events) => decided.push((aggregate_id, events)),
            Err(refused) => return Ok(Err((i, refused))),
        }
    }
    let mut rows = Vec::with_capacity(decided.len());
    let mut head = head;
    for (aggregate_id, events) in decided {
        for (k, event) in events.into_iter().enumerate() {
            let payload = event.to_payload()?;
            let store_event = StoreEvent {
                id: Uuid::now_v7(),
                aggregate_id,
                occurred_on: recorded_at(&payload)?,
                payload: event,
                sequence_number: k as i32 + 1,
                version: None,
            };
            let next = next_entry_with(head, A::NAME, &store_event, payload)?;
            head = Some((next.entry.global_sequence as i64, next.hash.to_vec()));
            rows.push((store_event, next));
        }
    }
    Ok(Ok((rows, head)))
}

fn recorded_at(payload: &Value) -> Result<DateTime<Utc>, StoreError> {
    payload
        .get("recorded_at")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| StoreError::Encoding("payload has no recorded_at".into()))
}
