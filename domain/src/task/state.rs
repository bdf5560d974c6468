//! What an inspection task remembers, and how each event changes it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::directory::{DepartmentCode, InspectorId};
use crate::draw::{DrawTask, FrozenTexts, Team};
use crate::identifiers::Uscc;

use super::events::{BeaconSchedule, Exclusion, FrozenDigests, TaskEvent, TaskScope};

/// Where a task stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Phase {
    /// No `TaskCreated` yet.
    #[default]
    New,
    /// Created (or a redraw approved): commitments may be published, the pool frozen.
    Open,
    /// Frozen: reveals, then the beacon, then the draw.
    Frozen,
    /// Drawn: recusals; only an approved redraw reopens the task.
    Drawn,
    /// The draw failed (unstaffable): only an approved redraw reopens the task.
    Failed,
}

impl Phase {
    /// The stored and published name: `new`, `open`, `frozen`, `drawn`, `draw_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::New => "new",
            Phase::Open => "open",
            Phase::Frozen => "frozen",
            Phase::Drawn => "drawn",
            Phase::Failed => "draw_failed",
        }
    }
}

/// The freeze in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    /// The published digests.
    pub digests: FrozenDigests,
    /// The published texts.
    pub texts: FrozenTexts,
    /// The directory date of the pool.
    pub as_of: NaiveDate,
    /// Subjects left out, with reasons.
    pub excluded: Vec<Exclusion>,
    /// The fixed randomness source.
    pub beacon: BeaconSchedule,
    /// When the round is published.
    pub round_time: DateTime<Utc>,
    /// Reveals close here.
    pub reveal_deadline: DateTime<Utc>,
    /// Where the pool's risk classes came from, when not from the directory.
    pub credit_basis: Option<super::events::CreditClassBasis>,
}

/// A department's commit–reveal values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentState {
    /// Published before the freeze.
    pub commitment: [u8; 32],
    /// Revealed (always matching: wrong reveals are refused), or not yet.
    pub secret: Option<[u8; 32]>,
}

/// The drand round as entered and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedBeacon {
    /// The round.
    pub round: u64,
    /// Its signature.
    pub signature: Vec<u8>,
}

/// The current draw's result, as recusals change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentDraw {
    /// The seed, from which replacements are drawn.
    pub seed: [u8; 32],
    /// The teams with replacements applied.
    pub teams: Vec<Team>,
    /// Everyone who recused from each subject, in order.
    pub recused: BTreeMap<Uscc, Vec<InspectorId>>,
}

/// The state of an inspection task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskState {
    /// Where the task stands.
    pub phase: Phase,
    /// The task as the draw sees it (its `beacon_round` is 0 until a freeze fixes it).
    pub task: Option<DrawTask>,
    /// The rules version named at creation.
    pub rules_version: u32,
    /// 任务名称.
    pub title: String,
    /// The scope filter published at creation.
    pub scope: TaskScope,
    /// The inspection window (first and last day).
    pub window: (NaiveDate, NaiveDate),
    /// The user who created the task: never the approver of its redraw.
    pub planner: String,
    /// Commitments of the current attempt, by department.
    pub commitments: BTreeMap<DepartmentCode, CommitmentState>,
    /// The freeze of the current attempt.
    pub freeze: Option<Freeze>,
    /// The verified beacon of the current attempt.
    pub beacon: Option<RecordedBeacon>,
    /// The current draw, while it stands.
    pub drawn: Option<CurrentDraw>,
    /// Draws run so far (successful or failed).
    pub attempts: u32,
    /// The round flagged overdue (the scheduler), in the current attempt.
    pub beacon_overdue: Option<u64>,
}

impl TaskState {
    /// The task's departments (empty before creation).
    pub fn departments(&self) -> BTreeSet<DepartmentCode> {
        self.task
            .as_ref()
            .map(|t| t.departments.clone())
            .unwrap_or_default()
    }

