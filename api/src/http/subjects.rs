//! Subjects over HTTP (`/v1/subjects`): the subject directory as of a day, filtered by
//! region (a division and everything under it), kind, risk class, tag and status, page by
//! page; and one subject's record as of a day, its dated versions and its event trail —
//! what `jianxin subjects list|show` print.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use esrs::store::EventStore;
use jianxin_domain::directory::{
    subject_as_of, subject_id, RiskClass, Subject, SubjectKind, SubjectRecord, SubjectStatus, Tag,
};
use jianxin_domain::identifiers::Uscc;
use jianxin_projections::read_models::directory_queries::{
    list_subjects, subject_versions, Page, SubjectFilter, SubjectRow,
};
use serde::{Deserialize, Serialize};

use super::auth::{Authorized, SubjectReaders};
use super::directory::{filter, page_limit, region};
use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// `GET /v1/subjects`, `GET /v1/subjects/{uscc}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/subjects", get(subjects))
        .route("/v1/subjects/{uscc}", get(subject))
}

/// `?region&kind&risk&tag&status&as_of&after&limit` of the subject list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SubjectsQuery {
    /// A division code: subjects in it or in any division under it (`330100` includes
    /// `330102`).
    region: Option<String>,
    /// Subject kind, Chinese or English (`个体工商户`, `individual_business`).
    kind: Option<String>,
    /// Credit risk class `A` to `D`.
    risk: Option<String>,
    /// A supervision tag (监管标签).
    tag: Option<String>,
    /// Registration status, Chinese or English (`存续`, `active`).
    status: Option<String>,
    /// The day the directory is read as of, `YYYY-MM-DD` (default: today).
    as_of: Option<NaiveDate>,
    /// The `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u64>,
}

impl SubjectsQuery {
    /// The filter with every value normalised to its stored form.
    fn filter(&mut self) -> Result<SubjectFilter, ApiError> {
        Ok(SubjectFilter {
            region: region("region", self.region.take())?,
            kind: filter("kind", self.kind.take(), SubjectKind::parse, |k| {
                k.as_str().into()
            })?,
            risk: filter("risk", self.risk.take(), RiskClass::parse, |r| {
                r.as_str().into()
            })?,
            tag: filter("tag", self.tag.take(), Tag::parse, |t| t.to_string())?,
            status: filter("status", self.status.take(), SubjectStatus::parse, |s| {
                s.as_str().into()
            })?,
        })
    }
}

/// A page of subjects.
#[derive(Serialize, utoipa::ToSchema)]
struct SubjectsPage {
    /// By USCC: `{uscc, name, kind, industry, region, registration_date, status,
    /// risk_class, tags, valid_from, valid_to}`, the version in force on `as_of`.
    #[schema(value_type = Vec<Object>)]
    items: Vec<SubjectRow>,
    /// `after` of the next page; null on the last.
    next: Option<String>,
}

