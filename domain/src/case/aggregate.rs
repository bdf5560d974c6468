//! The enforcement-case aggregate: commands, state, refusals. What the law forbids is
//! refused here; what the supervisor must see is recorded and found by
//! [`super::deviations`].

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::WorkingCalendar;
use crate::event_log::{Issued, Recorded, Role};

use super::events::{CaseEvent, DeadlineKind, Outcome, Stage};
use super::rules::{CaseRules, Tier};

/// One step of a case, as issued (办案步骤).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStep {
    /// Register a clue (登记线索); by a case officer.
    Open {
        /// What the clue says.
        clue: String,
        /// The subject, when known.
        subject: Option<String>,
        /// The day received.
        clue_received: NaiveDate,
        /// The rule version the case runs under.
        rules: CaseRules,
    },
    /// Approve an extension (批准延期); by the approving officer.
    Extend {
        /// Which deadline.
        stage: Stage,
        /// Why.
        reason: String,
    },
    /// File the case (立案); by a case officer.
    File,
    /// Record a piece of evidence (调查取证); by a case officer.
    CollectEvidence {
        /// A name for people.
        name: String,
        /// SHA-256, lower-case hex.
        sha256: String,
        /// The officers present, the actor among them.
        officers_present: BTreeSet<String>,
    },
    /// Give the notice of intended penalty (告知); by a case officer.
    GiveNotice,
    /// Record the statement and defence (陈述申辩); by a case officer.
    RecordStatement {
        /// A summary.
        summary: String,
    },
    /// Record the party's hearing request (听证申请); by a case officer.
    RequestHearing,
    /// Record that the hearing was held (听证); by a case officer.
    HoldHearing,
    /// Complete the legal review (法制审核); by the approving officer.
    ReviewLegally {
        /// The opinion.
        opinion: String,
    },
    /// Decide (作出决定); by the approving officer.
    Decide {
        /// The violation code of the benchmark.
        violation: String,
        /// The tier.
        tier: Tier,
        /// The fine in whole yuan; `None`: no penalty (首违不罚, minor tier only).
        amount_yuan: Option<u64>,
        /// Why: required outside the range and for no penalty.
        reason: Option<String>,
    },
    /// Serve the decision (送达); by a case officer.
    Serve,
    /// Record the execution (执行); by a case officer.
    Execute {
        /// How.
        note: String,
    },
    /// Close the case (结案); by a case officer.
    Close,
    /// Withdraw the case before a decision (撤销); by the approving officer.
    Withdraw {
        /// Why.
        reason: String,
    },
    /// Flag a deadline that ended with its step not taken (期限届满); by the system
    /// (the scheduler).
    FlagDeadline {
        /// Which deadline.
        deadline: DeadlineKind,
        /// The scheduled instant it fell due.
        due_at: DateTime<Utc>,
    },
    /// Count the open deadlines anew on the command's calendar, a newly loaded version
    /// (期限重算); by the administrator who loaded it, or the system. Each one that moves
    /// is recorded with the calendar version; refused when none moves.
    RecountDeadlines {
        /// The version (content digest) of the calendar.
        calendar_version: String,
    },
}

/// A case command: the step and the working calendar in force, which the caller
/// loads (deadlines in working days are counted on it).
#[derive(Debug, Clone)]
pub struct CaseCommand {
    /// The step.
    pub step: CaseStep,
    /// The calendar in force.
    pub calendar: Arc<WorkingCalendar>,
}

/// Where a case stands (案件状态).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Nothing recorded.
    #[default]
    None,
    /// A clue, not filed yet (线索).
    Clue,
    /// Filed (已立案).
    Filed,
    /// Investigating: evidence collected (调查取证).
    Investigating,
    /// Notice given (已告知).
    Noticed,
    /// Decided (已决定).
    Decided,
    /// Served (已送达).
    Served,
    /// Executed (已执行).
    Executed,
    /// Closed (已结案).
    Closed,
    /// Withdrawn (已撤销).
    Withdrawn,
}

