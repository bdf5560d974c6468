//! Reading the cells of one row: the row error, the reader that collects every problem
//! of a row, and the parsers for dates, lists, percentages, frequencies and yes/no.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::identifiers::{UsccError, UsccErrorKind};

use super::{HeaderMap, LIST_SEPARATORS};

/// One problem in one cell: where, what was found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[error("row {row}, column {column}: '{value}', expected {expected}")]
pub struct RowError {
    /// The row number as the user sees it (the caller's numbering; the header is row 1).
    pub row: u64,
    /// The column's canonical name (or `column N` for a cell beyond the header).
    pub column: String,
    /// The text found (one item of a list cell when only that item is wrong).
    pub value: String,
    /// What the column accepts; independent of the value, so errors group by it.
    pub expected: String,
}

/// Collects the values and errors of one row.
pub(crate) struct RowReader<'a> {
    row: u64,
    fields: &'a [&'a str],
    header: &'a HeaderMap,
    pub(crate) errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    /// A reader of `fields`; cells beyond the header's width that hold text are errors.
    pub(crate) fn new(row: u64, fields: &'a [&'a str], header: &'a HeaderMap) -> Self {
        let mut reader = RowReader {
            row,
            fields,
            header,
            errors: Vec::new(),
        };
        let width = header.width();
        for (index, extra) in fields.iter().enumerate().skip(width) {
            if !extra.trim().is_empty() {
                let expected = format!("no value beyond the header's {width} columns");
                reader.fail(&format!("column {}", index + 1), extra.trim(), expected);
            }
        }
        reader
    }

    /// The trimmed text of `column` ("" when absent).
    pub(crate) fn text(&self, column: &str) -> &'a str {
        self.header.value(self.fields, column)
    }

    /// Records a problem.
    pub(crate) fn fail(&mut self, column: &str, value: &str, expected: impl Into<String>) {
        self.errors.push(RowError {
            row: self.row,
            column: column.to_owned(),
            value: value.to_owned(),
            expected: expected.into(),
        });
    }

    /// Parses `column` with `parse`, whose error is the `expected` text.
    pub(crate) fn field<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.text(column);
        match parse(text) {
            Ok(value) => Some(value),
            Err(expected) => {
                self.fail(column, text, expected);
                None
            }
        }
    }

    /// Parses each item of the list in `column`, reporting each bad item on its own.
    pub(crate) fn list<T>(
        &mut self,
        column: &str,
        mut parse: impl FnMut(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let mut values = Vec::new();
        let mut ok = true;
        for item in split_list(self.text(column)) {
            match parse(item) {
                Ok(value) => values.push(value),
                Err(expected) => {
                    self.fail(column, item, expected);
                    ok = false;
                }
            }
        }
        ok.then_some(values)
    }
}

/// The non-blank, trimmed items of a list cell split at [`LIST_SEPARATORS`].
pub fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(LIST_SEPARATORS)
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// Parses a date written `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or `YYYY年M月D日`
/// (month and day may have one digit in all but `YYYYMMDD`).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let parts: Vec<&str> = if let Some(rest) = text.strip_suffix('日') {
        rest.split(['年', '月']).collect()
    } else if text.contains('-') {
        text.split('-').collect()
    } else if text.contains('/') {
        text.split('/').collect()
    } else if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        vec![&text[..4], &text[4..6], &text[6..]]
    } else {
        return None;
    };
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    let digits = |s: &str, lengths: &[usize]| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(year, &[4]) || !digits(month, &[1, 2]) || !digits(day, &[1, 2]) {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Parses a percentage with at most two decimals (`5%`, `2.5%`, `0.25%`, `100%`, `％`
/// accepted) into basis points; `None` for anything else or above 100%.
pub fn parse_percent_bp(text: &str) -> Option<u32> {
    let number = text.trim().strip_suffix(['%', '％'])?.trim();
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || !all_digits(whole) {
        return None;
    }
    if fraction.len() > 2 || !all_digits(fraction) || (number.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let hundredths = format!("{fraction:0<2}").parse::<u32>().ok()?;
    let bp = whole.parse::<u32>().ok()? * 100 + hundredths;
    (bp <= 10_000).then_some(bp)
}

/// Parses inspections per year: `2`, `2次` or `2次/年`, 1 to 12.
pub fn parse_frequency(text: &str) -> Option<u32> {
    let text = text.trim();
    let number = text
        .strip_suffix("次/年")
        .or_else(|| text.strip_suffix('次'))
        .unwrap_or(text)
        .trim();
    number.parse::<u32>().ok().filter(|n| (1..=12).contains(n))
}

/// Parses a yes/no cell: 是/否, yes/no, true/false, y/n, 1/0; blank is no.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "是" | "yes" | "y" | "true" | "1" | "专家" => Some(true),
        "否" | "no" | "n" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

/// The `expected` text for a bad USCC: the position and, for a wrong check character,
/// the character that belongs there. The found character is left out so that errors
/// group by what was expected.
pub fn uscc_expected(error: &UsccError) -> String {
    let at = |p: &Option<usize>| p.map(|p| format!("position {p}: ")).unwrap_or_default();
    match &error.kind {
        UsccErrorKind::Length { expected, .. } => {
            format!("a USCC of {expected} characters")
        }
        UsccErrorKind::InvalidCharacter { .. } => format!(
            "{}a USCC character, one of 0123456789ABCDEFGHJKLMNPQRTUWXY",
            at(&error.position)
        ),
        UsccErrorKind::RegistrationDepartment { .. } => format!(
            "{}a registration department code 1-9, A, N or Y",
            at(&error.position)
        ),
        UsccErrorKind::Region(_) => format!(
            "{}a region code with a real province prefix in positions 3-8",
            at(&error.position)
        ),
        UsccErrorKind::CheckCharacter { .. } => match error.expected {
            Some(c) => format!("{}check character '{c}'", at(&error.position)),
            None => format!("{}the check character", at(&error.position)),
        },
    }
}
