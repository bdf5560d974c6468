//! Tests of [`parse`](super::parse): the golden pool and random pools read back to the
//! same records and the same bytes, and every kind of non-canonical or invalid text is
//! refused, naming the text, the line and the field.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::fixture::*;
use super::parse::*;
use super::pool::*;
use super::*;
use crate::directory::{
    Certificate, IndustryCode, InspectorRecord, InspectorStatus, RiskClass, Rules, SubjectKind,
    SubjectRecord, SubjectStatus,
};

fn golden_texts() -> FrozenTexts {
    FrozenTexts::of(&golden_frozen())
}

/// The error of parsing `text` as subjects, which must fail.
fn subjects_error(text: &str) -> TextError {
    match parse_subjects(text) {
        Ok(records) => panic!("accepted {} records from {text:?}", records.len()),
        Err(e) => e,
    }
}

/// The golden subject text with line `number` (1-based) replaced by `with`.
fn with_line(text: &str, number: usize, with: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[number - 1] = with.to_owned();
    lines.join("\n") + "\n"
}

fn assert_at(e: &TextError, text: FrozenText, line: usize, field: Option<&str>) {
    assert_eq!((e.text, e.line, e.field), (text, line, field), "{e}");
}

#[test]
fn the_golden_pool_reads_back_to_the_same_records_and_bytes() {
    let frozen = golden_frozen();
    let texts = golden_texts();
    let back = texts.to_frozen(frozen.task.clone(), 2).unwrap();
    let mut subjects = frozen.subjects.clone();
    subjects.sort_by(|a, b| a.uscc.as_str().cmp(b.uscc.as_str()));
    let mut inspectors = frozen.inspectors.clone();
    inspectors.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    assert_eq!(back.subjects, subjects);
    assert_eq!(back.inspectors, inspectors);
    assert_eq!(back.relationships, frozen.relationships);
    assert_eq!(back.previous, frozen.previous);
    assert_eq!(back.rules, frozen.rules);
    assert_eq!(FrozenTexts::of(&back), texts);
    assert_eq!(PoolDigests::of(&back), texts.digests());
    assert_eq!(
        hex::encode(texts.digests().subjects),
        "ee9a488c7c802cc0a2eeba7ddaf5a6abd027b4262658fca73e465bc19ddc6240"
    );
}

#[test]
fn the_example_lines_of_the_specification_parse() {
    // docs/DRAW.md §2.1 and §2.2.
    let subjects = format!(
        "{SUBJECTS_HEADER}\n\
         913301060000000013,\"杭州\"\"老字号\"\",食品有限公司\",enterprise,C1311,330106,2020-01-01,active,D,特种设备;食品\\;餐饮\n\
         913301060000000026,测试企业2号有限公司,individual_business,H6210,330108,2020-01-01,active,C,\n"
    );
    let records = parse_subjects(&subjects).unwrap();
    assert_eq!(records[0].name, "杭州\"老字号\",食品有限公司");
    let tags: Vec<&str> = records[0].tags.iter().map(|t| t.as_str()).collect();
    assert_eq!(tags, ["特种设备", "食品;餐饮"]);
    assert!(records[1].tags.is_empty());
    let inspectors = format!(
        "{INSPECTORS_HEADER}\nSCJG-07,检查员SCJG-07,SCJG,330106,ZJSCJG-07,2024-01-01,2028-12-31,安全生产,false,active\n"
    );
    let records = parse_inspectors(&inspectors).unwrap();
    assert_eq!(records[0].patrol_areas, [region("330106")].into());
}

#[test]
fn empty_pools_and_the_default_rules_read_back() {
    assert_eq!(parse_subjects(&format!("{SUBJECTS_HEADER}\n")), Ok(vec![]));
    assert_eq!(
        parse_inspectors(&format!("{INSPECTORS_HEADER}\n")),
        Ok(vec![])
    );
    assert_eq!(
        parse_relationships(&format!("{RELATIONSHIPS_HEADER}\n")),
        Ok(BTreeSet::new())
    );
    assert_eq!(
        parse_previous(&format!("{PREVIOUS_HEADER}\n")),
        Ok(BTreeSet::new())
    );
    let rules = Rules::default();
    assert_eq!(parse_rules(&rules_text(&rules)), Ok(rules));
}

