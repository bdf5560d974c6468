//! Read model of inspection results (检查结果): one row per result with its current
//! version, deadline and publication state, for the publication-due list and the
//! public results of a task. Recomputed from the result's events on every event, in the
//! same transaction; the versions themselves stay in the log.

use async_trait::async_trait;
use esrs::store::StoreEvent;
use esrs::Aggregate;
use jianxin_domain::event_log::format_micros;
use jianxin_domain::result::{InspectionResult, ResultEvent, ResultState};
use serde::Serialize;
use sqlx::Row;

use crate::store::{Bind, ReadModel, Tx};
use crate::{Database, StoreError};

/// `inspection_results`.
pub struct ResultViews;

#[async_trait]
impl ReadModel<InspectionResult> for ResultViews {
    fn name(&self) -> &'static str {
        "inspection_results"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["inspection_results"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<InspectionResult as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let events = tx
            .events::<<InspectionResult as Aggregate>::Event>(
                InspectionResult::NAME,
                event.aggregate_id,
            )
            .await?;
        let mut state = ResultState::default();
        let mut recorded_at = String::new();
        let mut corrections = 0i64;
        let mut published: Option<(String, String)> = None;
        for e in events {
            let at = format_micros(&e.payload.recorded_at);
            match &e.payload.event {
                ResultEvent::ResultRecorded { .. } => recorded_at = at,
                ResultEvent::ResultCorrected { .. } => corrections += 1,
                ResultEvent::ResultPublished { .. } => {
                    let content = serde_json::to_string(&state.content)
                        .map_err(|e| StoreError::Encoding(e.to_string()))?;
                    published = Some((content, at));
                }
                ResultEvent::PublicationOverdue { .. }
                | ResultEvent::PublicationDeadlineRecounted { .. } => {}
            }
            state = InspectionResult::apply_event(state, e.payload);
        }
        let (Some((task, uscc)), Some(content), Some(deadline)) =
            (&state.subject, &state.content, state.deadline)
        else {
            return Ok(());
        };
        let task = task.hyphenated().to_string();
        tx.exec(
            "DELETE FROM inspection_results WHERE task_id = $1 AND uscc = $2",
            &[Bind::Text(&task), Bind::Text(uscc.as_str())],
        )
        .await?;
        let json =
            serde_json::to_string(content).map_err(|e| StoreError::Encoding(e.to_string()))?;
        let (published_content, published_at) = match &published {
            Some((c, a)) => (Some(c.as_str()), Some(a.as_str())),
            None => (None, None),
        };
        tx.exec(
            "INSERT INTO inspection_results (task_id, uscc, attempt, version, category, follow_up, \
             inspection_date, deadline, content, recorded_at, corrections, published_version, \
             published_content, published_at, global_sequence) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                Bind::Text(&task),
                Bind::Text(uscc.as_str()),
                Bind::Int(i64::from(state.attempt)),
                Bind::Int(i64::from(state.version)),
                Bind::Text(content.category.as_str()),
                Bind::Text(content.follow_up.as_str()),
                Bind::Text(&content.inspection_date.format("%Y-%m-%d").to_string()),
                Bind::Text(&deadline.format("%Y-%m-%d").to_string()),
                Bind::Text(&json),
                Bind::Text(&recorded_at),
                Bind::Int(corrections),
                Bind::OptInt(state.published.map(i64::from)),
                Bind::OptText(published_content),
                Bind::OptText(published_at),
                Bind::Int(global_sequence as i64),
            ],
        )
        .await
    }
}

/// A result whose current version is not published yet.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DueResult {
    /// The task.
    pub task_id: String,
    /// The subject.
    pub uscc: String,
    /// The current version.
    pub version: i64,
    /// The version published, if an earlier one was.
    pub published_version: Option<i64>,
    /// The day of the visit.
    pub inspection_date: String,
    /// Publish by this day.
    pub deadline: String,
}

/// Results whose current version is unpublished, by deadline.
pub async fn due_results(db: &Database) -> Result<Vec<DueResult>, StoreError> {
    const SQL: &str = "SELECT task_id, uscc, version, published_version, inspection_date, \
        deadline FROM inspection_results \
        WHERE published_version IS NULL OR published_version < version \
        ORDER BY deadline, task_id, uscc";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL).fetch_all($pool).await? {
                out.push(DueResult {
                    task_id: r.try_get("task_id")?,
                    uscc: r.try_get("uscc")?,
                    version: r.try_get("version")?,
                    published_version: r.try_get("published_version")?,
                    inspection_date: r.try_get("inspection_date")?,
                    deadline: r.try_get("deadline")?,
                });
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    })
}

/// The subjects whose result is recorded in draw `attempt` of `task`, in USCC order: a
/// draw whose results exist may no longer be changed (recusal, redraw; docs/TASKS.md).
pub async fn recorded_subjects(
    db: &Database,
    task: &str,
    attempt: i64,
) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "SELECT uscc FROM inspection_results WHERE task_id = $1 AND attempt = $2 \
        ORDER BY uscc";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL)
                .bind(task)
                .bind(attempt)
                .fetch_all($pool)
                .await?
            {
                out.push(r.try_get("uscc")?);
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    })
}

/// A published result as the public sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicResult {
    /// The task.
    pub task_id: String,
    /// The subject.
    pub uscc: String,
    /// The version published.
    pub version: i64,
    /// When it was published.
    pub published_at: String,
    /// The published content (masked by the caller before it leaves the service).
    pub content: serde_json::Value,
}

/// Published results, of one task (`Some`) or of all, newest publication first.
pub async fn public_results(
    db: &Database,
    task: Option<&str>,
    limit: i64,
) -> Result<Vec<PublicResult>, StoreError> {
    const SQL: &str = "SELECT task_id, uscc, published_version, published_at, \
        published_content FROM inspection_results \
        WHERE published_version IS NOT NULL AND (CAST($1 AS TEXT) IS NULL OR task_id = $1) \
        ORDER BY published_at DESC, task_id, uscc LIMIT $2";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL)
                .bind(task)
                .bind(limit)
                .fetch_all($pool)
                .await?
            {
                let content: Option<String> = r.try_get("published_content")?;
                out.push(PublicResult {
                    task_id: r.try_get("task_id")?,
                    uscc: r.try_get("uscc")?,
                    version: r
                        .try_get::<Option<i64>, _>("published_version")?
                        .unwrap_or(0),
                    published_at: r
                        .try_get::<Option<String>, _>("published_at")?
                        .unwrap_or_default(),
                    content: serde_json::from_str(content.as_deref().unwrap_or("null"))?,
                });
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    })
}
