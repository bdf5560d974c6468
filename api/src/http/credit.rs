//! Credit over HTTP (信用联合奖惩, docs/CREDIT.md): the check other departments' systems
//! call, its batch form, the query log with recheck and feedback, the impact notice,
//! list snapshots, and the credit officer's steps — each one call into
//! [`crate::credit`].
//!
//! Who: external systems ask only about the scenarios in their token's scopes and see
//! only their own logged queries; credit officers ask about anything and maintain the
//! lists; supervisors read the log and the snapshots.

use axum::extract::State;
use axum::http::{header, HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use jianxin_domain::credit::ListId;
use jianxin_domain::event_log::Role;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::auth::{Authorized, RoleSet};
use super::directory::page_limit;
use super::error::{ApiError, Problem};
use super::extract::{uuid_in_path, AppJson, AppPath, AppQuery, IdPath};
use crate::credit::{self, Asker, CheckQuestion, CreditAction, CHECK_BATCH_MAX};
use crate::state::AppState;

/// Who asks "may S do X on D?": other departments' systems and credit officers.
struct Askers;
impl RoleSet for Askers {
    const ROLES: &'static [Role] = &[Role::CreditOfficer, Role::ExternalSystem];
}

/// Who reads the query log: askers (their own) and supervisors.
struct LogReaders;
impl RoleSet for LogReaders {
    const ROLES: &'static [Role] = &[Role::CreditOfficer, Role::ExternalSystem, Role::Supervisor];
}

/// Who reads entries and the impact notice: credit officers and supervisors.
struct CreditReaders;
impl RoleSet for CreditReaders {
    const ROLES: &'static [Role] = &[Role::CreditOfficer, Role::Supervisor];
}

/// Who maintains the lists.
struct Officers;
impl RoleSet for Officers {
    const ROLES: &'static [Role] = &[Role::CreditOfficer];
}

/// Every credit route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/credit/check", get(check))
        .route("/v1/credit/check:batch", post(check_batch))
        .route("/v1/credit/queries", get(queries))
        .route("/v1/credit/queries/{id}", get(query))
        .route("/v1/credit/queries/{id}/recheck", get(recheck))
        .route("/v1/credit/queries/{id}/feedback", post(feedback))
        .route("/v1/credit/impact", get(impact))
        .route("/v1/credit/subjects/{uscc}/entries", get(entries))
        .route("/v1/credit/records", post(record))
        .route("/v1/credit/entries", post(enter))
        .route("/v1/credit/entries/{id}/removal", post(remove))
        .route("/v1/credit/entries/{id}/annulment", post(annul))
        .route("/v1/credit/entries/{id}/repair", post(apply_repair))
        .route("/v1/credit/records/{id}/repair", post(repair_record))
        .route(
            "/v1/credit/entries/{id}/repair/decision",
            post(decide_repair),
        )
        .route("/v1/lists/{list}/snapshot", get(snapshot))
        .route("/v1/credit/changes", get(changes))
        .route("/v1/credit/subjects/{uscc}/evaluation", get(evaluation))
}

fn asker(state: &AppState, claims: &crate::tokens::Claims, purpose: Option<String>) -> Asker {
    Asker {
        sink: state.query_log.clone(),
        actor: claims.actor(),
        scopes: claims.scopes.clone(),
        purpose: purpose.unwrap_or_default(),
    }
}

/// The subject of a request, or a 400 naming the position and expected character.
fn subject_param(at: &str, text: &str) -> Result<(), ApiError> {
    credit::parse_subject(text)
        .map(|_| ())
        .map_err(|e| ApiError::bad_request(at, format!("{at}: {e}")))
}

/// `?subject&scenario&date&known_at&purpose`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CheckQuery {
    /// The USCC (a name never yields a decision).
    subject: String,
    /// The scenario id (e.g. government_procurement).
    scenario: String,
    /// The valid date asked about, YYYY-MM-DD (China Standard Time).
    #[param(value_type = String, format = Date)]
    date: NaiveDate,
    /// What the system had recorded by then (RFC 3339; default now).
    #[param(value_type = Option<String>, format = DateTime)]
    known_at: Option<DateTime<Utc>>,
    /// The stated purpose, logged with the answer.
    purpose: Option<String>,
}

