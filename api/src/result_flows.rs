//! Facts that flow on from an inspection result (检查结果的后续效力, DOMAIN.md §4, issue
//! 6): a pending-follow-up or refusal result becomes a credit record of the subject;
//! "unreachable at the registered address" enters it on the abnormal operations list; a
//! follow-up "transfer to case handling" registers a clue, opening an enforcement case
//! that references the result.
//! Each flow is a command of the credit subject issued by the system under a command id
//! derived from the result and the flow, so it happens once per result whatever the
//! number of corrections or retries, and can be replayed from the log by re-running it.
//! A flow the credit rules refuse (say, the same abnormal-list reason twice in a year) is
//! reported with the rule, and the result stays recorded.
//!
//! A correction that removes a flow's ground undoes what the flow made, with the
//! correction as its reason and effective from its start (annulled, never removed): the
//! credit record is annulled, the list entry is annulled and so is the serious-list
//! entry its escalation derived from it, the case opened from a transfer is withdrawn
//! (refused, and reported so, once it is decided). A later correction that restores the
//! ground makes the flow again, once: each time a ground reappears is a generation of
//! its own, with command ids of its own (the first keeps the ids it always had).

use chrono::DateTime;
use chrono::Utc;
use esrs::store::EventStore;
use jianxin_domain::credit::{
    credit_subject_id, escalation_id, CreditEvent, CreditSubject, ListId, RecordCredit,
    RecordSource,
};
use jianxin_domain::directory::derived_id;
use jianxin_domain::event_log::{Actor, CommandMeta, Role};
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::result::{
    result_id, FollowUp, InspectionResult, PendingKind, ResultCategory, ResultContent, ResultEvent,
};
use jianxin_projections::{Clock, EventLog};
use serde::Serialize;
use uuid::Uuid;

use crate::credit::{self, CreditAction, Impact};
use crate::ops::OpError;

/// The actor of flows: the system applying the result policy.
pub const RESULT_POLICY_ACTOR: &str = "policy:inspection-results";

/// One fact that flowed on.
#[derive(Debug, Clone, Serialize)]
pub struct FlowedFact {
    /// `credit_record`, `abnormal_entry` or `enforcement_case`.
    pub kind: &'static str,
    /// Ledger positions of its events (empty when refused).
    pub global_sequences: Vec<u64>,
    /// The entry made (`abnormal_entry`), or the case opened (`enforcement_case`).
    pub entry_id: Option<Uuid>,
    /// The rule that refused it, if one did.
    pub refused: Option<String>,
    /// True when this undid an earlier version's flow (annulled, withdrawn).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undone: bool,
    /// Logged credit answers that the undoing changed (the impact notice).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub impact: Vec<Impact>,
}

/// The case id opened from the result `result`.
pub fn case_of_result(result: Uuid) -> Uuid {
    derived_id("jianxin/result-case/", &result.hyphenated().to_string())
}

/// The case of generation `generation` of the transfer flow of `result`.
fn case_of_generation(result: Uuid, generation: u32) -> Uuid {
    match generation {
        0 | 1 => case_of_result(result),
        g => derived_id(
            "jianxin/result-case/",
            &format!("{}/{g}", result.hyphenated()),
        ),
    }
}

