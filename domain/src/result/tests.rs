use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use esrs::Aggregate;
use uuid::Uuid;

use super::*;
use crate::directory::{DepartmentCode, InspectorId, ItemCode};
use crate::event_log::{Actor, CommandMeta, Issued, Role};
use crate::identifiers::Uscc;

fn id(s: &str) -> InspectorId {
    InspectorId::parse(s).unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn team() -> TeamOnRecord {
    TeamOnRecord {
        task_id: Uuid::from_u128(5),
        uscc: Uscc::parse("91330102MA0000031F").unwrap(),
        attempt: 1,
        members: [id("SJ-D01"), id("SJ-D02")].into(),
        items: [(
            ItemCode::parse("SJ-002").unwrap(),
            DepartmentCode::parse("330100-SCJG").unwrap(),
        )]
        .into(),
        window: (day("2023-09-01"), day("2023-09-30")),
    }
}

fn content() -> ResultContent {
    ResultContent {
        category: ResultCategory::NoProblem,
        pending: BTreeSet::new(),
        method: Method::OnSite,
        findings: vec![Finding {
            item: ItemCode::parse("SJ-002").unwrap(),
            department: DepartmentCode::parse("330100-SCJG").unwrap(),
            text: "许可证在有效期内，经营场所与许可一致".into(),
        }],
        evidence: vec![Evidence {
            name: "现场照片1.jpg".into(),
            sha256: "a".repeat(64),
        }],
        members: [id("SJ-D01"), id("SJ-D02")].into(),
        inspection_date: day("2023-09-15"),
        follow_up: FollowUp::None,
        notify: None,
    }
}

fn issue(user: &str, role: Role, command: ResultCommand) -> Issued<ResultCommand> {
    Issued {
        meta: CommandMeta::new(
            Uuid::new_v4(),
            Actor::new(user, role),
            Utc.with_ymd_and_hms(2023, 9, 15, 8, 0, 0).unwrap(),
        ),
        command,
    }
}

fn run(
    state: ResultState,
    user: &str,
    role: Role,
    command: ResultCommand,
) -> Result<ResultState, ResultError> {
    let events = InspectionResult::handle_command(&state, issue(user, role, command))?;
    Ok(events
        .into_iter()
        .fold(state, InspectionResult::apply_event))
}

fn record(content: ResultContent) -> ResultCommand {
    ResultCommand::Record(RecordResult {
        team: team(),
        content,
        deadline: day("2023-10-20"),
    })
}

fn recorded() -> ResultState {
    run(
        ResultState::default(),
        "SJ-D01",
        Role::Inspector,
        record(content()),
    )
    .unwrap()
}

#[test]
fn a_member_records_once_and_corrections_keep_versions() {
    let state = recorded();
    assert_eq!(state.version, 1);
    assert_eq!(
        run(state.clone(), "SJ-D02", Role::Inspector, record(content())),
        Err(ResultError::AlreadyRecorded(1))
    );
    let mut corrected = content();
    corrected.category = ResultCategory::CorrectedOnOrder;
    let correct = |reason: &str| {
        ResultCommand::Correct(CorrectResult {
            team: team(),
            content: corrected.clone(),
            reason: reason.into(),
            deadline: day("2023-10-23"),
        })
    };
    assert_eq!(
        run(state.clone(), "SJ-D02", Role::Inspector, correct(" ")),
        Err(ResultError::NoReason)
    );
    let after = run(
        state,
        "SJ-D02",
        Role::Inspector,
        correct("现场已责令改正，补录"),
    )
    .unwrap();
    assert_eq!(after.version, 2);
    assert_eq!(after.deadline, Some(day("2023-10-23")));
}

#[test]
fn only_the_drawn_team_records_and_only_its_members_are_present() {
    assert_eq!(
        run(
            ResultState::default(),
            "SJ-D03",
            Role::Inspector,
            record(content())
        ),
        Err(ResultError::NotOnTeam("SJ-D03".into()))
    );
    // a member's name used with another role is not the member
    assert_eq!(
        run(
            ResultState::default(),
            "SJ-D01",
            Role::Planner,
            record(content())
        ),
        Err(ResultError::NotOnTeam("SJ-D01".into()))
    );
    let mut c = content();
    c.members = [id("SJ-D01"), id("SJ-D09")].into();
    assert_eq!(
        run(ResultState::default(), "SJ-D01", Role::Inspector, record(c)),
        Err(ResultError::MemberNotOnTeam(id("SJ-D09")))
    );
}

#[test]
fn invalid_content_lists_every_problem_with_its_field() {
    let mut c = content();
    c.category = ResultCategory::PendingFollowUp;
    c.members = [id("SJ-D01")].into();
    c.evidence[0].sha256 = "XYZ".into();
    c.inspection_date = day("2023-10-01");
    c.findings[0].item = ItemCode::parse("SJ-001").unwrap();
    c.follow_up = FollowUp::NotifyDepartment;
    let Err(ResultError::Invalid(problems)) =
        run(ResultState::default(), "SJ-D01", Role::Inspector, record(c))
    else {
        panic!("expected invalid");
    };
    let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    for field in [
        "pending",
        "members",
        "evidence[0].sha256",
        "inspection_date",
        "findings[0]",
        "notify",
    ] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
}

#[test]
fn publication_is_of_the_current_version_once() {
    let state = recorded();
    assert_eq!(
        run(
            state.clone(),
            "demo-planner",
            Role::Planner,
            ResultCommand::Publish(PublishResult { version: 2 })
        ),
        Err(ResultError::StaleVersion {
            given: 2,
            current: 1
        })
    );
    let published = run(
        state,
        "demo-planner",
        Role::Planner,
        ResultCommand::Publish(PublishResult { version: 1 }),
    )
    .unwrap();
    assert_eq!(published.published, Some(1));
    assert_eq!(
        run(
            published,
            "demo-planner",
            Role::Planner,
            ResultCommand::Publish(PublishResult { version: 1 })
        ),
        Err(ResultError::AlreadyPublished(1))
    );
    assert_eq!(
        run(
            ResultState::default(),
            "demo-planner",
            Role::Planner,
            ResultCommand::Publish(PublishResult { version: 1 })
        ),
        Err(ResultError::NotRecorded)
    );
}

#[test]
fn names_are_accepted_in_chinese_and_stored_in_english() {
    assert_eq!(
        ResultCategory::parse("发现问题待后续处理").unwrap(),
        ResultCategory::PendingFollowUp
    );
    assert_eq!(
        PendingKind::parse("通过登记的住所无法联系").unwrap(),
        PendingKind::UnreachableAtAddress
    );
    let json = serde_json::to_value(content()).unwrap();
    assert_eq!(json["category"], "no_problem");
    assert_eq!(json["method"], "on_site");
    let back: ResultContent = serde_json::from_value(json).unwrap();
    assert_eq!(back, content());
    assert_eq!(
        result_id(Uuid::from_u128(5), &team().uscc),
        result_id(Uuid::from_u128(5), &team().uscc)
    );
}

fn recount(deadline: &str) -> ResultCommand {
    ResultCommand::RecountDeadline(RecountDeadline {
        deadline: day(deadline),
        calendar_version: "c0ffee".into(),
    })
}

/// Issue 28: a new calendar moves an unpublished deadline, recorded anew with the
/// calendar version; nothing else moves it, and a published one stays.
#[test]
fn a_new_calendar_recounts_an_unpublished_deadline_only() {
    let state = recorded();
    assert_eq!(
        run(
            state.clone(),
            "SJ-D01",
            Role::Inspector,
            recount("2023-10-24")
        ),
        Err(ResultError::NotRecounter("inspector".into()))
    );
    assert!(matches!(
        run(state.clone(), "admin", Role::Admin, recount("2023-10-20")),
        Err(ResultError::NothingToRecount(_))
    ));
    let events = InspectionResult::handle_command(
        &state,
        issue("admin", Role::Admin, recount("2023-10-24")),
    )
    .unwrap();
    assert_eq!(
        events.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        vec![ResultEvent::PublicationDeadlineRecounted {
            version: 1,
            previous: day("2023-10-20"),
            deadline: day("2023-10-24"),
            calendar_version: "c0ffee".into(),
        }]
    );
    let moved = run(state, "system", Role::System, recount("2023-10-24")).unwrap();
    assert_eq!(moved.deadline, Some(day("2023-10-24")));
    let published = run(
        moved,
        "demo-planner",
        Role::Planner,
        ResultCommand::Publish(PublishResult { version: 1 }),
    )
    .unwrap();
    assert!(matches!(
        run(published, "admin", Role::Admin, recount("2023-10-27")),
        Err(ResultError::NothingToRecount(_))
    ));
}
