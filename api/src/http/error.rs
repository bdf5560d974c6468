//! Errors as RFC 9457 problems (`application/problem+json`): one [`ApiError`], its status
//! in [`ApiError::status_code`], its body in one `IntoResponse`, and the mapping of every
//! lower error (operations, store, proofs, tokens) into it.
//!
//! A 5xx body never carries the cause. The cause travels in a [`ServerFault`] response
//! extension to [`finish_problems`], which logs it with `tracing::error!` and the request
//! id, and tells the client only that id (the axum `examples/error-handling` pattern).
//! The same middleware gives a problem body to the bare error responses of layers and of
//! axum itself (405, 413 by `Content-Length`, …), so every error the API sends is one shape.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jianxin_domain::event_log::Role;
use jianxin_projections::ledger::ProofRequestError;
use jianxin_projections::StoreError;
use serde::Serialize;

use crate::ops::OpError;
use crate::tokens::TokenError;

/// Prefix of every problem `type` URI; the problem's `code` follows it.
pub const PROBLEM_TYPE_BASE: &str = "https://jianxin.local/problems/";

/// The media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The request id header, set by the outermost layer.
pub const REQUEST_ID: &str = "x-request-id";

/// One located error inside a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Where: a field path (`$.limits[0]`), a parameter (`query.limit`, `path.seq`) or a
    /// place in an uploaded file (`line 3, column 2`).
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

/// An RFC 9457 problem document, as every error response carries it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `https://jianxin.local/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened in this occurrence.
    pub detail: String,
    /// The stable machine-readable code (also the end of `type`).
    pub code: String,
    /// Located errors (empty when the problem has no location).
    pub errors: Vec<FieldError>,
    /// The whole report of a rejected import (`import-rejected` problems only): counts and
    /// the bad rows grouped by column and expectation, as a clean import returns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

/// Every way a request can fail, with its HTTP meaning.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (path, query, header or body syntax).
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
        /// Where.
        errors: Vec<FieldError>,
    },
    /// 401: no bearer token, or one that does not verify (`invalid` is then true).
    #[error("{message}")]
    Unauthorized {
        /// Why.
        message: String,
        /// A token was presented but refused (RFC 6750 `error="invalid_token"`).
        invalid: bool,
    },
    /// 403: the token's role may not use this resource.
    #[error(
        "role {role} may not use this resource; it needs one of: {}",
        role_list(allowed)
    )]
    Forbidden {
        /// The caller's role.
        role: Role,
        /// The roles that may.
        allowed: &'static [Role],
    },
    /// 403: refused by design (e.g. rewriting history), whoever asks.
    #[error("refused: {0}")]
    Refused(String),
    /// 404: no such resource (the message says what exists).
    #[error("{0}")]
    NotFound(String),
    /// 409: a domain rule or a concurrent writer refused the change.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body exceeds the limit.
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: the body is not of the media type the route reads.
    #[error("expected a request body of type {expected}")]
    UnsupportedMediaType {
        /// The media type expected.
        expected: &'static str,
    },
    /// 422: the body is well-formed but invalid (e.g. a CSV row that breaks a rule).
    #[error("{message}")]
    Unprocessable {
        /// What is wrong.
        message: String,
        /// Where.
        errors: Vec<FieldError>,
    },
    /// 422: an import file with a bad header or bad rows, so nothing was written. The
    /// problem locates each example error and carries the full report as `report`.
    #[error("{message}")]
    ImportRejected {
        /// How many rows were bad, or that the header was.
        message: String,
        /// One per header error and per reported example (`row 3, column uscc`).
        errors: Vec<FieldError>,
        /// The import report, as JSON.
        report: Box<serde_json::Value>,
    },
    /// 429: too many requests without a verified token from one address.
    #[error(
        "too many requests from this address without a verified token; retry in {retry_after} s"
    )]
    TooManyRequests {
        /// Seconds until one more request is allowed.
        retry_after: u64,
    },
    /// 503: the request did not finish within the server's time limit.
    #[error("the request did not complete within {} s", .0.as_secs())]
    Timeout(Duration),
    /// 503 with `Retry-After`: the work asked for runs a few at a time and all of them
    /// are taken (the message says which work); other requests are not held up.
    #[error("{0}")]
    Busy(String),
    /// 503: the database cannot be reached or is restarting (cause logged, not sent).
    #[error("{0}")]
    Unavailable(String),
    /// 507: the database's disk is full, so nothing was written (cause logged, not sent).
    #[error("{0}")]
    InsufficientStorage(String),
    /// 500: anything else that is the server's fault (cause logged, not sent).
    #[error("{0}")]
    Internal(String),
    /// An error response made by a layer or by axum, known only by its status.
    #[error("{}", .0.canonical_reason().unwrap_or("error"))]
    Status(StatusCode),
}

fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl ApiError {
    /// A 400 with one located error.
    pub fn bad_request(path: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::BadRequest {
            errors: vec![FieldError {
                path: path.into(),
                message: message.clone(),
            }],
            message,
        }
    }

    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } | ApiError::Refused(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } | ApiError::ImportRejected { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Timeout(_) | ApiError::Unavailable(_) | ApiError::Busy(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Status(s) => *s,
        }
    }

    /// The stable code, the last segment of the problem `type`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad-request",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::Refused(_) => "refused",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooManyRequests { .. } => "too-many-requests",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType { .. } => "unsupported-media-type",
            ApiError::Unprocessable { .. } => "invalid-input",
            ApiError::ImportRejected { .. } => "import-rejected",
            ApiError::Timeout(_) => "timeout",
            ApiError::Busy(_) => "busy",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::InsufficientStorage(_) => "insufficient-storage",
            ApiError::Internal(_) => "internal",
            ApiError::Status(s) => match s.as_u16() {
                404 => "not-found",
                405 => "method-not-allowed",
                408 => "timeout",
                413 => "payload-too-large",
                507 => "insufficient-storage",
                s if s >= 500 => "internal",
                _ => "error",
            },
        }
    }

    /// The problem's title: the status's reason phrase.
    fn title(&self) -> &'static str {
        self.status_code().canonical_reason().unwrap_or("Error")
    }

    /// True when the cause must stay in the server's log.
    fn is_fault(&self) -> bool {
        matches!(
            self,
            ApiError::Unavailable(_) | ApiError::InsufficientStorage(_) | ApiError::Internal(_)
        ) || matches!(self, ApiError::Status(s) if s.is_server_error())
    }

    /// The problem document, with `detail` as the client may see it.
    fn problem(&self, detail: String) -> Problem {
        let errors = match self {
            ApiError::BadRequest { errors, .. }
            | ApiError::Unprocessable { errors, .. }
            | ApiError::ImportRejected { errors, .. } => errors.clone(),
            _ => vec![],
        };
        let report = match self {
            ApiError::ImportRejected { report, .. } => Some((**report).clone()),
            _ => None,
        };
        Problem {
            kind: format!("{PROBLEM_TYPE_BASE}{}", self.code()),
            title: self.title().to_string(),
            status: self.status_code().as_u16(),
            detail,
            code: self.code().to_string(),
            errors,
            report,
        }
    }
}

/// The cause of a 5xx, carried from [`ApiError::into_response`] to [`finish_problems`].
#[derive(Debug, Clone)]
pub struct ServerFault {
    /// The problem code the client sees (`internal`, `unavailable`).
    pub code: &'static str,
    /// What went wrong, for the log only.
    pub cause: String,
}

fn problem_body(problem: &Problem) -> Body {
    // A Problem holds only strings, integers and JSON values: serialising it cannot fail.
    Body::from(serde_json::to_vec(problem).unwrap_or_default())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let detail = if self.is_fault() {
            generic_detail(status, None)
        } else {
            self.to_string()
        };
        let mut res = (status, problem_body(&self.problem(detail))).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let ApiError::Unauthorized { invalid, .. } = &self {
            let challenge = if *invalid {
                r#"Bearer realm="jianxin", error="invalid_token""#
            } else {
                r#"Bearer realm="jianxin""#
            };
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let ApiError::TooManyRequests { retry_after } = &self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_UNAVAILABLE_SECS),
            );
        }
        if self.is_fault() {
            res.extensions_mut().insert(ServerFault {
                code: self.code(),
                cause: self.to_string(),
            });
        }
        res
    }
}

