//! Queries over the directory read models: lists with filters "as of date D" and cursor
//! pagination, and one subject's dated versions. SQL text is fixed; every value is bound.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::{Database, StoreError};

/// A page of results and the cursor of the next page (`None` on the last).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page.
    pub next: Option<String>,
}

/// A subject as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubjectRow {
    /// 统一社会信用代码.
    pub uscc: String,
    /// 名称.
    pub name: String,
    /// 类型.
    pub kind: String,
    /// 行业 (GB/T 4754).
    pub industry: String,
    /// 所属区域 (GB/T 2260).
    pub region: String,
    /// 成立日期.
    pub registration_date: String,
    /// 登记状态.
    pub status: String,
    /// 信用风险分类.
    pub risk_class: String,
    /// 监管标签.
    pub tags: Vec<String>,
    /// First day this version is in force.
    pub valid_from: String,
    /// Day it stops being in force (exclusive), if it has.
    pub valid_to: Option<String>,
}

/// Filters of `subjects list`.
#[derive(Debug, Clone, Default)]
pub struct SubjectFilter {
    /// A division code: the subject's region or any region under it.
    pub region: Option<String>,
    /// Subject kind (stored English name).
    pub kind: Option<String>,
    /// Risk class A–D.
    pub risk: Option<String>,
    /// A supervision tag.
    pub tag: Option<String>,
    /// Status (stored English name).
    pub status: Option<String>,
}

/// An inspector as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectorRow {
    /// Inspector id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Department code.
    pub department: String,
    /// Patrol areas.
    pub patrol_areas: Vec<String>,
    /// Certificate number.
    pub certificate_number: String,
    /// Certificate issue date.
    pub certificate_issued_on: String,
    /// Certificate expiry date.
    pub certificate_expires_on: String,
    /// Qualifications.
    pub qualifications: Vec<String>,
    /// Expert flag.
    pub expert: bool,
    /// active / suspended / retired.
    pub status: String,
    /// First day this version is in force.
    pub valid_from: String,
    /// Day it stops (exclusive), if it has.
    pub valid_to: Option<String>,
}

/// Filters of `inspectors list`.
#[derive(Debug, Clone, Default)]
pub struct InspectorFilter {
    /// Department code.
    pub department: Option<String>,
    /// A patrol area (exact division code).
    pub patrol_area: Option<String>,
    /// A qualification.
    pub qualification: Option<String>,
    /// Status.
    pub status: Option<String>,
}

