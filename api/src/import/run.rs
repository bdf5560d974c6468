//! Importing one file, all or nothing (批量导入).
//!
//! Pass 1 streams the file and validates every row — header, each cell, duplicate keys
//! within the file — collecting every problem into the report. Any problem: nothing is
//! written. Pass 2 streams the file again and runs one command per row inside ONE
//! transaction ([`BatchWriter`]): unchanged rows append no events, changed rows only their
//! change events. A refusal in pass 2 rolls the whole transaction back; so does a killed
//! process, since nothing is committed until the last row. `--dry-run` runs both passes
//! and rolls back, so its counts are exactly what an import would do.

use std::path::Path;

use chrono::NaiveDate;
use esrs::Aggregate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jianxin_domain::directory::import::{
    validate_inspector_row, validate_item_row, validate_subject_row, DuplicateKeys,
    DuplicateTracker, HeaderMap, ImportKind, ImportOutcome, ImportReport, RowError,
};
use jianxin_domain::directory::{
    inspector_aggregate_id, item_aggregate_id, subject_id, InspectionItem, Inspector,
    InspectorCommand, ItemCommand, RecordInspector, RecordItem, RecordSubject, Subject,
    SubjectCommand,
};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued};
use jianxin_domain::identifiers::DivisionTable;
use jianxin_projections::registry::{HasStore, Stores};
use jianxin_projections::store::Envelope;
use jianxin_projections::{Clock, EventLog, StoreError};
use uuid::Uuid;

use super::source::{self, SourceError};

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// subjects, inspectors or items.
    pub kind: ImportKind,
    /// Force an encoding for CSV (`utf-8`, `gb18030`, `gbk`).
    pub encoding: Option<String>,
    /// The XLSX sheet (default: the first).
    pub sheet: Option<String>,
    /// Validate and count, write nothing.
    pub dry_run: bool,
    /// The date the recorded changes take effect (default: today).
    pub effective: Option<NaiveDate>,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// The result of an import that could run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    /// The report: counts and grouped errors.
    #[serde(flatten)]
    pub report: ImportReport,
    /// True when nothing was written because of `--dry-run`.
    pub dry_run: bool,
    /// True when the report is clean and (unless a dry run) the rows were written.
    pub written: bool,
    /// Events appended (0 for a dry run or a rejected file).
    pub events_appended: u64,
    /// How the file was read.
    pub source: String,
}

/// Why an import could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reference data in force is invalid.
    #[error("{0}")]
    Reference(String),
}

/// One kind of importable row.
trait Target {
    type A: Aggregate<Command = Issued<Self::Cmd>> + Send + Sync + 'static;
    type Cmd: Send;
    type Record;
    fn validate(
        row: u64,
        fields: &[&str],
        header: &HeaderMap,
        d: &DivisionTable,
    ) -> Result<Self::Record, Vec<RowError>>;
    /// Duplicate check within the file.
    fn check_duplicate(seen: &mut Seen, row: u64, r: &Self::Record) -> Result<(), RowError>;
    fn aggregate_id(r: &Self::Record) -> Uuid;
    fn command(r: Self::Record) -> Self::Cmd;
}

/// Keys already seen in the file.
enum Seen {
    Uscc(DuplicateTracker),
    Keys(DuplicateKeys),
}

struct Subjects;
impl Target for Subjects {
    type A = Subject;
    type Cmd = SubjectCommand;
    type Record = jianxin_domain::directory::SubjectRecord;
    fn validate(
        row: u64,
        f: &[&str],
        h: &HeaderMap,
        d: &DivisionTable,
    ) -> Result<Self::Record, Vec<RowError>> {
        validate_subject_row(row, f, h, d)
    }
    fn check_duplicate(seen: &mut Seen, row: u64, r: &Self::Record) -> Result<(), RowError> {
        match seen {
            Seen::Uscc(t) => t.check(row, &r.uscc).map_err(|d| d.to_row_error("uscc")),
            Seen::Keys(k) => k
                .check(row, r.uscc.as_str())
                .map_err(|d| d.to_row_error("uscc")),
        }
    }
    fn aggregate_id(r: &Self::Record) -> Uuid {
        subject_id(&r.uscc)
    }
    fn command(record: Self::Record) -> Self::Cmd {
        SubjectCommand::Record(RecordSubject { record })
    }
}

