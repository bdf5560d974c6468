//! The HTTP API: each module below exports a `router()`, merged here into one router
//! under one stack of middleware. Handlers are thin: extract, call `ops` or
//! `projections`, map the result; every failure is an [`ApiError`] rendered as an
//! RFC 9457 problem.
//!
//! - `error`: [`ApiError`], problems, the 5xx logging middleware.
//! - `bodies`: the JSON command bodies decoded and checked as their routes do, without
//!   a database ([`check_command_body`], the entry of the `json_commands` fuzz target).
//! - `extract`: JSON, query, path, CSV and multipart extractors whose rejections name
//!   the field.
//! - `auth`: bearer tokens → [`Claims`](crate::tokens::Claims), role sets.
//! - `health`, `metrics`, `docs`: probes, Prometheus metrics, OpenAPI and `/docs`.
//! - `ledger`: checkpoints, proofs and the ledger (`/v1/log/…`).
//! - `reference`: reference-data versions and loads (`/v1/reference/{kind}`).
//! - `subjects`: the subject directory as of a day, one subject's history (`/v1/subjects`).
//! - `directory`: inspectors as of a day, inspection items (`/v1/inspectors`, `/v1/items`).
//! - `rules`: the implementation rules, listed and published (`/v1/rules`).
//! - `imports`: bulk import of directory files (`/v1/imports/{kind}`).
//! - `me`: the caller's claims (`/v1/me`).
//! - `tasks`: inspection tasks and their draw (`/v1/tasks/…`), an inspector's
//!   assignments and recusals (`/v1/me/assignments/…`), the public task list and draw
//!   bundles (`/v1/public/tasks/…`).
//! - `results`: inspection results recorded and corrected by the drawn team, published
//!   (`/v1/tasks/{id}/results/…`), what is due (`/v1/publication/due`), the public
//!   results of a task and a JSON Feed of publications (`/v1/public/…`).
//! - `subscriptions`: webhook subscriptions to the credit change feed
//!   (`/v1/credit/subscriptions`).
//!
//! Middleware, outermost first: request id (`x-request-id`, a UUID when absent or not
//! 1–64 visible ASCII characters, echoed in the response), tracing span (method, route template, request id; status and
//! latency on the response; never headers, so never the token), metrics, problem
//! finishing (5xx causes logged), a 30 s timeout, a 10 MiB body limit.

mod auth;
mod bodies;
mod cases;
mod credit;
mod directory;
mod docs;
mod error;
mod extract;
mod health;
mod imports;
mod ledger;
mod me;
mod metrics;
mod rate_limit;
mod reference;
mod results;
mod rules;
mod subjects;
mod subscriptions;
mod tasks;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Response, Uri};
use axum::response::IntoResponse;
use axum::{middleware, BoxError, Extension, Router};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

pub use auth::{
    Admins, Auditors, Authorized, DirectoryWriters, ItemReaders, PlanningReaders, ReferenceReaders,
    RoleSet, SubjectReaders,
};
pub use bodies::{check_command_body, CommandBody};
pub use docs::ApiDoc;
pub use error::{ApiError, FieldError, Problem};
pub use extract::{AppJson, AppPath, AppQuery, Csv, Form};
pub use metrics::Metrics;
pub use rate_limit::RateLimit;

use crate::state::AppState;

/// The largest request body accepted (413 beyond).
pub const BODY_LIMIT: usize = 10 * 1024 * 1024;

/// How long a request may take before it is answered 503 `timeout`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The API: every route, the middleware stack, and a fresh set of metrics shared by the
/// router's clones.
pub fn router(state: AppState) -> Router {
    let metrics = Arc::new(Metrics::default());
    let layers = ServiceBuilder::new()
        .layer(middleware::map_response(security_headers))
        .layer(middleware::map_request(bounded_request_id))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(|res: &Response<Body>, latency: Duration, _: &Span| {
                    let status = res.status().as_u16();
                    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                    tracing::info!(status, latency_us, "answered");
                })
                .on_failure(()),
        )
        .layer(middleware::from_fn_with_state(
            metrics.clone(),
            metrics::track,
        ))
        .layer(middleware::from_fn(error::finish_problems))
        .layer(HandleErrorLayer::new(timed_out))
        .timeout(REQUEST_TIMEOUT)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(DefaultBodyLimit::disable())
        .layer(Extension(metrics));
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(docs::router())
        .merge(ledger::router())
        .merge(reference::router())
        .merge(subjects::router())
        .merge(directory::router())
        .merge(rules::router())
        .merge(imports::router())
        .merge(me::router())
        .merge(tasks::router())
        .merge(results::router())
        .merge(credit::router())
        .merge(subscriptions::router())
        .merge(cases::router())
        .merge(crate::web::router())
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit,
        ))
        .layer(layers)
        .with_state(state)
}