/// The `LIKE` prefix of a division code: a province or prefecture matches everything
/// under it (`330000` → `33%`, `330100` → `3301%`).
pub fn region_prefix(code: &str) -> String {
    let mut p = code.trim();
    for _ in 0..2 {
        if let Some(s) = p.strip_suffix("00") {
            p = s;
        }
    }
    format!("{}%", escape_like(p))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn member(item: &str) -> String {
    format!("%|{}|%", escape_like(item))
}

fn split_bars(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

const AS_OF: &str = "valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)";

/// Subjects in the directory as of `as_of`, filtered, ordered by USCC, after `after`.
pub async fn list_subjects(
    db: &Database,
    filter: &SubjectFilter,
    as_of: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<SubjectRow>, StoreError> {
    // sql-safe: only the constant `AS_OF` clause is interpolated; the date is bound
    let sql = format!(
        "SELECT uscc, name, kind, industry, region, registration_date, status, risk_class, tags, \
         valid_from, valid_to FROM subject_versions WHERE {AS_OF} \
         AND (CAST($2 AS TEXT) IS NULL OR region LIKE $2 ESCAPE '\\') \
         AND (CAST($3 AS TEXT) IS NULL OR kind = $3) \
         AND (CAST($4 AS TEXT) IS NULL OR risk_class = $4) \
         AND (CAST($5 AS TEXT) IS NULL OR tags LIKE $5 ESCAPE '\\') \
         AND (CAST($6 AS TEXT) IS NULL OR status = $6) \
         AND (CAST($7 AS TEXT) IS NULL OR uscc > $7) \
         ORDER BY uscc LIMIT $8"
    );
    let d = as_of.format("%Y-%m-%d").to_string();
    let region = filter.region.as_deref().map(region_prefix);
    let tag = filter.tag.as_deref().map(member);
    macro_rules! run {
        ($pool:expr) => {{
            let rows = sqlx::query(&sql)
                .bind(&d)
                .bind(region.as_deref())
                .bind(filter.kind.as_deref())
                .bind(filter.risk.as_deref())
                .bind(tag.as_deref())
                .bind(filter.status.as_deref())
                .bind(after)
                .bind(limit + 1)
                .fetch_all($pool)
                .await?;
            let mut out = vec![];
            for r in rows {
                out.push(SubjectRow {
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    industry: r.try_get("industry")?,
                    region: r.try_get("region")?,
                    registration_date: r.try_get("registration_date")?,
                    status: r.try_get("status")?,
                    risk_class: r.try_get("risk_class")?,
                    tags: split_bars(&r.try_get::<String, _>("tags")?),
                    valid_from: r.try_get("valid_from")?,
                    valid_to: r.try_get("valid_to")?,
                });
            }
            out
        }};
    }
    let rows = match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    };
    Ok(page(rows, limit, |r| r.uscc.clone()))
}

fn page<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = if more { rows.last().map(key) } else { None };
    Page { items: rows, next }
}

/// Every dated version of one subject, oldest first (empty if unknown).
pub async fn subject_versions(db: &Database, uscc: &str) -> Result<Vec<SubjectRow>, StoreError> {
    const SQL: &str = "SELECT uscc, name, kind, industry, region, registration_date, status, \
        risk_class, tags, valid_from, valid_to FROM subject_versions WHERE uscc = $1 ORDER BY valid_from";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL).bind(uscc).fetch_all($pool).await? {
                out.push(SubjectRow {
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    industry: r.try_get("industry")?,
                    region: r.try_get("region")?,
                    registration_date: r.try_get("registration_date")?,
                    status: r.try_get("status")?,
                    risk_class: r.try_get("risk_class")?,
                    tags: split_bars(&r.try_get::<String, _>("tags")?),
                    valid_from: r.try_get("valid_from")?,
                    valid_to: r.try_get("valid_to")?,
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

/// Inspectors as of `as_of`, filtered, ordered by id, after `after`.
pub async fn list_inspectors(
    db: &Database,
    filter: &InspectorFilter,
    as_of: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<InspectorRow>, StoreError> {
    // sql-safe: only the constant `AS_OF` clause is interpolated; the date is bound
    let sql = format!(
        "SELECT inspector_id, name, department, patrol_areas, certificate_number, \
         certificate_issued_on, certificate_expires_on, qualifications, expert, status, valid_from, \
         valid_to FROM inspector_versions WHERE {AS_OF} \
         AND (CAST($2 AS TEXT) IS NULL OR department = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR patrol_areas LIKE $3 ESCAPE '\\') \
         AND (CAST($4 AS TEXT) IS NULL OR qualifications LIKE $4 ESCAPE '\\') \
         AND (CAST($5 AS TEXT) IS NULL OR status = $5) \
         AND (CAST($6 AS TEXT) IS NULL OR inspector_id > $6) \
         ORDER BY inspector_id LIMIT $7"
    );
    let d = as_of.format("%Y-%m-%d").to_string();
    let area = filter.patrol_area.as_deref().map(member);
    let qual = filter.qualification.as_deref().map(member);
    macro_rules! run {
        ($pool:expr) => {{
            let rows = sqlx::query(&sql)
                .bind(&d)
                .bind(filter.department.as_deref())
                .bind(area.as_deref())
                .bind(qual.as_deref())
                .bind(filter.status.as_deref())
                .bind(after)
                .bind(limit + 1)
                .fetch_all($pool)
                .await?;
            let mut out = vec![];
            for r in rows {
                out.push(InspectorRow {
                    id: r.try_get("inspector_id")?,
                    name: r.try_get("name")?,
                    department: r.try_get("department")?,
                    patrol_areas: split_bars(&r.try_get::<String, _>("patrol_areas")?),
                    certificate_number: r.try_get("certificate_number")?,
                    certificate_issued_on: r.try_get("certificate_issued_on")?,
                    certificate_expires_on: r.try_get("certificate_expires_on")?,
                    qualifications: split_bars(&r.try_get::<String, _>("qualifications")?),
                    expert: r.try_get::<i64, _>("expert")? != 0,
                    status: r.try_get("status")?,
                    valid_from: r.try_get("valid_from")?,
                    valid_to: r.try_get("valid_to")?,
                });
            }
            out
        }};
    }
    let rows = match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    };
    Ok(page(rows, limit, |r| r.id.clone()))
}

/// An inspection item as it stands.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemRow {
    /// Item code.
    pub code: String,
    /// Current version.
    pub version: i64,
    /// The current record.
    pub record: serde_json::Value,
    /// Retirement reason, if retired.
    pub retired: Option<String>,
}

/// The inspection item list, ordered by code, after `after`.
pub async fn list_items(
    db: &Database,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<ItemRow>, StoreError> {
    const SQL: &str = "SELECT code, version, record, retired FROM inspection_items \
        WHERE (CAST($1 AS TEXT) IS NULL OR code > $1) ORDER BY code LIMIT $2";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL)
                .bind(after)
                .bind(limit + 1)
                .fetch_all($pool)
                .await?
            {
                out.push(ItemRow {
                    code: r.try_get("code")?,
                    version: r.try_get("version")?,
                    record: serde_json::from_str(&r.try_get::<String, _>("record")?)?,
                    retired: r.try_get("retired")?,
                });
            }
            out
        }};
    }
    let rows = match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    };
    Ok(page(rows, limit, |r| r.code.clone()))
}

/// A published version of the implementation rules.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RulesRow {
    /// Version number.
    pub version: i64,
    /// The rules.
    pub rules: serde_json::Value,
    /// Why it was published.
    pub reason: String,
    /// When.
    pub published_at: String,
    /// By whom.
    pub actor_user: String,
}

/// Every version of the implementation rules, oldest first.
pub async fn list_rules(db: &Database) -> Result<Vec<RulesRow>, StoreError> {
    const SQL: &str = "SELECT version, rules, reason, published_at, actor_user \
        FROM implementation_rules_versions ORDER BY version";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL).fetch_all($pool).await? {
                out.push(RulesRow {
                    version: r.try_get("version")?,
                    rules: serde_json::from_str(&r.try_get::<String, _>("rules")?)?,
                    reason: r.try_get("reason")?,
                    published_at: r.try_get("published_at")?,
                    actor_user: r.try_get("actor_user")?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_prefixes_cover_the_divisions_below() {
        assert_eq!(region_prefix("330000"), "33%");
        assert_eq!(region_prefix("330100"), "3301%");
        assert_eq!(region_prefix("330102"), "330102%");
        assert_eq!(member("a_b%"), "%|a\\_b\\%|%");
    }
}
