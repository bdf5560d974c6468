//! The supervisor's replay (执法全过程回溯): a case's steps in order with who, when, the
//! evidence, the rule version and the deadline each had, the state as of any moment,
//! and every deviation (偏离) a supervisor must see. Pure: the caller loads the events
//! (and checks the ledger for `integrity_break`, which it adds itself).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::calendar::{CalendarBasis, WorkingCalendar};
use crate::event_log::{Recorded, Role};

use super::aggregate::{apply, CaseState, CaseStatus};
use super::events::{CaseEvent, Outcome};

/// One replayed step (办案环节).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayStep {
    /// Position in the case's log, from 1.
    pub sequence: u64,
    /// The stored event type.
    pub step: &'static str,
    /// Who took it.
    pub actor: String,
    /// In which role.
    pub role: Role,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Evidence hashes the step recorded.
    pub evidence_hashes: Vec<String>,
    /// The rule version the case runs under.
    pub rule_version: String,
    /// The deadline the step had, if it had one.
    pub deadline: Option<NaiveDate>,
    /// Whether it was met (`None`: no deadline).
    pub deadline_met: Option<bool>,
    /// `provisional` when the deadline falls in a year whose official holiday schedule is
    /// not loaded (see [`Replay::with_calendar`]); absent when it is official or unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_calendar: Option<CalendarBasis>,
    /// The event's data as stored.
    pub data: Value,
}

/// A case as of a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replay {
    /// The moment (`None`: everything recorded).
    pub at: Option<DateTime<Utc>>,
    /// The steps recorded up to `at`, in order.
    pub steps: Vec<ReplayStep>,
    /// The state folded from those steps.
    pub state: CaseState,
}

impl Replay {
    /// Marks every step's deadline that falls in a provisional year of `calendar` (the
    /// calendar in force), so that the supervisor sees which deadlines may still move
    /// when the year's official schedule is loaded.
    pub fn with_calendar(mut self, calendar: &WorkingCalendar) -> Replay {
        for step in &mut self.steps {
            step.deadline_calendar = step
                .deadline
                .filter(|due| calendar.basis_of_day(*due) == CalendarBasis::Provisional)
                .map(|_| CalendarBasis::Provisional);
        }
        self
    }
}

/// The case as of `at`: the events recorded up to that moment (in log order; the first
/// later one ends the prefix) and the state they fold to.
pub fn replay(events: &[Recorded<CaseEvent>], at: Option<DateTime<Utc>>) -> Replay {
    let mut state = CaseState::default();
    let shown = events
        .iter()
        .take_while(|e| at.is_none_or(|at| e.recorded_at <= at))
        .count();
    let mut steps = Vec::with_capacity(shown);
    for (i, e) in events.iter().enumerate() {
        if at.is_some_and(|at| e.recorded_at > at) {
            break;
        }
        let rule_version = match (&e.event, &state.rules) {
            (CaseEvent::CaseOpened { rules, .. }, _) | (_, Some(rules)) => rules.version.clone(),
            _ => String::new(),
        };
        let (deadline, met) = deadline_of(&e.event);
        let evidence_hashes = match &e.event {
            CaseEvent::EvidenceCollected { sha256, .. } => vec![sha256.clone()],
            _ => vec![],
        };
        // the event as stored is `{"event_type", "data"}`: take its data out, not a copy
        let data = serde_json::to_value(&e.event)
            .ok()
            .and_then(|mut v| v.get_mut("data").map(Value::take))
            .unwrap_or(Value::Null);
        steps.push(ReplayStep {
            sequence: i as u64 + 1,
            step: e.event.name(),
            actor: e.actor.user.clone(),
            role: e.actor.role,
            at: e.recorded_at,
            evidence_hashes,
            rule_version,
            deadline,
            deadline_met: met,
            deadline_calendar: None,
            data,
        });
        state = apply(state, e);
    }
    Replay { at, steps, state }
}

