//! Enforcement cases over HTTP (docs/CASES.md): the same operations as `jianxin case …`,
//! each one call into [`crate::cases`]. Case officers open cases and take the steps
//! (`POST /v1/cases`, `POST /v1/cases/{id}/steps`); the approving officer approves
//! (`POST /v1/cases/{id}/approvals`: extension, legal review, decision, withdrawal);
//! supervisors read everything (list, replay as of a moment with inclusion proofs,
//! deviations), as do the two case roles.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use jianxin_domain::case::{beijing_date, CaseRules, CaseStep, Stage, Tier};
use jianxin_domain::event_log::Role;
use serde::Deserialize;
use serde_json::Value;

use super::auth::{Authorized, RoleSet};
use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, AppQuery, IdPath};
use crate::cases;
use crate::state::AppState;

/// Case officers (执法办案人员).
struct CaseOfficers;
impl RoleSet for CaseOfficers {
    const ROLES: &'static [Role] = &[Role::CaseOfficer];
}

/// The approving officer (审批负责人).
struct Approvers;
impl RoleSet for Approvers {
    const ROLES: &'static [Role] = &[Role::ApprovingOfficer];
}

/// Who reads cases: supervisors and the two case roles.
struct CaseReaders;
impl RoleSet for CaseReaders {
    const ROLES: &'static [Role] = &[Role::Supervisor, Role::CaseOfficer, Role::ApprovingOfficer];
}

/// Every case route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/cases", post(open).get(list))
        .route("/v1/cases/{id}/steps", post(officer_step))
        .route("/v1/cases/{id}/approvals", post(approval))
        .route("/v1/cases/{id}/replay", get(replay))
        .route("/v1/cases/{id}/deviations", get(deviations))
}

/// What a case id in a path must be.
const CASE_ID: &str = "a case id (a UUID)";

/// A new case from a clue.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct OpenBody {
    /// What the clue says.
    clue: String,
    /// The subject concerned.
    subject: Option<String>,
    /// The day the clue was received (default: today, Beijing time).
    #[schema(value_type = Option<String>, format = Date)]
    clue_received: Option<NaiveDate>,
    /// A case rule file (docs/CASES.md) as an object; default: the built-in rules.
    #[schema(value_type = Option<Object>)]
    rules: Option<Value>,
}

