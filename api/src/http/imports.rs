//! Bulk import over HTTP (`POST /v1/imports/{kind}`): a `multipart/form-data` upload of
//! a directory file, imported all or nothing exactly as `jianxin import` does. The
//! upload is copied to a temporary file named with the upload's extension (which says
//! CSV or XLSX), since the import reads the file twice; the copy is removed when the
//! request ends. The body limit bounds the upload (413 beyond it).

use std::path::Path;

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use chrono::NaiveDate;
use jianxin_domain::directory::import::ImportKind;
use serde::Deserialize;
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::auth::{Authorized, DirectoryWriters};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{AppJson, AppPath, Form};
use crate::import::source::{self, SourceError};
use crate::import::{import_file, ImportError, ImportOptions, Imported};
use crate::state::AppState;

/// `POST /v1/imports/{kind}`.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/imports/{kind}", post(import))
}

#[derive(Deserialize)]
struct KindParam {
    kind: String,
}

impl KindParam {
    /// The kind named in the path, or a 404 naming those that exist.
    fn parse(&self) -> Result<ImportKind, ApiError> {
        let found = ImportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == self.kind);
        found.ok_or_else(|| {
            ApiError::NotFound(format!(
                "no import kind {:?}; the kinds are subjects, inspectors, items",
                self.kind
            ))
        })
    }
}

/// The form of an import (documentation of the parts; [`read_form`] reads them).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ImportForm {
    /// The file, with a filename: `.csv` (UTF-8 or GB18030, detected) or `.xlsx`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `true` to validate and count without writing (default `false`).
    dry_run: Option<bool>,
    /// Force the encoding of a CSV: `utf-8`, `gb18030` or `gbk`.
    encoding: Option<String>,
    /// The XLSX sheet (default: the first).
    sheet: Option<String>,
    /// The day the recorded changes take effect, `YYYY-MM-DD` (default: today).
    effective: Option<NaiveDate>,
}

/// An upload saved for import.
struct Upload {
    /// The name the client gave the file: messages show it instead of the temporary path.
    name: String,
    /// The temporary copy, removed on drop.
    path: TempPath,
}

