//! Given/when/then tests of the inspection task before the draw: creation,
//! commit–reveal, the freeze and the beacon.

use crate::draw::beacon::BeaconError;
use crate::draw::commitment_of;

use super::fixture::*;
use super::*;

/// A single-department task, frozen on round `round` before round 123's time.
fn frozen_history(round: u64) -> Vec<crate::event_log::Recorded<TaskEvent>> {
    let mut h = Vec::new();
    when(&mut h, create(&["SCJG"], 2), planner(), BEFORE - 100).unwrap();
    when(
        &mut h,
        freeze(&frozen(&["SCJG"], 2, 4, round), round),
        planner(),
        BEFORE,
    )
    .unwrap();
    h
}

fn commit(department: &str) -> TaskCommand {
    TaskCommand::RecordCommitment(RecordCommitment {
        department: dept(department),
        commitment: commitment_of(&secret(department)),
    })
}

fn reveal(department: &str, secret: [u8; 32]) -> TaskCommand {
    TaskCommand::RecordReveal(RecordReveal {
        department: dept(department),
        secret,
    })
}

#[test]
fn a_task_needs_creating_first_and_only_once() {
    let mut h = Vec::new();
    assert_eq!(
        when(&mut h, beacon(123), planner(), AFTER),
        Err(TaskError::NotCreated)
    );
    let events = when(&mut h, create(&["SCJG", "YJGL"], 2), planner(), BEFORE).unwrap();
    assert!(
        matches!(&events[0], TaskEvent::TaskCreated { departments, .. } if departments.len() == 2)
    );
    assert_eq!(given(&h).planner, "planner-1");
    assert_eq!(
        when(&mut h, create(&["SCJG"], 2), planner(), BEFORE),
        Err(TaskError::AlreadyCreated)
    );
}

#[test]
fn invalid_tasks_are_refused() {
    let mut h = Vec::new();
    // Three departments cannot each have a member in a team of two.
    assert!(matches!(
        when(
            &mut h,
            create(&["SCJG", "YJGL", "ZFJD"], 2),
            planner(),
            BEFORE
        ),
        Err(TaskError::InvalidTask(_))
    ));
    let TaskCommand::Create(mut c) = create(&["SCJG"], 2) else {
        unreachable!()
    };
    c.inspection_date = day(2023, 10, 1);
    assert!(matches!(
        when(&mut h, TaskCommand::Create(c.clone()), planner(), BEFORE),
        Err(TaskError::InvalidTask(_))
    ));
    c.inspection_date = day(2023, 9, 1);
    c.items[0].department = dept("YJGL");
    assert!(matches!(
        when(&mut h, TaskCommand::Create(c), planner(), BEFORE),
        Err(TaskError::InvalidItem(_))
    ));
}

#[test]
fn commitments_only_before_the_freeze_by_a_task_department_once() {
    let mut h = Vec::new();
    when(
        &mut h,
        create(&["SCJG", "YJGL"], 2),
        planner(),
        BEFORE - 100,
    )
    .unwrap();
    when(&mut h, commit("SCJG"), planner(), BEFORE - 90).unwrap();
    assert_eq!(
        when(&mut h, commit("SCJG"), planner(), BEFORE - 80),
        Err(TaskError::DuplicateCommitment(dept("SCJG")))
    );
    assert_eq!(
        when(&mut h, commit("ZFJD"), planner(), BEFORE - 80),
        Err(TaskError::UnknownDepartment(dept("ZFJD")))
    );
    let pool = frozen(&["SCJG", "YJGL"], 2, 3, 123);
    let events = when(&mut h, freeze(&pool, 123), planner(), BEFORE).unwrap();
    let TaskEvent::PoolFrozen { commitments, .. } = &events[0] else {
        panic!("expected PoolFrozen, got {events:?}")
    };
    assert_eq!(commitments.len(), 1);
    assert_eq!(
        when(&mut h, commit("YJGL"), planner(), BEFORE + 1),
        Err(TaskError::CommitmentAfterFreeze)
    );
}

#[test]
fn the_freeze_fixes_a_future_round_and_happens_once() {
    let mut h = Vec::new();
    when(&mut h, create(&["SCJG"], 2), planner(), BEFORE - 100).unwrap();
    let pool = frozen(&["SCJG"], 2, 4, 123);
    // Round 123 is already public at AFTER: a past round is refused.
    assert!(matches!(
        when(&mut h, freeze(&pool, 123), planner(), AFTER),
        Err(TaskError::RoundNotInFuture { round: 123, .. })
    ));
    // Exactly at the round's time it is public too.
    assert!(matches!(
        when(&mut h, freeze(&pool, 123), planner(), ROUND_123_TIME),
        Err(TaskError::RoundNotInFuture { .. })
    ));
    let TaskCommand::FreezePool(mut late) = freeze(&pool, 123) else {
        unreachable!()
    };
    late.reveal_deadline = at(ROUND_123_TIME);
    assert!(matches!(
        when(&mut h, TaskCommand::FreezePool(late), planner(), BEFORE),
        Err(TaskError::RevealDeadline { .. })
    ));
    let events = when(&mut h, freeze(&pool, 123), planner(), BEFORE).unwrap();
    assert!(matches!(
        &events[0],
        TaskEvent::PoolFrozen { round_time, .. } if *round_time == at(ROUND_123_TIME)
    ));
    assert_eq!(
        when(&mut h, freeze(&pool, 123), planner(), BEFORE + 1),
        Err(TaskError::AlreadyFrozen)
    );
}

