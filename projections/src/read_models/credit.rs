//! Read models of credit (信用): `credit_facts`, every credit-subject event with its
//! ledger position and recording time, indexed by subject, from which every check is
//! answered bitemporally; `credit_entries`, one row per list entry as currently known,
//! to find the subjects of a list snapshot; and `credit_queries`, the query log by
//! subject and requester with each answer exactly as given. All written in the event's
//! transaction and rebuildable from the log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use esrs::store::StoreEvent;
use esrs::Aggregate;
use jianxin_domain::credit::query::{CreditQuery, QueryEvent};
use jianxin_domain::credit::{CreditEvent, CreditSubject, Fact, ListId};
use jianxin_domain::event_log::format_micros;
use serde::Serialize;
use sqlx::Row;

use crate::store::{Bind, ReadModel, Tx};
use crate::{Database, StoreError};

/// `credit_facts` and `credit_entries`.
pub struct CreditFacts;

fn enc<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Encoding(e.to_string()))
}

#[async_trait]
impl ReadModel<CreditSubject> for CreditFacts {
    fn name(&self) -> &'static str {
        "credit_facts"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["credit_facts", "credit_entries", "credit_penalties"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<CreditSubject as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let recorded = &event.payload;
        let seq = global_sequence as i64;
        let at = format_micros(&recorded.recorded_at);
        let subject = event.aggregate_id.hyphenated().to_string();
        let uscc = match &recorded.event {
            CreditEvent::CreditRecorded { uscc, .. } | CreditEvent::ListEntered { uscc, .. } => {
                uscc.as_str().to_string()
            }
            _ => tx
                .text(
                    "SELECT uscc FROM credit_facts WHERE subject_id = $1 LIMIT 1",
                    &[&subject],
                )
                .await?
                .unwrap_or_default(),
        };
        tx.exec(
            "INSERT INTO credit_facts (subject_id, uscc, global_sequence, recorded_at, event) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                Bind::Text(&subject),
                Bind::Text(&uscc),
                Bind::Int(seq),
                Bind::Text(&at),
                Bind::Text(&enc(&recorded.event)?),
            ],
        )
        .await?;
        match &recorded.event {
            CreditEvent::CreditRecorded {
                record_id, record, ..
            } if record.source == jianxin_domain::credit::RecordSource::Penalty => {
                let severity = record
                    .penalty
                    .unwrap_or(jianxin_domain::credit::PenaltySeverity::Ordinary);
                tx.exec(
                    "INSERT INTO credit_penalties (record_id, subject_id, effective_on, severity, \
                     global_sequence) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        Bind::Text(&record_id.hyphenated().to_string()),
                        Bind::Text(&subject),
                        Bind::Text(&record.effective_on.to_string()),
                        Bind::Text(severity.as_str()),
                        Bind::Int(seq),
                    ],
                )
                .await
            }
            CreditEvent::ListEntered {
                entry_id,
                uscc,
                list,
                reason,
                entered_on,
                until,
                ..
            } => {
                let until = until.map(|d| d.to_string());
                tx.exec(
                    "INSERT INTO credit_entries (entry_id, uscc, subject_id, list, reason, \
                     entered_on, until, ended_on, annulled, global_sequence) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 0, $8)",
                    &[
                        Bind::Text(&entry_id.hyphenated().to_string()),
                        Bind::Text(uscc.as_str()),
                        Bind::Text(&subject),
                        Bind::Text(list.as_str()),
                        Bind::Text(reason),
                        Bind::Text(&entered_on.to_string()),
                        Bind::OptText(until.as_deref()),
                        Bind::Int(seq),
                    ],
                )
                .await
            }
            CreditEvent::ListRemoved {
                entry_id,
                removed_on,
                ..
            }
            | CreditEvent::RepairDecided {
                entry_id,
                effective_on: Some(removed_on),
                ..
            } => {
                tx.exec(
                    "UPDATE credit_entries SET ended_on = $1 WHERE entry_id = $2",
                    &[
                        Bind::Text(&removed_on.to_string()),
                        Bind::Text(&entry_id.hyphenated().to_string()),
                    ],
                )
                .await
            }
            CreditEvent::ListEntryAnnulled { entry_id, .. } => {
                tx.exec(
                    "UPDATE credit_entries SET annulled = 1 WHERE entry_id = $1",
                    &[Bind::Text(&entry_id.hyphenated().to_string())],
                )
                .await
            }
            // an annulled penalty has no publicity for the scheduler to end
            CreditEvent::RecordAnnulled { record_id, .. } => {
                tx.exec(
                    "DELETE FROM credit_penalties WHERE record_id = $1",
                    &[Bind::Text(&record_id.hyphenated().to_string())],
                )
                .await
            }
            _ => Ok(()),
        }
    }
}

