//! The group writer of the credit query log on SQLite: a group of answers appended in
//! one `BEGIN IMMEDIATE` transaction on a connection of rusqlite's, on a blocking
//! thread, start to commit.
//!
//! Through sqlx every statement is a round trip to the connection's own worker thread,
//! and a group took eight of them (acquire, begin, the ledger head, three inserts,
//! commit, the release check). Under load each wake-up waits for a core, so the single
//! writer, which every answer waits for, spent most of its time waiting (measured in
//! docs/PERFORMANCE.md, "Credit check over HTTP"). Here the whole group is one hop.
//!
//! What is written is exactly what [`crate::store::BatchWriter::apply_fresh_all`] writes:
//! the rows come from the same [`fresh_rows`], the events and ledger inserts use the same
//! statements, and the read models write through [`Tx::Rusqlite`] with their own code.
//! The global order stays gap-free because SQLite's write lock is held from `BEGIN
//! IMMEDIATE` to the commit; `synchronous=FULL` as on every other connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use esrs::store::StoreEvent;
use esrs::Aggregate;
use jianxin_domain::event_log::format_micros;
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::batch::fresh_rows;
use super::read_model::{ReadModels, Tx};
use super::sqlite_reader::store_error;
use super::Envelope;
use crate::ledger::append::{INSERT as LEDGER_INSERT, LAST as LEDGER_LAST};
use crate::StoreError;

/// One read-write connection to a SQLite file, opened when first used.
#[derive(Debug, Clone)]
pub struct SqliteGroupWriter {
    path: PathBuf,
    conn: Arc<Mutex<Option<Connection>>>,
}

impl SqliteGroupWriter {
    /// A writer to the database file at `path` (already migrated).
    pub fn new(path: &Path) -> SqliteGroupWriter {
        SqliteGroupWriter {
            path: path.to_path_buf(),
            conn: Arc::new(Mutex::new(None)),
        }
    }

    /// Appends one command to each of the fresh aggregates of `commands` and commits:
    /// all or nothing. A refusal by the domain comes back with the index of the command
    /// refused, and nothing is written.
    pub async fn append_fresh_all<A>(
        &self,
        read_models: ReadModels<A>,
        commands: Vec<(Uuid, A::Command)>,
    ) -> Result<Result<usize, (usize, A::Error)>, StoreError>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Command: Send,
        A::Error: Send,
        A::Event: Envelope + Send + Sync,
        A::State: Default,
    {
        let writer = self.clone();
        tokio::task::spawn_blocking(move || writer.append_blocking::<A>(&read_models, commands))
            .await
            .map_err(|e| StoreError::Encoding(format!("the SQLite group writer stopped: {e}")))?
    }

    fn append_blocking<A>(
        &self,
        read_models: &ReadModels<A>,
        commands: Vec<(Uuid, A::Command)>,
    ) -> Result<Result<usize, (usize, A::Error)>, StoreError>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Event: Envelope + Send + Sync,
        A::State: Default,
    {
        let mut held = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let conn = match held.take() {
            Some(conn) => conn,
            None => self.open().map_err(store_error)?,
        };
        // In a mutex of its own for the read models' `Tx` (which must be `Send`).
        let conn = Mutex::new(conn);
        let outcome = write::<A>(&conn, read_models, commands);
        let conn = conn
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !conn.is_autocommit() {
            // a failure left the transaction open: roll it back, or drop the connection
            if conn.execute_batch("ROLLBACK").is_err() {
                return outcome;
            }
        }
        *held = Some(conn);
        outcome
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }
}

fn write<A>(
    conn: &Mutex<Connection>,
    read_models: &ReadModels<A>,
    commands: Vec<(Uuid, A::Command)>,
) -> Result<Result<usize, (usize, A::Error)>, StoreError>
where
    A: Aggregate + Send + Sync + 'static,
    A::Event: Envelope + Send + Sync,
    A::State: Default,
{
    let run = |sql: &str| -> Result<(), StoreError> {
        let c = conn.lock().unwrap_or_else(|p| p.into_inner());
        c.execute_batch(sql).map_err(store_error)
    };
    run("BEGIN IMMEDIATE")?;
    let head = {
        let c = conn.lock().unwrap_or_else(|p| p.into_inner());
        c.prepare_cached(LEDGER_LAST)
            .and_then(|mut s| {
                s.query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
                    .optional()
            })
            .map_err(store_error)?
    };
    let rows = match fresh_rows::<A>(commands, head)? {
        Ok((rows, _)) => rows,
        Err(refused) => {
            run("ROLLBACK")?;
            return Ok(Err(refused));
        }
    };
    {
        let c = conn.lock().unwrap_or_else(|p| p.into_inner());
        let insert = format!(
            "{} VALUES ($1, $2, $3, $4, $5, $6)",
            super::events_insert_head(A::NAME)
        );
        let mut events = c.prepare_cached(&insert).map_err(store_error)?;
        for (e, next) in &rows {
            events
                .execute((
                    e.id.to_string(),
                    e.aggregate_id.to_string(),
                    next.entry.payload.to_string(),
                    format_micros(&e.occurred_on),
                    e.sequence_number,
                    None::<i32>,
                ))
                .map_err(store_error)?;
        }
        let mut ledger = c.prepare_cached(LEDGER_INSERT).map_err(store_error)?;
        for (e, next) in &rows {
            let (command_id, command_index) = e.payload.command();
            ledger
                .execute((
                    next.entry.global_sequence as i64,
                    e.id.to_string(),
                    A::NAME,
                    e.aggregate_id.to_string(),
                    i64::from(e.sequence_number),
                    command_id.to_string(),
                    i64::from(command_index),
                    &next.canonical,
                    next.prev_hash.as_slice(),
                    next.hash.as_slice(),
                ))
                .map_err(store_error)?;
        }
    }
    let applied: Vec<(&StoreEvent<A::Event>, u64)> = rows
        .iter()
        .map(|(e, next)| (e, next.entry.global_sequence))
        .collect();
    for rm in read_models.iter() {
        // The rusqlite branches of `Tx` never wait: the future completes in one poll.
        futures::executor::block_on(rm.apply_all(&applied, Tx::Rusqlite(conn)))?;
    }
    run("COMMIT")?;
    Ok(Ok(rows.len()))
}
