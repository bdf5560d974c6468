//! The event log (事件日志): the one door through which commands become stored facts.
//!
//! [`EventLog::execute`] runs a command through esrs's `AggregateManager` on the
//! deployment's store: lock, load, decide, persist events + ledger + read models in one
//! transaction. A command id already in the ledger is not applied again.

use esrs::manager::AggregateManager;
use esrs::Aggregate;
use jianxin_domain::event_log::Issued;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Database, DbLocation};
use crate::registry::{HasStore, Stores};
use crate::store::{Envelope, LogStore};
use crate::StoreError;

/// The outcome of a command that the domain accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Executed<S> {
    /// The command was applied; its events hold these ledger positions (empty when the
    /// command changed nothing).
    Applied {
        /// The aggregate's state after the command.
        state: S,
        /// Ledger positions of the new events.
        global_sequences: Vec<u64>,
    },
    /// A command with this id was applied before; nothing was appended now.
    AlreadyApplied {
        /// Ledger positions of the events it appended then.
        global_sequences: Vec<u64>,
    },
}

/// The database and the stores of every aggregate.
#[derive(Clone)]
pub struct EventLog {
    db: Database,
    /// Shared: one set of stores per process, cheap to clone into every handler.
    stores: std::sync::Arc<Stores>,
    /// Every stored version of each kind of reference data, as last read (see
    /// [`EventLog::reference_version_at`]).
    reference: std::sync::Arc<std::sync::Mutex<ReferenceCache>>,
    /// On SQLite, read-only connections for the credit check's reads, made on the
    /// calling thread ([`crate::store::SqliteReader`]).
    reader: Option<std::sync::Arc<crate::store::SqliteReader>>,
    /// On SQLite, the credit facts of recently asked subjects
    /// ([`crate::read_models::CreditFactsCache`]).
    credit_cache: Option<std::sync::Arc<crate::read_models::CreditFactsCache>>,
    /// On SQLite, the connection groups of fresh aggregates are appended on
    /// ([`EventLog::append_fresh_group`]).
    group_writer: Option<crate::store::SqliteGroupWriter>,
    /// On SQLite, the query log's index by subject, in a file of its own
    /// ([`crate::store::QuerySubjectIndex`]).
    query_subjects: Option<std::sync::Arc<crate::store::QuerySubjectIndex>>,
}

/// One stored version of reference data: when it was recorded, its digest, its text.
pub type ReferenceVersion = (chrono::DateTime<chrono::Utc>, String, String);