/// Register a clue: a new case.
#[utoipa::path(
    post,
    path = "/v1/cases",
    tag = "cases",
    summary = "Register a clue (登记线索): a new enforcement case",
    request_body(content = OpenBody, content_type = "application/json"),
    security(("bearer" = ["case_officer"])),
    responses(
        (status = 201, description = "`{id, status, global_sequences}`", body = Object),
        (status = 409, description = "A deadline cannot be counted: `clue_received` is outside the working calendar", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field (`errors[].path`: `clue`, `clue_received`, `rules: …`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn open(
    caller: Authorized<CaseOfficers>,
    State(state): State<AppState>,
    AppJson(body): AppJson<OpenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let rules = open_rules(&body)?;
    let today = beijing_date(state.clock.now());
    let step = CaseStep::Open {
        clue: body.clue,
        subject: body.subject,
        clue_received: body.clue_received.unwrap_or(today),
        rules,
    };
    let actor = caller.0.actor();
    let done = cases::step(&state.log, state.clock.as_ref(), &actor, None, step).await?;
    Ok((StatusCode::CREATED, AppJson(done)))
}

/// The case rules a new case runs under: the body's, checked, or the built-in ones.
pub(super) fn open_rules(body: &OpenBody) -> Result<CaseRules, ApiError> {
    let rules_text = body.rules.as_ref().map(|r| r.to_string());
    Ok(cases::rules(rules_text.as_deref())?)
}

/// A case officer's step.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum OfficerStep {
    /// 立案.
    File,
    /// 调查取证: the caller is present; `officers` are the others present.
    Evidence {
        name: String,
        sha256: String,
        #[serde(default)]
        officers: BTreeSet<String>,
    },
    /// 告知.
    Notice,
    /// 陈述申辩.
    Statement { summary: String },
    /// 听证申请.
    HearingRequest,
    /// 听证.
    Hearing,
    /// 送达.
    Serve,
    /// 执行.
    Execute { note: String },
    /// 结案.
    Close,
}

/// Take a step of the case, as the calling case officer.
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/steps",
    tag = "cases",
    summary = "Take a step of a case (file, evidence, notice, statement, hearing_request, hearing, serve, execute, close)",
    params(("id" = Uuid, Path, description = "The case id")),
    request_body(content = OfficerStep, content_type = "application/json"),
    security(("bearer" = ["case_officer"])),
    responses(
        (status = 201, description = "`{id, status, global_sequences}`", body = Object),
        (status = 400, description = "Not a UUID (`path.id`), or an unknown step", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A step the law forbids now (before filing, after closing, …)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field (`sha256`, `summary`, …)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn officer_step(
    caller: Authorized<CaseOfficers>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(body): AppJson<OfficerStep>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(CASE_ID)?;
    let step = officer_case_step(body);
    let actor = caller.0.actor();
    let done = cases::step(&state.log, state.clock.as_ref(), &actor, Some(id), step).await?;
    Ok((StatusCode::CREATED, AppJson(done)))
}

/// The case step an officer's body asks for.
pub(super) fn officer_case_step(body: OfficerStep) -> CaseStep {
    match body {
        OfficerStep::File => CaseStep::File,
        OfficerStep::Evidence {
            name,
            sha256,
            officers,
        } => CaseStep::CollectEvidence {
            name,
            sha256,
            officers_present: officers,
        },
        OfficerStep::Notice => CaseStep::GiveNotice,
        OfficerStep::Statement { summary } => CaseStep::RecordStatement { summary },
        OfficerStep::HearingRequest => CaseStep::RequestHearing,
        OfficerStep::Hearing => CaseStep::HoldHearing,
        OfficerStep::Serve => CaseStep::Serve,
        OfficerStep::Execute { note } => CaseStep::Execute { note },
        OfficerStep::Close => CaseStep::Close,
    }
}

/// An approving officer's step.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Approval {
    /// 批准延期 of `filing` or `decision`.
    Extend {
        #[schema(value_type = String)]
        stage: Stage,
        reason: String,
    },
    /// 法制审核.
    Review { opinion: String },
    /// 决定: `amount_yuan` absent is no penalty (首违不罚, minor tier, with a reason).
    Decide {
        violation: String,
        #[schema(value_type = String)]
        tier: Tier,
        amount_yuan: Option<u64>,
        reason: Option<String>,
    },
    /// 撤销.
    Withdraw { reason: String },
}

/// Approve: an extension, the legal review, the decision, a withdrawal.
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/approvals",
    tag = "cases",
    summary = "Approve a step of a case (extend, review, decide, withdraw)",
    params(("id" = Uuid, Path, description = "The case id")),
    request_body(content = Approval, content_type = "application/json"),
    security(("bearer" = ["approving_officer"])),
    responses(
        (status = 201, description = "`{id, status, global_sequences}`", body = Object),
        (status = 400, description = "Not a UUID (`path.id`), or an unknown step", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A step the law forbids now (decided already, extended already, …)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field: `violation` not in the benchmarks, `reason` missing outside the range, …", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn approval(
    caller: Authorized<Approvers>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppJson(body): AppJson<Approval>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(CASE_ID)?;
    let step = approval_case_step(body);
    let actor = caller.0.actor();
    let done = cases::step(&state.log, state.clock.as_ref(), &actor, Some(id), step).await?;
    Ok((StatusCode::CREATED, AppJson(done)))
}

/// The case step an approving officer's body asks for.
pub(super) fn approval_case_step(body: Approval) -> CaseStep {
    match body {
        Approval::Extend { stage, reason } => CaseStep::Extend { stage, reason },
        Approval::Review { opinion } => CaseStep::ReviewLegally { opinion },
        Approval::Decide {
            violation,
            tier,
            amount_yuan,
            reason,
        } => CaseStep::Decide {
            violation,
            tier,
            amount_yuan,
            reason,
        },
        Approval::Withdraw { reason } => CaseStep::Withdraw { reason },
    }
}

/// Every case with its status.
#[utoipa::path(
    get,
    path = "/v1/cases",
    tag = "cases",
    summary = "Every enforcement case with its status and deviation count",
    security(("bearer" = ["supervisor", "case_officer", "approving_officer"])),
    responses((status = 200, description = "`[{id, status, officer, subject, opened_at, rule_version, events, deviations}]`", body = Vec<Object>))
)]
async fn list(
    _caller: Authorized<CaseReaders>,
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(AppJson(cases::list(&state.log).await?))
}

/// `?at` of the replay.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReplayQuery {
    /// RFC 3339 time or a date (Beijing midnight); default: everything recorded.
    at: Option<String>,
}

/// The supervisor's replay of a case.
#[utoipa::path(
    get,
    path = "/v1/cases/{id}/replay",
    tag = "cases",
    summary = "Replay a case as of a moment: steps, state, deviations, inclusion proofs",
    params(("id" = Uuid, Path, description = "The case id"), ReplayQuery),
    security(("bearer" = ["supervisor", "case_officer", "approving_officer"])),
    responses(
        (status = 200, description = "`{id, at, status, steps, state, deviations, proofs: {checkpoint, tree_size, events}}` (docs/CASES.md)", body = Object),
        (status = 400, description = "Not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`at` is not a time", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn replay(
    _caller: Authorized<CaseReaders>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
    AppQuery(q): AppQuery<ReplayQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(CASE_ID)?;
    let at = q.at.as_deref().map(cases::parse_at).transpose()?;
    let r = cases::replay(
        &state.log,
        &state.signer,
        &state.origin,
        state.clock.now(),
        id,
        at,
    )
    .await?;
    Ok(AppJson(r))
}

/// The deviations of a case.
#[utoipa::path(
    get,
    path = "/v1/cases/{id}/deviations",
    tag = "cases",
    summary = "The deviations of a case, each with its step and evidence",
    params(("id" = Uuid, Path, description = "The case id")),
    security(("bearer" = ["supervisor", "case_officer", "approving_officer"])),
    responses(
        (status = 200, description = "`{id, deviations: [{code, sequence, step, message, evidence}]}`", body = Object),
        (status = 400, description = "Not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn deviations(
    _caller: Authorized<CaseReaders>,
    State(state): State<AppState>,
    AppPath(path): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path.uuid(CASE_ID)?;
    Ok(AppJson(
        cases::deviations(
            &state.log,
            Some(&state.signer.verifier()),
            id,
            state.clock.now(),
        )
        .await?,
    ))
}