/// `credit_queries`.
pub struct CreditQueries;

#[async_trait]
impl ReadModel<CreditQuery> for CreditQueries {
    fn name(&self) -> &'static str {
        "credit_queries"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["credit_queries"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<CreditQuery as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let recorded = &event.payload;
        let id = event.aggregate_id.hyphenated().to_string();
        match &recorded.event {
            QueryEvent::CreditChecked { .. } => {
                let Some(row) = checked_row(event, global_sequence)? else {
                    return Ok(());
                };
                insert_checked(&[row], tx).await
            }
            QueryEvent::FeedbackRecorded { .. } => {
                let events = tx
                    .events::<<CreditQuery as Aggregate>::Event>(
                        CreditQuery::NAME,
                        event.aggregate_id,
                    )
                    .await?;
                let feedback: Vec<serde_json::Value> = events
                    .iter()
                    .filter_map(|e| match &e.payload.event {
                        QueryEvent::FeedbackRecorded {
                            measure_applied,
                            note,
                        } => Some(serde_json::json!({
                            "measure_applied": measure_applied,
                            "note": note,
                            "by": e.payload.actor.user,
                            "at": format_micros(&e.payload.recorded_at),
                        })),
                        _ => None,
                    })
                    .collect();
                tx.exec(
                    "UPDATE credit_queries SET feedback = $1 WHERE query_id = $2",
                    &[Bind::Text(&enc(&feedback)?), Bind::Text(&id)],
                )
                .await
            }
        }
    }
    /// The query log's groups of answers as one multi-row insert; anything else (a
    /// feedback among them) one event at a time.
    async fn apply_all(
        &self,
        events: &[(&StoreEvent<<CreditQuery as Aggregate>::Event>, u64)],
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(events.len());
        for (event, global_sequence) in events {
            match checked_row(event, *global_sequence)? {
                Some(row) => rows.push(row),
                None => {
                    // not an answer (a feedback among them): one event at a time
                    for (event, global_sequence) in events {
                        self.apply(event, *global_sequence, tx.reborrow()).await?;
                    }
                    return Ok(());
                }
            }
        }
        insert_checked(&rows, tx).await
    }
}

/// A `credit_queries` row of a logged answer: its text values in column order, then its
/// `log_seq` and `global_sequence`. The answer itself is not copied: it is read from the
/// event (see [`logged_rows`]).
type CheckedRow = ([String; 10], i64, i64);

/// The row of `event` if it is a logged answer (`None` for any other event).
fn checked_row(
    event: &StoreEvent<<CreditQuery as Aggregate>::Event>,
    global_sequence: u64,
) -> Result<Option<CheckedRow>, StoreError> {
    let recorded = &event.payload;
    let QueryEvent::CreditChecked { answer, purpose } = &recorded.event else {
        return Ok(None);
    };
    Ok(Some((
        [
            event.aggregate_id.hyphenated().to_string(),
            answer.subject.clone(),
            answer.scenario.clone(),
            answer.date.to_string(),
            format_micros(&answer.known_at),
            recorded.actor.user.clone(),
            recorded.actor.role.as_str().to_string(),
            purpose.clone(),
            enc(&answer.decision)?.replace('"', ""),
            format_micros(&recorded.recorded_at),
        ],
        answer.log_seq as i64,
        global_sequence as i64,
    )))
}

/// Inserts `rows` into `credit_queries` (no feedback yet) in as few statements as fit.
async fn insert_checked(rows: &[CheckedRow], mut tx: Tx<'_>) -> Result<(), StoreError> {
    let mut binds = Vec::with_capacity(rows.len() * 12);
    for (text, log_seq, global_sequence) in rows {
        binds.extend(text[..9].iter().map(|t| Bind::Text(t)));
        binds.push(Bind::Int(*log_seq));
        binds.push(Bind::Text(&text[9]));
        binds.push(Bind::Int(*global_sequence));
    }
    tx.exec_rows(
        "INSERT INTO credit_queries (query_id, uscc, scenario, valid_date, known_at, \
         requester, role, purpose, decision, log_seq, recorded_at, \
         global_sequence, feedback)",
        12,
        ", '[]'",
        &binds,
    )
    .await
}

