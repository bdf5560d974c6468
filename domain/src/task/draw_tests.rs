//! Given/when/then tests of the draw, recusals and redraws of an inspection task, on
//! drand quicknet round 123.

use crate::draw::{commitment_of, Constraint, FrozenDraw, Team};
use crate::event_log::{Actor, Recorded, Role};

use super::fixture::*;
use super::*;

type History = Vec<Recorded<TaskEvent>>;

/// Created, frozen on round 123 and with the beacon entered: ready to draw.
fn ready(departments: &[&str], team_size: u32, per_department: u32) -> (History, FrozenDraw) {
    let pool = frozen(departments, team_size, per_department, 123);
    let mut h = Vec::new();
    when(
        &mut h,
        create(departments, team_size),
        planner(),
        BEFORE - 100,
    )
    .unwrap();
    when(&mut h, freeze(&pool, 123), planner(), BEFORE).unwrap();
    when(&mut h, beacon(123), planner(), AFTER).unwrap();
    (h, pool)
}

fn drawn_teams(events: &[TaskEvent]) -> Vec<Team> {
    match events {
        [TaskEvent::SubjectsDrawn { teams, .. }] => teams.clone(),
        other => panic!("expected SubjectsDrawn, got {other:?}"),
    }
}

#[test]
fn a_single_department_task_is_drawn_from_its_frozen_pool_and_beacon() {
    let (mut h, pool) = ready(&["SCJG"], 2, 4);
    let events = when(&mut h, run(&pool), planner(), AFTER + 1).unwrap();
    let TaskEvent::SubjectsDrawn {
        attempt,
        seed,
        seed_text,
        strata,
        teams,
        reveals,
    } = &events[0]
    else {
        panic!("expected SubjectsDrawn, got {events:?}")
    };
    assert_eq!(*attempt, 1);
    assert_eq!(crate::draw::pool::sha256(seed_text.as_bytes()), *seed);
    assert!(seed_text.contains(&format!("task_id={}\n", TASK_ID.hyphenated())));
    assert!(seed_text.contains("drand_round=123\n"));
    assert!(reveals.is_empty());
    assert_eq!((strata.len(), strata[0].pool, strata[0].quota), (1, 10, 3));
    assert_eq!(teams.len(), 3);
    assert!(teams.iter().all(|t| t.members.len() == 2));
    assert_eq!(given(&h).phase, Phase::Drawn);
}

#[test]
fn a_joint_task_draws_with_the_reveals_given_and_a_missing_one_as_dash() {
    let departments = ["SCJG", "YJGL"];
    let pool = frozen(&departments, 2, 3, 123);
    let mut h = Vec::new();
    when(&mut h, create(&departments, 2), planner(), BEFORE - 100).unwrap();
    for d in departments {
        let commit = TaskCommand::RecordCommitment(RecordCommitment {
            department: dept(d),
            commitment: commitment_of(&secret(d)),
        });
        when(&mut h, commit, planner(), BEFORE - 90).unwrap();
    }
    when(&mut h, freeze(&pool, 123), planner(), BEFORE).unwrap();
    let reveal = TaskCommand::RecordReveal(RecordReveal {
        department: dept("SCJG"),
        secret: secret("SCJG"),
    });
    when(&mut h, reveal, planner(), BEFORE + 5).unwrap();
    // YJGL never reveals; the deadline passes and the round appears.
    when(&mut h, beacon(123), planner(), AFTER).unwrap();
    let events = when(&mut h, run(&pool), planner(), AFTER + 1).unwrap();
    let TaskEvent::SubjectsDrawn {
        seed_text,
        teams,
        reveals,
        ..
    } = &events[0]
    else {
        panic!("expected SubjectsDrawn, got {events:?}")
    };
    assert_eq!(
        reveals,
        &vec![
            (dept("SCJG"), RevealOutcome::Valid),
            (dept("YJGL"), RevealOutcome::Missing)
        ]
    );
    let scjg = format!(
        "reveal=SCJG;{};{}\n",
        hex::encode(commitment_of(&secret("SCJG"))),
        hex::encode(secret("SCJG"))
    );
    let yjgl = format!(
        "reveal=YJGL;{};-\n",
        hex::encode(commitment_of(&secret("YJGL")))
    );
    assert!(seed_text.ends_with(&format!("{scjg}{yjgl}")), "{seed_text}");
    // One visit per subject, one member of each department.
    for team in teams {
        assert!(team.members[0].as_str().starts_with("SCJG"));
        assert!(team.members[1].as_str().starts_with("YJGL"));
    }
}