fn deadline_of(event: &CaseEvent) -> (Option<NaiveDate>, Option<bool>) {
    let (day, due) = match event {
        CaseEvent::CaseFiled {
            filed_on,
            filing_deadline,
            ..
        } => (*filed_on, *filing_deadline),
        CaseEvent::HearingRequested {
            requested_on,
            deadline,
        } => (*requested_on, *deadline),
        CaseEvent::CaseDecided {
            decided_on,
            decision_deadline,
            ..
        } => (*decided_on, *decision_deadline),
        CaseEvent::DecisionServed {
            served_on,
            service_deadline,
        } => (*served_on, *service_deadline),
        _ => return (None, None),
    };
    (Some(due), Some(day <= due))
}

/// The kinds of deviation (偏离代码); stable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationCode {
    /// An officer's step after its deadline (filing, decision, service).
    DeadlineMissed,
    /// A major decision without a legal review before it.
    LegalReviewMissing,
    /// Evidence collected with fewer than 2 officers present.
    FewerThanTwoOfficers,
    /// A penalty outside its tier's range (with the reason recorded).
    PenaltyOutsideRange,
    /// The decision approved by an officer who investigated (查审分离).
    InvestigatorApprovedOwnCase,
    /// A timely hearing request, and a penalty decided without the hearing.
    HearingRequestIgnored,
    /// A step after a later step of the lawful order, or a penalty without notice.
    StepOutOfOrder,
    /// The case's events fail ledger verification (added by the caller).
    IntegrityBreak,
    /// As of the moment asked about, an open case is past a deadline of its own (filing,
    /// decision, service) with the step not taken: the case as a whole ([`overdue`]).
    Overdue,
}

impl DeviationCode {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviationCode::DeadlineMissed => "deadline_missed",
            DeviationCode::LegalReviewMissing => "legal_review_missing",
            DeviationCode::FewerThanTwoOfficers => "fewer_than_two_officers",
            DeviationCode::PenaltyOutsideRange => "penalty_outside_range",
            DeviationCode::InvestigatorApprovedOwnCase => "investigator_approved_own_case",
            DeviationCode::HearingRequestIgnored => "hearing_request_ignored",
            DeviationCode::StepOutOfOrder => "step_out_of_order",
            DeviationCode::IntegrityBreak => "integrity_break",
            DeviationCode::Overdue => "overdue",
        }
    }
}

/// A deviation: what, at which step, and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deviation {
    /// The code.
    pub code: DeviationCode,
    /// The step's sequence (0: the case as a whole).
    pub sequence: u64,
    /// The step's event type.
    pub step: String,
    /// What happened, for people.
    pub message: String,
    /// The facts that show it.
    pub evidence: Value,
}

/// The deadlines of an open case that have passed by `as_of` (a day in China) with their
/// step not taken (逾期未办): filing, decision and service, each from the day after its
/// last day (the hearing request is the party's window, not the officer's duty). What
/// the steps cannot show, since nothing was recorded: found at the moment asked about,
/// and gone once the step is taken (late, then `deadline_missed` of that step).
pub fn overdue(state: &CaseState, as_of: NaiveDate) -> Vec<Deviation> {
    use super::events::DeadlineKind;
    if matches!(state.status, CaseStatus::Closed | CaseStatus::Withdrawn) {
        return vec![];
    }
    let decided = state.outcome.is_some();
    let pending = [
        (
            DeadlineKind::Filing,
            state.filed_on.is_none(),
            state.filing_deadline,
        ),
        (
            DeadlineKind::Decision,
            state.filed_on.is_some() && !decided,
            state.decision_deadline,
        ),
        (
            DeadlineKind::Service,
            decided && state.served_on.is_none(),
            state.service_deadline,
        ),
    ];
    pending
        .into_iter()
        .filter_map(|(kind, open, due)| Some((kind, due.filter(|d| open && as_of > *d)?)))
        .map(|(kind, due)| Deviation {
            code: DeviationCode::Overdue,
            sequence: 0,
            step: String::new(),
            message: format!(
                "the {} deadline {due} has passed and the step is not taken (as of {as_of})",
                kind.as_str()
            ),
            evidence: json!({ "deadline": kind.as_str(), "due_on": due, "as_of": as_of }),
        })
        .collect()
}

/// Every deviation of the replayed steps, in step order.
pub fn deviations(events: &[Recorded<CaseEvent>]) -> Vec<Deviation> {
    let mut scan = DeviationScan::default();
    let mut out = Vec::new();
    for e in events {
        out.extend(scan.push(e));
    }
    out
}

