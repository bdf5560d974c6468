//! Tests of the working calendar against the official 2024-2025 arrangements, its
//! out-of-range errors, rejected files and the add/between round trip.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::load::DEFAULT_CSV_FOR_TESTS;
use super::*;
use crate::identifiers::{canonical_text, ReferenceFileErrorKind};

fn day(text: &str) -> NaiveDate {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => date,
        Err(error) => panic!("bad test date {text}: {error}"),
    }
}

fn working(calendar: &WorkingCalendar, text: &str) -> bool {
    match calendar.is_working_day(day(text)) {
        Ok(answer) => answer,
        Err(error) => panic!("{text}: {error}"),
    }
}

#[test]
fn default_calendar_is_official_2018_to_2026_then_provisional_for_ten_years() {
    let calendar = WorkingCalendar::default_cn();
    assert_eq!(calendar.official_years(), (2018, 2026));
    assert_eq!(calendar.first(), day("2018-01-01"));
    assert_eq!(calendar.last(), day("2036-12-31"));
    assert!(calendar.covers(day("2022-06-15")));
    assert!(calendar.covers(day("2027-01-01")));
    assert!(!calendar.covers(day("2017-12-31")));
    assert!(!calendar.covers(day("2037-01-01")));
    let years = calendar.years();
    assert_eq!(years.len(), 19);
    assert_eq!(years[0], (2018, CalendarBasis::Official));
    assert_eq!(years[8], (2026, CalendarBasis::Official));
    assert_eq!(years[9], (2027, CalendarBasis::Provisional));
    assert_eq!(calendar.year_basis(2036), Some(CalendarBasis::Provisional));
    assert_eq!(calendar.year_basis(2037), None);
    assert_eq!(calendar.year_basis(2017), None);
}

/// The check of the provisional rule against the State Council's schedules: every
/// statutory day it computes for 2025 and 2026 is a rest day of the official schedule
/// shipped in `data/` (which adds bridge days and 调休 around them).
#[test]
fn every_statutory_day_of_2025_and_2026_rests_in_the_official_schedule() {
    let calendar = WorkingCalendar::default_cn();
    for year in [2025, 2026] {
        let statutory = statutory_holidays(year).unwrap_or_default();
        assert_eq!(statutory.len(), 13, "{year}: 1+4+1+2+1+1+3 statutory days");
        for entry in statutory {
            assert_eq!(
                calendar.day_kind(entry.date),
                Ok(DayKind::HolidayOff),
                "{year}: {} ({}) is not a rest day of the official schedule",
                entry.date,
                entry.holiday_zh
            );
            let official = calendar.entry(entry.date).map(|e| e.holiday_zh.as_str());
            // 中秋 2025 fell inside the 国庆 week and is filed under either name.
            assert!(
                official == Some(entry.holiday_zh.as_str())
                    || (entry.holiday_zh == "中秋" && official == Some("国庆节")),
                "{}: {} against {official:?}",
                entry.date,
                entry.holiday_zh
            );
        }
    }
}

#[test]
fn a_provisional_year_rests_on_weekends_and_statutory_days_only() -> Result<(), CalendarError> {
    let calendar = WorkingCalendar::default_cn();
    // 2027, from almanacs: 春节 6 February (除夕 the 5th), 清明 5 April, 端午 9 June,
    // 中秋 15 September.
    for rest in [
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
    ] {
        assert_eq!(calendar.day_kind(day(rest))?, DayKind::HolidayOff, "{rest}");
    }
    // No bridge days and no 调休: the day after 初三 works, and so does 4 October.
    assert!(working(&calendar, "2027-02-09"));
    assert!(working(&calendar, "2027-10-04"));
    assert_eq!(calendar.day_kind(day("2027-01-02"))?, DayKind::Weekend);
    for year in 2027..=2036 {
        let statutory = statutory_holidays(year).unwrap_or_default();
        assert_eq!(statutory.len(), 13, "{year}");
        for entry in &statutory {
            assert_eq!(calendar.day_kind(entry.date)?, DayKind::HolidayOff);
        }
    }
    Ok(())
}