/// The version in force at `at` among `versions` (oldest first): the latest recorded at
/// or before it; with `None`, the latest of all. Its digest and text.
pub fn in_force(
    versions: &[ReferenceVersion],
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<(&str, &str)> {
    versions
        .iter()
        .rfind(|(recorded_at, _, _)| at.is_none_or(|at| *recorded_at <= at))
        .map(|(_, digest, content)| (digest.as_str(), content.as_str()))
}

/// Reference versions by kind, each list with the highest version number it holds.
type ReferenceCache = std::collections::HashMap<
    jianxin_domain::reference_data::ReferenceKind,
    (i64, std::sync::Arc<Vec<ReferenceVersion>>),
>;

impl EventLog {
    /// Connect, migrate and build the stores.
    pub async fn open(location: &DbLocation) -> Result<EventLog, StoreError> {
        let db = Database::connect(location).await?;
        let stores = std::sync::Arc::new(Stores::new(&db).await?);
        let (reader, group_writer, query_subjects) = match location {
            DbLocation::Sqlite(path) => (
                Some(std::sync::Arc::new(crate::store::SqliteReader::new(path))),
                Some(crate::store::SqliteGroupWriter::new(path)),
                Some(std::sync::Arc::new(crate::store::QuerySubjectIndex::new(
                    path,
                ))),
            ),
            DbLocation::Postgres(_) => (None, None, None),
        };
        Ok(EventLog {
            db,
            stores,
            reference: std::sync::Arc::default(),
            credit_cache: reader.as_ref().map(|_| std::sync::Arc::default()),
            reader,
            group_writer,
            query_subjects,
        })
    }

    /// On SQLite, the query log's index by subject (PostgreSQL indexes the table).
    pub fn query_subjects(&self) -> Option<&std::sync::Arc<crate::store::QuerySubjectIndex>> {
        self.query_subjects.as_ref()
    }

    /// Brings the query log's index by subject up to the log (SQLite; nothing to do on
    /// PostgreSQL): the service runs it every few seconds so that searches find little
    /// to copy. The ledger position it covers.
    pub async fn catch_up_query_index(&self) -> Result<Option<u64>, StoreError> {
        let Some(index) = &self.query_subjects else {
            return Ok(None);
        };
        index.off_runtime(|i| i.catch_up()).await.map(Some)
    }

    /// What a credit check reads of credit subject `subject_id` (see
    /// [`crate::read_models::CheckReading`]): on SQLite on the calling thread, the
    /// subject's facts from memory when kept ([`crate::read_models::CreditFactsCache`]);
    /// on PostgreSQL in one statement through the pool.
    pub async fn check_reading(
        &self,
        subject_id: &str,
    ) -> Result<crate::read_models::CheckReading, StoreError> {
        match (&self.reader, &self.credit_cache) {
            (Some(reader), Some(cache)) => cache.reading(reader, subject_id).await,
            (Some(reader), None) => crate::read_models::check_reading_inline(reader, subject_id),
            (None, _) => crate::read_models::check_reading(&self.db, subject_id).await,
        }
    }

    /// Appends one command to each of the fresh aggregates of `commands` (ids nobody has
    /// used: a credit query's) and commits, all or nothing: the credit query log's group
    /// commit. A domain refusal comes back with the index of the command refused and
    /// nothing written. On SQLite the whole group is one hop to a blocking thread
    /// ([`crate::store::SqliteGroupWriter`]); on PostgreSQL a
    /// [`crate::store::BatchWriter::apply_fresh_all`].
    pub async fn append_fresh_group<A>(
        &self,
        commands: Vec<(Uuid, A::Command)>,
    ) -> Result<Result<usize, (usize, A::Error)>, StoreError>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Command: Send,
        A::Error: Send,
        A::Event: Envelope + Send + Sync,
        A::State: Send + Default,
        Stores: HasStore<A>,
    {
        if let Some(writer) = &self.group_writer {
            let read_models = self.stores.read_models().clone();
            return writer.append_fresh_all::<A>(read_models, commands).await;
        }
        let mut batch = self.batch::<A>().await?;
        match batch.apply_fresh_all(commands).await? {
            Ok(n) => {
                batch.commit().await?;
                Ok(Ok(n))
            }
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// The same log, its batches written through a connection of their own
    /// ([`Database::single_connection`]): for one writer task that appends all the time.
    pub fn with_own_connection(&self) -> EventLog {
        EventLog {
            db: self.db.single_connection(),
            ..self.clone()
        }
    }

    /// The underlying database (read models query it directly).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The esrs store of aggregate `A`.
    pub fn store<A>(&self) -> &LogStore<A>
    where
        A: Aggregate,
        Stores: HasStore<A>,
    {
        self.stores.store()
    }

    /// Run `issued` against aggregate `aggregate_id` of type `A`. The outer result is a
    /// storage failure, the inner one the domain's refusal.
    pub async fn execute<A, C>(
        &self,
        aggregate_id: Uuid,
        issued: Issued<C>,
    ) -> Result<Result<Executed<A::State>, A::Error>, StoreError>
    where
        A: Aggregate<Command = Issued<C>> + Send + Sync + 'static,
        A::Event: Envelope + Serialize + DeserializeOwned,
        A::State: Send + Default,
        C: Send,
        Stores: HasStore<A>,
    {
        let command_id = issued.meta.command_id;
        let before = self.command_positions(command_id).await?;
        if !before.is_empty() {
            return Ok(Ok(Executed::AlreadyApplied {
                global_sequences: before,
            }));
        }
        let manager = AggregateManager::new(self.store::<A>().clone());
        let state = manager
            .lock_and_load(aggregate_id)
            .await?
            .unwrap_or_default();
        match manager.handle_command(state, issued).await {
            Ok(Ok(state)) => Ok(Ok(Executed::Applied {
                state,
                global_sequences: self.command_positions(command_id).await?,
            })),
            Ok(Err(refused)) => Ok(Err(refused)),
            Err(e) if e.is_unique_violation() || matches!(e, StoreError::Conflict { .. }) => {
                // A retry racing its original: if the original committed, say so.
                let after = self.command_positions(command_id).await?;
                if after.is_empty() {
                    Err(e)
                } else {
                    Ok(Ok(Executed::AlreadyApplied {
                        global_sequences: after,
                    }))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Rebuild every read model, or the one named `only`, by replaying the log. An
    /// unknown name is a configuration error listing the known ones.
    pub async fn rebuild_read_models(
        &self,
        only: Option<&str>,
    ) -> Result<Vec<(&'static str, u64)>, StoreError> {
        if let Some(name) = only {
            let known = self.stores.read_model_names();
            if !known.iter().any(|(n, _)| *n == name) {
                let names: Vec<_> = known.iter().map(|(n, _)| *n).collect();
                return Err(StoreError::Config(format!(
                    "unknown read model {name:?}; expected one of {}",
                    names.join(", ")
                )));
            }
        }
        self.stores.rebuild(&self.db, only).await
    }

    /// Open an all-or-nothing batch of commands of aggregate `A` (bulk imports).
    pub async fn batch<A>(&self) -> Result<crate::store::BatchWriter<A>, StoreError>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Event: Envelope,
        A::State: Send + Default,
        Stores: HasStore<A>,
    {
        crate::store::BatchWriter::begin(&self.db, self.stores.read_models().clone()).await
    }

    /// The current state of aggregate `aggregate_id`, or `None` if it has no events.
    pub async fn load<A>(&self, aggregate_id: Uuid) -> Result<Option<A::State>, StoreError>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Event: Envelope + Serialize + DeserializeOwned,
        A::State: Send + Default,
        Stores: HasStore<A>,
    {
        let manager = AggregateManager::new(self.store::<A>().clone());
        Ok(manager.load(aggregate_id).await?.map(|s| s.into_inner()))
    }

    /// The version of reference data `kind` in force at `at` (the latest loaded at or
    /// before it; with `None`, the latest of all): its digest and its text. `None` when
    /// no version was ever loaded (callers fall back to the shipped default).
    pub async fn reference_version_at(
        &self,
        kind: jianxin_domain::reference_data::ReferenceKind,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Option<(String, String)>, StoreError> {
        let versions = self.reference_versions(kind).await?;
        Ok(in_force(&versions, at)
            .map(|(digest, content)| (digest.to_string(), content.to_string())))
    }

    /// Every stored version of `kind`, oldest first. The versions are read from the
    /// log once and kept; each call asks the read model (written in the same
    /// transaction as the event, by its primary key) for the highest version number,
    /// and reads the log again only when another version has been stored since — by
    /// this process or any other.
    async fn reference_versions(
        &self,
        kind: jianxin_domain::reference_data::ReferenceKind,
    ) -> Result<std::sync::Arc<Vec<ReferenceVersion>>, StoreError> {
        const SQL: &str =
            "SELECT COALESCE(MAX(version), 0) AS n FROM reference_data_versions WHERE kind = $1";
        let newest: i64 = match &self.db {
            Database::Sqlite(p) => sqlx::query(SQL)
                .bind(kind.as_str())
                .fetch_one(p)
                .await?
                .try_get("n")?,
            Database::Postgres(p) => sqlx::query(SQL)
                .bind(kind.as_str())
                .fetch_one(p)
                .await?
                .try_get("n")?,
        };
        self.reference_versions_counted(kind, newest).await
    }

    /// Every stored version of `kind`, oldest first (recorded at, digest, text), given
    /// `newest`, the highest version number the caller has just read from the read
    /// model `reference_data_versions` (see `EventLog::reference_versions`): the hot
    /// path of the credit check reads it in the same statement as the subject's facts.
    pub async fn reference_versions_counted(
        &self,
        kind: jianxin_domain::reference_data::ReferenceKind,
        newest: i64,
    ) -> Result<std::sync::Arc<Vec<ReferenceVersion>>, StoreError> {
        use esrs::store::EventStore;
        use jianxin_domain::reference_data::{ReferenceData, ReferenceDataEvent};
        if let Some((held, versions)) = self
            .reference
            .lock()
            .ok()
            .and_then(|c| c.get(&kind).cloned())
        {
            if held == newest {
                return Ok(versions);
            }
        }
        let events = self
            .store::<ReferenceData>()
            .by_aggregate_id(kind.aggregate_id())
            .await?;
        let versions: Vec<ReferenceVersion> = events
            .into_iter()
            .map(|e| {
                let recorded_at = e.payload.recorded_at;
                let ReferenceDataEvent::ReferenceDataLoaded {
                    content, digest, ..
                } = e.payload.event;
                (recorded_at, digest, content)
            })
            .collect();
        let versions = std::sync::Arc::new(versions);
        // Kept only when what was read is the version counted (a version stored in
        // between is read at the next call).
        if i64::try_from(versions.len()).ok() == Some(newest) {
            if let Ok(mut cache) = self.reference.lock() {
                cache.insert(kind, (newest, versions.clone()));
            }
        }
        Ok(versions)
    }

    /// Ledger positions of the events a command appended (empty if none).
    pub async fn command_positions(&self, command_id: Uuid) -> Result<Vec<u64>, StoreError> {
        // `command_id = $1` (not a cast) so the unique index answers it on both backends.
        const SQL: &str =
            "SELECT global_sequence FROM ledger WHERE command_id = $1 ORDER BY command_index";
        let rows = match &self.db {
            Database::Sqlite(p) => {
                sqlx::query(SQL)
                    .bind(command_id.to_string())
                    .fetch_all(p)
                    .await?
            }
            Database::Postgres(p) => {
                let rows = sqlx::query(
                    "SELECT global_sequence FROM ledger WHERE command_id = $1 ORDER BY command_index",
                )
                .bind(command_id)
                .fetch_all(p)
                .await?;
                return Ok(rows.iter().map(|r| r.get::<i64, _>(0) as u64).collect());
            }
        };
        Ok(rows.iter().map(|r| r.get::<i64, _>(0) as u64).collect())
    }
}
