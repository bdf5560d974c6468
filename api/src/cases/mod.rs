//! Enforcement cases (行政处罚案件) and the supervisor's replay, as operations shared by
//! the CLI and the HTTP API: each step loads the calendar in force and runs the
//! `enforcement_case` aggregate; the replay and the deviations read the case's events,
//! add `integrity_break` from the ledger verification, and the replay carries inclusion
//! proofs of the case's events: against the newest stored signed checkpoint when it
//! covers the case, else against one signed now (docs/CASES.md §4).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use esrs::store::EventStore;
use jianxin_domain::case::{
    self, CaseCommand, CaseEvent, CaseRules, CaseState, CaseStep, Deviation, DeviationCode,
    EnforcementCase, ReplayStep,
};
use jianxin_domain::event_log::{Actor, Issued, Recorded};
use jianxin_domain::integrity::{root_from_leaf_hashes, InclusionPath, NoteSigner, NoteVerifier};
use jianxin_projections::ledger::{
    check_against_checkpoint, check_aggregate, signed_paths, verify, AgainstCheckpoint,
    CheckedAggregate, CheckpointedAggregate, IntegrityFailure,
};
use jianxin_projections::read_models::{case_ledger_sequences, case_rows, CaseRow};
use jianxin_projections::{Clock, EventLog, Executed};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::ops::{current_calendar, meta, OpError};

fn invalid(message: impl Into<String>, location: impl Into<String>) -> OpError {
    OpError::Invalid {
        message: message.into(),
        location: Some(location.into()),
    }
}

/// Parses a case id.
pub fn case_id(text: &str) -> Result<Uuid, OpError> {
    Uuid::parse_str(text.trim()).map_err(|e| {
        invalid(
            format!("{text:?} is not a case id: expected a UUID ({e})"),
            "case",
        )
    })
}

/// Parses a case rule file (docs/CASES.md); `None`: the built-in rules.
pub fn rules(text: Option<&str>) -> Result<CaseRules, OpError> {
    match text {
        None => Ok(CaseRules::default_rules()),
        Some(t) => CaseRules::parse(t)
            .map_err(|(at, what)| invalid(format!("case rules: {what}"), format!("rules: {at}"))),
    }
}

/// Parses an RFC 3339 time or a date (start of that day, Beijing time) for `--at`.
pub fn parse_at(text: &str) -> Result<DateTime<Utc>, OpError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.checked_sub_signed(chrono::TimeDelta::hours(8)))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            invalid(
                format!("{text:?} is not a time: expected RFC 3339 (2025-03-10T10:00:00+08:00) or a date (2025-03-10)"),
                "at",
            )
        })
}

/// What a step did.
#[derive(Debug, Clone, Serialize)]
pub struct StepDone {
    /// The case.
    pub id: Uuid,
    /// Its status now.
    pub status: &'static str,
    /// Ledger positions appended.
    pub global_sequences: Vec<u64>,
}

/// Takes `step` in case `id` (a new case when `None`: only for `Open`) as `actor`.
pub async fn step(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Option<Uuid>,
    step: CaseStep,
) -> Result<StepDone, OpError> {
    let id = match (id, &step) {
        (None, CaseStep::Open { .. }) => Uuid::now_v7(),
        (Some(id), CaseStep::Open { .. }) => id,
        (Some(id), _) => {
            load(log, id).await?;
            id
        }
        (None, _) => return Err(invalid("the case id is missing", "case")),
    };
    let calendar = Arc::new(current_calendar(log).await?);
    let issued = Issued {
        meta: meta(clock, actor),
        command: CaseCommand { step, calendar },
    };
    match log.execute::<EnforcementCase, _>(id, issued).await? {
        Ok(Executed::Applied {
            state,
            global_sequences,
        }) => Ok(StepDone {
            id,
            status: state.status.as_str(),
            global_sequences,
        }),
        Ok(Executed::AlreadyApplied { global_sequences }) => Ok(StepDone {
            id,
            status: "unchanged",
            global_sequences,
        }),
        Err(e) => Err(refusal(e)),
    }
}

