//! Loading a working calendar from CSV text (`date,kind,holiday_zh,holiday_en`).
//!
//! The file lists only exceptions to the Monday-Friday rule, so a missing or mistyped
//! line silently changes deadlines. The loader therefore rejects anything doubtful, with
//! the line, column and value: malformed dates, unknown kinds, a date listed twice, a day
//! both off and worked, an adjusted workday on a weekday, and a year skipped between the
//! first and the last.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};

use super::working::{CalendarEntry, DayKind, WorkingCalendar};
use crate::identifiers::{content_digest, read_rows, ReferenceFileError, ReferenceFileErrorKind};

/// The header a calendar CSV must have.
const HEADER: &str = "date,kind,holiday_zh,holiday_en";

/// The official calendar of the PRC for 2018-2026, as announced each year by the
/// General Office of the State Council (国务院办公厅关于…部分节假日安排的通知).
const DEFAULT_CSV: &str = include_str!("../../../data/calendar-cn-2018-2026.csv");

impl WorkingCalendar {
    /// Loads a calendar from CSV text with the header `date,kind,holiday_zh,holiday_en`,
    /// where `date` is `YYYY-MM-DD` and `kind` is `holiday_off` or `adjusted_workday`.
    ///
    /// The calendar covers the whole years from the first to the last year appearing in
    /// the file; each of those years must have at least one entry. Rows may come in any
    /// order. Errors name the line, column and value.
    pub fn from_csv(text: &str) -> Result<WorkingCalendar, ReferenceFileError> {
        let rows = read_rows(text, HEADER)?;
        let mut entries: BTreeMap<NaiveDate, (u64, CalendarEntry)> = BTreeMap::new();
        for row in rows {
            let field = |index: usize| row.fields.get(index).unwrap_or_default();
            let line = row.line;
            let date = parse_date(field(0)).ok_or_else(|| {
                let reason = "expected a date written YYYY-MM-DD".to_owned();
                ReferenceFileError::invalid(line, "date", field(0), reason)
            })?;
            let kind = match field(1) {
                "holiday_off" => DayKind::HolidayOff,
                "adjusted_workday" => DayKind::AdjustedWorkday,
                other => {
                    let reason = "expected holiday_off or adjusted_workday".to_owned();
                    return Err(ReferenceFileError::invalid(line, "kind", other, reason));
                }
            };
            if kind == DayKind::AdjustedWorkday
                && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            {
                let reason = format!(
                    "{date} is a {:?}: an adjusted workday must be a Saturday or Sunday",
                    date.weekday()
                );
                return Err(ReferenceFileError::invalid(line, "kind", field(1), reason));
            }
            if let Some((first_line, earlier)) = entries.get(&date) {
                let first_line = *first_line;
                let error_kind = if earlier.kind == kind {
                    ReferenceFileErrorKind::Duplicate { first_line }
                } else {
                    ReferenceFileErrorKind::Conflict {
                        first_line,
                        reason: format!("{date} cannot be both holiday_off and adjusted_workday"),
                    }
                };
                return Err(ReferenceFileError::at(line, "date", field(0), error_kind));
            }
            let entry = CalendarEntry {
                date,
                kind,
                holiday_zh: field(2).to_owned(),
                holiday_en: field(3).to_owned(),
            };
            entries.insert(date, (line, entry));
        }
        let years: BTreeSet<i32> = entries.keys().map(Datelike::year).collect();
        let (Some(&first_year), Some(&last_year)) = (years.first(), years.last()) else {
            // `read_rows` returns at least one row, so this is unreachable.
            return Err(ReferenceFileError::whole_file(
                ReferenceFileErrorKind::NoRows,
            ));
        };
        if let Some(year) = (first_year..=last_year).find(|year| !years.contains(year)) {
            return Err(ReferenceFileError::missing_year(year));
        }
        let entries = entries
            .into_iter()
            .map(|(date, (_, entry))| (date, entry))
            .collect();
        WorkingCalendar::build(first_year, last_year, entries, content_digest(text)).ok_or_else(
            // Years of parsed four-digit dates always have a 1 January and a 31 December.
            || {
                let reason = format!("years {first_year}-{last_year} are not representable");
                ReferenceFileError::whole_file(ReferenceFileErrorKind::Malformed { reason })
            },
        )
    }

    /// The official PRC calendar for 2018-2026 embedded in the binary
    /// (`data/calendar-cn-2018-2026.csv`).
    ///
    /// Parses on every call: load it once at startup and share it.
    #[allow(clippy::expect_used)]
    pub fn default_cn() -> WorkingCalendar {
        // The embedded file is fixed at compile time and checked by the unit tests, so
        // no runtime input can make this fail.
        WorkingCalendar::from_csv(DEFAULT_CSV).expect("embedded calendar is valid")
    }
}

/// A date written exactly `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

#[cfg(test)]
pub(super) const DEFAULT_CSV_FOR_TESTS: &str = DEFAULT_CSV;
