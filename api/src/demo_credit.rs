//! The demo's credit history (信用联合奖惩演示): subjects of the demo directory on each
//! list, so that every behaviour of the credit check can be seen at once — an entry in
//! force, an expiry, an early credit repair, an abnormal → serious escalation (derived,
//! no job), a removal on correction, and a retroactive annulment whose earlier answer to
//! the procurement system now differs (the impact notice). Each step runs at its own
//! time on a set clock under a fixed command id, so a second seeding appends nothing.

use chrono::{DateTime, Utc};
use jianxin_domain::directory::derived_id;
use jianxin_domain::event_log::{Actor, CommandMeta, Role};
use jianxin_projections::read_models::logged_queries;
use jianxin_projections::FixedClock;
use serde_json::{json, Value};

use crate::credit::{self, Asker, CheckQuestion, CreditAction};
use crate::ops::OpError;
use crate::state::AppState;

/// A serious-list entry in force (2024-03-01 … 2027-03-01).
pub const DEMO_SERIOUS: &str = "91330102MA00000587";
/// A serious-list entry that expired on 2024-06-01.
pub const DEMO_EXPIRED: &str = "91330102MA00000662";
/// A serious-list entry repaired early (granted from 2024-03-15).
pub const DEMO_REPAIRED: &str = "91330102MA0000074W";
/// An abnormal entry of 2022-04-01 never removed: on the serious list from 2025-04-01.
pub const DEMO_ESCALATED: &str = "91330102MA0000090J";
/// An abnormal entry removed on correction.
pub const DEMO_REMOVED: &str = "91330102MA00001038";
/// A serious-list entry annulled as wrongful after the procurement system asked.
pub const DEMO_ANNULLED: &str = "91330102MA00001113";
/// On the red list.
pub const DEMO_RED: &str = "91330102MA0000138T";
/// On the focus list.
pub const DEMO_FOCUS: &str = "91330102MA0000146M";

const PROOF: &str = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

fn at(text: &str) -> Result<DateTime<Utc>, OpError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| OpError::Invalid {
            message: format!("demo time {text}: {e}"),
            location: None,
        })
}

fn enter(subject: &str, list: &str, reason: &str, on: &str) -> Value {
    json!({"action": "enter", "subject": subject, "list": list, "reason": reason,
           "legal_basis": legal_basis(list), "entered_on": on})
}

fn legal_basis(list: &str) -> &'static str {
    match list {
        "abnormal" => "《企业经营异常名录管理暂行办法》第四条",
        "red" => "《关于建立完善守信联合激励和失信联合惩戒制度的指导意见》",
        "focus" => "《关于加强和规范事中事后监管的指导意见》",
        _ => "《市场监督管理严重违法失信名单管理办法》第二条",
    }
}