/// `Retry-After` of a 503: a database restart or a pool starved for a moment is over in
/// seconds, so clients come back soon rather than give up.
pub const RETRY_UNAVAILABLE_SECS: u64 = 5;

fn generic_detail(status: StatusCode, request_id: Option<&str>) -> String {
    let what = match status {
        StatusCode::SERVICE_UNAVAILABLE => "service unavailable",
        StatusCode::INSUFFICIENT_STORAGE => "insufficient storage: nothing was written",
        _ => "internal error",
    };
    match request_id {
        Some(id) => format!("{what}, request id {id}"),
        None => what.to_string(),
    }
}

/// Middleware: log the cause of each 5xx with the request id and put that id in the body;
/// give every other error response without a problem body (or an HTML page) one.
pub async fn finish_problems(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let res = next.run(req).await;
    let status = res.status();
    if let Some(ServerFault { code, cause }) = res.extensions().get::<ServerFault>() {
        tracing::error!(request_id = %request_id, status = status.as_u16(), cause = %cause, "request failed");
        let mut problem =
            ApiError::Status(status).problem(generic_detail(status, Some(&request_id)));
        problem.kind = format!("{PROBLEM_TYPE_BASE}{code}");
        problem.code = code.to_string();
        return replace_body(res, &problem);
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    // the web pages (`crate::web`) answer their errors as HTML pages for people
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem || is_page {
        return res;
    }
    let error = ApiError::Status(status);
    let detail = match status.as_u16() {
        405 => "method not allowed on this path; the Allow header lists those that are".into(),
        s if s >= 500 => {
            tracing::error!(request_id = %request_id, status = s, "request failed");
            generic_detail(status, Some(&request_id))
        }
        _ => error.to_string(),
    };
    replace_body(res, &error.problem(detail))
}

/// Keep the status and headers (`Allow`, `WWW-Authenticate`, …); replace the body.
fn replace_body(res: Response, problem: &Problem) -> Response {
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.extensions.remove::<ServerFault>();
    Response::from_parts(parts, problem_body(problem))
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => ApiError::Conflict(e.to_string()),
            StoreError::Refused(m) => ApiError::Refused(m),
            _ if e.is_unavailable() => ApiError::Unavailable(e.to_string()),
            _ if e.is_storage_full() => ApiError::InsufficientStorage(e.to_string()),
            StoreError::Database(_)
            | StoreError::Relayed { .. }
            | StoreError::Encoding(_)
            | StoreError::Config(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Invalid { message, location } => ApiError::Unprocessable {
                errors: vec![FieldError {
                    path: location.unwrap_or_else(|| "body".to_string()),
                    message: message.clone(),
                }],
                message,
            },
            OpError::Refused(m) => ApiError::Conflict(m),
            OpError::NotFound(m) => ApiError::NotFound(m),
            OpError::Forbidden(m) => ApiError::Refused(m),
            OpError::Store(s) => s.into(),
        }
    }
}

