//! Extractors whose rejections are [`ApiError`]s naming the offending field: JSON bodies
//! ([`AppJson`], also a response), query strings ([`AppQuery`]), path parameters
//! ([`AppPath`]), CSV uploads ([`Csv`]) and `multipart/form-data` forms ([`Form`]).
//! axum's own extractors answer in plain text; these answer in problems with a `path` per
//! error.

use axum::body::Bytes;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::ApiError;
use super::BODY_LIMIT;

/// A JSON body in (400 naming the field path on a bad one) or out.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_media_type(req.headers(), "application/json")?;
        let bytes = Bytes::from_request(req, state).await?;
        decode_json(&bytes).map(AppJson)
    }
}

/// A JSON body decoded into `T` as [`AppJson`] does: a 400 naming the field path of a
/// bad value, or `$` for bytes that are not one JSON document.
pub(super) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| bad_field("$", &e.path().to_string(), e.inner()))?;
    de.end()
        .map_err(|e| ApiError::bad_request("$", e.to_string()))?;
    Ok(value)
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                bytes,
            )
                .into_response(),
            Err(e) => ApiError::Internal(format!("serialising a response: {e}")).into_response(),
        }
    }
}

/// A query string deserialised into `T` (400 naming the parameter on a bad one).
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(AppQuery)
            .map_err(|e| bad_field("query", &e.path().to_string(), e.inner()))
    }
}

/// Path parameters deserialised into `T`; a value of the wrong type is a 400 naming the
/// parameter (`path.seq`).
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

/// A path's `{id}` segment, kept as text so that a bad one is refused with the handler's
/// own wording of what was expected (see [`uuid_in_path`]).
#[derive(Debug, serde::Deserialize)]
pub(super) struct IdPath {
    pub id: String,
}

impl IdPath {
    /// The id as a UUID, or a 400 at `path.id` ending "expected {what}".
    pub(super) fn uuid(&self, what: &str) -> Result<uuid::Uuid, ApiError> {
        uuid_in_path("id", &self.id, what)
    }
}

/// The text of path segment `name` as a UUID, or a 400 at `path.<name>` saying
/// `path.<name>: <why>; expected <what>` (`what`: "a case id (a UUID)", say).
pub(super) fn uuid_in_path(name: &str, text: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(text).map_err(|e| {
        let at = format!("path.{name}");
        let message = format!("{at}: {e}; expected {what}");
        ApiError::bad_request(at, message)
    })
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        use axum::extract::path::ErrorKind;
        match rejection {
            PathRejection::FailedToDeserializePathParams(e) => {
                let path = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => format!("path.{key}"),
                    _ => "path".to_string(),
                };
                if e.status() == StatusCode::BAD_REQUEST {
                    ApiError::bad_request(path, e.kind().to_string())
                } else {
                    ApiError::Internal(e.body_text())
                }
            }
            other => ApiError::Internal(other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit: BODY_LIMIT }
        } else {
            ApiError::bad_request("body", rejection.body_text())
        }
    }
}

/// A `text/csv` body as UTF-8 text.
#[derive(Debug, Clone)]
pub struct Csv(pub String);

impl<S: Send + Sync> FromRequest<S> for Csv {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_media_type(req.headers(), "text/csv")?;
        let bytes = Bytes::from_request(req, state).await?;
        String::from_utf8(bytes.into())
            .map(Csv)
            .map_err(|e| ApiError::bad_request("body", format!("the CSV is not UTF-8: {e}")))
    }
}

/// A `multipart/form-data` body, read part by part (415 for another media type). Errors
/// while reading the parts convert with `?`: 413 beyond the body limit, 400 otherwise.
pub struct Form(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_media_type(req.headers(), "multipart/form-data")?;
        Multipart::from_request(req, state)
            .await
            .map(Form)
            .map_err(|e: MultipartRejection| ApiError::bad_request("body", e.body_text()))
    }
}

impl From<MultipartError> for ApiError {
    fn from(e: MultipartError) -> Self {
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: BODY_LIMIT },
            s if s.is_client_error() => ApiError::bad_request("body", e.body_text()),
            _ => ApiError::Internal(format!("reading a multipart body: {}", e.body_text())),
        }
    }
}