/// May subject S do X on date D, as known at T?
#[utoipa::path(
    get,
    path = "/v1/credit/check",
    tag = "credit",
    summary = "Ask whether a subject is allowed, restricted or rewarded in a scenario on a date (logged)",
    params(CheckQuery),
    security(("bearer" = ["credit_officer", "external_system"])),
    responses(
        (status = 200, description = "`{decision, subject, scenario, date, known_at, basis[], not_applicable[], log_seq, rule_version, catalogue_version, query_id}`", body = Object),
        (status = 400, description = "A bad USCC (position and expected check character), date or known_at", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The scenario is outside the system's scopes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown scenario, or known_at in the future", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn check(
    caller: Authorized<Askers>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<CheckQuery>,
) -> Result<impl IntoResponse, ApiError> {
    if q.subject.is_ascii() {
        subject_param("query.subject", &q.subject)?;
    }
    let question = CheckQuestion {
        subject: q.subject,
        scenario: q.scenario,
        date: q.date,
        known_at: q.known_at,
    };
    let who = asker(&state, &caller.0, q.purpose);
    let answer = credit::check(&state.log, state.clock.as_ref(), &who, &question).await?;
    Ok(AppJson(answer))
}

/// A batch of questions.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchBody {
    /// The stated purpose, logged with every answer.
    purpose: Option<String>,
    /// 1 to 200 questions `{subject, scenario, date, known_at?}`.
    #[schema(value_type = Vec<Object>)]
    pub(super) items: Vec<Value>,
}

/// Answer up to 200 questions on one basis.
#[utoipa::path(
    post,
    path = "/v1/credit/check:batch",
    tag = "credit",
    summary = "Answer up to 200 checks on one basis (one log_seq); each logged",
    request_body(content = BatchBody, content_type = "application/json"),
    security(("bearer" = ["credit_officer", "external_system"])),
    responses(
        (status = 200, description = "`{log_seq, answers[]}` in the order asked", body = Object),
        (status = 400, description = "A bad USCC at `items[i].subject`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A scenario outside the system's scopes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 200 items or none; a bad item (nothing is logged)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn check_batch(
    caller: Authorized<Askers>,
    State(state): State<AppState>,
    AppJson(body): AppJson<BatchBody>,
) -> Result<impl IntoResponse, ApiError> {
    let items = questions(body.items)?;
    let who = asker(&state, &caller.0, body.purpose);
    let answers = credit::check_batch(&state.log, state.clock.as_ref(), &who, &items).await?;
    let log_seq = answers.first().map(|a| a.log_seq).unwrap_or(0);
    Ok(AppJson(json!({"log_seq": log_seq, "answers": answers})))
}

/// The questions of a batch, each decoded and its subject checked.
pub(super) fn questions(values: Vec<Value>) -> Result<Vec<CheckQuestion>, ApiError> {
    if values.len() > CHECK_BATCH_MAX {
        let m = format!(
            "{} items; a batch holds at most {CHECK_BATCH_MAX}",
            values.len()
        );
        return Err(ApiError::from(crate::ops::OpError::Invalid {
            message: m,
            location: Some("$.items".into()),
        }));
    }
    let mut items = Vec::with_capacity(values.len());
    for (i, v) in values.into_iter().enumerate() {
        let q: CheckQuestion = serde_json::from_value(v).map_err(|e| {
            ApiError::bad_request(format!("$.items[{i}]"), format!("$.items[{i}]: {e}"))
        })?;
        subject_param(&format!("$.items[{i}].subject"), &q.subject)?;
        items.push(q);
    }
    Ok(items)
}

/// `?subject&requester&limit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// Only queries about this USCC.
    subject: Option<String>,
    /// Only queries by this user or system.
    requester: Option<String>,
    /// At most this many, newest first (1–1000, default 100).
    limit: Option<u64>,
}

