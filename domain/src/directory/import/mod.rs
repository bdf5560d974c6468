//! The pure part of bulk import (批量导入): header mapping, row validation and the report.
//!
//! Reading CSV or XLSX and writing events is the API's job; this module decides what a
//! row means. A file is imported all or nothing: every row is validated first, every
//! problem is reported (row, column, value, what was expected; for a USCC the position
//! and the expected check character), duplicates within the file name both rows, and
//! only a clean file becomes commands. Re-importing a file is idempotent because the
//! aggregates record nothing for an unchanged row.
//!
//! A typical run: [`HeaderMap::parse`] on the first row; for each data row
//! `validate_*_row`, then [`DuplicateTracker::check`] (subjects) or
//! [`DuplicateKeys::check`]; [`ImportReport::reject_row`] for bad rows; if
//! [`ImportReport::is_clean`], issue the record commands and [`ImportReport::count`] each
//! [`ImportOutcome::of`].

mod columns;
mod duplicates;
mod fields;
mod header;
mod report;
mod rows;

pub use columns::{
    columns_markdown, ColumnSpec, ImportKind, DATE_FORMATS, INSPECTOR_COLUMNS, ITEM_COLUMNS,
    LIST_SEPARATORS, SUBJECT_COLUMNS,
};
pub use duplicates::{Duplicate, DuplicateKeys, DuplicateTracker, MAX_TRACKED_ROW};
pub use fields::{
    parse_date, parse_frequency, parse_percent_bp, parse_yes_no, split_list, uscc_expected,
    RowError,
};
pub use header::{HeaderError, HeaderMap};
pub use report::{
    ErrorExample, ErrorGroup, ImportOutcome, ImportReport, ImportSummary, EXAMPLES_PER_GROUP,
};
pub use rows::{validate_inspector_row, validate_item_row, validate_subject_row};

#[cfg(test)]
mod header_tests;
#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod row_tests;
