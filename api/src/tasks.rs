//! Inspection tasks and their draw (抽查任务与双随机抽取), as operations shared by the CLI,
//! the HTTP API and the demo: each loads what the command needs from the read models,
//! builds the command with its metadata and runs it through the event log. The rules
//! live in `jianxin_domain::task` (the lifecycle) and `jianxin_domain::draw` (the
//! algorithm); this module only gathers inputs.
//!
//! The freeze is the one heavy step: it streams the subject directory as of the freeze
//! date through the task's scope and the rules' exclusions, and publishes the five
//! frozen texts with the task's `PoolFrozen` event, so later steps (the draw, recusals,
//! the bundle) read the pool from the log, never from a directory that has moved on.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use jianxin_domain::directory::{
    DepartmentCode, IndustryCode, InspectorId, ItemCode, ItemRecord, RiskClassSource, Rules,
    SubjectKind, Tag,
};
use jianxin_domain::draw::beacon::{
    quicknet_first_round_at_or_after, quicknet_round_time, QUICKNET_CHAIN_HASH,
};
use jianxin_domain::draw::{commitment_of, FrozenDraw, FrozenTexts, TaskItem};
use jianxin_domain::event_log::{Actor, Issued};
use jianxin_domain::identifiers::{RegionCode, Uscc};
use jianxin_domain::task::eligibility::{
    previous_assignments, select_inspectors, select_relationships, FreezeBasis, SubjectSelection,
};
use jianxin_domain::task::{
    ApproveRedraw, BeaconSchedule, CreateTask, CreditClassBasis, DeclareRecusal, FreezePool,
    InspectionTask, Phase, RecordBeacon, RecordCommitment, RecordReveal, RunDraw, TaskCommand,
    TaskError, TaskEvent, TaskScope, TaskState,
};
use jianxin_projections::read_models::directory_queries::{list_items, list_rules};
use jianxin_projections::read_models::recorded_subjects;
use jianxin_projections::read_models::task_queries::{
    each_subject_as_of, inspection_history, inspectors_as_of, relationships_as_of,
};
use jianxin_projections::{Clock, EventLog, Executed};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ops::{meta, OpError};

/// The largest task file accepted, in bytes.
pub const TASK_FILE_MAX_BYTES: usize = 256 * 1024;

/// A task as written in `task.json` (`jianxin task create --file`, `POST /v1/tasks`);
/// documented in docs/DRAW.md §16.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFile {
    /// The task id (a UUID); generated when absent.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// 任务名称.
    pub title: String,
    /// Department codes; two or more make a joint task.
    pub departments: Vec<String>,
    /// Item codes from the item list; each item's department must be in `departments`.
    pub items: Vec<String>,
    /// Optional filters; an empty or missing list filters nothing (kinds default to the
    /// items' target kinds).
    #[serde(default)]
    pub scope: ScopeFile,
    /// First day of the inspection window.
    pub window_from: NaiveDate,
    /// Last day of the inspection window.
    pub window_to: NaiveDate,
    /// The inspection date, within the window.
    pub inspection_date: NaiveDate,
    /// Inspectors per team (default: the rules' minimum, at least one per department).
    #[serde(default)]
    pub team_size: Option<u32>,
    /// The rules version (default: the latest).
    #[serde(default)]
    pub rules_version: Option<u32>,
}

/// The scope of a task file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeFile {
    /// Division codes (a province or prefecture code covers what lies under it).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Subject kinds (English names or Chinese, as in the directory).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Industry codes or their prefixes (GB/T 4754).
    #[serde(default)]
    pub industries: Vec<String>,
    /// Supervision tags; a subject with any of them is in scope.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What `task create` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// The task id.
    pub id: Uuid,
    /// `open`.
    pub status: &'static str,
    /// The departments.
    pub departments: Vec<String>,
    /// The rules version it uses.
    pub rules_version: u32,
    /// Inspectors per team.
    pub team_size: u32,
    /// Ledger positions appended.
    pub global_sequences: Vec<u64>,
}

