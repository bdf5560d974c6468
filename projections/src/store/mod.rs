//! The event stores: one esrs `EventStore` per aggregate, on SQLite or PostgreSQL, with
//! identical semantics (the same generic test suite runs on both).

mod batch;
mod envelope;
mod postgres;
mod query_subjects;
mod read_model;
mod sqlite;
mod sqlite_group;
mod sqlite_reader;

pub use batch::{Applied, BatchWriter};
pub use envelope::Envelope;
pub use postgres::PgLogStore;
pub use query_subjects::QuerySubjectIndex;
pub use read_model::{Bind, ReadModel, ReadModels, Tx};
pub(crate) use sqlite::decode_row as decode_sqlite_row;
pub use sqlite::{SqliteStore, StripedLocks};
pub use sqlite_group::SqliteGroupWriter;
pub use sqlite_reader::SqliteReader;

use async_trait::async_trait;
use esrs::store::{EventStore, EventStoreLockGuard, StoreEvent};
use esrs::{Aggregate, AggregateState};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::StoreError;

/// The answer of every jianxin store to esrs's `delete`: the log is append-only.
pub(crate) fn refuse_delete(aggregate_id: Uuid) -> StoreError {
    StoreError::Refused(format!(
        "deleting aggregate {aggregate_id}: the log is append-only; record a correction instead"
    ))
}

/// The store of aggregate `A` on whichever backend the deployment uses.
pub enum LogStore<A: Aggregate> {
    /// SQLite.
    Sqlite(SqliteStore<A>),
    /// PostgreSQL.
    Postgres(PgLogStore<A>),
}

impl<A: Aggregate> Clone for LogStore<A> {
    fn clone(&self) -> Self {
        match self {
            LogStore::Sqlite(s) => LogStore::Sqlite(s.clone()),
            LogStore::Postgres(s) => LogStore::Postgres(s.clone()),
        }
    }
}

#[async_trait]
impl<A> EventStore for LogStore<A>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope + Serialize + DeserializeOwned,
    A::State: Send,
{
    type Aggregate = A;
    type Error = StoreError;

    async fn lock(&self, aggregate_id: Uuid) -> Result<EventStoreLockGuard, StoreError> {
        match self {
            LogStore::Sqlite(s) => s.lock(aggregate_id).await,
            LogStore::Postgres(s) => s.lock(aggregate_id).await,
        }
    }

    async fn by_aggregate_id(
        &self,
        aggregate_id: Uuid,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        match self {
            LogStore::Sqlite(s) => s.by_aggregate_id(aggregate_id).await,
            LogStore::Postgres(s) => s.by_aggregate_id(aggregate_id).await,
        }
    }

    async fn persist(
        &self,
        aggregate_state: &mut AggregateState<A::State>,
        events: Vec<A::Event>,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        match self {
            LogStore::Sqlite(s) => s.persist(aggregate_state, events).await,
            LogStore::Postgres(s) => s.persist(aggregate_state, events).await,
        }
    }

    async fn publish(&self, store_events: &[StoreEvent<A::Event>]) {
        match self {
            LogStore::Sqlite(s) => s.publish(store_events).await,
            LogStore::Postgres(s) => s.publish(store_events).await,
        }
    }

    async fn delete(&self, aggregate_id: Uuid) -> Result<(), StoreError> {
        Err(refuse_delete(aggregate_id))
    }
}

/// `INSERT INTO <name>_events (columns)`, without its values: the one place the events
/// tables' insert is spelled out, for single-row and multi-row statements alike.
pub(crate) fn events_insert_head(name: &str) -> String {
    // sql-safe: `name` is an aggregate's `NAME` constant; values are bound
    format!(
        "INSERT INTO {name}_events (id, aggregate_id, payload, occurred_on, sequence_number, version)"
    )
}
