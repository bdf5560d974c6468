//! The pages call the JSON API in process: the same routes, the same extractors, the
//! same role checks and the same validation as any API client, with the session's
//! bearer token. So a page never re-implements a rule, and what a form refuses is
//! exactly what the API refuses (with the same problem and field paths).

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::state::AppState;

/// What the API answered.
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// A 2xx answer.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The problem's detail (or the body) of an error answer.
    pub fn detail(&self) -> String {
        match self.json.get("detail").and_then(Value::as_str) {
            Some(d) => d.to_string(),
            None => format!("{}: {}", self.status, self.text),
        }
    }

    /// The problem's field errors: `(path, message)`.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.json
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            super::html::s(e, "path").to_string(),
                            super::html::s(e, "message").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `method path` on the API with `token` (none: a public route) and a JSON `body`.
pub async fn api(
    state: &AppState,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let request = match req.body(body) {
        Ok(r) => r,
        Err(e) => return failed(format!("cannot build the request to {path}: {e}")),
    };
    let res = match crate::http::router(state.clone()).oneshot(request).await {
        Ok(r) => r,
        Err(e) => return failed(format!("{path}: {e}")),
    };
    let status = res.status();
    let bytes = match axum::body::to_bytes(res.into_body(), crate::http::BODY_LIMIT * 4).await {
        Ok(b) => b,
        Err(e) => return failed(format!("reading the answer of {path}: {e}")),
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, json, text }
}

/// `GET path` with `token`.
pub async fn get(state: &AppState, path: &str, token: Option<&str>) -> Reply {
    api(state, Method::GET, path, token, None).await
}

/// `POST path` with `token` and a JSON body.
pub async fn post(state: &AppState, path: &str, token: &str, body: Option<&Value>) -> Reply {
    api(state, Method::POST, path, Some(token), body).await
}

fn failed(message: String) -> Reply {
    tracing::error!(%message, "in-process API call failed");
    Reply {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        json: serde_json::json!({ "detail": message }),
        text: String::new(),
    }
}
