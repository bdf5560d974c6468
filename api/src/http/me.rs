//! `GET /v1/me`: what the presented token says (any authenticated role).

use axum::routing::get;
use axum::Router;

use super::extract::AppJson;
use crate::state::AppState;
use crate::tokens::Claims;

/// `GET /v1/me`.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/me", get(me))
}

/// The caller's verified claims.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "access",
    summary = "The caller's verified token claims (user, role, scopes, expiry)",
    security(("bearer" = ["admin", "planner", "inspector", "credit_officer", "supervisor", "external_system", "case_officer", "approving_officer"])),
    responses(
        (status = 200, description = "`{jti, sub, role, scopes, iat, exp}`", body = Object),
        (status = 401, description = "No valid token", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn me(claims: Claims) -> AppJson<Claims> {
    AppJson(claims)
}