#[test]
fn layout_errors_name_the_line() {
    let text = golden_texts().subjects;
    let e = subjects_error(&text.replacen("uscc,name", "USCC,name", 1));
    assert_at(&e, FrozenText::Subjects, 1, None);
    assert!(
        e.to_string()
            .starts_with("subjects.csv line 1: found \"USCC,name"),
        "{e}"
    );
    let e = subjects_error(text.trim_end_matches('\n'));
    assert_at(&e, FrozenText::Subjects, 25, None);
    assert!(e.found.contains("no LF"), "{e}");
    let e = subjects_error(&text.replace('\n', "\r\n"));
    assert_at(&e, FrozenText::Subjects, 1, None);
    assert!(e.found.contains("CR"), "{e}");
    let e = subjects_error("");
    assert_at(&e, FrozenText::Subjects, 1, None);
    let e = subjects_error(&format!("{text}\n"));
    assert_at(&e, FrozenText::Subjects, 26, None);
}

#[test]
fn lines_must_be_sorted_and_distinct() {
    let text = golden_texts().subjects;
    let lines: Vec<&str> = text.lines().collect();
    let swapped = with_line(&with_line(&text, 3, lines[3]), 4, lines[2]);
    let e = subjects_error(&swapped);
    assert_at(&e, FrozenText::Subjects, 4, None);
    assert!(e.expected.contains("sorted order"), "{e}");
    let duplicated = with_line(&text, 4, lines[2]);
    let e = subjects_error(&duplicated);
    assert_at(&e, FrozenText::Subjects, 4, None);
    assert!(e.found.contains("the same key as line 3"), "{e}");
    let relationships = golden_texts().relationships;
    let line = relationships.lines().nth(1).unwrap();
    let twice = format!("{relationships}{line}\n");
    let e = parse_relationships(&twice).unwrap_err();
    assert_at(&e, FrozenText::Relationships, 4, None);
}

#[test]
fn fields_are_validated_by_the_directory_rules() {
    let text = golden_texts().subjects;
    let line = text.lines().nth(2).unwrap().to_owned();
    let cases: [(&str, &str, &str); 7] = [
        ("913301060000000026", "913301060000000027", "uscc"),
        ("2020-01-01", "2020-02-30", "registration_date"),
        ("2020-01-01", "2020-1-01", "registration_date"),
        (",enterprise,", ",企业,", "kind"),
        (",active,", ",Active,", "status"),
        (",330108,", ",990108,", "region"),
        (",H6210,", ",h6210,", "line"),
    ];
    let subject2 = with_line(&text, 3, &line.replace("individual_business", "enterprise"));
    assert!(parse_subjects(&subject2).is_ok());
    for (from, to, field) in cases {
        let bad = with_line(
            &subject2,
            3,
            &subject2.lines().nth(2).unwrap().replacen(from, to, 1),
        );
        let e = subjects_error(&bad);
        let expected_field = (field != "line").then_some(field);
        assert_eq!((e.line, e.field), (3, expected_field), "{from} → {to}: {e}");
    }
    let e = subjects_error(&with_line(&text, 3, &line.replace(",C,", ",E,")));
    assert!(e.expected.contains("one of A, B, C, D"), "{e}");
}

#[test]
fn quotes_and_escapes_follow_the_field_and_list_rules() {
    let text = golden_texts().subjects;
    let line = text.lines().nth(1).unwrap().to_owned();
    assert!(line.starts_with("913301060000000013,\"杭州\"\""), "{line}");
    let unbalanced = with_line(
        &text,
        2,
        &line.replacen(",食品有限公司\"", ",食品有限公司", 1),
    );
    let e = subjects_error(&unbalanced);
    assert_at(&e, FrozenText::Subjects, 2, Some("name"));
    assert!(e.found.contains("unbalanced quote"), "{e}");
    let needless = with_line(
        &text,
        3,
        &text
            .lines()
            .nth(2)
            .unwrap()
            .replace(",H6210,", ",\"H6210\","),
    );
    let e = subjects_error(&needless);
    assert_at(&e, FrozenText::Subjects, 3, None);
    assert!(e.found.ends_with("(not canonical)"), "{e}");
    let unsorted = with_line(
        &text,
        2,
        &line.replace("特种设备;食品\\;餐饮", "食品\\;餐饮;特种设备"),
    );
    assert_at(&subjects_error(&unsorted), FrozenText::Subjects, 2, None);
    let bad_escape = with_line(&text, 2, &line.replace("食品\\;餐饮", "食品\\餐饮"));
    assert_at(
        &subjects_error(&bad_escape),
        FrozenText::Subjects,
        2,
        Some("tags"),
    );
    let stray = with_line(&text, 2, &line.replacen("\"杭州", "x\"杭州", 1));
    assert_at(
        &subjects_error(&stray),
        FrozenText::Subjects,
        2,
        Some("name"),
    );
    let short = with_line(&text, 2, "913301060000000013,x");
    assert!(subjects_error(&short).found.starts_with("2 fields"));
}

