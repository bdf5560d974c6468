//! Inspection tasks and their draw over HTTP (docs/TASKS.md §1): the same operations as
//! `jianxin task …` and `jianxin draw …`, each one call into [`crate::tasks`].
//!
//! Two routes are public by design, so that anyone can check a draw without an account:
//! the task list (`/v1/public/tasks`) and the bundle of a drawn task as a zip
//! (`/v1/public/tasks/{id}/bundle`, the files `jianxin draw export` writes, at the zip's
//! root; `jianxin draw verify` checks them). Planners run the lifecycle
//! (`/v1/tasks/{id}/…`); the approver of a redraw is an administrator or a supervisor,
//! never the task's planner (the domain refuses them). An inspector sees their own
//! assignments and declares their own recusals (`/v1/me/assignments`): the actor is the
//! token's user, never a field of the body. A department's secret never travels over
//! HTTP before the freeze: commitments are accepted as commitments only.

use std::collections::BTreeMap;
use std::io::Write;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use jianxin_domain::directory::check_text;
use jianxin_domain::event_log::Role;
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::task::{Exclusion, Phase};
use jianxin_projections::read_models::task_queries::{assignments_of, list_tasks, TaskRow};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth::{Authorized, PlanningReaders, RoleSet};
use super::directory::page_limit;
use super::error::{ApiError, FieldError, Problem};
use super::extract::{uuid_in_path, AppJson, AppPath, AppQuery, IdPath};
use crate::ops::OpError;
use crate::state::AppState;
use crate::tasks::{self, CommitmentInput, DrawOutcome};

/// Who runs a task's lifecycle: planners and administrators.
struct TaskPlanners;
impl RoleSet for TaskPlanners {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Planner];
}

/// Who approves a redraw: administrators and supervisors (never the task's planner).
struct RedrawApprovers;
impl RoleSet for RedrawApprovers {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Supervisor];
}

/// Inspectors, about their own assignments.
struct Inspectors;
impl RoleSet for Inspectors {
    const ROLES: &'static [Role] = &[Role::Inspector];
}

/// The longest reason accepted, as for every other reason the API records.
const REASON_MAX_CHARS: usize = 500;

/// The statuses a task list can be filtered by.
const STATUSES: [Phase; 4] = [Phase::Open, Phase::Frozen, Phase::Drawn, Phase::Failed];

/// Every task route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/public/tasks", get(public_list))
        .route("/v1/public/tasks/{id}/bundle", get(bundle))
        .route("/v1/me/assignments", get(my_assignments))
        .route("/v1/me/assignments/{task}/{uscc}/recusal", post(recuse))
        .route("/v1/tasks", get(list).post(create))
        .route("/v1/tasks/{id}", get(show))
        .route("/v1/tasks/{id}/commitments", post(commit))
        .route("/v1/tasks/{id}/freeze", post(freeze))
        .route("/v1/tasks/{id}/reveals", post(reveal))
        .route("/v1/tasks/{id}/beacon", post(beacon))
        .route("/v1/tasks/{id}/draw", post(draw))
        .route("/v1/tasks/{id}/redraw", post(redraw))
}

#[derive(Deserialize)]
struct AssignmentParam {
    task: String,
    uscc: String,
}

/// What a task id in a path must be.
const TASK_ID: &str = "a task id (a UUID)";

/// An operation's error with a field location rewritten as a body path (`department`
/// → `$.department`); other locations (a line of a task file) are left as they are.
fn in_body(e: OpError) -> ApiError {
    match e {
        OpError::Invalid {
            message,
            location: Some(at),
        } if at.starts_with(|c: char| c.is_ascii_alphabetic()) && !at.contains(' ') => {
            ApiError::from(OpError::Invalid {
                message,
                location: Some(format!("$.{at}")),
            })
        }
        other => other.into(),
    }
}

/// A reason checked like every recorded reason: 1 to 500 characters, no surrounding
/// whitespace, no control characters (422 at `$.reason`).
pub(super) fn check_reason(reason: &str) -> Result<(), ApiError> {
    check_text(reason, REASON_MAX_CHARS).map_err(|e| ApiError::Unprocessable {
        message: format!("$.reason: reason {e}"),
        errors: vec![FieldError {
            path: "$.reason".into(),
            message: format!("reason {e}"),
        }],
    })
}

