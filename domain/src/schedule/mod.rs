//! Rules that fire because time passed (定时规则): for each aggregate the scheduler
//! watches, which firings are due at an instant, each with the instant it fell due and
//! the command that records it.
//!
//! A firing is keyed by (job, due instant, target). Its command id is derived from that
//! key ([`firing_id`]), so however many scheduler instances run, and however late one
//! catches up, the log holds each firing once: a second attempt finds the command id in
//! the ledger and appends nothing. Every due instant is a fact of the domain — the
//! first instant (China Standard Time) of the day a listing period runs out, of the day
//! after a deadline — never the moment the scheduler happened to run, so a catch-up
//! after downtime records what fell due when it fell due.
//!
//! The functions here are pure: the scheduler (`jianxin-scheduler`) loads the states,
//! asks what is due, and runs the commands through the event log.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::calendar::start_of_china_day;
use crate::case::{CaseState, CaseStep, DeadlineKind};
use crate::credit::{escalation_id, escalation_terms, CreditRules, CreditState, ListId};
use crate::credit::{CreditCommand, EndPublicity, EscalateEntry, ExpireEntry};
use crate::directory::derived_id;
use crate::event_log::format_micros;
use crate::result::{FlagOverdue, ResultCommand, ResultState};
use crate::task::{FlagBeaconOverdue, Phase, RunDraw, TaskCommand, TaskState};

mod run;
#[cfg(test)]
mod tests;

pub use run::{job_stream_id, FiringRecord, JobError, JobEvent, JobState, RecordRun, SchedulerJob};

/// The jobs of the scheduler, by their stored names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Job {
    /// Listing periods that ran out (名单期满).
    CreditExpiry,
    /// Abnormal entries uncorrected for the escalation period → the serious list.
    CreditEscalation,
    /// Penalties whose minimum publicity period ended (then repairable).
    PenaltyPublicity,
    /// Results still unpublished after their deadline (逾期未公示).
    PublicationOverdue,
    /// Case deadlines that ended with their step not taken (办案期限届满).
    CaseDeadlines,
    /// A signed checkpoint stored and published every interval (检查点存档).
    LedgerCheckpoint,
    /// Draws whose beacon round or reveal window has passed (抽取推进).
    DrawSteps,
}

impl Job {
    /// Every job, in the order they run.
    pub const ALL: [Job; 7] = [
        Job::CreditExpiry,
        Job::CreditEscalation,
        Job::PenaltyPublicity,
        Job::PublicationOverdue,
        Job::CaseDeadlines,
        Job::DrawSteps,
        Job::LedgerCheckpoint,
    ];

    /// The stored name (configuration keys, firing keys, status).
    pub fn as_str(self) -> &'static str {
        match self {
            Job::CreditExpiry => "credit_expiry",
            Job::CreditEscalation => "credit_escalation",
            Job::PenaltyPublicity => "penalty_publicity",
            Job::PublicationOverdue => "publication_overdue",
            Job::CaseDeadlines => "case_deadlines",
            Job::LedgerCheckpoint => "ledger_checkpoint",
            Job::DrawSteps => "draw_steps",
        }
    }

    /// The job named `name`.
    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.as_str() == name)
    }

    /// The actor user the job's facts are recorded under (role `system`).
    pub fn actor_user(self) -> String {
        format!("scheduler:{}", self.as_str())
    }
}

/// The command id of the firing (job, due instant, target): the key that makes a firing
/// happen once. Pinned by a test: changing it would fire everything again.
pub fn firing_id(job: Job, due_at: DateTime<Utc>, target: &str) -> Uuid {
    derived_id(
        "jianxin/firing/",
        &format!("{}/{}/{target}", job.as_str(), format_micros(&due_at)),
    )
}

/// One due firing: when it fell due, what it is about, and the command recording it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing<C> {
    /// The job.
    pub job: Job,
    /// The instant it fell due.
    pub due_at: DateTime<Utc>,
    /// What it is about: an entry, a result version, a case deadline, a task attempt.
    pub target: String,
    /// The command to run as the system.
    pub command: C,
}

impl<C> Firing<C> {
    /// The firing's command id.
    pub fn command_id(&self) -> Uuid {
        firing_id(self.job, self.due_at, &self.target)
    }
}

fn day_after(day: NaiveDate) -> DateTime<Utc> {
    start_of_china_day(day.succ_opt().unwrap_or(day))
}

/// Entries whose listing period has run out by `now` and whose expiry is not recorded:
/// due at the first instant of their `until` day.
pub fn credit_expiries(state: &CreditState, now: DateTime<Utc>) -> Vec<Firing<CreditCommand>> {
    state
        .entries
        .iter()
        .filter(|e| !e.annulled && !e.expiry_recorded)
        .filter_map(|e| {
            let until = e.until?;
            if e.ended_on.is_some_and(|d| d <= until) {
                return None;
            }
            let due_at = start_of_china_day(until);
            (due_at <= now).then(|| Firing {
                job: Job::CreditExpiry,
                due_at,
                target: format!("entry/{}", e.entry_id),
                command: CreditCommand::Expire(ExpireEntry {
                    entry_id: e.entry_id,
                    due_at,
                }),
            })
        })
        .collect()
}

