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

use chrono::DateTime;
use chrono::Utc;
use jianxin_domain::credit::{ListId, RecordCredit, RecordSource};
use jianxin_domain::directory::derived_id;
use jianxin_domain::event_log::{Actor, CommandMeta, Role};
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::result::{result_id, FollowUp, PendingKind, ResultCategory, ResultContent};
use jianxin_projections::{Clock, EventLog};
use serde::Serialize;
use uuid::Uuid;

use crate::credit::{self, CreditAction};
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
}

/// The case id opened from the result `result`.
pub fn case_of_result(result: Uuid) -> Uuid {
    derived_id("jianxin/result-case/", &result.hyphenated().to_string())
}

/// Follow-up "transfer to case handling" (移送办案机构): registers a clue, the case
/// referencing the result, under the built-in case rules.
async fn open_case(
    log: &EventLog,
    result: Uuid,
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
    let command_id = derived_id(
        "jianxin/result-flow/",
        &format!("{result}/enforcement_case"),
    );
    let actor = Actor::new(RESULT_POLICY_ACTOR, Role::System);
    let issued = jianxin_domain::event_log::Issued {
        meta: CommandMeta::new(command_id, actor, now),
        command: CaseCommand { step, calendar },
    };
    let case = case_of_result(result);
    Ok(
        match log.execute::<EnforcementCase, _>(case, issued).await? {
            Ok(Executed::Applied {
                global_sequences, ..
            })
            | Ok(Executed::AlreadyApplied { global_sequences }) => FlowedFact {
                kind: "enforcement_case",
                global_sequences,
                entry_id: Some(case),
                refused: None,
            },
            Err(e) => FlowedFact {
                kind: "enforcement_case",
                global_sequences: vec![],
                entry_id: Some(case),
                refused: Some(e.to_string()),
            },
        },
    )
}

/// Runs the flows of `content`, the current version of the result of `uscc` in `task`.
pub async fn flow_on(
    log: &EventLog,
    clock: &dyn Clock,
    task: Uuid,
    uscc: &Uscc,
    content: &ResultContent,
    now: DateTime<Utc>,
) -> Result<Vec<FlowedFact>, OpError> {
    let id = result_id(task, uscc);
    let actor = Actor::new(RESULT_POLICY_ACTOR, Role::System);
    let reference = format!("inspection result {id} (task {task})");
    let mut actions: Vec<(&'static str, CreditAction)> = vec![];
    if matches!(
        content.category,
        ResultCategory::PendingFollowUp | ResultCategory::RefusedSerious
    ) {
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
        actions.push((
            "credit_record",
            CreditAction::Record {
                subject: uscc.as_str().into(),
                record: RecordCredit {
                    source: RecordSource::Inspection,
                    summary,
                    legal_basis:
                        "《企业信息公示暂行条例》第十四条；《市场监督管理行政处罚信息公示规定》"
                            .into(),
                    effective_on: content.inspection_date,
                    reference: Some(reference.clone()),
                    penalty: None,
                },
            },
        ));
    }
    if content.pending.contains(&PendingKind::UnreachableAtAddress) {
        actions.push((
            "abnormal_entry",
            CreditAction::Enter {
                subject: uscc.as_str().into(),
                list: ListId::Abnormal,
                reason: "unreachable".into(),
                legal_basis: format!("《企业经营异常名录管理暂行办法》第九条；{reference}"),
                entered_on: content.inspection_date,
            },
        ));
    }
    let mut out = vec![];
    if content.follow_up == FollowUp::TransferToCase {
        out.push(open_case(log, id, uscc, content, &reference, now).await?);
    }
    for (kind, action) in actions {
        let command_id = derived_id("jianxin/result-flow/", &format!("{id}/{kind}"));
        let meta = CommandMeta::new(command_id, actor.clone(), now);
        match credit::act_as(log, clock, meta, action).await {
            Ok(done) => out.push(FlowedFact {
                kind,
                global_sequences: done.global_sequences,
                entry_id: done.entry_id,
                refused: None,
            }),
            Err(OpError::Refused(rule)) => out.push(FlowedFact {
                kind,
                global_sequences: vec![],
                entry_id: None,
                refused: Some(rule),
            }),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