/// Ledger positions appended by a step (empty: it was recorded already).
#[derive(Serialize, utoipa::ToSchema)]
struct Recorded {
    /// What was recorded: `commitment`, `reveal`, `beacon`, `redraw approval`.
    recorded: &'static str,
    /// Ledger positions of the recorded events.
    global_sequences: Vec<u64>,
}

// ---- lists -------------------------------------------------------------------------

/// `?status&limit` of a task list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only tasks in this status: `open`, `frozen`, `drawn` or `draw_failed`.
    status: Option<String>,
    /// How many, newest first: 1 to 1000 (default 100).
    limit: Option<u64>,
}

/// The rows of a list, `status` checked against the statuses a task can be in.
async fn task_rows(state: &AppState, q: ListQuery) -> Result<AppJson<Vec<TaskRow>>, ApiError> {
    if let Some(s) = &q.status {
        if !STATUSES.iter().any(|p| p.as_str() == s) {
            let names: Vec<&str> = STATUSES.iter().map(|p| p.as_str()).collect();
            let message = format!("query.status: {s:?}; expected one of {}", names.join(", "));
            return Err(ApiError::bad_request("query.status", message));
        }
    }
    let limit = page_limit(q.limit)?;
    let rows = list_tasks(state.log.database(), q.status.as_deref(), limit).await?;
    Ok(AppJson(rows))
}

/// The tasks, newest first, for anyone.
#[utoipa::path(
    get,
    path = "/v1/public/tasks",
    tag = "tasks",
    summary = "Inspection tasks, newest first (public: anyone can follow a draw)",
    params(ListQuery),
    responses(
        (status = 200, description = "`[{id, title, departments, status, inspection_date, window_from, window_to, rules_version, attempts, beacon_round, pool_size, excluded, drawn_subjects, recusals, planner, created_at, updated_at}]`", body = Vec<Object>),
        (status = 400, description = "A bad `status` or `limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn public_list(
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    task_rows(&state, q).await
}

/// The tasks, newest first, for those who plan and oversee them.
#[utoipa::path(
    get,
    path = "/v1/tasks",
    tag = "tasks",
    summary = "Inspection tasks, newest first",
    params(ListQuery),
    security(("bearer" = ["admin", "planner", "supervisor"])),
    responses(
        (status = 200, description = "As `GET /v1/public/tasks`", body = Vec<Object>),
        (status = 400, description = "A bad `status` or `limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    _caller: Authorized<PlanningReaders>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    task_rows(&state, q).await
}

// ---- the bundle --------------------------------------------------------------------

/// The bytes of a zip archive.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct ZipArchive(Vec<u8>);

/// The files as one zip, every entry at the root, deflated, dated 1980-01-01 and mode
/// 0644: the same files always give the same bytes.
fn zip_files(files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>, ApiError> {
    let fault = |e: &dyn std::fmt::Display| ApiError::Internal(format!("zipping a bundle: {e}"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)
            .map_err(|e| fault(&e))?;
        zip.write_all(bytes).map_err(|e| fault(&e))?;
    }
    Ok(zip.finish().map_err(|e| fault(&e))?.into_inner())
}

/// The published bundle of a drawn task, zipped.
#[utoipa::path(
    get,
    path = "/v1/public/tasks/{id}/bundle",
    tag = "tasks",
    summary = "The draw bundle of a drawn task as a zip, for `jianxin draw verify` (public)",
    params(("id" = Uuid, Path, description = "The task id")),
    responses(
        (status = 200, description = "The files of docs/DRAW.md §12 at the zip's root, with a checkpoint signed now", body = ZipArchive, content_type = "application/zip"),
        (status = 400, description = "Not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The task is not drawn (open, frozen, or its last draw failed)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn bundle(
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let task = tasks::load(&state.log, id).await?;
    if task.phase != Phase::Drawn {
        return Err(ApiError::Conflict(format!(
            "task {id} is {}: only a drawn task has a bundle",
            task.phase.as_str()
        )));
    }
    let now = state.clock.now();
    let files = tasks::bundle(&state.log, &state.signer, &state.origin, now, id).await?;
    let zip = zip_files(&files)?;
    let disposition = format!("attachment; filename=\"draw-{id}.zip\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        zip,
    ))
}

// ---- the inspector's own -----------------------------------------------------------

/// The caller's assignments.
#[utoipa::path(
    get,
    path = "/v1/me/assignments",
    tag = "tasks",
    summary = "The calling inspector's assignments in standing draws",
    security(("bearer" = ["inspector"])),
    responses(
        (status = 200, description = "By inspection date: `[{task_id, title, uscc, subject_name, inspection_date, team, attempt}]`", body = Vec<Object>),
    )
)]
async fn my_assignments(
    caller: Authorized<Inspectors>,
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let rows = assignments_of(state.log.database(), &caller.0.sub).await?;
    Ok(AppJson(rows))
}

/// Why the inspector recuses (or why a redraw is approved).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReasonBody {
    /// 1 to 500 characters, recorded with the event.
    pub(super) reason: String,
}

