//! Events of an enforcement case (stored contract: names never change). The actor and
//! the time of each step are in the envelope ([`crate::event_log::Recorded`]).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event_log::DomainEvent;

use super::rules::{CaseRules, PenaltyRange, Tier};

/// Which deadline an extension moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The filing deadline (立案期限).
    Filing,
    /// The decision deadline (作出决定期限).
    Decision,
}

/// A deadline the scheduler watches (期限), by the step that must come before it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// File the case (立案期限).
    Filing,
    /// The party's window to ask for a hearing (听证申请期限).
    HearingRequest,
    /// Decide (作出决定期限).
    Decision,
    /// Serve the decision (送达期限).
    Service,
}

impl DeadlineKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Filing => "filing",
            DeadlineKind::HearingRequest => "hearing_request",
            DeadlineKind::Decision => "decision",
            DeadlineKind::Service => "service",
        }
    }
}

/// What was decided (处罚决定).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// A penalty (行政处罚).
    Penalty {
        /// The violation code of the benchmark.
        violation: String,
        /// The tier.
        tier: Tier,
        /// The fine in whole yuan.
        amount_yuan: u64,
        /// The tier's range under the case's rules.
        range: PenaltyRange,
        /// Why the amount is outside the range; required then, recorded always.
        #[serde(default)]
        reason: Option<String>,
    },
    /// No penalty for a first minor violation (首违不罚).
    NoPenalty {
        /// The violation code.
        violation: String,
        /// Why.
        reason: String,
    },
}

/// Events of an enforcement case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum CaseEvent {
    /// A clue was registered (线索登记).
    CaseOpened {
        /// What the clue says.
        clue: String,
        /// The subject concerned (USCC or name), when known.
        #[serde(default)]
        subject: Option<String>,
        /// The day the clue was received: the filing deadline counts from it.
        clue_received: NaiveDate,
        /// The whole rule version the case runs under.
        rules: CaseRules,
        /// File by this day.
        filing_deadline: NaiveDate,
    },
    /// A deadline was extended with approval (延期审批).
    DeadlineExtended {
        /// Which deadline.
        stage: Stage,
        /// The new deadline.
        deadline: NaiveDate,
        /// Why.
        reason: String,
    },
    /// The case was filed (立案).
    CaseFiled {
        /// The day of filing.
        filed_on: NaiveDate,
        /// The filing deadline it had.
        filing_deadline: NaiveDate,
        /// Decide by this day.
        decision_deadline: NaiveDate,
    },
    /// A piece of evidence was collected (调查取证).
    EvidenceCollected {
        /// A name for people.
        name: String,
        /// SHA-256 of the file, lower-case hex.
        sha256: String,
        /// The officer who collected it.
        collected_by: String,
        /// The day collected.
        collected_on: NaiveDate,
        /// The officers present (at least 2 by law; fewer is recorded and flagged).
        officers_present: BTreeSet<String>,
    },
    /// The notice of intended penalty was given (告知).
    PenaltyNoticeGiven {
        /// The day of the notice.
        noticed_on: NaiveDate,
        /// The party may ask for a hearing up to this day.
        hearing_request_deadline: NaiveDate,
    },
    /// The party's statement and defence was recorded (陈述申辩).
    StatementRecorded {
        /// A summary.
        summary: String,
    },
    /// The party asked for a hearing (听证申请).
    HearingRequested {
        /// The day of the request.
        requested_on: NaiveDate,
        /// The day it was due.
        deadline: NaiveDate,
    },
    /// The hearing was held (听证).
    HearingHeld {
        /// The day held.
        held_on: NaiveDate,
    },
    /// The legal review was completed (法制审核).
    LegalReviewCompleted {
        /// The reviewer's opinion.
        opinion: String,
    },
    /// The decision was made (决定).
    CaseDecided {
        /// What was decided.
        outcome: Outcome,
        /// Whether the rules make it a major decision (legal review required).
        major: bool,
        /// The day decided.
        decided_on: NaiveDate,
        /// The decision deadline it had.
        decision_deadline: NaiveDate,
        /// Serve by this day.
        service_deadline: NaiveDate,
    },
    /// The decision was served on the party (送达).
    DecisionServed {
        /// The day served.
        served_on: NaiveDate,
        /// The service deadline it had.
        service_deadline: NaiveDate,
    },
    /// The decision was executed (执行).
    DecisionExecuted {
        /// How (paid, enforced …).
        note: String,
    },
    /// The case was closed (结案).
    CaseClosed,
    /// The case was withdrawn before a decision (撤销立案/不予立案).
    CaseWithdrawn {
        /// Why.
        reason: String,
    },
    /// A deadline ended with its step not taken (期限届满), flagged by the scheduler.
    DeadlineReached {
        /// Which deadline.
        deadline: DeadlineKind,
        /// Its last day.
        due_on: NaiveDate,
        /// The scheduled instant this fell due (the next day's first instant, CST).
        due_at: DateTime<Utc>,
    },
    /// An open deadline was counted anew on a newly loaded working calendar (期限重算);
    /// the earlier day stays in the log.
    DeadlineRecounted {
        /// Which deadline.
        deadline: DeadlineKind,
        /// The last day it had.
        previous: NaiveDate,
        /// The last day it has now.
        due_on: NaiveDate,
        /// The version (content digest) of the calendar that moved it.
        calendar_version: String,
    },
}

