//! Builders for the inspection-task tests: a small pool that staffs, drand quicknet
//! round 123 (published at unix 1692803733) and a clock to issue commands with.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use esrs::Aggregate;
use uuid::Uuid;

use crate::directory::{
    Certificate, DepartmentCode, IndustryCode, InspectorId, InspectorRecord, InspectorStatus,
    ItemCode, RiskClass, Rules, SubjectKind, SubjectRecord, SubjectStatus,
};
use crate::draw::beacon::QUICKNET_CHAIN_HASH;
use crate::draw::{FrozenDraw, FrozenTexts, TaskItem};
use crate::event_log::{Actor, CommandMeta, Issued, Recorded, Role};
use crate::identifiers::{RegionCode, Uscc};

use super::*;

/// `shared/data/randomness-vectors.json`: quicknet round 123.
pub(super) const ROUND_123_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
/// Round 123's publication time.
pub(super) const ROUND_123_TIME: i64 = 1_692_803_733;
/// The freeze's clock: 33 s before round 123.
pub(super) const BEFORE: i64 = ROUND_123_TIME - 33;
/// After round 123.
pub(super) const AFTER: i64 = ROUND_123_TIME + 60;

pub(super) const TASK_ID: Uuid = Uuid::from_u128(0x6a78_7461_736b_4000_8000_0000_0000_0001);

pub(super) fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap()
}

pub(super) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(super) fn dept(code: &str) -> DepartmentCode {
    DepartmentCode::parse(code).unwrap()
}

pub(super) fn inspector_id(id: &str) -> InspectorId {
    InspectorId::parse(id).unwrap()
}

pub(super) fn uscc(n: u32) -> Uscc {
    let first17 = format!("91330106{n:09}");
    let check = Uscc::check_character(&first17).unwrap();
    Uscc::parse(&format!("{first17}{check}")).unwrap()
}

pub(super) fn planner() -> Actor {
    Actor::new("planner-1", Role::Planner)
}

pub(super) fn supervisor() -> Actor {
    Actor::new("supervisor-1", Role::Supervisor)
}

pub(super) fn issue(command: TaskCommand, actor: Actor, unix: i64) -> Issued<TaskCommand> {
    Issued {
        meta: CommandMeta::new(Uuid::from_u128(unix as u128), actor, at(unix)),
        command,
    }
}

/// The state after `events`.
pub(super) fn given(events: &[Recorded<TaskEvent>]) -> TaskState {
    events
        .iter()
        .cloned()
        .fold(TaskState::default(), InspectionTask::apply_event)
}

/// Handles `command` as the planner at `unix` on the state after `history`, and on
/// success appends the events to `history`.
pub(super) fn when(
    history: &mut Vec<Recorded<TaskEvent>>,
    command: TaskCommand,
    actor: Actor,
    unix: i64,
) -> Result<Vec<TaskEvent>, TaskError> {
    let events = InspectionTask::handle_command(&given(history), issue(command, actor, unix))?;
    history.extend(events.iter().cloned());
    Ok(events.into_iter().map(|r| r.event).collect())
}

/// A task of `departments` with one item each, team size `team_size`.
pub(super) fn create(departments: &[&str], team_size: u32) -> TaskCommand {
    TaskCommand::Create(CreateTask {
        task_id: TASK_ID,
        title: "2023年食品生产企业双随机抽查".into(),
        departments: departments.iter().map(|d| dept(d)).collect(),
        items: departments
            .iter()
            .map(|d| TaskItem {
                code: ItemCode::parse(&format!("{d}-001")).unwrap(),
                department: dept(d),
                qualification: None,
            })
            .collect(),
        scope: TaskScope::default(),
        window_from: day(2023, 8, 25),
        window_to: day(2023, 9, 30),
        inspection_date: day(2023, 9, 1),
        team_size,
        rules_version: 1,
    })
}

/// Ten active class-D subjects in 330106 (quota 3 under the default rules).
fn subjects() -> Vec<SubjectRecord> {
    (1..=10)
        .map(|n| SubjectRecord {
            uscc: uscc(n),
            name: format!("测试企业{n}号有限公司"),
            kind: SubjectKind::Enterprise,
            industry: IndustryCode::parse("C1311").unwrap(),
            region: RegionCode::parse("330106").unwrap(),
            registration_date: day(2020, 1, 1),
            status: SubjectStatus::Active,
            risk_class: RiskClass::D,
            tags: BTreeSet::new(),
        })
        .collect()
}

pub(super) fn inspector(id: &str, department: &str) -> InspectorRecord {
    InspectorRecord {
        id: inspector_id(id),
        name: format!("检查员{id}"),
        department: dept(department),
        patrol_areas: BTreeSet::new(),
        certificate: Certificate {
            number: format!("ZJ{id}"),
            issued_on: day(2023, 1, 1),
            expires_on: day(2028, 12, 31),
        },
        qualifications: BTreeSet::new(),
        expert: false,
        status: InspectorStatus::Active,
    }
}

/// The frozen inputs of the task created by `create(departments, team_size)`, with
/// `per_department` inspectors in each department, drawn on round `round`.
pub(super) fn frozen(
    departments: &[&str],
    team_size: u32,
    per_department: u32,
    round: u64,
) -> FrozenDraw {
    let TaskCommand::Create(c) = create(departments, team_size) else {
        unreachable!("create builds a Create command")
    };
    FrozenDraw {
        task: crate::draw::DrawTask {
            task_id: TASK_ID.hyphenated().to_string(),
            departments: c.departments,
            items: c.items,
            inspection_date: c.inspection_date,
            team_size,
            beacon_round: round,
        },
        subjects: subjects(),
        inspectors: departments
            .iter()
            .flat_map(|d| (1..=per_department).map(move |n| inspector(&format!("{d}-{n:02}"), d)))
            .collect(),
        relationships: BTreeSet::new(),
        previous: BTreeSet::new(),
        rules_version: 1,
        rules: Rules::default(),
    }
}

/// Freezes `frozen` on its round, reveals closing 10 s before round 123.
pub(super) fn freeze(frozen: &FrozenDraw, round: u64) -> TaskCommand {
    TaskCommand::FreezePool(FreezePool {
        texts: FrozenTexts::of(frozen),
        as_of: frozen.task.inspection_date,
        excluded: vec![Exclusion {
            uscc: uscc(99),
            reason: "registered less than 6 months ago".into(),
        }],
        beacon: BeaconSchedule {
            chain: QUICKNET_CHAIN_HASH.into(),
            round,
        },
        reveal_deadline: at(ROUND_123_TIME - 10),
        credit_basis: None,
    })
}

pub(super) fn beacon(round: u64) -> TaskCommand {
    TaskCommand::RecordBeacon(RecordBeacon {
        round,
        signature: hex::decode(ROUND_123_SIGNATURE).unwrap(),
    })
}

pub(super) fn run(frozen: &FrozenDraw) -> TaskCommand {
    TaskCommand::RunDraw(RunDraw {
        frozen: Box::new(frozen.clone()),
    })
}

/// A department's secret: SHA-256 of `jianxin task <dept>`.
pub(super) fn secret(department: &str) -> [u8; 32] {
    crate::draw::pool::sha256(format!("jianxin task {department}").as_bytes())
}