/// The caller recuses themself (回避) from a subject; a replacement is drawn.
#[utoipa::path(
    post,
    path = "/v1/me/assignments/{task}/{uscc}/recusal",
    tag = "tasks",
    summary = "Recuse oneself (回避) from an assigned subject; the replacement is drawn on the published stream",
    params(
        ("task" = Uuid, Path, description = "The task id"),
        ("uscc" = String, Path, description = "The subject's USCC"),
    ),
    request_body(content = ReasonBody, content_type = "application/json"),
    security(("bearer" = ["inspector"])),
    responses(
        (status = 200, description = "`{uscc, recused, replacement, unstaffable, global_sequences}`; `replacement` is null when nobody could be drawn, `unstaffable` then says why", body = Object),
        (status = 400, description = "A bad path or body (`errors[].path` names it)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not drawn, or the caller is not on the subject's team", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad reason (`$.reason`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn recuse(
    caller: Authorized<Inspectors>,
    State(state): State<AppState>,
    AppPath(AssignmentParam { task, uscc }): AppPath<AssignmentParam>,
    AppJson(body): AppJson<ReasonBody>,
) -> Result<impl IntoResponse, ApiError> {
    let task = uuid_in_path("task", &task, TASK_ID)?;
    Uscc::parse(&uscc)
        .map_err(|e| ApiError::bad_request("path.uscc", format!("path.uscc: {e}")))?;
    check_reason(&body.reason)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let out = tasks::recuse(&state.log, clock, &actor, task, &uscc, &body.reason).await?;
    Ok(AppJson(out))
}

// ---- one task ----------------------------------------------------------------------

/// A department's commitment, as shown.
#[derive(Serialize)]
struct CommitmentView {
    department: String,
    commitment: String,
    revealed: bool,
}

/// The freeze in force, as shown.
#[derive(Serialize)]
struct FreezeView {
    as_of: NaiveDate,
    pool: usize,
    excluded: Vec<Exclusion>,
    round: u64,
    round_time: DateTime<Utc>,
    reveal_deadline: DateTime<Utc>,
    subjects_sha256: String,
}

/// A task's state, as `jianxin task show` prints it.
#[derive(Serialize)]
struct TaskView {
    id: Uuid,
    title: String,
    status: &'static str,
    departments: Vec<String>,
    planner: String,
    rules_version: u32,
    attempts: u32,
    commitments: Vec<CommitmentView>,
    freeze: Option<FreezeView>,
    beacon_recorded: bool,
    draw: DrawOutcome,
}

/// One task: its state, its freeze with every exclusion, its commitments, its draw.
#[utoipa::path(
    get,
    path = "/v1/tasks/{id}",
    tag = "tasks",
    summary = "One task: state, freeze (with every exclusion and its reason), commitments, draw",
    params(("id" = Uuid, Path, description = "The task id")),
    security(("bearer" = ["admin", "planner", "supervisor"])),
    responses(
        (status = 200, description = "`{id, title, status, departments, planner, rules_version, attempts, commitments, freeze, beacon_recorded, draw}`", body = Object),
        (status = 400, description = "Not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn show(
    _caller: Authorized<PlanningReaders>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let task = tasks::load(&state.log, id).await?;
    let draw = tasks::last_outcome(&state.log, id).await?;
    let departments = task
        .departments()
        .iter()
        .map(|d| d.as_str().to_owned())
        .collect();
    let freeze = task.freeze.map(|f| FreezeView {
        as_of: f.as_of,
        pool: f.texts.subjects.lines().count().saturating_sub(1),
        excluded: f.excluded,
        round: f.beacon.round,
        round_time: f.round_time,
        reveal_deadline: f.reveal_deadline,
        subjects_sha256: hex::encode(f.digests.subjects),
    });
    let commitments = task
        .commitments
        .iter()
        .map(|(d, c)| CommitmentView {
            department: d.as_str().to_owned(),
            commitment: hex::encode(c.commitment),
            revealed: c.secret.is_some(),
        })
        .collect();
    Ok(AppJson(TaskView {
        id,
        status: task.phase.as_str(),
        title: task.title,
        departments,
        planner: task.planner,
        rules_version: task.rules_version,
        attempts: task.attempts,
        commitments,
        freeze,
        beacon_recorded: task.beacon.is_some(),
        draw,
    }))
}

// ---- the lifecycle -----------------------------------------------------------------

/// Create a task from its task file.
#[utoipa::path(
    post,
    path = "/v1/tasks",
    tag = "tasks",
    summary = "Create an inspection task from its task file (docs/TASKS.md §2)",
    request_body(content = Object, content_type = "application/json", description = "The task file: `{id?, title, departments, items, scope?, window_from, window_to, inspection_date, team_size?, rules_version?}`, unknown fields refused"),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 201, description = "`{id, status, departments, rules_version, team_size, global_sequences}`; `Location: /v1/tasks/{id}`", body = Object),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A task with this id exists", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field (`errors[].path` names it: `$.items[0]`, `$.scope.regions[1]`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    caller: Authorized<TaskPlanners>,
    State(state): State<AppState>,
    AppJson(file): AppJson<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = caller.0.actor();
    let text = file.to_string();
    let created = tasks::create(&state.log, state.clock.as_ref(), &actor, &text)
        .await
        .map_err(in_body)?;
    let location = format!("/v1/tasks/{}", created.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        AppJson(created),
    ))
}

/// A department's commitment: its hash only, never the secret.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CommitmentBody {
    /// One of the task's department codes.
    department: String,
    /// `SHA-256("jianxin-draw-commit-v1" || 0x00 || secret)`, 64 hex digits.
    commitment: String,
}

