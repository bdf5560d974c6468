//! Why an inspection-task command was refused. A refused command records nothing. Most
//! are 409 Conflict (wrong phase) or 422 Unprocessable (invalid input) over HTTP;
//! `NotTheInspector` and `ApproverIsPlanner` are 403 Forbidden.

use chrono::{DateTime, Utc};

use crate::directory::{DepartmentCode, InspectorId, ItemCode};
use crate::draw::{BeaconError, DrawError, RecusalError};
use crate::identifiers::Uscc;

/// Why an inspection-task command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The task does not exist yet (409).
    #[error("the task has not been created")]
    NotCreated,
    /// The task exists already (409).
    #[error("the task exists already")]
    AlreadyCreated,
    /// A field of `CreateTask` is invalid (422).
    #[error("invalid task: {0}")]
    InvalidTask(String),
    /// An item repeats or belongs to a department outside the task (422).
    #[error("item {0} repeats or belongs to a department outside the task")]
    InvalidItem(ItemCode),
    /// The department is not one of the task's (422).
    #[error("department {0} is not a department of this task")]
    UnknownDepartment(DepartmentCode),
    /// Commitments are published before the freeze only (409).
    #[error("commitments are published before the freeze only")]
    CommitmentAfterFreeze,
    /// One commitment per department (409).
    #[error("department {0} has committed already")]
    DuplicateCommitment(DepartmentCode),
    /// The pool is frozen already: nothing about it can change (409).
    #[error("the pool is frozen already; it cannot change")]
    AlreadyFrozen,
    /// The task has been drawn (or the draw failed): only an approved redraw reopens it,
    /// and a new freeze must follow (409).
    #[error("the task has been drawn; a new draw needs an approved redraw and a new freeze")]
    AlreadyDrawn,
    /// The command needs a frozen pool (409).
    #[error("the pool has not been frozen")]
    NotFrozen,
    /// Only drand quicknet is accepted (422).
    #[error("unknown drand chain {0}; only quicknet is accepted")]
    UnknownChain(String),
    /// The round is not in the future of the freeze, so its value may be known (422).
    #[error("drand round {round} is published at {round_time}, not after the freeze at {now}")]
    RoundNotInFuture {
        /// The round.
        round: u64,
        /// Its publication time.
        round_time: DateTime<Utc>,
        /// The freeze's clock.
        now: DateTime<Utc>,
    },
    /// The round does not exist (0 or beyond the representable time) (422).
    #[error("drand round {0} does not exist")]
    NoSuchRound(u64),
    /// The reveal deadline must lie after the freeze and before the round (422).
    #[error("the reveal deadline {deadline} must lie after the freeze and before {round_time}")]
    RevealDeadline {
        /// The deadline given.
        deadline: DateTime<Utc>,
        /// The round's publication time.
        round_time: DateTime<Utc>,
    },
    /// The frozen texts do not read back as a pool the draw accepts (422).
    #[error("the pool to freeze is invalid: {0}")]
    InvalidPool(String),
    /// Every exclusion needs a reason (422).
    #[error("subject {0} is excluded without a reason")]
    ExclusionWithoutReason(Uscc),
    /// A reveal needs a commitment (422).
    #[error("department {0} published no commitment")]
    NoCommitment(DepartmentCode),
    /// The reveal does not match the commitment (422).
    #[error("the reveal of department {0} does not match its commitment")]
    RevealMismatch(DepartmentCode),
    /// One reveal per department (409).
    #[error("department {0} has revealed already")]
    AlreadyRevealed(DepartmentCode),
    /// Reveals close at the deadline (409).
    #[error("reveals closed at {0}")]
    RevealClosed(DateTime<Utc>),
    /// The round is not the one fixed at the freeze (422).
    #[error("the freeze fixed drand round {fixed}, not {given}")]
    WrongRound {
        /// The frozen round.
        fixed: u64,
        /// The round given.
        given: u64,
    },
    /// The round cannot have been published yet at the command's clock (422).
    #[error("drand round {round} is published at {round_time}; entered at {now}")]
    BeaconBeforeItsTime {
        /// The round.
        round: u64,
        /// Its publication time.
        round_time: DateTime<Utc>,
        /// The command's clock.
        now: DateTime<Utc>,
    },
    /// The signature does not verify (422).
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// The beacon of this freeze is recorded already (409).
    #[error("the beacon of this freeze is recorded already")]
    BeaconAlreadyRecorded,
    /// The draw needs the beacon (409).
    #[error("the beacon round has not been recorded")]
    BeaconMissing,
    /// Only the system flags an overdue beacon (403).
    #[error("only the scheduler flags an overdue beacon")]
    NotSystem,
    /// The beacon is recorded, not yet due, or flagged already (409).
    #[error("the beacon is not overdue: {0}")]
    BeaconNotOverdue(String),
    /// The frozen inputs given are not those published at the freeze (422).
    #[error("the frozen inputs differ from those published at the freeze: {}", .0.join(", "))]
    PoolChanged(Vec<&'static str>),
    /// The draw refused its inputs (422): a defect of the freeze, or of the beacon.
    #[error(transparent)]
    Draw(#[from] DrawError),
    /// A recusal is declared by the inspector themself, acting as inspector (403).
    #[error("a recusal of {0} must be declared by that inspector")]
    NotTheInspector(InspectorId),
    /// The inspector is not on the subject's current team (422).
    #[error("inspector {inspector} is not on the team of subject {uscc}")]
    NotOnTeam {
        /// The subject.
        uscc: Uscc,
        /// The inspector.
        inspector: InspectorId,
    },
    /// The replacement could not be computed for another reason than an empty set (422).
    #[error(transparent)]
    Recusal(#[from] RecusalError),
    /// A reason is required (422).
    #[error("a reason is required")]
    NoReason,
    /// The reason holds an invisible format character (422).
    #[error("reason: {0}")]
    ReasonText(crate::directory::TextError),
    /// The planner who created the task cannot approve its redraw (403).
    #[error("the planner who created the task ({0}) cannot approve its redraw")]
    ApproverIsPlanner(String),
    /// Recusals need a standing draw (409).
    #[error("the task has no standing draw")]
    NotDrawn,
    /// A redraw is approved only after a draw (409).
    #[error("there is no draw to set aside")]
    NothingToRedraw,
    /// The subject's result is recorded: its team is what visited (409).
    #[error(
        "the result of {0} is recorded already: a recusal after the visit's result is \
         refused (docs/TASKS.md, \"A drawn task after its results\")"
    )]
    ResultRecorded(Uscc),
    /// Results of the standing draw are recorded: it is no longer set aside (409).
    #[error(
        "{count} result(s) of the standing draw are recorded already (first {first}): a \
         redraw after a result is refused (docs/TASKS.md, \"A drawn task after its results\")"
    )]
    DrawHasResults {
        /// How many subjects have a result.
        count: usize,
        /// The first of them, in USCC order.
        first: Uscc,
    },
}