#[test]
fn a_pool_changed_after_the_freeze_is_refused_at_the_draw() {
    let (mut h, mut pool) = ready(&["SCJG"], 2, 4);
    // The "29 judges fell ill" manipulation: an inspector leaves the pool.
    pool.inspectors.pop();
    assert_eq!(
        when(&mut h, run(&pool), planner(), AFTER + 1),
        Err(TaskError::PoolChanged(vec!["inspectors"]))
    );
    let (mut h, mut pool) = ready(&["SCJG"], 2, 4);
    pool.task.team_size = 3;
    pool.subjects.truncate(5);
    assert_eq!(
        when(&mut h, run(&pool), planner(), AFTER + 1),
        Err(TaskError::PoolChanged(vec!["task", "subjects"]))
    );
    assert_eq!(given(&h).phase, Phase::Frozen);
}

#[test]
fn a_second_draw_without_an_approved_redraw_is_refused() {
    let (mut h, pool) = ready(&["SCJG"], 2, 4);
    when(&mut h, run(&pool), planner(), AFTER + 1).unwrap();
    assert_eq!(
        when(&mut h, run(&pool), planner(), AFTER + 2),
        Err(TaskError::AlreadyDrawn)
    );
    assert_eq!(
        when(&mut h, freeze(&pool, 500), planner(), AFTER + 2),
        Err(TaskError::AlreadyDrawn)
    );
}

#[test]
fn a_redraw_is_approved_by_someone_else_with_a_reason_then_needs_a_new_freeze() {
    let (mut h, pool) = ready(&["SCJG"], 2, 4);
    when(&mut h, run(&pool), planner(), AFTER + 1).unwrap();
    let approve = |reason: &str| {
        TaskCommand::ApproveRedraw(ApproveRedraw {
            reason: reason.into(),
            results_recorded: vec![],
        })
    };
    assert_eq!(
        when(&mut h, approve("结果不理想"), planner(), AFTER + 2),
        Err(TaskError::ApproverIsPlanner("planner-1".into()))
    );
    assert_eq!(
        when(&mut h, approve("  "), supervisor(), AFTER + 2),
        Err(TaskError::NoReason)
    );
    let events = when(
        &mut h,
        approve("检查对象名录数据错误"),
        supervisor(),
        AFTER + 2,
    )
    .unwrap();
    assert!(matches!(
        &events[0],
        TaskEvent::RedrawApproved { attempt: 1, .. }
    ));
    // The first draw stays in the history.
    assert!(h
        .iter()
        .any(|r| matches!(r.event, TaskEvent::SubjectsDrawn { attempt: 1, .. })));
    // No draw without a new freeze, and round 123 is no longer in the future.
    assert_eq!(
        when(&mut h, run(&pool), planner(), AFTER + 3),
        Err(TaskError::NotFrozen)
    );
    assert!(matches!(
        when(&mut h, freeze(&pool, 123), planner(), AFTER + 3),
        Err(TaskError::RoundNotInFuture { .. })
    ));
}