/// Record a department's commitment (before the freeze).
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/commitments",
    tag = "tasks",
    summary = "Record a department's commitment before the freeze (the hash; the secret is revealed later)",
    params(("id" = Uuid, Path, description = "The task id")),
    request_body(content = CommitmentBody, content_type = "application/json"),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 400, description = "A bad body (`errors[].path` names the field)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Frozen already, or the department committed already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not 64 hex digits, or not a department code (`$.commitment`, `$.department`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn commit(
    caller: Authorized<TaskPlanners>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(body): AppJson<CommitmentBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let actor = caller.0.actor();
    let input = CommitmentInput::Commitment(&body.commitment);
    let clock = state.clock.as_ref();
    let global_sequences = tasks::commit(&state.log, clock, &actor, id, &body.department, input)
        .await
        .map_err(in_body)?;
    Ok(AppJson(Recorded {
        recorded: "commitment",
        global_sequences,
    }))
}

/// The freeze's choices; both optional (`{}`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FreezeBody {
    /// The drand quicknet round of the draw (default: the first at least 10 minutes ahead).
    round: Option<u64>,
    /// When reveals close, RFC 3339 (default: one minute before the round).
    reveal_deadline: Option<DateTime<Utc>>,
}

/// Freeze the pool as of today and fix the drand round.
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/freeze",
    tag = "tasks",
    summary = "Freeze the pool from the directories as of today and fix the drand round",
    params(("id" = Uuid, Path, description = "The task id")),
    request_body(content = FreezeBody, content_type = "application/json"),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 200, description = "`{id, as_of, pool, excluded, out_of_scope, inspectors, subjects_sha256, round, round_time, reveal_deadline, global_sequences}`", body = Object),
        (status = 400, description = "A bad body (`errors[].path` names the field)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Frozen or drawn already; a round not in the future; a pool that cannot be drawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A round with no publication time (`$.round`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn freeze(
    caller: Authorized<TaskPlanners>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(body): AppJson<FreezeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let frozen = tasks::freeze(
        &state.log,
        clock,
        &actor,
        id,
        body.round,
        body.reveal_deadline,
    )
    .await
    .map_err(in_body)?;
    Ok(AppJson(frozen))
}