impl CaseStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::None => "none",
            CaseStatus::Clue => "clue",
            CaseStatus::Filed => "filed",
            CaseStatus::Investigating => "investigating",
            CaseStatus::Noticed => "noticed",
            CaseStatus::Decided => "decided",
            CaseStatus::Served => "served",
            CaseStatus::Executed => "executed",
            CaseStatus::Closed => "closed",
            CaseStatus::Withdrawn => "withdrawn",
        }
    }
}

/// What a case remembers (folded from its events).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseState {
    /// Where it stands.
    pub status: CaseStatus,
    /// The rule version, once opened.
    pub rules: Option<CaseRules>,
    /// The officer who registered the clue.
    pub officer: Option<String>,
    /// The clue was registered by the system (a result's transfer to case handling): the
    /// system may then also withdraw it when that result is corrected.
    #[serde(skip)]
    pub opened_by_system: bool,
    /// When the clue was registered.
    pub opened_at: Option<DateTime<Utc>>,
    /// The subject.
    pub subject: Option<String>,
    /// The day the clue was received.
    pub clue_received: Option<NaiveDate>,
    /// The filing deadline in force.
    pub filing_deadline: Option<NaiveDate>,
    /// The day filed.
    pub filed_on: Option<NaiveDate>,
    /// The decision deadline in force.
    pub decision_deadline: Option<NaiveDate>,
    /// Deadlines extended already (once each).
    pub extended: BTreeSet<Stage>,
    /// Every officer who collected or witnessed evidence (调查人员).
    pub investigators: BTreeSet<String>,
    /// Evidence hashes, in order.
    pub evidence: Vec<String>,
    /// The day of the notice.
    pub noticed_on: Option<NaiveDate>,
    /// The hearing-request deadline.
    pub hearing_request_deadline: Option<NaiveDate>,
    /// A hearing was requested.
    pub hearing_requested: bool,
    /// A hearing was held.
    pub hearing_held: bool,
    /// The legal review was completed.
    pub legally_reviewed: bool,
    /// The decision.
    pub outcome: Option<Outcome>,
    /// The day decided: the service deadline is counted from it.
    #[serde(skip)]
    pub decided_on: Option<NaiveDate>,
    /// The service deadline.
    pub service_deadline: Option<NaiveDate>,
    /// The day served.
    pub served_on: Option<NaiveDate>,
    /// How many events.
    pub events: u64,
    /// Deadlines flagged as ended with their step not taken, with their last day.
    pub deadlines_reached: BTreeSet<(DeadlineKind, NaiveDate)>,
}

impl CaseState {
    /// The last day of deadline `kind` if it is still open: its step not yet taken,
    /// the case neither closed nor withdrawn, and not flagged for that day already.
    pub fn open_deadline(&self, kind: DeadlineKind) -> Option<NaiveDate> {
        if matches!(self.status, CaseStatus::Closed | CaseStatus::Withdrawn) {
            return None;
        }
        let decided = self.outcome.is_some();
        let due = match kind {
            DeadlineKind::Filing if self.filed_on.is_none() => self.filing_deadline,
            DeadlineKind::HearingRequest if !self.hearing_requested && !decided => {
                self.hearing_request_deadline
            }
            DeadlineKind::Decision if self.filed_on.is_some() && !decided => self.decision_deadline,
            DeadlineKind::Service if decided && self.served_on.is_none() => self.service_deadline,
            _ => None,
        }?;
        (!self.deadlines_reached.contains(&(kind, due))).then_some(due)
    }