/// Search the query log.
#[utoipa::path(
    get,
    path = "/v1/credit/queries",
    tag = "credit",
    summary = "Search the credit query log by subject and requester (external systems: their own)",
    params(LogQuery),
    security(("bearer" = ["credit_officer", "external_system", "supervisor"])),
    responses(
        (status = 200, description = "`{queries: [{query_id, subject, scenario, date, requester, role, purpose, decision, asked_at, answer, feedback}]}`", body = Object),
        (status = 400, description = "A bad limit", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn queries(
    caller: Authorized<LogReaders>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<LogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = page_limit(q.limit)?;
    let own = (caller.0.role == Role::ExternalSystem).then(|| caller.0.sub.clone());
    let requester = own.or(q.requester);
    let rows = jianxin_projections::read_models::logged_queries(
        &state.log,
        None,
        q.subject.as_deref(),
        requester.as_deref(),
        limit,
    )
    .await?;
    Ok(AppJson(json!({ "queries": rows })))
}

/// A logged query the caller may read (external systems: their own; others 404).
async fn readable(
    state: &AppState,
    claims: &crate::tokens::Claims,
    id: Uuid,
) -> Result<jianxin_projections::read_models::LoggedQuery, ApiError> {
    let row = credit::logged(&state.log, id).await?;
    if claims.role == Role::ExternalSystem && row.requester != claims.sub {
        return Err(ApiError::NotFound(format!("no credit query {id}")));
    }
    Ok(row)
}

/// A logged answer exactly as given.
#[utoipa::path(
    get,
    path = "/v1/credit/queries/{id}",
    tag = "credit",
    summary = "A logged answer exactly as given, with who asked and the feedback",
    params(("id" = Uuid, Path, description = "The query id")),
    security(("bearer" = ["credit_officer", "external_system", "supervisor"])),
    responses(
        (status = 200, description = "The log row; `answer` is the answer exactly as given", body = Object),
        (status = 400, description = "Not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such query (or not the caller's)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn query(
    caller: Authorized<LogReaders>,
    State(state): State<AppState>,
    AppPath(p): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = p.uuid("a UUID")?;
    Ok(AppJson(readable(&state, &caller.0, id).await?))
}

/// A logged answer recomputed at its basis and at now.
#[utoipa::path(
    get,
    path = "/v1/credit/queries/{id}/recheck",
    tag = "credit",
    summary = "Recompute a logged answer at its own basis (must be identical) and at now",
    params(("id" = Uuid, Path, description = "The query id")),
    security(("bearer" = ["credit_officer", "external_system", "supervisor"])),
    responses(
        (status = 200, description = "`{original, same_basis, identical, now, decision_changed, basis_added, basis_removed}`", body = Object),
        (status = 400, description = "Not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such query (or not the caller's)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn recheck(
    caller: Authorized<LogReaders>,
    State(state): State<AppState>,
    AppPath(p): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = p.uuid("a UUID")?;
    readable(&state, &caller.0, id).await?;
    Ok(AppJson(
        credit::recheck(&state.log, state.clock.as_ref(), id).await?,
    ))
}

/// Feedback on a query.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedbackBody {
    /// The measure the department applied (at most 500 characters).
    measure_applied: String,
    /// A note (at most 2000 characters).
    #[serde(default)]
    note: String,
}

/// Record the measure applied after an answer (触发反馈).
#[utoipa::path(
    post,
    path = "/v1/credit/queries/{id}/feedback",
    tag = "credit",
    summary = "Record the measure the asking department applied (by the asker)",
    params(("id" = Uuid, Path, description = "The query id")),
    request_body(content = FeedbackBody, content_type = "application/json"),
    security(("bearer" = ["credit_officer", "external_system"])),
    responses(
        (status = 201, description = "`{query_id, global_sequences}`", body = Object),
        (status = 400, description = "Not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the asker", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or too long field", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn feedback(
    caller: Authorized<Askers>,
    State(state): State<AppState>,
    AppPath(p): AppPath<IdPath>,
    AppJson(body): AppJson<FeedbackBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = p.uuid("a UUID")?;
    let actor = caller.0.actor();
    let seqs = credit::feedback(
        &state.log,
        state.clock.as_ref(),
        &actor,
        id,
        &body.measure_applied,
        &body.note,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        AppJson(json!({"query_id": id, "global_sequences": seqs})),
    ))
}

/// `?subject`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SubjectQuery {
    /// The USCC.
    subject: String,
}

/// The impact notice of a subject.
#[utoipa::path(
    get,
    path = "/v1/credit/impact",
    tag = "credit",
    summary = "Logged answers about a subject whose decision would now differ",
    params(SubjectQuery),
    security(("bearer" = ["credit_officer", "supervisor"])),
    responses(
        (status = 200, description = "`{subject, impact: [{query_id, requester, asked_at, scenario, date, decision_then, decision_now}]}`", body = Object),
        (status = 400, description = "A bad USCC", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn impact(
    _caller: Authorized<CreditReaders>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<SubjectQuery>,
) -> Result<impl IntoResponse, ApiError> {
    subject_param("query.subject", &q.subject)?;
    let uscc = credit::parse_subject(&q.subject)?;
    let impact = credit::impact(&state.log, state.clock.as_ref(), &uscc).await?;
    Ok(AppJson(json!({"subject": uscc.as_str(), "impact": impact})))
}

#[derive(Deserialize)]
struct UsccParam {
    uscc: String,
}

/// `?known_at`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct KnownAtQuery {
    /// As recorded by then (RFC 3339; default now).
    #[param(value_type = Option<String>, format = DateTime)]
    known_at: Option<DateTime<Utc>>,
}

/// A subject's entries with their periods.
#[utoipa::path(
    get,
    path = "/v1/credit/subjects/{uscc}/entries",
    tag = "credit",
    summary = "A subject's list entries as known at a moment, with the derived escalations",
    params(("uscc" = String, Path, description = "The USCC"), KnownAtQuery),
    security(("bearer" = ["credit_officer", "supervisor"])),
    responses(
        (status = 200, description = "`{subject, known_at, entries: [{entry_id, list, reason, legal_basis, entered_on, until, ended, annulled, event_seq, derived_from}]}`", body = Object),
        (status = 400, description = "A bad USCC", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn entries(
    _caller: Authorized<CreditReaders>,
    State(state): State<AppState>,
    AppPath(p): AppPath<UsccParam>,
    AppQuery(q): AppQuery<KnownAtQuery>,
) -> Result<impl IntoResponse, ApiError> {
    subject_param("path.uscc", &p.uscc)?;
    let clock = state.clock.as_ref();
    let list = credit::entries_of(&state.log, clock, &p.uscc, q.known_at).await?;
    let known_at = q.known_at.unwrap_or_else(|| clock.now());
    Ok(AppJson(
        json!({"subject": p.uscc, "known_at": known_at, "entries": list}),
    ))
}

/// Runs an officer's step from a JSON object body plus the action name and the path id.
async fn act(
    caller: &crate::tokens::Claims,
    state: &AppState,
    action: &str,
    path_id: Option<(&str, &str)>,
    body: Value,
) -> Result<impl IntoResponse, ApiError> {
    let action = credit_action(action, path_id, body)?;
    let outcome = credit::act(&state.log, state.clock.as_ref(), &caller.actor(), action).await?;
    Ok((StatusCode::CREATED, AppJson(outcome)))
}

/// The credit action an officer's body asks for: the body object with the route's id
/// and action name, decoded.
pub(super) fn credit_action(
    action: &str,
    path_id: Option<(&str, &str)>,
    body: Value,
) -> Result<CreditAction, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::bad_request("$", "$: expected a JSON object"));
    };
    if let Some(subject) = map.get("subject").and_then(Value::as_str) {
        subject_param("$.subject", subject)?;
    }
    if let Some((key, id)) = path_id {
        map.insert(
            key.into(),
            Value::String(uuid_in_path("id", id, "a UUID")?.to_string()),
        );
    }
    map.insert("action".into(), Value::String(action.into()));
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        ApiError::from(crate::ops::OpError::Invalid {
            message: format!("body: {e}"),
            location: Some("$".into()),
        })
    })
}

