//! The events of one inspection task, decoded from their ledger entries and replayed:
//! the task as created, and the freeze, beacon, draw and recusals of its current
//! attempt (the one after the last approved redraw).
//!
//! Both building and verifying a bundle start here, so a bundle is always derived from,
//! and checked against, the same reading of the events.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use esrs::Aggregate;
use uuid::Uuid;

use crate::directory::{DepartmentCode, InspectorId};
use crate::draw::{FrozenTexts, StratumResult, TaskItem, Team, Unstaffable};
use crate::event_log::{LedgerEntry, LedgerEntryError, Recorded};
use crate::identifiers::Uscc;
use crate::task::{
    BeaconSchedule, Exclusion, FrozenDigests, InspectionTask, Phase, PublishedCommitment,
    RevealOutcome, TaskEvent, TaskScope, TaskState,
};

/// Why ledger entries are not the drawn history of one task.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// There are no events.
    #[error("no events")]
    Empty,
    /// An entry's bytes are not a canonical ledger entry.
    #[error("line {line}: {error}")]
    Entry {
        /// 1-based position among the entries.
        line: usize,
        /// Why.
        error: LedgerEntryError,
    },
    /// An entry says another global sequence than the one it was handed over with.
    #[error("line {line}: the entry's global sequence is {stored}, expected {given}")]
    GlobalSequence {
        /// 1-based position.
        line: usize,
        /// The sequence it was handed over (or proven) with.
        given: u64,
        /// The sequence inside the entry.
        stored: u64,
    },
    /// Global sequences must strictly increase.
    #[error("event {global_sequence} comes after event {previous}: not in log order")]
    Order {
        /// The entry.
        global_sequence: u64,
        /// The one before it.
        previous: u64,
    },
    /// An entry of another aggregate.
    #[error("event {global_sequence} belongs to {aggregate_type} {aggregate_id}, not to inspection_task {task}")]
    Foreign {
        /// The entry.
        global_sequence: u64,
        /// Its aggregate type.
        aggregate_type: String,
        /// Its aggregate id.
        aggregate_id: Uuid,
        /// The task of the first entry.
        task: Uuid,
    },
    /// The task's own sequence has a gap or does not start at 1.
    #[error("event {global_sequence} is the task's event {found}, expected {expected} (events 1 to n, without gaps)")]
    Gap {
        /// The entry.
        global_sequence: u64,
        /// Its aggregate sequence.
        found: u64,
        /// The one expected.
        expected: u64,
    },
    /// The payload is not a task event.
    #[error("event {global_sequence}: the payload is not an inspection task event: {error}")]
    Payload {
        /// The entry.
        global_sequence: u64,
        /// Why.
        error: String,
    },
    /// The events contradict each other or the aggregate's rules.
    #[error("event {global_sequence}: {what}")]
    Inconsistent {
        /// The entry.
        global_sequence: u64,
        /// What is wrong.
        what: String,
    },
    /// The current attempt has no `SubjectsDrawn`.
    #[error(
        "the task is not drawn: its current attempt is {phase} (a bundle publishes a drawn task)"
    )]
    NotDrawn {
        /// Where the current attempt stands.
        phase: &'static str,
    },
    /// A derived file could not be written.
    #[error("{file}: {error}")]
    Render {
        /// The file.
        file: &'static str,
        /// Why.
        error: String,
    },
}

/// `TaskCreated`, as published.
pub(super) struct Created {
    pub task_id: Uuid,
    pub title: String,
    pub departments: BTreeSet<DepartmentCode>,
    pub items: Vec<TaskItem>,
    pub scope: TaskScope,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    pub inspection_date: NaiveDate,
    pub team_size: u32,
    pub rules_version: u32,
}

/// The current attempt's `PoolFrozen`.
pub(super) struct Frozen {
    pub global_sequence: u64,
    pub digests: FrozenDigests,
    pub texts: FrozenTexts,
    pub as_of: NaiveDate,
    pub excluded: Vec<Exclusion>,
    pub beacon: BeaconSchedule,
    pub round_time: DateTime<Utc>,
    pub reveal_deadline: DateTime<Utc>,
    pub commitments: Vec<PublishedCommitment>,
}

/// The current attempt's `BeaconRecorded`.
pub(super) struct Beacon {
    pub round: u64,
    pub signature: Vec<u8>,
    pub randomness: [u8; 32],
}