/// Follow-up "transfer to case handling" (移送办案机构): registers a clue, the case
/// referencing the result, under the built-in case rules.
async fn open_case(
    log: &EventLog,
    result: Uuid,
    generation: u32,
    uscc: &Uscc,
    content: &ResultContent,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<FlowedFact, OpError> {
    use jianxin_domain::case::{CaseCommand, CaseRules, CaseStep, EnforcementCase};
    use jianxin_projections::Executed;
    let findings: Vec<&str> = content.findings.iter().map(|f| f.text.as_str()).collect();
    let step = CaseStep::Open {
        clue: format!("双随机抽查移送：{reference}；{}", findings.join("；")),
        subject: Some(uscc.as_str().into()),
        clue_received: jianxin_domain::credit::china_date(now),
        rules: CaseRules::default_rules(),
    };
    let calendar = std::sync::Arc::new(crate::ops::current_calendar(log).await?);
    let command_id = flow_id(result, Flow::EnforcementCase, generation);
    let actor = Actor::new(RESULT_POLICY_ACTOR, Role::System);
    let issued = jianxin_domain::event_log::Issued {
        meta: CommandMeta::new(command_id, actor, now),
        command: CaseCommand { step, calendar },
    };
    let case = case_of_generation(result, generation);
    Ok(
        match log.execute::<EnforcementCase, _>(case, issued).await? {
            Ok(Executed::Applied {
                global_sequences, ..
            })
            | Ok(Executed::AlreadyApplied { global_sequences }) => {
                fact("enforcement_case", global_sequences, Some(case), None)
            }
            Err(e) => fact("enforcement_case", vec![], Some(case), Some(e.to_string())),
        },
    )
}

/// A fact that flowed (or was refused).
fn fact(
    kind: &'static str,
    global_sequences: Vec<u64>,
    entry_id: Option<Uuid>,
    refused: Option<String>,
) -> FlowedFact {
    FlowedFact {
        kind,
        global_sequences,
        entry_id,
        refused,
        undone: false,
        impact: vec![],
    }
}

/// The three flows a result can ground.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// A pending-follow-up or refusal result: a credit record.
    CreditRecord,
    /// "Unreachable at the registered address": the abnormal operations list.
    AbnormalEntry,
    /// Follow-up "transfer to case handling": an enforcement case.
    EnforcementCase,
}

impl Flow {
    const ALL: [Flow; 3] = [
        Flow::EnforcementCase,
        Flow::CreditRecord,
        Flow::AbnormalEntry,
    ];

    fn kind(self) -> &'static str {
        match self {
            Flow::CreditRecord => "credit_record",
            Flow::AbnormalEntry => "abnormal_entry",
            Flow::EnforcementCase => "enforcement_case",
        }
    }

    /// Whether `content` is a ground of this flow.
    fn grounded(self, content: &ResultContent) -> bool {
        match self {
            Flow::CreditRecord => matches!(
                content.category,
                ResultCategory::PendingFollowUp | ResultCategory::RefusedSerious
            ),
            Flow::AbnormalEntry => content.pending.contains(&PendingKind::UnreachableAtAddress),
            Flow::EnforcementCase => content.follow_up == FollowUp::TransferToCase,
        }
    }

    /// Over the versions in order: how many times the ground appeared (the current
    /// generation, 0: never) and whether the last version has it.
    fn generation(self, versions: &[ResultContent]) -> (u32, bool) {
        let (mut generation, mut grounded) = (0, false);
        for content in versions {
            let now = self.grounded(content);
            if now && !grounded {
                generation += 1;
            }
            grounded = now;
        }
        (generation, grounded)
    }
}

/// The command id of generation `generation` of `flow` of `result` (the first keeps the
/// id flows always had).
fn flow_id(result: Uuid, flow: Flow, generation: u32) -> Uuid {
    let name = match generation {
        0 | 1 => format!("{result}/{}", flow.kind()),
        g => format!("{result}/{}/{g}", flow.kind()),
    };
    derived_id("jianxin/result-flow/", &name)
}

/// The command id of undoing `what` of that generation.
fn undo_id(result: Uuid, flow: Flow, generation: u32, what: &str) -> Uuid {
    let name = format!("{result}/{}/{generation}/undo/{what}", flow.kind());
    derived_id("jianxin/result-flow/", &name)
}

/// The contents of the result's versions in order, and the reason of the last correction.
async fn versions(log: &EventLog, result: Uuid) -> Result<(Vec<ResultContent>, String), OpError> {
    let mut contents = vec![];
    let mut reason = String::new();
    for e in log
        .store::<InspectionResult>()
        .by_aggregate_id(result)
        .await?
    {
        match e.payload.event {
            ResultEvent::ResultRecorded { content, .. } => contents.push(content),
            ResultEvent::ResultCorrected {
                content, reason: r, ..
            } => {
                contents.push(content);
                reason = r;
            }
            _ => {}
        }
    }
    Ok((contents, reason))
}

