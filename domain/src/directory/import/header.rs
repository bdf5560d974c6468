//! Mapping a file's header row to the accepted columns of its kind.
//!
//! The header decides how every row is read, so it is strict: a missing required column,
//! an unknown column (often a misspelling that would otherwise drop data silently), a
//! blank header cell and a column given twice (e.g. both 名称 and 企业名称) are all
//! errors, reported together.

use crate::directory::normalise_name;

use super::{ColumnSpec, ImportKind};

/// Why a header row was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A required column is absent.
    #[error("missing column {column}; accepted headers: {accepted}")]
    Missing {
        /// The column's canonical name.
        column: &'static str,
        /// Its accepted header names.
        accepted: String,
    },
    /// A header matches no accepted column.
    #[error("unknown column '{header}' (column {position}); accepted columns: {accepted}")]
    Unknown {
        /// The header as found.
        header: String,
        /// 1-based column position.
        position: usize,
        /// Every accepted column with its aliases.
        accepted: String,
    },
    /// Two headers name the same column.
    #[error("column {column} appears twice: columns {first} and {second}")]
    Duplicate {
        /// The column's canonical name.
        column: &'static str,
        /// 1-based position of the first header naming it.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// A header cell is blank.
    #[error("column {position} has a blank header")]
    Blank {
        /// 1-based column position.
        position: usize,
    },
}

/// Where each accepted column of a kind sits in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    /// The kind of file.
    kind: ImportKind,
    /// For each column of `kind.columns()`, its 0-based position in the file.
    positions: Vec<Option<usize>>,
    /// Number of header cells.
    width: usize,
}

impl ColumnSpec {
    /// The canonical name followed by every alias.
    pub fn all_names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }

    /// Whether `header` names this column (after [`normalise_name`]).
    pub fn matches(&self, header: &str) -> bool {
        let wanted = normalise_name(header);
        self.all_names().any(|name| normalise_name(name) == wanted)
    }

    /// `name (alias, alias…)`, for error messages and docs.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name, self.aliases.join(", "))
    }
}

impl HeaderMap {
    /// Maps `headers` (the cells of the first row) to the columns of `kind`, reporting
    /// every problem at once.
    pub fn parse(kind: ImportKind, headers: &[&str]) -> Result<HeaderMap, Vec<HeaderError>> {
        let columns = kind.columns();
        let mut positions: Vec<Option<usize>> = vec![None; columns.len()];
        let mut errors = Vec::new();
        for (position, header) in headers.iter().enumerate() {
            if normalise_name(header).is_empty() {
                errors.push(HeaderError::Blank {
                    position: position + 1,
                });
                continue;
            }
            let Some(index) = columns.iter().position(|c| c.matches(header)) else {
                errors.push(HeaderError::Unknown {
                    header: header.trim().trim_start_matches('\u{feff}').to_owned(),
                    position: position + 1,
                    accepted: accepted(columns),
                });
                continue;
            };
            match positions[index] {
                Some(first) => errors.push(HeaderError::Duplicate {
                    column: columns[index].name,
                    first: first + 1,
                    second: position + 1,
                }),
                None => positions[index] = Some(position),
            }
        }
        for (column, position) in columns.iter().zip(&positions) {
            if column.required && position.is_none() {
                errors.push(HeaderError::Missing {
                    column: column.name,
                    accepted: column.all_names().collect::<Vec<_>>().join(", "),
                });
            }
        }
        if errors.is_empty() {
            Ok(HeaderMap {
                kind,
                positions,
                width: headers.len(),
            })
        } else {
            Err(errors)
        }
    }

    /// The kind of file.
    pub fn kind(&self) -> ImportKind {
        self.kind
    }

    /// Number of header cells.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The 0-based position of `column` (canonical name) in the file, if present.
    pub fn position(&self, column: &str) -> Option<usize> {
        let index = self.kind.columns().iter().position(|c| c.name == column)?;
        self.positions.get(index).copied().flatten()
    }

    /// The trimmed value of `column` in `fields`; empty when the column is absent or
    /// the row is short (spreadsheets drop trailing empty cells).
    pub fn value<'a>(&self, fields: &[&'a str], column: &str) -> &'a str {
        self.position(column)
            .and_then(|p| fields.get(p))
            .map(|v| v.trim())
            .unwrap_or("")
    }
}

/// Every column with its aliases: `uscc (统一社会信用代码, …); name (…)`.
fn accepted(columns: &[ColumnSpec]) -> String {
    columns
        .iter()
        .map(ColumnSpec::describe)
        .collect::<Vec<_>>()
        .join("; ")
}
