//! The credit query log's writer (查询日志写入): every answer is an event in the ledger
//! before it is returned, and under load answers are appended in groups — one
//! transaction, one sync to disk, for all the answers waiting — instead of one
//! transaction each. A caller still gets its answer only once its group is committed, so
//! "logged before returned" holds; a failed group fails every answer in it with the
//! group's error (HTTP 503 when the database is unreachable, 507 when its disk is full),
//! and nothing of it is in the log. A group is written as one transaction of few round
//! trips ([`EventLog::append_fresh_group`]).
//!
//! The service starts one writer task per process ([`QueryLog::grouped`]); the command
//! line appends directly ([`QueryLog::Direct`]). Beside the writer, a task copies the
//! logged answers into the index by subject every [`INDEX_EVERY`] (on SQLite a file of
//! its own, filled after the commit: [`jianxin_projections::store::QuerySubjectIndex`]),
//! so that a search by subject finds little left to copy.

use jianxin_domain::credit::query::{CreditQuery, QueryCommand};
use jianxin_domain::event_log::{CommandMeta, Issued};
use jianxin_projections::{EventLog, StoreError};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::ops::OpError;

/// The most answers one group commits.
pub const GROUP_MAX: usize = 256;

/// How often the service brings the query log's index by subject up to the log.
pub const INDEX_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

type Reply = oneshot::Sender<Result<(), Failed>>;

/// Why a group was not committed, as each caller in it is told.
#[derive(Debug)]
pub enum Failed {
    /// The query aggregate refused a command (answered as the direct path does).
    Refused(String),
    /// The store failed; relayed with its kind, so a database restart is still a 503.
    Store(StoreError),
}

impl Failed {
    /// A copy for one more caller of the same group.
    fn relay(&self) -> Failed {
        match self {
            Failed::Refused(m) => Failed::Refused(m.clone()),
            Failed::Store(e) => Failed::Store(e.relay()),
        }
    }
}

/// Where answers are appended.
#[derive(Clone, Debug)]
pub enum QueryLog {
    /// One transaction per answer.
    Direct,
    /// Through the writer task, in groups.
    Grouped(mpsc::Sender<(Uuid, Issued<QueryCommand>, Reply)>),
}

impl QueryLog {
    /// Starts the writer task over `log` (needs a Tokio runtime; without one, direct).
    pub fn grouped(log: &EventLog) -> QueryLog {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return QueryLog::Direct;
        };
        let (tx, rx) = mpsc::channel(4 * GROUP_MAX);
        handle.spawn(writer(log.with_own_connection(), rx));
        if log.query_subjects().is_some() {
            handle.spawn(keep_index(log.clone(), tx.downgrade()));
        }
        QueryLog::Grouped(tx)
    }

    /// Appends `command` to the query `id` and waits until it is committed.
    pub async fn append(
        &self,
        log: &EventLog,
        id: Uuid,
        meta: CommandMeta,
        command: QueryCommand,
    ) -> Result<(), OpError> {
        let issued = Issued { meta, command };
        match self {
            QueryLog::Direct => {
                log.execute::<CreditQuery, _>(id, issued)
                    .await?
                    .map_err(|e| OpError::Refused(e.to_string()))?;
                Ok(())
            }
            QueryLog::Grouped(tx) => {
                let (reply, done) = oneshot::channel();
                let stopped = || {
                    OpError::Store(StoreError::Encoding(
                        "the query log writer has stopped".into(),
                    ))
                };
                tx.send((id, issued, reply)).await.map_err(|_| stopped())?;
                match done.await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(Failed::Refused(m))) => Err(OpError::Refused(m)),
                    Ok(Err(Failed::Store(e))) => Err(OpError::Store(e)),
                    Err(_) => Err(stopped()),
                }
            }
        }
    }
}

/// Copies the logged answers into the index by subject every [`INDEX_EVERY`], for as
/// long as the query log it serves is in use.
async fn keep_index(log: EventLog, alive: mpsc::WeakSender<(Uuid, Issued<QueryCommand>, Reply)>) {
    let mut failing = false;
    loop {
        tokio::time::sleep(INDEX_EVERY).await;
        if alive.upgrade().is_none() {
            return;
        }
        match log.catch_up_query_index().await {
            Ok(_) => failing = false,
            // said once per spell of failures; a search copies what is missing anyway
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "query index by subject: copy failed");
            }
            Err(_) => {}
        }
    }
}

async fn writer(log: EventLog, mut rx: mpsc::Receiver<(Uuid, Issued<QueryCommand>, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let mut replies = Vec::with_capacity(group.len());
        let mut commands = Vec::with_capacity(group.len());
        for (id, issued, reply) in group {
            commands.push((id, issued));
            replies.push(reply);
        }
        let outcome = commit(&log, commands).await;
        for reply in replies {
            let _ = reply.send(match &outcome {
                Ok(()) => Ok(()),
                Err(failed) => Err(failed.relay()),
            });
        }
    }
}

async fn commit(log: &EventLog, commands: Vec<(Uuid, Issued<QueryCommand>)>) -> Result<(), Failed> {
    // Query ids are fresh random UUIDs: no history to read; the group goes in as one
    // transaction of few round trips.
    match log.append_fresh_group::<CreditQuery>(commands).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((_, refused))) => Err(Failed::Refused(refused.to_string())),
        Err(e) => Err(Failed::Store(e)),
    }
}