/// What the flow command `command_id` made on the subject's credit: the record or entry.
async fn made_by(
    log: &EventLog,
    uscc: &Uscc,
    command_id: Uuid,
) -> Result<Option<CreditEvent>, OpError> {
    let events = log
        .store::<CreditSubject>()
        .by_aggregate_id(credit_subject_id(uscc))
        .await?;
    Ok(events
        .into_iter()
        .map(|e| e.payload)
        .find(|p| p.command_id == command_id)
        .map(|p| p.event))
}

/// Runs the flows of the current version of the result of `uscc` in `task`
/// (`content`), and undoes those of earlier versions it no longer grounds.
pub async fn flow_on(
    log: &EventLog,
    clock: &dyn Clock,
    task: Uuid,
    uscc: &Uscc,
    content: &ResultContent,
    now: DateTime<Utc>,
) -> Result<Vec<FlowedFact>, OpError> {
    let id = result_id(task, uscc);
    let reference = format!("inspection result {id} (task {task})");
    let (mut history, reason) = versions(log, id).await?;
    if history.last() != Some(content) {
        history.push(content.clone());
    }
    let version = history.len();
    let why = format!("检查结果已更正（第{version}版），原依据不再成立：{reason}；{reference}");
    let mut out = vec![];
    for flow in Flow::ALL {
        let (generation, grounded) = flow.generation(&history);
        if grounded {
            let made = Made {
                result: id,
                flow,
                generation,
                reference: &reference,
            };
            out.push(make(log, clock, made, uscc, content, now).await?);
        } else if generation > 0 {
            out.extend(undo(log, clock, id, flow, generation, uscc, &why, now).await?);
        }
    }
    Ok(out)
}

/// Which flow of which result is made.
struct Made<'a> {
    result: Uuid,
    flow: Flow,
    generation: u32,
    /// How the facts made name the result.
    reference: &'a str,
}

/// Makes generation `generation` of `flow` (idempotent: its command id is fixed).
async fn make(
    log: &EventLog,
    clock: &dyn Clock,
    made: Made<'_>,
    uscc: &Uscc,
    content: &ResultContent,
    now: DateTime<Utc>,
) -> Result<FlowedFact, OpError> {
    let Made {
        result: id,
        flow,
        generation,
        reference,
    } = made;
    let action = match flow {
        Flow::EnforcementCase => {
            return open_case(log, id, generation, uscc, content, reference, now).await;
        }
        Flow::CreditRecord => {
            let kinds: Vec<&str> = content.pending.iter().map(|k| k.chinese()).collect();
            let summary = if kinds.is_empty() {
                format!("双随机抽查结果：{}", content.category.chinese())
            } else {
                format!(
                    "双随机抽查结果：{}（{}）",
                    content.category.chinese(),
                    kinds.join("；")
                )
            };
            CreditAction::Record {
                subject: uscc.as_str().into(),
                record: RecordCredit {
                    source: RecordSource::Inspection,
                    summary,
                    legal_basis:
                        "《企业信息公示暂行条例》第十四条；《市场监督管理行政处罚信息公示规定》"
                            .into(),
                    effective_on: content.inspection_date,
                    reference: Some(reference.to_owned()),
                    penalty: None,
                },
            }
        }
        Flow::AbnormalEntry => CreditAction::Enter {
            subject: uscc.as_str().into(),
            list: ListId::Abnormal,
            reason: "unreachable".into(),
            legal_basis: format!("《企业经营异常名录管理暂行办法》第九条；{reference}"),
            entered_on: content.inspection_date,
        },
    };
    let actor = Actor::new(RESULT_POLICY_ACTOR, Role::System);
    let meta = CommandMeta::new(flow_id(id, flow, generation), actor, now);
    match credit::act_as(log, clock, meta, action).await {
        Ok(done) => Ok(fact(
            flow.kind(),
            done.global_sequences,
            done.entry_id,
            None,
        )),
        Err(OpError::Refused(rule)) => Ok(fact(flow.kind(), vec![], None, Some(rule))),
        Err(e) => Err(e),
    }
}

