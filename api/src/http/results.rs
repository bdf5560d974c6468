//! Inspection results and their publication (检查结果与公示, 一公开) over HTTP
//! (docs/RESULTS.md): the same operations as `jianxin result …` and `jianxin publication
//! due`, each one call into [`crate::results`].
//!
//! An inspector records and corrects the result of a subject they were drawn to visit:
//! the actor is the token's user, and the domain refuses anyone not on the subject's
//! team (the task comes from the path, the body is the result file of docs/RESULTS.md).
//! Planners and administrators publish the current version; planners, administrators
//! and supervisors follow what is due. Two routes are public by design, so that anyone,
//! and any outside portal that mirrors them, can read what was published: a task's
//! published results and a JSON Feed 1.1 of the latest publications. Both are masked:
//! the members present are a count, evidence is its hashes only.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use jianxin_domain::directory::check_text;
use jianxin_domain::event_log::Role;
use jianxin_domain::identifiers::Uscc;
use jianxin_projections::read_models::PublicResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::auth::{Authorized, PlanningReaders, RoleSet};
use super::directory::page_limit;
use super::error::{ApiError, FieldError, Problem};
use super::extract::{uuid_in_path, AppJson, AppPath, AppQuery, IdPath};
use crate::ops::OpError;
use crate::results;
use crate::state::AppState;
use crate::tasks;

/// Inspectors, about the subjects they were drawn to visit.
struct Inspectors;
impl RoleSet for Inspectors {
    const ROLES: &'static [Role] = &[Role::Inspector];
}

/// Who publishes a result: planners and administrators.
struct Publishers;
impl RoleSet for Publishers {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Planner];
}

/// The longest reason accepted, as for every other reason the API records.
const REASON_MAX_CHARS: usize = 500;

/// How many publications the feed carries, newest first.
const FEED_ITEMS: i64 = 100;

/// The media type of a JSON Feed.
const FEED_JSON: &str = "application/feed+json";

/// Every result route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tasks/{id}/results", post(record))
        .route("/v1/tasks/{id}/results/{uscc}/corrections", post(correct))
        .route("/v1/tasks/{id}/results/{uscc}/publication", post(publish))
        .route("/v1/publication/due", get(due))
        .route("/v1/public/tasks/{id}/results", get(public_results))
        .route("/v1/public/results/feed.json", get(feed))
}

#[derive(Deserialize)]
struct ResultParam {
    id: String,
    uscc: String,
}

impl ResultParam {
    /// The task id and the USCC of the path, each a 400 at `path.<name>` when bad.
    fn parse(&self) -> Result<(Uuid, Uscc), ApiError> {
        let uscc = Uscc::parse(&self.uscc)
            .map_err(|e| ApiError::bad_request("path.uscc", format!("path.uscc: {e}")))?;
        Ok((uuid_in_path("id", &self.id, TASK_ID)?, uscc))
    }
}

/// What a task id in a path must be.
const TASK_ID: &str = "a task id (a UUID)";

/// An operation's error with the field of the result file rewritten as a body path
/// (`result.members` → `$.result.members`); a place in the text (`line 1, column 9`)
/// or the file as a whole becomes `$`.
fn in_body(e: OpError) -> ApiError {
    match e {
        OpError::Invalid {
            message,
            location: Some(at),
        } => {
            let field = at.starts_with(|c: char| c.is_ascii_alphabetic()) && !at.contains(' ');
            let at = if field { format!("$.{at}") } else { "$".into() };
            ApiError::from(OpError::Invalid {
                message,
                location: Some(at),
            })
        }
        other => other.into(),
    }
}

/// A 422 at `$.reason`.
fn bad_reason(what: String) -> ApiError {
    ApiError::Unprocessable {
        message: format!("$.reason: {what}"),
        errors: vec![FieldError {
            path: "$.reason".into(),
            message: what,
        }],
    }
}

// ---- recording -----------------------------------------------------------------------

