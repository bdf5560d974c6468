//! Recusal (回避) after the draw (docs/DRAW.md §9): the replacement is drawn by the same
//! published procedure from its own stream, `recusal/<uscc>/<n>`, so it shifts nothing
//! else and anyone can re-run it from the published seed.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::directory::{DepartmentCode, InspectorId};
use crate::identifiers::Uscc;

use super::inputs::FrozenDraw;
use super::seed::{Purpose, Seed};
use super::teams::{workload_of, Excluded, Team, TeamContext, Unstaffable};

/// An inspector's recusal from a subject's team, to be replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecusalRequest {
    /// The subject.
    pub uscc: Uscc,
    /// The inspector who recuses themself; must be on the subject's current team.
    pub inspector: InspectorId,
    /// Which recusal on this subject this is, from 1: one more than the earlier ones.
    pub number: u32,
    /// The inspectors who recused themselves from this subject before (never drawn
    /// again for it).
    pub earlier: BTreeSet<InspectorId>,
}

/// The replacement drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    /// The subject.
    pub uscc: Uscc,
    /// Who recused.
    pub recused: InspectorId,
    /// Who replaces them, in the same position of the team.
    pub replacement: InspectorId,
    /// The recusal's number on this subject (the stream label's `<n>`).
    pub number: u32,
}

/// Why no replacement was drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecusalError {
    /// The subject has no team in this draw.
    #[error("subject {0} has no team in this draw")]
    NoTeam(Uscc),
    /// The subject is not in the frozen pool.
    #[error("subject {0} is not in the frozen pool")]
    UnknownSubject(Uscc),
    /// The inspector is not on the subject's current team.
    #[error("inspector {inspector} is not on the team of subject {uscc}")]
    NotOnTeam {
        /// The subject.
        uscc: Uscc,
        /// The inspector named.
        inspector: InspectorId,
    },
    /// `number` is not one more than the earlier recusals.
    #[error("recusal number {number} on subject {uscc}, expected {expected}")]
    Number {
        /// The subject.
        uscc: Uscc,
        /// The number given.
        number: u32,
        /// One more than the earlier recusals.
        expected: usize,
    },
    /// No eligible inspector is left; the constraint that emptied the set is named.
    #[error("no replacement: {0}")]
    Unstaffable(Box<Unstaffable>),
}

/// Draws the replacement for `request` given the draw's `seed` and the current `teams`
/// (after earlier replacements). Candidates: the pool in published order passing every
/// constraint, with the workload counted over `teams` without the recused member, minus
/// the current members and everyone recused from the subject. If the recused member was
/// the only one of their department on the team, only that department's inspectors are
/// candidates. The replacement is `candidates[below(len)]` on `recusal/<uscc>/<n>`.
pub fn draw_replacement(
    frozen: &FrozenDraw,
    seed: &Seed,
    teams: &[Team],
    request: &RecusalRequest,
) -> Result<Replacement, RecusalError> {
    let uscc = &request.uscc;
    let expected = request.earlier.len() + 1;
    if usize::try_from(request.number).ok() != Some(expected) {
        return Err(RecusalError::Number {
            uscc: uscc.clone(),
            number: request.number,
            expected,
        });
    }
    let Some(subject) = frozen.subjects.iter().find(|s| &s.uscc == uscc) else {
        return Err(RecusalError::UnknownSubject(uscc.clone()));
    };
    let Some(team) = teams.iter().find(|t| &t.uscc == uscc) else {
        return Err(RecusalError::NoTeam(uscc.clone()));
    };
    if !team.members.contains(&request.inspector) {
        return Err(RecusalError::NotOnTeam {
            uscc: uscc.clone(),
            inspector: request.inspector.clone(),
        });
    }
    let context = TeamContext::new(frozen);
    let remaining: Vec<InspectorId> = team
        .members
        .iter()
        .filter(|m| **m != request.inspector)
        .cloned()
        .collect();
    let others: Vec<Team> = teams
        .iter()
        .map(|t| {
            if &t.uscc == uscc {
                Team {
                    uscc: uscc.clone(),
                    members: remaining.clone(),
                }
            } else {
                t.clone()
            }
        })
        .collect();
    let load = workload_of(&others);
    let recused: Vec<InspectorId> = request
        .earlier
        .iter()
        .cloned()
        .chain(std::iter::once(request.inspector.clone()))
        .collect();
    let excluded = Excluded {
        members: &remaining,
        recused: &recused,
    };
    let department = lone_department(&context, &remaining, &request.inspector);
    let candidates: Vec<_> = context
        .eligible(subject, &load, &excluded)
        .into_iter()
        .filter(|i| department.is_none_or(|d| &i.department == d))
        .collect();
    let mut stream = seed.stream(&Purpose::Recusal(uscc, request.number));
    let Some(index) = stream.index_below(candidates.len()) else {
        let why = context.unstaffable(subject, department, 1, &load, &excluded);
        return Err(RecusalError::Unstaffable(Box::new(why)));
    };
    Ok(Replacement {
        uscc: uscc.clone(),
        recused: request.inspector.clone(),
        replacement: candidates[index].id.clone(),
        number: request.number,
    })
}

/// The recused member's department when no remaining member belongs to it (so the
/// replacement must), `None` otherwise.
fn lone_department<'a>(
    context: &TeamContext<'a>,
    remaining: &[InspectorId],
    recused: &InspectorId,
) -> Option<&'a DepartmentCode> {
    let department_of = |id: &InspectorId| {
        context
            .inspectors
            .iter()
            .find(|i| &i.id == id)
            .map(|i| &i.department)
    };
    let department = department_of(recused)?;
    let kept = remaining
        .iter()
        .any(|m| department_of(m) == Some(department));
    (!kept).then_some(department)
}

impl Team {
    /// The team with `replacement` applied: the recused member's position now holds the
    /// replacement.
    pub fn with_replacement(&self, replacement: &Replacement) -> Team {
        let members = self
            .members
            .iter()
            .map(|m| {
                if *m == replacement.recused {
                    replacement.replacement.clone()
                } else {
                    m.clone()
                }
            })
            .collect();
        Team {
            uscc: self.uscc.clone(),
            members,
        }
    }
}