impl DomainEvent for CaseEvent {}

impl CaseEvent {
    /// The stored event type name.
    pub fn name(&self) -> &'static str {
        match self {
            CaseEvent::CaseOpened { .. } => "CaseOpened",
            CaseEvent::DeadlineExtended { .. } => "DeadlineExtended",
            CaseEvent::CaseFiled { .. } => "CaseFiled",
            CaseEvent::EvidenceCollected { .. } => "EvidenceCollected",
            CaseEvent::PenaltyNoticeGiven { .. } => "PenaltyNoticeGiven",
            CaseEvent::StatementRecorded { .. } => "StatementRecorded",
            CaseEvent::HearingRequested { .. } => "HearingRequested",
            CaseEvent::HearingHeld { .. } => "HearingHeld",
            CaseEvent::LegalReviewCompleted { .. } => "LegalReviewCompleted",
            CaseEvent::CaseDecided { .. } => "CaseDecided",
            CaseEvent::DecisionServed { .. } => "DecisionServed",
            CaseEvent::DecisionExecuted { .. } => "DecisionExecuted",
            CaseEvent::CaseClosed => "CaseClosed",
            CaseEvent::CaseWithdrawn { .. } => "CaseWithdrawn",
            CaseEvent::DeadlineReached { .. } => "DeadlineReached",
            CaseEvent::DeadlineRecounted { .. } => "DeadlineRecounted",
        }
    }

    /// The position of the step in the lawful order (程序顺序); `None` for side paths
    /// that may come at any time.
    pub fn rank(&self) -> Option<u8> {
        Some(match self {
            CaseEvent::CaseOpened { .. } => 0,
            CaseEvent::CaseFiled { .. } => 1,
            CaseEvent::EvidenceCollected { .. } => 2,
            CaseEvent::PenaltyNoticeGiven { .. } => 3,
            CaseEvent::StatementRecorded { .. }
            | CaseEvent::HearingRequested { .. }
            | CaseEvent::HearingHeld { .. } => 4,
            CaseEvent::LegalReviewCompleted { .. } => 5,
            CaseEvent::CaseDecided { .. } => 6,
            CaseEvent::DecisionServed { .. } => 7,
            CaseEvent::DecisionExecuted { .. } => 8,
            CaseEvent::CaseClosed => 9,
            CaseEvent::DeadlineExtended { .. }
            | CaseEvent::CaseWithdrawn { .. }
            | CaseEvent::DeadlineReached { .. }
            | CaseEvent::DeadlineRecounted { .. } => return None,
        })
    }
}