fn invalid(message: impl Into<String>, location: impl Into<String>) -> OpError {
    OpError::Invalid {
        message: message.into(),
        location: Some(location.into()),
    }
}

/// A domain refusal as the status its doc names: a conflict with the task's state
/// (409), a wrong input (422), or an actor who may not (403).
fn refused(e: TaskError) -> OpError {
    use TaskError as E;
    match e {
        E::NotCreated
        | E::AlreadyCreated
        | E::CommitmentAfterFreeze
        | E::DuplicateCommitment(_)
        | E::AlreadyFrozen
        | E::AlreadyDrawn
        | E::NotFrozen
        | E::AlreadyRevealed(_)
        | E::RevealClosed(_)
        | E::BeaconAlreadyRecorded
        | E::BeaconMissing
        | E::NotDrawn
        | E::NothingToRedraw
        | E::NotOnTeam { .. }
        | E::ResultRecorded(_)
        | E::DrawHasResults { .. } => OpError::Refused(e.to_string()),
        E::NotTheInspector(_) | E::ApproverIsPlanner(_) => OpError::Forbidden(e.to_string()),
        other => OpError::Invalid {
            message: other.to_string(),
            location: None,
        },
    }
}

fn positions<S>(executed: Executed<S>) -> Vec<u64> {
    match executed {
        Executed::Applied {
            global_sequences, ..
        }
        | Executed::AlreadyApplied { global_sequences } => global_sequences,
    }
}

/// Runs one task command.
async fn execute(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    task: Uuid,
    command: TaskCommand,
) -> Result<Vec<u64>, OpError> {
    let issued = Issued {
        meta: meta(clock, actor),
        command,
    };
    match log.execute::<InspectionTask, _>(task, issued).await? {
        Ok(executed) => Ok(positions(executed)),
        Err(e) => Err(refused(e)),
    }
}

/// The task's state, or `NotFound`.
pub async fn load(log: &EventLog, task: Uuid) -> Result<TaskState, OpError> {
    log.load::<InspectionTask>(task)
        .await?
        .filter(|s| s.phase != Phase::New)
        .ok_or_else(|| OpError::NotFound(format!("no inspection task {task}")))
}

/// The implementation rules of `version` (the latest when `None`) and its number.
pub async fn rules_version(log: &EventLog, version: Option<u32>) -> Result<(u32, Rules), OpError> {
    let all = list_rules(log.database()).await?;
    let row = match version {
        Some(v) => all.iter().find(|r| r.version == i64::from(v)),
        None => all.last(),
    };
    let Some(row) = row else {
        return Err(invalid(
            match version {
                Some(v) => format!(
                    "rules version {v} is not published (published: {})",
                    all.len()
                ),
                None => "no implementation rules are published yet (jianxin rules publish)".into(),
            },
            "rules_version",
        ));
    };
    let rules: Rules = serde_json::from_value(row.rules.clone()).map_err(|e| {
        OpError::Store(jianxin_projections::StoreError::Encoding(format!(
            "implementation_rules_versions {}: {e}",
            row.version
        )))
    })?;
    Ok((u32::try_from(row.version).unwrap_or(0), rules))
}

