//! Given/when/then tests of the inspector aggregate: registration, change events,
//! idempotent re-recording, refusals, certificate validity and relationships.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use esrs::Aggregate;

use super::*;
use crate::directory::test_support::{day, issued_on, label, region, uscc};
use crate::directory::{DepartmentCode, InspectorId, TextError};
use crate::event_log::Recorded;

type Event = Recorded<InspectorEvent>;

fn record() -> InspectorRecord {
    InspectorRecord {
        id: InspectorId::parse("ZJ-330106-0012").unwrap(),
        name: "王明".into(),
        department: DepartmentCode::parse("330106-SCJG").unwrap(),
        patrol_areas: BTreeSet::from([region("330106")]),
        certificate: Certificate {
            number: "浙A330106012".into(),
            issued_on: day(2024, 1, 1),
            expires_on: day(2028, 12, 31),
        },
        qualifications: BTreeSet::from([label("食品安全")]),
        expert: false,
        status: InspectorStatus::Active,
    }
}

fn given(events: &[Event]) -> InspectorState {
    events
        .iter()
        .cloned()
        .fold(InspectorState::default(), Inspector::apply_event)
}

fn when(log: &mut Vec<Event>, command: InspectorCommand) -> Result<Vec<Event>, InspectorError> {
    let new = Inspector::handle_command(&given(log), issued_on(day(2026, 3, 1), command))?;
    log.extend(new.clone());
    Ok(new)
}

fn recorded(record: InspectorRecord) -> InspectorCommand {
    InspectorCommand::Record(RecordInspector { record })
}

fn registered() -> Vec<Event> {
    let mut log = vec![];
    when(&mut log, recorded(record())).unwrap();
    log
}

fn declare(n: u32, relation: &str) -> InspectorCommand {
    InspectorCommand::DeclareRelationship(DeclareRelationship {
        uscc: uscc(n),
        relation: relation.into(),
        declared_on: day(2026, 3, 1),
    })
}

fn withdraw(n: u32, relation: &str, reason: &str) -> InspectorCommand {
    InspectorCommand::WithdrawRelationship(WithdrawRelationship {
        uscc: uscc(n),
        relation: relation.into(),
        withdrawn_on: day(2026, 4, 1),
        reason: reason.into(),
    })
}

#[test]
fn a_new_inspector_is_registered_and_the_same_row_again_records_nothing() {
    let mut log = vec![];
    let events = when(&mut log, recorded(record())).unwrap();
    assert_eq!(
        events[0].event,
        InspectorEvent::InspectorRegistered { record: record() }
    );
    assert_eq!(when(&mut log, recorded(record())).map(|e| e.len()), Ok(0));
    assert_eq!(given(&log).current, Some(record()));
}

#[test]
fn each_kind_of_difference_is_its_own_event_in_a_fixed_order() {
    let mut log = registered();
    let mut changed = record();
    changed.expert = true;
    changed.certificate.number = "浙A330106099".into();
    changed.certificate.expires_on = day(2032, 12, 31);
    changed.status = InspectorStatus::Suspended;
    changed.qualifications = BTreeSet::from([label("特种设备")]);
    changed.patrol_areas.insert(region("330108"));
    let events: Vec<InspectorEvent> = when(&mut log, recorded(changed.clone()))
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        events,
        vec![
            InspectorEvent::InspectorDetailsCorrected {
                name: None,
                department: None,
                expert: Some(true),
            },
            InspectorEvent::InspectorCertificateRenewed {
                from: record().certificate,
                to: changed.certificate.clone(),
            },
            InspectorEvent::InspectorStatusChanged {
                from: InspectorStatus::Active,
                to: InspectorStatus::Suspended,
            },
            InspectorEvent::InspectorQualificationsChanged {
                added: BTreeSet::from([label("特种设备")]),
                removed: BTreeSet::from([label("食品安全")]),
            },
            InspectorEvent::InspectorPatrolAreasChanged {
                added: BTreeSet::from([region("330108")]),
                removed: BTreeSet::new(),
            },
        ]
    );
    assert_eq!(given(&log).current, Some(changed.clone()));
    assert_eq!(when(&mut log, recorded(changed)).map(|e| e.len()), Ok(0));
}

