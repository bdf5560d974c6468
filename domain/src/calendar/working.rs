//! The loaded calendar and its questions: is a day a working day, which is the n-th
//! working day after a date, how many working days lie between two dates.
//!
//! Answers come from a prefix count of working days over the covered range, so every
//! question costs the same whatever the distance, and `add_working_days` and
//! `working_days_between` agree by construction.
//!
//! The covered range is the official years of the loaded file followed (and, for a file
//! starting after 2025, preceded) by provisional years
//! ([`super::provisional`]): each year knows which it is, and so does every answer that
//! counts across one ([`WorkingCalendar::basis`]).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};

use super::provisional::{
    statutory_holidays_memo, CalendarBasis, FIRST_PROVISIONAL_YEAR, PROVISIONAL_YEARS_AHEAD,
};
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
    /// 1 January of the first covered year (official or provisional).
    first: NaiveDate,
    /// 31 December of the last covered year (official or provisional).
    last: NaiveDate,
    /// The first and last years of the loaded official schedule: every other covered year
    /// is provisional, and deadlines counted across one must say so.
    official: (i32, i32),
    /// The exceptions to the Monday-Friday rule by date: the file's entries, then the
    /// statutory holidays of the provisional years.
    entries: BTreeMap<NaiveDate, CalendarEntry>,
    /// `prefix[i]` is the number of working days among the first `i` covered days, so
    /// its length is the number of covered days plus one.
    prefix: Vec<u32>,
    /// Version id of the data: see [`WorkingCalendar::content_digest`].
    digest: String,
}

impl WorkingCalendar {
    /// Builds the calendar from entries already checked by the loader, the official
    /// schedule of `first_year..=last_year`, extended by provisional years: those from
    /// 2025 up to `first_year`, and those after `last_year` up to ten years past it (past
    /// 2025 when it ends earlier), as long as they join the official years without a gap.
    pub(super) fn build(
        first_year: i32,
        last_year: i32,
        mut entries: BTreeMap<NaiveDate, CalendarEntry>,
        digest: String,
    ) -> Option<WorkingCalendar> {
        let mut covered_first = first_year;
        let mut covered_last = last_year;
        if first_year > FIRST_PROVISIONAL_YEAR {
            covered_first = FIRST_PROVISIONAL_YEAR;
        }
        if last_year + 1 >= FIRST_PROVISIONAL_YEAR {
            covered_last = last_year.max(FIRST_PROVISIONAL_YEAR) + PROVISIONAL_YEARS_AHEAD;
        }
        let provisional = (covered_first..first_year).chain(last_year + 1..=covered_last);
        for year in provisional {
            // A year the lunar library cannot convert ends the coverage: far beyond any
            // deadline, since the library reaches the year 9999.
            let Some(holidays) = statutory_holidays_memo(year) else {
                covered_last = covered_last.min(year - 1).max(last_year);
                break;
            };
            for entry in holidays {
                entries.insert(entry.date, entry);
            }
        }
        let first = NaiveDate::from_ymd_opt(covered_first, 1, 1)?;
        let last = NaiveDate::from_ymd_opt(covered_last, 12, 31)?;
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
            official: (first_year, last_year),
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

    /// The first and last years of the loaded official schedule.
    pub fn official_years(&self) -> (i32, i32) {
        self.official
    }

    /// Whether `year` is counted on the official schedule or provisionally, or `None` when
    /// the calendar does not cover it at all.
    pub fn year_basis(&self, year: i32) -> Option<CalendarBasis> {
        if self.official.0 <= year && year <= self.official.1 {
            Some(CalendarBasis::Official)
        } else if self.first.year() <= year && year <= self.last.year() {
            Some(CalendarBasis::Provisional)
        } else {
            None
        }
    }

    /// Every covered year with its basis, in order: what `jianxin calendar years` lists.
    pub fn years(&self) -> Vec<(i32, CalendarBasis)> {
        (self.first.year()..=self.last.year())
            .filter_map(|year| Some((year, self.year_basis(year)?)))
            .collect()
    }

    /// The basis of a deadline `day` whose start is unknown here: provisional when `day`
    /// lies outside the official years. Equal to [`WorkingCalendar::basis`] from any start
    /// in the official years, which every deadline counted from 2018 on has.
    pub fn basis_of_day(&self, day: NaiveDate) -> CalendarBasis {
        match self.year_basis(day.year()) {
            Some(CalendarBasis::Official) => CalendarBasis::Official,
            _ => CalendarBasis::Provisional,
        }
    }

    /// The basis of a count of working days after `start` up to `end`: provisional when
    /// any day counted (`start < d <= end`) lies in a provisional year, so a deadline
    /// `add_working_days(start, n)` is provisional exactly when `basis(start, deadline)`
    /// says so. Nothing counted (`end <= start`) is official.
    pub fn basis(&self, start: NaiveDate, end: NaiveDate) -> CalendarBasis {
        let Some(from) = start.succ_opt() else {
            return CalendarBasis::Official;
        };
        if end < from {
            return CalendarBasis::Official;
        }
        let provisional = (from.year()..=end.year())
            .any(|year| self.year_basis(year) != Some(CalendarBasis::Official));
        if provisional {
            CalendarBasis::Provisional
        } else {
            CalendarBasis::Official
        }
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
