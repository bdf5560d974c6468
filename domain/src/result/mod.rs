//! Inspection results (检查结果, 一公开): what an assigned team found at its visit, the
//! corrections of it, and its publication, each an event of one aggregate per drawn
//! subject of a task (DOMAIN.md §4).
//!
//! | step | command | event |
//! |---|---|---|
//! | the team records the visit | [`RecordResult`] | `ResultRecorded` |
//! | a member corrects it, with a reason | [`CorrectResult`] | `ResultCorrected` (the earlier version stays) |
//! | the result is published | [`PublishResult`] | `ResultPublished` |
//! | the deadline passes unpublished (the scheduler) | [`FlagOverdue`] | `PublicationOverdue` |
//! | a new calendar counts the deadline differently | [`RecountDeadline`] | `PublicationDeadlineRecounted` |
//!
//! Who may record is decided by the draw: the command carries the subject's current
//! team as the task's events say (the caller loads it), and the aggregate refuses an
//! actor or a member present who is not on it, a visit by fewer than 2 members, and
//! findings on an item or department outside the task. The publication deadline
//! (working days on the official calendar, DOMAIN.md §4) is computed by the caller from
//! the calendar and rules in force and recorded with the result. A deadline counted
//! across a year whose official schedule was not loaded yet is provisional; when a new
//! calendar is loaded, every unpublished deadline it counts differently is recorded anew
//! with the calendar version that changed it (the earlier one stays in the log).
//!
//! The aggregate id is [`result_id`] of the task and the USCC.

mod aggregate;
mod content;
mod values;

pub use aggregate::{
    result_id, CorrectResult, FlagOverdue, InspectionResult, PublishResult, RecordResult,
    RecountDeadline, ResultCommand, ResultError, ResultEvent, ResultState, TeamOnRecord,
    RESULT_ID_PREFIX,
};
pub use content::{Evidence, Finding, ResultContent, FINDING_MAX_CHARS};
pub use values::{FollowUp, Method, PendingKind, ResultCategory};

#[cfg(test)]
mod tests;