    /// The state after `event`.
    pub fn apply(mut self, event: &TaskEvent, actor: &str) -> TaskState {
        match event {
            TaskEvent::TaskCreated {
                task_id,
                title,
                departments,
                items,
                scope,
                window_from,
                window_to,
                inspection_date,
                team_size,
                rules_version,
            } => {
                self.phase = Phase::Open;
                self.title = title.clone();
                self.scope = scope.clone();
                self.window = (*window_from, *window_to);
                self.planner = actor.to_owned();
                self.rules_version = *rules_version;
                self.task = Some(DrawTask {
                    task_id: task_id.hyphenated().to_string(),
                    departments: departments.clone(),
                    items: items.clone(),
                    inspection_date: *inspection_date,
                    team_size: *team_size,
                    beacon_round: 0,
                });
            }
            TaskEvent::CommitmentRecorded {
                department,
                commitment,
            } => {
                self.commitments.insert(
                    department.clone(),
                    CommitmentState {
                        commitment: *commitment,
                        secret: None,
                    },
                );
            }
            TaskEvent::PoolFrozen {
                digests,
                texts,
                as_of,
                excluded,
                beacon,
                round_time,
                reveal_deadline,
                credit_basis,
                ..
            } => {
                self.phase = Phase::Frozen;
                if let Some(task) = self.task.as_mut() {
                    task.beacon_round = beacon.round;
                }
                self.freeze = Some(Freeze {
                    digests: digests.clone(),
                    texts: texts.clone(),
                    as_of: *as_of,
                    excluded: excluded.clone(),
                    beacon: beacon.clone(),
                    round_time: *round_time,
                    reveal_deadline: *reveal_deadline,
                    credit_basis: credit_basis.as_deref().cloned(),
                });
            }
            TaskEvent::RevealRecorded { department, secret } => {
                if let Some(c) = self.commitments.get_mut(department) {
                    c.secret = Some(*secret);
                }
            }
            TaskEvent::BeaconOverdue { round, .. } => self.beacon_overdue = Some(*round),
            TaskEvent::BeaconRecorded {
                round, signature, ..
            } => {
                self.beacon = Some(RecordedBeacon {
                    round: *round,
                    signature: signature.clone(),
                });
            }
            TaskEvent::SubjectsDrawn {
                attempt,
                seed,
                teams,
                ..
            } => {
                self.phase = Phase::Drawn;
                self.attempts = *attempt;
                self.drawn = Some(CurrentDraw {
                    seed: *seed,
                    teams: teams.clone(),
                    recused: BTreeMap::new(),
                });
            }
            TaskEvent::DrawFailed { attempt, .. } => {
                self.phase = Phase::Failed;
                self.attempts = *attempt;
            }
            TaskEvent::RecusalDeclared {
                uscc, inspector, ..
            } => {
                if let Some(drawn) = self.drawn.as_mut() {
                    drawn
                        .recused
                        .entry(uscc.clone())
                        .or_default()
                        .push(inspector.clone());
                }
            }
            TaskEvent::ReplacementDrawn {
                uscc,
                recused,
                replacement,
                ..
            } => {
                if let Some(drawn) = self.drawn.as_mut() {
                    for team in drawn.teams.iter_mut().filter(|t| &t.uscc == uscc) {
                        for member in team.members.iter_mut().filter(|m| *m == recused) {
                            *member = replacement.clone();
                        }
                    }
                }
            }
            TaskEvent::ReplacementUnstaffable {
                recused,
                unstaffable,
            } => {
                if let Some(drawn) = self.drawn.as_mut() {
                    for team in drawn
                        .teams
                        .iter_mut()
                        .filter(|t| t.uscc == unstaffable.uscc)
                    {
                        team.members.retain(|m| m != recused);
                    }
                }
            }
            TaskEvent::RedrawApproved { .. } => {
                self.phase = Phase::Open;
                self.commitments.clear();
                self.freeze = None;
                self.beacon = None;
                self.drawn = None;
                if let Some(task) = self.task.as_mut() {
                    task.beacon_round = 0;
                }
            }
        }
        self
    }
}