#[test]
fn a_deadline_counted_into_an_unpublished_year_is_provisional() -> Result<(), CalendarError> {
    let calendar = WorkingCalendar::default_cn();
    // The example: a result of 10 December 2026 and 20 working days to publish.
    let start = day("2026-12-10");
    let deadline = calendar.add_working_days(start, 20)?;
    // 15 working days left in December, 1 January off, then 4-8 January.
    assert_eq!(deadline, day("2027-01-08"));
    assert_eq!(calendar.basis(start, deadline), CalendarBasis::Provisional);
    assert_eq!(
        calendar.basis(start, day("2026-12-31")),
        CalendarBasis::Official
    );
    // Only the days counted matter: from the last day of 2026 into 2027 is provisional,
    // from a provisional day back to itself counts nothing.
    assert_eq!(
        calendar.basis(day("2026-12-31"), day("2027-01-04")),
        CalendarBasis::Provisional
    );
    assert_eq!(
        calendar.basis(day("2027-03-01"), day("2027-03-01")),
        CalendarBasis::Official
    );
    Ok(())
}

#[test]
fn a_file_of_a_later_year_alone_is_preceded_by_provisional_years() -> Result<(), CalendarError> {
    let text = "date,kind,holiday_zh,holiday_en\n2028-01-01,holiday_off,元旦,NY\n";
    let calendar = match WorkingCalendar::from_csv(text) {
        Ok(calendar) => calendar,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(calendar.official_years(), (2028, 2028));
    assert_eq!(calendar.first(), day("2025-01-01"));
    assert_eq!(calendar.last(), day("2038-12-31"));
    assert_eq!(calendar.year_basis(2026), Some(CalendarBasis::Provisional));
    assert_eq!(calendar.year_basis(2028), Some(CalendarBasis::Official));
    // 2026's 春节 provisionally: 除夕 16 February to 初三 19 February, and not the 20th.
    assert!(!working(&calendar, "2026-02-19"));
    assert!(working(&calendar, "2026-02-20"));
    // An old file that ends before 2024 gets no provisional years after it.
    let old = "date,kind,holiday_zh,holiday_en\n2020-01-01,holiday_off,元旦,NY\n";
    let old = match WorkingCalendar::from_csv(old) {
        Ok(calendar) => calendar,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(old.years(), vec![(2020, CalendarBasis::Official)]);
    Ok(())
}

#[test]
fn spring_festival_2024_rests_and_works_as_announced() {
    let calendar = WorkingCalendar::default_cn();
    for date in 10..=17 {
        assert!(
            !working(&calendar, &format!("2024-02-{date:02}")),
            "02-{date}"
        );
    }
    // Sundays worked in exchange (调休), and 除夕 (Friday 9 February) stayed a workday.
    assert!(working(&calendar, "2024-02-04"));
    assert!(working(&calendar, "2024-02-18"));
    assert!(working(&calendar, "2024-02-09"));
    assert!(!working(&calendar, "2024-02-03"));
    let entry = calendar.entry(day("2024-02-04"));
    assert_eq!(entry.map(|e| e.holiday_zh.as_str()), Some("春节"));
    assert_eq!(
        calendar.day_kind(day("2024-02-04")),
        Ok(DayKind::AdjustedWorkday)
    );
    assert_eq!(
        calendar.day_kind(day("2024-02-12")),
        Ok(DayKind::HolidayOff)
    );
    assert_eq!(calendar.day_kind(day("2024-03-02")), Ok(DayKind::Weekend));
    assert_eq!(calendar.day_kind(day("2024-03-04")), Ok(DayKind::Weekday));
}

#[test]
fn holidays_of_2025_rest_and_work_as_announced() {
    let calendar = WorkingCalendar::default_cn();
    for date in [
        "2025-01-28",
        "2025-02-04",
        "2025-05-05",
        "2025-10-06",
        "2025-10-08",
    ] {
        assert!(!working(&calendar, date), "{date}");
    }
    for date in [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
    ] {
        assert!(working(&calendar, date), "{date}");
    }
}

#[test]
fn working_days_per_year_match_the_official_counts() -> Result<(), CalendarError> {
    let calendar = WorkingCalendar::default_cn();
    let in_year = |year: i32| {
        calendar.working_days_between(day(&format!("{year}-01-01")), day(&format!("{year}-12-31")))
    };
    // 1 January is a holiday every year, so (1 Jan, 31 Dec] counts the whole year.
    assert_eq!(in_year(2024)?, 251);
    assert_eq!(in_year(2025)?, 248);
    Ok(())
}

#[test]
fn adding_working_days_skips_holidays_and_counts_adjusted_workdays() -> Result<(), CalendarError> {
    let calendar = WorkingCalendar::default_cn();
    let cases = [
        ("2024-02-08", 1, "2024-02-09"),
        ("2024-02-08", 2, "2024-02-18"),
        ("2024-09-27", 20, "2024-10-30"),
        ("2024-12-31", 20, "2025-02-05"),
        ("2025-01-24", 3, "2025-02-05"),
        ("2025-09-26", 5, "2025-10-10"),
        ("2026-09-18", 15, "2026-10-15"),
    ];
    for (start, n, expected) in cases {
        assert_eq!(
            calendar.add_working_days(day(start), n)?,
            day(expected),
            "{start}+{n}"
        );
        assert_eq!(calendar.working_days_between(day(start), day(expected))?, n);
    }
    // n = 0 is the date itself, working day or not.
    let holiday = day("2024-10-01");
    assert_eq!(calendar.add_working_days(holiday, 0)?, holiday);
    assert_eq!(
        calendar.working_days_between(day("2024-10-12"), day("2024-10-01"))?,
        0
    );
    assert_eq!(calendar.working_days_between(holiday, holiday)?, 0);
    Ok(())
}

#[test]
fn dates_outside_the_covered_years_are_errors() {
    let calendar = WorkingCalendar::default_cn();
    let (first, last) = (day("2018-01-01"), day("2036-12-31"));
    for date in [day("2017-12-31"), day("2037-01-01"), day("1999-05-04")] {
        let error = CalendarError::OutOfRange { date, first, last };
        assert_eq!(calendar.is_working_day(date), Err(error.clone()));
        assert_eq!(calendar.add_working_days(date, 0), Err(error.clone()));
        assert_eq!(
            calendar.working_days_between(day("2024-01-01"), date),
            Err(error)
        );
    }
    assert_eq!(
        calendar
            .is_working_day(day("2037-01-05"))
            .err()
            .map(|e| e.to_string()),
        Some(
            "2037-01-05 is outside the working calendar, which covers 2018-01-01 to 2036-12-31"
                .into()
        )
    );
    // 2036-12-25 is a Thursday: the 26th and 27th are a weekend.
    let start = day("2036-12-25");
    assert_eq!(calendar.add_working_days(start, 4), Ok(day("2036-12-31")));
    assert_eq!(
        calendar.add_working_days(start, 5),
        Err(CalendarError::ResultOutOfRange { start, n: 5, last })
    );
    assert!(calendar.add_working_days(first, u32::MAX).is_err());
}

#[test]
fn digest_is_that_of_the_canonical_text() -> Result<(), ReferenceFileError> {
    let calendar = WorkingCalendar::default_cn();
    let canonical = canonical_text(DEFAULT_CSV_FOR_TESTS);
    assert_eq!(
        WorkingCalendar::from_csv(&canonical)?.content_digest(),
        calendar.content_digest()
    );
    let mut edited = canonical.clone();
    edited.push_str("2026-12-31,holiday_off,测试,Test\n");
    assert_ne!(
        WorkingCalendar::from_csv(&edited)?.content_digest(),
        calendar.content_digest()
    );
    Ok(())
}

fn load_err(rows: &str) -> ReferenceFileError {
    let text = format!("date,kind,holiday_zh,holiday_en\n{rows}");
    match WorkingCalendar::from_csv(&text) {
        Ok(calendar) => panic!("accepted a bad calendar ending {}", calendar.last()),
        Err(error) => error,
    }
}

#[test]
fn bad_rows_are_named_by_line_column_and_value() {
    let first = "2024-01-01,holiday_off,元旦,New Year's Day\n";
    let cases = [
        (
            "2024-02-30,holiday_off,春节,Spring Festival",
            "date",
            "2024-02-30",
        ),
        (
            "2024/02/10,holiday_off,春节,Spring Festival",
            "date",
            "2024/02/10",
        ),
        (
            "2024-2-10,holiday_off,春节,Spring Festival",
            "date",
            "2024-2-10",
        ),
        ("2024-02-10,day_off,春节,Spring Festival", "kind", "day_off"),
        (
            "2024-02-05,adjusted_workday,春节,Spring Festival",
            "kind",
            "adjusted_workday",
        ),
        (
            "2024-01-01,holiday_off,元旦,New Year's Day",
            "date",
            "2024-01-01",
        ),
    ];
    for (row, column, value) in cases {
        let error = load_err(&format!("{first}\n{row}\n"));
        assert_eq!(error.line, Some(4), "{row}");
        assert_eq!(error.column, Some(column), "{row}");
        assert_eq!(error.value.as_deref(), Some(value), "{row}");
    }
    let duplicate = load_err(&format!("{first}{first}"));
    assert_eq!(
        duplicate.kind,
        ReferenceFileErrorKind::Duplicate { first_line: 2 }
    );
}

#[test]
fn a_day_both_off_and_worked_is_a_conflict() {
    let error = load_err("2024-02-04,adjusted_workday,春节,SF\n2024-02-04,holiday_off,春节,SF\n");
    assert_eq!(error.line, Some(3));
    assert_eq!(
        error.to_string(),
        "line 3, column date, value \"2024-02-04\": contradicts line 2: 2024-02-04 cannot be \
         both holiday_off and adjusted_workday"
    );
}

#[test]
fn files_without_whole_consecutive_years_are_rejected() {
    let error = load_err("2018-01-01,holiday_off,元旦,NY\n2020-01-01,holiday_off,元旦,NY\n");
    assert_eq!(
        error.kind,
        ReferenceFileErrorKind::MissingYear { year: 2019 }
    );
    assert_eq!(load_err("").kind, ReferenceFileErrorKind::NoRows);
    let header = WorkingCalendar::from_csv("date,kind\n2024-01-01,holiday_off\n");
    assert!(matches!(
        header.map_err(|e| e.kind),
        Err(ReferenceFileErrorKind::Header { .. })
    ));
}

proptest! {
    #[test]
    fn adding_then_counting_gives_back_n(offset in 0u64..6940, n in 0u32..400) {
        let calendar = WorkingCalendar::default_cn();
        let start = calendar.first() + chrono::Days::new(offset);
        match calendar.add_working_days(start, n) {
            Ok(end) => {
                prop_assert_eq!(calendar.working_days_between(start, end), Ok(n));
                if n > 0 {
                    // The answer is a working day and the first one reaching n.
                    prop_assert_eq!(calendar.is_working_day(end), Ok(true));
                    let before = end.pred_opt().unwrap_or(end);
                    prop_assert_eq!(calendar.working_days_between(start, before), Ok(n - 1));
                }
            }
            Err(error) => {
                let is_beyond = matches!(error, CalendarError::ResultOutOfRange { .. });
                prop_assert!(is_beyond, "{}", error);
            }
        }
    }
}
