//! Read models of the scheduler (定时任务): `published_checkpoints`, every checkpoint
//! the archive stored, for `GET /v1/public/checkpoints`; and `scheduler_runs`, each
//! recorded run of a job with what it found due, for `jianxin scheduler status`. Also
//! the queries that find what may be due without loading every aggregate: entries past
//! their period, abnormal entries old enough to escalate, open cases, frozen tasks.

use async_trait::async_trait;
use chrono::NaiveDate;
use esrs::store::StoreEvent;
use jianxin_domain::event_log::format_micros;
use jianxin_domain::integrity::archive::{ArchiveEvent, CheckpointArchive};
use jianxin_domain::schedule::{JobEvent, SchedulerJob};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::store::{Bind, ReadModel, Tx};
use crate::{Database, StoreError};

/// `published_checkpoints`.
pub struct PublishedCheckpoints;

#[async_trait]
impl ReadModel<CheckpointArchive> for PublishedCheckpoints {
    fn name(&self) -> &'static str {
        "published_checkpoints"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["published_checkpoints"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<CheckpointArchive as esrs::Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let recorded = &event.payload;
        let ArchiveEvent::CheckpointStored {
            tree_size,
            root_hash,
            note,
            due_at,
        } = &recorded.event;
        tx.exec(
            "INSERT INTO published_checkpoints (global_sequence, tree_size, root_hash, note, \
             due_at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                Bind::Int(global_sequence as i64),
                Bind::Int(*tree_size as i64),
                Bind::Text(root_hash),
                Bind::Text(note),
                Bind::Text(&format_micros(due_at)),
                Bind::Text(&format_micros(&recorded.recorded_at)),
            ],
        )
        .await
    }
}

/// `scheduler_runs`.
pub struct SchedulerRuns;

#[async_trait]
impl ReadModel<SchedulerJob> for SchedulerRuns {
    fn name(&self) -> &'static str {
        "scheduler_runs"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["scheduler_runs"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<SchedulerJob as esrs::Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let recorded = &event.payload;
        let JobEvent::JobRan {
            job,
            tick,
            rule_version,
            firings,
        } = &recorded.event;
        let appended: usize = firings.iter().map(|f| f.global_sequences.len()).sum();
        let firings =
            serde_json::to_string(firings).map_err(|e| StoreError::Encoding(e.to_string()))?;
        tx.exec(
            "INSERT INTO scheduler_runs (global_sequence, job, tick, recorded_at, rule_version, \
             appended, firings) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                Bind::Int(global_sequence as i64),
                Bind::Text(job),
                Bind::Text(&format_micros(tick)),
                Bind::Text(&format_micros(&recorded.recorded_at)),
                Bind::Text(rule_version),
                Bind::Int(appended as i64),
                Bind::Text(&firings),
            ],
        )
        .await
    }
}

/// A stored checkpoint as published.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublishedCheckpoint {
    /// Its own ledger position (the archive's event).
    pub global_sequence: i64,
    /// The tree size it signs.
    pub tree_size: i64,
    /// The root, hex.
    pub root_hash: String,
    /// The signed note.
    pub note: String,
    /// The tick it was due at.
    pub due_at: String,
    /// When it was stored.
    pub recorded_at: String,
}

macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            Database::Sqlite($p) => $body,
            Database::Postgres($p) => $body,
        }
    };
}

/// Stored checkpoints after ledger position `after`, oldest first, at most `limit`.
pub async fn published_checkpoints(
    db: &Database,
    after: i64,
    limit: i64,
) -> Result<Vec<PublishedCheckpoint>, StoreError> {
    const SQL: &str = "SELECT global_sequence, tree_size, root_hash, note, due_at, recorded_at \
        FROM published_checkpoints WHERE global_sequence > $1 ORDER BY global_sequence LIMIT $2";
    on_pool!(db, |p| {
        let mut out = vec![];
        for r in sqlx::query(SQL)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await?
        {
            out.push(PublishedCheckpoint {
                global_sequence: r.try_get(0)?,
                tree_size: r.try_get(1)?,
                root_hash: r.try_get(2)?,
                note: r.try_get(3)?,
                due_at: r.try_get(4)?,
                recorded_at: r.try_get(5)?,
            });
        }
        Ok(out)
    })
}