macro_rules! officer_step {
    // `params` is the routes' path parameters: `()` for a subject's, the entry id for
    // an entry's (without it the document has `{id}` in a path but no parameter for it).
    (@doc $name:ident, $path:literal, $summary:literal, $body:literal, ($($params:tt)*), $($sig:tt)*) => {
        #[doc = $summary]
        #[utoipa::path(
            post,
            path = $path,
            tag = "credit",
            summary = $summary,
            params($($params)*),
            request_body(content = Object, content_type = "application/json", description = $body),
            security(("bearer" = ["credit_officer"])),
            responses(
                (status = 201, description = "`{subject, entry_id, record_id?, global_sequences, impact[]}`: impact lists logged answers whose decision would now differ", body = Object),
                (status = 400, description = "A bad USCC or entry id", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such entry of this subject", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "A rule refused it (the message names the rule)", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "A bad or missing field", body = Problem, content_type = "application/problem+json"),
            )
        )]
        $($sig)*
    };
    ($name:ident, $path:literal, $action:literal, entry, $summary:literal, $body:literal) => {
        officer_step!(@id $name, $path, $action, "entry_id", "The entry id", $summary, $body);
    };
    ($name:ident, $path:literal, $action:literal, record, $summary:literal, $body:literal) => {
        officer_step!(@id $name, $path, $action, "record_id", "The credit record id", $summary, $body);
    };
    // A step on one entry or record: the path's `{id}` goes into the body as `$key`.
    (@id $name:ident, $path:literal, $action:literal, $key:literal, $what:literal, $summary:literal, $body:literal) => {
        officer_step!(@doc $name, $path, $summary, $body,
            (("id" = Uuid, Path, description = $what)),
            async fn $name(
                caller: Authorized<Officers>,
                State(state): State<AppState>,
                AppPath(p): AppPath<IdPath>,
                AppJson(body): AppJson<Value>,
            ) -> Result<impl IntoResponse, ApiError> {
                act(&caller.0, &state, $action, Some(($key, &p.id)), body).await
            }
        );
    };
    ($name:ident, $path:literal, $action:literal, subject, $summary:literal, $body:literal) => {
        officer_step!(@doc $name, $path, $summary, $body,
            (),
            async fn $name(
                caller: Authorized<Officers>,
                State(state): State<AppState>,
                AppJson(body): AppJson<Value>,
            ) -> Result<impl IntoResponse, ApiError> {
                act(&caller.0, &state, $action, None, body).await
            }
        );
    };
}

