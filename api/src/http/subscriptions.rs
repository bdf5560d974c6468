//! Subscriptions to the change feed over HTTP (订阅, docs/CREDIT.md §5a): subscribe a URL
//! to the list changes, list and inspect subscriptions with their delivery state, end
//! one. Each call is one call into [`crate::webhooks`].
//!
//! Who: external systems and credit officers subscribe and unsubscribe (an external
//! system only its own); supervisors read. An external system sees only its own
//! subscriptions; another's answers 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use jianxin_domain::credit::subscription::DESCRIPTION_MAX_CHARS;
use jianxin_domain::credit::ListId;
use jianxin_domain::event_log::Role;
use serde::Deserialize;
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;

use super::auth::{Authorized, RoleSet};
use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, IdPath};
use crate::state::AppState;
use crate::webhooks;

/// The largest subscribe body (a URL of at most 2 KiB, a description, four lists).
pub const SUBSCRIBE_BODY_MAX: usize = 16 * 1024;

/// Who subscribes and unsubscribes.
struct Subscribers;
impl RoleSet for Subscribers {
    const ROLES: &'static [Role] = &[Role::CreditOfficer, Role::ExternalSystem];
}

/// Who reads subscriptions.
struct SubscriptionReaders;
impl RoleSet for SubscriptionReaders {
    const ROLES: &'static [Role] = &[Role::CreditOfficer, Role::ExternalSystem, Role::Supervisor];
}

/// The subscription routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/credit/subscriptions", get(list).post(subscribe))
        .route(
            "/v1/credit/subscriptions/{id}",
            get(show).delete(unsubscribe),
        )
        .route_layer(RequestBodyLimitLayer::new(SUBSCRIBE_BODY_MAX))
}

/// A subscription asked for.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SubscribeBody {
    /// The receiver: an absolute `http://` URL (at most 2048 bytes, no credentials, no
    /// fragment).
    url: String,
    /// The lists to follow (`abnormal`, `serious`, `red`, `focus`); none or absent: all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    lists: Vec<ListId>,
    /// What it is for (at most 500 characters).
    #[serde(default)]
    description: String,
}

/// The checks of a subscription that need no database: the URL and the description.
pub(super) fn check_body(body: &SubscribeBody) -> Result<(), ApiError> {
    webhooks::check_target(&body.url)
        .map_err(|m| ApiError::bad_request("$.url", format!("$.url: {m}")))?;
    let description_ok = body.description.chars().count() <= DESCRIPTION_MAX_CHARS
        && !body
            .description
            .chars()
            .any(|c| c.is_control() && c != '\n');
    if !description_ok {
        return Err(ApiError::bad_request(
            "$.description",
            format!("$.description: expected at most {DESCRIPTION_MAX_CHARS} characters without control characters"),
        ));
    }
    Ok(())
}

/// Subscribe a URL to the list changes.
#[utoipa::path(
    post,
    path = "/v1/credit/subscriptions",
    tag = "credit",
    summary = "Subscribe a URL to the list changes, pushed as signed webhook batches (the secret is shown once)",
    request_body(content = SubscribeBody, content_type = "application/json"),
    security(("bearer" = ["credit_officer", "external_system"])),
    responses(
        (status = 201, description = "`{subscription_id, url, lists, description, secret, global_sequence}`; `secret` is the HMAC key of `X-Jianxin-Signature`, shown only here", body = Object),
        (status = 400, description = "A bad URL (`$.url`: not http://, credentials, fragment, too long), list or description; nothing is recorded", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A body over 16 KiB", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn subscribe(
    caller: Authorized<Subscribers>,
    State(state): State<AppState>,
    AppJson(body): AppJson<SubscribeBody>,
) -> Result<impl IntoResponse, ApiError> {
    check_body(&body)?;
    let actor = caller.0.actor();
    let created =
        webhooks::subscribe(&state, &actor, &body.url, body.lists, &body.description).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// The caller's subscriptions (external systems) or all of them.
#[utoipa::path(
    get,
    path = "/v1/credit/subscriptions",
    tag = "credit",
    summary = "Subscriptions with their cursor and delivery state (external systems: their own)",
    security(("bearer" = ["credit_officer", "external_system", "supervisor"])),
    responses(
        (status = 200, description = "`{subscriptions: [{subscription_id, owner, url, lists, active, cursor, deliveries, …, delivery: {attempts, last_error, next_attempt_at, …}}]}`", body = Object),
    )
)]
async fn list(
    caller: Authorized<SubscriptionReaders>,
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let rows = webhooks::list(&state, &caller.0.actor()).await?;
    Ok(AppJson(json!({ "subscriptions": rows })))
}

/// One subscription with its delivery state.
#[utoipa::path(
    get,
    path = "/v1/credit/subscriptions/{id}",
    tag = "credit",
    summary = "A subscription: its cursor (last acknowledged change), deliveries, attempts, last error and next attempt",
    params(("id" = Uuid, Path, description = "The subscription id")),
    security(("bearer" = ["credit_officer", "external_system", "supervisor"])),
    responses(
        (status = 200, description = "`{subscription_id, owner, url, lists, active, cursor, deliveries, changes_delivered, last_delivery_id, …, delivery: {pending_delivery_id, attempts, last_status, last_error, next_attempt_at, failures}}`", body = Object),
        (status = 400, description = "Not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription (or not the caller's)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn show(
    caller: Authorized<SubscriptionReaders>,
    State(state): State<AppState>,
    AppPath(p): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = p.uuid("a UUID")?;
    Ok(AppJson(
        webhooks::show(&state, &caller.0.actor(), id).await?,
    ))
}

/// End a subscription.
#[utoipa::path(
    delete,
    path = "/v1/credit/subscriptions/{id}",
    tag = "credit",
    summary = "End a subscription (recorded as Unsubscribed; nothing more is pushed to it)",
    params(("id" = Uuid, Path, description = "The subscription id")),
    security(("bearer" = ["credit_officer", "external_system"])),
    responses(
        (status = 200, description = "The subscription, now `active: false`", body = Object),
        (status = 400, description = "Not a UUID (`path.id`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription (or not the caller's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has ended already", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn unsubscribe(
    caller: Authorized<Subscribers>,
    State(state): State<AppState>,
    AppPath(p): AppPath<IdPath>,
) -> Result<impl IntoResponse, ApiError> {
    let id = p.uuid("a UUID")?;
    Ok(AppJson(
        webhooks::unsubscribe(&state, &caller.0.actor(), id, "").await?,
    ))
}