/// Every item of the list as it stands, by code (retired ones excluded).
async fn items_in_force(log: &EventLog) -> Result<BTreeMap<String, ItemRecord>, OpError> {
    let mut out = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = list_items(log.database(), after.as_deref(), 500).await?;
        for row in page.items {
            if row.retired.is_some() {
                continue;
            }
            if let Ok(record) = serde_json::from_value::<ItemRecord>(row.record) {
                out.insert(row.code, record);
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(out)
}

/// Parses a task file (JSON) into the command, checking every name against the item
/// list and the rules; nothing is recorded when any field is wrong.
pub async fn parse_task_file(log: &EventLog, text: &str) -> Result<CreateTask, OpError> {
    if text.len() > TASK_FILE_MAX_BYTES {
        return Err(invalid(
            format!(
                "the task file has {} bytes; at most {TASK_FILE_MAX_BYTES}",
                text.len()
            ),
            "task file",
        ));
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let file: TaskFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        invalid(
            format!("task file: {inner}"),
            if path == "." {
                format!("line {}, column {}", inner.line(), inner.column())
            } else {
                path
            },
        )
    })?;
    let mut departments = BTreeSet::new();
    for (i, d) in file.departments.iter().enumerate() {
        let code = DepartmentCode::parse(d)
            .map_err(|e| invalid(e.to_string(), format!("departments[{i}]")))?;
        if !departments.insert(code) {
            return Err(invalid(
                format!("department {d} is listed twice"),
                format!("departments[{i}]"),
            ));
        }
    }
    let known = items_in_force(log).await?;
    let mut items = Vec::new();
    let mut kinds_of_items: BTreeSet<SubjectKind> = BTreeSet::new();
    for (i, code) in file.items.iter().enumerate() {
        let at = format!("items[{i}]");
        let parsed = ItemCode::parse(code).map_err(|e| invalid(e.to_string(), at.clone()))?;
        let Some(record) = known.get(parsed.as_str()) else {
            return Err(invalid(
                format!("item {code} is not in the item list in force (jianxin items list)"),
                at,
            ));
        };
        if !departments.contains(&record.department) {
            return Err(invalid(
                format!(
                    "item {code} belongs to department {}, which is not among the task's departments",
                    record.department
                ),
                at,
            ));
        }
        kinds_of_items.extend(record.target_kinds.iter().copied());
        items.push(TaskItem::from(record));
    }
    let (rules_version, rules) = rules_version(log, file.rules_version).await?;
    let scope = parse_scope(&file.scope, kinds_of_items)?;
    let minimum = rules
        .min_team_size
        .max(u32::try_from(departments.len()).unwrap_or(u32::MAX));
    let team_size = file.team_size.unwrap_or(minimum);
    if team_size < rules.min_team_size {
        return Err(invalid(
            format!(
                "team size {team_size} is below the rules' minimum of {} (rules version {rules_version})",
                rules.min_team_size
            ),
            "team_size",
        ));
    }
    Ok(CreateTask {
        task_id: file.id.unwrap_or_else(Uuid::new_v4),
        title: file.title,
        departments,
        items,
        scope,
        window_from: file.window_from,
        window_to: file.window_to,
        inspection_date: file.inspection_date,
        team_size,
        rules_version,
    })
}

fn parse_scope(file: &ScopeFile, item_kinds: BTreeSet<SubjectKind>) -> Result<TaskScope, OpError> {
    let mut scope = TaskScope::default();
    for (i, r) in file.regions.iter().enumerate() {
        scope.regions.insert(
            RegionCode::parse(r)
                .map_err(|e| invalid(e.to_string(), format!("scope.regions[{i}]")))?,
        );
    }
    for (i, k) in file.kinds.iter().enumerate() {
        scope.kinds.insert(
            SubjectKind::parse(k)
                .map_err(|e| invalid(e.to_string(), format!("scope.kinds[{i}]")))?,
        );
    }
    if scope.kinds.is_empty() {
        scope.kinds = item_kinds;
    }
    for (i, x) in file.industries.iter().enumerate() {
        // a code's prefix (C, C13, C131) covers the codes under it
        scope.industries.insert(
            IndustryCode::parse(x)
                .map_err(|e| invalid(e.to_string(), format!("scope.industries[{i}]")))?,
        );
    }
    for (i, t) in file.tags.iter().enumerate() {
        scope
            .tags
            .insert(Tag::parse(t).map_err(|e| invalid(e.to_string(), format!("scope.tags[{i}]")))?);
    }
    Ok(scope)
}

/// Creates a task from its file.
pub async fn create(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    text: &str,
) -> Result<Created, OpError> {
    let create = parse_task_file(log, text).await?;
    let id = create.task_id;
    let departments = create
        .departments
        .iter()
        .map(|d| d.as_str().to_owned())
        .collect();
    let (rules_version, team_size) = (create.rules_version, create.team_size);
    let global_sequences = execute(log, clock, actor, id, TaskCommand::Create(create)).await?;
    Ok(Created {
        id,
        status: Phase::Open.as_str(),
        departments,
        rules_version,
        team_size,
        global_sequences,
    })
}

/// The Beijing (UTC+8) calendar date of `at`: the directory date of a freeze.
pub fn beijing_date(at: DateTime<Utc>) -> NaiveDate {
    jianxin_domain::calendar::china_date(at)
}

/// What the freeze published.
#[derive(Debug, Clone, Serialize)]
pub struct Frozen {
    /// The task.
    pub id: Uuid,
    /// The directory date.
    pub as_of: NaiveDate,
    /// Subjects in the pool.
    pub pool: usize,
    /// Subjects excluded, each with a reason in the event.
    pub excluded: usize,
    /// Subjects outside the scope.
    pub out_of_scope: u64,
    /// Inspectors in the pool.
    pub inspectors: usize,
    /// SHA-256 of the subject pool text, hex.
    pub subjects_sha256: String,
    /// The drand quicknet round fixed for the draw.
    pub round: u64,
    /// When that round is published.
    pub round_time: DateTime<Utc>,
    /// Reveals close here.
    pub reveal_deadline: DateTime<Utc>,
    /// Ledger positions appended.
    pub global_sequences: Vec<u64>,
    /// Where the risk classes came from when the rules take them from the credit
    /// evaluation (absent for the directory's classes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_basis: Option<CreditClassBasis>,
}

/// How far ahead of the freeze the default round lies: long enough for the
/// departments to reveal, short enough that the draw follows the same morning.
pub const DEFAULT_ROUND_DELAY: Duration = Duration::minutes(10);

/// Freezes the pool as of the Beijing date of now and fixes the drand round (`round`,
/// or the first round at least [`DEFAULT_ROUND_DELAY`] ahead); reveals close at
/// `reveal_deadline` (default: one minute before the round).
pub async fn freeze(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    round: Option<u64>,
    reveal_deadline: Option<DateTime<Utc>>,
) -> Result<Frozen, OpError> {
    let state = load(log, id).await?;
    match state.phase {
        Phase::Open => {}
        Phase::Frozen => return Err(refused(TaskError::AlreadyFrozen)),
        _ => return Err(refused(TaskError::AlreadyDrawn)),
    }
    let Some(task) = state.task.clone() else {
        return Err(OpError::NotFound(format!("no inspection task {id}")));
    };
    let now = clock.now();
    let as_of = beijing_date(now);
    let round = round.unwrap_or_else(|| {
        quicknet_first_round_at_or_after((now + DEFAULT_ROUND_DELAY).timestamp())
    });
    let round_time = quicknet_round_time(round)
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .ok_or_else(|| invalid(format!("round {round} has no publication time"), "round"))?;
    let reveal_deadline = reveal_deadline.unwrap_or(round_time - Duration::minutes(1));
    let (_, rules) = rules_version(log, Some(state.rules_version)).await?;
    let db = log.database();
    let history = inspection_history(db).await?;
    let basis = FreezeBasis {
        task_id: id,
        departments: &task.departments,
        scope: &state.scope,
        inspection_date: task.inspection_date,
        as_of,
        rules: &rules,
    };
    // The risk class of each subject: the directory's, or (rules permitting) the public
    // credit evaluation's on the freeze date from the credit facts known now.
    let source = rules.risk_class_source;
    let credit = match source {
        RiskClassSource::Directory => None,
        RiskClassSource::Credit | RiskClassSource::Stricter => {
            Some(crate::credit::credit_classes(log, as_of, now).await?)
        }
    };
    let mut reclassified = 0u64;
    let mut selection = SubjectSelection::default();
    each_subject_as_of(db, as_of, |mut s| {
        if let Some(credit) = &credit {
            let class = source.class_of(s.risk_class, credit.class_of(&s.uscc));
            if class != s.risk_class {
                s.risk_class = class;
                reclassified += 1;
            }
        }
        selection.consider(s, &basis, &history)
    })
    .await?;
    let credit_basis = credit.map(|c| CreditClassBasis {
        reclassified,
        ..c.basis
    });
    let selection = selection.finish();
    let inspectors = select_inspectors(&task.departments, inspectors_as_of(db, as_of).await?);
    let relationships = select_relationships(
        &selection.pool,
        &inspectors,
        relationships_as_of(db, as_of).await?,
    );
    let previous = previous_assignments(&basis, &selection.pool, &history);
    let mut drawn_task = task;
    drawn_task.beacon_round = round;
    let frozen = FrozenDraw {
        task: drawn_task,
        subjects: selection.pool,
        inspectors,
        relationships,
        previous,
        rules_version: state.rules_version,
        rules,
    };
    let problems = frozen.problems();
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(OpError::Refused(format!(
            "the pool cannot be frozen: {}",
            list.join("; ")
        )));
    }
    let texts = FrozenTexts::of(&frozen);
    let subjects_sha256 = hex::encode(texts.digests().subjects);
    let summary = Frozen {
        id,
        as_of,
        pool: frozen.subjects.len(),
        excluded: selection.excluded.len(),
        out_of_scope: selection.out_of_scope,
        inspectors: frozen.inspectors.len(),
        subjects_sha256,
        round,
        round_time,
        reveal_deadline,
        global_sequences: vec![],
        credit_basis: credit_basis.clone(),
    };
    let command = TaskCommand::FreezePool(FreezePool {
        texts,
        as_of,
        excluded: selection.excluded,
        beacon: BeaconSchedule {
            chain: QUICKNET_CHAIN_HASH.to_owned(),
            round,
        },
        reveal_deadline,
        credit_basis: credit_basis.clone(),
    });
    let global_sequences = execute(log, clock, actor, id, command).await?;
    Ok(Frozen {
        global_sequences,
        ..summary
    })
}