/// How long a connection may take to send a request's headers before it is closed
/// (slow-header attacks hold a connection open a byte at a time), unless `serve
/// --header-read-timeout-secs` says otherwise.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve until `shutdown` resolves, then finish the requests in flight; a connection
/// that has not sent a request's headers within [`HEADER_READ_TIMEOUT`] is closed.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(state, listener, shutdown, HEADER_READ_TIMEOUT).await
}

/// [`serve`] with another header-read timeout. An HTTP/1.1 accept loop of our own
/// because `axum::serve` gives hyper no timer, so no header timeout can take effect:
/// each connection is served by hyper with one, the client's address is the request's
/// `ConnectInfo` (as axum's `into_make_service_with_connect_info` gives it), and on
/// `shutdown` the listener closes, every connection finishes its request in flight and
/// closes, and this returns when all have.
pub async fn serve_with(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    header_read_timeout: Duration,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let app = router(state);
    // dropped on shutdown: every connection's `closed()` then fires
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    // each connection holds a receiver; `closed()` fires when the last one is done
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // out of file descriptors and the like: wait, never spin
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(Body::new))
        });
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended");
                    }
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended while closing");
                    }
                }
            }
            drop(done);
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// The security headers of every answer (JSON, problems, text, `/docs`) that a page or
/// route did not set itself: nothing may frame or sniff them, and a JSON answer loaded
/// as a document may run nothing (`default-src 'none'`). The web pages and `/docs` set
/// their own Content-Security-Policy, which is kept.
async fn security_headers(mut res: Response<Body>) -> Response<Body> {
    use axum::http::{header, HeaderValue};
    let headers = res.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    res
}

/// The longest `x-request-id` a client may set; a longer one is replaced.
pub const REQUEST_ID_MAX: usize = 64;

/// Drops a client's `x-request-id` that is longer than [`REQUEST_ID_MAX`] or holds
/// anything but visible ASCII, before it is echoed or logged: the next layer then gives
/// the request a UUID. A megabyte of id would otherwise be copied into every log line
/// and answer, and control characters could forge log lines.
async fn bounded_request_id(mut req: Request) -> Request {
    let fits = req.headers().get(error::REQUEST_ID).is_none_or(|v| {
        let b = v.as_bytes();
        !b.is_empty() && b.len() <= REQUEST_ID_MAX && b.iter().all(u8::is_ascii_graphic)
    });
    if !fits {
        req.headers_mut().remove(error::REQUEST_ID);
    }
    req
}

/// The span of one request: route template, never the raw URI's query, never headers.
fn request_span(req: &Request) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str());
    let request_id = req
        .headers()
        .get(error::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("http", method = %req.method(), route, request_id)
}

async fn no_route(lang: crate::web::Lang, uri: Uri) -> axum::response::Response {
    let path = uri.path();
    if path == "/web" || path.starts_with("/web/") {
        return crate::web::not_found(lang, path);
    }
    ApiError::NotFound(format!("no route for {path}; /docs lists them")).into_response()
}

async fn timed_out(err: BoxError) -> ApiError {
    if err.is::<tower::timeout::error::Elapsed>() {
        ApiError::Timeout(REQUEST_TIMEOUT)
    } else {
        ApiError::Internal(format!("middleware: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn elapsed_requests_become_timeout_problems() {
        let e = timed_out(Box::new(tower::timeout::error::Elapsed::new())).await;
        assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code(), "timeout");
    }
}
