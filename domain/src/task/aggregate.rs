//! The inspection-task aggregate: creation, commit–reveal, the freeze and the beacon.
//! The draw, recusals and redraws are in [`super::drawing`].

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::directory::check_text;
use crate::draw::beacon::{quicknet_round_time, QUICKNET_CHAIN_HASH};
use crate::draw::{commitment_of, DrandBeacon, DrawTask};
use crate::event_log::{Issued, Recorded};
use crate::identifiers::Uscc;

use super::commands::{
    CreateTask, FreezePool, RecordBeacon, RecordCommitment, RecordReveal, TaskCommand,
};
use super::drawing;
use super::error::TaskError;
use super::events::{FrozenDigests, PublishedCommitment, TaskEvent};
use super::state::{Phase, TaskState};

/// The esrs aggregate of an inspection task (抽查任务); one instance per task id.
pub struct InspectionTask;

/// The longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 200;

impl esrs::Aggregate for InspectionTask {
    const NAME: &'static str = "inspection_task";
    type State = TaskState;
    type Command = Issued<TaskCommand>;
    type Event = Recorded<TaskEvent>;
    type Error = TaskError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let meta = &issued.meta;
        let now = meta.issued_at;
        if state.phase == Phase::New && !matches!(issued.command, TaskCommand::Create(_)) {
            return Err(TaskError::NotCreated);
        }
        let events = match issued.command {
            TaskCommand::Create(create) => create_task(state, create)?,
            TaskCommand::RecordCommitment(c) => record_commitment(state, c)?,
            TaskCommand::FreezePool(freeze) => freeze_pool(state, freeze, now)?,
            TaskCommand::RecordReveal(reveal) => record_reveal(state, reveal, now)?,
            TaskCommand::RecordBeacon(beacon) => record_beacon(state, beacon, now)?,
            TaskCommand::RunDraw(run) => drawing::run(state, &run.frozen)?,
            TaskCommand::DeclareRecusal(recusal) => drawing::recuse(state, recusal, &meta.actor)?,
            TaskCommand::ApproveRedraw(approve) => {
                drawing::approve_redraw(state, approve, &meta.actor)?
            }
            TaskCommand::FlagBeaconOverdue(flag) => {
                if meta.actor.role != crate::event_log::Role::System {
                    return Err(TaskError::NotSystem);
                }
                let freeze = frozen(state)?;
                let round = freeze.beacon.round;
                let not = |why: String| Err(TaskError::BeaconNotOverdue(why));
                if state.beacon.is_some() {
                    return not(format!("round {round} is recorded"));
                }
                if state.beacon_overdue == Some(round) {
                    return not(format!("round {round} is flagged already"));
                }
                if now < freeze.round_time {
                    return not(format!(
                        "round {round} is published at {}",
                        freeze.round_time
                    ));
                }
                vec![TaskEvent::BeaconOverdue {
                    round,
                    round_time: freeze.round_time,
                    due_at: flag.due_at,
                }]
            }
        };
        Ok(meta.stamp(events))
    }

    fn apply_event(state: Self::State, recorded: Self::Event) -> Self::State {
        state.apply(&recorded.event, &recorded.actor.user)
    }
}

fn create_task(state: &TaskState, c: CreateTask) -> Result<Vec<TaskEvent>, TaskError> {
    if state.phase != Phase::New {
        return Err(TaskError::AlreadyCreated);
    }
    let invalid = |why: &str| Err(TaskError::InvalidTask(why.to_owned()));
    if let Err(e) = check_text(&c.title, TITLE_MAX_CHARS) {
        return invalid(&format!("title: {e}"));
    }
    if c.departments.is_empty() {
        return invalid("at least one department is required");
    }
    if c.items.is_empty() {
        return invalid("at least one item is required");
    }
    let mut codes = BTreeSet::new();
    for item in &c.items {
        if !codes.insert(&item.code) || !c.departments.contains(&item.department) {
            return Err(TaskError::InvalidItem(item.code.clone()));
        }
    }
    if c.window_from > c.window_to {
        return invalid("the inspection window ends before it starts");
    }
    if c.inspection_date < c.window_from || c.inspection_date > c.window_to {
        return invalid("the inspection date lies outside the inspection window");
    }
    let team_size = usize::try_from(c.team_size).unwrap_or(usize::MAX);
    if c.team_size < 2 || team_size < c.departments.len() {
        return invalid("team size must be at least 2 and at least the number of departments");
    }
    if c.rules_version == 0 {
        return invalid("rules versions start at 1");
    }
    Ok(vec![TaskEvent::TaskCreated {
        task_id: c.task_id,
        title: c.title,
        departments: c.departments,
        items: c.items,
        scope: c.scope,
        window_from: c.window_from,
        window_to: c.window_to,
        inspection_date: c.inspection_date,
        team_size: c.team_size,
        rules_version: c.rules_version,
    }])
}

/// Refuses any command that would touch the pool once it is frozen or drawn.
fn require_open(state: &TaskState) -> Result<(), TaskError> {
    match state.phase {
        Phase::New => Err(TaskError::NotCreated),
        Phase::Open => Ok(()),
        Phase::Frozen => Err(TaskError::AlreadyFrozen),
        Phase::Drawn | Phase::Failed => Err(TaskError::AlreadyDrawn),
    }
}

fn record_commitment(state: &TaskState, c: RecordCommitment) -> Result<Vec<TaskEvent>, TaskError> {
    if state.phase == Phase::Frozen {
        return Err(TaskError::CommitmentAfterFreeze);
    }
    require_open(state)?;
    if !state.departments().contains(&c.department) {
        return Err(TaskError::UnknownDepartment(c.department));
    }
    if state.commitments.contains_key(&c.department) {
        return Err(TaskError::DuplicateCommitment(c.department));
    }
    Ok(vec![TaskEvent::CommitmentRecorded {
        department: c.department,
        commitment: c.commitment,
    }])
}