pub(super) fn parse_at(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| StoreError::Encoding(format!("recorded_at {s:?}: {e}")))
}

/// The facts of the credit subject `subject_id` at ledger positions up to `log_seq`.
pub async fn credit_facts(
    db: &Database,
    subject_id: &str,
    log_seq: u64,
) -> Result<Vec<Fact>, StoreError> {
    const SQL: &str = "SELECT global_sequence, recorded_at, event FROM credit_facts \
        WHERE subject_id = $1 AND global_sequence <= $2 ORDER BY global_sequence";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL)
                .bind(subject_id)
                .bind(log_seq as i64)
                .fetch_all($pool)
                .await?
            {
                let event: String = r.try_get("event")?;
                out.push(Fact {
                    seq: r.try_get::<i64, _>("global_sequence")? as u64,
                    recorded_at: parse_at(&r.try_get::<String, _>("recorded_at")?)?,
                    event: serde_json::from_str(&event)?,
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

/// What one credit check reads from the store, taken in one statement and so from one
/// snapshot: the log position the answer is computed at, the highest stored version
/// number of the credit rules and of the measures catalogue (to tell whether the kept
/// versions are current), and the subject's facts at positions up to that log position.
#[derive(Debug)]
pub struct CheckReading {
    /// The current ledger position.
    pub log_seq: u64,
    /// The highest ledger position of any credit fact (of any subject) at `log_seq`.
    pub facts_seq: u64,
    /// Highest version number of the credit rules (0: none stored).
    pub rule_versions: i64,
    /// Highest version number of the measures catalogue (0: none stored).
    pub catalogue_versions: i64,
    /// The subject's facts in ledger order: all those at or before `log_seq`, and (when
    /// kept in memory, [`super::CreditFactsCache`]) perhaps later ones, which
    /// [`CheckReading::facts`] leaves out.
    pub(crate) facts: std::sync::Arc<Vec<Fact>>,
}

impl CheckReading {
    /// The subject's facts at or before `log_seq`, in ledger order.
    pub fn facts(&self) -> &[Fact] {
        let end = self.facts.partition_point(|f| f.seq <= self.log_seq);
        &self.facts[..end]
    }

    fn empty() -> CheckReading {
        CheckReading {
            log_seq: 0,
            facts_seq: 0,
            rule_versions: 0,
            catalogue_versions: 0,
            facts: std::sync::Arc::default(),
        }
    }

    /// Takes one row of [`CHECK_READING`]: the header values, and a fact unless the
    /// subject has none (then the row is the header alone).
    #[allow(clippy::too_many_arguments)]
    fn add_row(
        &mut self,
        log_seq: i64,
        facts_seq: i64,
        rules: i64,
        measures: i64,
        seq: Option<i64>,
        recorded_at: Option<String>,
        event: Option<String>,
    ) -> Result<(), StoreError> {
        self.log_seq = log_seq as u64;
        self.facts_seq = facts_seq as u64;
        self.rule_versions = rules;
        self.catalogue_versions = measures;
        if let (Some(seq), Some(recorded_at), Some(event)) = (seq, recorded_at, event) {
            std::sync::Arc::make_mut(&mut self.facts).push(Fact {
                seq: seq as u64,
                recorded_at: parse_at(&recorded_at)?,
                event: serde_json::from_str(&event)?,
            });
        }
        Ok(())
    }
}

/// [`CheckReading`] of credit subject `subject_id`: one round trip to the database
/// instead of four (the log position, two version counts, the facts), which is most of
/// what a check costs under load.
pub async fn check_reading(db: &Database, subject_id: &str) -> Result<CheckReading, StoreError> {
    use jianxin_domain::reference_data::ReferenceKind;
    let mut reading = CheckReading::empty();
    macro_rules! run {
        ($pool:expr) => {{
            for r in sqlx::query(CHECK_READING)
                .bind(subject_id)
                .bind(ReferenceKind::CreditRules.as_str())
                .bind(ReferenceKind::Measures.as_str())
                .fetch_all($pool)
                .await?
            {
                reading.add_row(
                    r.try_get("log_seq")?,
                    r.try_get("facts_seq")?,
                    r.try_get("rules")?,
                    r.try_get("measures")?,
                    r.try_get("global_sequence")?,
                    r.try_get("recorded_at")?,
                    r.try_get("event")?,
                )?;
            }
        }};
    }
    match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    }
    Ok(reading)
}

/// [`check_reading`] on SQLite through `reader`, on the calling thread: the same
/// statement, the same rows.
pub fn check_reading_inline(
    reader: &crate::store::SqliteReader,
    subject_id: &str,
) -> Result<CheckReading, StoreError> {
    use jianxin_domain::reference_data::ReferenceKind;
    let rows = reader.read(|c| {
        let mut statement = c.prepare_cached(CHECK_READING)?;
        let rows = statement.query_map(
            rusqlite::named_params! {
                "$1": subject_id,
                "$2": ReferenceKind::CreditRules.as_str(),
                "$3": ReferenceKind::Measures.as_str(),
            },
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })?;
    let mut reading = CheckReading::empty();
    for (log_seq, facts_seq, rules, measures, seq, recorded_at, event) in rows {
        reading.add_row(log_seq, facts_seq, rules, measures, seq, recorded_at, event)?;
    }
    Ok(reading)
}

/// The head of a check's reading, as one row `(log_seq, facts_seq, rules, measures)`:
/// the log position, the highest credit-fact position, and the highest version numbers
/// of the credit rules (`$2`) and of the measures catalogue (`$3`). One text for the
/// full reading ([`CHECK_READING`]) and the head alone ([`super::CreditFactsCache`]).
macro_rules! check_head {
    () => {
        "SELECT \
          (SELECT COALESCE(MAX(global_sequence), 0) FROM ledger) AS log_seq, \
          (SELECT COALESCE(MAX(global_sequence), 0) FROM credit_facts) AS facts_seq, \
          (SELECT COALESCE(MAX(version), 0) FROM reference_data_versions WHERE kind = $2) AS rules, \
          (SELECT COALESCE(MAX(version), 0) FROM reference_data_versions WHERE kind = $3) AS measures"
    };
}
pub(super) use check_head;

/// The statement of [`check_reading`]: `$1` the subject id, `$2` and `$3` the reference
/// kinds of the credit rules and the measures catalogue.
const CHECK_READING: &str = concat!(
    "SELECT h.log_seq, h.facts_seq, h.rules, h.measures, \
        f.global_sequence, f.recorded_at, f.event FROM (",
    check_head!(),
    ") AS h \
        LEFT JOIN credit_facts f ON f.subject_id = $1 AND f.global_sequence <= h.log_seq \
        ORDER BY f.global_sequence"
);

/// Calls `each` with every credit subject's USCC and its facts at ledger positions up to
/// `log_seq`, subject by subject (one subject's facts in memory at a time): the freeze
/// takes the public credit evaluation of every subject that has any credit fact.
pub async fn each_credit_subject(
    db: &Database,
    log_seq: u64,
    mut each: impl FnMut(&str, Vec<Fact>) + Send,
) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT subject_id, uscc, global_sequence, recorded_at, event \
        FROM credit_facts WHERE global_sequence <= $1 ORDER BY subject_id, global_sequence";
    let mut subjects = 0u64;
    let mut current: Option<(String, String)> = None;
    let mut facts: Vec<Fact> = vec![];
    macro_rules! run {
        ($pool:expr) => {{
            let mut rows = sqlx::query(SQL).bind(log_seq as i64).fetch($pool);
            while let Some(r) = futures::TryStreamExt::try_next(&mut rows).await? {
                let subject: String = r.try_get("subject_id")?;
                if current.as_ref().is_some_and(|(id, _)| *id != subject) {
                    if let Some((_, uscc)) = current.take() {
                        each(&uscc, std::mem::take(&mut facts));
                        subjects += 1;
                    }
                }
                if current.is_none() {
                    current = Some((subject, r.try_get("uscc")?));
                }
                let event: String = r.try_get("event")?;
                facts.push(Fact {
                    seq: r.try_get::<i64, _>("global_sequence")? as u64,
                    recorded_at: parse_at(&r.try_get::<String, _>("recorded_at")?)?,
                    event: serde_json::from_str(&event)?,
                });
            }
        }};
    }
    match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    }
    if let Some((_, uscc)) = current {
        each(&uscc, facts);
        subjects += 1;
    }
    Ok(subjects)
}

/// The current ledger position (the basis an answer is computed at).
pub async fn log_position(db: &Database) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT COALESCE(MAX(global_sequence), 0) AS n FROM ledger";
    let n: i64 = match db {
        Database::Sqlite(p) => sqlx::query(SQL).fetch_one(p).await?.try_get("n")?,
        Database::Postgres(p) => sqlx::query(SQL).fetch_one(p).await?.try_get("n")?,
    };
    Ok(n as u64)
}

