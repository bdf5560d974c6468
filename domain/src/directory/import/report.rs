//! The report of a bulk import (导入报告): counts per outcome and the bad rows grouped by
//! column and expectation, capped, serialisable to JSON.
//!
//! Imports are all or nothing, so a report with any rejected row means nothing was
//! written. A file of ten million rows with one systematic mistake must still give a
//! readable report: errors are grouped by `(column, expected)`, each group keeps its
//! first [`EXAMPLES_PER_GROUP`] examples and counts the rest.

use std::collections::HashMap;

use serde::Serialize;

use super::{HeaderError, ImportKind, RowError};

/// How many examples each error group keeps.
pub const EXAMPLES_PER_GROUP: usize = 20;

/// What importing one row did (or would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new aggregate was registered or defined.
    Created,
    /// An existing aggregate recorded change events.
    Changed,
    /// The row matched the directory: no events.
    Unchanged,
    /// The row was invalid.
    Rejected,
}

impl ImportOutcome {
    /// The outcome of a command that produced `events` events on an aggregate that
    /// existed (`existed`) or not.
    pub fn of(existed: bool, events: usize) -> ImportOutcome {
        match (existed, events) {
            (_, 0) => ImportOutcome::Unchanged,
            (false, _) => ImportOutcome::Created,
            (true, _) => ImportOutcome::Changed,
        }
    }
}

/// The summary printed by `--format json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Rows that created an entry.
    pub created: u64,
    /// Rows that changed an entry.
    pub changed: u64,
    /// Rows identical to the directory.
    pub unchanged: u64,
    /// Rows with at least one error.
    pub rejected: u64,
}

/// One example of an error group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorExample {
    /// The row number.
    pub row: u64,
    /// The text found.
    pub value: String,
}

/// All errors of one column with the same expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorGroup {
    /// The column's canonical name.
    pub column: String,
    /// What the column expected.
    pub expected: String,
    /// How many errors the group has (examples included).
    pub count: u64,
    /// The first [`EXAMPLES_PER_GROUP`] errors, in the order reported.
    pub examples: Vec<ErrorExample>,
}

/// The accumulating report of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The kind of file.
    pub kind: ImportKind,
    /// Counts per outcome.
    #[serde(flatten)]
    pub summary: ImportSummary,
    /// Problems with the header row (then no row was read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub header_errors: Vec<String>,
    /// Row errors grouped by (column, expected), in order of first appearance.
    pub errors: Vec<ErrorGroup>,
    /// Position in `errors` of each (column, expected).
    #[serde(skip)]
    index: HashMap<(String, String), usize>,
}

impl ImportReport {
    /// An empty report for a file of `kind`.
    pub fn new(kind: ImportKind) -> ImportReport {
        ImportReport {
            kind,
            summary: ImportSummary::default(),
            header_errors: Vec::new(),
            errors: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Counts one row's outcome.
    pub fn count(&mut self, outcome: ImportOutcome) {
        let s = &mut self.summary;
        match outcome {
            ImportOutcome::Created => s.created += 1,
            ImportOutcome::Changed => s.changed += 1,
            ImportOutcome::Unchanged => s.unchanged += 1,
            ImportOutcome::Rejected => s.rejected += 1,
        }
    }

    /// Records the header's problems.
    pub fn reject_header(&mut self, errors: &[HeaderError]) {
        self.header_errors
            .extend(errors.iter().map(ToString::to_string));
    }

    /// Counts one rejected row and files each of its errors in its group.
    pub fn reject_row(&mut self, errors: Vec<RowError>) {
        self.count(ImportOutcome::Rejected);
        for error in errors {
            self.add_error(error);
        }
    }

    fn add_error(&mut self, error: RowError) {
        let key = (error.column, error.expected);
        let at = match self.index.get(&key) {
            Some(at) => *at,
            None => {
                self.errors.push(ErrorGroup {
                    column: key.0.clone(),
                    expected: key.1.clone(),
                    count: 0,
                    examples: Vec::new(),
                });
                self.index.insert(key, self.errors.len() - 1);
                self.errors.len() - 1
            }
        };
        if let Some(group) = self.errors.get_mut(at) {
            group.count += 1;
            if group.examples.len() < EXAMPLES_PER_GROUP {
                group.examples.push(ErrorExample {
                    row: error.row,
                    value: error.value,
                });
            }
        }
    }

    /// Whether the file may be written: a good header and no rejected row.
    pub fn is_clean(&self) -> bool {
        self.header_errors.is_empty() && self.summary.rejected == 0
    }

    /// The counts.
    pub fn summary(&self) -> ImportSummary {
        self.summary
    }
}