officer_step!(
    record,
    "/v1/credit/records",
    "record",
    subject,
    "Record a credit fact about a subject",
    "`{subject, source, summary, legal_basis, effective_on, reference?}`"
);
officer_step!(enter, "/v1/credit/entries", "enter", subject,
    "Enter a subject on a list (abnormal, serious, red, focus)",
    "`{subject, list, reason, legal_basis, entered_on}`; the abnormal list's reason is one of its entry reasons");
officer_step!(
    remove,
    "/v1/credit/entries/{id}/removal",
    "remove",
    entry,
    "Remove an entry on correction, from a day (possibly past: a late-recorded removal)",
    "`{subject, reason, removed_on}`"
);
officer_step!(
    annul,
    "/v1/credit/entries/{id}/annulment",
    "annul",
    entry,
    "Annul an entry as wrongful from the start (a retroactive correction)",
    "`{subject, reason}`"
);
officer_step!(
    apply_repair,
    "/v1/credit/entries/{id}/repair",
    "apply_repair",
    entry,
    "Record a credit repair application for a serious-list entry",
    "`{subject, applied_on?, proofs: [sha256], corrected, penalty_fulfilled, public_commitment}`"
);
officer_step!(
    repair_record,
    "/v1/credit/records/{id}/repair",
    "repair_record",
    record,
    "Repair a penalty record whose minimum publicity period has ended (3 months ordinary, 12 serious): from repaired_on it no longer counts in the credit evaluation",
    "`{subject, reasons, proofs: [sha256], repaired_on?}`"
);
officer_step!(
    decide_repair,
    "/v1/credit/entries/{id}/repair/decision",
    "decide_repair",
    entry,
    "Decide a credit repair application, with reasons",
    "`{subject, approved, reasons, effective_on?}`"
);

