//! The jobs (定时任务): for each, find what may be due from the read models, ask the
//! domain ([`jianxin_domain::schedule`]) which firings are due and under which key, skip
//! those whose command id the ledger holds already, and run the rest as the system.
//!
//! Candidates come from read-model rows, and for credit entries and results the firing
//! is computed from the row itself, so a firing made long ago costs one indexed ledger
//! lookup, not a reload of its aggregate. The aggregate still decides: a command run
//! against the real state is refused when the row was stale, and the refusal is recorded.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Months, NaiveDate, Utc};
use esrs::Aggregate;
use jianxin_domain::calendar::{china_date, WorkingCalendar};
use jianxin_domain::case::{CaseCommand, EnforcementCase};
use jianxin_domain::credit::{
    CreditRules, CreditState, CreditSubject, EntryState, ListId, PenaltySeverity, PenaltyState,
    DEFAULT_RULES_TEXT,
};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::integrity::archive::{archive_id, CheckpointArchive, StoreCheckpoint};
use jianxin_domain::reference_data::ReferenceKind;
use jianxin_domain::result::{result_id, InspectionResult, ResultState};
use jianxin_domain::schedule::{self, draw_step, DrawStep, Firing, FiringRecord, Job};
use jianxin_domain::task::InspectionTask;
use jianxin_projections::ledger::{current_checkpoint, store_tree};
use jianxin_projections::read_models::{
    abnormal_entries_since, due_results, entries_besides_scheduler, entries_past_period,
    frozen_task_ids, largest_published_size, open_case_ids, penalties_since, EntryCandidate,
};
use jianxin_projections::registry::{HasStore, Stores};
use jianxin_projections::{EventLog, Executed};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Scheduler, SchedulerError};

/// What one run of a job found.
pub(crate) struct Found {
    /// The rule versions applied.
    pub rule_version: String,
    /// Each firing run, with what it appended or why it was refused.
    pub firings: Vec<FiringRecord>,
}

/// Runs `firing` on aggregate `id` of type `A` as the job's system actor, effective on
/// the China date of its due instant.
async fn fire<A, C>(
    log: &EventLog,
    now: DateTime<Utc>,
    id: Uuid,
    firing: Firing<C>,
) -> Result<FiringRecord, SchedulerError>
where
    A: Aggregate<Command = Issued<C>> + Send + Sync + 'static,
    A::Event: jianxin_projections::store::Envelope + Serialize + DeserializeOwned,
    A::State: Send + Default,
    A::Error: std::fmt::Display,
    C: Send,
    Stores: HasStore<A>,
{
    let command_id = firing.command_id();
    let meta = CommandMeta::new(
        command_id,
        Actor::new(firing.job.actor_user(), Role::System),
        now,
    )
    .effective(china_date(firing.due_at));
    let mut record = FiringRecord {
        target: firing.target,
        due_at: firing.due_at,
        command_id,
        global_sequences: vec![],
        refused: None,
    };
    let issued = Issued {
        meta,
        command: firing.command,
    };
    match log.execute::<A, C>(id, issued).await? {
        Ok(Executed::Applied {
            global_sequences, ..
        })
        | Ok(Executed::AlreadyApplied { global_sequences }) => {
            record.global_sequences = global_sequences;
        }
        Err(refused) => {
            // another instance may have fired it between our look and our command
            record.global_sequences = log.command_positions(command_id).await?;
            if record.global_sequences.is_empty() {
                tracing::warn!(job = firing.job.as_str(), target = %record.target, %refused, "firing refused");
                record.refused = Some(refused.to_string());
            }
        }
    }
    Ok(record)
}

/// True when the firing's command id is in the ledger already.
async fn fired<C>(log: &EventLog, f: &Firing<C>) -> Result<bool, SchedulerError> {
    Ok(!log.command_positions(f.command_id()).await?.is_empty())
}