/// Import a directory file: all rows or none.
#[utoipa::path(
    post,
    path = "/v1/imports/{kind}",
    tag = "directories",
    summary = "Import a subject, inspector or item file (CSV or XLSX), all rows or none",
    params(("kind" = String, Path, description = "`subjects`, `inspectors` or `items`")),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    security(("bearer" = ["admin", "planner"])),
    responses(
        (status = 200, description = "Clean: written, or counted by a dry run. `{kind, created, changed, unchanged, rejected, errors, dry_run, written, events_appended, source}`", body = Object),
        (status = 400, description = "No `file` part, an unknown part or a bad option", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown kind", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 10 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `multipart/form-data`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rejected, nothing written (`import-rejected`: `errors[]` locates each example, `report` is the whole report), an unreadable file, or a file over a bound of docs/IMPORT.md \"Limits\" (`invalid-input`, naming the limit and its setting)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`busy`: imports are running at the limit (`JIANXIN_IMPORT_CONCURRENCY`, 2); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn import(
    caller: Authorized<DirectoryWriters>,
    State(state): State<AppState>,
    AppPath(param): AppPath<KindParam>,
    Form(form): Form,
) -> Result<AppJson<Imported>, ApiError> {
    let kind = param.parse()?;
    // a few imports at a time; the next one is told to come back, not queued
    let Ok(permit) = state.imports.clone().try_acquire_owned() else {
        return Err(ApiError::Busy(
            "imports are running at the limit of this service (JIANXIN_IMPORT_CONCURRENCY); \
             retry in a few seconds"
                .into(),
        ));
    };
    let (upload, options) = read_form(form, kind).await?;
    let actor = caller.0.actor();
    // Reading a file (an XLSX sheet is parsed whole) is blocking work: it runs on a
    // blocking thread, never on the threads that answer the other requests.
    let path = upload.path.to_path_buf();
    let worker = state.clone();
    let runtime = tokio::runtime::Handle::current();
    let imported = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let clock = worker.clock.as_ref();
        runtime.block_on(import_file(&worker.log, clock, &actor, &path, &options))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the import stopped: {e}")))?
    .map_err(|e| import_error(e, &upload))?;
    if !imported.report.is_clean() {
        return Err(rejected(&imported));
    }
    Ok(AppJson(imported))
}

/// The parts of the form: the saved file and the options.
async fn read_form(
    mut form: axum::extract::Multipart,
    kind: ImportKind,
) -> Result<(Upload, ImportOptions), ApiError> {
    let mut options = ImportOptions {
        kind,
        encoding: None,
        sheet: None,
        dry_run: false,
        effective: None,
        progress: false,
    };
    let mut upload = None;
    while let Some(mut field) = form.next_field().await? {
        let name = field.name().unwrap_or_default().to_string();
        let at = format!("form.{name}");
        if name == "file" {
            if upload.is_some() {
                return Err(ApiError::bad_request(at, "more than one `file` part"));
            }
            upload = Some(save(&mut field).await?);
            continue;
        }
        let text = field.text().await?;
        let bad = |m: String| ApiError::bad_request(at.clone(), format!("{at}: {m}"));
        match name.as_str() {
            "dry_run" => match text.trim() {
                "true" => options.dry_run = true,
                "false" => options.dry_run = false,
                other => return Err(bad(format!("expected true or false, got {other:?}"))),
            },
            "encoding" => {
                source::encoding_named(&text).map_err(|e| bad(e.to_string()))?;
                options.encoding = Some(text);
            }
            "sheet" => options.sheet = Some(text),
            "effective" => {
                let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d");
                let date = date.map_err(|e| bad(format!("{e}; expected YYYY-MM-DD")))?;
                options.effective = Some(date);
            }
            _ => {
                return Err(bad(
                    "unknown part; expected file, dry_run, encoding, sheet, effective".into(),
                ))
            }
        }
    }
    let upload = upload.ok_or_else(|| {
        ApiError::bad_request(
            "form.file",
            "form.file: no `file` part; upload the file as `file`",
        )
    })?;
    Ok((upload, options))
}

/// Copy the `file` part to a temporary file with the same extension.
async fn save(field: &mut axum::extract::multipart::Field<'_>) -> Result<Upload, ApiError> {
    let Some(name) = field.file_name().map(str::to_string) else {
        let message = "form.file: the part needs a filename ending .csv or .xlsx";
        return Err(ApiError::bad_request("form.file", message));
    };
    let extension = Path::new(&name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let io = |e: std::io::Error| ApiError::Internal(format!("saving an upload: {e}"));
    let temp = tempfile::Builder::new()
        .prefix("jianxin-upload-")
        .suffix(&extension)
        .tempfile()
        .map_err(io)?;
    let (file, path) = temp.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    while let Some(chunk) = field.chunk().await? {
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(Upload { name, path })
}

/// Why the import could not run, located in the form.
fn import_error(e: ImportError, upload: &Upload) -> ApiError {
    let source = match e {
        ImportError::Source(source) => source,
        ImportError::Store(e) => return e.into(),
        ImportError::Reference(m) => {
            return ApiError::Conflict(format!("the division table in force is invalid: {m}"))
        }
    };
    if let SourceError::Limit { .. } = &source {
        let message = source.to_string();
        return ApiError::Unprocessable {
            errors: vec![FieldError {
                path: "form.file".into(),
                message: message.clone(),
            }],
            message,
        };
    }
    let path = match &source {
        SourceError::Malformed { row, .. } => format!("row {row}"),
        SourceError::UnknownEncoding(_) => "form.encoding".into(),
        SourceError::NoSheet { .. } => "form.sheet".into(),
        _ => "form.file".into(),
    };
    let temp = upload.path.display().to_string();
    let message = source.to_string().replace(&temp, &upload.name);
    ApiError::Unprocessable {
        errors: vec![FieldError {
            path,
            message: message.clone(),
        }],
        message,
    }
}

/// The 422 of a file with bad rows or a bad header: every example located, and the
/// whole report attached.
fn rejected(imported: &Imported) -> ApiError {
    let report = &imported.report;
    let header = report.header_errors.iter().map(|h| FieldError {
        path: "header".into(),
        message: h.clone(),
    });
    let rows = report.errors.iter().flat_map(|g| {
        g.examples.iter().map(move |e| FieldError {
            path: format!("row {}, column {}", e.row, g.column),
            message: format!("{:?}: expected {}", e.value, g.expected),
        })
    });
    let message = if report.header_errors.is_empty() {
        let bad = report.summary().rejected;
        format!("{bad} bad row(s); nothing was written: fix every row and import again")
    } else {
        "bad header; nothing was written".to_string()
    };
    ApiError::ImportRejected {
        message,
        errors: header.chain(rows).collect(),
        report: Box::new(serde_json::to_value(imported).unwrap_or_default()),
    }
}
