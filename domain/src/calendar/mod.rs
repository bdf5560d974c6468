//! Working-day calendar (工作日历): which days are working days under the official
//! holiday arrangements, and deadlines counted in working days.
//!
//! Publication of inspection results (20 working days), case filing (15 working days)
//! and hearing requests (5 working days) are all counted in working days, and China
//! moves weekend days around its holidays (调休). A deadline computed with a wrong
//! calendar is a wrong finding against an officer, so the official calendar is data (a
//! CSV of holidays and adjusted workdays, versioned by
//! [`WorkingCalendar::content_digest`]). A year the file does not cover, from 2025 on, is
//! counted provisionally on the statutory holidays alone ([`provisional`]) and every
//! answer counted across one says so ([`CalendarBasis`]); a date before 2025 outside the
//! file is an error, never a guess.

mod load;
pub mod provisional;
mod working;

pub use provisional::{statutory_holidays, CalendarBasis};
pub use working::{CalendarEntry, DayKind, WorkingCalendar};

/// The loading error is shared with the other reference data tables.
pub use crate::identifiers::ReferenceFileError;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// The calendar date of an instant in China Standard Time (UTC+8, no daylight saving):
/// the date an officer saw on the wall, and the date every deadline, list period and
/// "as of" question is counted in.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.checked_add_signed(TimeDelta::hours(8))
        .unwrap_or(at)
        .date_naive()
}

/// The first instant of `day` in China Standard Time (00:00 +08:00): the instant a rule
/// dated `day` falls due, e.g. a listing period whose first day off is `day`.
pub fn start_of_china_day(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN).and_utc();
    midnight
        .checked_sub_signed(TimeDelta::hours(8))
        .unwrap_or(midnight)
}

/// Why a calendar question has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A date given is outside the whole years the calendar covers.
    #[error("{date} is outside the working calendar, which covers {first} to {last}")]
    OutOfRange {
        /// The date asked about.
        date: NaiveDate,
        /// First day covered (1 January of the first year).
        first: NaiveDate,
        /// Last day covered (31 December of the last year).
        last: NaiveDate,
    },
    /// The date given is covered, but the working day asked for falls after the last
    /// covered day, so it cannot be known yet.
    #[error(
        "working day {n} after {start} falls after {last}, the last day the working \
         calendar covers"
    )]
    ResultOutOfRange {
        /// The date counted from.
        start: NaiveDate,
        /// How many working days were to be added.
        n: u32,
        /// Last day covered.
        last: NaiveDate,
    },
}

#[cfg(test)]
mod tests;