fn refusal(e: case::CaseError) -> OpError {
    match e {
        case::CaseError::WrongRole { .. } => OpError::Forbidden(e.to_string()),
        case::CaseError::NotOpened => OpError::NotFound(e.to_string()),
        case::CaseError::Invalid { ref field, .. } => invalid(e.to_string(), field.clone()),
        other => OpError::Refused(other.to_string()),
    }
}

/// The case's state now.
pub async fn load(log: &EventLog, id: Uuid) -> Result<CaseState, OpError> {
    log.load::<EnforcementCase>(id)
        .await?
        .ok_or_else(|| OpError::NotFound(format!("no enforcement case {id}")))
}

/// The case's events in log order.
pub async fn events(log: &EventLog, id: Uuid) -> Result<Vec<Recorded<CaseEvent>>, OpError> {
    let events: Vec<_> = log
        .store::<EnforcementCase>()
        .by_aggregate_id(id)
        .await?
        .into_iter()
        .map(|e| e.payload)
        .collect();
    if events.is_empty() {
        return Err(OpError::NotFound(format!("no enforcement case {id}")));
    }
    Ok(events)
}

/// A case's events and what vouches for them.
enum Checked {
    /// Every event leads to the root of the newest stored signed checkpoint: only the
    /// case's rows and the stored tree's nodes were read.
    Checkpointed(CheckpointedAggregate<Recorded<CaseEvent>>),
    /// Checked against the whole ledger (its own rows and the chain of the whole log up
    /// to its last event), with the tree its proofs are read from: no stored checkpoint
    /// covers the case, or its events did not lead to one.
    Ledger(CheckedAggregate<Recorded<CaseEvent>>),
}

impl Checked {
    fn events(&self) -> &[Recorded<CaseEvent>] {
        match self {
            Checked::Checkpointed(c) => &c.events,
            Checked::Ledger(c) => &c.events,
        }
    }

    /// The `integrity_break`, if any.
    fn integrity_break(&self) -> Option<Deviation> {
        let Checked::Ledger(c) = self else {
            return None;
        };
        let sequences: Vec<u64> = c.entries.iter().map(|(s, _)| *s).collect();
        c.failure.as_ref().map(|f| integrity_break(f, &sequences))
    }
}

/// Checks case `id`: against the newest stored checkpoint signed with `verifier`'s key
/// when it covers every event of the case, else (or with no key) against the whole ledger (docs/CASES.md
/// §4). When the events do not lead to the signed root, the whole ledger tells why: a
/// row that differs from its entry is named as always; a ledger rewritten after the
/// checkpoint was signed (its first entries no longer give the signed root) is an
/// `integrity_break` at the first event off its path; a damaged `ledger_tree` cache,
/// with ledger and events intact, is only logged.
async fn checked(
    log: &EventLog,
    verifier: Option<&NoteVerifier>,
    id: Uuid,
) -> Result<Checked, OpError> {
    use esrs::Aggregate;
    let db = log.database();
    let name = EnforcementCase::NAME;
    let whole = || async {
        let checked = check_aggregate(db, name, id).await?;
        if checked.events.is_empty() && checked.entries.is_empty() {
            return Err(OpError::NotFound(format!("no enforcement case {id}")));
        }
        Ok(checked)
    };
    let Some(verifier) = verifier else {
        return Ok(Checked::Ledger(whole().await?));
    };
    match check_against_checkpoint(db, name, id, verifier).await? {
        AgainstCheckpoint::Verified(c) => Ok(Checked::Checkpointed(c)),
        AgainstCheckpoint::NotCovered(why) => {
            tracing::debug!(case = %id, %why, "case checked against the whole ledger");
            Ok(Checked::Ledger(whole().await?))
        }
        AgainstCheckpoint::Mismatch {
            checkpoint,
            failure,
        } => {
            let mut checked = whole().await?;
            if checked.failure.is_none() {
                let leaves = checked.tree.leaves();
                let signed = usize::try_from(checkpoint.tree_size)
                    .ok()
                    .and_then(|n| leaves.get(..n))
                    .map(root_from_leaf_hashes);
                if signed == Some(checkpoint.root) {
                    tracing::warn!(
                        case = %id,
                        tree_size = checkpoint.tree_size,
                        "ledger_tree differs from the ledger, which matches the signed checkpoint"
                    );
                } else {
                    checked.failure = Some(failure);
                }
            }
            Ok(Checked::Ledger(checked))
        }
    }
}