struct Inspectors;
impl Target for Inspectors {
    type A = Inspector;
    type Cmd = InspectorCommand;
    type Record = jianxin_domain::directory::InspectorRecord;
    fn validate(
        row: u64,
        f: &[&str],
        h: &HeaderMap,
        d: &DivisionTable,
    ) -> Result<Self::Record, Vec<RowError>> {
        validate_inspector_row(row, f, h, d)
    }
    fn check_duplicate(seen: &mut Seen, row: u64, r: &Self::Record) -> Result<(), RowError> {
        match seen {
            Seen::Keys(k) => k
                .check(row, r.id.as_str())
                .map_err(|d| d.to_row_error("id")),
            Seen::Uscc(_) => Ok(()),
        }
    }
    fn aggregate_id(r: &Self::Record) -> Uuid {
        inspector_aggregate_id(&r.id)
    }
    fn command(record: Self::Record) -> Self::Cmd {
        InspectorCommand::Record(RecordInspector { record })
    }
}

struct Items;
impl Target for Items {
    type A = InspectionItem;
    type Cmd = ItemCommand;
    type Record = jianxin_domain::directory::ItemRecord;
    fn validate(
        row: u64,
        f: &[&str],
        h: &HeaderMap,
        _d: &DivisionTable,
    ) -> Result<Self::Record, Vec<RowError>> {
        validate_item_row(row, f, h)
    }
    fn check_duplicate(seen: &mut Seen, row: u64, r: &Self::Record) -> Result<(), RowError> {
        match seen {
            Seen::Keys(k) => k
                .check(row, r.code.as_str())
                .map_err(|d| d.to_row_error("code")),
            Seen::Uscc(_) => Ok(()),
        }
    }
    fn aggregate_id(r: &Self::Record) -> Uuid {
        item_aggregate_id(&r.code)
    }
    fn command(record: Self::Record) -> Self::Cmd {
        ItemCommand::Record(RecordItem { record })
    }
}

/// Import `path` as `options.kind`, recording `actor` as the actor of every event.
pub async fn import_file(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    path: &Path,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let divisions = crate::ops::current_divisions(log)
        .await
        .map_err(|e| ImportError::Reference(e.to_string()))?;
    match options.kind {
        ImportKind::Subjects => run::<Subjects>(log, clock, actor, path, options, &divisions).await,
        ImportKind::Inspectors => {
            run::<Inspectors>(log, clock, actor, path, options, &divisions).await
        }
        ImportKind::Items => run::<Items>(log, clock, actor, path, options, &divisions).await,
    }
}

fn progress_bar(enabled: bool, total: u64, message: &'static str) -> ProgressBar {
    let bar = if enabled {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({per_sec}, ETA {eta})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar
}

/// Pass 1 of an import: the file read and every row validated, nothing written.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Counts and grouped errors; clean when the header and every row are valid.
    pub report: ImportReport,
    /// The header's columns; `None` when the header was rejected (the report says why).
    pub header: Option<HeaderMap>,
    /// Data rows read (wholly empty lines are not rows).
    pub rows: u64,
    /// How the file was read.
    pub source: String,
}

/// Reads `path` as `options.kind` and validates the header, every row and the keys'
/// uniqueness within the file, writing nothing: the first pass of [`import_file`],
/// which the fuzz targets `import_csv` and `import_xlsx` drive on arbitrary bytes. An
/// unreadable file is an error; bad content is a report that is not clean.
pub fn check_file(
    path: &Path,
    options: &ImportOptions,
    divisions: &DivisionTable,
) -> Result<Checked, ImportError> {
    match options.kind {
        ImportKind::Subjects => validate::<Subjects>(path, options, divisions),
        ImportKind::Inspectors => validate::<Inspectors>(path, options, divisions),
        ImportKind::Items => validate::<Items>(path, options, divisions),
    }
}