#[test]
fn bad_rows_and_another_inspectors_row_are_refused() {
    let mut log = registered();
    let mut other = record();
    other.id = InspectorId::parse("ZJ-330106-0013").unwrap();
    assert!(matches!(
        when(&mut log, recorded(other)),
        Err(InspectorError::IdMismatch { .. })
    ));
    let mut expired = record();
    expired.certificate.expires_on = expired.certificate.issued_on;
    assert!(matches!(
        when(&mut vec![], recorded(expired)),
        Err(InspectorError::InvalidRecord(
            InspectorRecordError::CertificateExpiry { .. }
        ))
    ));
    let mut unnamed = record();
    unnamed.name = String::new();
    assert_eq!(
        when(&mut vec![], recorded(unnamed)).err(),
        Some(InspectorError::InvalidRecord(InspectorRecordError::Name(
            TextError::Empty
        )))
    );
}

#[test]
fn the_certificate_is_valid_from_issue_to_expiry_inclusive() {
    let state = given(&registered());
    let valid = |d: NaiveDate| state.certificate_valid_on(d);
    assert!(!valid(day(2023, 12, 31)));
    assert!(valid(day(2024, 1, 1)));
    assert!(valid(day(2028, 12, 31)));
    assert!(!valid(day(2029, 1, 1)));
    assert!(!InspectorState::default().certificate_valid_on(day(2026, 1, 1)));
}

#[test]
fn relationships_are_declared_once_and_withdrawn_with_a_reason() {
    let mut log = registered();
    let declared = when(&mut log, declare(5, "配偶任法定代表人")).unwrap();
    assert!(matches!(
        &declared[0].event,
        InspectorEvent::RelationshipDeclared { relation, .. } if relation == "配偶任法定代表人"
    ));
    assert!(given(&log).has_relationship_with(&uscc(5)));
    assert!(!given(&log).has_relationship_with(&uscc(6)));
    assert_eq!(
        when(&mut log, declare(5, "配偶任法定代表人")).map(|e| e.len()),
        Ok(0)
    );
    assert_eq!(
        when(&mut log, declare(5, "曾在该企业任职")).map(|e| e.len()),
        Ok(1)
    );

    let withdrawn = when(&mut log, withdraw(5, "配偶任法定代表人", "配偶已离职")).unwrap();
    assert!(matches!(
        &withdrawn[0].event,
        InspectorEvent::RelationshipWithdrawn { reason, .. } if reason == "配偶已离职"
    ));
    assert!(
        given(&log).has_relationship_with(&uscc(5)),
        "one relation remains"
    );
    when(&mut log, withdraw(5, "曾在该企业任职", "已满五年")).unwrap();
    assert!(!given(&log).has_relationship_with(&uscc(5)));
    assert!(matches!(
        when(&mut log, withdraw(5, "曾在该企业任职", "again")),
        Err(InspectorError::RelationshipNotDeclared { .. })
    ));
}

#[test]
fn relationship_commands_need_a_registered_inspector_and_good_text() {
    assert_eq!(
        when(&mut vec![], declare(5, "亲属")).err(),
        Some(InspectorError::NotRegistered)
    );
    let mut log = registered();
    assert_eq!(
        when(&mut log, declare(5, "")).err(),
        Some(InspectorError::InvalidRelation(TextError::Empty))
    );
    when(&mut log, declare(5, "亲属")).unwrap();
    assert_eq!(
        when(&mut log, withdraw(5, "亲属", " ")).err(),
        Some(InspectorError::InvalidReason(TextError::Empty))
    );
}

#[test]
fn stored_event_names_are_stable_and_payloads_round_trip() {
    let mut log = registered();
    when(&mut log, declare(5, "亲属")).unwrap();
    when(&mut log, withdraw(5, "亲属", "误报")).unwrap();
    let names: Vec<String> = log.iter().map(|e| e.event_type().unwrap()).collect();
    assert_eq!(
        names,
        [
            "InspectorRegistered",
            "RelationshipDeclared",
            "RelationshipWithdrawn"
        ]
    );
    for event in &log {
        let back = Recorded::<InspectorEvent>::from_payload(event.to_payload().unwrap());
        assert_eq!(back.ok().as_ref(), Some(event));
    }
}