/// Undoes generation `generation` of `flow`: what it made is annulled or withdrawn with
/// `why`. Idempotent: each undoing has a fixed command id, and what is ended already is
/// left as it is.
#[allow(clippy::too_many_arguments)]
async fn undo(
    log: &EventLog,
    clock: &dyn Clock,
    result: Uuid,
    flow: Flow,
    generation: u32,
    uscc: &Uscc,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Vec<FlowedFact>, OpError> {
    let actor = Actor::new(RESULT_POLICY_ACTOR, Role::System);
    let meta =
        |what: &str| CommandMeta::new(undo_id(result, flow, generation, what), actor.clone(), now);
    let subject = uscc.as_str().to_owned();
    let mut steps: Vec<(&'static str, &'static str, CreditAction)> = vec![];
    match flow {
        Flow::EnforcementCase => {
            return Ok(withdraw(log, result, generation, why, now)
                .await?
                .into_iter()
                .collect())
        }
        Flow::CreditRecord => {
            let made = made_by(log, uscc, flow_id(result, flow, generation)).await?;
            if let Some(CreditEvent::CreditRecorded { record_id, .. }) = made {
                let action = CreditAction::AnnulRecord {
                    subject,
                    record_id,
                    reason: why.to_owned(),
                };
                steps.push(("credit_record", "record", action));
            }
        }
        Flow::AbnormalEntry => {
            let made = made_by(log, uscc, flow_id(result, flow, generation)).await?;
            if let Some(CreditEvent::ListEntered { entry_id, .. }) = made {
                // the escalation first: the serious entry derived from the abnormal one
                let escalated = escalation_id(entry_id);
                let action = CreditAction::Annul {
                    subject: subject.clone(),
                    entry_id: escalated,
                    reason: why.to_owned(),
                };
                steps.push(("escalation", "escalation", action));
                let action = CreditAction::Annul {
                    subject,
                    entry_id,
                    reason: why.to_owned(),
                };
                steps.push(("abnormal_entry", "entry", action));
            }
        }
    }
    let mut out = vec![];
    for (kind, what, action) in steps {
        match credit::act_as(log, clock, meta(what), action).await {
            // undone by an earlier correction: nothing new to report
            Ok(done) if done.replayed => {}
            Ok(done) => out.push(FlowedFact {
                undone: true,
                impact: done.impact,
                ..fact(
                    kind,
                    done.global_sequences,
                    done.entry_id.or(done.record_id),
                    None,
                )
            }),
            // never escalated, or ended already: nothing to undo
            Err(OpError::NotFound(_)) | Err(OpError::Refused(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Withdraws the case of generation `generation` of the transfer of `result`: nothing
/// when it was never opened or is withdrawn already; the refusal when it is closed or
/// decided (a decided case is the approving officer's to handle).
async fn withdraw(
    log: &EventLog,
    result: Uuid,
    generation: u32,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Option<FlowedFact>, OpError> {
    use jianxin_domain::case::{CaseCommand, CaseStatus, CaseStep, EnforcementCase};
    use jianxin_projections::Executed;
    let case = case_of_generation(result, generation);
    let Some(state) = log.load::<EnforcementCase>(case).await? else {
        return Ok(None);
    };
    if matches!(state.status, CaseStatus::None | CaseStatus::Withdrawn) {
        return Ok(None);
    }
    let calendar = std::sync::Arc::new(crate::ops::current_calendar(log).await?);
    let actor = Actor::new(RESULT_POLICY_ACTOR, Role::System);
    let issued = jianxin_domain::event_log::Issued {
        meta: CommandMeta::new(
            undo_id(result, Flow::EnforcementCase, generation, "case"),
            actor,
            now,
        ),
        command: CaseCommand {
            step: CaseStep::Withdraw {
                reason: why.to_owned(),
            },
            calendar,
        },
    };
    Ok(Some(
        match log.execute::<EnforcementCase, _>(case, issued).await? {
            Ok(Executed::Applied {
                global_sequences, ..
            })
            | Ok(Executed::AlreadyApplied { global_sequences }) => FlowedFact {
                undone: true,
                ..fact("enforcement_case", global_sequences, Some(case), None)
            },
            Err(e) => fact("enforcement_case", vec![], Some(case), Some(e.to_string())),
        },
    ))
}
