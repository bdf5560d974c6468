//! The loaded calendar and its questions: is a day a working day, which is the n-th
//! working day after a date, how many working days lie between two dates.
//!
//! Answers come from a prefix count of working days over the covered range, so every
//! question costs the same whatever the distance, and `add_working_days` and
//! `working_days_between` agree by construction.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};

use super::CalendarError;

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// Monday to Friday with no calendar entry: a working day.
    Weekday,
    /// Saturday or Sunday with no calendar entry: a rest day.
    Weekend,
    /// A public holiday rest day (法定节假日放假, `holiday_off`), whatever the weekday.
    HolidayOff,
    /// A weekend day worked in exchange for holiday rest days (调休上班,
    /// `adjusted_workday`).
    AdjustedWorkday,
}

impl DayKind {
    /// Whether people work on a day of this kind.
    pub fn is_working_day(self) -> bool {
        matches!(self, DayKind::Weekday | DayKind::AdjustedWorkday)
    }
}

/// One line of the calendar file: a holiday rest day or an adjusted workday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// The day.
    pub date: NaiveDate,
    /// [`DayKind::HolidayOff`] or [`DayKind::AdjustedWorkday`].
    pub kind: DayKind,
    /// The holiday the entry belongs to, in Chinese (e.g. `春节`), for explanations.
    pub holiday_zh: String,
    /// The holiday in English (e.g. `Spring Festival`).
    pub holiday_en: String,
}

/// A working-day calendar (工作日历) covering whole years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// 1 January of the first covered year.
    first: NaiveDate,
    /// 31 December of the last covered year.
    last: NaiveDate,
    /// The file's entries by date: the exceptions to the Monday-Friday rule.
    entries: BTreeMap<NaiveDate, CalendarEntry>,
    /// `prefix[i]` is the number of working days among the first `i` covered days, so
    /// its length is the number of covered days plus one.
    prefix: Vec<u32>,
    /// Version id of the data: see [`WorkingCalendar::content_digest`].
    digest: String,
}

impl WorkingCalendar {
    /// Builds the calendar from entries already checked by the loader, covering
    /// `first_year..=last_year`.
    pub(super) fn build(
        first_year: i32,
        last_year: i32,
        entries: BTreeMap<NaiveDate, CalendarEntry>,
        digest: String,
    ) -> Option<WorkingCalendar> {
        let first = NaiveDate::from_ymd_opt(first_year, 1, 1)?;
        let last = NaiveDate::from_ymd_opt(last_year, 12, 31)?;
        let mut prefix = vec![0u32];
        let mut count = 0u32;
        for day in first.iter_days().take_while(|day| *day <= last) {
            if kind_of(day, &entries).is_working_day() {
                count += 1;
            }
            prefix.push(count);
        }
        Some(WorkingCalendar {
            first,
            last,
            entries,
            prefix,
            digest,
        })
    }

    /// First covered day (1 January of the first year in the file).
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// Last covered day (31 December of the last year in the file).
    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// Whether `date` is in the covered years.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// What kind of day `date` is: an entry of the file if there is one, else weekday or
    /// weekend.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, CalendarError> {
        self.index(date)?;
        Ok(kind_of(date, &self.entries))
    }

    /// The file's entry for `date`, if any (to explain why a day is off or worked).
    pub fn entry(&self, date: NaiveDate) -> Option<&CalendarEntry> {
        self.entries.get(&date)
    }

    /// Whether `date` is a working day: an adjusted workday is, a holiday rest day is
    /// not, otherwise Monday to Friday are.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.day_kind(date)?.is_working_day())
    }

    /// The `n`-th working day strictly after `date`; `date` itself when `n` is 0.
    ///
    /// Both `date` and the answer must be covered: an answer past the last covered day is
    /// [`CalendarError::ResultOutOfRange`].
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let index = self.index(date)?;
        if n == 0 {
            return Ok(date);
        }
        let target = u64::from(self.prefix[index + 1]) + u64::from(n);
        // The first k whose prefix reaches the target: day k - 1 is the n-th working day.
        let k = self
            .prefix
            .partition_point(|count| u64::from(*count) < target);
        let beyond = CalendarError::ResultOutOfRange {
            start: date,
            n,
            last: self.last,
        };
        if k >= self.prefix.len() {
            return Err(beyond);
        }
        let offset = u64::try_from(k - 1).map_err(|_| beyond.clone())?;
        self.first
            .checked_add_days(chrono::Days::new(offset))
            .ok_or(beyond)
    }

    /// The number of working days `d` with `start < d <= end`, or 0 when `end <= start`.
    /// Both dates must be covered. For any `n` with an answer,
    /// `working_days_between(d, add_working_days(d, n)?) == n`.
    pub fn working_days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let (from, to) = (self.index(start)?, self.index(end)?);
        if to <= from {
            return Ok(0);
        }
        Ok(self.prefix[to + 1] - self.prefix[from + 1])
    }

    /// Hex SHA-256 of the canonical CSV text the calendar was loaded from (BOM dropped,
    /// `\n` line endings, trailing blank lines dropped; see
    /// [`canonical_text`](crate::identifiers::canonical_text)): the version id of the data.
    pub fn content_digest(&self) -> String {
        self.digest.clone()
    }

    /// Position of `date` in the covered range, or the out-of-range error.
    fn index(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        let out_of_range = || CalendarError::OutOfRange {
            date,
            first: self.first,
            last: self.last,
        };
        if !self.covers(date) {
            return Err(out_of_range());
        }
        usize::try_from((date - self.first).num_days()).map_err(|_| out_of_range())
    }
}

/// The kind of `date` given the file's entries.
fn kind_of(date: NaiveDate, entries: &BTreeMap<NaiveDate, CalendarEntry>) -> DayKind {
    match entries.get(&date) {
        Some(entry) => entry.kind,
        None if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => DayKind::Weekend,
        None => DayKind::Weekday,
    }
}
