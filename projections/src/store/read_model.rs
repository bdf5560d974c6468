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

impl Tx<'_> {
    /// The events of aggregate `aggregate_id` in table `<name>_events`, in order, as seen
    /// inside this transaction (including what it has just written).
    pub async fn events<E: crate::store::Envelope>(
        &mut self,
        name: &str,
        aggregate_id: uuid::Uuid,
    ) -> Result<Vec<StoreEvent<E>>, StoreError> {
        use sqlx::Row;
        // sql-safe: `name` is an aggregate's `NAME` constant (callers pass `A::NAME`); values are bound
        let sql = format!(
            "SELECT id, aggregate_id, payload, occurred_on, sequence_number, version \
             FROM {name}_events WHERE aggregate_id = $1 ORDER BY sequence_number"
        );
        let mut out = vec![];
        match self {
            Tx::Sqlite(c) => {
                for row in sqlx::query(&sql)
                    .bind(aggregate_id.to_string())
                    .fetch_all(&mut **c)
                    .await?
                {
                    out.push(crate::store::decode_sqlite_row::<E>(&row)?);
                }
            }
            Tx::Postgres(c) => {
                for row in sqlx::query(&sql)
                    .bind(aggregate_id)
                    .fetch_all(&mut **c)
                    .await?
                {
                    let payload: serde_json::Value = row.try_get("payload")?;
                    out.push(StoreEvent {
                        id: row.try_get("id")?,
                        aggregate_id: row.try_get("aggregate_id")?,
                        payload: E::from_payload(payload)?,
                        occurred_on: row.try_get("occurred_on")?,
                        sequence_number: row.try_get("sequence_number")?,
                        version: row.try_get("version")?,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The id of event `sequence` of aggregate `aggregate_id` in `<name>_events`, as seen
    /// inside this transaction (`None`: no such event).
    pub async fn event_id_at(
        &mut self,
        name: &str,
        aggregate_id: uuid::Uuid,
        sequence: i64,
    ) -> Result<Option<uuid::Uuid>, StoreError> {
        // sql-safe: as above
        let sql = format!(
            "SELECT CAST(id AS TEXT) FROM {name}_events \
             WHERE aggregate_id = $1 AND sequence_number = $2"
        );
        let id: Option<String> = match self {
            Tx::Sqlite(c) => {
                sqlx::query_scalar(&sql)
                    .bind(aggregate_id.to_string())
                    .bind(sequence)
                    .fetch_optional(&mut **c)
                    .await?
            }
            Tx::Postgres(c) => {
                sqlx::query_scalar(&sql)
                    .bind(aggregate_id)
                    .bind(sequence)
                    .fetch_optional(&mut **c)
                    .await?
            }
        };
        Ok(id.and_then(|t| uuid::Uuid::parse_str(&t).ok()))
    }

    /// The first column of the first row of a query with text binds, as text (None when
    /// no row).
    pub async fn text(&mut self, sql: &str, binds: &[&str]) -> Result<Option<String>, StoreError> {
        use sqlx::Row;
        Ok(match self {
            Tx::Sqlite(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                match q.fetch_optional(&mut **c).await? {
                    Some(r) => Some(r.try_get::<String, _>(0)?),
                    None => None,
                }
            }
            Tx::Postgres(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                match q.fetch_optional(&mut **c).await? {
                    Some(r) => Some(r.try_get::<String, _>(0)?),
                    None => None,
                }
            }
        })
    }

    /// Run a statement with text/integer binds on either backend.
    pub async fn exec(&mut self, sql: &str, binds: &[Bind<'_>]) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = match b {
                        Bind::Text(t) => q.bind(*t),
                        Bind::OptText(t) => q.bind(*t),
                        Bind::Int(i) => q.bind(*i),
                        Bind::OptInt(i) => q.bind(*i),
                    };
                }
                q.execute(&mut **c).await?;
            }
            Tx::Postgres(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = match b {
                        Bind::Text(t) => q.bind(*t),
                        Bind::OptText(t) => q.bind(*t),
                        Bind::Int(i) => q.bind(*i),
                        Bind::OptInt(i) => q.bind(*i),
                    };
                }
                q.execute(&mut **c).await?;
            }
        }
        Ok(())
    }
}

/// A bound parameter of [`Tx::exec`]: SQL text stays fixed, values are always bound.
#[derive(Debug, Clone, Copy)]
pub enum Bind<'a> {
    /// Text.
    Text(&'a str),
    /// Nullable text.
    OptText(Option<&'a str>),
    /// An integer.
    Int(i64),
    /// A nullable integer.
    OptInt(Option<i64>),
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