    /// The open deadlines that `calendar` counts differently from the day each is
    /// counted from, under the case's rules (extensions included): `(which, stored,
    /// counted)`. What [`CaseStep::RecountDeadlines`] records.
    pub fn recounted_deadlines(
        &self,
        calendar: &WorkingCalendar,
    ) -> Vec<(DeadlineKind, NaiveDate, NaiveDate)> {
        let Some(rules) = &self.rules else {
            return vec![];
        };
        let d = &rules.deadlines;
        let counts = [
            (
                DeadlineKind::Filing,
                &d.filing,
                self.clue_received,
                Stage::Filing,
            ),
            (
                DeadlineKind::HearingRequest,
                &d.hearing_request,
                self.noticed_on,
                Stage::Filing,
            ),
            (
                DeadlineKind::Decision,
                &d.decision,
                self.filed_on,
                Stage::Decision,
            ),
            (
                DeadlineKind::Service,
                &d.service,
                self.decided_on,
                Stage::Filing,
            ),
        ];
        let mut out = vec![];
        for (kind, rule, from, stage) in counts {
            let (Some(stored), Some(from)) = (self.open_deadline(kind), from) else {
                continue;
            };
            let extendable = matches!(kind, DeadlineKind::Filing | DeadlineKind::Decision);
            let extended = extendable && self.extended.contains(&stage);
            if let Ok(counted) = rule.due(calendar, from, extended) {
                if counted != stored {
                    out.push((kind, stored, counted));
                }
            }
        }
        out
    }
}

/// Why a case command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The actor's role may not take this step (403).
    #[error("{role} may not {step}; it is a step for the {needed}")]
    WrongRole {
        /// The actor's role.
        role: Role,
        /// The step.
        step: &'static str,
        /// Who may.
        needed: &'static str,
    },
    /// The case is opened already (409).
    #[error("the case is opened already")]
    AlreadyOpened,
    /// No clue is registered under this id (404).
    #[error("no case is opened under this id")]
    NotOpened,
    /// The step needs an earlier one the law requires first (409).
    #[error("cannot {step} yet: {needs}")]
    OutOfOrder {
        /// The step.
        step: &'static str,
        /// What must come first.
        needs: &'static str,
    },
    /// The case is closed or withdrawn (409).
    #[error("the case is {0}; no further step")]
    Ended(&'static str),
    /// The deadline was extended already (409).
    #[error("the {0:?} deadline was extended already; one extension each")]
    AlreadyExtended(Stage),
    /// Invalid input (422), with its field.
    #[error("{field}: {what}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong and what was expected.
        what: String,
    },
    /// A deadline cannot be counted (422): the calendar does not cover it.
    #[error("cannot count the {which} deadline: {why}")]
    Deadline {
        /// Which deadline.
        which: &'static str,
        /// Why.
        why: String,
    },
}

fn invalid(field: &str, what: impl Into<String>) -> CaseError {
    CaseError::Invalid {
        field: field.into(),
        what: what.into(),
    }
}

/// The Beijing date of `at`: case deadlines are days in China.
pub fn beijing_date(at: DateTime<Utc>) -> NaiveDate {
    crate::calendar::china_date(at)
}

fn non_empty(field: &str, text: &str) -> Result<(), CaseError> {
    if let Some(e) = crate::directory::format_character_error(text) {
        return Err(invalid(field, e.to_string()));
    }
    if text.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if text.chars().count() > 2000 {
        return Err(invalid(field, "at most 2000 characters"));
    }
    Ok(())
}

/// The esrs aggregate of an enforcement case (行政处罚案件).
pub struct EnforcementCase;