/// The stored checkpoint with the largest tree size, as its signed note (`None`: none
/// stored yet). Whoever relies on it opens the note with the log's key first.
pub async fn latest_published_note(db: &Database) -> Result<Option<String>, StoreError> {
    const SQL: &str =
        "SELECT note FROM published_checkpoints ORDER BY tree_size DESC, global_sequence DESC LIMIT 1";
    Ok(on_pool!(db, |p| sqlx::query_scalar(SQL)
        .fetch_optional(p)
        .await?))
}

/// The largest tree size stored in the archive (0 when none).
pub async fn largest_published_size(db: &Database) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT COALESCE(MAX(tree_size), 0) FROM published_checkpoints";
    let n: i64 = on_pool!(db, |p| sqlx::query_scalar(SQL).fetch_one(p).await?);
    Ok(n as u64)
}

/// How many ledger entries after position `after` are facts other than the scheduler's
/// own records (stored checkpoints and run records): a checkpoint is worth storing only
/// when the log has grown by something else.
pub async fn entries_besides_scheduler(db: &Database, after: u64) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM ledger WHERE global_sequence > $1 \
        AND aggregate_type NOT IN ('checkpoint_archive', 'scheduler_job')";
    let n: i64 = on_pool!(db, |p| sqlx::query_scalar(SQL)
        .bind(after as i64)
        .fetch_one(p)
        .await?);
    Ok(n as u64)
}

/// A recorded run of a job.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchedulerRun {
    /// Its ledger position.
    pub global_sequence: i64,
    /// The job.
    pub job: String,
    /// The tick.
    pub tick: String,
    /// When recorded.
    pub recorded_at: String,
    /// The rule version(s) applied.
    pub rule_version: String,
    /// Ledger entries its firings appended.
    pub appended: i64,
    /// The firings, as recorded.
    pub firings: serde_json::Value,
}

/// The last recorded run of `job`, if any.
pub async fn last_run(db: &Database, job: &str) -> Result<Option<SchedulerRun>, StoreError> {
    const SQL: &str = "SELECT global_sequence, job, tick, recorded_at, rule_version, appended, \
        firings FROM scheduler_runs WHERE job = $1 ORDER BY global_sequence DESC LIMIT 1";
    let (head, firings) = on_pool!(db, |p| {
        let Some(r) = sqlx::query(SQL).bind(job).fetch_optional(p).await? else {
            return Ok(None);
        };
        let head: (i64, String, String, String, String, i64) = (
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
        );
        (head, r.try_get::<String, _>(6)?)
    });
    Ok(Some(SchedulerRun {
        global_sequence: head.0,
        job: head.1,
        tick: head.2,
        recorded_at: head.3,
        rule_version: head.4,
        appended: head.5,
        firings: serde_json::from_str(&firings)
            .map_err(|e| StoreError::Encoding(format!("scheduler_runs.firings: {e}")))?,
    }))
}

fn uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| StoreError::Encoding(format!("{s:?}: {e}")))
}

fn date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Encoding(format!("{s:?}: {e}")))
}

/// An entry that may need a scheduled record: its subject's aggregate id, the entry, and
/// the day that matters (`until` for an expiry, `entered_on` for an escalation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryCandidate {
    /// The credit subject's aggregate id.
    pub subject_id: Uuid,
    /// The entry.
    pub entry_id: Uuid,
    /// Its list id.
    pub list: String,
    /// Its reason.
    pub reason: String,
    /// Its first day on the list.
    pub entered_on: NaiveDate,
    /// Its first day off by expiry, if it has a period.
    pub until: Option<NaiveDate>,
    /// Its first day off by removal or repair, if any.
    pub ended_on: Option<NaiveDate>,
}