#[test]
fn inspector_records_are_checked_whole() {
    let text = golden_texts().inspectors;
    let line = text.lines().nth(1).unwrap().to_owned();
    let expiry = with_line(&text, 2, &line.replace("2028-12-31", "2023-12-31"));
    let e = parse_inspectors(&expiry).unwrap_err();
    assert_at(
        &e,
        FrozenText::Inspectors,
        2,
        Some("certificate_expires_on"),
    );
    let expert = with_line(&text, 2, &line.replace(",false,", ",no,"));
    let e = parse_inspectors(&expert).unwrap_err();
    assert_at(&e, FrozenText::Inspectors, 2, Some("expert"));
    let status = with_line(&text, 2, &line.replace(",active", ",在岗"));
    let e = parse_inspectors(&status).unwrap_err();
    assert_eq!(e.expected, "one of active, suspended, retired");
}

#[test]
fn rules_lines_are_fixed() {
    let text = rules_text(&golden_rules());
    let e = parse_rules(&text.replace("ratio_bp.A=1000", "ratio_bp.A=01000")).unwrap_err();
    assert_at(&e, FrozenText::Rules, 2, Some("ratio_bp.A"));
    let e = parse_rules(&text.replace("min_team_size=2", "min_team_size=1")).unwrap_err();
    assert_at(&e, FrozenText::Rules, 10, Some("min_team_size"));
    let e = parse_rules(&text.replace("ratio_bp.B", "ratio_bp.b")).unwrap_err();
    assert_at(&e, FrozenText::Rules, 3, None);
    let e = parse_rules(&format!("{text}extra=1\n")).unwrap_err();
    assert_at(&e, FrozenText::Rules, 15, None);
    let e = parse_rules(&text.replace("=true", "=yes")).unwrap_err();
    assert_at(
        &e,
        FrozenText::Rules,
        11,
        Some("conflicts.exclude_patrol_area"),
    );
    let two = text.replace("statuses=active", "statuses=revoked,active");
    let e = parse_rules(&two).unwrap_err();
    assert_at(&e, FrozenText::Rules, 6, None);
    assert!(parse_rules(&text.replace("statuses=active", "statuses=active,revoked")).is_ok());
    let e = parse_rules(&text.replace("statuses=active", "statuses=存续")).unwrap_err();
    assert_at(
        &e,
        FrozenText::Rules,
        6,
        Some("exclusions.eligible_statuses"),
    );
}

#[test]
fn the_risk_class_source_is_an_optional_last_line() {
    // The default is not written: every rules text published before the key keeps its
    // bytes and its digest.
    let default = rules_text(&golden_rules());
    assert!(!default.contains("risk_class_source"));
    for source in [
        crate::directory::RiskClassSource::Credit,
        crate::directory::RiskClassSource::Stricter,
    ] {
        let rules = Rules {
            risk_class_source: source,
            ..golden_rules()
        };
        let text = rules_text(&rules);
        assert_eq!(
            text,
            format!("{default}risk_class_source={}\n", source.as_str())
        );
        assert_eq!(parse_rules(&text), Ok(rules));
    }
    // The default written out is not the canonical text; an unknown source names line 15.
    let e = parse_rules(&format!("{default}risk_class_source=directory\n")).unwrap_err();
    assert_at(&e, FrozenText::Rules, 15, Some("risk_class_source"));
    let e = parse_rules(&format!("{default}risk_class_source=credit_class\n")).unwrap_err();
    assert_at(&e, FrozenText::Rules, 15, Some("risk_class_source"));
    let e = parse_rules(&format!("{default}risk_class_source=credit\nextra=1\n")).unwrap_err();
    assert_at(&e, FrozenText::Rules, 16, None);
}

const NAME_CHARS: &str = "[a-zA-Z0-9中文,\";\\\\ ]{1,24}";

