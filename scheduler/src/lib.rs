//! The scheduler (定时任务): every rule that fires because time passed — listing periods
//! running out, abnormal entries escalating, results overdue for publication, case
//! deadlines ending, beacons overdue and draws due, checkpoints to sign — run as cron
//! jobs and proven through the event log to fire exactly once.
//!
//! - [`config`]: each job's cron expression and the beacon grace (data, versioned).
//! - [`Scheduler::try_run_once`]: every job at its latest tick at or before `now`.
//! - [`Scheduler::run`]: the loop around it, until `shutdown`.
//! - [`Scheduler::status`]: each job's last and next firing.
//!
//! Each firing is keyed by (job, due instant, target) and runs under the command id
//! derived from that key, so two instances on one database, or a catch-up after days of
//! downtime, append each fact once, effective at its due instant. A run that found
//! anything due is itself recorded (stream `scheduler_job`), keyed by (job, tick).
#![deny(missing_docs)]

pub mod config;
mod jobs;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_domain::integrity::NoteSigner;
use jianxin_domain::schedule::{
    firing_id, job_stream_id, FiringRecord, Job, RecordRun, SchedulerJob,
};
use jianxin_projections::read_models::{last_run, SchedulerRun};
use jianxin_projections::{Clock, EventLog, Executed, StoreError};
use serde::Serialize;

pub use config::{SchedulerConfig, DEFAULT_SCHEDULE};

/// Why the scheduler could not run.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The configuration is invalid: the line, what, what was expected.
    #[error("{0}")]
    Config(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored data does not read back (a fault to investigate, not bad input).
    #[error("stored data: {0}")]
    Stored(String),
}

/// The scheduler of one deployment.
#[derive(Clone)]
pub struct Scheduler {
    /// The log the jobs read and append to.
    log: EventLog,
    /// Signs the stored checkpoints (the deployment's key).
    signer: Arc<NoteSigner>,
    /// The log's origin line in checkpoints.
    origin: String,
    /// The jobs' schedules.
    config: Arc<SchedulerConfig>,
}

/// What a job did in one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobReport {
    /// The job.
    pub job: &'static str,
    /// The tick the run was for (none yet: the schedule has not ticked).
    pub tick: Option<DateTime<Utc>>,
    /// Every firing it found due, with what it appended.
    pub firings: Vec<FiringRecord>,
    /// Ledger entries appended by the firings.
    pub appended: usize,
    /// Ledger positions of the run's own record, if it was recorded now.
    pub recorded: Vec<u64>,
}

/// The most passes of one catch-up ([`Scheduler::try_run_once`]). Each pass fires only
/// what the ledger does not hold yet, so the passes end as soon as nothing new falls due;
/// a chain of facts each making the next due is at most a few long (an escalation, its
/// expiry), and the bound only guards against a rule that would never settle.
pub const MAX_PASSES: u32 = 8;

/// A job as `scheduler status` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobStatus {
    /// The job.
    pub job: &'static str,
    /// Its cron expression (China Standard Time).
    pub cron: String,
    /// The last recorded firing run, with what it appended.
    pub last_firing: Option<SchedulerRun>,
    /// Its next tick after now.
    pub next_firing: Option<DateTime<Utc>>,
}