/// The deviation rules as a running fold: what [`deviations`] keeps between steps, so a
/// read model can take a case one new event at a time instead of re-reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviationScan {
    /// The state folded from the steps so far.
    pub state: CaseState,
    /// The highest rank in the lawful order so far, and the step that reached it.
    highest: Option<(u8, &'static str)>,
    /// A timely hearing request is waiting for its hearing.
    hearing_pending: bool,
    /// Deviations found so far.
    pub found: u64,
}

impl DeviationScan {
    /// Takes the next step (in log order) and gives the deviations it shows.
    pub fn push(&mut self, e: &Recorded<CaseEvent>) -> Vec<Deviation> {
        let mut out = Vec::new();
        let state = &self.state;
        let seq = state.events + 1;
        let step = e.event.name();
        let mut push = |code, message: String, evidence: Value| {
            out.push(Deviation {
                code,
                sequence: seq,
                step: step.into(),
                message,
                evidence,
            })
        };
        if let (Some(due), Some(false)) = deadline_of(&e.event) {
            if !matches!(e.event, CaseEvent::HearingRequested { .. }) {
                push(
                    DeviationCode::DeadlineMissed,
                    format!("{step} after its deadline {due}"),
                    json!({ "deadline": due, "at": e.recorded_at }),
                );
            }
        }
        if let Some(rank) = e.event.rank() {
            if let Some((top, after)) = self.highest.filter(|(top, _)| rank < *top) {
                push(
                    DeviationCode::StepOutOfOrder,
                    format!("{step} recorded after {after}"),
                    json!({ "after": after, "rank": rank, "highest_rank": top }),
                );
            }
            if self.highest.is_none_or(|(top, _)| rank > top) {
                self.highest = Some((rank, step));
            }
        }
        match &e.event {
            CaseEvent::EvidenceCollected {
                sha256,
                officers_present,
                ..
            } if officers_present.len() < 2 => push(
                DeviationCode::FewerThanTwoOfficers,
                format!(
                    "evidence collected with {} officer(s) present; the law requires 2",
                    officers_present.len()
                ),
                json!({ "sha256": sha256, "officers_present": officers_present }),
            ),
            CaseEvent::HearingRequested {
                requested_on,
                deadline,
            } => self.hearing_pending |= requested_on <= deadline,
            CaseEvent::HearingHeld { .. } => self.hearing_pending = false,
            CaseEvent::CaseDecided { outcome, major, .. } => {
                let penalty = matches!(outcome, Outcome::Penalty { .. });
                if penalty && state.noticed_on.is_none() {
                    push(
                        DeviationCode::StepOutOfOrder,
                        "a penalty decided without the notice of intended penalty (告知)".into(),
                        json!({ "notice": null }),
                    );
                }
                if *major && !state.legally_reviewed {
                    push(
                        DeviationCode::LegalReviewMissing,
                        "a major decision without a legal review (法制审核) before it".into(),
                        json!({ "outcome": outcome, "major": true }),
                    );
                }
                if let Outcome::Penalty {
                    amount_yuan,
                    range,
                    reason,
                    ..
                } = outcome
                {
                    if !range.contains(*amount_yuan) {
                        push(
                            DeviationCode::PenaltyOutsideRange,
                            format!(
                                "{amount_yuan} yuan outside the range {}–{}",
                                range.min_yuan, range.max_yuan
                            ),
                            json!({ "amount_yuan": amount_yuan, "range": range, "reason": reason }),
                        );
                    }
                }
                if state.investigators.contains(&e.actor.user) {
                    push(
                        DeviationCode::InvestigatorApprovedOwnCase,
                        format!(
                            "{} approved the decision and investigated the case (查审分离)",
                            e.actor.user
                        ),
                        json!({ "approver": e.actor.user, "investigators": state.investigators }),
                    );
                }
                if penalty && self.hearing_pending {
                    push(
                        DeviationCode::HearingRequestIgnored,
                        "a penalty decided after a timely hearing request, without the hearing"
                            .into(),
                        json!({ "hearing_requested": true, "hearing_held": false }),
                    );
                }
            }
            _ => {}
        }
        self.state = apply(std::mem::take(&mut self.state), e);
        self.found += out.len() as u64;
        out
    }
}
