//! Reference data over HTTP (`/v1/reference/{kind}`): the versions of the working-day
//! calendar and of the division table, and loading a new version from CSV; and
//! (`/v1/calendar/years`) which years the calendar in force counts officially and which
//! provisionally.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use jianxin_domain::reference_data::ReferenceKind;
use jianxin_projections::read_models::{ReferenceDataVersion, ReferenceDataVersions};
use serde::{Deserialize, Serialize};

use super::auth::{Admins, Authorized, ReferenceReaders};
use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, Csv};
use crate::ops::{self, Loaded};
use crate::state::AppState;

/// `GET` and `POST /v1/reference/{kind}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reference/{kind}", get(list).post(load))
        .route("/v1/calendar/years", get(calendar_years))
}

/// One covered year of the calendar in force.
#[derive(Serialize, utoipa::ToSchema)]
struct CalendarYear {
    year: i32,
    /// `official` (the loaded State Council schedule) or `provisional` (weekends and the
    /// statutory holidays only, until the official schedule is loaded).
    #[schema(value_type = String)]
    calendar: &'static str,
}

/// The years of the calendar in force.
#[derive(Serialize, utoipa::ToSchema)]
struct CalendarYears {
    /// SHA-256 of the loaded official schedule's canonical text, hex.
    digest: String,
    years: Vec<CalendarYear>,
}

/// Which years deadlines are counted on officially and which provisionally, as
/// `jianxin calendar years --format json` prints them (with the digest beside).
#[utoipa::path(
    get,
    path = "/v1/calendar/years",
    tag = "reference data",
    summary = "Years of the working-day calendar in force: official or provisional",
    security(("bearer" = ["admin", "planner", "supervisor", "credit_officer"])),
    responses(
        (status = 200, description = "Every covered year, in order", body = CalendarYears),
    )
)]
async fn calendar_years(
    _caller: Authorized<ReferenceReaders>,
    State(state): State<AppState>,
) -> Result<AppJson<CalendarYears>, ApiError> {
    let calendar = ops::current_calendar(&state.log).await?;
    let years = calendar
        .years()
        .into_iter()
        .map(|(year, basis)| CalendarYear {
            year,
            calendar: basis.as_str(),
        })
        .collect();
    Ok(AppJson(CalendarYears {
        digest: calendar.content_digest(),
        years,
    }))
}

#[derive(Deserialize)]
struct KindParam {
    kind: String,
}

impl KindParam {
    /// The kind named in the path, or a 404 naming those that exist.
    fn parse(&self) -> Result<ReferenceKind, ApiError> {
        match self.kind.as_str() {
            "calendar" => Ok(ReferenceKind::Calendar),
            "divisions" => Ok(ReferenceKind::Divisions),
            "credit_rules" => Ok(ReferenceKind::CreditRules),
            "measures" => Ok(ReferenceKind::Measures),
            other => Err(ApiError::NotFound(format!(
                "no reference data kind {other:?}; the kinds are calendar, divisions, credit_rules, measures"
            ))),
        }
    }
}

/// The versions of one kind of reference data.
#[derive(Serialize, utoipa::ToSchema)]
struct Versions {
    kind: &'static str,
    /// Oldest first: `{kind, version, digest, rows, source, loaded_at, actor_user, global_sequence}`.
    #[schema(value_type = Vec<Object>)]
    versions: Vec<ReferenceDataVersion>,
}

/// Every recorded version of `kind`, oldest first.
#[utoipa::path(
    get,
    path = "/v1/reference/{kind}",
    tag = "reference data",
    summary = "Versions of the working-day calendar or the division table",
    params(("kind" = String, Path, description = "`calendar` or `divisions`")),
    security(("bearer" = ["admin", "planner", "supervisor", "credit_officer"])),
    responses(
        (status = 200, description = "The versions, oldest first", body = Versions),
        (status = 404, description = "Unknown kind", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    _caller: Authorized<ReferenceReaders>,
    State(state): State<AppState>,
    AppPath(param): AppPath<KindParam>,
) -> Result<AppJson<Versions>, ApiError> {
    let kind = param.parse()?;
    let versions = ReferenceDataVersions::list(state.log.database(), Some(kind)).await?;
    Ok(AppJson(Versions {
        kind: kind.as_str(),
        versions,
    }))
}

/// The outcome of a load.
#[derive(Serialize, utoipa::ToSchema)]
struct LoadedBody {
    kind: &'static str,
    /// SHA-256 of the canonical text, hex.
    digest: String,
    rows: u32,
    /// False when the content equals the current version (nothing recorded).
    changed: bool,
    /// Ledger positions of the recorded events.
    global_sequences: Vec<u64>,
    /// For a calendar, the impact notice: every running deadline the calendar moved,
    /// each recorded anew, as `{kind, id, uscc?, deadline, previous, due_on, calendar}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    recounted: Option<Vec<crate::deadlines::Recounted>>,
}

impl From<Loaded> for LoadedBody {
    fn from(l: Loaded) -> Self {
        LoadedBody {
            kind: l.kind,
            digest: l.digest,
            rows: l.rows,
            changed: l.changed,
            global_sequences: l.global_sequences,
            recounted: l.recounted,
        }
    }
}

/// Validate a CSV table and record it as the next version of `kind`.
#[utoipa::path(
    post,
    path = "/v1/reference/{kind}",
    tag = "reference data",
    summary = "Load a new version of the calendar or the division table from CSV",
    params(("kind" = String, Path, description = "`calendar` or `divisions`")),
    request_body(content = String, content_type = "text/csv", description = "The table, with its header row"),
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "A new version was recorded", body = LoadedBody),
        (status = 200, description = "Equal to the current version: nothing recorded (`changed: false`)", body = LoadedBody),
        (status = 404, description = "Unknown kind", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 10 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `text/csv`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid CSV; `errors[].path` gives line and column", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn load(
    caller: Authorized<Admins>,
    State(state): State<AppState>,
    AppPath(param): AppPath<KindParam>,
    Csv(body): Csv,
) -> Result<impl IntoResponse, ApiError> {
    let kind = param.parse()?;
    let claims = caller.0;
    let loaded = ops::load_reference(
        &state.log,
        state.clock.as_ref(),
        &claims.actor(),
        kind,
        &body,
        "http",
    )
    .await?;
    let status = if loaded.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!("/v1/reference/{}", kind.as_str());
    Ok((
        status,
        [(header::LOCATION, location)],
        AppJson(LoadedBody::from(loaded)),
    ))
}