/// Abnormal entries still on the list when the escalation period ran out, by `now`,
/// and not escalated yet: due at the first instant of the escalation day.
pub fn credit_escalations(
    state: &CreditState,
    rules: &CreditRules,
    rule_version: &str,
    now: DateTime<Utc>,
) -> Vec<Firing<CreditCommand>> {
    state
        .entries
        .iter()
        .filter(|e| e.list == ListId::Abnormal)
        .filter(|e| {
            let id = escalation_id(e.entry_id);
            !state.entries.iter().any(|o| o.entry_id == id)
        })
        .filter_map(|e| {
            let (day, _, _) = escalation_terms(e.entry_id, e.entered_on, &e.reason, rules)?;
            let due_at = start_of_china_day(day);
            (e.covers(day) && due_at <= now).then(|| Firing {
                job: Job::CreditEscalation,
                due_at,
                target: format!("entry/{}", e.entry_id),
                command: CreditCommand::Escalate(EscalateEntry {
                    abnormal_entry: e.entry_id,
                    rules: *rules,
                    rule_version: rule_version.to_string(),
                }),
            })
        })
        .collect()
}

/// Penalty records whose minimum publicity period under `rules` ended by `now` and whose
/// end is not recorded: due at the first instant of the first day after the period.
pub fn penalty_publicity(
    state: &CreditState,
    rules: &CreditRules,
    now: DateTime<Utc>,
) -> Vec<Firing<CreditCommand>> {
    state
        .penalties
        .iter()
        .filter(|p| !p.publicity_ended)
        .filter_map(|p| {
            let due_at = start_of_china_day(p.publicity_ends(rules)?);
            (due_at <= now).then(|| Firing {
                job: Job::PenaltyPublicity,
                due_at,
                target: format!("record/{}", p.record_id),
                command: CreditCommand::EndPublicity(EndPublicity {
                    record_id: p.record_id,
                    rules: *rules,
                    due_at,
                }),
            })
        })
        .collect()
}

/// The result's current version if it is unpublished past its deadline by `now` and
/// not flagged: due at the first instant of the day after the deadline.
pub fn publication_overdue(
    result: Uuid,
    state: &ResultState,
    now: DateTime<Utc>,
) -> Option<Firing<ResultCommand>> {
    let deadline = state.deadline?;
    let v = state.version;
    if v == 0 || state.published == Some(v) || state.overdue_flagged == Some(v) {
        return None;
    }
    let due_at = day_after(deadline);
    (due_at <= now).then(|| Firing {
        job: Job::PublicationOverdue,
        due_at,
        target: format!("result/{result}/v{v}"),
        command: ResultCommand::FlagOverdue(FlagOverdue { version: v, due_at }),
    })
}

/// The case's deadlines that ended by `now` with their step not taken and not flagged:
/// each due at the first instant of the day after its last day.
pub fn case_deadlines(case: Uuid, state: &CaseState, now: DateTime<Utc>) -> Vec<Firing<CaseStep>> {
    [
        DeadlineKind::Filing,
        DeadlineKind::HearingRequest,
        DeadlineKind::Decision,
        DeadlineKind::Service,
    ]
    .into_iter()
    .filter_map(|kind| {
        let due_on = state.open_deadline(kind)?;
        let due_at = day_after(due_on);
        (due_at <= now).then(|| Firing {
            job: Job::CaseDeadlines,
            due_at,
            target: format!("case/{case}/{}/{due_on}", kind.as_str()),
            command: CaseStep::FlagDeadline {
                deadline: kind,
                due_at,
            },
        })
    })
    .collect()
}

/// What the draw job does with a frozen task at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawStep {
    /// Nothing is due.
    Nothing,
    /// Run the draw: the beacon is recorded and the reveal window has closed.
    Run(Firing<TaskCommand>),
    /// Flag the beacon overdue: its round was published `grace` ago and not entered.
    FlagBeacon(Firing<TaskCommand>),
    /// The draw is due but its published texts do not read back (a stored fault).
    Unreadable(String),
}

/// The next step of a frozen task at `now`: the draw once the beacon is recorded and
/// reveals have closed (due at the round's publication), or the beacon flagged overdue
/// `grace` after its round's time.
pub fn draw_step(task: Uuid, state: &TaskState, now: DateTime<Utc>, grace: Duration) -> DrawStep {
    let (Phase::Frozen, Some(freeze), Some(drawing)) = (state.phase, &state.freeze, &state.task)
    else {
        return DrawStep::Nothing;
    };
    let attempt = state.attempts + 1;
    if state.beacon.is_some() {
        let due_at = freeze.round_time.max(freeze.reveal_deadline);
        if now < due_at {
            return DrawStep::Nothing;
        }
        return match freeze.texts.to_frozen(drawing.clone(), state.rules_version) {
            Ok(frozen) => DrawStep::Run(Firing {
                job: Job::DrawSteps,
                due_at,
                target: format!("task/{task}/attempt/{attempt}/draw"),
                command: TaskCommand::RunDraw(RunDraw {
                    frozen: Box::new(frozen),
                }),
            }),
            Err(e) => DrawStep::Unreadable(format!("task {task}: {e}")),
        };
    }
    let round = freeze.beacon.round;
    let due_at = freeze.round_time + grace;
    if state.beacon_overdue == Some(round) || now < due_at {
        return DrawStep::Nothing;
    }
    DrawStep::FlagBeacon(Firing {
        job: Job::DrawSteps,
        due_at,
        target: format!("task/{task}/attempt/{attempt}/beacon/{round}"),
        command: TaskCommand::FlagBeaconOverdue(FlagBeaconOverdue { due_at }),
    })
}