impl CaseStep {
    /// The step's name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            CaseStep::Open { .. } => "open the case",
            CaseStep::Extend { .. } => "extend a deadline",
            CaseStep::File => "file the case",
            CaseStep::CollectEvidence { .. } => "collect evidence",
            CaseStep::GiveNotice => "give the notice",
            CaseStep::RecordStatement { .. } => "record the statement",
            CaseStep::RequestHearing => "record a hearing request",
            CaseStep::HoldHearing => "hold the hearing",
            CaseStep::ReviewLegally { .. } => "complete the legal review",
            CaseStep::Decide { .. } => "decide",
            CaseStep::Serve => "serve the decision",
            CaseStep::Execute { .. } => "record the execution",
            CaseStep::Close => "close the case",
            CaseStep::Withdraw { .. } => "withdraw the case",
            CaseStep::FlagDeadline { .. } => "flag a deadline",
            CaseStep::RecountDeadlines { .. } => "recount the deadlines",
        }
    }

    /// The role that takes the step.
    pub fn role(&self) -> Role {
        match self {
            CaseStep::Extend { .. }
            | CaseStep::ReviewLegally { .. }
            | CaseStep::Decide { .. }
            | CaseStep::Withdraw { .. } => Role::ApprovingOfficer,
            CaseStep::FlagDeadline { .. } => Role::System,
            CaseStep::RecountDeadlines { .. } => Role::Admin,
            _ => Role::CaseOfficer,
        }
    }
}

fn deadline(which: &'static str, r: Result<NaiveDate, String>) -> Result<NaiveDate, CaseError> {
    r.map_err(|why| CaseError::Deadline { which, why })
}

