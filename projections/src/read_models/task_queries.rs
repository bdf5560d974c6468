//! Queries the draw needs: the directories as of the freeze date, typed back into the
//! domain's records (a row the domain would refuse is a corrupt read model, reported,
//! never skipped), the random-inspection history, and the task lists for planners,
//! inspectors and the public. SQL text is fixed; every value is bound.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use futures::TryStreamExt;
use jianxin_domain::directory::{
    Certificate, DepartmentCode, IndustryCode, InspectorId, InspectorRecord, InspectorStatus,
    Qualification, RiskClass, SubjectKind, SubjectRecord, SubjectStatus, Tag,
};
use jianxin_domain::draw::Relationship;
use jianxin_domain::identifiers::{RegionCode, Uscc};
use jianxin_domain::task::eligibility::{InspectionHistory, PastInspection};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::{Database, StoreError};

const AS_OF: &str = "valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)";

fn corrupt(table: &str, key: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Encoding(format!(
        "read model {table}, row {key}: {what} (rebuild with `jianxin projections rebuild`)"
    ))
}

fn split_bars(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').filter(|x| !x.is_empty())
}

fn day(table: &str, key: &str, text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| corrupt(table, key, e))
}

/// The texts of one `subject_versions` row, in column order.
type SubjectColumns = [String; 9];

fn subject_record(c: SubjectColumns) -> Result<SubjectRecord, StoreError> {
    let t = "subject_versions";
    let [uscc, name, kind, industry, region, registered, status, risk, tags] = c;
    let key = uscc.clone();
    let bad = |e: &dyn std::fmt::Display| corrupt(t, &key, e);
    Ok(SubjectRecord {
        uscc: Uscc::parse(&uscc).map_err(|e| bad(&e))?,
        name,
        kind: SubjectKind::parse(&kind).map_err(|e| bad(&e))?,
        industry: IndustryCode::parse(&industry).map_err(|e| bad(&e))?,
        region: RegionCode::parse(&region).map_err(|e| bad(&e))?,
        registration_date: day(t, &key, &registered)?,
        status: SubjectStatus::parse(&status).map_err(|e| bad(&e))?,
        risk_class: RiskClass::parse(&risk).map_err(|e| bad(&e))?,
        tags: split_bars(&tags)
            .map(Tag::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map_err(|e| bad(&e))?,
    })
}

/// Calls `each` with every subject of the directory as of `as_of`, in USCC order,
/// streaming (the directory is never held in memory at once).
pub async fn each_subject_as_of(
    db: &Database,
    as_of: NaiveDate,
    mut each: impl FnMut(SubjectRecord) + Send,
) -> Result<u64, StoreError> {
    // sql-safe: only the constant `AS_OF` clause is interpolated; the date is bound
    let sql = format!(
        "SELECT uscc, name, kind, industry, region, registration_date, status, risk_class, tags \
         FROM subject_versions WHERE {AS_OF} ORDER BY uscc"
    );
    let d = as_of.format("%Y-%m-%d").to_string();
    let mut n = 0u64;
    macro_rules! run {
        ($pool:expr) => {{
            let mut rows = sqlx::query(&sql).bind(&d).fetch($pool);
            while let Some(r) = rows.try_next().await? {
                let mut c: SubjectColumns = Default::default();
                for (i, slot) in c.iter_mut().enumerate() {
                    *slot = r.try_get::<String, _>(i)?;
                }
                each(subject_record(c)?);
                n += 1;
            }
        }};
    }
    match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    }
    Ok(n)
}