/// The `integrity_break` of a case whose ledger check found `failure`; `sequences`: the
/// ledger positions of the case's events, to tell its own events from the rest.
fn integrity_break(failure: &IntegrityFailure, sequences: &[u64]) -> Deviation {
    let own = sequences.iter().position(|s| *s == failure.global_sequence);
    Deviation {
        code: DeviationCode::IntegrityBreak,
        sequence: own.map_or(0, |i| i as u64 + 1),
        step: if own.is_some() { "event" } else { "ledger" }.into(),
        message: failure.to_string(),
        evidence: json!({
            "global_sequence": failure.global_sequence,
            "what": failure.what,
            "case_event": own.is_some(),
        }),
    }
}

/// The deviations of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDeviations {
    /// The case.
    pub id: Uuid,
    /// Every deviation, in step order (`integrity_break` first when found).
    pub deviations: Vec<Deviation>,
}

/// Every deviation of case `id`, with the ledger's verdict (`verifier`: the log's key,
/// which signed the stored checkpoints; `None`: the whole ledger is read).
pub async fn deviations(
    log: &EventLog,
    verifier: Option<&NoteVerifier>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<CaseDeviations, OpError> {
    let checked = checked(log, verifier, id).await?;
    let mut found: Vec<Deviation> = checked.integrity_break().into_iter().collect();
    found.extend(with_overdue(checked.events(), now));
    Ok(CaseDeviations {
        id,
        deviations: found,
    })
}

/// The deviations the steps show, then the deadlines overdue as of `now` (Beijing day).
fn with_overdue(events: &[Recorded<CaseEvent>], now: DateTime<Utc>) -> Vec<Deviation> {
    let mut found = case::deviations(events);
    let state = case::replay(events, None).state;
    found.extend(case::overdue(&state, case::beijing_date(now)));
    found
}

/// The deviations of every case that has any. The whole log is verified once (as `log
/// verify` does); a failure at or before a case's last event is that case's
/// `integrity_break`. The verification runs while the cases are read.
pub async fn deviations_all(
    log: &EventLog,
    now: DateTime<Utc>,
) -> Result<Vec<CaseDeviations>, OpError> {
    let (verified, scanned) = tokio::join!(verify(log.database(), None), async {
        let mut out = vec![];
        for row in case_rows(log.database()).await? {
            let id = case_id(&row.id)?;
            let found = with_overdue(&events(log, id).await?, now);
            out.push((id, found));
        }
        Ok::<_, OpError>(out)
    });
    let broken = verified?.err();
    let mut out = vec![];
    for (id, found) in scanned? {
        let mut all = vec![];
        if let Some(f) = &broken {
            let sequences = case_ledger_sequences(log.database(), id).await?;
            if sequences.last().is_some_and(|l| f.global_sequence <= *l) {
                all.push(integrity_break(f, &sequences));
            }
        }
        all.extend(found);
        if !all.is_empty() {
            out.push(CaseDeviations {
                id,
                deviations: all,
            });
        }
    }
    Ok(out)
}

/// One event's inclusion proof.
#[derive(Debug, Clone, Serialize)]
pub struct EventProof {
    /// The event's ledger position.
    pub global_sequence: u64,
    /// The ledger entry's canonical bytes, as stored (JSON text).
    pub entry: String,
    /// Its inclusion proof in the checkpoint's tree (serialized as an `InclusionProof`:
    /// the hex of its hashes is written while serializing).
    pub proof: InclusionPath,
}

/// The proofs a replay carries.
#[derive(Debug, Clone, Serialize)]
pub struct Proofs {
    /// The signed checkpoint note the proofs lead to.
    pub checkpoint: String,
    /// Its tree size.
    pub tree_size: u64,
    /// One proof per event of the case, in order.
    pub events: Vec<EventProof>,
}

/// A case replayed for a supervisor.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReplay {
    /// The case.
    pub id: Uuid,
    /// The moment (`null`: everything recorded).
    pub at: Option<DateTime<Utc>>,
    /// The state as of `at`.
    pub status: &'static str,
    /// The steps recorded up to `at`.
    pub steps: Vec<ReplayStep>,
    /// The state folded from those steps.
    pub state: CaseState,
    /// The deviations of those steps (and `integrity_break` of the whole case).
    pub deviations: Vec<Deviation>,
    /// Inclusion proofs of every event of the case.
    pub proofs: Proofs,
}