/// The credit-subject ids (with their USCC) that ever had an entry on one of `lists`.
pub async fn subjects_on_lists(
    db: &Database,
    lists: &[ListId],
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT DISTINCT subject_id, uscc FROM credit_entries \
        WHERE list = $1 ORDER BY uscc";
    let mut out: Vec<(String, String)> = vec![];
    for list in lists {
        macro_rules! run {
            ($pool:expr) => {{
                for r in sqlx::query(SQL)
                    .bind(list.as_str())
                    .fetch_all($pool)
                    .await?
                {
                    out.push((r.try_get("subject_id")?, r.try_get("uscc")?));
                }
            }};
        }
        match db {
            Database::Sqlite(p) => run!(p),
            Database::Postgres(p) => run!(p),
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out.dedup();
    Ok(out)
}

/// One logged query.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoggedQuery {
    /// The query id.
    pub query_id: String,
    /// The subject.
    pub subject: String,
    /// The scenario.
    pub scenario: String,
    /// The valid date asked about.
    pub date: String,
    /// Who asked.
    pub requester: String,
    /// Its role.
    pub role: String,
    /// The stated purpose.
    pub purpose: String,
    /// The decision given.
    pub decision: String,
    /// When it was asked.
    pub asked_at: String,
    /// The answer exactly as given.
    pub answer: serde_json::Value,
    /// Feedback recorded by the asker.
    pub feedback: serde_json::Value,
}

/// Logged queries filtered by subject, requester and/or id, newest first, at most `limit`.
/// Each filter has its own statement so that an index drives it; on SQLite the subject's
/// answers are found through [`crate::store::QuerySubjectIndex`].
pub async fn logged_queries(
    log: &crate::EventLog,
    query_id: Option<&str>,
    subject: Option<&str>,
    requester: Option<&str>,
    limit: i64,
) -> Result<Vec<LoggedQuery>, StoreError> {
    const ONE: &str = "WHERE query_id = $1 AND (CAST($2 AS TEXT) IS NULL OR uscc = $2) \
        AND (CAST($3 AS TEXT) IS NULL OR requester = $3) ORDER BY global_sequence DESC LIMIT $4";
    const SUBJECT: &str = "WHERE uscc = $1 AND (CAST($2 AS TEXT) IS NULL OR requester = $2) \
        ORDER BY global_sequence DESC LIMIT $3";
    const REQUESTER: &str = "WHERE requester = $1 ORDER BY global_sequence DESC LIMIT $2";
    const ALL: &str = "ORDER BY global_sequence DESC LIMIT $1";
    let db = log.database();
    match (query_id, subject, requester) {
        (Some(id), subject, requester) => {
            logged_rows(db, ONE, &[Some(id), subject, requester], limit).await
        }
        (None, Some(uscc), requester) => match log.query_subjects() {
            Some(index) => by_indexed_subject(db, index, uscc, requester, limit).await,
            None => logged_rows(db, SUBJECT, &[Some(uscc), requester], limit).await,
        },
        (None, None, Some(requester)) => {
            logged_rows(db, REQUESTER, &[Some(requester)], limit).await
        }
        (None, None, None) => logged_rows(db, ALL, &[], limit).await,
    }
}

/// The subject's answers at the positions its index gives, a thousand positions a
/// statement, until `limit` rows pass the requester filter.
async fn by_indexed_subject(
    db: &Database,
    index: &std::sync::Arc<crate::store::QuerySubjectIndex>,
    uscc: &str,
    requester: Option<&str>,
    limit: i64,
) -> Result<Vec<LoggedQuery>, StoreError> {
    const AT: &str = "WHERE global_sequence IN (SELECT value FROM json_each($1)) AND uscc = $2 \
        AND (CAST($3 AS TEXT) IS NULL OR requester = $3) ORDER BY global_sequence DESC LIMIT $4";
    let asked = uscc.to_string();
    let positions = index.off_runtime(move |i| i.positions(&asked)).await?;
    let mut out = Vec::new();
    for chunk in positions.chunks(1_000) {
        let left = limit - out.len() as i64;
        if left <= 0 {
            break;
        }
        let json = serde_json::to_string(chunk)?;
        out.extend(logged_rows(db, AT, &[Some(&json), Some(uscc), requester], left).await?);
    }
    Ok(out)
}

/// The rows of `credit_queries` that `filter` (its parameters `binds`, then the limit)
/// selects, each with the answer exactly as logged: read from its event, the first of the
/// query's aggregate.
async fn logged_rows(
    db: &Database,
    filter: &'static str,
    binds: &[Option<&str>],
    limit: i64,
) -> Result<Vec<LoggedQuery>, StoreError> {
    const COLUMNS: &str = "SELECT query_id, uscc, scenario, valid_date, requester, role, \
        purpose, decision, recorded_at, feedback,";
    const SQLITE: &str = "json_extract(e.payload, '$.data.answer') AS answer \
        FROM credit_queries JOIN credit_query_events e \
        ON e.aggregate_id = query_id AND e.sequence_number = 1";
    const POSTGRES: &str = "(e.payload -> 'data' -> 'answer')::text AS answer \
        FROM credit_queries JOIN credit_query_events e \
        ON e.aggregate_id = query_id::uuid AND e.sequence_number = 1";
    // sql-safe: only the constants above are interpolated; values are bound
    let sql = match db {
        Database::Sqlite(_) => format!("{COLUMNS} {SQLITE} {filter}"),
        Database::Postgres(_) => format!("{COLUMNS} {POSTGRES} {filter}"),
    };
    macro_rules! run {
        ($pool:expr) => {{
            let mut query = sqlx::query(&sql);
            for bind in binds {
                query = query.bind(*bind);
            }
            let mut out = vec![];
            for r in query.bind(limit).fetch_all($pool).await? {
                let answer: String = r.try_get("answer")?;
                let feedback: String = r.try_get("feedback")?;
                out.push(LoggedQuery {
                    query_id: r.try_get("query_id")?,
                    subject: r.try_get("uscc")?,
                    scenario: r.try_get("scenario")?,
                    date: r.try_get("valid_date")?,
                    requester: r.try_get("requester")?,
                    role: r.try_get("role")?,
                    purpose: r.try_get("purpose")?,
                    decision: r.try_get("decision")?,
                    asked_at: r.try_get("recorded_at")?,
                    answer: serde_json::from_str(&answer)?,
                    feedback: serde_json::from_str(&feedback)?,
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

/// One change of the credit lists, for subscribers.
#[derive(Debug, Clone, Serialize)]
pub struct CreditChange {
    /// The ledger position (the cursor to resume after).
    pub seq: u64,
    /// The subject.
    pub subject: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// The event.
    pub event: CreditEvent,
}

/// Credit events after ledger position `after`, in order, at most `limit`.
pub async fn credit_changes(
    db: &Database,
    after: u64,
    limit: i64,
) -> Result<Vec<CreditChange>, StoreError> {
    const SQL: &str = "SELECT global_sequence, uscc, recorded_at, event FROM credit_facts \
        WHERE global_sequence > $1 ORDER BY global_sequence LIMIT $2";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL)
                .bind(after as i64)
                .bind(limit)
                .fetch_all($pool)
                .await?
            {
                let event: String = r.try_get("event")?;
                out.push(CreditChange {
                    seq: r.try_get::<i64, _>("global_sequence")? as u64,
                    subject: r.try_get("uscc")?,
                    recorded_at: r.try_get("recorded_at")?,
                    event: serde_json::from_str(&event)?,
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

/// Subjects whose name (in any version) contains `name`, at most `limit`, by USCC: the
/// candidates a credit officer picks from (a name never yields a decision).
pub async fn subjects_named(
    db: &Database,
    name: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT uscc, MAX(name) AS name FROM subject_versions \
        WHERE name LIKE $1 ESCAPE '\\' GROUP BY uscc ORDER BY uscc LIMIT $2";
    let escaped: String = name
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL)
                .bind(&pattern)
                .bind(limit)
                .fetch_all($pool)
                .await?
            {
                out.push((r.try_get("uscc")?, r.try_get("name")?));
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    })
}