/// The entry as a one-entry state, to compute its firings without loading its subject.
fn entry_state(c: &EntryCandidate) -> Result<CreditState, SchedulerError> {
    let list = ListId::parse(&c.list)
        .map_err(|e| SchedulerError::Stored(format!("credit_entries.list {:?}: {e}", c.list)))?;
    Ok(CreditState {
        uscc: None,
        records: 0,
        penalties: vec![],
        annulled_records: vec![],
        entries: vec![EntryState {
            entry_id: c.entry_id,
            list,
            reason: c.reason.clone(),
            entered_on: c.entered_on,
            until: c.until,
            ended_on: c.ended_on,
            annulled: false,
            repair_pending: None,
            expiry_recorded: false,
        }],
    })
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The credit rules in force at `now`, and their version.
async fn credit_rules(
    log: &EventLog,
    now: DateTime<Utc>,
) -> Result<(CreditRules, String), SchedulerError> {
    let (version, text) = log
        .reference_version_at(ReferenceKind::CreditRules, Some(now))
        .await?
        .unwrap_or_else(|| (sha256_hex(DEFAULT_RULES_TEXT), DEFAULT_RULES_TEXT.into()));
    let rules = CreditRules::parse(&text)
        .map_err(|e| SchedulerError::Stored(format!("credit rules {version}: {e}")))?;
    Ok((rules, version))
}

async fn calendar(log: &EventLog) -> Result<Arc<WorkingCalendar>, SchedulerError> {
    Ok(Arc::new(
        match log
            .reference_version_at(ReferenceKind::Calendar, None)
            .await?
        {
            Some((_, text)) => WorkingCalendar::from_csv(&text)
                .map_err(|e| SchedulerError::Stored(format!("the calendar in force: {e}")))?,
            None => WorkingCalendar::default_cn(),
        },
    ))
}

/// Fires the credit firings that `due` computes from each subject's (partial) state and
/// that the ledger does not hold, subject by subject.
async fn credit_firings(
    log: &EventLog,
    now: DateTime<Utc>,
    states: Vec<(Uuid, CreditState)>,
    due: impl Fn(&CreditState) -> Vec<Firing<jianxin_domain::credit::CreditCommand>>,
) -> Result<Vec<FiringRecord>, SchedulerError> {
    let mut by_subject: BTreeMap<Uuid, Vec<_>> = BTreeMap::new();
    for (subject, state) in &states {
        for f in due(state) {
            if !fired(log, &f).await? {
                by_subject.entry(*subject).or_default().push(f);
            }
        }
    }
    let mut out = vec![];
    for (subject, firings) in by_subject {
        for f in firings {
            out.push(fire::<CreditSubject, _>(log, now, subject, f).await?);
        }
    }
    Ok(out)
}

/// Each candidate entry as its subject's one-entry state.
fn entry_states(candidates: &[EntryCandidate]) -> Result<Vec<(Uuid, CreditState)>, SchedulerError> {
    candidates
        .iter()
        .map(|c| Ok((c.subject_id, entry_state(c)?)))
        .collect()
}

impl Scheduler {
    /// Runs `job` for its tick `tick` at `now`: what it found due.
    pub(crate) async fn find_and_fire(
        &self,
        job: Job,
        tick: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Found, SchedulerError> {
        let log = &self.log;
        let today = china_date(now);
        let schedule_version = self.config.version.clone();
        let firings = match job {
            Job::CreditExpiry => {
                let candidates = entries_past_period(log.database(), today).await?;
                let fired = credit_firings(log, now, entry_states(&candidates)?, |s| {
                    schedule::credit_expiries(s, now)
                })
                .await?;
                return Ok(Found {
                    rule_version: schedule_version,
                    firings: fired,
                });
            }
            Job::CreditEscalation => {
                let (rules, version) = credit_rules(log, now).await?;
                let cutoff = today
                    .checked_sub_months(Months::new(rules.abnormal_escalation_months))
                    .unwrap_or(NaiveDate::MIN);
                let candidates = abnormal_entries_since(log.database(), cutoff).await?;
                let fired = credit_firings(log, now, entry_states(&candidates)?, |s| {
                    schedule::credit_escalations(s, &rules, &version, now)
                })
                .await?;
                return Ok(Found {
                    rule_version: format!("{schedule_version} credit-rules:{version}"),
                    firings: fired,
                });
            }
            Job::PenaltyPublicity => {
                let (rules, version) = credit_rules(log, now).await?;
                let shortest = rules
                    .penalty_publicity_ordinary_months
                    .min(rules.penalty_publicity_serious_months);
                let cutoff = today
                    .checked_sub_months(Months::new(shortest))
                    .unwrap_or(NaiveDate::MIN);
                let mut states = vec![];
                for c in penalties_since(log.database(), cutoff).await? {
                    let severity = PenaltySeverity::parse(&c.severity).map_err(|e| {
                        SchedulerError::Stored(format!("credit_penalties.severity: {e}"))
                    })?;
                    let penalty = PenaltyState {
                        record_id: c.record_id,
                        effective_on: c.effective_on,
                        severity,
                        publicity_ended: false,
                        repaired_on: None,
                    };
                    let state = CreditState {
                        penalties: vec![penalty],
                        ..CreditState::default()
                    };
                    states.push((c.subject_id, state));
                }
                let out = credit_firings(log, now, states, |s| {
                    schedule::penalty_publicity(s, &rules, now)
                })
                .await?;
                return Ok(Found {
                    rule_version: format!("{schedule_version} credit-rules:{version}"),
                    firings: out,
                });
            }
            Job::PublicationOverdue => self.publication_overdue(now, today).await?,
            Job::CaseDeadlines => {
                let calendar = calendar(log).await?;
                let mut out = vec![];
                for case in open_case_ids(log.database()).await? {
                    let Some(state) = log.load::<EnforcementCase>(case).await? else {
                        continue;
                    };
                    for f in schedule::case_deadlines(case, &state, now) {
                        if fired(log, &f).await? {
                            continue;
                        }
                        let f = Firing {
                            job: f.job,
                            due_at: f.due_at,
                            target: f.target,
                            command: CaseCommand {
                                step: f.command,
                                calendar: Arc::clone(&calendar),
                            },
                        };
                        out.push(fire::<EnforcementCase, _>(log, now, case, f).await?);
                    }
                }
                out
            }
            Job::DrawSteps => {
                let mut out = vec![];
                for task in frozen_task_ids(log.database()).await? {
                    let Some(state) = log.load::<InspectionTask>(task).await? else {
                        continue;
                    };
                    match draw_step(task, &state, now, self.config.beacon_grace) {
                        DrawStep::Nothing => {}
                        DrawStep::Run(f) | DrawStep::FlagBeacon(f) => {
                            if !fired(log, &f).await? {
                                out.push(fire::<InspectionTask, _>(log, now, task, f).await?);
                            }
                        }
                        DrawStep::Unreadable(why) => {
                            // a stored fault in one task must not hold up the others:
                            // log it (run `jianxin log verify`) and go on
                            tracing::error!(%task, %why, "a frozen task's published texts do not read back");
                        }
                    }
                }
                out
            }
            Job::LedgerCheckpoint => self.checkpoint(tick, now).await?.into_iter().collect(),
        };
        Ok(Found {
            rule_version: schedule_version,
            firings,
        })
    }

    async fn publication_overdue(
        &self,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Vec<FiringRecord>, SchedulerError> {
        let log = &self.log;
        let mut out = vec![];
        for row in due_results(log.database()).await? {
            let bad = |what: &str, e: String| {
                SchedulerError::Stored(format!("inspection_results.{what}: {e}"))
            };
            let deadline = NaiveDate::parse_from_str(&row.deadline, "%Y-%m-%d")
                .map_err(|e| bad("deadline", e.to_string()))?;
            if deadline >= today {
                continue;
            }
            let task = Uuid::parse_str(&row.task_id).map_err(|e| bad("task_id", e.to_string()))?;
            let uscc = Uscc::parse(&row.uscc).map_err(|e| bad("uscc", e.to_string()))?;
            let id = result_id(task, &uscc);
            let state = ResultState {
                version: row.version as u32,
                deadline: Some(deadline),
                published: row.published_version.map(|v| v as u32),
                ..ResultState::default()
            };
            let Some(f) = schedule::publication_overdue(id, &state, now) else {
                continue;
            };
            if !fired(log, &f).await? {
                out.push(fire::<InspectionResult, _>(log, now, id, f).await?);
            }
        }
        Ok(out)
    }

    /// Signs the log as it stands and stores the checkpoint for `tick`, unless nothing
    /// but the scheduler's own records was appended since the last one stored. Either
    /// way the ledger's tree is then stored up to the newest stored checkpoint
    /// (`ledger_tree`), so a case can be checked against it without reading the rest
    /// of the log; its root must be the signed one.
    async fn checkpoint(
        &self,
        tick: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<FiringRecord>, SchedulerError> {
        let log = &self.log;
        let db = log.database();
        let largest = largest_published_size(db).await?;
        if entries_besides_scheduler(db, largest).await? == 0 {
            self.store_tree(largest, None).await?;
            return Ok(None);
        }
        let (cp, note) = current_checkpoint(db, &self.signer, &self.origin, now).await?;
        let f = Firing {
            job: Job::LedgerCheckpoint,
            due_at: tick,
            target: "log".to_string(),
            command: StoreCheckpoint {
                tree_size: cp.tree_size,
                root_hash: hex::encode(cp.root),
                note,
                due_at: tick,
            },
        };
        if fired(log, &f).await? {
            self.store_tree(largest, None).await?;
            return Ok(None);
        }
        let record = fire::<CheckpointArchive, _>(log, now, archive_id(), f).await?;
        self.store_tree(cp.tree_size, Some(cp.root)).await?;
        Ok(Some(record))
    }

    /// Stores the ledger's tree of `size` entries; its root must be `signed` when given.
    async fn store_tree(
        &self,
        size: u64,
        signed: Option<jianxin_domain::integrity::Hash>,
    ) -> Result<(), SchedulerError> {
        if size == 0 {
            return Ok(());
        }
        let root = store_tree(self.log.database(), size).await?;
        match signed {
            Some(signed) if signed != root => Err(SchedulerError::Stored(format!(
                "the stored tree of {size} entries has root {} where the checkpoint signed {}",
                hex::encode(root),
                hex::encode(signed)
            ))),
            _ => Ok(()),
        }
    }
}
