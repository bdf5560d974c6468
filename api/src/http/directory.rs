//! The directories over HTTP, read side: inspectors as of a day and the inspection items
//! (`/v1/inspectors`, `/v1/items`), plus what the subject routes (`subjects`) share —
//! page limits and filter normalisation. The semantics are the CLI's (`jianxin
//! inspectors list` …): filters take either spelling of a closed list and are normalised
//! to the stored name, `as_of` defaults to today by the state's clock, pages continue
//! from `next`.

use std::fmt::Display;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use jianxin_domain::directory::{DepartmentCode, InspectorStatus, Qualification};
use jianxin_domain::identifiers::RegionCode;
use jianxin_projections::read_models::directory_queries::{
    list_inspectors, list_items, InspectorFilter, InspectorRow, ItemRow, Page,
};
use serde::{Deserialize, Serialize};

use super::auth::{Authorized, ItemReaders, PlanningReaders};
use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppQuery};
use crate::state::AppState;

/// Page size when `limit` is absent.
const DEFAULT_LIMIT: u64 = 100;
/// The largest page.
const MAX_LIMIT: u64 = 1000;

/// `GET /v1/inspectors`, `GET /v1/items`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/inspectors", get(inspectors))
        .route("/v1/items", get(items))
}

/// `limit` checked (1 to 1000, default 100).
pub(super) fn page_limit(limit: Option<u64>) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        let message = format!("query.limit: expected 1 to {MAX_LIMIT}, got {limit}");
        return Err(ApiError::bad_request("query.limit", message));
    }
    Ok(limit as i64)
}

/// A filter value parsed by `parse` and shown in its stored form, or a 400 at
/// `query.<field>` whose message says what is accepted.
pub(super) fn filter<T, E: Display>(
    field: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
    show: impl Fn(T) -> String,
) -> Result<Option<String>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let at = format!("query.{field}");
    match parse(&value) {
        Ok(t) => Ok(Some(show(t))),
        Err(e) => Err(ApiError::bad_request(at.clone(), format!("{at}: {e}"))),
    }
}

/// A region code must be six digits of a real province (GB/T 2260).
pub(super) fn region(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    filter(
        field,
        value,
        |s| {
            RegionCode::parse(s)
                .map_err(|e| format!("{e}; expected a six-digit division code such as 330100"))
        },
        |r| r.as_str().to_string(),
    )
}

/// `?department&patrol_area&qualification&status&as_of&after&limit` of the inspector list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct InspectorsQuery {
    /// Department code.
    department: Option<String>,
    /// A division code the inspector patrols (exact).
    patrol_area: Option<String>,
    /// A qualification (执法资格).
    qualification: Option<String>,
    /// Status, Chinese or English (`在岗`, `active`; `suspended`; `retired`).
    status: Option<String>,
    /// The day the directory is read as of, `YYYY-MM-DD` (default: today).
    as_of: Option<NaiveDate>,
    /// The `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u64>,
}

/// A page of inspectors.
#[derive(Serialize, utoipa::ToSchema)]
struct InspectorsPage {
    /// By id: `{id, name, department, patrol_areas, certificate_number,
    /// certificate_issued_on, certificate_expires_on, qualifications, expert, status,
    /// valid_from, valid_to}`, the version in force on `as_of`.
    #[schema(value_type = Vec<Object>)]
    items: Vec<InspectorRow>,
    /// `after` of the next page; null on the last.
    next: Option<String>,
}

/// The inspectors in the directory on a day, filtered, by id.
#[utoipa::path(
    get,
    path = "/v1/inspectors",
    tag = "directories",
    summary = "Inspectors as of a day, filtered by department, patrol area, qualification and status",
    params(InspectorsQuery),
    security(("bearer" = ["admin", "planner", "supervisor"])),
    responses(
        (status = 200, description = "A page of inspectors", body = InspectorsPage),
        (status = 400, description = "A bad filter; the detail says what is accepted", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn inspectors(
    _caller: Authorized<PlanningReaders>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<InspectorsQuery>,
) -> Result<AppJson<InspectorsPage>, ApiError> {
    let filter = InspectorFilter {
        department: filter("department", q.department, DepartmentCode::parse, |d| {
            d.as_str().into()
        })?,
        patrol_area: region("patrol_area", q.patrol_area)?,
        qualification: filter(
            "qualification",
            q.qualification,
            Qualification::parse,
            |d| d.to_string(),
        )?,
        status: filter("status", q.status, InspectorStatus::parse, |s| {
            s.as_str().into()
        })?,
    };
    let limit = page_limit(q.limit)?;
    let as_of = q.as_of.unwrap_or_else(|| state.clock.now().date_naive());
    let db = state.log.database();
    let Page { items, next } =
        list_inspectors(db, &filter, as_of, q.after.as_deref(), limit).await?;
    Ok(AppJson(InspectorsPage { items, next }))
}

/// `?after&limit` of the item list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ItemsQuery {
    /// The `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u64>,
}

/// A page of inspection items.
#[derive(Serialize, utoipa::ToSchema)]
struct ItemsPage {
    /// By code: `{code, version, record, retired}`, each as it stands.
    #[schema(value_type = Vec<Object>)]
    items: Vec<ItemRow>,
    /// `after` of the next page; null on the last.
    next: Option<String>,
}

/// The inspection item list (随机抽查事项清单), by code.
#[utoipa::path(
    get,
    path = "/v1/items",
    tag = "directories",
    summary = "The inspection item list as it stands, by code",
    params(ItemsQuery),
    security(("bearer" = ["admin", "planner", "inspector", "supervisor"])),
    responses(
        (status = 200, description = "A page of items", body = ItemsPage),
        (status = 400, description = "Bad `limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn items(
    _caller: Authorized<ItemReaders>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ItemsQuery>,
) -> Result<AppJson<ItemsPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let db = state.log.database();
    let Page { items, next } = list_items(db, q.after.as_deref(), limit).await?;
    Ok(AppJson(ItemsPage { items, next }))
}