#[test]
fn an_unstaffable_draw_is_recorded_naming_the_constraint_and_draws_nothing() {
    // Teams of 3 from a pool of 2 inspectors.
    let (mut h, pool) = ready(&["SCJG"], 3, 2);
    let events = when(&mut h, run(&pool), planner(), AFTER + 1).unwrap();
    let [TaskEvent::DrawFailed {
        attempt: 1,
        unstaffable,
    }] = events.as_slice()
    else {
        panic!("expected DrawFailed, got {events:?}")
    };
    assert_eq!(unstaffable.len(), 3);
    assert!(unstaffable
        .iter()
        .all(|u| u.constraint == Constraint::Department
            && u.needed == 3
            && u.department.is_none()));
    let state = given(&h);
    assert_eq!((state.phase, state.drawn.is_none()), (Phase::Failed, true));
    assert_eq!(
        when(&mut h, run(&pool), planner(), AFTER + 2),
        Err(TaskError::AlreadyDrawn)
    );
}

#[test]
fn a_recusal_is_declared_by_the_inspector_on_the_team_and_replaced() {
    let (mut h, pool) = ready(&["SCJG"], 2, 4);
    let teams = drawn_teams(&when(&mut h, run(&pool), planner(), AFTER + 1).unwrap());
    let team = &teams[0];
    let member = team.members[0].clone();
    let outsider = pool
        .inspectors
        .iter()
        .map(|i| i.id.clone())
        .find(|id| !team.members.contains(id))
        .unwrap();
    let recuse = |inspector: &crate::directory::InspectorId| {
        TaskCommand::DeclareRecusal(DeclareRecusal {
            uscc: team.uscc.clone(),
            inspector: inspector.clone(),
            reason: "曾在该企业任职".into(),
            frozen: Box::new(pool.clone()),
            result_recorded: false,
        })
    };
    let as_inspector =
        |id: &crate::directory::InspectorId| Actor::new(id.as_str(), Role::Inspector);
    assert_eq!(
        when(
            &mut h,
            recuse(&outsider),
            as_inspector(&outsider),
            AFTER + 2
        ),
        Err(TaskError::NotOnTeam {
            uscc: team.uscc.clone(),
            inspector: outsider.clone()
        })
    );
    assert_eq!(
        when(&mut h, recuse(&member), planner(), AFTER + 2),
        Err(TaskError::NotTheInspector(member.clone()))
    );
    let events = when(&mut h, recuse(&member), as_inspector(&member), AFTER + 2).unwrap();
    let [TaskEvent::RecusalDeclared { number: 1, .. }, TaskEvent::ReplacementDrawn {
        recused,
        replacement,
        ..
    }] = events.as_slice()
    else {
        panic!("expected RecusalDeclared and ReplacementDrawn, got {events:?}")
    };
    assert_eq!(recused, &member);
    assert!(!team.members.contains(replacement));
    let state = given(&h);
    let current = &state.drawn.as_ref().unwrap().teams[0];
    assert_eq!(current.members[0], *replacement);
    assert_eq!(
        when(&mut h, recuse(&member), as_inspector(&member), AFTER + 3),
        Err(TaskError::NotOnTeam {
            uscc: team.uscc.clone(),
            inspector: member.clone()
        })
    );
}

#[test]
fn a_recusal_without_any_candidate_is_recorded_with_the_constraint() {
    // Teams of 2 from a pool of 2: nobody is left to replace a member.
    let (mut h, pool) = ready(&["SCJG"], 2, 2);
    let teams = drawn_teams(&when(&mut h, run(&pool), planner(), AFTER + 1).unwrap());
    let member = teams[0].members[1].clone();
    let recuse = TaskCommand::DeclareRecusal(DeclareRecusal {
        uscc: teams[0].uscc.clone(),
        inspector: member.clone(),
        reason: "亲属在该企业任职".into(),
        frozen: Box::new(pool),
        result_recorded: false,
    });
    let actor = Actor::new(member.as_str(), Role::Inspector);
    let events = when(&mut h, recuse, actor, AFTER + 2).unwrap();
    let [TaskEvent::RecusalDeclared { .. }, TaskEvent::ReplacementUnstaffable { unstaffable, .. }] =
        events.as_slice()
    else {
        panic!("expected RecusalDeclared and ReplacementUnstaffable, got {events:?}")
    };
    assert_eq!(unstaffable.needed, 1);
    assert_eq!(given(&h).drawn.unwrap().teams[0].members.len(), 1);
}
