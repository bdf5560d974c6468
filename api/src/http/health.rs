//! Liveness and readiness probes (public): `/healthz` says the process answers,
//! `/readyz` that the database does too.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use crate::state::AppState;

/// `GET /healthz`, `GET /readyz`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness: the process answers",
    responses((status = 200, description = "Always `ok`", body = String, content_type = "text/plain"))
)]
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers a trivial query.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: the database answers",
    responses(
        (status = 200, description = "`ready`", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    if state.log.database().ping().await {
        Ok("ready")
    } else {
        Err(ApiError::Unavailable(
            "readiness probe: the database does not answer".into(),
        ))
    }
}
