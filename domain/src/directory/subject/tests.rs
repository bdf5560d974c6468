//! Given/when/then tests of the subject aggregate: registration, each change event,
//! idempotent re-recording, refusals, the stored event names and as-of-date queries.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use esrs::Aggregate;

use super::*;
use crate::directory::test_support::{day, issued_on, label, region, uscc};
use crate::directory::TextError;
use crate::event_log::Recorded;

/// A change made to a record in a test case.
type Edit = fn(&mut SubjectRecord);

type Event = Recorded<SubjectEvent>;

fn record() -> SubjectRecord {
    SubjectRecord {
        uscc: uscc(1),
        name: "杭州某某食品有限公司".into(),
        kind: SubjectKind::Enterprise,
        industry: IndustryCode::parse("C1311").unwrap(),
        region: region("330106"),
        registration_date: day(2015, 3, 2),
        status: SubjectStatus::Active,
        risk_class: RiskClass::B,
        tags: BTreeSet::from([label("食品生产")]),
    }
}

fn given(events: &[Event]) -> SubjectState {
    events
        .iter()
        .cloned()
        .fold(SubjectState::default(), Subject::apply_event)
}

/// Records `record` effective on `date` against the history `events`, appending what it
/// produced; returns the new events.
fn when_recorded(events: &mut Vec<Event>, date: NaiveDate, record: SubjectRecord) -> Vec<Event> {
    let command = SubjectCommand::Record(RecordSubject { record });
    let new = Subject::handle_command(&given(events), issued_on(date, command)).unwrap();
    events.extend(new.clone());
    new
}

fn domain(events: &[Event]) -> Vec<SubjectEvent> {
    events.iter().map(|e| e.event.clone()).collect()
}

#[test]
fn a_new_subject_is_registered_with_its_whole_record() {
    let mut log = vec![];
    let events = when_recorded(&mut log, day(2026, 1, 5), record());
    assert_eq!(
        domain(&events),
        vec![SubjectEvent::SubjectRegistered { record: record() }]
    );
    assert_eq!(events[0].effective_at, Some(day(2026, 1, 5)));
    assert_eq!(given(&log).current, Some(record()));
}

#[test]
fn recording_the_same_row_again_records_nothing() {
    let mut log = vec![];
    when_recorded(&mut log, day(2026, 1, 5), record());
    assert!(when_recorded(&mut log, day(2026, 2, 5), record()).is_empty());
    assert_eq!(log.len(), 1);
}

#[test]
fn each_kind_of_difference_is_its_own_event() {
    let mut log = vec![];
    when_recorded(&mut log, day(2026, 1, 5), record());
    let cases: Vec<(Edit, SubjectEvent)> = vec![
        (
            |r| r.status = SubjectStatus::Revoked,
            SubjectEvent::SubjectStatusChanged {
                from: SubjectStatus::Active,
                to: SubjectStatus::Revoked,
            },
        ),
        (
            |r| r.risk_class = RiskClass::D,
            SubjectEvent::SubjectRiskClassChanged {
                from: RiskClass::B,
                to: RiskClass::D,
            },
        ),
        (
            |r| r.region = region("330108"),
            SubjectEvent::SubjectRegionChanged {
                from: region("330106"),
                to: region("330108"),
            },
        ),
        (
            |r| r.tags = BTreeSet::from([label("特种设备")]),
            SubjectEvent::SubjectTagsChanged {
                added: BTreeSet::from([label("特种设备")]),
                removed: BTreeSet::from([label("食品生产")]),
            },
        ),
        (
            |r| r.name = "杭州某某食品股份有限公司".into(),
            SubjectEvent::SubjectDetailsCorrected {
                name: Some("杭州某某食品股份有限公司".into()),
                kind: None,
                industry: None,
                registration_date: None,
            },
        ),
    ];
    for (change, expected) in cases {
        let mut log = log.clone();
        let mut changed = record();
        change(&mut changed);
        let events = when_recorded(&mut log, day(2026, 3, 1), changed.clone());
        assert_eq!(domain(&events), vec![expected]);
        assert_eq!(given(&log).current, Some(changed));
    }
}

#[test]
fn several_differences_give_their_events_in_a_fixed_order() {
    let mut log = vec![];
    when_recorded(&mut log, day(2026, 1, 5), record());
    let mut changed = record();
    changed.tags.insert(label("网络交易"));
    changed.risk_class = RiskClass::C;
    changed.kind = SubjectKind::Other;
    changed.industry = IndustryCode::parse("F52").unwrap();
    let events = domain(&when_recorded(&mut log, day(2026, 3, 1), changed));
    assert_eq!(
        events,
        vec![
            SubjectEvent::SubjectDetailsCorrected {
                name: None,
                kind: Some(SubjectKind::Other),
                industry: Some(IndustryCode::parse("F52").unwrap()),
                registration_date: None,
            },
            SubjectEvent::SubjectRiskClassChanged {
                from: RiskClass::B,
                to: RiskClass::C,
            },
            SubjectEvent::SubjectTagsChanged {
                added: BTreeSet::from([label("网络交易")]),
                removed: BTreeSet::new(),
            },
        ]
    );
}