impl Scheduler {
    /// A scheduler over `log`, signing checkpoints with `signer` for `origin`.
    pub fn new(
        log: EventLog,
        signer: Arc<NoteSigner>,
        origin: &str,
        config: SchedulerConfig,
    ) -> Self {
        Scheduler {
            log,
            signer,
            origin: origin.to_string(),
            config: Arc::new(config),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &SchedulerConfig {
        &self.config
    }

    /// Runs `job` for its latest tick at or before `now`.
    pub async fn run_job(&self, job: Job, now: DateTime<Utc>) -> Result<JobReport, SchedulerError> {
        self.run_job_pass(job, now, 1).await
    }

    /// [`Scheduler::run_job`] as pass `pass` of a catch-up: a later pass records its run
    /// under an id of its own, so that what it fires is recorded as well.
    async fn run_job_pass(
        &self,
        job: Job,
        now: DateTime<Utc>,
        pass: u32,
    ) -> Result<JobReport, SchedulerError> {
        let Some(tick) = self.config.last_tick(job, now) else {
            return Ok(JobReport {
                job: job.as_str(),
                tick: None,
                firings: vec![],
                appended: 0,
                recorded: vec![],
            });
        };
        let found = self.find_and_fire(job, tick, now).await?;
        let appended = found.firings.iter().map(|f| f.global_sequences.len()).sum();
        let mut recorded = vec![];
        if !found.firings.is_empty() {
            let run = match pass {
                1 => "run".to_owned(),
                n => format!("run/{n}"),
            };
            let meta = CommandMeta::new(
                firing_id(job, tick, &run),
                Actor::new(job.actor_user(), Role::System),
                now,
            );
            let issued = Issued {
                meta,
                command: RecordRun {
                    job,
                    tick,
                    rule_version: found.rule_version,
                    firings: found.firings.clone(),
                },
            };
            match self
                .log
                .execute::<SchedulerJob, _>(job_stream_id(job), issued)
                .await?
            {
                Ok(Executed::Applied {
                    global_sequences, ..
                }) => recorded = global_sequences,
                Ok(Executed::AlreadyApplied { .. }) => {}
                Err(e) => tracing::warn!(job = job.as_str(), %e, "run not recorded"),
            }
        }
        if appended > 0 {
            tracing::info!(job = job.as_str(), %tick, appended, "scheduler fired");
        }
        Ok(JobReport {
            job: job.as_str(),
            tick: Some(tick),
            firings: found.firings,
            appended,
            recorded,
        })
    }

    /// Runs every job for its latest tick at or before `now` (catch-up: all that fell
    /// due by `now` fires, each at its own due instant), and again while a pass appends
    /// anything: one job's facts can make another's due by `now` (an escalation's serious
    /// entry whose period has already ended, say), so a catch-up ends at a fixpoint and a
    /// second run at the same instant appends nothing. At most [`MAX_PASSES`] passes; one
    /// report per job, its firings those of every pass.
    pub async fn try_run_once(&self, now: DateTime<Utc>) -> Result<Vec<JobReport>, SchedulerError> {
        let mut out: Vec<JobReport> = vec![];
        for pass in 1..=MAX_PASSES {
            let mut fired = 0;
            for (i, job) in Job::ALL.into_iter().enumerate() {
                let report = self.run_job_pass(job, now, pass).await?;
                fired += report.firings.len();
                match out.get_mut(i) {
                    Some(merged) => {
                        merged.firings.extend(report.firings);
                        merged.appended += report.appended;
                        merged.recorded.extend(report.recorded);
                    }
                    None => out.push(report),
                }
            }
            if fired == 0 {
                break;
            }
        }
        Ok(out)
    }

    /// Runs jobs as their ticks come, reading `clock`, until `shutdown` completes. It
    /// first catches up (every job once); a failed run is logged and retried at the
    /// next tick, so a database outage does not stop the loop.
    pub async fn run(&self, clock: Arc<dyn Clock>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut done: std::collections::BTreeMap<Job, DateTime<Utc>> = Default::default();
        loop {
            let now = clock.now();
            for job in Job::ALL {
                let Some(tick) = self.config.last_tick(job, now) else {
                    continue;
                };
                if done.get(&job).is_some_and(|d| *d >= tick) {
                    continue;
                }
                match self.run_job(job, now).await {
                    Ok(_) => {
                        done.insert(job, tick);
                    }
                    Err(e) => {
                        tracing::error!(job = job.as_str(), error = %e, "scheduler run failed")
                    }
                }
            }
            let now = clock.now();
            let next = Job::ALL
                .iter()
                .filter_map(|j| self.config.next_tick(*j, now))
                .min();
            let wait = next
                .and_then(|n| (n - now).to_std().ok())
                .unwrap_or(std::time::Duration::from_secs(60))
                .clamp(
                    std::time::Duration::from_millis(200),
                    std::time::Duration::from_secs(60),
                );
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Each job with its expression, its last recorded firing run and its next tick.
    pub async fn status(&self, now: DateTime<Utc>) -> Result<Vec<JobStatus>, SchedulerError> {
        let mut out = vec![];
        for job in Job::ALL {
            out.push(JobStatus {
                job: job.as_str(),
                cron: self.config.expression(job).to_string(),
                last_firing: last_run(self.log.database(), job.as_str()).await?,
                next_firing: self.config.next_tick(job, now),
            });
        }
        Ok(out)
    }
}
