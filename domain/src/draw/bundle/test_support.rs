//! Builders for the bundle tests: an inspection task driven through its lifecycle by the
//! real aggregate on drand quicknet round 123, and a ledger that stores its events among
//! other aggregates' entries, with inclusion proofs and a signed checkpoint.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use esrs::Aggregate;
use serde_json::json;
use uuid::Uuid;

use crate::directory::RiskClass;
use crate::draw::beacon::QUICKNET_CHAIN_HASH;
use crate::draw::fixture::{
    department, golden_frozen, golden_secret, inspector, inspector_id, subject, uscc,
    ROUND_123_SIGNATURE,
};
use crate::draw::{commitment_of, FrozenDraw, FrozenTexts};
use crate::event_log::{format_micros, Actor, CommandMeta, Issued, LedgerEntry, Recorded, Role};
use crate::integrity::{
    inclusion_proof, leaf_hash, sign_checkpoint, Checkpoint, InclusionProof, NoteSigner,
    NoteVerifier, TreeBuilder,
};
use crate::task::{
    ApproveRedraw, BeaconSchedule, CreateTask, DeclareRecusal, Exclusion, FreezePool,
    InspectionTask, RecordBeacon, RecordCommitment, RecordReveal, RunDraw, TaskCommand, TaskEvent,
    TaskScope, TaskState,
};

use super::build_bundle;

/// Round 123's publication time.
const ROUND_TIME: i64 = 1_692_803_733;
/// The freeze's clock, before round 123.
const BEFORE: i64 = ROUND_TIME - 33;
/// After round 123.
const AFTER: i64 = ROUND_TIME + 60;

pub(super) const TASK_ID: Uuid = Uuid::from_u128(0x6a78_7461_736b_4000_8000_0000_0000_00b1);

pub(super) type Events = Vec<Recorded<TaskEvent>>;

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap()
}

fn planner() -> Actor {
    Actor::new("planner-1", Role::Planner)
}

/// Handles `command` on the state after `history` and appends its events.
pub(super) fn when(history: &mut Events, command: TaskCommand, actor: Actor, unix: i64) {
    let state = history
        .iter()
        .cloned()
        .fold(TaskState::default(), InspectionTask::apply_event);
    let id = Uuid::from_u128(0x1000 + history.len() as u128);
    let meta = CommandMeta::new(id, actor, at(unix));
    let events = InspectionTask::handle_command(&state, Issued { meta, command })
        .unwrap_or_else(|e| panic!("command refused: {e}"));
    history.extend(events);
}

/// The golden pool (docs/DRAW.md §11.2) under this task's id, with a workload cap of
/// 10 so that any seed staffs it.
pub(super) fn golden_pool() -> FrozenDraw {
    let mut frozen = golden_frozen();
    frozen.task.task_id = TASK_ID.hyphenated().to_string();
    frozen.rules.workload_cap_per_task = 10;
    frozen
}

/// A one-department pool with two inspectors: every team is both of them, so a
/// recusal cannot be replaced.
pub(super) fn tiny_pool() -> FrozenDraw {
    let mut frozen = golden_pool();
    frozen.task.departments = [department("SCJG")].into();
    frozen
        .task
        .items
        .retain(|i| i.department.as_str() == "SCJG");
    frozen.task.team_size = 2;
    frozen.subjects = vec![
        subject(1, "330102", RiskClass::D),
        subject(2, "330102", RiskClass::D),
    ];
    frozen.inspectors = vec![
        inspector("SCJG-01", "SCJG", &[]),
        inspector("SCJG-02", "SCJG", &[]),
    ];
    frozen.relationships.clear();
    frozen.previous.clear();
    frozen
}

fn create(pool: &FrozenDraw) -> TaskCommand {
    TaskCommand::Create(CreateTask {
        task_id: TASK_ID,
        title: "2026年\"食品, 安全生产\"联合抽查".into(),
        departments: pool.task.departments.clone(),
        items: pool.task.items.clone(),
        scope: TaskScope::default(),
        window_from: pool.task.inspection_date - chrono::Days::new(14),
        window_to: pool.task.inspection_date + chrono::Days::new(15),
        inspection_date: pool.task.inspection_date,
        team_size: pool.task.team_size,
        rules_version: pool.rules_version,
    })
}