#[test]
fn another_subjects_row_and_bad_names_are_refused() {
    let mut log = vec![];
    when_recorded(&mut log, day(2026, 1, 5), record());
    let mut other = record();
    other.uscc = uscc(2);
    let command = SubjectCommand::Record(RecordSubject { record: other });
    let refused = Subject::handle_command(&given(&log), issued_on(day(2026, 2, 1), command));
    assert!(matches!(refused, Err(SubjectError::UsccMismatch { .. })));

    for (name, error) in [
        ("", TextError::Empty),
        (" 某某公司", TextError::SurroundingWhitespace),
    ] {
        let mut bad = record();
        bad.name = name.into();
        let command = SubjectCommand::Record(RecordSubject { record: bad });
        let refused = Subject::handle_command(&given(&[]), issued_on(day(2026, 2, 1), command));
        assert_eq!(refused.err(), Some(SubjectError::InvalidName(error)));
    }
}

#[test]
fn stored_event_names_and_payloads_are_stable() {
    let mut log = vec![];
    when_recorded(&mut log, day(2026, 1, 5), record());
    let mut changed = record();
    changed.status = SubjectStatus::Cancelled;
    changed.name = "新名称".into();
    when_recorded(&mut log, day(2026, 3, 1), changed);
    let names: Vec<String> = log.iter().map(|e| e.event_type().unwrap()).collect();
    assert_eq!(
        names,
        [
            "SubjectRegistered",
            "SubjectDetailsCorrected",
            "SubjectStatusChanged"
        ]
    );
    let payload = log[1].to_payload().unwrap();
    assert_eq!(payload["data"], serde_json::json!({"name": "新名称"}));
    assert_eq!(log[2].to_payload().unwrap()["data"]["to"], "cancelled");
    for event in &log {
        let back = Recorded::<SubjectEvent>::from_payload(event.to_payload().unwrap());
        assert_eq!(back.ok().as_ref(), Some(event));
    }
}

#[test]
fn the_directory_as_of_a_date_follows_effective_dates() {
    let mut log = vec![];
    when_recorded(&mut log, day(2026, 1, 1), record());
    let mut revoked = record();
    revoked.status = SubjectStatus::Revoked;
    when_recorded(&mut log, day(2026, 3, 1), revoked.clone());
    let mut high_risk = revoked.clone();
    high_risk.risk_class = RiskClass::D;
    high_risk.tags.clear();
    when_recorded(&mut log, day(2026, 6, 1), high_risk.clone());

    assert_eq!(subject_as_of(&log, day(2025, 12, 31)), None);
    assert_eq!(subject_as_of(&log, day(2026, 1, 1)), Some(record()));
    assert_eq!(subject_as_of(&log, day(2026, 2, 28)), Some(record()));
    assert_eq!(subject_as_of(&log, day(2026, 3, 1)), Some(revoked.clone()));
    assert_eq!(subject_as_of(&log, day(2026, 5, 31)), Some(revoked));
    assert_eq!(
        subject_as_of(&log, day(2027, 1, 1)),
        Some(high_risk.clone())
    );

    // A correction recorded later but effective earlier changes the past only.
    let mut moved = high_risk.clone();
    moved.region = region("330108");
    when_recorded(&mut log, day(2026, 2, 1), moved.clone());
    let as_of_feb = subject_as_of(&log, day(2026, 2, 15)).unwrap();
    assert_eq!(as_of_feb.region, region("330108"));
    assert_eq!(as_of_feb.status, SubjectStatus::Active);
    assert_eq!(subject_as_of(&log, day(2025, 12, 31)), None);
    assert_eq!(given(&log).current, Some(moved));
}

#[test]
fn without_an_effective_date_the_recording_date_counts() {
    let command = SubjectCommand::Record(RecordSubject { record: record() });
    let mut issued = issued_on(day(2026, 4, 10), command);
    issued.meta.effective_at = None;
    let events = Subject::handle_command(&SubjectState::default(), issued).unwrap();
    assert_eq!(subject_as_of(&events, day(2026, 4, 9)), None);
    assert_eq!(subject_as_of(&events, day(2026, 4, 10)), Some(record()));
    assert_eq!(given(&events).history.listed_from, Some(day(2026, 4, 10)));
}
