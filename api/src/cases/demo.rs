//! The demo's enforcement cases (`jianxin demo seed`): one clean case from clue to
//! closing, and one case for each deviation code a supervisor can be shown without
//! tampering with the store (every code but `integrity_break`). Each case has a
//! derived id and is seeded once; its steps carry their own fixed times in 2025.

use chrono::{DateTime, NaiveDate, Utc};
use jianxin_domain::case::{CaseRules, CaseStep, EnforcementCase, Tier};
use jianxin_domain::directory::derived_id;
use jianxin_domain::event_log::Actor;
use jianxin_projections::FixedClock;

use crate::ops::OpError;
use crate::state::AppState;

/// The case officer of the demo cases.
pub const DEMO_OFFICER: &str = "ZF-D01";
const OFFICER: &str = DEMO_OFFICER;
const PARTNER: &str = "ZF-D02";
/// The approving officer of the demo cases.
pub const DEMO_APPROVER: &str = "SP-D01";
const APPROVER: &str = DEMO_APPROVER;
const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn demo_error(what: &str) -> OpError {
    OpError::Invalid {
        message: format!("demo case: {what}"),
        location: None,
    }
}

/// 10:00 Beijing on `day`.
fn ten(day: &str) -> Result<DateTime<Utc>, OpError> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(2, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| demo_error(day))
}

fn evidence(partners: &[&str]) -> CaseStep {
    CaseStep::CollectEvidence {
        name: "现场检查照片.jpg".into(),
        sha256: HASH.into(),
        officers_present: partners.iter().map(|s| s.to_string()).collect(),
    }
}

fn decide(tier: Tier, amount: u64, reason: Option<&str>) -> CaseStep {
    CaseStep::Decide {
        violation: "SP-001".into(),
        tier,
        amount_yuan: Some(amount),
        reason: reason.map(String::from),
    }
}

/// (who, day, step); `who` is the officer or the approver by the step's role.
type Script = Vec<(&'static str, &'static str, CaseStep)>;

/// Up to the notice, cleanly: clue 2025-03-03, filed 03-05, evidence 03-06, notice 03-10.
fn noticed(clue: &str) -> Script {
    vec![
        (
            OFFICER,
            "2025-03-03",
            CaseStep::Open {
                clue: clue.into(),
                subject: Some("91330102MA0000031F".into()),
                clue_received: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap_or_default(),
                rules: CaseRules::default_rules(),
            },
        ),
        (OFFICER, "2025-03-05", CaseStep::File),
        (OFFICER, "2025-03-06", evidence(&[PARTNER])),
        (OFFICER, "2025-03-10", CaseStep::GiveNotice),
    ]
}

fn scripts() -> Vec<(&'static str, Script)> {
    let mut clean = noticed("演示：清洁案件，销售过期食品");
    clean.extend([
        (APPROVER, "2025-03-20", decide(Tier::Ordinary, 10_000, None)),
        (OFFICER, "2025-03-21", CaseStep::Serve),
        (
            OFFICER,
            "2025-03-25",
            CaseStep::Execute {
                note: "罚款已缴纳".into(),
            },
        ),
        (OFFICER, "2025-03-26", CaseStep::Close),
    ]);
    let mut late = noticed("演示：立案超期");
    late[1].1 = "2025-03-25";
    late.truncate(2);
    let mut unreviewed = noticed("演示：重大决定未经法制审核");
    unreviewed.push((APPROVER, "2025-03-20", decide(Tier::Serious, 60_000, None)));
    let mut lone = noticed("演示：单人取证");
    lone[2].2 = evidence(&[]);
    lone.truncate(3);
    let mut outside = noticed("演示：超出裁量幅度");
    outside.push((
        APPROVER,
        "2025-03-20",
        decide(Tier::Ordinary, 3_000, Some("主动消除危害后果，减轻处罚")),
    ));
    let mut own = noticed("演示：调查人员审批本案");
    own.push((PARTNER, "2025-03-20", decide(Tier::Ordinary, 10_000, None)));
    let mut ignored = noticed("演示：听证申请未组织听证");
    ignored.push((OFFICER, "2025-03-12", CaseStep::RequestHearing));
    ignored.push((APPROVER, "2025-03-20", decide(Tier::Ordinary, 10_000, None)));
    let mut disorder = noticed("演示：告知后补充取证");
    disorder.push((OFFICER, "2025-03-11", evidence(&[PARTNER])));
    vec![
        ("clean", clean),
        ("deadline_missed", late),
        ("legal_review_missing", unreviewed),
        ("fewer_than_two_officers", lone),
        ("penalty_outside_range", outside),
        ("investigator_approved_own_case", own),
        ("hearing_request_ignored", ignored),
        ("step_out_of_order", disorder),
    ]
}

/// Seeds the demo cases that do not exist yet; the events appended.
pub async fn seed_demo(state: &AppState) -> Result<usize, OpError> {
    let mut appended = 0;
    for (name, script) in scripts() {
        let id = derived_id("jianxin/demo-case/", name);
        if state.log.load::<EnforcementCase>(id).await?.is_some() {
            continue;
        }
        for (who, day, step) in script {
            let clock = FixedClock::at(ten(day)?);
            let actor = Actor::new(who, step.role());
            let done = super::step(&state.log, &clock, &actor, Some(id), step).await?;
            appended += done.global_sequences.len();
        }
    }
    Ok(appended)
}
