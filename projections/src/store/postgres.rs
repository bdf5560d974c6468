//! The PostgreSQL event store: esrs's `PgStore`, with the ledger and the read models as
//! its transactional event handler (same transaction as the events), and `delete`
//! refused.

use async_trait::async_trait;
use esrs::handler::TransactionalEventHandler;
use esrs::store::postgres::{PgStore, PgStoreBuilder, PgStoreError};
use esrs::store::{EventStore, EventStoreLockGuard, StoreEvent};
use esrs::{Aggregate, AggregateState};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::read_model::{ReadModels, Tx};
use super::Envelope;
use crate::ledger::append::append_pg;
use crate::StoreError;

/// Writes the ledger entry and the read models of each event inside esrs's transaction.
struct LogWriter<A: Aggregate> {
    read_models: ReadModels<A>,
}

#[async_trait]
impl<A> TransactionalEventHandler<A, PgStoreError, PgConnection> for LogWriter<A>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope,
{
    async fn handle(
        &self,
        event: &StoreEvent<A::Event>,
        conn: &mut PgConnection,
    ) -> Result<(), PgStoreError> {
        let run = async {
            let seq = append_pg(conn, A::NAME, event).await?;
            for rm in self.read_models.iter() {
                rm.apply(event, seq, Tx::Postgres(&mut *conn)).await?;
            }
            Ok::<(), StoreError>(())
        };
        run.await.map_err(|e| match e {
            StoreError::Database(e) => PgStoreError::Sqlx(e),
            other => PgStoreError::Custom(Box::new(other)),
        })
    }

    async fn delete(
        &self,
        aggregate_id: Uuid,
        _conn: &mut PgConnection,
    ) -> Result<(), PgStoreError> {
        Err(PgStoreError::Custom(Box::new(StoreError::Refused(
            format!("deleting aggregate {aggregate_id}: the log is append-only"),
        ))))
    }

    fn name(&self) -> &'static str {
        "jianxin.ledger"
    }
}

/// The PostgreSQL event store of aggregate `A`.
pub struct PgLogStore<A: Aggregate> {
    inner: PgStore<A>,
}

impl<A: Aggregate> Clone for PgLogStore<A> {
    fn clone(&self) -> Self {
        PgLogStore {
            inner: self.inner.clone(),
        }
    }
}

impl<A> PgLogStore<A>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope + Serialize + DeserializeOwned,
    A::State: Send,
{
    /// Build over an already-migrated pool.
    pub async fn new(pool: PgPool, read_models: ReadModels<A>) -> Result<Self, StoreError> {
        let inner = PgStoreBuilder::<A>::new(pool)
            .without_running_migrations()
            .with_event_id_format(esrs::store::postgres::UuidFormat::V7)
            .add_transactional_event_handler(LogWriter { read_models })
            .try_build()
            .await?;
        Ok(PgLogStore { inner })
    }

    /// Run esrs's own migrations for `A`'s table (creates `<name>_events`).
    pub async fn migrate(pool: PgPool) -> Result<(), StoreError> {
        PgStoreBuilder::<A>::new(pool).try_build().await?;
        Ok(())
    }
}

#[async_trait]
impl<A> EventStore for PgLogStore<A>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope + Serialize + DeserializeOwned,
    A::State: Send,
{
    type Aggregate = A;
    type Error = StoreError;

    async fn lock(&self, aggregate_id: Uuid) -> Result<EventStoreLockGuard, StoreError> {
        Ok(self.inner.lock(aggregate_id).await?)
    }

    async fn by_aggregate_id(
        &self,
        aggregate_id: Uuid,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        Ok(self.inner.by_aggregate_id(aggregate_id).await?)
    }

    async fn persist(
        &self,
        aggregate_state: &mut AggregateState<A::State>,
        events: Vec<A::Event>,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        let aggregate_id = *aggregate_state.id();
        match self.inner.persist(aggregate_state, events).await {
            Ok(events) => Ok(events),
            Err(e) => {
                let e = StoreError::from(e);
                Err(if e.is_unique_violation() {
                    StoreError::Conflict { aggregate_id }
                } else {
                    e
                })
            }
        }
    }

    async fn publish(&self, store_events: &[StoreEvent<A::Event>]) {
        self.inner.publish(store_events).await
    }

    async fn delete(&self, aggregate_id: Uuid) -> Result<(), StoreError> {
        Err(super::refuse_delete(aggregate_id))
    }
}
