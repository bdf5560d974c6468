//! The record of a job's run (定时任务运行记录): which firings a run of a job found due
//! at its tick, and what each appended or why it was refused. One stream per job; a run
//! is recorded only when it found something due, under a command id derived from
//! (job, tick), so two scheduler instances running the same tick record it once.
//! `jianxin scheduler status` reads these records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::directory::derived_id;
use crate::event_log::{DomainEvent, Issued, Recorded, Role};

use super::Job;

/// The stream of job `job`'s runs.
pub fn job_stream_id(job: Job) -> Uuid {
    derived_id("jianxin/scheduler-job/", job.as_str())
}

/// One firing as a run saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiringRecord {
    /// What it was about.
    pub target: String,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
    /// Its command id (derived from job, due instant and target).
    pub command_id: Uuid,
    /// The ledger positions it appended (by this run or an earlier one).
    pub global_sequences: Vec<u64>,
    /// Why the domain refused it, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Record a run of a job (the system only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRun {
    /// The job.
    pub job: Job,
    /// The tick of its cron schedule the run was for.
    pub tick: DateTime<Utc>,
    /// The rule version(s) the run applied.
    pub rule_version: String,
    /// What it found due.
    pub firings: Vec<FiringRecord>,
}

/// Events of a job's stream (stored contract: names never change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum JobEvent {
    /// A run found firings due (定时任务已运行).
    JobRan {
        /// The job's name.
        job: String,
        /// The tick.
        tick: DateTime<Utc>,
        /// The rule version(s) applied.
        rule_version: String,
        /// What it found due.
        firings: Vec<FiringRecord>,
    },
}

impl DomainEvent for JobEvent {}

/// Why a run was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Only the system records runs (403).
    #[error("role {0} may not record scheduler runs")]
    NotSystem(String),
    /// A run with no firing is not recorded (422).
    #[error("a run that found nothing due is not recorded")]
    Empty,
    /// The tick lies before the last recorded run's (409).
    #[error("tick {given} lies before the last recorded tick {last}")]
    TickBackwards {
        /// The tick given.
        given: DateTime<Utc>,
        /// The last recorded.
        last: DateTime<Utc>,
    },
}

/// What a job's stream remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobState {
    /// The last recorded tick.
    pub last_tick: Option<DateTime<Utc>>,
}

/// The esrs aggregate of a scheduler job's runs.
pub struct SchedulerJob;

impl esrs::Aggregate for SchedulerJob {
    const NAME: &'static str = "scheduler_job";
    type State = JobState;
    type Command = Issued<RecordRun>;
    type Event = Recorded<JobEvent>;
    type Error = JobError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let meta = &issued.meta;
        if meta.actor.role != Role::System {
            return Err(JobError::NotSystem(meta.actor.role.as_str().into()));
        }
        let r = issued.command;
        if r.firings.is_empty() {
            return Err(JobError::Empty);
        }
        if let Some(last) = state.last_tick.filter(|l| *l > r.tick) {
            return Err(JobError::TickBackwards {
                given: r.tick,
                last,
            });
        }
        Ok(meta.stamp(vec![JobEvent::JobRan {
            job: r.job.as_str().into(),
            tick: r.tick,
            rule_version: r.rule_version,
            firings: r.firings,
        }]))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        let JobEvent::JobRan { tick, .. } = recorded.event;
        state.last_tick = Some(state.last_tick.map_or(tick, |l| l.max(tick)));
        state
    }
}
