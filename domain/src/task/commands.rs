//! Commands of the inspection task. The clock is the command's `issued_at`, the actor its
//! `meta.actor`; everything else the aggregate decides on arrives here.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::directory::{DepartmentCode, InspectorId};
use crate::draw::{FrozenDraw, FrozenTexts, TaskItem};
use crate::identifiers::Uscc;

use super::events::{BeaconSchedule, CreditClassBasis, Exclusion, TaskScope};

/// Create a task (创建抽查任务). The actor is recorded as its planner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTask {
    /// The aggregate id; its hyphenated text is the draw's `task_id`.
    pub task_id: Uuid,
    /// 任务名称: non-empty, no control characters.
    pub title: String,
    /// At least one department; two or more make a joint task.
    pub departments: BTreeSet<DepartmentCode>,
    /// At least one item; codes unique; each item's department among `departments`.
    pub items: Vec<TaskItem>,
    /// Optional filters of the pool.
    pub scope: TaskScope,
    /// First day of the inspection window.
    pub window_from: NaiveDate,
    /// Last day of the inspection window (not before `window_from`).
    pub window_to: NaiveDate,
    /// Within the window.
    pub inspection_date: NaiveDate,
    /// At least 2 (行政执法不少于两人) and at least the number of departments.
    pub team_size: u32,
    /// The rules version, from 1.
    pub rules_version: u32,
}

/// Publish a department's commitment (登记承诺值), before the freeze, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCommitment {
    /// A department of the task.
    pub department: DepartmentCode,
    /// `commitment_of(secret)`.
    pub commitment: [u8; 32],
}

/// Freeze and publish the pool, and fix the randomness source (冻结名录).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezePool {
    /// The five frozen texts (docs/DRAW.md §2), byte exact; their digests are computed
    /// here and published with them.
    pub texts: FrozenTexts,
    /// The directory date the pool was computed from (the freeze's Beijing date).
    pub as_of: NaiveDate,
    /// Subjects left out by the scope or the rules' exclusions, each with a reason.
    pub excluded: Vec<Exclusion>,
    /// The quicknet chain and a round published after `issued_at`.
    pub beacon: BeaconSchedule,
    /// Reveals close here: after `issued_at`, before the round's publication.
    pub reveal_deadline: DateTime<Utc>,
    /// The credit basis of the classes, required exactly when the rules take the risk
    /// class from the credit evaluation.
    pub credit_basis: Option<CreditClassBasis>,
}

/// Reveal a department's secret (揭示秘密值), after the freeze, before the deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordReveal {
    /// The department, which must have committed.
    pub department: DepartmentCode,
    /// The secret; must match the commitment.
    pub secret: [u8; 32],
}

/// Enter the fixed drand round once published (登记随机信标).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBeacon {
    /// The round; must be the frozen one.
    pub round: u64,
    /// Its BLS signature; must verify under the quicknet key.
    pub signature: Vec<u8>,
}

/// Run the draw (执行抽取). The caller supplies the frozen pools; they must hash to the
/// digests published at the freeze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDraw {
    /// The frozen inputs.
    pub frozen: Box<FrozenDraw>,
}

/// Declare a recusal (申报回避); issued by the inspector themself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclareRecusal {
    /// The subject.
    pub uscc: Uscc,
    /// The inspector: must be the actor, and on the subject's current team.
    pub inspector: InspectorId,
    /// Why; non-empty.
    pub reason: String,
    /// The frozen inputs of the draw (checked against the published digests), from
    /// which the replacement is drawn.
    pub frozen: Box<FrozenDraw>,
    /// Whether the subject's result is recorded already (the caller reads it): the team
    /// that visited can no longer change, so the recusal is refused.
    pub result_recorded: bool,
}

/// Approve a redraw (批准重新抽取). The approver is the actor, who must not be the planner
/// who created the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproveRedraw {
    /// Why; non-empty, published forever.
    pub reason: String,
    /// The subjects whose result is recorded in the standing draw (the caller reads
    /// them): a draw with results is no longer set aside.
    pub results_recorded: Vec<Uscc>,
}

/// Record that the fixed round is published but still not entered (the scheduler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagBeaconOverdue {
    /// The scheduled instant it fell due (the round's time plus the grace).
    pub due_at: DateTime<Utc>,
}

/// Every command of the inspection task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskCommand {
    /// See [`CreateTask`].
    Create(CreateTask),
    /// See [`RecordCommitment`].
    RecordCommitment(RecordCommitment),
    /// See [`FreezePool`].
    FreezePool(FreezePool),
    /// See [`RecordReveal`].
    RecordReveal(RecordReveal),
    /// See [`RecordBeacon`].
    RecordBeacon(RecordBeacon),
    /// See [`RunDraw`].
    RunDraw(RunDraw),
    /// See [`DeclareRecusal`].
    DeclareRecusal(DeclareRecusal),
    /// See [`ApproveRedraw`].
    ApproveRedraw(ApproveRedraw),
    /// See [`FlagBeaconOverdue`] (the system only).
    FlagBeaconOverdue(FlagBeaconOverdue),
}