/// Record the result of a visit, as the calling inspector.
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/results",
    tag = "results",
    summary = "Record the result of a drawn subject's visit (by a member of its team)",
    params(("id" = Uuid, Path, description = "The task id")),
    request_body(content = Object, content_type = "application/json", description = "The result file of docs/RESULTS.md: `{task?, uscc, result: {category, pending?, method, findings?, evidence?, members, inspection_date, follow_up, notify?}}`; `task`, when given, must be the path's"),
    security(("bearer" = ["inspector"])),
    responses(
        (status = 201, description = "`{task, uscc, version, deadline, calendar, global_sequences, flowed}`: version 1, the publication deadline in working days on the calendar in force; `calendar` is `provisional` when it was counted across a year whose official schedule is not loaded", body = Object),
        (status = 400, description = "Not JSON, or not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task, or the subject was not drawn in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No standing draw; recorded already; the caller not on the subject's team; a member present not on it, fewer than 2 present, findings outside the task's items, a date outside its window", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field of the file (`errors[].path` names it: `$.uscc`, `$.result.category`, `$.task`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn record(
    caller: Authorized<Inspectors>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(file): AppJson<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let text = file.to_string();
    let recorded = results::record(&state.log, clock, &actor, &text, Some(id), None)
        .await
        .map_err(in_body)?;
    Ok((StatusCode::CREATED, AppJson(recorded)))
}

/// A correction: the whole corrected result and why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CorrectionBody {
    /// 1 to 500 characters, recorded and published with the correction.
    reason: Option<String>,
    /// The corrected `result` of docs/RESULTS.md, whole.
    #[schema(value_type = Object)]
    result: Value,
}

/// Record a correction of a result, as the calling inspector; every version stays.
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/results/{uscc}/corrections",
    tag = "results",
    summary = "Correct a recorded result with a reason (a new version; the earlier ones stay)",
    params(
        ("id" = Uuid, Path, description = "The task id"),
        ("uscc" = String, Path, description = "The subject's USCC"),
    ),
    request_body(content = CorrectionBody, content_type = "application/json"),
    security(("bearer" = ["inspector"])),
    responses(
        (status = 201, description = "`{task, uscc, version, deadline, calendar, global_sequences, flowed}`: the new version (from 2)", body = Object),
        (status = 400, description = "A bad path or body (`errors[].path` names it)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task, or the subject was not drawn in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing recorded yet, or refused as a recording is (the caller not on the team, …)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason or a bad one (`$.reason`), a bad field of the result (`$.result.…`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn correct(
    caller: Authorized<Inspectors>,
    State(state): State<AppState>,
    AppPath(path): AppPath<ResultParam>,
    AppJson(body): AppJson<CorrectionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, uscc) = path.parse()?;
    let (reason, text) = correction_file(id, &uscc, body)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let recorded = results::record(&state.log, clock, &actor, &text, Some(id), Some(&reason))
        .await
        .map_err(in_body)?;
    Ok((StatusCode::CREATED, AppJson(recorded)))
}

/// A correction's reason, checked, and the result file it amounts to (the route's task
/// and subject with the corrected result).
pub(super) fn correction_file(
    id: Uuid,
    uscc: &Uscc,
    body: CorrectionBody,
) -> Result<(String, String), ApiError> {
    let Some(reason) = body.reason else {
        return Err(bad_reason("a correction needs a reason".into()));
    };
    check_text(&reason, REASON_MAX_CHARS).map_err(|e| bad_reason(format!("reason {e}")))?;
    let file = json!({"task": id, "uscc": uscc.as_str(), "result": body.result});
    Ok((reason, file.to_string()))
}

// ---- publication -----------------------------------------------------------------------

/// Publish the current version of a result.
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/results/{uscc}/publication",
    tag = "results",
    summary = "Publish the current version of a result (公示)",
    params(
        ("id" = Uuid, Path, description = "The task id"),
        ("uscc" = String, Path, description = "The subject's USCC"),
    ),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 200, description = "`{task, uscc, version, deadline, calendar, global_sequences, flowed}`: the version published", body = Object),
        (status = 400, description = "A bad path (`path.id`, `path.uscc`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No result of this subject in this task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The current version is published already", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn publish(
    caller: Authorized<Publishers>,
    State(state): State<AppState>,
    AppPath(path): AppPath<ResultParam>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, uscc) = path.parse()?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let published = results::publish(&state.log, clock, &actor, id, uscc.as_str()).await?;
    Ok(AppJson(published))
}

/// `?as_of` of the due list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DueQuery {
    /// Count from this day, `YYYY-MM-DD` (default: today, Beijing time).
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<NaiveDate>,
}

