//! The draw, recusals and redraws of an inspection task.
//!
//! A task is drawn once. An unstaffable draw is recorded as `DrawFailed` (the trail
//! names the constraint that emptied the set) and draws nothing; either outcome ends the
//! attempt. Only `RedrawApproved`, by someone other than the planner, reopens the task,
//! and a new freeze with a new future round must precede the new draw, so the new
//! randomness is unknown when the redraw is approved.

use std::collections::BTreeSet;

use crate::draw::{
    draw_replacement, run_draw, Commitment, DrandBeacon, DrawError, DrawInputs, FrozenDraw,
    PoolDigests, RandomnessInputs, RecusalError, RecusalRequest, Seed,
};
use crate::event_log::{Actor, Role};

use super::commands::{ApproveRedraw, DeclareRecusal};
use super::error::TaskError;
use super::events::{FrozenDigests, RevealOutcome, TaskEvent};
use super::state::{Phase, TaskState};

/// Checks that `frozen` is what was published: the task as created and frozen, the
/// rules version, the five digests, and no excluded subject back in the pool.
fn check_frozen(state: &TaskState, frozen: &FrozenDraw) -> Result<(), TaskError> {
    let (Some(task), Some(freeze)) = (&state.task, &state.freeze) else {
        return Err(TaskError::NotFrozen);
    };
    let mut changed = Vec::new();
    if &frozen.task != task {
        changed.push("task");
    }
    if frozen.rules_version != state.rules_version {
        changed.push("rules_version");
    }
    let given = FrozenDigests::from(&PoolDigests::of(frozen));
    let published = &freeze.digests;
    for (name, a, b) in [
        ("subjects", given.subjects, published.subjects),
        ("inspectors", given.inspectors, published.inspectors),
        (
            "relationships",
            given.relationships,
            published.relationships,
        ),
        ("previous", given.previous, published.previous),
        ("rules", given.rules, published.rules),
    ] {
        if a != b {
            changed.push(name);
        }
    }
    let excluded: BTreeSet<_> = freeze.excluded.iter().map(|e| &e.uscc).collect();
    if frozen.subjects.iter().any(|s| excluded.contains(&s.uscc)) {
        changed.push("excluded subject in pool");
    }
    if changed.is_empty() {
        Ok(())
    } else {
        Err(TaskError::PoolChanged(changed))
    }
}

/// `RunDraw`: once per freeze, on the published pools, the recorded beacon and the
/// commit–reveal values; a department that never revealed enters the seed as `-`.
pub(super) fn run(state: &TaskState, frozen: &FrozenDraw) -> Result<Vec<TaskEvent>, TaskError> {
    match state.phase {
        Phase::Frozen => {}
        Phase::Drawn | Phase::Failed => return Err(TaskError::AlreadyDrawn),
        Phase::New | Phase::Open => return Err(TaskError::NotFrozen),
    }
    let Some(beacon) = &state.beacon else {
        return Err(TaskError::BeaconMissing);
    };
    check_frozen(state, frozen)?;
    let commitments = state
        .commitments
        .iter()
        .map(|(department, c)| Commitment {
            department: department.clone(),
            commitment: c.commitment,
            secret: c.secret,
        })
        .collect();
    let inputs = DrawInputs {
        frozen: frozen.clone(),
        randomness: RandomnessInputs {
            beacon: DrandBeacon {
                round: beacon.round,
                signature: beacon.signature.clone(),
            },
            commitments,
        },
    };
    let attempt = state.attempts + 1;
    match run_draw(&inputs) {
        Ok(result) => Ok(vec![TaskEvent::SubjectsDrawn {
            attempt,
            seed: result.seed.0,
            seed_text: result.seed_text,
            strata: result.drawn.strata,
            teams: result.drawn.teams,
            reveals: result
                .reveals
                .into_iter()
                .map(|(d, status)| (d, RevealOutcome::from(status)))
                .collect(),
        }]),
        Err(DrawError::Unstaffable(unstaffable)) => Ok(vec![TaskEvent::DrawFailed {
            attempt,
            unstaffable,
        }]),
        Err(other) => Err(TaskError::Draw(other)),
    }
}

