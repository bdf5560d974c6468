//! The provisional calendar (临时工作日历) of a year whose official schedule is not loaded.
//!
//! The State Council publishes each year's holiday arrangements (调休 included) late in
//! the year before, so there are always weeks when deadlines already run into a year
//! nobody can know officially. Refusing work then would stop a bureau every December.
//! Instead such a year counts weekends plus the statutory holidays of 《全国年节及纪念日
//! 放假办法》 as amended in 2024 (in force 2025): 元旦 1 January, 春节 4 days (除夕 through
//! 正月初三), 清明 (the solar term's day), 劳动节 1–2 May, 端午 (lunar 5/5), 中秋 (lunar
//! 8/15), 国庆 1–3 October. The official schedule only ever adds rest days to these (bridge
//! days, 补休) and moves some weekend days to work, so a provisional deadline is never
//! later than the statutory days alone allow.
//!
//! Lunar dates and the 清明 term come from `tyme4rs` (a maintained port of the lunar
//! calendar library used across Chinese software), not from a table typed here. Every
//! deadline counted across such a year says so ([`CalendarBasis::Provisional`]).

use chrono::{Days, NaiveDate};
use tyme4rs::tyme::lunar::LunarDay;
use tyme4rs::tyme::solar::{SolarDay, SolarTerm};

use super::working::{CalendarEntry, DayKind};

/// The first year the amended statutory holidays apply to: earlier years have no
/// provisional calendar (a date in one not covered by an official file is an error).
pub const FIRST_PROVISIONAL_YEAR: i32 = 2025;

/// How many years past the last official (or first provisional) year the provisional
/// calendar reaches: deadlines are counted in weeks or months, so ten years is far beyond
/// any of them, while the calendar's day table stays small.
pub const PROVISIONAL_YEARS_AHEAD: i32 = 10;

/// What a deadline or a year was counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarBasis {
    /// Only years of the loaded official schedule (国务院办公厅通知).
    Official,
    /// At least one day counted lies in a provisional year (statutory holidays only).
    Provisional,
}

impl CalendarBasis {
    /// The wire name: `official` or `provisional`.
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarBasis::Official => "official",
            CalendarBasis::Provisional => "provisional",
        }
    }

    /// The name staff read: 正式 or 临时.
    pub fn zh(self) -> &'static str {
        match self {
            CalendarBasis::Official => "正式",
            CalendarBasis::Provisional => "临时",
        }
    }
}

/// The statutory rest days of `year` under the 2024 amendment, in date order, or `None`
/// for a year the lunar library cannot convert.
pub fn statutory_holidays(year: i32) -> Option<Vec<CalendarEntry>> {
    let y = isize::try_from(year).ok()?;
    let mut out = Vec::with_capacity(13);
    let mut push = |date: NaiveDate, zh: &str, en: &str| {
        out.push(CalendarEntry {
            date,
            kind: DayKind::HolidayOff,
            holiday_zh: zh.to_owned(),
            holiday_en: en.to_owned(),
        });
    };
    push(
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        "元旦",
        "New Year's Day",
    );
    // 除夕 is the day before 正月初一, whether the twelfth month has 29 or 30 days.
    let new_year = lunar_to_solar(y, 1, 1)?;
    let eve = new_year.checked_sub_days(Days::new(1))?;
    for offset in 0..4 {
        let date = eve.checked_add_days(Days::new(offset))?;
        push(date, "春节", "Spring Festival");
    }
    let qingming = SolarTerm::new(y, "清明").ok()?.get_solar_day();
    push(solar(qingming)?, "清明", "Tomb-sweeping Day");
    for day in 1..=2 {
        push(
            NaiveDate::from_ymd_opt(year, 5, day)?,
            "劳动节",
            "Labour Day",
        );
    }
    push(lunar_to_solar(y, 5, 5)?, "端午", "Dragon Boat Festival");
    push(lunar_to_solar(y, 8, 15)?, "中秋", "Mid-autumn Festival");
    for day in 1..=3 {
        push(
            NaiveDate::from_ymd_opt(year, 10, day)?,
            "国庆节",
            "National Day",
        );
    }
    out.sort_by_key(|entry| entry.date);
    Some(out)
}

/// [`statutory_holidays`] computed once per year in a process. The calendar in force is
/// built on every deadline counted (a result recorded, a case step, a replay), and the
/// lunar conversions of 11 provisional years cost about 0.7 ms in a release build; the
/// answer for a year never changes, so each year is computed the first time it is asked.
pub(super) fn statutory_holidays_memo(year: i32) -> Option<Vec<CalendarEntry>> {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, OnceLock};
    static MEMO: OnceLock<Mutex<BTreeMap<i32, Option<Vec<CalendarEntry>>>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Mutex::default);
    let known = memo
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&year)
        .cloned();
    if let Some(known) = known {
        return known;
    }
    let computed = statutory_holidays(year);
    memo.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(year, computed.clone());
    computed
}

/// The Gregorian date of a (non-leap) lunar month and day of lunar year `year`.
fn lunar_to_solar(year: isize, month: isize, day: usize) -> Option<NaiveDate> {
    solar(LunarDay::new(year, month, day).ok()?.get_solar_day())
}

/// The library's Gregorian day as a chrono date.
fn solar(day: SolarDay) -> Option<NaiveDate> {
    let year = i32::try_from(day.get_year()).ok()?;
    let month = u32::try_from(day.get_month()).ok()?;
    let day = u32::try_from(day.get_day()).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}
