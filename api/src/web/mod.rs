//! The web workbench and the public site (issue 10), served by `jianxin serve` itself
//! under `/web/`: HTML rendered on the server, in Chinese with an English toggle, with a
//! little embedded CSS and script (no CDN, no separate front-end server).
//!
//! Regulators' staff log in with their bearer token (`session`); every staff page is
//! role-checked on the server with the API's role sets (a wrong role gets a 403 page),
//! and every page reads and writes through the JSON API's own routes, called in process
//! with the session's token (`call`), so the rules are the API's and nowhere else. The
//! public pages (一公开) need no login. docs/WEB.md describes the pages, the roles and
//! the login and CSRF design.
//!
//! - `html`: escaping, the language, the page frame, JSON answers as tables.
//! - `session`: login, logout, the session cookie, CSRF tokens, forms.
//! - `call`: the in-process API calls.
//! - `charts`: inline SVG charts and the case timeline.
//! - `public`: plans, tasks, draws with "verify it yourself", results, the checkpoint,
//!   the subject lookup.
//! - `inspector`, `credit`, `cases`, `planner`: the staff workbenches.

mod call;
mod cases;
mod charts;
mod credit;
mod html;
mod inspector;
mod planner;
mod public;
pub(crate) mod session;

pub(crate) use html::Lang;
/// The CSRF token of a session's token (its forms carry it), for tests and tools.
pub use session::csrf_of;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use jianxin_domain::event_log::Role;

use crate::state::AppState;

/// Every page of the site.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { html::see_other("/web/") }))
        .route("/web", get(|| async { html::see_other("/web/") }))
        .route("/web/assets/web.css", get(css))
        .route("/web/assets/web.js", get(js))
        .route("/web/lang/{to}", get(session::set_lang))
        .route("/web/login", get(session::login_page).post(session::login))
        .route("/web/logout", post(session::logout))
        .merge(public::router())
        .merge(inspector::router())
        .merge(credit::router())
        .merge(cases::router())
        .merge(planner::router())
        .layer(axum::middleware::map_response(security_headers))
        // forms and the login post a few kilobytes; no page takes an upload
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            FORM_BODY_LIMIT,
        ))
}

/// The largest body a page's form may post (413 beyond): a login, a result with its
/// findings, a reason. Uploads go to the API (10 MiB).
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// Defence in depth for every page: scripts, styles and forms from this site only, never
/// framed by another (clickjacking), no type sniffing, no full URLs leaked as referrer.
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    page_headers(res.headers_mut());
    res
}

/// The headers of [`security_headers`], for a page answered outside the site's router
/// (the 404 of an unknown `/web/…` path).
fn page_headers(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/web.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/web.js"),
    )
}

/// Who opens the inspector's pages (as `/v1/me/assignments`).
const INSPECTORS: &[Role] = &[Role::Inspector];
/// Who opens the credit officer's pages (as the credit check).
const CREDIT_OFFICERS: &[Role] = &[Role::CreditOfficer];
/// Who reads the query log (as `GET /v1/credit/queries`).
const QUERY_LOG_READERS: &[Role] = &[Role::CreditOfficer, Role::Supervisor];
/// Who opens the case pages (as `GET /v1/cases`).
const CASE_READERS: &[Role] = &[Role::Supervisor, Role::CaseOfficer, Role::ApprovingOfficer];
/// Who opens the planner's pages (as `GET /v1/tasks`; the steps are admin and planner).
const PLANNING_READERS: &[Role] = &[Role::Admin, Role::Planner, Role::Supervisor];

/// The staff links a role sees: `(href, 中文, English)`.
fn staff_links(role: Role) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut links = vec![];
    if INSPECTORS.contains(&role) {
        links.push(("/web/inspector", "我的检查任务", "My assignments"));
    }
    if CREDIT_OFFICERS.contains(&role) {
        links.push(("/web/credit", "信用核查", "Credit check"));
        links.push(("/web/credit/entries", "名单与信用修复", "Lists and repair"));
    }
    if QUERY_LOG_READERS.contains(&role) {
        links.push(("/web/credit/queries", "查询日志", "Query log"));
    }
    if CASE_READERS.contains(&role) {
        links.push(("/web/cases", "案件监督", "Cases"));
    }
    if PLANNING_READERS.contains(&role) {
        links.push(("/web/planner", "抽查任务", "Planning"));
    }
    links
}

/// Where a role lands after logging in.
fn home_of(role: Role) -> &'static str {
    staff_links(role)
        .first()
        .map_or("/web/", |(href, _, _)| href)
}

/// The page for a `/web/…` path that names no page: a 404 in the site's frame, in the
/// visitor's language, with the way back (never the API's JSON problem).
pub(crate) fn not_found(lang: html::Lang, path: &str) -> axum::response::Response {
    let viewer = html::Viewer {
        claims: None,
        csrf: None,
        path: "/web/",
    };
    let message = format!("{} {path}", lang.t("没有这个页面：", "There is no page at"));
    let mut res = html::error_page(lang, &viewer, axum::http::StatusCode::NOT_FOUND, &message);
    // the site's own policy, which admits its stylesheet (the API's admits nothing)
    page_headers(res.headers_mut());
    res
}
