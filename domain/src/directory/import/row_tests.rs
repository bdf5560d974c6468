//! Tests of row validation: good rows in Chinese, every problem of a bad row reported,
//! and the cell parsers (dates, percentages, frequencies, yes/no).

use std::collections::BTreeSet;

use super::*;
use crate::directory::inspector::InspectorStatus;
use crate::directory::item::InspectionMethod;
use crate::directory::subject::{RiskClass, SubjectKind, SubjectStatus};
use crate::directory::test_support::{day, label, region};
use crate::identifiers::DivisionTable;

fn header(kind: ImportKind) -> HeaderMap {
    let names: Vec<&str> = kind.columns().iter().map(|c| c.aliases[0]).collect();
    HeaderMap::parse(kind, &names).unwrap()
}

fn columns_of(errors: &[RowError]) -> Vec<&str> {
    errors.iter().map(|e| e.column.as_str()).collect()
}

const GOOD_SUBJECT: [&str; 9] = [
    "91350100M000100Y43",
    "福州某某科技有限公司",
    "企业",
    "I6510",
    "350102",
    "2015年3月2日",
    "存续",
    "B类",
    "网络交易；食品经营| 网络交易",
];

#[test]
fn a_good_subject_row_becomes_its_record() {
    let record = validate_subject_row(
        2,
        &GOOD_SUBJECT,
        &header(ImportKind::Subjects),
        &DivisionTable::default_table(),
    )
    .unwrap();
    assert_eq!(record.uscc.as_str(), "91350100M000100Y43");
    assert_eq!(record.kind, SubjectKind::Enterprise);
    assert_eq!(record.region, region("350102"));
    assert_eq!(record.registration_date, day(2015, 3, 2));
    assert_eq!(record.status, SubjectStatus::Active);
    assert_eq!(record.risk_class, RiskClass::B);
    assert_eq!(
        record.tags,
        BTreeSet::from([label("网络交易"), label("食品经营")])
    );
}

#[test]
fn every_problem_of_a_subject_row_is_reported() {
    let row = [
        "91350100M000100Y4X",
        "",
        "合伙企业",
        "C1",
        "330199",
        "2015-02-30",
        "歇业",
        "E",
        &"长".repeat(33),
        "extra",
    ];
    let errors = validate_subject_row(
        7,
        &row,
        &header(ImportKind::Subjects),
        &DivisionTable::default_table(),
    )
    .unwrap_err();
    assert_eq!(
        columns_of(&errors),
        [
            "column 10",
            "uscc",
            "name",
            "kind",
            "industry",
            "region",
            "registration_date",
            "status",
            "risk_class",
            "tags"
        ]
    );
    assert!(errors.iter().all(|e| e.row == 7));
    let uscc = &errors[1];
    assert_eq!(uscc.value, "91350100M000100Y4X");
    assert_eq!(uscc.expected, "position 18: check character '3'");
    assert_eq!(
        errors[5].expected,
        "a 6-digit region code in the division table (GB/T 2260)"
    );
    assert_eq!(errors[6].expected, DATE_FORMATS);
}

#[test]
fn uscc_errors_name_the_position() {
    let bad = |text: &str| {
        let mut row = GOOD_SUBJECT;
        row[0] = text;
        let errors = validate_subject_row(
            3,
            &row,
            &header(ImportKind::Subjects),
            &DivisionTable::default_table(),
        )
        .unwrap_err();
        errors[0].expected.clone()
    };
    assert_eq!(bad("91350100M000100Y4"), "a USCC of 18 characters");
    assert_eq!(
        bad("9135O100M000100Y43"),
        "position 5: a USCC character, one of 0123456789ABCDEFGHJKLMNPQRTUWXY"
    );
    assert_eq!(
        bad("B1350100M000100Y43"),
        "position 1: a registration department code 1-9, A, N or Y"
    );
}