/// Every inspector of the directory as of `as_of`, in id order.
pub async fn inspectors_as_of(
    db: &Database,
    as_of: NaiveDate,
) -> Result<Vec<InspectorRecord>, StoreError> {
    // sql-safe: only the constant `AS_OF` clause is interpolated; the date is bound
    let sql = format!(
        "SELECT inspector_id, name, department, patrol_areas, certificate_number, \
         certificate_issued_on, certificate_expires_on, qualifications, expert, status \
         FROM inspector_versions WHERE {AS_OF} ORDER BY inspector_id"
    );
    let d = as_of.format("%Y-%m-%d").to_string();
    let t = "inspector_versions";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(&sql).bind(&d).fetch_all($pool).await? {
                let key: String = r.try_get("inspector_id")?;
                let text = |c: &str| r.try_get::<String, _>(c);
                let bad = |e: &dyn std::fmt::Display| corrupt(t, &key, e);
                out.push(InspectorRecord {
                    id: InspectorId::parse(&key).map_err(|e| bad(&e))?,
                    name: text("name")?,
                    department: DepartmentCode::parse(&text("department")?).map_err(|e| bad(&e))?,
                    patrol_areas: split_bars(&text("patrol_areas")?)
                        .map(RegionCode::parse)
                        .collect::<Result<BTreeSet<_>, _>>()
                        .map_err(|e| bad(&e))?,
                    certificate: Certificate {
                        number: text("certificate_number")?,
                        issued_on: day(t, &key, &text("certificate_issued_on")?)?,
                        expires_on: day(t, &key, &text("certificate_expires_on")?)?,
                    },
                    qualifications: split_bars(&text("qualifications")?)
                        .map(Qualification::parse)
                        .collect::<Result<BTreeSet<_>, _>>()
                        .map_err(|e| bad(&e))?,
                    expert: r.try_get::<i64, _>("expert")? != 0,
                    status: InspectorStatus::parse(&text("status")?).map_err(|e| bad(&e))?,
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

/// Declared, not withdrawn relationships declared on or before `as_of`.
pub async fn relationships_as_of(
    db: &Database,
    as_of: NaiveDate,
) -> Result<Vec<Relationship>, StoreError> {
    const SQL: &str = "SELECT DISTINCT inspector_id, uscc FROM inspector_relationships \
                       WHERE declared_on <= $1 ORDER BY uscc, inspector_id";
    let d = as_of.format("%Y-%m-%d").to_string();
    let t = "inspector_relationships";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL).bind(&d).fetch_all($pool).await? {
                let id: String = r.try_get(0)?;
                let uscc: String = r.try_get(1)?;
                out.push(Relationship {
                    uscc: Uscc::parse(&uscc).map_err(|e| corrupt(t, &id, e))?,
                    inspector: InspectorId::parse(&id).map_err(|e| corrupt(t, &id, e))?,
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

/// Every standing random inspection (draws not set aside by a redraw), by subject.
pub async fn inspection_history(db: &Database) -> Result<InspectionHistory, StoreError> {
    const SQL: &str = "SELECT task_id, department, uscc, inspection_date, members, drawn_at \
                       FROM random_inspections";
    let t = "random_inspections";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            let mut rows = sqlx::query(SQL).fetch($pool);
            while let Some(r) = rows.try_next().await? {
                let task: String = r.try_get(0)?;
                let bad = |e: &dyn std::fmt::Display| corrupt(t, &task, e);
                out.push(PastInspection {
                    task_id: Uuid::parse_str(&task).map_err(|e| bad(&e))?,
                    department: DepartmentCode::parse(&r.try_get::<String, _>(1)?)
                        .map_err(|e| bad(&e))?,
                    uscc: Uscc::parse(&r.try_get::<String, _>(2)?).map_err(|e| bad(&e))?,
                    inspection_date: day(t, &task, &r.try_get::<String, _>(3)?)?,
                    members: split_bars(&r.try_get::<String, _>(4)?)
                        .map(InspectorId::parse)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| bad(&e))?,
                    position: u64::try_from(r.try_get::<i64, _>(5)?).unwrap_or(0),
                });
            }
            out
        }};
    }
    let mut records = match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    };
    // Where a result is recorded, the visit as it happened: its date and the members
    // present (issue 6), rather than the date and team of the draw.
    let visits = recorded_visits(db).await?;
    for r in &mut records {
        let key = (
            r.task_id.hyphenated().to_string(),
            r.uscc.as_str().to_string(),
        );
        if let Some((date, members)) = visits.get(&key) {
            r.inspection_date = *date;
            r.members = members.clone();
        }
    }
    Ok(InspectionHistory::new(records))
}

type Visits = std::collections::HashMap<(String, String), (NaiveDate, Vec<InspectorId>)>;

/// The visits recorded in results: (task, USCC) → (inspection date, members present).
async fn recorded_visits(db: &Database) -> Result<Visits, StoreError> {
    const SQL: &str = "SELECT task_id, uscc, inspection_date, content FROM inspection_results";
    let t = "inspection_results";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = Visits::new();
            let mut rows = sqlx::query(SQL).fetch($pool);
            while let Some(r) = rows.try_next().await? {
                let task: String = r.try_get(0)?;
                let uscc: String = r.try_get(1)?;
                let date = day(t, &task, &r.try_get::<String, _>(2)?)?;
                let content: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>(3)?)?;
                let members = content["members"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|m| m.as_str())
                            .map(InspectorId::parse)
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()
                    .map_err(|e| corrupt(t, &task, &e))?
                    .unwrap_or_default();
                out.insert((task, uscc), (date, members));
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    })
}