/// A department's reveal.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RevealBody {
    /// The department that committed.
    department: String,
    /// Its secret, 64 hex digits; must match the commitment.
    secret: String,
}

/// Record a department's reveal (after the freeze, before the deadline).
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/reveals",
    tag = "tasks",
    summary = "Reveal a department's secret after the freeze, before the reveal deadline",
    params(("id" = Uuid, Path, description = "The task id")),
    request_body(content = RevealBody, content_type = "application/json"),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 400, description = "A bad body (`errors[].path` names the field)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not frozen, past the deadline, no commitment, or a secret that does not match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not 64 hex digits, or not a department code (`$.secret`, `$.department`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn reveal(
    caller: Authorized<TaskPlanners>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(body): AppJson<RevealBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let global_sequences = tasks::reveal(
        &state.log,
        clock,
        &actor,
        id,
        &body.department,
        &body.secret,
    )
    .await
    .map_err(in_body)?;
    Ok(AppJson(Recorded {
        recorded: "reveal",
        global_sequences,
    }))
}

/// The published drand round.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BeaconBody {
    /// The round fixed at the freeze.
    round: u64,
    /// Its BLS signature as drand publishes it, 96 hex digits.
    signature: String,
}

/// Record the fixed drand round once published, verified against quicknet's key.
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/beacon",
    tag = "tasks",
    summary = "Record the drand round fixed at the freeze, once published (verified offline)",
    params(("id" = Uuid, Path, description = "The task id")),
    request_body(content = BeaconBody, content_type = "application/json"),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 400, description = "A bad body (`errors[].path` names the field)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not frozen, not the frozen round, not published yet, recorded already, or a signature that does not verify", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not hexadecimal (`$.signature`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn beacon(
    caller: Authorized<TaskPlanners>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(body): AppJson<BeaconBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let global_sequences =
        tasks::beacon(&state.log, clock, &actor, id, body.round, &body.signature)
            .await
            .map_err(in_body)?;
    Ok(AppJson(Recorded {
        recorded: "beacon",
        global_sequences,
    }))
}

/// Run the draw; a draw that cannot staff every subject is recorded as failed.
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/draw",
    tag = "tasks",
    summary = "Run the draw on the frozen pool, the beacon and the reveals",
    params(("id" = Uuid, Path, description = "The task id")),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 200, description = "`{id, status, attempt, seed, teams, unstaffable, global_sequences}`. `status` is `drawn`, or `draw_failed` when some subject could not be staffed: the failure is recorded (the attempt is spent, nothing drawn) and `unstaffable` says why; an approved redraw reopens the task", body = Object),
        (status = 400, description = "Not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not frozen, no beacon yet, or drawn already", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn draw(
    caller: Authorized<TaskPlanners>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    let actor = caller.0.actor();
    let mut outcome = tasks::run(&state.log, state.clock.as_ref(), &actor, id).await?;
    if outcome.status != Phase::Drawn.as_str() {
        outcome.unstaffable = tasks::last_outcome(&state.log, id).await?.unstaffable;
    }
    Ok(AppJson(outcome))
}

/// Approve a redraw; the approver must not be the task's planner.
#[utoipa::path(
    post,
    path = "/v1/tasks/{id}/redraw",
    tag = "tasks",
    summary = "Approve a redraw of a drawn or failed task (not by its planner); a new freeze follows",
    params(("id" = Uuid, Path, description = "The task id")),
    request_body(content = ReasonBody, content_type = "application/json"),
    security(("bearer" = ["admin", "supervisor"])),
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 400, description = "A bad body (`errors[].path` names the field)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to redraw, or the caller is the task's planner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad reason (`$.reason`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn redraw(
    caller: Authorized<RedrawApprovers>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(body): AppJson<ReasonBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(TASK_ID)?;
    check_reason(&body.reason)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let global_sequences = tasks::redraw(&state.log, clock, &actor, id, &body.reason).await?;
    Ok(AppJson(Recorded {
        recorded: "redraw approval",
        global_sequences,
    }))
}

#[cfg(test)]
#[path = "tasks_tests.rs"]
mod tests;