fn handle(state: &CaseState, issued: Issued<CaseCommand>) -> Result<Vec<CaseEvent>, CaseError> {
    let meta = &issued.meta;
    let CaseCommand { step, calendar } = issued.command;
    let needed = step.role();
    // a clue may also be registered by the system, from an inspection result whose
    // follow-up is a transfer to case handling (issue 6)
    let system_clue = matches!(step, CaseStep::Open { .. }) && meta.actor.role == Role::System;
    // and deadlines are recounted by whoever loads a calendar, or by the system
    let system_recount =
        matches!(step, CaseStep::RecountDeadlines { .. }) && meta.actor.role == Role::System;
    // and a clue the system registered from a result is withdrawn by it when a
    // correction of that result removes its ground (issue 28)
    let system_withdraw = matches!(step, CaseStep::Withdraw { .. })
        && meta.actor.role == Role::System
        && state.opened_by_system;
    if meta.actor.role != needed && !system_clue && !system_recount && !system_withdraw {
        return Err(CaseError::WrongRole {
            role: meta.actor.role,
            step: step.name(),
            needed: match needed {
                Role::ApprovingOfficer => "approving officer (审批负责人)",
                Role::System => "system (the scheduler)",
                Role::Admin => "administrator who loads the calendar, or the system",
                _ => "case officer (执法办案人员)",
            },
        });
    }
    let today = beijing_date(meta.issued_at);
    let step_name = step.name();
    let out_of_order = |needs| CaseError::OutOfOrder {
        step: step_name,
        needs,
    };
    if let CaseStep::Open {
        clue,
        subject,
        clue_received,
        rules,
    } = step
    {
        if state.status != CaseStatus::None {
            return Err(CaseError::AlreadyOpened);
        }
        non_empty("clue", &clue)?;
        if clue_received > today {
            return Err(invalid(
                "clue_received",
                format!("{clue_received} is after today {today}"),
            ));
        }
        let filing_deadline = deadline(
            "filing",
            rules.deadlines.filing.due(&calendar, clue_received, false),
        )?;
        return Ok(vec![CaseEvent::CaseOpened {
            clue,
            subject,
            clue_received,
            rules,
            filing_deadline,
        }]);
    }
    let Some(rules) = &state.rules else {
        return Err(CaseError::NotOpened);
    };
    match state.status {
        CaseStatus::Closed => return Err(CaseError::Ended("closed")),
        CaseStatus::Withdrawn => return Err(CaseError::Ended("withdrawn")),
        _ => {}
    }
    let filed = state.filed_on.is_some();
    let decided = state.outcome.is_some();
    let event = match step {
        CaseStep::Open { .. } => return Err(CaseError::AlreadyOpened),
        CaseStep::RecountDeadlines { calendar_version } => {
            let moved = state.recounted_deadlines(&calendar);
            if moved.is_empty() {
                return Err(out_of_order(
                    "an open deadline the new calendar counts differently",
                ));
            }
            let events = moved
                .into_iter()
                .map(
                    |(deadline, previous, due_on)| CaseEvent::DeadlineRecounted {
                        deadline,
                        previous,
                        due_on,
                        calendar_version: calendar_version.clone(),
                    },
                )
                .collect();
            return Ok(events);
        }
        CaseStep::FlagDeadline { deadline, due_at } => {
            let Some(due_on) = state.open_deadline(deadline) else {
                return Err(out_of_order("a deadline still open for its step"));
            };
            if today <= due_on {
                return Err(invalid(
                    "deadline",
                    format!("the {} deadline {due_on} has not ended", deadline.as_str()),
                ));
            }
            CaseEvent::DeadlineReached {
                deadline,
                due_on,
                due_at,
            }
        }
        CaseStep::Extend { stage, reason } => {
            non_empty("reason", &reason)?;
            if state.extended.contains(&stage) {
                return Err(CaseError::AlreadyExtended(stage));
            }
            let deadline = match stage {
                Stage::Filing => {
                    let (false, Some(received)) = (filed, state.clue_received) else {
                        return Err(out_of_order("the case is filed already"));
                    };
                    deadline(
                        "filing",
                        rules.deadlines.filing.due(&calendar, received, true),
                    )?
                }
                Stage::Decision => {
                    let (Some(filed_on), false) = (state.filed_on, decided) else {
                        return Err(out_of_order("a filed, undecided case"));
                    };
                    deadline(
                        "decision",
                        rules.deadlines.decision.due(&calendar, filed_on, true),
                    )?
                }
            };
            CaseEvent::DeadlineExtended {
                stage,
                deadline,
                reason,
            }
        }
        CaseStep::File => {
            if filed {
                return Err(out_of_order("a case is filed once"));
            }
            let filing_deadline = state.filing_deadline.unwrap_or(today);
            let decision_deadline = deadline(
                "decision",
                rules.deadlines.decision.due(&calendar, today, false),
            )?;
            CaseEvent::CaseFiled {
                filed_on: today,
                filing_deadline,
                decision_deadline,
            }
        }
        CaseStep::CollectEvidence {
            name,
            sha256,
            officers_present,
        } => {
            if !filed {
                return Err(out_of_order("the case must be filed (立案) first"));
            }
            non_empty("name", &name)?;
            let hex_ok = sha256.len() == 64
                && sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex_ok {
                return Err(invalid(
                    "sha256",
                    format!("{sha256:?} is not a SHA-256: expected 64 lower-case hex digits"),
                ));
            }
            if officers_present.iter().any(|o| o.trim().is_empty()) {
                return Err(invalid("officers_present", "an officer id is empty"));
            }
            let mut present = officers_present;
            present.insert(meta.actor.user.clone());
            CaseEvent::EvidenceCollected {
                name,
                sha256,
                collected_by: meta.actor.user.clone(),
                collected_on: today,
                officers_present: present,
            }
        }
        CaseStep::GiveNotice => {
            if !filed || decided {
                return Err(out_of_order("a filed case before its decision"));
            }
            if state.noticed_on.is_some() {
                return Err(out_of_order("the notice is given once"));
            }
            CaseEvent::PenaltyNoticeGiven {
                noticed_on: today,
                hearing_request_deadline: deadline(
                    "hearing request",
                    rules.deadlines.hearing_request.due(&calendar, today, false),
                )?,
            }
        }
        CaseStep::RecordStatement { summary } => {
            if !filed {
                return Err(out_of_order("the case must be filed (立案) first"));
            }
            non_empty("summary", &summary)?;
            CaseEvent::StatementRecorded { summary }
        }
        CaseStep::RequestHearing => {
            let Some(deadline) = state.hearing_request_deadline else {
                return Err(out_of_order("the notice (告知) opens the hearing request"));
            };
            CaseEvent::HearingRequested {
                requested_on: today,
                deadline,
            }
        }
        CaseStep::HoldHearing => {
            if !state.hearing_requested {
                return Err(out_of_order("a hearing is held on the party's request"));
            }
            CaseEvent::HearingHeld { held_on: today }
        }
        CaseStep::ReviewLegally { opinion } => {
            if !filed {
                return Err(out_of_order("the case must be filed (立案) first"));
            }
            non_empty("opinion", &opinion)?;
            CaseEvent::LegalReviewCompleted { opinion }
        }
        CaseStep::Decide {
            violation,
            tier,
            amount_yuan,
            reason,
        } => {
            if !filed {
                return Err(out_of_order("the case must be filed (立案) first"));
            }
            if decided {
                return Err(out_of_order("a case is decided once"));
            }
            if let Some(r) = &reason {
                non_empty("reason", r)?;
            }
            let Some(range) = rules.range(&violation, tier) else {
                return Err(invalid(
                    "violation",
                    format!(
                        "{violation} at tier {tier} is not in the discretion benchmarks of \
                         rule version {}",
                        rules.version
                    ),
                ));
            };
            let (outcome, major) = match amount_yuan {
                Some(amount) => {
                    if !range.contains(amount) && reason.is_none() {
                        return Err(invalid(
                            "reason",
                            format!(
                                "{amount} yuan lies outside the {tier} range {}–{} of \
                                 {violation}: a reason is required",
                                range.min_yuan, range.max_yuan
                            ),
                        ));
                    }
                    let major = tier == Tier::Serious || amount >= rules.major_penalty_yuan;
                    let outcome = Outcome::Penalty {
                        violation,
                        tier,
                        amount_yuan: amount,
                        range,
                        reason,
                    };
                    (outcome, major)
                }
                None => {
                    if tier != Tier::Minor {
                        return Err(invalid(
                            "amount_yuan",
                            format!("no penalty (首违不罚) is for the minor tier, not {tier}"),
                        ));
                    }
                    let Some(reason) = reason else {
                        return Err(invalid("reason", "a no-penalty decision needs a reason"));
                    };
                    (Outcome::NoPenalty { violation, reason }, false)
                }
            };
            CaseEvent::CaseDecided {
                outcome,
                major,
                decided_on: today,
                decision_deadline: state.decision_deadline.unwrap_or(today),
                service_deadline: deadline(
                    "service",
                    rules.deadlines.service.due(&calendar, today, false),
                )?,
            }
        }
        CaseStep::Serve => {
            let Some(service_deadline) = state.service_deadline else {
                return Err(out_of_order("a decision (决定) to serve"));
            };
            if state.served_on.is_some() {
                return Err(out_of_order("the decision is served once"));
            }
            CaseEvent::DecisionServed {
                served_on: today,
                service_deadline,
            }
        }
        CaseStep::Execute { note } => {
            if state.status != CaseStatus::Served
                || !matches!(state.outcome, Some(Outcome::Penalty { .. }))
            {
                return Err(out_of_order("a penalty decision served (送达)"));
            }
            non_empty("note", &note)?;
            CaseEvent::DecisionExecuted { note }
        }
        CaseStep::Close => {
            let done = match state.outcome {
                Some(Outcome::Penalty { .. }) => state.status == CaseStatus::Executed,
                Some(Outcome::NoPenalty { .. }) => state.served_on.is_some(),
                None => false,
            };
            if !done {
                return Err(out_of_order(
                    "a served no-penalty decision or an executed penalty",
                ));
            }
            CaseEvent::CaseClosed
        }
        CaseStep::Withdraw { reason } => {
            if decided {
                return Err(out_of_order("a case not decided yet"));
            }
            non_empty("reason", &reason)?;
            CaseEvent::CaseWithdrawn { reason }
        }
    };
    Ok(vec![event])
}