/// The current attempt's `SubjectsDrawn`.
pub(super) struct Draw {
    pub global_sequence: u64,
    pub attempt: u32,
    pub seed: [u8; 32],
    pub seed_text: String,
    pub strata: Vec<StratumResult>,
    pub teams: Vec<Team>,
    pub reveals: Vec<(DepartmentCode, RevealOutcome)>,
}

/// A recusal on the current draw and what came of it.
pub(super) struct Recusal {
    /// Of its `RecusalDeclared`.
    pub global_sequence: u64,
    pub uscc: Uscc,
    pub inspector: InspectorId,
    pub reason: String,
    pub number: u32,
    pub outcome: Outcome,
}

/// The replacement, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Replaced(InspectorId),
    Unstaffable(Unstaffable),
}

/// A task's decoded and replayed history.
pub(super) struct History {
    /// The canonical entry bytes, in global-sequence order.
    pub lines: Vec<Vec<u8>>,
    /// The aggregate's state after every event.
    pub state: TaskState,
    pub created: Created,
    pub freeze: Frozen,
    pub beacon: Beacon,
    pub draw: Draw,
    pub recusals: Vec<Recusal>,
}

/// What the current attempt has seen so far.
#[derive(Default)]
struct Attempt {
    freeze: Option<Frozen>,
    beacon: Option<Beacon>,
    draw: Option<Draw>,
    /// Each declared recusal, with its outcome once the next event records it.
    recusals: Vec<(Recusal, Option<Outcome>)>,
}

impl History {
    /// Decodes `(global sequence, canonical bytes)` pairs in log order and replays them.
    pub fn decode<'a>(
        entries: impl IntoIterator<Item = (u64, &'a [u8])>,
    ) -> Result<History, HistoryError> {
        let mut lines = Vec::new();
        let mut state = TaskState::default();
        let mut created = None;
        let mut attempt = Attempt::default();
        let mut task: Option<Uuid> = None;
        let mut previous: Option<u64> = None;
        for (index, (given, bytes)) in entries.into_iter().enumerate() {
            let line = index + 1;
            let entry =
                LedgerEntry::decode(bytes).map_err(|error| HistoryError::Entry { line, error })?;
            let global_sequence = entry.global_sequence;
            if global_sequence != given {
                return Err(HistoryError::GlobalSequence {
                    line,
                    given,
                    stored: global_sequence,
                });
            }
            if let Some(previous) = previous.filter(|p| *p >= global_sequence) {
                return Err(HistoryError::Order {
                    global_sequence,
                    previous,
                });
            }
            previous = Some(global_sequence);
            let task_id = *task.get_or_insert(entry.aggregate_id);
            if entry.aggregate_type != InspectionTask::NAME || entry.aggregate_id != task_id {
                return Err(HistoryError::Foreign {
                    global_sequence,
                    aggregate_type: entry.aggregate_type,
                    aggregate_id: entry.aggregate_id,
                    task: task_id,
                });
            }
            let expected = u64::try_from(line).unwrap_or(u64::MAX);
            if entry.aggregate_sequence != expected {
                return Err(HistoryError::Gap {
                    global_sequence,
                    found: entry.aggregate_sequence,
                    expected,
                });
            }
            let recorded = Recorded::<TaskEvent>::from_payload(entry.payload).map_err(|e| {
                HistoryError::Payload {
                    global_sequence,
                    error: e.to_string(),
                }
            })?;
            let inconsistent = |what: String| HistoryError::Inconsistent {
                global_sequence,
                what,
            };
            if line == 1 && !matches!(recorded.event, TaskEvent::TaskCreated { .. }) {
                return Err(inconsistent("the first event is not TaskCreated".into()));
            }
            note(&recorded.event, global_sequence, &mut created, &mut attempt)
                .map_err(inconsistent)?;
            if let Some(c) = created.as_ref().filter(|c| c.task_id != task_id) {
                let what = format!("TaskCreated names task {}, the entry {task_id}", c.task_id);
                return Err(inconsistent(what));
            }
            state = InspectionTask::apply_event(state, recorded);
            lines.push(bytes.to_vec());
        }
        finish(lines, state, created, attempt)
    }
}