impl From<ProofRequestError> for ApiError {
    fn from(e: ProofRequestError) -> Self {
        match e {
            ProofRequestError::OutOfRange(m) => ApiError::NotFound(m),
            ProofRequestError::Store(s) => s.into(),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        ApiError::Unauthorized {
            message: e.to_string(),
            invalid: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn render(e: ApiError) -> (StatusCode, Response, serde_json::Value) {
        let res = e.into_response();
        let status = res.status();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or_default();
        (status, Response::from_parts(parts, Body::empty()), json)
    }

    #[tokio::test]
    async fn problems_carry_type_code_status_and_located_errors() {
        let (status, res, json) = render(ApiError::from(OpError::Invalid {
            message: "bad date".into(),
            location: Some("line 3, column 1".into()),
        }))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(PROBLEM_JSON.as_bytes())
        );
        assert_eq!(json["type"], "https://jianxin.local/problems/invalid-input");
        assert_eq!(json["code"], "invalid-input");
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["path"], "line 3, column 1");
        assert_eq!(json["errors"][0]["message"], "bad date");
    }

    #[tokio::test]
    async fn import_rejections_carry_their_report() {
        let (status, _, json) = render(ApiError::ImportRejected {
            message: "1 bad row(s); nothing was written".into(),
            errors: vec![FieldError {
                path: "row 2, column uscc".into(),
                message: "\"x\": expected a USCC of 18 characters".into(),
            }],
            report: Box::new(serde_json::json!({"rejected": 1, "errors": []})),
        })
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json["code"], "import-rejected");
        assert_eq!(json["errors"][0]["path"], "row 2, column uscc");
        assert_eq!(json["report"]["rejected"], 1);
        let (_, _, other) = render(ApiError::NotFound("no".into())).await;
        assert!(other.get("report").is_none(), "{other}");
    }

    #[tokio::test]
    async fn server_faults_hide_their_cause_and_hand_it_to_the_log() {
        let cause = "database: password authentication failed for user secret";
        let (status, res, json) = render(ApiError::Internal(cause.into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!json.to_string().contains("secret"));
        assert_eq!(json["detail"], "internal error");
        let fault = res
            .extensions()
            .get::<ServerFault>()
            .map(|f| f.cause.clone());
        assert_eq!(fault.as_deref(), Some(cause));
    }

    #[tokio::test]
    async fn unauthorized_challenges_with_bearer() {
        let (status, res, _) = render(ApiError::from(TokenError::BadSignature)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let challenge = res.headers().get(header::WWW_AUTHENTICATE);
        assert!(challenge.is_some_and(|v| v.as_bytes().starts_with(b"Bearer ")));
    }

    #[test]
    fn store_errors_map_by_availability() {
        let unavailable = ApiError::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(unavailable.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let broken = ApiError::from(StoreError::Database(sqlx::Error::RowNotFound));
        assert_eq!(broken.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let conflict = ApiError::from(StoreError::Conflict {
            aggregate_id: uuid::Uuid::nil(),
        });
        assert_eq!(conflict.status_code(), StatusCode::CONFLICT);
        let refused = ApiError::from(StoreError::Refused("no deletes".into()));
        assert_eq!(refused.status_code(), StatusCode::FORBIDDEN);
        let encoding = ApiError::from(StoreError::Encoding("x".into()));
        assert_eq!(encoding.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            ApiError::from(OpError::Refused("no".into())).status_code(),
            StatusCode::CONFLICT
        );
    }

    #[tokio::test]
    async fn unavailable_database_asks_to_retry_and_a_full_disk_says_so() {
        let down = StoreError::Database(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        // relayed to the callers of one group commit, the kind is kept
        for e in [down.relay(), down] {
            let (status, res, json) = render(ApiError::from(e)).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(json["code"], "unavailable");
            let retry = res.headers().get(header::RETRY_AFTER);
            assert_eq!(retry.map(|v| v.as_bytes()), Some(&b"5"[..]));
        }
        let (status, res, json) = render(ApiError::InsufficientStorage("full".into())).await;
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(json["code"], "insufficient-storage");
        assert_eq!(json["detail"], "insufficient storage: nothing was written");
        assert!(res.headers().get(header::RETRY_AFTER).is_none());
        let relayed_full = StoreError::Relayed {
            message: "database or disk is full".into(),
            failure: jianxin_projections::DbFailure::StorageFull,
        };
        assert_eq!(
            ApiError::from(relayed_full).status_code(),
            StatusCode::INSUFFICIENT_STORAGE
        );
    }

    #[test]
    fn forbidden_names_the_roles_that_may() {
        let e = ApiError::Forbidden {
            role: Role::Planner,
            allowed: &[Role::Supervisor, Role::Admin],
        };
        assert_eq!(e.status_code(), StatusCode::FORBIDDEN);
        assert!(e.to_string().contains("supervisor, admin"));
    }
}