/// Folds one event into the state (also used by the replay).
pub fn apply(mut state: CaseState, recorded: &Recorded<CaseEvent>) -> CaseState {
    state.events += 1;
    match &recorded.event {
        CaseEvent::CaseOpened {
            subject,
            clue_received,
            rules,
            filing_deadline,
            ..
        } => {
            state.status = CaseStatus::Clue;
            state.rules = Some(rules.clone());
            state.officer = Some(recorded.actor.user.clone());
            state.opened_by_system = recorded.actor.role == Role::System;
            state.opened_at = Some(recorded.recorded_at);
            state.subject = subject.clone();
            state.clue_received = Some(*clue_received);
            state.filing_deadline = Some(*filing_deadline);
        }
        CaseEvent::DeadlineExtended {
            stage, deadline, ..
        } => {
            state.extended.insert(*stage);
            match stage {
                Stage::Filing => state.filing_deadline = Some(*deadline),
                Stage::Decision => state.decision_deadline = Some(*deadline),
            }
        }
        CaseEvent::CaseFiled {
            filed_on,
            decision_deadline,
            ..
        } => {
            state.status = CaseStatus::Filed;
            state.filed_on = Some(*filed_on);
            state.decision_deadline = Some(*decision_deadline);
        }
        CaseEvent::EvidenceCollected {
            sha256,
            collected_by,
            officers_present,
            ..
        } => {
            if state.status == CaseStatus::Filed {
                state.status = CaseStatus::Investigating;
            }
            // copied only when new: a long investigation repeats the same officers
            for who in std::iter::once(collected_by).chain(officers_present) {
                if !state.investigators.contains(who) {
                    state.investigators.insert(who.clone());
                }
            }
            state.evidence.push(sha256.clone());
        }
        CaseEvent::PenaltyNoticeGiven {
            noticed_on,
            hearing_request_deadline,
        } => {
            state.status = CaseStatus::Noticed;
            state.noticed_on = Some(*noticed_on);
            state.hearing_request_deadline = Some(*hearing_request_deadline);
        }
        CaseEvent::StatementRecorded { .. } => {}
        CaseEvent::HearingRequested { .. } => state.hearing_requested = true,
        CaseEvent::HearingHeld { .. } => state.hearing_held = true,
        CaseEvent::LegalReviewCompleted { .. } => state.legally_reviewed = true,
        CaseEvent::CaseDecided {
            outcome,
            decided_on,
            service_deadline,
            ..
        } => {
            state.status = CaseStatus::Decided;
            state.outcome = Some(outcome.clone());
            state.decided_on = Some(*decided_on);
            state.service_deadline = Some(*service_deadline);
        }
        CaseEvent::DecisionServed { served_on, .. } => {
            state.status = CaseStatus::Served;
            state.served_on = Some(*served_on);
        }
        CaseEvent::DecisionExecuted { .. } => state.status = CaseStatus::Executed,
        CaseEvent::CaseClosed => state.status = CaseStatus::Closed,
        CaseEvent::CaseWithdrawn { .. } => state.status = CaseStatus::Withdrawn,
        CaseEvent::DeadlineReached {
            deadline, due_on, ..
        } => {
            state.deadlines_reached.insert((*deadline, *due_on));
        }
        CaseEvent::DeadlineRecounted {
            deadline, due_on, ..
        } => {
            let field = match deadline {
                DeadlineKind::Filing => &mut state.filing_deadline,
                DeadlineKind::HearingRequest => &mut state.hearing_request_deadline,
                DeadlineKind::Decision => &mut state.decision_deadline,
                DeadlineKind::Service => &mut state.service_deadline,
            };
            *field = Some(*due_on);
        }
    }
    state
}

impl esrs::Aggregate for EnforcementCase {
    const NAME: &'static str = "enforcement_case";
    type State = CaseState;
    type Command = Issued<CaseCommand>;
    type Event = Recorded<CaseEvent>;
    type Error = CaseError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let meta = issued.meta.clone();
        let events = handle(state, issued)?;
        Ok(meta.stamp(events))
    }

    fn apply_event(state: Self::State, recorded: Self::Event) -> Self::State {
        apply(state, &recorded)
    }
}
