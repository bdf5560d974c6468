//! Prometheus metrics (text format 0.0.4) at `GET /metrics`, for administrators:
//! requests by method, route and status, latency by route, and the ledger's size read at
//! scrape time. Hand-rolled: a few counters do not need a metrics framework.
//!
//! The `route` label is the matched path template (`/v1/log/proof/{seq}`), or
//! `unmatched`, never the raw URI: a scanner probing random paths cannot grow the series.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use jianxin_projections::ledger::read::ledger_extent;

use super::auth::{Admins, Authorized};
use super::error::ApiError;
use crate::state::AppState;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The recorded series; one per router, shared by its clones.
#[derive(Debug, Default)]
pub struct Metrics {
    // A mutex, not atomics per series: the label sets are created on first use, and the
    // lock is held only to bump numbers (never across an await).
    series: Mutex<Series>,
}

#[derive(Debug, Default)]
struct Series {
    /// (method, route, status) → count.
    requests: BTreeMap<(&'static str, String, u16), u64>,
    /// route → latency histogram.
    latency: BTreeMap<String, Histogram>,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Non-cumulative counts per bucket of [`BUCKETS`]; the last slot is `+Inf`.
    counts: [u64; BUCKETS.len() + 1],
    sum: Duration,
    count: u64,
}

impl Metrics {
    /// Count one response.
    pub fn record(&self, method: &Method, route: &str, status: u16, latency: Duration) {
        let mut s = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        *s.requests
            .entry((method_label(method), route.to_string(), status))
            .or_default() += 1;
        let h = s.latency.entry(route.to_string()).or_default();
        let secs = latency.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        h.counts[slot] += 1;
        h.sum += latency;
        h.count += 1;
    }

    /// The exposition text, with the ledger size as a gauge.
    pub fn render(&self, ledger_events: i64) -> String {
        let (requests, latency) = {
            let s = self.series.lock().unwrap_or_else(PoisonError::into_inner);
            (s.requests.clone(), s.latency.clone())
        };
        let mut out = String::new();
        out.push_str("# HELP jianxin_http_requests_total HTTP requests answered, by method, route template and status.\n");
        out.push_str("# TYPE jianxin_http_requests_total counter\n");
        for ((method, route, status), n) in &requests {
            let route = escape(route);
            let _ = writeln!(out, "jianxin_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str(
            "# HELP jianxin_http_request_duration_seconds Time to answer, by route template.\n",
        );
        out.push_str("# TYPE jianxin_http_request_duration_seconds histogram\n");
        for (route, h) in &latency {
            let route = escape(route);
            let mut cumulative = 0;
            for (i, le) in BUCKETS
                .iter()
                .map(|b| b.to_string())
                .chain(["+Inf".into()])
                .enumerate()
            {
                cumulative += h.counts[i];
                let _ = writeln!(out, "jianxin_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}");
            }
            let sum = h.sum.as_secs_f64();
            let _ = writeln!(
                out,
                "jianxin_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "jianxin_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP jianxin_ledger_events Entries in the integrity ledger.\n");
        out.push_str("# TYPE jianxin_ledger_events gauge\n");
        let _ = writeln!(out, "jianxin_ledger_events {ledger_events}");
        out
    }
}

/// Methods outside the standard set share one label.
fn method_label(m: &Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == m.as_str())
        .unwrap_or("OTHER")
}

/// Escape a label value (backslash, quote, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: time and count every request under its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let res = next.run(req).await;
    metrics.record(&method, &route, res.status().as_u16(), started.elapsed());
    res
}

/// `GET /metrics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// The metrics in Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics: requests, latency, ledger size",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "Text format 0.0.4", body = String, content_type = "text/plain; version=0.0.4"))
)]
async fn scrape(
    _caller: Authorized<Admins>,
    State(state): State<AppState>,
    Extension(metrics): Extension<Arc<Metrics>>,
) -> Result<impl IntoResponse, ApiError> {
    let (count, _) = ledger_extent(state.log.database()).await?;
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        metrics.render(count),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_text_format() {
        let m = Metrics::default();
        m.record(&Method::GET, "/healthz", 200, Duration::from_millis(2));
        m.record(&Method::GET, "/healthz", 200, Duration::from_millis(70));
        m.record(
            &Method::from_bytes(b"BREW").unwrap_or_default(),
            "unmatched",
            405,
            Duration::ZERO,
        );
        let text = m.render(7);
        assert!(text.contains(
            "jianxin_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2\n"
        ));
        assert!(text.contains("method=\"OTHER\",route=\"unmatched\",status=\"405\"} 1"));
        assert!(text.contains(
            "jianxin_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "jianxin_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.1\"} 2\n"
        ));
        assert!(text.contains(
            "jianxin_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2\n"
        ));
        assert!(
            text.contains("jianxin_http_request_duration_seconds_count{route=\"/healthz\"} 2\n")
        );
        assert!(text.contains("jianxin_ledger_events 7\n"));
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