/// `DeclareRecusal`: by the inspector themself; the replacement is drawn on the stream
/// `recusal/<uscc>/<n>` of the draw's seed, or its absence recorded with the constraint.
pub(super) fn recuse(
    state: &TaskState,
    r: DeclareRecusal,
    actor: &Actor,
) -> Result<Vec<TaskEvent>, TaskError> {
    let drawn = match (state.phase, &state.drawn) {
        (Phase::Drawn, Some(drawn)) => drawn,
        _ => return Err(TaskError::NotDrawn),
    };
    if actor.role != Role::Inspector || actor.user != r.inspector.as_str() {
        return Err(TaskError::NotTheInspector(r.inspector));
    }
    if r.reason.trim().is_empty() {
        return Err(TaskError::NoReason);
    }
    if let Some(e) = crate::directory::format_character_error(&r.reason) {
        return Err(TaskError::ReasonText(e));
    }
    let on_team = drawn
        .teams
        .iter()
        .any(|t| t.uscc == r.uscc && t.members.contains(&r.inspector));
    if !on_team {
        return Err(TaskError::NotOnTeam {
            uscc: r.uscc,
            inspector: r.inspector,
        });
    }
    if r.result_recorded {
        return Err(TaskError::ResultRecorded(r.uscc));
    }
    check_frozen(state, &r.frozen)?;
    let earlier: BTreeSet<_> = drawn
        .recused
        .get(&r.uscc)
        .map(|list| list.iter().cloned().collect())
        .unwrap_or_default();
    let number = u32::try_from(earlier.len() + 1).unwrap_or(u32::MAX);
    let request = RecusalRequest {
        uscc: r.uscc.clone(),
        inspector: r.inspector.clone(),
        number,
        earlier,
    };
    let declared = TaskEvent::RecusalDeclared {
        uscc: r.uscc,
        inspector: r.inspector.clone(),
        reason: r.reason,
        number,
    };
    match draw_replacement(&r.frozen, &Seed(drawn.seed), &drawn.teams, &request) {
        Ok(replacement) => Ok(vec![
            declared,
            TaskEvent::ReplacementDrawn {
                uscc: replacement.uscc,
                recused: replacement.recused,
                replacement: replacement.replacement,
                number,
            },
        ]),
        Err(RecusalError::Unstaffable(why)) => Ok(vec![
            declared,
            TaskEvent::ReplacementUnstaffable {
                recused: r.inspector,
                unstaffable: *why,
            },
        ]),
        Err(other) => Err(TaskError::Recusal(other)),
    }
}

/// `ApproveRedraw`: after a draw or a failed draw, with a reason, by someone other than
/// the planner who created the task.
pub(super) fn approve_redraw(
    state: &TaskState,
    a: ApproveRedraw,
    actor: &Actor,
) -> Result<Vec<TaskEvent>, TaskError> {
    if !matches!(state.phase, Phase::Drawn | Phase::Failed) {
        return Err(TaskError::NothingToRedraw);
    }
    if a.reason.trim().is_empty() {
        return Err(TaskError::NoReason);
    }
    if let Some(e) = crate::directory::format_character_error(&a.reason) {
        return Err(TaskError::ReasonText(e));
    }
    if actor.user == state.planner {
        return Err(TaskError::ApproverIsPlanner(actor.user.clone()));
    }
    if let Some(first) = a.results_recorded.iter().min() {
        return Err(TaskError::DrawHasResults {
            count: a.results_recorded.len(),
            first: first.clone(),
        });
    }
    Ok(vec![TaskEvent::RedrawApproved {
        reason: a.reason,
        attempt: state.attempts,
    }])
}