/// Keeps what the bundle publishes of `event`; a redraw starts a new attempt.
fn note(
    event: &TaskEvent,
    global_sequence: u64,
    created: &mut Option<Created>,
    attempt: &mut Attempt,
) -> Result<(), String> {
    match event.clone() {
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
            if created.is_some() {
                return Err("a second TaskCreated".into());
            }
            *created = Some(Created {
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
            });
        }
        TaskEvent::PoolFrozen {
            digests,
            texts,
            as_of,
            excluded,
            beacon,
            round_time,
            reveal_deadline,
            commitments,
            // The pool's classes are in the frozen texts the bundle carries; where they
            // came from is in the task's log (`jianxin log` / the task history).
            credit_basis: _,
        } => {
            if FrozenDigests::from(&texts.digests()) != digests {
                return Err("PoolFrozen: the texts do not hash to the published digests".into());
            }
            attempt.freeze = Some(Frozen {
                global_sequence,
                digests,
                texts,
                as_of,
                excluded,
                beacon,
                round_time,
                reveal_deadline,
                commitments,
            });
        }
        TaskEvent::BeaconRecorded {
            round,
            signature,
            randomness,
        } => {
            attempt.beacon = Some(Beacon {
                round,
                signature,
                randomness,
            });
        }
        TaskEvent::SubjectsDrawn {
            attempt: number,
            seed,
            seed_text,
            strata,
            teams,
            reveals,
        } => {
            attempt.draw = Some(Draw {
                global_sequence,
                attempt: number,
                seed,
                seed_text,
                strata,
                teams,
                reveals,
            });
        }
        TaskEvent::DrawFailed { .. } => attempt.draw = None,
        TaskEvent::RecusalDeclared {
            uscc,
            inspector,
            reason,
            number,
        } => {
            if attempt.recusals.last().is_some_and(|(_, o)| o.is_none()) {
                return Err("a recusal before the previous one's replacement".into());
            }
            let recusal = Recusal {
                global_sequence,
                uscc,
                inspector: inspector.clone(),
                reason,
                number,
                outcome: Outcome::Replaced(inspector),
            };
            attempt.recusals.push((recusal, None));
        }
        TaskEvent::ReplacementDrawn {
            uscc,
            recused,
            replacement,
            number,
        } => {
            let (recusal, outcome) = pending(attempt, &uscc, &recused)?;
            if recusal.number != number {
                return Err(format!(
                    "ReplacementDrawn number {number}, the recusal's is {}",
                    recusal.number
                ));
            }
            *outcome = Some(Outcome::Replaced(replacement));
        }
        TaskEvent::ReplacementUnstaffable {
            recused,
            unstaffable,
        } => {
            let (_, outcome) = pending(attempt, &unstaffable.uscc, &recused)?;
            *outcome = Some(Outcome::Unstaffable(unstaffable));
        }
        TaskEvent::RedrawApproved { .. } => *attempt = Attempt::default(),
        TaskEvent::CommitmentRecorded { .. }
        | TaskEvent::RevealRecorded { .. }
        | TaskEvent::BeaconOverdue { .. } => {}
    }
    Ok(())
}

/// The recusal awaiting its replacement, which must be `recused` on `uscc`.
fn pending<'a>(
    attempt: &'a mut Attempt,
    uscc: &Uscc,
    recused: &InspectorId,
) -> Result<&'a mut (Recusal, Option<Outcome>), String> {
    match attempt.recusals.last_mut() {
        Some(last) if last.1.is_none() && &last.0.uscc == uscc && &last.0.inspector == recused => {
            Ok(last)
        }
        _ => Err(format!(
            "a replacement for {recused} on {uscc} without its RecusalDeclared just before"
        )),
    }
}

fn finish(
    lines: Vec<Vec<u8>>,
    state: TaskState,
    created: Option<Created>,
    attempt: Attempt,
) -> Result<History, HistoryError> {
    let Some(created) = created else {
        return Err(HistoryError::Empty);
    };
    let phase = state.phase.as_str();
    let (Phase::Drawn, Some(freeze), Some(beacon), Some(draw)) =
        (state.phase, attempt.freeze, attempt.beacon, attempt.draw)
    else {
        return Err(HistoryError::NotDrawn { phase });
    };
    let mut recusals = Vec::with_capacity(attempt.recusals.len());
    for (recusal, outcome) in attempt.recusals {
        let Some(outcome) = outcome else {
            return Err(HistoryError::Inconsistent {
                global_sequence: recusal.global_sequence,
                what: "RecusalDeclared without its replacement event".into(),
            });
        };
        recusals.push(Recusal { outcome, ..recusal });
    }
    Ok(History {
        lines,
        state,
        created,
        freeze,
        beacon,
        draw,
        recusals,
    })
}