/// Commitments of every department, the freeze at `unix`, SCJG's reveal (the others
/// never reveal), the beacon and the draw.
fn freeze_and_draw(history: &mut Events, pool: &FrozenDraw, unix: i64, after: i64) {
    for d in &pool.task.departments {
        let commit = TaskCommand::RecordCommitment(RecordCommitment {
            department: d.clone(),
            commitment: commitment_of(&golden_secret(d.as_str())),
        });
        when(history, commit, planner(), unix - 10);
    }
    let freeze = TaskCommand::FreezePool(FreezePool {
        texts: FrozenTexts::of(pool),
        as_of: pool.task.inspection_date - chrono::Days::new(30),
        excluded: vec![
            Exclusion {
                uscc: uscc(99),
                reason: "registered less than 6 months ago".into(),
            },
            Exclusion {
                uscc: uscc(98),
                reason: "inspected by SCJG on 2026-03-02, within 12 months".into(),
            },
        ],
        beacon: BeaconSchedule {
            chain: QUICKNET_CHAIN_HASH.into(),
            round: 123,
        },
        reveal_deadline: at(ROUND_TIME - 10),
        credit_basis: None,
    });
    when(history, freeze, planner(), unix);
    let reveal = TaskCommand::RecordReveal(RecordReveal {
        department: department("SCJG"),
        secret: golden_secret("SCJG"),
    });
    when(history, reveal, planner(), unix + 5);
    let beacon = TaskCommand::RecordBeacon(RecordBeacon {
        round: 123,
        signature: hex::decode(ROUND_123_SIGNATURE).unwrap(),
    });
    when(history, beacon, planner(), after);
    let run = TaskCommand::RunDraw(RunDraw {
        frozen: Box::new(pool.clone()),
    });
    when(history, run, planner(), after + 1);
}

/// The current teams after `history`.
pub(super) fn teams(history: &Events) -> Vec<crate::draw::Team> {
    let state = history
        .iter()
        .cloned()
        .fold(TaskState::default(), InspectionTask::apply_event);
    state.drawn.map(|d| d.teams).unwrap_or_default()
}

/// `inspector` recuses from `uscc`.
pub(super) fn recuse(
    history: &mut Events,
    pool: &FrozenDraw,
    uscc: &crate::identifiers::Uscc,
    who: &str,
) {
    let command = TaskCommand::DeclareRecusal(DeclareRecusal {
        uscc: uscc.clone(),
        inspector: inspector_id(who),
        reason: format!("{who}: 配偶在该企业任职, \"利害关系\""),
        frozen: Box::new(pool.clone()),
        result_recorded: false,
    });
    when(
        history,
        command,
        Actor::new(who, Role::Inspector),
        AFTER + 100,
    );
}

/// Created, frozen, drawn on the golden pool; then two recusals on the first team.
pub(super) fn drawn_with_recusals() -> (Events, FrozenDraw) {
    let pool = golden_pool();
    let mut history = Vec::new();
    when(&mut history, create(&pool), planner(), BEFORE - 100);
    freeze_and_draw(&mut history, &pool, BEFORE, AFTER);
    let first = teams(&history)[0].clone();
    recuse(&mut history, &pool, &first.uscc, first.members[0].as_str());
    recuse(&mut history, &pool, &first.uscc, first.members[1].as_str());
    (history, pool)
}

/// Created and drawn on the tiny pool; a recusal that cannot be replaced.
pub(super) fn unstaffable_recusal() -> Events {
    let pool = tiny_pool();
    let mut history = Vec::new();
    when(&mut history, create(&pool), planner(), BEFORE - 100);
    freeze_and_draw(&mut history, &pool, BEFORE, AFTER);
    let first = teams(&history)[0].clone();
    recuse(&mut history, &pool, &first.uscc, first.members[0].as_str());
    history
}

