//! Events of the inspection task (stored contract: names never change). Byte strings are
//! written as lower-case hex, so a stored payload reads the same as the published bundle.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::directory::{DepartmentCode, IndustryCode, InspectorId, SubjectKind, Tag};
use crate::draw::{
    FrozenTexts, PoolDigests, RevealStatus, StratumResult, TaskItem, Team, Unstaffable,
};
use crate::event_log::DomainEvent;
use crate::identifiers::{RegionCode, Uscc};

use super::hex_serde::{hex32, hex_bytes};

/// The scope filter of a task (抽查范围): an empty set means "no filter on this field".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskScope {
    /// County-level regions the pool is taken from.
    pub regions: BTreeSet<RegionCode>,
    /// Subject kinds (an item may apply to enterprises only).
    pub kinds: BTreeSet<SubjectKind>,
    /// Industries (GB/T 4754).
    pub industries: BTreeSet<IndustryCode>,
    /// Supervision tags (监管标签).
    pub tags: BTreeSet<Tag>,
}

/// The SHA-256 digests of the frozen texts (docs/DRAW.md §2), published at the freeze:
/// a pool handed to the draw later must hash to exactly these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenDigests {
    /// Of the subject pool.
    #[serde(with = "hex32")]
    pub subjects: [u8; 32],
    /// Of the inspector pool.
    #[serde(with = "hex32")]
    pub inspectors: [u8; 32],
    /// Of the declared relationships.
    #[serde(with = "hex32")]
    pub relationships: [u8; 32],
    /// Of the previous draws' teams.
    #[serde(with = "hex32")]
    pub previous: [u8; 32],
    /// Of the rules text.
    #[serde(with = "hex32")]
    pub rules: [u8; 32],
}

impl From<&PoolDigests> for FrozenDigests {
    fn from(d: &PoolDigests) -> FrozenDigests {
        FrozenDigests {
            subjects: d.subjects,
            inspectors: d.inspectors,
            relationships: d.relationships,
            previous: d.previous,
            rules: d.rules,
        }
    }
}

/// A subject left out of the pool at the freeze, with its reason: nobody leaves a pool
/// without a logged reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The subject.
    pub uscc: Uscc,
    /// Why (e.g. `registered less than 6 months ago`).
    pub reason: String,
}

/// The randomness source fixed at the freeze: a drand chain and a round still in the
/// future, so nobody knows its value while the pool can still change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconSchedule {
    /// The chain hash (only quicknet is accepted).
    pub chain: String,
    /// The round.
    pub round: u64,
}

/// The credit facts the pool's risk classes were taken from, when the rules say
/// `risk_class_source` is `credit` or `stricter` (信用分类依据): the public credit
/// evaluation's rule, on the freeze date, from the credit facts up to this ledger
/// position as known at this instant. Anyone holding the log can recompute every class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditClassBasis {
    /// The evaluation rule, `credit-class-v1`.
    pub rule: String,
    /// The credit rule version in force (periods of the lists).
    pub credit_rule_version: String,
    /// The ledger position the facts were read at.
    pub log_seq: u64,
    /// What had been recorded by then.
    pub known_at: DateTime<Utc>,
    /// Subjects of the pool whose class differs from the directory's.
    pub reclassified: u64,
}

/// A department's commitment as published at the freeze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedCommitment {
    /// The department.
    pub department: DepartmentCode,
    /// `SHA-256("jianxin-draw-commit-v1" || 0x00 || secret)`.
    #[serde(with = "hex32")]
    pub commitment: [u8; 32],
}

/// What became of a commitment at draw time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevealOutcome {
    /// Revealed and matching: the secret entered the seed.
    Valid,
    /// Never revealed: written `-` in the seed; the draw went on without it.
    Missing,
    /// Revealed but not matching (never produced here: such reveals are refused).
    Invalid,
}

impl From<RevealStatus> for RevealOutcome {
    fn from(status: RevealStatus) -> RevealOutcome {
        match status {
            RevealStatus::Valid => RevealOutcome::Valid,
            RevealStatus::Missing => RevealOutcome::Missing,
            RevealStatus::Invalid => RevealOutcome::Invalid,
        }
    }
}