#[test]
fn a_reveal_needs_the_freeze_a_commitment_a_match_and_the_deadline() {
    let mut h = Vec::new();
    when(
        &mut h,
        create(&["SCJG", "YJGL"], 2),
        planner(),
        BEFORE - 100,
    )
    .unwrap();
    when(&mut h, commit("SCJG"), planner(), BEFORE - 90).unwrap();
    assert_eq!(
        when(
            &mut h,
            reveal("SCJG", secret("SCJG")),
            planner(),
            BEFORE - 80
        ),
        Err(TaskError::NotFrozen)
    );
    when(
        &mut h,
        freeze(&frozen(&["SCJG", "YJGL"], 2, 3, 123), 123),
        planner(),
        BEFORE,
    )
    .unwrap();
    assert_eq!(
        when(
            &mut h,
            reveal("SCJG", secret("wrong")),
            planner(),
            BEFORE + 1
        ),
        Err(TaskError::RevealMismatch(dept("SCJG")))
    );
    assert_eq!(
        when(
            &mut h,
            reveal("YJGL", secret("YJGL")),
            planner(),
            BEFORE + 1
        ),
        Err(TaskError::NoCommitment(dept("YJGL")))
    );
    assert_eq!(
        when(
            &mut h,
            reveal("SCJG", secret("SCJG")),
            planner(),
            ROUND_123_TIME - 10
        ),
        Err(TaskError::RevealClosed(at(ROUND_123_TIME - 10)))
    );
    when(
        &mut h,
        reveal("SCJG", secret("SCJG")),
        planner(),
        BEFORE + 2,
    )
    .unwrap();
    assert_eq!(
        when(
            &mut h,
            reveal("SCJG", secret("SCJG")),
            planner(),
            BEFORE + 3
        ),
        Err(TaskError::AlreadyRevealed(dept("SCJG")))
    );
}

#[test]
fn a_beacon_before_the_freeze_is_refused() {
    let mut h = Vec::new();
    when(&mut h, create(&["SCJG"], 2), planner(), BEFORE - 100).unwrap();
    assert_eq!(
        when(&mut h, beacon(123), planner(), AFTER),
        Err(TaskError::NotFrozen)
    );
}

#[test]
fn a_beacon_of_another_round_is_refused() {
    let mut h = frozen_history(123);
    assert_eq!(
        when(&mut h, beacon(124), planner(), AFTER),
        Err(TaskError::WrongRound {
            fixed: 123,
            given: 124
        })
    );
}

#[test]
fn a_beacon_whose_signature_does_not_verify_is_refused() {
    // Round 124 fixed; round 123's signature presented as round 124 fails.
    let mut h = frozen_history(124);
    assert_eq!(
        when(&mut h, beacon(124), planner(), AFTER),
        Err(TaskError::Beacon(BeaconError::BadSignature { round: 124 }))
    );
}

#[test]
fn a_beacon_entered_before_its_publication_time_is_refused() {
    let mut h = frozen_history(123);
    assert!(matches!(
        when(&mut h, beacon(123), planner(), ROUND_123_TIME - 1),
        Err(TaskError::BeaconBeforeItsTime { round: 123, .. })
    ));
    let events = when(&mut h, beacon(123), planner(), ROUND_123_TIME).unwrap();
    assert!(matches!(
        &events[0],
        TaskEvent::BeaconRecorded { round: 123, .. }
    ));
    assert_eq!(
        when(&mut h, beacon(123), planner(), AFTER),
        Err(TaskError::BeaconAlreadyRecorded)
    );
}

#[test]
fn events_serialise_tagged_with_bytes_as_hex() {
    let mut h = frozen_history(123);
    when(&mut h, beacon(123), planner(), AFTER).unwrap();
    for recorded in &h {
        let payload = recorded.to_payload().unwrap();
        let back = crate::event_log::Recorded::<TaskEvent>::from_payload(payload).unwrap();
        assert_eq!(&back, recorded);
    }
    let json = serde_json::to_value(&h[2].event).unwrap();
    assert_eq!(json["event_type"], "BeaconRecorded");
    assert_eq!(json["data"]["signature"], ROUND_123_SIGNATURE);
    assert_eq!(
        json["data"]["randomness"],
        "fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc"
    );
}