#[derive(Deserialize)]
struct ListParam {
    list: String,
}

/// `?date&known_at&format`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SnapshotQuery {
    /// The valid date, YYYY-MM-DD.
    #[param(value_type = String, format = Date)]
    date: NaiveDate,
    /// As recorded by then (RFC 3339; default now).
    #[param(value_type = Option<String>, format = DateTime)]
    known_at: Option<DateTime<Utc>>,
    /// json (default), csv, or manifest (`{basis, count, sha256, format}` of the JSON body).
    format: Option<String>,
}

/// A list's entries in force on a date, as known at a moment.
#[utoipa::path(
    get,
    path = "/v1/lists/{list}/snapshot",
    tag = "credit",
    summary = "A list's entries on a date as known at a moment, as JSON or CSV, with a manifest",
    params(("list" = String, Path, description = "abnormal, serious, red or focus"), SnapshotQuery),
    security(("bearer" = ["credit_officer", "supervisor", "external_system"])),
    responses(
        (status = 200, description = "JSON `{basis, entries: [{entry_id, subject, list, entered_on, until, reason}]}`, or CSV; headers `X-Snapshot-Sha256`, `X-Snapshot-Count`, `X-Snapshot-Log-Seq`", body = Object),
        (status = 400, description = "A bad date, known_at or format", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such list", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn snapshot(
    _caller: Authorized<LogReaders>,
    State(state): State<AppState>,
    AppPath(p): AppPath<ListParam>,
    AppQuery(q): AppQuery<SnapshotQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let list = ListId::parse(&p.list).map_err(|_| {
        ApiError::NotFound(format!(
            "no list {:?}; the lists are abnormal, serious, red, focus",
            p.list
        ))
    })?;
    let snap = credit::snapshot(&state.log, state.clock.as_ref(), list, q.date, q.known_at).await?;
    let (body, media, format) = match q.format.as_deref().unwrap_or("json") {
        "json" => (
            serde_json::to_string(&snap).map_err(|e| ApiError::Internal(e.to_string()))?,
            "application/json",
            "json",
        ),
        "csv" => (
            credit::snapshot_csv(&snap)?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        "manifest" => {
            let json =
                serde_json::to_string(&snap).map_err(|e| ApiError::Internal(e.to_string()))?;
            let m = credit::manifest(&snap, &json, "json");
            return Ok(AppJson(m).into_response());
        }
        other => {
            let m = format!("query.format: {other:?}; expected json, csv or manifest");
            return Err(ApiError::bad_request("query.format", m));
        }
    };
    let m = credit::manifest(&snap, &body, format);
    Ok((
        [
            (header::CONTENT_TYPE, media.to_string()),
            (HeaderName::from_static("x-snapshot-sha256"), m.sha256),
            (
                HeaderName::from_static("x-snapshot-count"),
                m.count.to_string(),
            ),
            (
                HeaderName::from_static("x-snapshot-log-seq"),
                m.basis.log_seq.to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

/// `?after&limit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ChangesQuery {
    /// Resume after this ledger position (default 0; `Last-Event-ID` wins when sent).
    after: Option<u64>,
    /// JSON page size (1–1000, default 100); the event stream has no cap.
    limit: Option<u64>,
}

/// How long the stream waits before looking for new changes.
const CHANGES_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Typed list changes from a cursor: a JSON page, or with `Accept: text/event-stream`
/// an unbounded server-sent event stream resumable with `Last-Event-ID`.
#[utoipa::path(
    get,
    path = "/v1/credit/changes",
    tag = "credit",
    summary = "List changes (entered, corrected, repaired, removed, expired) after a cursor: JSON page or server-sent events",
    params(ChangesQuery),
    security(("bearer" = ["credit_officer", "external_system", "supervisor"])),
    responses(
        (status = 200, description = "JSON `{after, next_after, changes: [{seq, type, subject, entry_id, …}]}`, or `text/event-stream` with `id` = seq and `event` = type", body = Object),
        (status = 400, description = "A bad cursor or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn changes(
    _caller: Authorized<LogReaders>,
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    AppQuery(q): AppQuery<ChangesQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use jianxin_projections::read_models::credit_changes;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok());
    let after = resume.or(q.after).unwrap_or(0);
    let stream_wanted = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !stream_wanted {
        let limit = page_limit(q.limit)?;
        let rows = credit_changes(state.log.database(), after, limit).await?;
        let next = rows.last().map_or(after, |r| r.seq);
        let list: Vec<Value> = rows
            .iter()
            .filter_map(credit::list_change)
            .map(|(_, v)| v)
            .collect();
        return Ok(
            AppJson(json!({"after": after, "next_after": next, "changes": list})).into_response(),
        );
    }
    let log = state.log.clone();
    let start = (log, after, std::collections::VecDeque::<Event>::new());
    let stream = futures::stream::unfold(start, |(log, mut cursor, mut pending)| async move {
        loop {
            if let Some(e) = pending.pop_front() {
                return Some((
                    Ok::<Event, std::convert::Infallible>(e),
                    (log, cursor, pending),
                ));
            }
            match credit_changes(log.database(), cursor, 500).await {
                Ok(rows) if !rows.is_empty() => {
                    for r in rows {
                        cursor = r.seq;
                        if let Some((kind, v)) = credit::list_change(&r) {
                            let e = Event::default()
                                .id(r.seq.to_string())
                                .event(kind)
                                .data(v.to_string());
                            pending.push_back(e);
                        }
                    }
                }
                Ok(_) => tokio::time::sleep(CHANGES_POLL).await,
                // the store failed: end the stream; the client resumes from its last id
                Err(_) => return None,
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// `?date&known_at`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EvaluationQuery {
    /// The valid date, YYYY-MM-DD.
    #[param(value_type = String, format = Date)]
    date: NaiveDate,
    /// As recorded by then (RFC 3339; default now).
    #[param(value_type = Option<String>, format = DateTime)]
    known_at: Option<DateTime<Utc>>,
}

/// The public credit evaluation of a subject.
#[utoipa::path(
    get,
    path = "/v1/credit/subjects/{uscc}/evaluation",
    tag = "credit",
    summary = "A subject's public credit evaluation (class A–D, rule credit-class-v1) on a date as known at a moment",
    params(("uscc" = String, Path, description = "The USCC"), EvaluationQuery),
    security(("bearer" = ["credit_officer", "supervisor", "external_system"])),
    responses(
        (status = 200, description = "`{subject, date, known_at, log_seq, class, reasons[], rule_version}`", body = Object),
        (status = 400, description = "A bad USCC or date", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn evaluation(
    _caller: Authorized<LogReaders>,
    State(state): State<AppState>,
    AppPath(p): AppPath<UsccParam>,
    AppQuery(q): AppQuery<EvaluationQuery>,
) -> Result<impl IntoResponse, ApiError> {
    subject_param("path.uscc", &p.uscc)?;
    let clock = state.clock.as_ref();
    Ok(AppJson(
        credit::evaluate_subject(&state.log, clock, &p.uscc, q.date, q.known_at).await?,
    ))
}
