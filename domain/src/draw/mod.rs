//! The random draw (双随机: random subjects, random inspectors), as a pure function of
//! published inputs. The specification is `docs/DRAW.md`; this module is its reference
//! implementation, and `docs/draw_reference.py` an independent one.
//!
//! Order of work, each step in its own file:
//!
//! | step | file |
//! |---|---|
//! | canonical pool texts and their SHA-256 digests | [`pool`] |
//! | the same texts read back, strictly | [`parse`] |
//! | drand quicknet verification, commit–reveal | [`beacon`] |
//! | the seed text and the per-purpose keys | [`seed`] |
//! | ChaCha20 words and unbiased `below(n)` | [`random`] |
//! | forward Fisher–Yates, sample and reserve | [`sample`] |
//! | strata (region × risk class) and quotas | [`strata`] |
//! | teams under every constraint | [`teams`] |
//! | replacements after a recusal | [`recusal`] |
//! | the published bundle of a task, built and verified | [`bundle`] |
//!
//! [`run_draw`] verifies the randomness and derives the seed; [`draw_from_seed`] is the
//! deterministic rest, for re-runners that already hold a published seed. No I/O, no
//! clock, and no `rand` sampling API: only raw ChaCha20 words.

pub mod beacon;
pub mod bundle;
mod error;
mod inputs;
pub mod parse;
pub mod pool;
pub mod random;
pub mod recusal;
mod result;
pub mod sample;
pub mod seed;
pub mod strata;
pub mod teams;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod stats_tests;
#[cfg(test)]
mod team_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use beacon::{
    commitment_of, BeaconError, Commitment, DrandBeacon, RevealStatus, VerifiedBeacon,
};
pub use bundle::{build_bundle, verify_bundle, BundleError, BundleMismatch, BundleReport};
pub use error::{DrawError, InputProblem};
pub use inputs::{
    DrawInputs, DrawTask, FrozenDraw, PreviousAssignment, RandomnessInputs, Relationship, TaskItem,
};
pub use parse::{
    parse_inspectors, parse_previous, parse_relationships, parse_rules, parse_subjects, FrozenText,
    TextError,
};
pub use pool::{FrozenTexts, PoolDigests};
pub use recusal::{draw_replacement, RecusalError, RecusalRequest, Replacement};
pub use result::{DrawResult, Drawn, StratumResult};
pub use seed::{Purpose, Seed};
pub use strata::{quota, StratumKey};
pub use teams::{Constraint, Team, Unstaffable};

use crate::directory::SubjectRecord;

use sample::sample_with_reserve;
use teams::{TeamContext, Workload};

/// Runs a draw: checks the frozen inputs, requires the task's drand round and verifies
/// it, derives the seed from the canonical seed text, then draws subjects and teams.
pub fn run_draw(inputs: &DrawInputs) -> Result<DrawResult, DrawError> {
    let frozen = &inputs.frozen;
    let randomness = &inputs.randomness;
    let mut problems = frozen.problems();
    let mut departments = BTreeSet::new();
    for commitment in &randomness.commitments {
        if !departments.insert(&commitment.department) {
            problems.push(InputProblem::DuplicateCommitment(
                commitment.department.clone(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(DrawError::InvalidInputs(problems));
    }
    if randomness.beacon.round != frozen.task.beacon_round {
        return Err(DrawError::BeaconRound {
            fixed: frozen.task.beacon_round,
            given: randomness.beacon.round,
        });
    }
    let beacon = randomness.beacon.verify()?;
    let digests = PoolDigests::of(frozen);
    let seed_text = seed::seed_text(
        &frozen.task,
        &digests,
        frozen.rules_version,
        &beacon,
        &randomness.commitments,
    );
    let seed = Seed::of_text(&seed_text);
    let drawn = draw_checked(frozen, &seed)?;
    let mut reveals: Vec<_> = randomness
        .commitments
        .iter()
        .map(|c| (c.department.clone(), c.status()))
        .collect();
    reveals.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    Ok(DrawResult {
        seed_text,
        seed,
        digests,
        reveals,
        drawn,
    })
}

/// Draws subjects and teams from a known seed (docs/DRAW.md §5–§8), after the same
/// checks of the frozen inputs as [`run_draw`].
pub fn draw_from_seed(frozen: &FrozenDraw, seed: &Seed) -> Result<Drawn, DrawError> {
    let problems = frozen.problems();
    if !problems.is_empty() {
        return Err(DrawError::InvalidInputs(problems));
    }
    draw_checked(frozen, seed)
}

fn draw_checked(frozen: &FrozenDraw, seed: &Seed) -> Result<Drawn, DrawError> {
    let mut subjects: Vec<&SubjectRecord> = frozen.subjects.iter().collect();
    subjects.sort_by(|a, b| a.uscc.as_str().cmp(b.uscc.as_str()));
    let mut strata = Vec::new();
    let mut order: Vec<&SubjectRecord> = Vec::new();
    for (key, members) in strata::strata(subjects) {
        let pool = members.len();
        let quota = quota(pool, frozen.rules.ratio_bp.get(key.risk_class));
        let mut stream = seed.stream(&Purpose::Subjects(&key));
        let (selected, reserve) = sample_with_reserve(members, quota, &mut stream);
        order.extend(selected.iter().copied());
        strata.push(StratumResult {
            stratum: key,
            pool,
            quota,
            selected: selected.iter().map(|s| s.uscc.clone()).collect(),
            reserve: reserve.iter().map(|s| s.uscc.clone()).collect(),
        });
    }
    let context = TeamContext::new(frozen);
    let mut load = Workload::new();
    let mut teams = Vec::with_capacity(order.len());
    let mut unstaffable = Vec::new();
    for subject in order {
        match context.form_team(subject, &load, seed) {
            Ok(team) => {
                for member in &team.members {
                    *load.entry(member.clone()).or_default() += 1;
                }
                teams.push(team);
            }
            Err(why) => unstaffable.push(*why),
        }
    }
    if !unstaffable.is_empty() {
        return Err(DrawError::Unstaffable(unstaffable));
    }
    Ok(Drawn { strata, teams })
}
