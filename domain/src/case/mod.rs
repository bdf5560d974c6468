//! Enforcement cases (行政处罚案件) and the supervisor's replay (行政执法三项制度,
//! DOMAIN.md §6): one aggregate per case through clue → filing → investigation and
//! evidence → notice → statement / hearing → legal review → decision → service →
//! execution → closing, with extension, withdrawal and no-penalty side paths.
//!
//! It exists because supervision asks two questions of every case: was each step taken
//! by someone qualified, in the lawful order, within its deadline, and can we prove what
//! happened? The commands refuse what can be refused (a wrong role, a step the law
//! forbids before another); what the law lets happen but a supervisor must see — a late
//! step, a missing legal review, fewer than two officers, a penalty outside its range
//! with a reason, an investigator approving their own case, an ignored hearing request —
//! is recorded as it happened and found by [`deviations`]. [`replay`] rebuilds the case
//! as of any moment.
//!
//! Deadlines and discretion benchmarks are data ([`CaseRules`], docs/CASES.md): the
//! whole rule version is recorded when the case opens, and each deadline is recorded
//! with the step that starts it, counted on the working calendar the command carries.

mod aggregate;
mod events;
mod replay;
mod rules;

pub use aggregate::{
    apply, beijing_date, CaseCommand, CaseError, CaseState, CaseStatus, CaseStep, EnforcementCase,
};
pub use events::{CaseEvent, DeadlineKind, Outcome, Stage};
pub use replay::{
    deviations, overdue, replay, Deviation, DeviationCode, DeviationScan, Replay, ReplayStep,
};
pub use rules::{
    Benchmark, CaseDeadlines, CaseRules, DayUnit, DeadlineRule, PenaltyRange, Tier,
    DEFAULT_RULES_JSON, RULES_MAX_BYTES,
};

#[cfg(test)]
mod tests;