fn hex32(text: &str, what: &str) -> Result<[u8; 32], OpError> {
    let bytes = hex::decode(text.trim()).map_err(|e| {
        invalid(
            format!("{what}: not hexadecimal ({e}); expected 64 hex digits"),
            what,
        )
    })?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        invalid(
            format!("{what}: {} bytes; expected 32 (64 hex digits)", bytes.len()),
            what,
        )
    })
}

fn department(text: &str) -> Result<DepartmentCode, OpError> {
    DepartmentCode::parse(text).map_err(|e| invalid(e.to_string(), "department"))
}

/// The commitment of a department: given as such, or computed here from the secret
/// (which is then not recorded).
pub enum CommitmentInput<'a> {
    /// `SHA-256("jianxin-draw-commit-v1" || 0x00 || secret)`, hex.
    Commitment(&'a str),
    /// The secret, hex; only its commitment is recorded.
    Secret(&'a str),
}

/// Records a department's commitment (before the freeze).
pub async fn commit(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    dept: &str,
    input: CommitmentInput<'_>,
) -> Result<Vec<u64>, OpError> {
    load(log, id).await?;
    let commitment = match input {
        CommitmentInput::Commitment(hex) => hex32(hex, "commitment")?,
        CommitmentInput::Secret(hex) => commitment_of(&hex32(hex, "secret")?),
    };
    let command = TaskCommand::RecordCommitment(RecordCommitment {
        department: department(dept)?,
        commitment,
    });
    execute(log, clock, actor, id, command).await
}

/// Records a department's reveal (after the freeze, before the deadline, matching).
pub async fn reveal(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    dept: &str,
    secret: &str,
) -> Result<Vec<u64>, OpError> {
    load(log, id).await?;
    let command = TaskCommand::RecordReveal(RecordReveal {
        department: department(dept)?,
        secret: hex32(secret, "secret")?,
    });
    execute(log, clock, actor, id, command).await
}

/// Records the fixed drand round once published, verified against quicknet's key.
pub async fn beacon(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    round: u64,
    signature: &str,
) -> Result<Vec<u64>, OpError> {
    load(log, id).await?;
    let signature = hex::decode(signature.trim()).map_err(|e| {
        invalid(
            format!("signature: not hexadecimal ({e}); expected 96 hex digits (48 bytes)"),
            "signature",
        )
    })?;
    let command = TaskCommand::RecordBeacon(RecordBeacon { round, signature });
    execute(log, clock, actor, id, command).await
}

/// The frozen inputs of the task's current freeze, read back from its published texts.
pub fn frozen_inputs(state: &TaskState) -> Result<FrozenDraw, OpError> {
    let (Some(task), Some(freeze)) = (&state.task, &state.freeze) else {
        return Err(refused(TaskError::NotFrozen));
    };
    freeze
        .texts
        .to_frozen(task.clone(), state.rules_version)
        .map_err(|e| {
            OpError::Store(jianxin_projections::StoreError::Encoding(format!(
                "the published pool of task {} does not parse: {e}",
                task.task_id
            )))
        })
}

/// What a draw did.
#[derive(Debug, Clone, Serialize)]
pub struct DrawOutcome {
    /// The task.
    pub id: Uuid,
    /// `drawn` or `draw_failed`.
    pub status: &'static str,
    /// The draw's number.
    pub attempt: u32,
    /// The seed, hex (drawn only).
    pub seed: Option<String>,
    /// Subjects drawn, each with its team.
    pub teams: Vec<TeamOut>,
    /// Why the draw failed (failed only): one line per unstaffable subject.
    pub unstaffable: Vec<String>,
    /// Ledger positions appended.
    pub global_sequences: Vec<u64>,
}

/// A drawn subject and its team.
#[derive(Debug, Clone, Serialize)]
pub struct TeamOut {
    /// The subject.
    pub uscc: String,
    /// The team.
    pub inspectors: Vec<String>,
}

/// Runs the draw on the published pool, the recorded beacon and the reveals. An
/// unstaffable draw is recorded as failed (and reported as such, not as an error).
pub async fn run(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
) -> Result<DrawOutcome, OpError> {
    let state = load(log, id).await?;
    match state.phase {
        Phase::Frozen => {}
        Phase::Drawn | Phase::Failed => return Err(refused(TaskError::AlreadyDrawn)),
        _ => return Err(refused(TaskError::NotFrozen)),
    }
    let frozen = frozen_inputs(&state)?;
    let command = TaskCommand::RunDraw(RunDraw {
        frozen: Box::new(frozen),
    });
    let global_sequences = execute(log, clock, actor, id, command).await?;
    let after = load(log, id).await?;
    Ok(outcome(id, &after, global_sequences))
}

fn outcome(id: Uuid, state: &TaskState, global_sequences: Vec<u64>) -> DrawOutcome {
    let teams = state
        .drawn
        .as_ref()
        .map(|d| {
            d.teams
                .iter()
                .map(|t| TeamOut {
                    uscc: t.uscc.as_str().to_owned(),
                    inspectors: t.members.iter().map(|m| m.as_str().to_owned()).collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    DrawOutcome {
        id,
        status: state.phase.as_str(),
        attempt: state.attempts,
        seed: state.drawn.as_ref().map(|d| hex::encode(d.seed)),
        teams,
        unstaffable: vec![],
        global_sequences,
    }
}

/// The outcome of the task's last draw, with the failure's reasons when it failed.
pub async fn last_outcome(log: &EventLog, id: Uuid) -> Result<DrawOutcome, OpError> {
    let state = load(log, id).await?;
    let mut out = outcome(id, &state, vec![]);
    if state.phase == Phase::Failed {
        let events = crate::tasks::events_of(log, id).await?;
        if let Some(TaskEvent::DrawFailed { unstaffable, .. }) = events
            .iter()
            .rev()
            .find(|e| matches!(e, TaskEvent::DrawFailed { .. }))
        {
            out.unstaffable = unstaffable.iter().map(ToString::to_string).collect();
        }
    }
    Ok(out)
}

/// The task's events, in order.
pub async fn events_of(log: &EventLog, id: Uuid) -> Result<Vec<TaskEvent>, OpError> {
    use esrs::store::EventStore;
    let events = log
        .store::<InspectionTask>()
        .by_aggregate_id(id)
        .await?
        .into_iter()
        .map(|e| e.payload.event)
        .collect();
    Ok(events)
}

/// What a recusal did.
#[derive(Debug, Clone, Serialize)]
pub struct RecusalOutcome {
    /// The subject.
    pub uscc: String,
    /// Who recused.
    pub recused: String,
    /// Who replaces them (`None` when nobody could be drawn).
    pub replacement: Option<String>,
    /// Why nobody could be drawn, when so.
    pub unstaffable: Option<String>,
    /// Ledger positions appended.
    pub global_sequences: Vec<u64>,
}

/// An inspector's recusal (回避) from a subject, with the replacement drawn on the
/// published stream. `actor` must be the inspector (role inspector).
pub async fn recuse(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    uscc: &str,
    reason: &str,
) -> Result<RecusalOutcome, OpError> {
    let state = load(log, id).await?;
    let uscc = Uscc::parse(uscc).map_err(|e| invalid(e.to_string(), "uscc"))?;
    let inspector = InspectorId::parse(&actor.user).map_err(|e| invalid(e.to_string(), "actor"))?;
    let frozen = frozen_inputs(&state)?;
    let recorded =
        recorded_subjects(log.database(), &id.to_string(), i64::from(state.attempts)).await?;
    let command = TaskCommand::DeclareRecusal(DeclareRecusal {
        uscc: uscc.clone(),
        inspector: inspector.clone(),
        reason: reason.to_owned(),
        frozen: Box::new(frozen),
        result_recorded: recorded.iter().any(|r| r == uscc.as_str()),
    });
    let global_sequences = execute(log, clock, actor, id, command).await?;
    let events = events_of(log, id).await?;
    let (mut replacement, mut unstaffable) = (None, None);
    match events.last() {
        Some(TaskEvent::ReplacementDrawn { replacement: r, .. }) => {
            replacement = Some(r.as_str().to_owned())
        }
        Some(TaskEvent::ReplacementUnstaffable { unstaffable: u, .. }) => {
            unstaffable = Some(u.to_string())
        }
        _ => {}
    }
    Ok(RecusalOutcome {
        uscc: uscc.as_str().to_owned(),
        recused: inspector.as_str().to_owned(),
        replacement,
        unstaffable,
        global_sequences,
    })
}

/// Approves a redraw with its reason; the approver must not be the planner.
pub async fn redraw(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<Vec<u64>, OpError> {
    let state = load(log, id).await?;
    let recorded =
        recorded_subjects(log.database(), &id.to_string(), i64::from(state.attempts)).await?;
    let command = TaskCommand::ApproveRedraw(ApproveRedraw {
        reason: reason.to_owned(),
        results_recorded: recorded
            .iter()
            .filter_map(|u| Uscc::parse(u).ok())
            .collect(),
    });
    execute(log, clock, actor, id, command).await
}

/// Parses a task id.
pub fn task_id(text: &str) -> Result<Uuid, OpError> {
    Uuid::parse_str(text.trim()).map_err(|e| {
        invalid(
            format!("task id {text:?}: {e}; expected a UUID such as 0192f0c4-…"),
            "task",
        )
    })
}

/// The published bundle of a drawn task (docs/DRAW.md §12): its events with inclusion
/// proofs under a checkpoint signed now, and every file derived from them.
pub async fn bundle(
    log: &EventLog,
    signer: &jianxin_domain::integrity::NoteSigner,
    origin: &str,
    now: DateTime<Utc>,
    id: Uuid,
) -> Result<BTreeMap<String, Vec<u8>>, OpError> {
    use esrs::Aggregate;
    load(log, id).await?;
    let proofs = jianxin_projections::ledger::aggregate_proofs(
        log.database(),
        InspectionTask::NAME,
        id,
        signer,
        origin,
        now,
    )
    .await?;
    jianxin_domain::draw::bundle::build_bundle(
        &proofs.entries,
        &proofs.proofs,
        &proofs.checkpoint_note,
        &signer.verifier(),
    )
    .map_err(|e| OpError::Refused(e.to_string()))
}