/// 415 unless the `Content-Type` is `expected` (parameters such as `charset` allowed).
fn require_media_type(headers: &HeaderMap, expected: &'static str) -> Result<(), ApiError> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match given {
        Some(t) if t.eq_ignore_ascii_case(expected) => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType { expected }),
    }
}

/// A 400 at `root` + `path` (serde_path_to_error writes `.` for the root).
fn bad_field(root: &str, path: &str, inner: &impl std::fmt::Display) -> ApiError {
    let at = match path {
        "." => root.to_string(),
        p => format!("{root}.{p}"),
    };
    ApiError::bad_request(at.clone(), format!("{at}: {inner}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        from: Option<u64>,
        limit: Option<u64>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Nested {
        rows: Vec<Row>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Row {
        n: u32,
    }

    fn errors(e: &ApiError) -> Vec<(String, String)> {
        match e {
            ApiError::BadRequest { errors, .. } => errors
                .iter()
                .map(|f| (f.path.clone(), f.message.clone()))
                .collect(),
            _ => vec![],
        }
    }

    #[test]
    fn a_bad_uuid_in_a_path_is_named_with_what_was_expected() {
        let path = IdPath {
            id: "0192f0c4-6b1e".into(),
        };
        let Err(e) = path.uuid("a case id (a UUID)") else {
            panic!("a short id accepted")
        };
        let errs = errors(&e);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, "path.id");
        assert!(errs[0].1.starts_with("path.id: invalid"), "{errs:?}");
        assert!(
            errs[0].1.ends_with("; expected a case id (a UUID)"),
            "{errs:?}"
        );
        let Err(e) = uuid_in_path("task", "x", "a task id (a UUID)") else {
            panic!("x accepted")
        };
        assert_eq!(errors(&e)[0].0, "path.task");
        let id = "0192f0c4-6b1e-7c3a-9d2e-5a4b3c2d1e0f";
        let ok = uuid_in_path("id", id, "a UUID").map(|u| u.to_string());
        assert_eq!(ok.ok().as_deref(), Some(id));
    }

    #[tokio::test]
    async fn bad_query_parameters_are_named() {
        let req = Request::builder().uri("/x?from=2&limit=ten").body(());
        let Ok(req) = req else { panic!("request") };
        let (mut parts, _) = req.into_parts();
        let Err(e) = AppQuery::<Page>::from_request_parts(&mut parts, &()).await else {
            panic!("limit=ten accepted")
        };
        let errs = errors(&e);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, "query.limit");
        assert!(errs[0].1.contains("invalid digit"), "{errs:?}");
    }

    #[tokio::test]
    async fn json_errors_carry_the_serde_path() {
        let body = Body::from(r#"{"rows": [{"n": 1}, {"n": "x"}]}"#);
        let req = Request::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        let Ok(req) = req else { panic!("request") };
        let Err(e) = AppJson::<Nested>::from_request(req, &()).await else {
            panic!("a string accepted as u32")
        };
        assert_eq!(errors(&e)[0].0, "$.rows[1].n");

        let req = Request::builder().body(Body::from("{}"));
        let Ok(req) = req else { panic!("request") };
        let rejected = AppJson::<Nested>::from_request(req, &()).await;
        assert!(matches!(
            rejected,
            Err(ApiError::UnsupportedMediaType { .. })
        ));
    }

    #[tokio::test]
    async fn csv_needs_its_media_type_and_utf8() {
        let req = Request::builder()
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .body(Body::from("a,b\n1,2\n"));
        let Ok(req) = req else { panic!("request") };
        let csv = Csv::from_request(req, &()).await.map(|c| c.0).ok();
        assert_eq!(csv.as_deref(), Some("a,b\n1,2\n"));

        let req = Request::builder()
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(vec![0xff, 0xfe]));
        let Ok(req) = req else { panic!("request") };
        let rejected = Csv::from_request(req, &()).await;
        assert!(matches!(rejected, Err(ApiError::BadRequest { .. })));
    }
}
