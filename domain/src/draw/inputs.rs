//! What a draw is run on: the task, the frozen pools, the rules version and the
//! randomness inputs (docs/DRAW.md §1).
//!
//! Everything except the randomness is frozen and published, with its digests, before
//! the randomness exists; the seed binds all of it, so changing any byte of the pools,
//! the conflicts, the task or the rules after the fact changes every draw.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::directory::{
    DepartmentCode, InspectorId, InspectorRecord, ItemCode, ItemRecord, Qualification, Rules,
    SubjectRecord,
};
use crate::identifiers::Uscc;

use super::beacon::{Commitment, DrandBeacon};
use super::error::InputProblem;

/// The task being drawn (抽查任务), as far as it shapes the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawTask {
    /// The task's id: 1 to 64 printable ASCII characters (`!` to `~`), written into the
    /// seed, so two tasks never share randomness.
    pub task_id: String,
    /// The departments involved (部门联合 when more than one): every team has at least one
    /// inspector of each, and only their inspectors are drawn.
    pub departments: BTreeSet<DepartmentCode>,
    /// The inspection items; their qualifications are required of every team member.
    pub items: Vec<TaskItem>,
    /// The inspection date: certificates must be valid on it.
    pub inspection_date: NaiveDate,
    /// Inspectors per team: at least the rules' `min_team_size` and at least the number of
    /// departments.
    pub team_size: u32,
    /// The drand quicknet round fixed when the task was created, before the pool was
    /// frozen; the draw refuses any other round.
    pub beacon_round: u64,
}

/// One inspection item of a task, as far as the draw needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskItem {
    /// 事项编码.
    pub code: ItemCode,
    /// 抽查主体: must be one of the task's departments.
    pub department: DepartmentCode,
    /// 检查人员要求: a qualification every team member must hold, if any.
    pub qualification: Option<Qualification>,
}

impl From<&ItemRecord> for TaskItem {
    fn from(item: &ItemRecord) -> TaskItem {
        TaskItem {
            code: item.code.clone(),
            department: item.department.clone(),
            qualification: item.qualification_required.clone(),
        }
    }
}

/// A declared, not withdrawn relationship (利害关系) between an inspector and a subject
/// at the freeze: the inspector is never drawn for that subject. The relation itself is
/// not published, only the pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Relationship {
    /// The subject.
    pub uscc: Uscc,
    /// The inspector.
    pub inspector: InspectorId,
}

/// A member of a department's previous draw on a subject: with the rule
/// `exclude_previous_inspector`, that inspector is not drawn for that subject again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PreviousAssignment {
    /// The department whose previous draw it was.
    pub department: DepartmentCode,
    /// The subject.
    pub uscc: Uscc,
    /// The inspector who was on the team.
    pub inspector: InspectorId,
}

/// Everything frozen and published before the randomness exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenDraw {
    /// The task.
    pub task: DrawTask,
    /// The eligible subjects after the task's scope and the rules' exclusions (any order:
    /// the draw sorts them by USCC).
    pub subjects: Vec<SubjectRecord>,
    /// The inspectors that may be drawn (any order: the draw sorts them by id). Filters
    /// (department, status, certificate…) are applied per subject by the draw itself, so
    /// a removal before the freeze shows in the published pool.
    pub inspectors: Vec<InspectorRecord>,
    /// Declared relationships at the freeze.
    pub relationships: BTreeSet<Relationship>,
    /// The previous draw's teams of the task's departments, on the pool's subjects.
    pub previous: BTreeSet<PreviousAssignment>,
    /// The rules version used (from 1).
    pub rules_version: u32,
    /// That version.
    pub rules: Rules,
}

/// The randomness: a drand quicknet round and the departments' commit–reveal values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomnessInputs {
    /// The round named by the task, with its signature.
    pub beacon: DrandBeacon,
    /// Each department's commitment (published before the freeze) and reveal, if any.
    pub commitments: Vec<Commitment>,
}

/// Everything [`run_draw`](super::run_draw) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawInputs {
    /// Frozen before the randomness.
    pub frozen: FrozenDraw,
    /// Known only after the freeze.
    pub randomness: RandomnessInputs,
}

impl FrozenDraw {
    /// Every inconsistency of the frozen inputs (docs/DRAW.md §1), found without any
    /// randomness: run it before publishing a freeze, and the draw runs it again.
    pub fn problems(&self) -> Vec<InputProblem> {
        let task = &self.task;
        let rules = &self.rules;
        let mut problems = Vec::new();
        let id_ok = (1..=64).contains(&task.task_id.len())
            && task.task_id.bytes().all(|b| b.is_ascii_graphic());
        if !id_ok {
            problems.push(InputProblem::TaskId {
                found: task.task_id.clone(),
            });
        }
        if task.departments.is_empty() {
            problems.push(InputProblem::NoDepartments);
        }
        if task.items.is_empty() {
            problems.push(InputProblem::NoItems);
        }
        let mut codes = BTreeSet::new();
        for item in &task.items {
            if !codes.insert(&item.code) {
                problems.push(InputProblem::DuplicateItem(item.code.clone()));
            }
            if !task.departments.contains(&item.department) {
                problems.push(InputProblem::ItemDepartment {
                    item: item.code.clone(),
                    department: item.department.clone(),
                });
            }
        }
        if let Err(violations) = rules.validate() {
            problems.extend(violations.into_iter().map(InputProblem::Rules));
        }
        if task.team_size < rules.min_team_size {
            problems.push(InputProblem::TeamSize {
                team_size: task.team_size,
                minimum: rules.min_team_size,
            });
        }
        if usize::try_from(task.team_size).is_ok_and(|size| size < task.departments.len()) {
            problems.push(InputProblem::TeamSizeBelowDepartments {
                team_size: task.team_size,
                departments: task.departments.len(),
            });
        }
        let mut usccs = BTreeSet::new();
        for subject in &self.subjects {
            if !usccs.insert(&subject.uscc) {
                problems.push(InputProblem::DuplicateSubject(subject.uscc.clone()));
            }
            if !rules.exclusions.eligible_statuses.contains(&subject.status) {
                problems.push(InputProblem::SubjectStatus {
                    uscc: subject.uscc.clone(),
                    status: subject.status,
                });
            }
        }
        let mut ids = BTreeSet::new();
        for inspector in &self.inspectors {
            if !ids.insert(&inspector.id) {
                problems.push(InputProblem::DuplicateInspector(inspector.id.clone()));
            }
        }
        problems
    }
}
