//! Tests of the import report (outcomes, grouping, cap, JSON) and of duplicate tracking.

use serde_json::json;

use super::*;
use crate::directory::test_support::uscc;
use crate::identifiers::Uscc;

fn error(row: u64, column: &str, value: &str, expected: &str) -> RowError {
    RowError {
        row,
        column: column.into(),
        value: value.into(),
        expected: expected.into(),
    }
}

#[test]
fn outcomes_follow_existence_and_event_count() {
    assert_eq!(ImportOutcome::of(false, 1), ImportOutcome::Created);
    assert_eq!(ImportOutcome::of(true, 3), ImportOutcome::Changed);
    assert_eq!(ImportOutcome::of(true, 0), ImportOutcome::Unchanged);
}

#[test]
fn errors_group_by_column_and_expectation_with_capped_examples() {
    let mut report = ImportReport::new(ImportKind::Subjects);
    report.count(ImportOutcome::Created);
    report.count(ImportOutcome::Unchanged);
    for row in 2..27 {
        report.reject_row(vec![
            error(row, "uscc", "x", "position 18: check character '3'"),
            error(row, "status", "歇业", "one of …"),
        ]);
    }
    report.reject_row(vec![error(99, "uscc", "y", "a USCC of 18 characters")]);
    assert!(!report.is_clean());
    assert_eq!(
        report.summary(),
        ImportSummary {
            created: 1,
            changed: 0,
            unchanged: 1,
            rejected: 26
        }
    );
    assert_eq!(report.errors.len(), 3);
    let first = &report.errors[0];
    assert_eq!((first.column.as_str(), first.count), ("uscc", 25));
    assert_eq!(first.examples.len(), EXAMPLES_PER_GROUP);
    assert_eq!(
        first.examples[0],
        ErrorExample {
            row: 2,
            value: "x".into()
        }
    );
    assert_eq!(report.errors[2].count, 1);

    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(value["kind"], "subjects");
    assert_eq!(value["rejected"], 26);
    assert_eq!(value["errors"][1]["column"], "status");
    assert!(value.get("header_errors").is_none());
    assert!(value.get("index").is_none());
    assert_eq!(
        serde_json::to_value(report.summary()).unwrap(),
        json!({"created": 1, "changed": 0, "unchanged": 1, "rejected": 26})
    );
}

#[test]
fn a_clean_report_and_a_bad_header() {
    let mut report = ImportReport::new(ImportKind::Items);
    report.count(ImportOutcome::Changed);
    assert!(report.is_clean());
    let errors = HeaderMap::parse(ImportKind::Items, &["编码"]).unwrap_err();
    report.reject_header(&errors);
    assert!(!report.is_clean());
    assert!(report.header_errors[0].starts_with("missing column name"));
}

#[test]
fn a_uscc_given_twice_names_both_rows() {
    let mut tracker = DuplicateTracker::new();
    let codes = [
        "91350100M000100Y43",
        "914403001922038216",
        "91440300708461136T",
        "91110108551385082Q",
    ];
    for (row, code) in codes.iter().enumerate() {
        assert_eq!(
            tracker.check(row as u64 + 2, &Uscc::parse(code).unwrap()),
            Ok(())
        );
    }
    let again = tracker.check(9, &Uscc::parse("91440300708461136T").unwrap());
    let duplicate = Duplicate {
        key: "91440300708461136T".into(),
        first_row: 4,
        row: 9,
    };
    assert_eq!(again, Err(duplicate.clone()));
    assert_eq!(tracker.len(), 4);
    let row_error = duplicate.to_row_error("uscc");
    assert_eq!(row_error.row, 9);
    assert_eq!(row_error.value, "91440300708461136T (also on row 4)");
    assert_eq!(row_error.expected, "a uscc that appears on one row only");
}

#[test]
fn the_tracker_keeps_about_thirty_bytes_per_code() {
    let rows = 100_000u32;
    let mut tracker = DuplicateTracker::with_capacity(rows as usize);
    for n in 0..rows {
        assert_eq!(tracker.check(u64::from(n) + 2, &uscc(n)), Ok(()));
    }
    assert_eq!(
        tracker
            .check(1_000_000, &uscc(777))
            .map_err(|d| d.first_row),
        Err(779)
    );
    let per_code = tracker.heap_bytes() / tracker.len();
    assert!(per_code <= 30, "{per_code} bytes per code");
    // Ten million codes at that rate stay far below 1 GiB.
    assert!(per_code * 10_000_000 < 512 * 1024 * 1024);
}

#[test]
fn text_keys_given_twice_name_both_rows() {
    let mut keys = DuplicateKeys::new();
    assert_eq!(keys.check(2, "ZJ-0012"), Ok(()));
    assert_eq!(keys.check(3, "ZJ-0013"), Ok(()));
    assert_eq!(
        keys.check(8, "ZJ-0012"),
        Err(Duplicate {
            key: "ZJ-0012".into(),
            first_row: 2,
            row: 8
        })
    );
}