/// The steps: (time, subject, step; `{entry}` in a step is the subject's first entry).
fn steps() -> Vec<(&'static str, &'static str, Value)> {
    let first = |s: &str| {
        jianxin_domain::identifiers::Uscc::parse(s)
            .map(|u| jianxin_domain::credit::entry_id(&u, 1).to_string())
            .unwrap_or_default()
    };
    vec![
        (
            "2021-06-01T02:00:00Z",
            DEMO_EXPIRED,
            enter(
                DEMO_EXPIRED,
                "serious",
                "拒不履行行政处罚决定",
                "2021-06-01",
            ),
        ),
        (
            "2022-04-01T02:00:00Z",
            DEMO_ESCALATED,
            enter(DEMO_ESCALATED, "abnormal", "unreachable", "2022-04-01"),
        ),
        (
            "2023-02-01T02:00:00Z",
            DEMO_REPAIRED,
            enter(
                DEMO_REPAIRED,
                "serious",
                "提供虚假材料取得许可",
                "2023-02-01",
            ),
        ),
        (
            "2024-03-01T02:00:00Z",
            DEMO_SERIOUS,
            enter(
                DEMO_SERIOUS,
                "serious",
                "一年内三次因同一违法行为受到较重行政处罚",
                "2024-03-01",
            ),
        ),
        (
            "2024-03-01T03:00:00Z",
            DEMO_REPAIRED,
            json!({"action": "apply_repair", "subject": DEMO_REPAIRED,
            "entry_id": first(DEMO_REPAIRED), "applied_on": "2024-03-01", "proofs": [PROOF],
            "corrected": true, "penalty_fulfilled": true, "public_commitment": true}),
        ),
        (
            "2024-03-15T02:00:00Z",
            DEMO_REPAIRED,
            json!({"action": "decide_repair", "subject": DEMO_REPAIRED,
            "entry_id": first(DEMO_REPAIRED), "approved": true,
            "reasons": "已纠正违法行为、履行行政处罚并公开作出信用承诺", "effective_on": "2024-03-15"}),
        ),
        (
            "2025-01-01T02:00:00Z",
            DEMO_RED,
            enter(DEMO_RED, "red", "守合同重信用企业", "2025-01-01"),
        ),
        (
            "2025-05-01T02:00:00Z",
            DEMO_ANNULLED,
            enter(
                DEMO_ANNULLED,
                "serious",
                "拒不履行行政处罚决定",
                "2025-05-01",
            ),
        ),
        (
            "2025-07-01T02:00:00Z",
            DEMO_REMOVED,
            enter(DEMO_REMOVED, "abnormal", "annual_report_late", "2025-07-01"),
        ),
        (
            "2025-08-01T02:00:00Z",
            DEMO_ANNULLED,
            json!({"action": "annul", "subject": DEMO_ANNULLED,
            "entry_id": first(DEMO_ANNULLED), "reason": "错误列入：处罚决定已被复议撤销"}),
        ),
        (
            "2025-09-01T02:00:00Z",
            DEMO_REMOVED,
            json!({"action": "remove", "subject": DEMO_REMOVED,
            "entry_id": first(DEMO_REMOVED), "reason": "report_filed", "removed_on": "2025-09-01"}),
        ),
        (
            "2025-10-01T02:00:00Z",
            DEMO_FOCUS,
            enter(DEMO_FOCUS, "focus", "多次投诉举报", "2025-10-01"),
        ),
    ]
}

/// Seeds the credit history; the number of events appended.
pub async fn seed_credit(state: &AppState) -> Result<usize, OpError> {
    let officer = Actor::new("demo-credit", Role::CreditOfficer);
    let clock = FixedClock::at(at("2021-01-01T00:00:00Z")?);
    let mut appended = 0;
    for (i, (when, subject, step)) in steps().into_iter().enumerate() {
        let now = at(when)?;
        clock.set(now);
        if subject == DEMO_ANNULLED && step["action"] == "annul" {
            appended += ask_before_annulment(state, &clock).await?;
            clock.set(now);
        }
        let action: CreditAction = serde_json::from_value(step).map_err(|e| OpError::Invalid {
            message: format!("demo credit step {i}: {e}"),
            location: None,
        })?;
        let id = derived_id("jianxin/demo-credit/", &i.to_string());
        let meta = CommandMeta::new(id, officer.clone(), now);
        let done = credit::act_as(&state.log, &clock, meta, action).await?;
        if !done.replayed {
            appended += done.global_sequences.len();
        }
    }
    Ok(appended)
}

/// The procurement system's question about [`DEMO_ANNULLED`] while it was listed
/// (once: a second seeding finds it in the log).
async fn ask_before_annulment(state: &AppState, clock: &FixedClock) -> Result<usize, OpError> {
    let asked = logged_queries(&state.log, None, Some(DEMO_ANNULLED), None, 1).await?;
    if !asked.is_empty() {
        return Ok(0);
    }
    clock.set(at("2025-06-01T02:00:00Z")?);
    let asker = Asker {
        sink: state.query_log.clone(),
        actor: Actor::new("demo-procurement-system", Role::ExternalSystem),
        scopes: vec!["government_procurement".into()],
        purpose: "政府采购项目 ZJ-2025-0601 供应商资格审查".into(),
    };
    let q = CheckQuestion {
        subject: DEMO_ANNULLED.into(),
        scenario: "government_procurement".into(),
        date: chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default(),
        known_at: None,
    };
    credit::check(&state.log, clock, &asker, &q).await?;
    Ok(1)
}
