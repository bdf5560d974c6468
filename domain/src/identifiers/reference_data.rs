//! Loading reference data (参考数据) from CSV text: the shared header check, line-numbered
//! errors and the content digest that serves as the data's version id.
//!
//! Reference data (the division table, the working calendar) is data, not code: a
//! deployment loads its own. Every decision that used it records which version it used,
//! so the version id must depend only on the content, not on how a checkout spelled line
//! endings. Both loaders share this module so that their errors and digests agree.

use sha2::{Digest, Sha256};

/// Why a reference data file was rejected, with where in the file.
///
/// `line` is the 1-based line in the file (the header is line 1), `column` the header
/// name of the offending field and `value` the text found there, so that a CLI or API can
/// point at the exact cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ReferenceFileError {
    /// 1-based line of the offending record, when the problem belongs to one record.
    pub line: Option<u64>,
    /// Header name of the offending column, when the problem belongs to one field.
    pub column: Option<&'static str>,
    /// The text found in the offending field (or the whole header line).
    pub value: Option<String>,
    /// What is wrong.
    pub kind: ReferenceFileErrorKind,
}

/// The kinds of problem a reference data file can have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceFileErrorKind {
    /// The text is empty: not even a header line.
    #[error("the file is empty, expected a header line")]
    Empty,
    /// The header line is not the expected one.
    #[error("expected the header `{expected}`")]
    Header {
        /// The exact header required.
        expected: &'static str,
    },
    /// The header is fine but no data rows follow.
    #[error("the file has no data rows")]
    NoRows,
    /// A line is not valid CSV or has the wrong number of fields.
    #[error("malformed CSV: {reason}")]
    Malformed {
        /// What the CSV reader reported.
        reason: String,
    },
    /// A field does not hold a valid value for its column.
    #[error("{reason}")]
    InvalidValue {
        /// What was expected instead.
        reason: String,
    },
    /// The key of this record was already defined on an earlier line.
    #[error("duplicate of line {first_line}")]
    Duplicate {
        /// The line where the key first appeared.
        first_line: u64,
    },
    /// This record contradicts an earlier one.
    #[error("contradicts line {first_line}: {reason}")]
    Conflict {
        /// The line of the earlier, contradicting record.
        first_line: u64,
        /// What the contradiction is.
        reason: String,
    },
    /// A field refers to a key that no record of the file defines.
    #[error("refers to {reference}, which no line of the file defines")]
    DanglingReference {
        /// The key referred to.
        reference: String,
    },
    /// A calendar skips a year between its first and last year, so that year's
    /// holidays are unknown.
    #[error("no entries for year {year}: a calendar must cover consecutive whole years")]
    MissingYear {
        /// The year with no entries.
        year: i32,
    },
}

impl ReferenceFileError {
    /// An error about the field `column` on `line` holding `value`.
    pub(crate) fn at(
        line: u64,
        column: &'static str,
        value: &str,
        kind: ReferenceFileErrorKind,
    ) -> Self {
        ReferenceFileError {
            line: Some(line),
            column: Some(column),
            value: Some(value.to_owned()),
            kind,
        }
    }

    /// A shorthand for an [`ReferenceFileErrorKind::InvalidValue`] at one field.
    pub(crate) fn invalid(line: u64, column: &'static str, value: &str, reason: String) -> Self {
        Self::at(
            line,
            column,
            value,
            ReferenceFileErrorKind::InvalidValue { reason },
        )
    }

    /// An error about the file as a whole.
    pub(crate) fn whole_file(kind: ReferenceFileErrorKind) -> Self {
        ReferenceFileError {
            line: None,
            column: None,
            value: None,
            kind,
        }
    }

    pub(crate) fn missing_year(year: i32) -> Self {
        Self::whole_file(ReferenceFileErrorKind::MissingYear { year })
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(line) = self.line {
            out.push_str(&format!("line {line}"));
        }
        if let Some(column) = self.column {
            out.push_str(&format!(", column {column}"));
        }
        if let Some(value) = &self.value {
            out.push_str(&format!(", value {value:?}"));
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&self.kind.to_string());
        out
    }
}

/// One data record with the 1-based line it came from.
pub(crate) struct Row {
    /// Line of the record in the file (header is line 1).
    pub line: u64,
    /// The fields, trimmed.
    pub fields: csv::StringRecord,
}