/// A task as listed (`jianxin task list`, `GET /v1/public/tasks`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskRow {
    /// The task id.
    pub id: String,
    /// 任务名称.
    pub title: String,
    /// The departments (two or more: a joint task).
    pub departments: Vec<String>,
    /// `open`, `frozen`, `drawn` or `draw_failed`.
    pub status: String,
    /// The inspection date.
    pub inspection_date: String,
    /// First day of the window.
    pub window_from: String,
    /// Last day of the window.
    pub window_to: String,
    /// The rules version.
    pub rules_version: i64,
    /// Draws run so far.
    pub attempts: i64,
    /// The drand round fixed at the freeze.
    pub beacon_round: Option<i64>,
    /// Subjects in the frozen pool.
    pub pool_size: Option<i64>,
    /// Subjects excluded at the freeze, each with its reason.
    pub excluded: Option<i64>,
    /// Subjects drawn.
    pub drawn_subjects: Option<i64>,
    /// Recusals declared.
    pub recusals: i64,
    /// Who created it.
    pub planner: String,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// Tasks, newest first; only those in `status` when given.
pub async fn list_tasks(
    db: &Database,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<TaskRow>, StoreError> {
    const SQL: &str = "SELECT task_id, title, departments, status, inspection_date, \
        window_from, window_to, rules_version, attempts, beacon_round, pool_size, excluded, \
        drawn_subjects, recusals, planner, created_at, updated_at FROM inspection_tasks \
        WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) \
        ORDER BY created_at DESC, task_id LIMIT $2";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL)
                .bind(status)
                .bind(limit)
                .fetch_all($pool)
                .await?
            {
                out.push(TaskRow {
                    id: r.try_get("task_id")?,
                    title: r.try_get("title")?,
                    departments: split_bars(&r.try_get::<String, _>("departments")?)
                        .map(str::to_owned)
                        .collect(),
                    status: r.try_get("status")?,
                    inspection_date: r.try_get("inspection_date")?,
                    window_from: r.try_get("window_from")?,
                    window_to: r.try_get("window_to")?,
                    rules_version: r.try_get("rules_version")?,
                    attempts: r.try_get("attempts")?,
                    beacon_round: r.try_get("beacon_round")?,
                    pool_size: r.try_get("pool_size")?,
                    excluded: r.try_get("excluded")?,
                    drawn_subjects: r.try_get("drawn_subjects")?,
                    recusals: r.try_get("recusals")?,
                    planner: r.try_get("planner")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
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

/// An inspector's assignment in a standing draw.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AssignmentRow {
    /// The task.
    pub task_id: String,
    /// Its title.
    pub title: String,
    /// The subject to visit.
    pub uscc: String,
    /// Its name, as of the inspection date (empty if unknown).
    pub subject_name: String,
    /// The inspection date.
    pub inspection_date: String,
    /// The whole team, the inspector included.
    pub team: Vec<String>,
    /// The draw's number within the task.
    pub attempt: i64,
}

/// The assignments of `inspector`, by inspection date then task and subject.
pub async fn assignments_of(
    db: &Database,
    inspector: &str,
) -> Result<Vec<AssignmentRow>, StoreError> {
    const SQL: &str = "SELECT a.task_id, t.title, a.uscc, a.inspection_date, a.attempt, \
        COALESCE((SELECT s.name FROM subject_versions s WHERE s.uscc = a.uscc \
            AND s.valid_from <= a.inspection_date \
            AND (s.valid_to IS NULL OR s.valid_to > a.inspection_date)), '') AS subject_name, \
        (SELECT r.members FROM random_inspections r WHERE r.task_id = a.task_id \
            AND r.uscc = a.uscc ORDER BY r.department LIMIT 1) AS members \
        FROM task_assignments a JOIN inspection_tasks t ON t.task_id = a.task_id \
        WHERE a.inspector_id = $1 ORDER BY a.inspection_date, a.task_id, a.uscc";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL).bind(inspector).fetch_all($pool).await? {
                let members: Option<String> = r.try_get("members")?;
                out.push(AssignmentRow {
                    task_id: r.try_get("task_id")?,
                    title: r.try_get("title")?,
                    uscc: r.try_get("uscc")?,
                    subject_name: r.try_get("subject_name")?,
                    inspection_date: r.try_get("inspection_date")?,
                    team: split_bars(members.as_deref().unwrap_or_default())
                        .map(str::to_owned)
                        .collect(),
                    attempt: r.try_get("attempt")?,
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