#[test]
fn a_good_inspector_row_and_a_bad_one() {
    let h = header(ImportKind::Inspectors);
    let table = DivisionTable::default_table();
    let good = [
        "ZJ-0012",
        "王明",
        "330106-SCJG",
        "330106，330108",
        "浙A0012",
        "2024/01/01",
        "20281231",
        "食品安全",
        "否",
        "在岗",
    ];
    let record = validate_inspector_row(2, &good, &h, &table).unwrap();
    assert_eq!(
        record.patrol_areas,
        BTreeSet::from([region("330106"), region("330108")])
    );
    assert_eq!(record.certificate.expires_on, day(2028, 12, 31));
    assert!(!record.expert);
    assert_eq!(record.status, InspectorStatus::Active);

    let bad = [
        "ZJ 0012",
        "王明",
        "330106-SCJG",
        "330106;990101;330199",
        "浙A0012",
        "2024-01-01",
        "2023-12-31",
        "",
        "也许",
        "调岗",
    ];
    let errors = validate_inspector_row(3, &bad, &h, &table).unwrap_err();
    assert_eq!(
        columns_of(&errors),
        [
            "inspector_id",
            "patrol_areas",
            "patrol_areas",
            "certificate_expires_on",
            "expert",
            "status"
        ]
    );
    assert_eq!(errors[1].value, "990101");
    assert_eq!(errors[2].value, "330199");
}

#[test]
fn a_good_item_row_and_a_bad_one() {
    let h = header(ImportKind::Items);
    let good = [
        "SCJG-001",
        "食品生产企业监督检查",
        "《食品安全法》第一百一十条",
        "330106-SCJG",
        "企业;农民专业合作社",
        "2.5%",
        "2次/年",
        "现场检查",
        "",
    ];
    let record = validate_item_row(2, &good, &h).unwrap();
    assert_eq!(record.default_ratio_bp, 250);
    assert_eq!(record.frequency_per_year, 2);
    assert_eq!(record.method, InspectionMethod::OnSite);
    assert_eq!(record.qualification_required, None);
    assert_eq!(record.target_kinds.len(), 2);

    let bad = [
        "SCJG-001",
        "名称",
        "",
        "330106-SCJG",
        " ; ",
        "5",
        "13",
        "飞检",
        "x",
    ];
    let errors = validate_item_row(3, &bad, &h).unwrap_err();
    assert_eq!(
        columns_of(&errors),
        [
            "legal_basis",
            "target_kinds",
            "default_ratio",
            "frequency",
            "method"
        ]
    );
}

#[test]
fn dates_are_read_in_the_four_usual_formats_and_checked() {
    for text in [
        "2026-03-05",
        "2026-3-5",
        "2026/03/05",
        "20260305",
        "2026年3月5日",
        "2026年03月05日",
    ] {
        assert_eq!(parse_date(text), Some(day(2026, 3, 5)), "{text}");
    }
    for text in [
        "2026-02-30",
        "2026-13-01",
        "26-3-5",
        "2026.03.05",
        "2026-03",
        "202603051",
        "",
    ] {
        assert_eq!(parse_date(text), None, "{text}");
    }
}

#[test]
fn percentages_frequencies_and_yes_no_parse_strictly() {
    assert_eq!(parse_percent_bp("5%"), Some(500));
    assert_eq!(parse_percent_bp("0.25％"), Some(25));
    assert_eq!(parse_percent_bp("100%"), Some(10_000));
    assert_eq!(parse_percent_bp("0%"), Some(0));
    for bad in ["5", "100.01%", "5.125%", "5.%", "-1%", "%", "1e2%"] {
        assert_eq!(parse_percent_bp(bad), None, "{bad}");
    }
    assert_eq!(parse_frequency("2次"), Some(2));
    assert_eq!(parse_frequency("0"), None);
    assert_eq!(parse_yes_no("是"), Some(true));
    assert_eq!(parse_yes_no(""), Some(false));
    assert_eq!(parse_yes_no("maybe"), None);
    assert_eq!(split_list("a；b,，c|").collect::<Vec<_>>(), ["a", "b", "c"]);
}
