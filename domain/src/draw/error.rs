//! Why a draw produced no result. Nothing is drawn when any of these occurs: there is no
//! partial draw, no relaxed constraint and no second seed.

use std::fmt;

use crate::directory::{DepartmentCode, InspectorId, ItemCode, RuleViolation, SubjectStatus};
use crate::identifiers::Uscc;

use super::beacon::BeaconError;
use super::teams::Unstaffable;

/// Why a draw failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// The frozen inputs are inconsistent; every problem found is listed. A defect of
    /// the freeze, found before any randomness is used.
    #[error("the draw's inputs are invalid: {}", join(.0))]
    InvalidInputs(Vec<InputProblem>),
    /// The beacon is not the round the task fixed in advance.
    #[error("the task fixed drand round {fixed}, the beacon given is round {given}")]
    BeaconRound {
        /// The round named by the task.
        fixed: u64,
        /// The round given.
        given: u64,
    },
    /// The beacon round does not verify.
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// One or more drawn subjects cannot be staffed: each is named with the constraint
    /// that emptied its set. The draw fails as a whole.
    #[error("{} subject(s) cannot be staffed: {}", .0.len(), join(.0))]
    Unstaffable(Vec<Unstaffable>),
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One inconsistency in the frozen inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputProblem {
    /// The task id is empty, longer than 64 characters or not printable ASCII.
    #[error("task id {found:?} must be 1 to 64 printable ASCII characters without spaces")]
    TaskId {
        /// The id given.
        found: String,
    },
    /// The task names no department.
    #[error("the task names no department")]
    NoDepartments,
    /// The task names no item.
    #[error("the task names no inspection item")]
    NoItems,
    /// An item appears twice.
    #[error("item {0} appears twice")]
    DuplicateItem(ItemCode),
    /// An item's department is not one of the task's.
    #[error("item {item} belongs to department {department}, which is not in the task")]
    ItemDepartment {
        /// The item.
        item: ItemCode,
        /// Its department.
        department: DepartmentCode,
    },
    /// The team size is below the rules' minimum.
    #[error("team size {team_size} is below the rules' minimum of {minimum}")]
    TeamSize {
        /// The task's team size.
        team_size: u32,
        /// The rules' `min_team_size`.
        minimum: u32,
    },
    /// The team size cannot hold one inspector per department.
    #[error(
        "team size {team_size} cannot hold one inspector of each of {departments} departments"
    )]
    TeamSizeBelowDepartments {
        /// The task's team size.
        team_size: u32,
        /// The number of departments.
        departments: usize,
    },
    /// The rules version does not validate.
    #[error("rules: {0}")]
    Rules(RuleViolation),
    /// A subject appears twice in the pool.
    #[error("subject {0} appears twice in the pool")]
    DuplicateSubject(Uscc),
    /// A subject's status is not eligible under the rules.
    #[error("subject {uscc} has status {status}, which the rules exclude")]
    SubjectStatus {
        /// The subject.
        uscc: Uscc,
        /// Its status.
        status: SubjectStatus,
    },
    /// An inspector appears twice in the pool.
    #[error("inspector {0} appears twice in the pool")]
    DuplicateInspector(InspectorId),
    /// A department committed twice.
    #[error("department {0} has two commitments")]
    DuplicateCommitment(DepartmentCode),
}
