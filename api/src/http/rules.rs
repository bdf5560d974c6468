//! The implementation rules over HTTP (`/v1/rules`): every published version, and
//! publishing a new one. A version equal to the current one records nothing.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use jianxin_domain::directory::rules::RULES_REASON_MAX_CHARS;
use jianxin_domain::directory::{check_text, Rules};
use jianxin_projections::read_models::directory_queries::{list_rules, RulesRow};
use serde::{Deserialize, Serialize};

use super::auth::{Authorized, DirectoryWriters, PlanningReaders};
use super::error::{ApiError, FieldError, Problem};
use super::extract::AppJson;
use crate::ops;
use crate::state::AppState;

/// `GET` and `POST /v1/rules`.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/rules", get(list).post(publish))
}

/// The published versions of the rules.
#[derive(Serialize, utoipa::ToSchema)]
struct Versions {
    /// Oldest first: `{version, rules, reason, published_at, actor_user}`.
    #[schema(value_type = Vec<Object>)]
    versions: Vec<RulesRow>,
}

/// Every published version of the implementation rules, oldest first.
#[utoipa::path(
    get,
    path = "/v1/rules",
    tag = "directories",
    summary = "Published versions of the implementation rules (抽查工作细则)",
    security(("bearer" = ["admin", "planner", "supervisor"])),
    responses((status = 200, description = "The versions, oldest first", body = Versions))
)]
async fn list(
    _caller: Authorized<PlanningReaders>,
    State(state): State<AppState>,
) -> Result<AppJson<Versions>, ApiError> {
    let versions = list_rules(state.log.database()).await?;
    Ok(AppJson(Versions { versions }))
}

/// A version to publish.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PublishBody {
    /// The whole rules document, as `jianxin rules defaults` prints it.
    #[schema(value_type = Object)]
    rules: Rules,
    /// Why this version is published (recorded with it; 1 to 500 characters).
    reason: String,
}

/// The outcome of a publication.
#[derive(Serialize, utoipa::ToSchema)]
struct Published {
    /// False when the rules equal the current version (nothing recorded).
    published: bool,
    /// Ledger positions of the recorded events.
    global_sequences: Vec<u64>,
}

/// Check every field and the reason at once, so that one answer lists every violation.
pub(super) fn validate(body: &PublishBody) -> Result<(), ApiError> {
    let mut errors: Vec<FieldError> = match body.rules.validate() {
        Ok(()) => vec![],
        Err(violations) => violations
            .into_iter()
            .map(|v| FieldError {
                path: format!("$.rules.{}", v.path),
                message: format!("{}, expected {}", v.value, v.expected),
            })
            .collect(),
    };
    if let Err(e) = check_text(&body.reason, RULES_REASON_MAX_CHARS) {
        errors.push(FieldError {
            path: "$.reason".into(),
            message: format!("reason {e}"),
        });
    }
    if errors.is_empty() {
        return Ok(());
    }
    let message = errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    Err(ApiError::Unprocessable {
        message: format!("invalid rules: {message}"),
        errors,
    })
}

/// Publish a version of the implementation rules.
#[utoipa::path(
    post,
    path = "/v1/rules",
    tag = "directories",
    summary = "Publish a version of the implementation rules",
    request_body(content = PublishBody, content_type = "application/json"),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 201, description = "A new version was published", body = Published),
        (status = 200, description = "Equal to the current version: nothing recorded (`published: false`)", body = Published),
        (status = 400, description = "Not a rules document (`errors[].path` names the field)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Out-of-range values; `errors[].path` names each (`$.rules.ratio_bp.D`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn publish(
    caller: Authorized<DirectoryWriters>,
    State(state): State<AppState>,
    AppJson(body): AppJson<PublishBody>,
) -> Result<impl IntoResponse, ApiError> {
    validate(&body)?;
    let actor = caller.0.actor();
    let clock = state.clock.as_ref();
    let seqs = ops::publish_rules(&state.log, clock, &actor, body.rules, &body.reason).await?;
    let published = !seqs.is_empty();
    let status = if published {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(header::LOCATION, "/v1/rules")],
        AppJson(Published {
            published,
            global_sequences: seqs,
        }),
    ))
}