/// Drawn, then a redraw approved and a second attempt drawn on a smaller pool. Only a
/// test can freeze before round 123 a second time: the clock is the command's.
pub(super) fn redrawn() -> (Events, FrozenDraw) {
    let (mut history, pool) = drawn_with_recusals();
    let approve = TaskCommand::ApproveRedraw(ApproveRedraw {
        reason: "第12号企业在冻结后注销".into(),
        results_recorded: vec![],
    });
    when(
        &mut history,
        approve,
        Actor::new("supervisor-1", Role::Supervisor),
        AFTER + 200,
    );
    let mut second = pool;
    second.subjects.retain(|s| s.uscc != uscc(12));
    second.relationships.retain(|r| r.uscc != uscc(12));
    freeze_and_draw(&mut history, &second, BEFORE + 1, AFTER + 300);
    (history, second)
}

/// What [`build_bundle`] takes: the task's entries, one proof each, the checkpoint note.
pub(super) type Publication = (Vec<(u64, Vec<u8>)>, Vec<InclusionProof>, String);

/// A log holding `history` as the task's entries among other aggregates' entries.
pub(super) struct Ledger {
    /// Every entry's canonical bytes; entry `i` has global sequence `i + 1`.
    pub entries: Vec<Vec<u8>>,
    /// Global sequences of the task's entries.
    pub task: Vec<u64>,
}

impl Ledger {
    pub fn of(history: &Events) -> Ledger {
        let mut ledger = Ledger {
            entries: Vec::new(),
            task: Vec::new(),
        };
        for _ in 0..3 {
            ledger.foreign();
        }
        for (index, recorded) in history.iter().enumerate() {
            let sequence = ledger.entries.len() as u64 + 1;
            let entry = LedgerEntry {
                global_sequence: sequence,
                event_id: Uuid::from_u128(0xe000 + u128::from(sequence)),
                aggregate_type: "inspection_task".into(),
                aggregate_id: TASK_ID,
                aggregate_sequence: index as u64 + 1,
                occurred_on: format_micros(&recorded.recorded_at),
                store_version: None,
                payload: recorded.to_payload().unwrap(),
            };
            ledger.entries.push(entry.canonical_bytes().unwrap());
            ledger.task.push(sequence);
            if index % 4 == 3 {
                ledger.foreign();
            }
        }
        ledger.foreign();
        ledger
    }

    fn foreign(&mut self) {
        let sequence = self.entries.len() as u64 + 1;
        let entry = LedgerEntry {
            global_sequence: sequence,
            event_id: Uuid::from_u128(0xf000 + u128::from(sequence)),
            aggregate_type: "subject".into(),
            aggregate_id: Uuid::from_u128(0xabc),
            aggregate_sequence: sequence,
            occurred_on: "2026-05-01T08:00:00.000000Z".into(),
            store_version: None,
            payload: json!({"event_type": "SubjectRecorded", "n": sequence}),
        };
        self.entries.push(entry.canonical_bytes().unwrap());
    }

    /// The task's entries, their proofs and a checkpoint of the whole log.
    pub fn publish(&self, signer: &NoteSigner) -> Publication {
        let leaves: Vec<_> = self.entries.iter().map(|e| leaf_hash(e)).collect();
        let mut tree = TreeBuilder::new();
        for leaf in &leaves {
            tree.push(leaf).unwrap();
        }
        let size = leaves.len() as u64;
        let checkpoint = Checkpoint::new("jianxin.test/log", size, tree.root(), at(AFTER + 400));
        let note = sign_checkpoint(&checkpoint.unwrap(), signer).unwrap();
        let entries = self
            .task
            .iter()
            .map(|s| (*s, self.entries[*s as usize - 1].clone()))
            .collect();
        let proofs = self
            .task
            .iter()
            .map(|s| {
                let path = inclusion_proof(&leaves, s - 1).unwrap();
                InclusionProof::new(s - 1, size, &path)
            })
            .collect();
        (entries, proofs, note)
    }
}

pub(super) fn signer(name: &str, byte: u8) -> NoteSigner {
    NoteSigner::generate(name, |seed| seed.fill(byte)).unwrap()
}

/// The bundle of `history`, signed by `signer`.
pub(super) fn bundle_of(history: &Events, signer: &NoteSigner) -> BTreeMap<String, Vec<u8>> {
    let (entries, proofs, note) = Ledger::of(history).publish(signer);
    let verifier: NoteVerifier = signer.verifier();
    build_bundle(&entries, &proofs, &note, &verifier).unwrap()
}