/// The subjects in the directory on a day, filtered, by USCC.
#[utoipa::path(
    get,
    path = "/v1/subjects",
    tag = "directories",
    summary = "Subjects as of a day, filtered by region, kind, risk class, tag and status",
    params(SubjectsQuery),
    security(("bearer" = ["admin", "planner", "inspector", "supervisor", "credit_officer"])),
    responses(
        (status = 200, description = "A page of subjects", body = SubjectsPage),
        (status = 400, description = "A bad filter; the detail lists the accepted values", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn subjects(
    _caller: Authorized<SubjectReaders>,
    State(state): State<AppState>,
    AppQuery(mut q): AppQuery<SubjectsQuery>,
) -> Result<AppJson<SubjectsPage>, ApiError> {
    let filter = q.filter()?;
    let limit = page_limit(q.limit)?;
    let as_of = q.as_of.unwrap_or_else(|| state.clock.now().date_naive());
    let db = state.log.database();
    let Page { items, next } = list_subjects(db, &filter, as_of, q.after.as_deref(), limit).await?;
    Ok(AppJson(SubjectsPage { items, next }))
}

#[derive(Deserialize)]
struct UsccParam {
    uscc: String,
}

/// `?as_of` of one subject.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AsOfQuery {
    /// The day `current` is read as of, `YYYY-MM-DD` (default: today).
    as_of: Option<NaiveDate>,
}

/// One recorded event of a subject.
#[derive(Serialize, utoipa::ToSchema)]
struct TrailEvent {
    /// Position in the subject's stream, from 1.
    sequence: i64,
    event_type: String,
    /// The day the change takes effect.
    #[schema(value_type = Option<String>)]
    effective_at: serde_json::Value,
    /// When it was recorded (UTC, microseconds).
    #[schema(value_type = String)]
    recorded_at: serde_json::Value,
    /// `{user, role}`.
    #[schema(value_type = Object)]
    actor: serde_json::Value,
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// One subject: what it is on a day, its dated versions and how they came about.
#[derive(Serialize, utoipa::ToSchema)]
struct SubjectHistory {
    uscc: String,
    as_of: NaiveDate,
    /// The record in force on `as_of`; null before the subject's first version.
    #[schema(value_type = Option<Object>)]
    current: Option<SubjectRecord>,
    /// Oldest first, each with `valid_from` and `valid_to` (exclusive).
    #[schema(value_type = Vec<Object>)]
    versions: Vec<SubjectRow>,
    /// Every event of the subject, in order.
    events: Vec<TrailEvent>,
}

/// One subject's versions, its record as of a day, and its event trail.
#[utoipa::path(
    get,
    path = "/v1/subjects/{uscc}",
    tag = "directories",
    summary = "One subject: its record as of a day, its dated versions and its event trail",
    params(("uscc" = String, Path, description = "统一社会信用代码 (18 characters)"), AsOfQuery),
    security(("bearer" = ["admin", "planner", "inspector", "supervisor", "credit_officer"])),
    responses(
        (status = 200, description = "The subject", body = SubjectHistory),
        (status = 400, description = "Not a valid USCC; the detail gives the position (and the expected check character)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subject in the directory", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn subject(
    _caller: Authorized<SubjectReaders>,
    State(state): State<AppState>,
    AppPath(UsccParam { uscc }): AppPath<UsccParam>,
    AppQuery(q): AppQuery<AsOfQuery>,
) -> Result<AppJson<SubjectHistory>, ApiError> {
    let uscc = Uscc::parse(&uscc)
        .map_err(|e| ApiError::bad_request("path.uscc", format!("path.uscc: {e}")))?;
    let versions = subject_versions(state.log.database(), uscc.as_str()).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no subject {uscc} in the directory"
        )));
    }
    let as_of = q.as_of.unwrap_or_else(|| state.clock.now().date_naive());
    let history = state
        .log
        .store::<Subject>()
        .by_aggregate_id(subject_id(&uscc))
        .await?;
    let recorded: Vec<_> = history.iter().map(|e| e.payload.clone()).collect();
    let events = history
        .iter()
        .map(|e| trail_event(i64::from(e.sequence_number), e.payload.to_payload()))
        .collect::<Result<_, _>>()?;
    Ok(AppJson(SubjectHistory {
        uscc: uscc.as_str().to_string(),
        as_of,
        current: subject_as_of(&recorded, as_of),
        versions,
        events,
    }))
}

/// A stored event as the trail shows it.
fn trail_event(
    sequence: i64,
    payload: Result<serde_json::Value, impl std::fmt::Display>,
) -> Result<TrailEvent, ApiError> {
    let mut p =
        payload.map_err(|e| ApiError::Internal(format!("subject event {sequence}: {e}")))?;
    let mut take = |key: &str| p.get_mut(key).map(serde_json::Value::take);
    Ok(TrailEvent {
        sequence,
        event_type: take("event_type")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        effective_at: take("effective_at").unwrap_or_default(),
        recorded_at: take("recorded_at").unwrap_or_default(),
        actor: take("actor").unwrap_or_default(),
        data: take("data").unwrap_or_default(),
    })
}