/// The publication time of a quicknet round.
fn round_time(round: u64) -> Result<DateTime<Utc>, TaskError> {
    quicknet_round_time(round)
        .and_then(|unix| DateTime::from_timestamp(unix, 0))
        .ok_or(TaskError::NoSuchRound(round))
}

fn freeze_pool(
    state: &TaskState,
    f: FreezePool,
    now: DateTime<Utc>,
) -> Result<Vec<TaskEvent>, TaskError> {
    require_open(state)?;
    if f.beacon.chain != QUICKNET_CHAIN_HASH {
        return Err(TaskError::UnknownChain(f.beacon.chain));
    }
    let round = f.beacon.round;
    let round_time = round_time(round)?;
    if round_time <= now {
        return Err(TaskError::RoundNotInFuture {
            round,
            round_time,
            now,
        });
    }
    if f.reveal_deadline <= now || f.reveal_deadline >= round_time {
        return Err(TaskError::RevealDeadline {
            deadline: f.reveal_deadline,
            round_time,
        });
    }
    if let Some(e) = f.excluded.iter().find(|e| e.reason.trim().is_empty()) {
        return Err(TaskError::ExclusionWithoutReason(e.uscc.clone()));
    }
    // the texts must read back, byte for byte, as inputs the draw accepts, and no
    // excluded subject may be in the pool: what is published is what will be drawn
    let Some(task) = state.task.clone() else {
        return Err(TaskError::NotCreated);
    };
    let frozen = f
        .texts
        .to_frozen(
            DrawTask {
                beacon_round: round,
                ..task
            },
            state.rules_version,
        )
        .map_err(|e| TaskError::InvalidPool(e.to_string()))?;
    let problems = frozen.problems();
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(TaskError::InvalidPool(list.join("; ")));
    }
    let credit_source = !frozen.rules.risk_class_source.is_directory();
    if credit_source != f.credit_basis.is_some() {
        return Err(TaskError::InvalidPool(format!(
            "the rules take risk classes from {} but the freeze {} a credit basis",
            frozen.rules.risk_class_source.as_str(),
            if credit_source { "names no" } else { "names" }
        )));
    }
    let pool: BTreeSet<&Uscc> = frozen.subjects.iter().map(|s| &s.uscc).collect();
    if let Some(e) = f.excluded.iter().find(|e| pool.contains(&e.uscc)) {
        return Err(TaskError::InvalidPool(format!(
            "subject {} is both in the pool and excluded",
            e.uscc
        )));
    }
    let commitments = state
        .commitments
        .iter()
        .map(|(department, c)| PublishedCommitment {
            department: department.clone(),
            commitment: c.commitment,
        })
        .collect();
    let digests = FrozenDigests::from(&f.texts.digests());
    Ok(vec![TaskEvent::PoolFrozen {
        digests,
        texts: f.texts,
        as_of: f.as_of,
        excluded: f.excluded,
        beacon: f.beacon,
        round_time,
        reveal_deadline: f.reveal_deadline,
        commitments,
        credit_basis: f.credit_basis.map(Box::new),
    }])
}

/// The freeze in force, refusing commands that need one.
fn frozen(state: &TaskState) -> Result<&super::state::Freeze, TaskError> {
    match (state.phase, &state.freeze) {
        (Phase::Frozen, Some(freeze)) => Ok(freeze),
        (Phase::Drawn | Phase::Failed, _) => Err(TaskError::AlreadyDrawn),
        _ => Err(TaskError::NotFrozen),
    }
}

fn record_reveal(
    state: &TaskState,
    r: RecordReveal,
    now: DateTime<Utc>,
) -> Result<Vec<TaskEvent>, TaskError> {
    let freeze = frozen(state)?;
    // once the randomness is on record nobody may still choose to reveal, whatever the
    // command's clock says
    if now >= freeze.reveal_deadline || state.beacon.is_some() {
        return Err(TaskError::RevealClosed(freeze.reveal_deadline));
    }
    let Some(commitment) = state.commitments.get(&r.department) else {
        return Err(TaskError::NoCommitment(r.department));
    };
    if commitment.secret.is_some() {
        return Err(TaskError::AlreadyRevealed(r.department));
    }
    if commitment_of(&r.secret) != commitment.commitment {
        return Err(TaskError::RevealMismatch(r.department));
    }
    Ok(vec![TaskEvent::RevealRecorded {
        department: r.department,
        secret: r.secret,
    }])
}

fn record_beacon(
    state: &TaskState,
    b: RecordBeacon,
    now: DateTime<Utc>,
) -> Result<Vec<TaskEvent>, TaskError> {
    let freeze = frozen(state)?;
    if state.beacon.is_some() {
        return Err(TaskError::BeaconAlreadyRecorded);
    }
    let fixed = freeze.beacon.round;
    if b.round != fixed {
        return Err(TaskError::WrongRound {
            fixed,
            given: b.round,
        });
    }
    if now < freeze.round_time {
        return Err(TaskError::BeaconBeforeItsTime {
            round: b.round,
            round_time: freeze.round_time,
            now,
        });
    }
    let verified = DrandBeacon {
        round: b.round,
        signature: b.signature.clone(),
    }
    .verify()?;
    Ok(vec![TaskEvent::BeaconRecorded {
        round: b.round,
        signature: b.signature,
        randomness: verified.randomness,
    }])
}
