//! Credit on the command line: `jianxin credit check|act|entries|queries|query|recheck|
//! impact|snapshot|subscriptions`, each one call into [`crate::credit`] (subscriptions:
//! the read model). The operator (--actor) acts
//! as a credit officer.

use jianxin_domain::credit::ListId;
use jianxin_domain::event_log::{Actor, Role};
use jianxin_projections::read_models::{logged_queries, subscriptions};
use jianxin_projections::EventLog;
use serde_json::json;

use super::args::CreditCommandArgs;
use super::output::{out, print};
use super::{CliError, Format};
use crate::credit::{self, Asker, CheckQuestion, CreditAction};
use crate::ops::OpError;
use crate::settings::Settings;

/// The largest step file accepted.
const ACT_FILE_MAX_BYTES: u64 = 64 * 1024;

fn read_action(path: &std::path::Path) -> Result<CreditAction, OpError> {
    let invalid = |m: String| OpError::Invalid {
        message: m,
        location: Some(path.display().to_string()),
    };
    let size = std::fs::metadata(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    if size.len() > ACT_FILE_MAX_BYTES {
        return Err(invalid(format!(
            "{} bytes; at most {ACT_FILE_MAX_BYTES}",
            size.len()
        )));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| OpError::Invalid {
        message: format!("{}: {e}", path.display()),
        location: Some(format!("line {}, column {}", e.line(), e.column())),
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, OpError> {
    serde_json::to_value(v).map_err(|e| OpError::Refused(format!("encoding the answer: {e}")))
}

/// `jianxin credit …`.
pub async fn credit(
    settings: &Settings,
    format: Format,
    cmd: CreditCommandArgs,
) -> Result<(), CliError> {
    let log = EventLog::open(&settings.db).await?;
    let clock = settings.clock.as_ref();
    let officer = Actor::new(settings.operator.user.clone(), Role::CreditOfficer);
    let outcome: Result<(serde_json::Value, String), OpError> = async {
        Ok(match cmd {
            CreditCommandArgs::Check {
                subject,
                scenario,
                date,
                known_at,
                purpose,
            } => {
                let asker = Asker {
                    sink: crate::query_log::QueryLog::Direct,
                    actor: officer.clone(),
                    scopes: vec![],
                    purpose,
                };
                let q = CheckQuestion {
                    subject,
                    scenario,
                    date,
                    known_at,
                };
                let a = credit::check(&log, clock, &asker, &q).await?;
                let text = format!(
                    "{:?}: {} {} on {} (known at {}, log_seq {}, query {})",
                    a.decision, a.subject, a.scenario, a.date, a.known_at, a.log_seq, a.query_id
                );
                (to_json(&a)?, text)
            }
            CreditCommandArgs::Act { file } => {
                let action = read_action(&file)?;
                let o = credit::act(&log, clock, &officer, action).await?;
                let text = format!(
                    "subject {} entry {} appended {:?}; {} logged answer(s) would now differ",
                    o.subject,
                    o.entry_id
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "-".into()),
                    o.global_sequences,
                    o.impact.len()
                );
                (to_json(&o)?, text)
            }
            CreditCommandArgs::Entries { subject, known_at } => {
                let list = credit::entries_of(&log, clock, &subject, known_at).await?;
                let mut text = String::from("ENTRY\tLIST\tON\tUNTIL\tREASON\n");
                for e in &list {
                    text.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\n",
                        e.entry_id,
                        e.list.as_str(),
                        e.entered_on,
                        e.end().map(|d| d.to_string()).unwrap_or_default(),
                        e.reason
                    ));
                }
                (json!({"subject": subject, "entries": list}), text)
            }
            CreditCommandArgs::Evaluate {
                subject,
                date,
                known_at,
            } => {
                let e = credit::evaluate_subject(&log, clock, &subject, date, known_at).await?;
                let text = format!(
                    "{} on {}: class {:?} — {}",
                    e.subject,
                    e.date,
                    e.answer.class,
                    e.answer.reasons.join("; ")
                );
                (to_json(&e)?, text)
            }
            CreditCommandArgs::Queries {
                subject,
                requester,
                limit,
            } => {
                let rows = logged_queries(
                    &log,
                    None,
                    subject.as_deref(),
                    requester.as_deref(),
                    limit.clamp(1, 10_000),
                )
                .await?;
                let mut text =
                    String::from("QUERY\tASKED\tREQUESTER\tSUBJECT\tSCENARIO\tDATE\tDECISION\n");
                for r in &rows {
                    text.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                        r.query_id,
                        r.asked_at,
                        r.requester,
                        r.subject,
                        r.scenario,
                        r.date,
                        r.decision
                    ));
                }
                (json!({"queries": rows}), text)
            }
            CreditCommandArgs::Subscriptions { owner, active } => {
                let rows = subscriptions(log.database(), owner.as_deref(), active).await?;
                let mut text =
                    String::from("SUBSCRIPTION\tOWNER\tACTIVE\tCURSOR\tDELIVERIES\tLISTS\tURL\n");
                for r in &rows {
                    text.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                        r.subscription_id,
                        r.owner,
                        r.active,
                        r.cursor,
                        r.deliveries,
                        r.lists.join(","),
                        r.url
                    ));
                }
                (json!({"subscriptions": rows}), text)
            }
            CreditCommandArgs::Query { id } => {
                let row = credit::logged(&log, id).await?;
                let text = row.answer.to_string();
                (to_json(&row)?, text)
            }
            CreditCommandArgs::Recheck { id } => {
                let r = credit::recheck(&log, clock, id).await?;
                let text = format!(
                    "same basis identical: {}; decision then {:?}, now {:?}",
                    r.identical, r.same_basis.decision, r.now.decision
                );
                (to_json(&r)?, text)
            }
            CreditCommandArgs::Impact { subject } => {
                let uscc = credit::parse_subject(&subject)?;
                let list = credit::impact(&log, clock, &uscc).await?;
                let text = format!("{} logged answer(s) would now differ", list.len());
                (json!({"subject": uscc.as_str(), "impact": list}), text)
            }
            CreditCommandArgs::Snapshot {
                list,
                date,
                known_at,
                csv,
            } => {
                let list = ListId::parse(&list).map_err(|e| OpError::Invalid {
                    message: e.to_string(),
                    location: Some("--list".into()),
                })?;
                let snap = credit::snapshot(&log, clock, list, date, known_at).await?;
                if csv {
                    let body = credit::snapshot_csv(&snap)?;
                    (serde_json::Value::String(body.clone()), body)
                } else {
                    let v = to_json(&snap)?;
                    (v.clone(), v.to_string())
                }
            }
        })
    }
    .await;
    log.database().close().await;
    let (value, text) = outcome?;
    if let serde_json::Value::String(csv) = &value {
        out(csv);
        return Ok(());
    }
    print(format, &value, || text.clone());
    Ok(())
}