/// Events of an inspection task (抽查任务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum TaskEvent {
    /// The task was created (抽查任务已创建).
    TaskCreated {
        /// The task id (the aggregate id); its text is the draw's `task_id`.
        task_id: Uuid,
        /// 任务名称.
        title: String,
        /// The departments; two or more make a joint task (部门联合).
        departments: BTreeSet<DepartmentCode>,
        /// The inspection items with their department and required qualification.
        items: Vec<TaskItem>,
        /// The scope filter.
        scope: TaskScope,
        /// First day of the inspection window.
        window_from: NaiveDate,
        /// Last day of the inspection window.
        window_to: NaiveDate,
        /// The inspection date: certificates must be valid on it.
        inspection_date: NaiveDate,
        /// Inspectors per team.
        team_size: u32,
        /// The implementation rules version the draw uses.
        rules_version: u32,
    },
    /// A department published its commitment before the freeze (承诺值已登记).
    CommitmentRecorded {
        /// The department.
        department: DepartmentCode,
        /// The commitment.
        #[serde(with = "hex32")]
        commitment: [u8; 32],
    },
    /// The pool was frozen and published; the randomness source was fixed (名录已冻结).
    PoolFrozen {
        /// The digests of the frozen texts.
        digests: FrozenDigests,
        /// The frozen texts themselves (docs/DRAW.md §2), byte exact: the published pool.
        texts: FrozenTexts,
        /// The directory date the pool was computed from.
        as_of: NaiveDate,
        /// Subjects left out, each with its reason.
        excluded: Vec<Exclusion>,
        /// The chain and the future round whose randomness the draw will use.
        beacon: BeaconSchedule,
        /// When that round is published.
        round_time: DateTime<Utc>,
        /// Reveals are accepted strictly before this instant (before `round_time`).
        reveal_deadline: DateTime<Utc>,
        /// The commitments in force, by department.
        commitments: Vec<PublishedCommitment>,
        /// Where the credit classes came from (only with a credit risk-class source).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credit_basis: Option<Box<CreditClassBasis>>,
    },
    /// A department revealed its secret, matching its commitment (秘密值已揭示).
    RevealRecorded {
        /// The department.
        department: DepartmentCode,
        /// The secret.
        #[serde(with = "hex32")]
        secret: [u8; 32],
    },
    /// The fixed drand round was entered and verified (随机信标已登记).
    BeaconRecorded {
        /// The round.
        round: u64,
        /// Its BLS signature (48 bytes).
        #[serde(with = "hex_bytes")]
        signature: Vec<u8>,
        /// `SHA-256(signature)`.
        #[serde(with = "hex32")]
        randomness: [u8; 32],
    },
    /// Subjects and teams were drawn (双随机抽取完成).
    SubjectsDrawn {
        /// The draw's number within the task, from 1 (above 1 only after a redraw).
        attempt: u32,
        /// The seed, `SHA-256(seed_text)`.
        #[serde(with = "hex32")]
        seed: [u8; 32],
        /// The seed text (docs/DRAW.md §3.3), so anyone can hash it again.
        seed_text: String,
        /// Every stratum with its pool, quota, selection and reserve.
        strata: Vec<StratumResult>,
        /// One team per drawn subject, in selection order.
        teams: Vec<Team>,
        /// What became of each commitment, by department.
        reveals: Vec<(DepartmentCode, RevealOutcome)>,
    },
    /// The draw failed as a whole: some drawn subjects cannot be staffed (抽取失败).
    /// Nothing was drawn; no constraint was relaxed and no other seed tried.
    DrawFailed {
        /// The draw's number within the task.
        attempt: u32,
        /// Each unstaffable subject with the constraint that emptied its set.
        unstaffable: Vec<Unstaffable>,
    },
    /// An inspector declared a recusal from a subject (回避已申报).
    RecusalDeclared {
        /// The subject.
        uscc: Uscc,
        /// The inspector, who declared it themself.
        inspector: InspectorId,
        /// Why.
        reason: String,
        /// The recusal's number on this subject, from 1.
        number: u32,
    },
    /// The replacement was drawn on the stream `recusal/<uscc>/<n>` (替补已抽取).
    ReplacementDrawn {
        /// The subject.
        uscc: Uscc,
        /// Who recused.
        recused: InspectorId,
        /// Who takes their position.
        replacement: InspectorId,
        /// The recusal's number on this subject.
        number: u32,
    },
    /// No replacement could be drawn: the team stays one short (替补无法产生).
    ReplacementUnstaffable {
        /// Who recused.
        recused: InspectorId,
        /// The subject and the constraint that emptied the set.
        unstaffable: Unstaffable,
    },
    /// A redraw was approved with its reason (重新抽取已批准). The earlier draw stays in
    /// the history; a new freeze with a new future round must precede the new draw.
    RedrawApproved {
        /// Why.
        reason: String,
        /// The draw being set aside.
        attempt: u32,
    },
    /// The fixed round was published but not entered within the grace the scheduler
    /// allows (随机信标逾期未登记): the draw waits, and the delay is in the trail. The
    /// round can still be entered; its value was fixed before the freeze either way.
    BeaconOverdue {
        /// The round.
        round: u64,
        /// When it was published.
        round_time: DateTime<Utc>,
        /// The scheduled instant this fell due.
        due_at: DateTime<Utc>,
    },
}

impl DomainEvent for TaskEvent {}
