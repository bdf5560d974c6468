//! The inspection task (抽查任务): its lifecycle from creation to draw, each step an
//! event, so that the known manipulations of public draws are impossible by
//! construction (docs/DRAW.md §0, DOMAIN.md §3).
//!
//! | step | command | event(s) |
//! |---|---|---|
//! | create | [`CreateTask`] | `TaskCreated` |
//! | publish a commitment (before the freeze) | [`RecordCommitment`] | `CommitmentRecorded` |
//! | freeze the pool, fix a future drand round | [`FreezePool`] | `PoolFrozen` |
//! | reveal (before the deadline, matching) | [`RecordReveal`] | `RevealRecorded` |
//! | enter the round (after its time, verified) | [`RecordBeacon`] | `BeaconRecorded` |
//! | draw once, on the published pools | [`RunDraw`] | `SubjectsDrawn` or `DrawFailed` |
//! | recusal by the inspector | [`DeclareRecusal`] | `RecusalDeclared` + `ReplacementDrawn` / `ReplacementUnstaffable` |
//! | redraw, justified, not by the planner | [`ApproveRedraw`] | `RedrawApproved` |
//!
//! What this rules out: a pool changed after the freeze (the draw takes the pools from
//! the caller and refuses any whose digests differ from those published); a randomness
//! source chosen or known after the freeze (the round must be published after the
//! freeze, and is entered only after its time, verified); silent redraws (a task is
//! drawn once; a redraw is an approved, reasoned event, followed by a new freeze with a
//! new future round, and the first draw stays in the history); a department blocking
//! the draw by withholding its reveal (it is recorded `missing` and enters the seed as
//! `-`); a team formed by relaxing a constraint (the failure is recorded, naming it).
//!
//! The aggregate id is the task id; its hyphenated text is the draw's `task_id`.

mod aggregate;
mod commands;
mod drawing;
pub mod eligibility;
mod error;
mod events;
mod hex_serde;
mod state;

pub use aggregate::{InspectionTask, TITLE_MAX_CHARS};
pub use commands::{
    ApproveRedraw, CreateTask, DeclareRecusal, FlagBeaconOverdue, FreezePool, RecordBeacon,
    RecordCommitment, RecordReveal, RunDraw, TaskCommand,
};
pub use error::TaskError;
pub use events::{
    BeaconSchedule, CreditClassBasis, Exclusion, FrozenDigests, PublishedCommitment, RevealOutcome,
    TaskEvent, TaskScope,
};
pub use state::{CommitmentState, CurrentDraw, Freeze, Phase, RecordedBeacon, TaskState};

#[cfg(test)]
mod draw_tests;
#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