/// Trimmed, non-empty text drawn from letters, CJK and the characters that need quoting
/// or escaping.
fn text_value(pattern: &'static str) -> impl Strategy<Value = String> {
    pattern
        .prop_map(|s| s.trim().to_owned())
        .prop_filter("non-empty after trimming", |s| !s.is_empty())
}

fn date() -> impl Strategy<Value = chrono::NaiveDate> {
    (2000..2030i32, 1..=12u32, 1..=28u32).prop_map(|(y, m, d)| day(y, m, d))
}

fn subject_record() -> impl Strategy<Value = SubjectRecord> {
    (
        (
            0..1_000_000u32,
            text_value(NAME_CHARS),
            0..6usize,
            "[A-T]([0-9]{2,4})?",
        ),
        (0..3usize, date(), 0..4usize, 0..4usize),
        prop::collection::btree_set(text_value(NAME_CHARS), 0..4),
    )
        .prop_map(
            |((n, name, kind, industry), (r, registered, status, class), tags)| SubjectRecord {
                uscc: uscc(n),
                name,
                kind: SubjectKind::ALL[kind],
                industry: IndustryCode::parse(&industry).unwrap(),
                region: region(["330102", "330106", "110105"][r]),
                registration_date: registered,
                status: SubjectStatus::ALL[status],
                risk_class: RiskClass::ALL[class],
                tags: tags.iter().map(|t| label(t)).collect(),
            },
        )
}

fn inspector_record() -> impl Strategy<Value = InspectorRecord> {
    (
        (
            "[A-Za-z0-9_-]{1,10}",
            text_value(NAME_CHARS),
            "[A-Z]{2,5}",
            text_value(NAME_CHARS),
        ),
        (date(), 1..3000i64, any::<bool>(), 0..3usize),
        prop::collection::btree_set(0..3usize, 0..3),
        prop::collection::btree_set(text_value(NAME_CHARS), 0..3),
    )
        .prop_map(
            |((id, name, dept, number), (issued, days, expert, status), areas, quals)| {
                InspectorRecord {
                    id: inspector_id(&id),
                    name,
                    department: department(&dept),
                    patrol_areas: areas
                        .iter()
                        .map(|a| region(["330100", "330000", "330106"][*a]))
                        .collect(),
                    certificate: Certificate {
                        number,
                        issued_on: issued,
                        expires_on: issued + chrono::Days::new(days.unsigned_abs()),
                    },
                    qualifications: quals.iter().map(|q| label(q)).collect(),
                    expert,
                    status: InspectorStatus::ALL[status],
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn encode_parse_encode_is_the_identity(
        subjects in prop::collection::vec(subject_record(), 0..12),
        inspectors in prop::collection::vec(inspector_record(), 0..12),
        pairs in prop::collection::vec((0..1_000_000u32, "[A-Z]{1,3}-[0-9]{1,2}", "[A-Z]{2,4}"), 0..8),
    ) {
        // One record per key: a pool never holds a USCC or an inspector id twice.
        let subjects: BTreeMap<String, SubjectRecord> =
            subjects.into_iter().map(|s| (s.uscc.as_str().to_owned(), s)).collect();
        let subjects: Vec<SubjectRecord> = subjects.into_values().collect();
        let inspectors: BTreeMap<String, InspectorRecord> =
            inspectors.into_iter().map(|i| (i.id.as_str().to_owned(), i)).collect();
        let inspectors: Vec<InspectorRecord> = inspectors.into_values().collect();
        let relationships: BTreeSet<Relationship> = pairs
            .iter()
            .map(|(n, id, _)| Relationship { uscc: uscc(*n), inspector: inspector_id(id) })
            .collect();
        let previous: BTreeSet<PreviousAssignment> = pairs
            .iter()
            .map(|(n, id, d)| PreviousAssignment {
                department: department(d),
                uscc: uscc(*n),
                inspector: inspector_id(id),
            })
            .collect();
        let frozen = FrozenDraw {
            task: golden_task(),
            subjects,
            inspectors,
            relationships,
            previous,
            rules_version: 1,
            rules: golden_rules(),
        };
        let texts = FrozenTexts::of(&frozen);
        let back = texts.to_frozen(golden_task(), 1);
        prop_assert!(back.is_ok(), "{:?}", back.err());
        let back = back.unwrap();
        prop_assert_eq!(&FrozenTexts::of(&back), &texts);
        prop_assert_eq!(back, frozen);
    }
}