fn validate<T: Target>(
    path: &Path,
    options: &ImportOptions,
    divisions: &DivisionTable,
) -> Result<Checked, ImportError> {
    let mut report = ImportReport::new(options.kind);
    let src = source::open(path, options.encoding.as_deref(), options.sheet.as_deref())?;
    let header_fields: Vec<&str> = src.header.iter().map(String::as_str).collect();
    let header = match HeaderMap::parse(options.kind, &header_fields) {
        Ok(h) => h,
        Err(errors) => {
            report.reject_header(&errors);
            return Ok(Checked {
                report,
                header: None,
                rows: 0,
                source: src.described,
            });
        }
    };
    let mut seen = match options.kind {
        ImportKind::Subjects => Seen::Uscc(DuplicateTracker::new()),
        _ => Seen::Keys(DuplicateKeys::new()),
    };
    let bar = progress_bar(options.progress, 0, "validating");
    let mut rows = 0u64;
    for item in src.rows {
        let (row, fields) = item?;
        rows += 1;
        bar.inc(1);
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        match T::validate(row, &refs, &header, divisions) {
            Ok(record) => {
                if let Err(dup) = T::check_duplicate(&mut seen, row, &record) {
                    report.reject_row(vec![dup]);
                }
            }
            Err(errors) => report.reject_row(errors),
        }
    }
    bar.finish_and_clear();
    Ok(Checked {
        report,
        header: Some(header),
        rows,
        source: src.described,
    })
}

async fn run<T: Target>(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    path: &Path,
    options: &ImportOptions,
    divisions: &DivisionTable,
) -> Result<Imported, ImportError>
where
    <T::A as Aggregate>::Event: Envelope,
    <T::A as Aggregate>::State: Default + Send,
    <T::A as Aggregate>::Error: std::fmt::Display,
    Stores: HasStore<T::A>,
{
    // Pass 1: validate everything, write nothing.
    let checked = validate::<T>(path, options, divisions)?;
    let (mut report, described) = (checked.report, checked.source);
    let header = match checked.header {
        Some(header) if report.is_clean() => header,
        _ => {
            return Ok(Imported {
                report,
                dry_run: options.dry_run,
                written: false,
                events_appended: 0,
                source: described,
            })
        }
    };
    let rows = checked.rows;
    // Pass 2: one transaction; commit only if every row went through.
    let effective = options
        .effective
        .unwrap_or_else(|| clock.now().date_naive());
    let src = source::open(path, options.encoding.as_deref(), options.sheet.as_deref())?;
    let bar = progress_bar(options.progress, rows, "importing");
    let mut batch = log.batch::<T::A>().await?;
    for item in src.rows {
        let (row, fields) = item?;
        bar.inc(1);
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let record = match T::validate(row, &refs, &header, divisions) {
            Ok(r) => r,
            Err(errors) => {
                // the file changed between the passes
                report.reject_row(errors);
                continue;
            }
        };
        let id = T::aggregate_id(&record);
        let meta =
            CommandMeta::new(Uuid::new_v4(), actor.clone(), clock.now()).effective(effective);
        let issued = Issued {
            meta,
            command: T::command(record),
        };
        match batch.apply(id, issued).await? {
            Ok(applied) => report.count(ImportOutcome::of(applied.existed, applied.events)),
            Err(refused) => report.reject_row(vec![RowError {
                row,
                column: "(row)".into(),
                value: String::new(),
                expected: refused.to_string(),
            }]),
        }
    }
    bar.finish_and_clear();
    let appended = batch.appended();
    if !report.is_clean() || options.dry_run {
        batch.rollback().await?;
        return Ok(Imported {
            report,
            dry_run: options.dry_run,
            written: false,
            events_appended: 0,
            source: described,
        });
    }
    batch.commit().await?;
    Ok(Imported {
        report,
        dry_run: false,
        written: true,
        events_appended: appended,
        source: described,
    })
}