/// Results not yet published, by deadline, with the working days left.
#[utoipa::path(
    get,
    path = "/v1/publication/due",
    tag = "results",
    summary = "Results whose current version is unpublished, with the working days left or overdue",
    params(DueQuery),
    security(("bearer" = ["admin", "planner", "supervisor"])),
    responses(
        (status = 200, description = "By deadline, as `jianxin publication due --format json`: `[{task_id, uscc, version, inspection_date, deadline, calendar, working_days_left, overdue}]`; `working_days_left` is negative when overdue, `calendar` is `official` or `provisional`", body = Vec<Object>),
        (status = 400, description = "Not a date (`query.as_of`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A day the calendar in force does not cover (`query.as_of`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn due(
    _caller: Authorized<PlanningReaders>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<DueQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let as_of = q.as_of.unwrap_or_else(|| results::today(state.clock.now()));
    let due = results::due(&state.log, as_of).await.map_err(|e| match e {
        OpError::Invalid { message, .. } => OpError::Invalid {
            message,
            location: Some("query.as_of".into()),
        },
        other => other,
    })?;
    Ok(AppJson(due))
}

// ---- public ------------------------------------------------------------------------------

/// `?limit` of a task's public results.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PublicQuery {
    /// How many, newest publication first: 1 to 1000 (default 100).
    limit: Option<u64>,
}

/// A task's published results, masked, for anyone.
#[utoipa::path(
    get,
    path = "/v1/public/tasks/{id}/results",
    tag = "results",
    summary = "A task's published results, masked (public: 一公开)",
    params(("id" = Uuid, Path, description = "The task id"), PublicQuery),
    responses(
        (status = 200, description = "Newest publication first: `[{task_id, uscc, version, published_at, content}]`; `content` is the published result with `members_present` (a count) for `members` and evidence without names", body = Vec<Object>),
        (status = 400, description = "Not a UUID (`path.id`), a bad `limit`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn public_results(
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppQuery(q): AppQuery<PublicQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let limit = page_limit(q.limit)?;
    tasks::load(&state.log, id).await?;
    let rows = results::public(&state.log, Some(id), limit).await?;
    Ok(AppJson(rows))
}

/// A JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
struct Feed {
    version: &'static str,
    title: &'static str,
    description: &'static str,
    language: &'static str,
    items: Vec<FeedItem>,
}

/// One publication as a feed item.
#[derive(Serialize)]
struct FeedItem {
    /// `<task>/<uscc>/v<version>`: a correction published later is a new item.
    id: String,
    title: String,
    /// The masked content as JSON text (JSON Feed wants text or HTML).
    content_text: String,
    date_published: String,
    tags: Vec<String>,
    /// The same, structured, so that a mirror need not parse `content_text`.
    #[serde(rename = "_jianxin")]
    jianxin: PublicResult,
}

/// A publication as a feed item.
fn feed_item(row: PublicResult) -> Result<FeedItem, ApiError> {
    let content_text = serde_json::to_string(&row.content)
        .map_err(|e| ApiError::Internal(format!("serialising a published result: {e}")))?;
    let category = row.content["category"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(FeedItem {
        id: format!("{}/{}/v{}", row.task_id, row.uscc, row.version),
        title: format!(
            "{} {category} (task {}, version {})",
            row.uscc, row.task_id, row.version
        ),
        content_text,
        date_published: row.published_at.clone(),
        tags: vec![category],
        jianxin: row,
    })
}

/// A JSON feed body.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct JsonFeed(Feed);

/// The latest publications as a JSON Feed, for outside portals to mirror.
#[utoipa::path(
    get,
    path = "/v1/public/results/feed.json",
    tag = "results",
    summary = "JSON Feed 1.1 of the latest 100 publications, newest first, masked (public)",
    responses(
        (status = 200, description = "`{version, title, description, language, items: [{id: \"<task>/<uscc>/v<version>\", title, content_text (the masked result as JSON), date_published, tags: [category], _jianxin: {task_id, uscc, version, published_at, content}}]}`", body = JsonFeed, content_type = "application/feed+json"),
    )
)]
async fn feed(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let rows = results::public(&state.log, None, FEED_ITEMS).await?;
    let items = rows
        .into_iter()
        .map(feed_item)
        .collect::<Result<Vec<_>, _>>()?;
    let feed = Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: "jianxin: published inspection results (检查结果公示)",
        description: "The latest publications of random-inspection results, newest first; inspectors are a count, evidence its hashes.",
        language: "zh-CN",
        items,
    };
    let body = serde_json::to_vec(&feed)
        .map_err(|e| ApiError::Internal(format!("serialising the feed: {e}")))?;
    Ok(([(header::CONTENT_TYPE, FEED_JSON)], body))
}
