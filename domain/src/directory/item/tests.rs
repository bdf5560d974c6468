//! Given/when/then tests of the inspection item aggregate: definition, revisions with
//! version numbers, retirement and its refusals.

use std::collections::BTreeSet;

use esrs::Aggregate;

use super::*;
use crate::directory::subject::SubjectKind;
use crate::directory::test_support::{day, issued_on, label};
use crate::directory::{DepartmentCode, ItemCode};
use crate::event_log::Recorded;

/// A change made to a record in a test case.
type Edit = fn(&mut ItemRecord);

type Event = Recorded<ItemEvent>;

fn record() -> ItemRecord {
    ItemRecord {
        code: ItemCode::parse("SCJG-001").unwrap(),
        name: "食品生产企业监督检查".into(),
        legal_basis: "《中华人民共和国食品安全法》第一百一十条".into(),
        department: DepartmentCode::parse("330106-SCJG").unwrap(),
        target_kinds: BTreeSet::from([SubjectKind::Enterprise]),
        default_ratio_bp: 500,
        frequency_per_year: 1,
        method: InspectionMethod::OnSite,
        qualification_required: Some(label("食品安全")),
    }
}

fn given(events: &[Event]) -> ItemState {
    events
        .iter()
        .cloned()
        .fold(ItemState::default(), InspectionItem::apply_event)
}

fn when(log: &mut Vec<Event>, command: ItemCommand) -> Result<Vec<ItemEvent>, ItemError> {
    let new = InspectionItem::handle_command(&given(log), issued_on(day(2026, 3, 1), command))?;
    log.extend(new.clone());
    Ok(new.into_iter().map(|e| e.event).collect())
}

fn recorded(record: ItemRecord) -> ItemCommand {
    ItemCommand::Record(RecordItem { record })
}

fn retire(reason: &str) -> ItemCommand {
    ItemCommand::Retire(RetireItem {
        reason: reason.into(),
    })
}

fn defined() -> Vec<Event> {
    let mut log = vec![];
    when(&mut log, recorded(record())).unwrap();
    log
}

#[test]
fn a_new_item_is_defined_as_version_one_and_the_same_row_records_nothing() {
    let mut log = vec![];
    assert_eq!(
        when(&mut log, recorded(record())),
        Ok(vec![ItemEvent::ItemDefined {
            version: 1,
            record: record()
        }])
    );
    assert_eq!(when(&mut log, recorded(record())), Ok(vec![]));
    assert_eq!(given(&log).version(), 1);
}

#[test]
fn revisions_carry_the_next_version_and_only_the_changes() {
    let mut log = defined();
    let mut revised = record();
    revised.default_ratio_bp = 1000;
    revised.target_kinds.insert(SubjectKind::IndividualBusiness);
    let expected = ItemChanges {
        default_ratio_bp: Some(1000),
        target_kinds: Some(revised.target_kinds.clone()),
        ..ItemChanges::default()
    };
    assert_eq!(
        when(&mut log, recorded(revised.clone())),
        Ok(vec![ItemEvent::ItemRevised {
            version: 2,
            changes: expected
        }])
    );
    let mut dropped = revised.clone();
    dropped.qualification_required = None;
    let events = when(&mut log, recorded(dropped.clone())).unwrap();
    assert!(matches!(
        &events[..],
        [ItemEvent::ItemRevised { version: 3, .. }]
    ));
    let state = given(&log);
    assert_eq!(state.current(), Some(&dropped));
    assert_eq!(state.at_version(1), Some(&record()));
    assert_eq!(state.at_version(2), Some(&revised));
    assert_eq!(state.at_version(0), None);
    assert_eq!(state.at_version(4), None);
}

#[test]
fn a_dropped_qualification_is_stored_as_null_and_read_back() {
    let mut log = defined();
    let mut dropped = record();
    dropped.qualification_required = None;
    dropped.name = "食品生产监督检查".into();
    when(&mut log, recorded(dropped)).unwrap();
    let payload = log[1].to_payload().unwrap();
    assert_eq!(
        payload["data"],
        serde_json::json!({
            "version": 2,
            "changes": {"name": "食品生产监督检查", "qualification_required": null}
        })
    );
    let back = Recorded::<ItemEvent>::from_payload(payload).unwrap();
    assert_eq!(back, log[1]);
    let ItemEvent::ItemRevised { changes, .. } = back.event else {
        panic!("not a revision");
    };
    assert_eq!(changes.qualification_required, Some(None));
    assert_eq!(changes.method, None);
}

#[test]
fn retired_items_refuse_revisions_and_a_second_retirement() {
    let mut log = defined();
    assert_eq!(
        when(&mut log, retire("法律依据已废止")),
        Ok(vec![ItemEvent::ItemRetired {
            version: 1,
            reason: "法律依据已废止".into()
        }])
    );
    assert_eq!(when(&mut log, recorded(record())), Ok(vec![]));
    let mut revised = record();
    revised.frequency_per_year = 2;
    assert!(matches!(
        when(&mut log, recorded(revised)),
        Err(ItemError::Retired { .. })
    ));
    assert_eq!(
        when(&mut log, retire("again")),
        Err(ItemError::AlreadyRetired)
    );
    assert_eq!(given(&log).retired.as_deref(), Some("法律依据已废止"));
}

#[test]
fn retiring_needs_a_defined_item_and_a_reason() {
    assert_eq!(when(&mut vec![], retire("x")), Err(ItemError::NotDefined));
    assert!(matches!(
        when(&mut defined(), retire("")),
        Err(ItemError::InvalidReason(_))
    ));
}

#[test]
fn bad_rows_and_another_items_row_are_refused() {
    let cases: Vec<(Edit, ItemRecordError)> = vec![
        (
            |r| r.default_ratio_bp = 10_001,
            ItemRecordError::Ratio { found: 10_001 },
        ),
        (
            |r| r.frequency_per_year = 0,
            ItemRecordError::Frequency { found: 0 },
        ),
        (
            |r| r.frequency_per_year = 13,
            ItemRecordError::Frequency { found: 13 },
        ),
        (|r| r.target_kinds.clear(), ItemRecordError::NoTargetKinds),
    ];
    for (spoil, error) in cases {
        let mut bad = record();
        spoil(&mut bad);
        assert_eq!(
            when(&mut vec![], recorded(bad)),
            Err(ItemError::InvalidRecord(error))
        );
    }
    let mut other = record();
    other.code = ItemCode::parse("SCJG-002").unwrap();
    assert!(matches!(
        when(&mut defined(), recorded(other)),
        Err(ItemError::CodeMismatch { .. })
    ));
}

#[test]
fn methods_parse_from_their_chinese_names() {
    assert_eq!(
        InspectionMethod::parse("网络监测"),
        Ok(InspectionMethod::OnlineMonitoring)
    );
    assert_eq!(
        InspectionMethod::parse("其他部门结果"),
        Ok(InspectionMethod::OtherAuthority)
    );
    assert_eq!(
        InspectionMethod::parse("On-site"),
        Ok(InspectionMethod::OnSite)
    );
    assert_eq!(
        InspectionMethod::parse("专家评审"),
        Ok(InspectionMethod::ExpertReview)
    );
}