/// Reads `text` as CSV whose header must be exactly `expected_header` (fields trimmed),
/// and returns the data rows with their line numbers.
///
/// Records are read line by line so that line numbers are those an editor shows, blank
/// lines included (the `csv` reader's own count skips blank lines and `\r\n`). A field
/// can therefore not span lines, which no reference table needs.
pub(crate) fn read_rows(
    text: &str,
    expected_header: &'static str,
) -> Result<Vec<Row>, ReferenceFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = (1u64..)
        .zip(text.lines())
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(ReferenceFileError::whole_file(
            ReferenceFileErrorKind::Empty,
        ));
    };
    let header = parse_line(header_line, header)?;
    let found: Vec<&str> = header.iter().collect();
    if found.join(",") != expected_header {
        return Err(ReferenceFileError {
            line: Some(header_line),
            column: None,
            value: Some(found.join(",")),
            kind: ReferenceFileErrorKind::Header {
                expected: expected_header,
            },
        });
    }
    let mut rows = Vec::new();
    for (line, text) in lines {
        let fields = parse_line(line, text)?;
        if fields.len() != header.len() {
            let reason = format!("expected {} fields, found {}", header.len(), fields.len());
            return Err(ReferenceFileError {
                line: Some(line),
                column: None,
                value: Some(text.to_owned()),
                kind: ReferenceFileErrorKind::Malformed { reason },
            });
        }
        rows.push(Row { line, fields });
    }
    if rows.is_empty() {
        return Err(ReferenceFileError::whole_file(
            ReferenceFileErrorKind::NoRows,
        ));
    }
    Ok(rows)
}

/// Parses one line of CSV into trimmed fields.
fn parse_line(line: u64, text: &str) -> Result<csv::StringRecord, ReferenceFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(_) => Ok(record),
        Err(error) => Err(ReferenceFileError {
            line: Some(line),
            column: None,
            value: Some(text.to_owned()),
            kind: ReferenceFileErrorKind::Malformed {
                reason: error.to_string(),
            },
        }),
    }
}

/// The canonical form of a reference data text: without a leading UTF-8 byte order
/// mark, every line ending `\n` (a `\r\n` checkout gives the same text), trailing blank
/// lines dropped, and exactly one final `\n`. Field text is not otherwise touched, so it
/// still reads as the file was written.
///
/// Store this text when recording a version of reference data: its plain SHA-256 is the
/// [`DivisionTable::content_digest`](super::DivisionTable::content_digest) and
/// [`WorkingCalendar::content_digest`](crate::calendar::WorkingCalendar::content_digest)
/// of a table loaded from it or from the original.
pub fn canonical_text(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines
        .iter()
        .rposition(|line| !line.trim().is_empty())
        .map_or(0, |last| last + 1);
    let mut canonical = String::with_capacity(text.len());
    for line in &lines[..kept] {
        canonical.push_str(line);
        canonical.push('\n');
    }
    canonical
}

/// Hex SHA-256 of [`canonical_text`]: the version id of reference data.
pub(crate) fn content_digest(text: &str) -> String {
    hex::encode(Sha256::digest(canonical_text(text).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ignores_line_endings_bom_and_trailing_blank_lines() {
        let unix = content_digest("a,b\n1,2\n");
        assert_eq!(content_digest("a,b\r\n1,2\r\n"), unix);
        assert_eq!(content_digest("\u{feff}a,b\n1,2"), unix);
        assert_eq!(content_digest("a,b\n1,2\n\n\r\n"), unix);
        assert_ne!(content_digest("a,b\n1,3\n"), unix);
        assert_eq!(unix.len(), 64);
        assert_eq!(canonical_text("\u{feff}a,b\r\n1,2\r\n\r\n"), "a,b\n1,2\n");
        let plain = hex::encode(Sha256::digest(b"a,b\n1,2\n"));
        assert_eq!(unix, plain);
    }

    #[test]
    fn header_must_match_exactly() {
        let Err(error) = read_rows("a,c\n1,2\n", "a,b") else {
            panic!("a wrong header was accepted");
        };
        assert_eq!(error.line, Some(1));
        assert_eq!(error.value.as_deref(), Some("a,c"));
        assert_eq!(
            error.to_string(),
            "line 1, value \"a,c\": expected the header `a,b`"
        );
    }

    #[test]
    fn empty_header_only_and_ragged_files_are_rejected() {
        let kind = |text: &str| read_rows(text, "a,b").err().map(|e| e.kind);
        assert_eq!(kind(""), Some(ReferenceFileErrorKind::Empty));
        assert_eq!(kind("a,b\n"), Some(ReferenceFileErrorKind::NoRows));
        let Err(error) = read_rows("a,b\n1,2\n\n3\n", "a,b") else {
            panic!("a short line was accepted");
        };
        assert_eq!(error.line, Some(4));
        assert_eq!(
            error.to_string(),
            "line 4, value \"3\": malformed CSV: expected 2 fields, found 1"
        );
    }

    #[test]
    fn rows_carry_their_line_numbers() -> Result<(), ReferenceFileError> {
        for text in [
            " a , b \r\n1, 2\r\n\r\n3,4\r\n",
            "\u{feff}a,b\n1,\"2\"\n\n3,4",
        ] {
            let rows = read_rows(text, "a,b")?;
            let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
            assert_eq!(lines, vec![2, 4]);
            assert_eq!(rows[0].fields.get(1), Some("2"));
        }
        let rows = read_rows("\n\na,b\n1,2\n", "a,b")?;
        assert_eq!(rows[0].line, 4);
        Ok(())
    }
}
