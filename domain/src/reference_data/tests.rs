//! Given/when/then tests of the reference-data aggregate.

use chrono::{TimeZone, Utc};
use esrs::Aggregate;
use uuid::Uuid;

use super::*;
use crate::event_log::{Actor, CommandMeta, Issued, Role};

fn load(kind: ReferenceKind, digest: &str, rows: u32) -> Issued<ReferenceDataCommand> {
    let now = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or_default();
    Issued {
        meta: CommandMeta::new(Uuid::from_u128(9), Actor::new("ops", Role::Admin), now),
        command: ReferenceDataCommand::Load(LoadReferenceData {
            kind,
            content: "x".into(),
            digest: digest.into(),
            rows,
            source: "test".into(),
        }),
    }
}

fn given(events: Vec<<ReferenceData as Aggregate>::Event>) -> ReferenceDataState {
    events
        .into_iter()
        .fold(ReferenceDataState::default(), ReferenceData::apply_event)
}

#[test]
fn first_load_is_version_one_and_names_its_actor() {
    let events =
        ReferenceData::handle_command(&given(vec![]), load(ReferenceKind::Calendar, "aa", 3));
    let events = events.unwrap_or_default();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.user, "ops");
    assert!(matches!(
        &events[0].event,
        ReferenceDataEvent::ReferenceDataLoaded { version: 1, .. }
    ));
}

#[test]
fn the_same_digest_again_records_nothing_and_a_new_one_is_the_next_version() {
    let first =
        ReferenceData::handle_command(&given(vec![]), load(ReferenceKind::Calendar, "aa", 3))
            .unwrap_or_default();
    let state = given(first);
    let again = ReferenceData::handle_command(&state, load(ReferenceKind::Calendar, "aa", 3));
    assert_eq!(again.map(|e| e.len()), Ok(0));
    let next = ReferenceData::handle_command(&state, load(ReferenceKind::Calendar, "bb", 3))
        .unwrap_or_default();
    assert!(matches!(
        &next[0].event,
        ReferenceDataEvent::ReferenceDataLoaded { version: 2, .. }
    ));
}

#[test]
fn empty_tables_and_wrong_kinds_are_refused() {
    assert!(matches!(
        ReferenceData::handle_command(&given(vec![]), load(ReferenceKind::Divisions, "aa", 0)),
        Err(ReferenceDataError::Empty { .. })
    ));
    let state = given(
        ReferenceData::handle_command(&given(vec![]), load(ReferenceKind::Calendar, "aa", 1))
            .unwrap_or_default(),
    );
    assert!(matches!(
        ReferenceData::handle_command(&state, load(ReferenceKind::Divisions, "bb", 1)),
        Err(ReferenceDataError::WrongKind { .. })
    ));
}