async fn entry_candidates(
    db: &Database,
    sql: &'static str,
    day: NaiveDate,
) -> Result<Vec<EntryCandidate>, StoreError> {
    let day = day.to_string();
    on_pool!(db, |p| {
        let mut out = vec![];
        for r in sqlx::query(sql).bind(&day).fetch_all(p).await? {
            let until: Option<String> = r.try_get(3)?;
            let ended_on: Option<String> = r.try_get(4)?;
            out.push(EntryCandidate {
                subject_id: uuid(&r.try_get::<String, _>(0)?)?,
                entry_id: uuid(&r.try_get::<String, _>(1)?)?,
                entered_on: date(&r.try_get::<String, _>(2)?)?,
                until: until.as_deref().map(date).transpose()?,
                ended_on: ended_on.as_deref().map(date).transpose()?,
                list: r.try_get(5)?,
                reason: r.try_get(6)?,
            });
        }
        Ok(out)
    })
}

/// Entries whose period ran out by `today` without an earlier end (expiry candidates).
pub async fn entries_past_period(
    db: &Database,
    today: NaiveDate,
) -> Result<Vec<EntryCandidate>, StoreError> {
    entry_candidates(
        db,
        "SELECT subject_id, entry_id, entered_on, until, ended_on, list, reason \
         FROM credit_entries WHERE annulled = 0 AND until IS NOT NULL AND until <= $1 \
         AND (ended_on IS NULL OR ended_on > until) ORDER BY until, entry_id",
        today,
    )
    .await
}

/// Abnormal entries entered on or before `cutoff` and not annulled (escalation
/// candidates; the domain decides whether each was still on the list at its day).
pub async fn abnormal_entries_since(
    db: &Database,
    cutoff: NaiveDate,
) -> Result<Vec<EntryCandidate>, StoreError> {
    entry_candidates(
        db,
        "SELECT subject_id, entry_id, entered_on, until, ended_on, list, reason \
         FROM credit_entries WHERE list = 'abnormal' AND annulled = 0 AND entered_on <= $1 \
         ORDER BY entered_on, entry_id",
        cutoff,
    )
    .await
}

/// Cases neither closed nor withdrawn.
pub async fn open_case_ids(db: &Database) -> Result<Vec<Uuid>, StoreError> {
    const SQL: &str = "SELECT case_id FROM enforcement_cases \
        WHERE status NOT IN ('closed', 'withdrawn') ORDER BY case_id";
    let ids: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(SQL).fetch_all(p).await?);
    ids.iter().map(|s| uuid(s)).collect()
}

/// Tasks frozen and not yet drawn.
pub async fn frozen_task_ids(db: &Database) -> Result<Vec<Uuid>, StoreError> {
    const SQL: &str =
        "SELECT task_id FROM inspection_tasks WHERE status = 'frozen' ORDER BY task_id";
    let ids: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(SQL).fetch_all(p).await?);
    ids.iter().map(|s| uuid(s)).collect()
}

/// A penalty record that may have ended its minimum publicity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyCandidate {
    /// The credit subject's aggregate id.
    pub subject_id: Uuid,
    /// The record.
    pub record_id: Uuid,
    /// The day it took effect.
    pub effective_on: NaiveDate,
    /// `ordinary` or `serious`.
    pub severity: String,
}

/// Penalty records that took effect on or before `cutoff`.
pub async fn penalties_since(
    db: &Database,
    cutoff: NaiveDate,
) -> Result<Vec<PenaltyCandidate>, StoreError> {
    const SQL: &str = "SELECT subject_id, record_id, effective_on, severity FROM credit_penalties \
        WHERE effective_on <= $1 ORDER BY effective_on, record_id";
    let cutoff = cutoff.to_string();
    on_pool!(db, |p| {
        let mut out = vec![];
        for r in sqlx::query(SQL).bind(&cutoff).fetch_all(p).await? {
            out.push(PenaltyCandidate {
                subject_id: uuid(&r.try_get::<String, _>(0)?)?,
                record_id: uuid(&r.try_get::<String, _>(1)?)?,
                effective_on: date(&r.try_get::<String, _>(2)?)?,
                severity: r.try_get(3)?,
            });
        }
        Ok(out)
    })
}
