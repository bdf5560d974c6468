//! Transactional read models: tables derived from events and written in the same
//! transaction as the events and their ledger entries, so they are never out of step.
//! Rebuilding them replays the log; it never touches the event tables or the ledger.

use async_trait::async_trait;
use esrs::store::StoreEvent;
use esrs::Aggregate;
use sqlx::{PgConnection, SqliteConnection};

use crate::StoreError;

/// The open transaction a read model writes into, on either backend.
pub enum Tx<'a> {
    /// The SQLite transaction (`BEGIN IMMEDIATE`).
    Sqlite(&'a mut SqliteConnection),
    /// The PostgreSQL transaction.
    Postgres(&'a mut PgConnection),
}

/// The read models of aggregate `A`, shared by its store and its batch writer.
pub type ReadModels<A> = std::sync::Arc<Vec<Box<dyn ReadModel<A>>>>;

/// A read model fed by the events of aggregate `A`.
#[async_trait]
pub trait ReadModel<A: Aggregate>: Send + Sync {
    /// Stable name, used by `jianxin projections rebuild NAME`.
    fn name(&self) -> &'static str;

    /// The tables this read model owns (emptied before a rebuild).
    fn tables(&self) -> &'static [&'static str];

    /// Apply one stored event, whose ledger position is `global_sequence`.
    async fn apply(
        &self,
        event: &StoreEvent<A::Event>,
        global_sequence: u64,
        tx: Tx<'_>,
    ) -> Result<(), StoreError>;
}