/// Case `id` as of `at`, with its inclusion proofs: under the newest stored checkpoint
/// when it covers the case and its events lead to it, else under a checkpoint signed
/// `now` over the whole ledger.
pub async fn replay(
    log: &EventLog,
    signer: &NoteSigner,
    origin: &str,
    now: DateTime<Utc>,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<CaseReplay, OpError> {
    let checked = checked(log, Some(&signer.verifier()), id).await?;
    let calendar = crate::ops::current_calendar(log).await?;
    let replayed = case::replay(checked.events(), at).with_calendar(&calendar);
    let shown = &checked.events()[..replayed.steps.len()];
    let mut found: Vec<Deviation> = checked.integrity_break().into_iter().collect();
    found.extend(case::deviations(shown));
    let as_of = case::beijing_date(at.unwrap_or(now).min(now));
    found.extend(case::overdue(&replayed.state, as_of));
    let proofs = match checked {
        Checked::Ledger(c) => {
            let (note, each) = signed_paths(&c.tree, &c.entries, signer, origin, now)?;
            proofs(note, c.tree.size(), c.entries, each)
        }
        Checked::Checkpointed(c) => {
            let size = c.checkpoint.tree_size;
            let mut each = Vec::with_capacity(c.entries.len());
            for (seq, _) in &c.entries {
                let index = seq.saturating_sub(1);
                let hashes = c.tree.proof(index).map_err(|e| {
                    OpError::Store(jianxin_projections::StoreError::Encoding(format!(
                        "inclusion proof of {seq}: {e}"
                    )))
                })?;
                each.push(InclusionPath {
                    leaf_index: index,
                    tree_size: size,
                    hashes,
                });
            }
            proofs(c.note, size, c.entries, each)
        }
    };
    Ok(CaseReplay {
        id,
        at,
        status: replayed.state.status.as_str(),
        steps: replayed.steps,
        state: replayed.state,
        deviations: found,
        proofs,
    })
}

fn proofs(
    checkpoint: String,
    tree_size: u64,
    entries: Vec<(u64, Vec<u8>)>,
    each: Vec<InclusionPath>,
) -> Proofs {
    Proofs {
        checkpoint,
        tree_size,
        events: entries
            .into_iter()
            .zip(each)
            .map(|((global_sequence, bytes), proof)| EventProof {
                global_sequence,
                entry: String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                proof,
            })
            .collect(),
    }
}

/// Every case.
pub async fn list(log: &EventLog) -> Result<Vec<CaseRow>, OpError> {
    Ok(case_rows(log.database()).await?)
}

mod demo;
pub use demo::{seed_demo, DEMO_APPROVER, DEMO_OFFICER};
