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

/// How many header problems the report lists in full (the rest are counted): a header
/// of a million unknown columns must not make a report of a gigabyte.
pub const HEADER_ERRORS_SHOWN: usize = 20;

/// The longest text of a value or a header problem the report echoes, in characters; a
/// longer one is cut and says how long it was.
pub const ECHO_MAX_CHARS: usize = 200;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `text` cut to [`ECHO_MAX_CHARS`] characters, saying how many it had.
pub fn echo(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= ECHO_MAX_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(ECHO_MAX_CHARS).collect();
    format!("{cut}…({chars} characters)")
}

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
    /// Problems with the header row (then no row was read): the first
    /// [`HEADER_ERRORS_SHOWN`], each cut to [`ECHO_MAX_CHARS`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub header_errors: Vec<String>,
    /// Header problems beyond those listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub header_errors_omitted: u64,
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
            header_errors_omitted: 0,
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
        for error in errors {
            if self.header_errors.len() < HEADER_ERRORS_SHOWN {
                self.header_errors.push(echo(&error.to_string()));
            } else {
                self.header_errors_omitted += 1;
            }
        }
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
                    value: echo(&error.value),
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

#[cfg(test)]
mod echo_tests {
    use super::*;

    #[test]
    fn long_values_are_cut_and_say_their_length() {
        assert_eq!(echo("短"), "短");
        let long = "值".repeat(ECHO_MAX_CHARS + 5);
        let cut = echo(&long);
        assert!(cut.ends_with(&format!("…({} characters)", ECHO_MAX_CHARS + 5)));
        assert_eq!(cut.chars().filter(|c| *c == '值').count(), ECHO_MAX_CHARS);
    }
}
