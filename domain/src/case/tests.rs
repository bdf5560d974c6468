use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use esrs::Aggregate;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::calendar::WorkingCalendar;
use crate::event_log::{Actor, CommandMeta, Issued, Recorded, Role};

const OFFICER: &str = "ZF-001";
const PARTNER: &str = "ZF-002";
const BOSS: &str = "SP-001";

fn calendar() -> Arc<WorkingCalendar> {
    static CAL: OnceLock<Arc<WorkingCalendar>> = OnceLock::new();
    Arc::clone(CAL.get_or_init(|| Arc::new(WorkingCalendar::default_cn())))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// 10:00 Beijing on day `s`.
fn at(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(s).and_hms_opt(2, 0, 0).unwrap())
}

/// A case under test: its events so far.
#[derive(Default, Clone)]
struct Given(Vec<Recorded<CaseEvent>>);

impl Given {
    fn state(&self) -> CaseState {
        self.0.iter().fold(CaseState::default(), apply)
    }

    fn when(&self, user: &str, role: Role, when: &str, step: CaseStep) -> Result<Given, CaseError> {
        let issued = Issued {
            meta: CommandMeta::new(Uuid::new_v4(), Actor::new(user, role), at(when)),
            command: CaseCommand {
                step,
                calendar: calendar(),
            },
        };
        let events = EnforcementCase::handle_command(&self.state(), issued)?;
        let mut next = self.clone();
        next.0.extend(events);
        Ok(next)
    }

    fn then(self, user: &str, role: Role, when: &str, step: CaseStep) -> Given {
        self.when(user, role, when, step).unwrap()
    }

    fn officer(self, when: &str, step: CaseStep) -> Given {
        self.then(OFFICER, Role::CaseOfficer, when, step)
    }

    fn boss(self, when: &str, step: CaseStep) -> Given {
        self.then(BOSS, Role::ApprovingOfficer, when, step)
    }

    fn codes(&self) -> Vec<&'static str> {
        deviations(&self.0)
            .iter()
            .map(|d| d.code.as_str())
            .collect()
    }
}

fn open(received: &str) -> CaseStep {
    CaseStep::Open {
        clue: "群众举报：销售过期食品".into(),
        subject: Some("91330102MA0000031F".into()),
        clue_received: day(received),
        rules: CaseRules::default_rules(),
    }
}

fn evidence(partner: &[&str]) -> CaseStep {
    CaseStep::CollectEvidence {
        name: "现场照片.jpg".into(),
        sha256: "ab".repeat(32),
        officers_present: partner
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
    }
}

fn decide(tier: Tier, amount: Option<u64>, reason: Option<&str>) -> CaseStep {
    CaseStep::Decide {
        violation: "SP-001".into(),
        tier,
        amount_yuan: amount,
        reason: reason.map(String::from),
    }
}

/// Up to the notice, cleanly: clue 2025-03-03, filed 03-05, evidence, notice 03-10.
fn noticed() -> Given {
    Given::default()
        .officer("2025-03-03", open("2025-03-03"))
        .officer("2025-03-05", CaseStep::File)
        .officer("2025-03-06", evidence(&[PARTNER]))
        .officer("2025-03-10", CaseStep::GiveNotice)
}

fn clean() -> Given {
    noticed()
        .boss("2025-03-20", decide(Tier::Ordinary, Some(10_000), None))
        .officer("2025-03-21", CaseStep::Serve)
        .officer(
            "2025-03-25",
            CaseStep::Execute {
                note: "罚款已缴纳".into(),
            },
        )
        .officer("2025-03-26", CaseStep::Close)
}

#[test]
fn a_clean_case_runs_to_closing_with_no_deviation() {
    let case = clean();
    assert_eq!(case.state().status, CaseStatus::Closed);
    assert_eq!(case.codes(), Vec::<&str>::new());
    // filing 15 working days from Monday 2025-03-03 is Monday 2025-03-24
    assert_eq!(case.state().filing_deadline, Some(day("2025-03-24")));
    assert_eq!(case.state().decision_deadline, Some(day("2025-06-03")));
}

#[test]
fn an_unqualified_actor_is_refused() {
    let given = Given::default().officer("2025-03-03", open("2025-03-03"));
    for role in [Role::Inspector, Role::Supervisor, Role::ApprovingOfficer] {
        assert!(matches!(
            given.when("X", role, "2025-03-04", CaseStep::File),
            Err(CaseError::WrongRole { .. })
        ));
    }
    // a case officer does not decide
    let noticed = noticed();
    assert!(matches!(
        noticed.when(
            OFFICER,
            Role::CaseOfficer,
            "2025-03-20",
            decide(Tier::Ordinary, Some(10_000), None)
        ),
        Err(CaseError::WrongRole { .. })
    ));
}

#[test]
fn steps_the_law_forbids_out_of_order_are_refused() {
    let opened = Given::default().officer("2025-03-03", open("2025-03-03"));
    assert!(matches!(
        opened.when(
            OFFICER,
            Role::CaseOfficer,
            "2025-03-04",
            evidence(&[PARTNER])
        ),
        Err(CaseError::OutOfOrder { .. })
    ));
    assert!(matches!(
        opened.when(OFFICER, Role::CaseOfficer, "2025-03-04", CaseStep::Serve),
        Err(CaseError::OutOfOrder { .. })
    ));
    assert_eq!(
        Given::default()
            .when(OFFICER, Role::CaseOfficer, "2025-03-04", CaseStep::File)
            .err(),
        Some(CaseError::NotOpened)
    );
    let closed = clean();
    assert_eq!(
        closed
            .when(OFFICER, Role::CaseOfficer, "2025-03-27", CaseStep::Serve)
            .err(),
        Some(CaseError::Ended("closed"))
    );
}

#[test]
fn a_late_filing_is_recorded_and_flagged_deadline_missed() {
    let case = Given::default()
        .officer("2025-03-03", open("2025-03-03"))
        .officer("2025-03-25", CaseStep::File);
    assert_eq!(case.codes(), vec!["deadline_missed"]);
    let r = replay(&case.0, None);
    assert_eq!(r.steps[1].deadline_met, Some(false));
}

#[test]
fn an_approved_extension_moves_the_filing_deadline() {
    let case = Given::default()
        .officer("2025-03-03", open("2025-03-03"))
        .boss(
            "2025-03-20",
            CaseStep::Extend {
                stage: Stage::Filing,
                reason: "线索复杂".into(),
            },
        )
        .officer("2025-03-25", CaseStep::File);
    assert_eq!(case.codes(), Vec::<&str>::new());
    assert!(matches!(
        case.when(
            BOSS,
            Role::ApprovingOfficer,
            "2025-03-26",
            CaseStep::Extend {
                stage: Stage::Filing,
                reason: "again".into()
            }
        ),
        Err(CaseError::AlreadyExtended(Stage::Filing))
    ));
}

#[test]
fn evidence_with_one_officer_is_flagged() {
    let case = Given::default()
        .officer("2025-03-03", open("2025-03-03"))
        .officer("2025-03-05", CaseStep::File)
        .officer("2025-03-06", evidence(&[]));
    assert_eq!(case.codes(), vec!["fewer_than_two_officers"]);
}

#[test]
fn a_major_decision_without_review_is_flagged_and_with_review_is_not() {
    let without = noticed().boss("2025-03-20", decide(Tier::Serious, Some(60_000), None));
    assert_eq!(without.codes(), vec!["legal_review_missing"]);
    let with = noticed()
        .boss(
            "2025-03-18",
            CaseStep::ReviewLegally {
                opinion: "事实清楚，证据确凿".into(),
            },
        )
        .boss("2025-03-20", decide(Tier::Serious, Some(60_000), None));
    assert_eq!(with.codes(), Vec::<&str>::new());
}

#[test]
fn a_penalty_outside_range_needs_a_reason_and_is_flagged() {
    let given = noticed();
    assert!(matches!(
        given.when(
            BOSS,
            Role::ApprovingOfficer,
            "2025-03-20",
            decide(Tier::Ordinary, Some(60_000), None)
        ),
        Err(CaseError::Invalid { ref field, .. }) if field == "reason"
    ));
    let case = given.boss(
        "2025-03-20",
        decide(
            Tier::Ordinary,
            Some(3_000),
            Some("主动消除危害后果，减轻处罚"),
        ),
    );
    let devs = deviations(&case.0);
    assert_eq!(devs.len(), 1);
    assert_eq!(devs[0].code, DeviationCode::PenaltyOutsideRange);
    assert_eq!(devs[0].evidence["reason"], "主动消除危害后果，减轻处罚");
}

#[test]
fn an_investigator_approving_the_decision_is_flagged() {
    let case = noticed().then(
        PARTNER,
        Role::ApprovingOfficer,
        "2025-03-20",
        decide(Tier::Ordinary, Some(10_000), None),
    );
    assert_eq!(case.codes(), vec!["investigator_approved_own_case"]);
}

#[test]
fn a_timely_hearing_request_must_be_heard_before_a_penalty() {
    let requested = noticed().officer("2025-03-12", CaseStep::RequestHearing);
    let ignored = requested
        .clone()
        .boss("2025-03-20", decide(Tier::Ordinary, Some(10_000), None));
    assert_eq!(ignored.codes(), vec!["hearing_request_ignored"]);
    let heard = requested
        .officer("2025-03-17", CaseStep::HoldHearing)
        .boss("2025-03-20", decide(Tier::Ordinary, Some(10_000), None));
    assert_eq!(heard.codes(), Vec::<&str>::new());
    // a late request may be refused without a hearing
    let late = noticed()
        .officer("2025-03-25", CaseStep::RequestHearing)
        .boss("2025-03-26", decide(Tier::Ordinary, Some(10_000), None));
    assert_eq!(late.codes(), Vec::<&str>::new());
}

#[test]
fn evidence_after_the_notice_and_a_penalty_without_notice_are_out_of_order() {
    let after = noticed().officer("2025-03-11", evidence(&[PARTNER]));
    assert_eq!(after.codes(), vec!["step_out_of_order"]);
    let without = Given::default()
        .officer("2025-03-03", open("2025-03-03"))
        .officer("2025-03-05", CaseStep::File)
        .officer("2025-03-06", evidence(&[PARTNER]))
        .boss("2025-03-20", decide(Tier::Ordinary, Some(10_000), None));
    assert_eq!(without.codes(), vec!["step_out_of_order"]);
}

#[test]
fn no_penalty_is_for_the_minor_tier_with_a_reason() {
    let given = noticed();
    assert!(given
        .when(
            BOSS,
            Role::ApprovingOfficer,
            "2025-03-20",
            decide(Tier::Ordinary, None, Some("首违"))
        )
        .is_err());
    let case = given
        .boss(
            "2025-03-20",
            decide(Tier::Minor, None, Some("首次违法且危害轻微")),
        )
        .officer("2025-03-21", CaseStep::Serve)
        .officer("2025-03-22", CaseStep::Close);
    assert_eq!(case.state().status, CaseStatus::Closed);
    assert_eq!(case.codes(), Vec::<&str>::new());
}

#[test]
fn late_decision_and_late_service_are_deadline_missed() {
    let case = noticed()
        .boss("2025-06-10", decide(Tier::Ordinary, Some(10_000), None))
        .officer("2025-06-20", CaseStep::Serve);
    assert_eq!(case.codes(), vec!["deadline_missed", "deadline_missed"]);
}

#[test]
fn withdrawal_ends_the_case() {
    let case = Given::default()
        .officer("2025-03-03", open("2025-03-03"))
        .boss(
            "2025-03-04",
            CaseStep::Withdraw {
                reason: "不属于本机关管辖".into(),
            },
        );
    assert_eq!(case.state().status, CaseStatus::Withdrawn);
    assert!(case
        .when(OFFICER, Role::CaseOfficer, "2025-03-05", CaseStep::File)
        .is_err());
}

#[test]
fn bad_evidence_hash_and_unknown_violation_are_invalid() {
    let filed = Given::default()
        .officer("2025-03-03", open("2025-03-03"))
        .officer("2025-03-05", CaseStep::File);
    let bad = CaseStep::CollectEvidence {
        name: "x".into(),
        sha256: "XYZ".into(),
        officers_present: BTreeSet::new(),
    };
    assert!(matches!(
        filed.when(OFFICER, Role::CaseOfficer, "2025-03-06", bad),
        Err(CaseError::Invalid { ref field, .. }) if field == "sha256"
    ));
    let unknown = CaseStep::Decide {
        violation: "NOPE".into(),
        tier: Tier::Minor,
        amount_yuan: Some(1),
        reason: None,
    };
    assert!(matches!(
        filed.when(BOSS, Role::ApprovingOfficer, "2025-03-06", unknown),
        Err(CaseError::Invalid { ref field, .. }) if field == "violation"
    ));
}

#[test]
fn the_rule_file_parses_and_reports_where_it_is_wrong() {
    let rules = CaseRules::default_rules();
    assert_eq!(rules.deadlines.filing.days, 15);
    assert_eq!(rules.deadlines.decision.extension_days, 30);
    let Err((field, _)) = CaseRules::parse("{\"version\": 1}") else {
        panic!("expected an error");
    };
    assert!(field.starts_with("line 1"), "{field}");
    let swapped = DEFAULT_RULES_JSON.replacen("\"min_yuan\": 5000", "\"min_yuan\": 60000", 1);
    let Err((field, _)) = CaseRules::parse(&swapped) else {
        panic!("expected an error");
    };
    assert_eq!(field, "violations.SP-001.tiers.ordinary");
}

#[test]
fn replay_as_of_a_moment_shows_only_what_was_recorded_by_then() {
    let case = clean();
    let r = replay(&case.0, Some(at("2025-03-10")));
    assert_eq!(r.steps.len(), 4);
    assert_eq!(r.state.status, CaseStatus::Noticed);
    assert_eq!(r.steps[2].evidence_hashes, vec!["ab".repeat(32)]);
    assert_eq!(r.steps[0].rule_version, "cn-default-2026");
}

proptest! {
    /// Replay at the last event's time equals the folded state, and replay is monotone
    /// in `at`: a later moment never shows fewer steps, and its steps extend the earlier.
    #[test]
    fn replay_is_the_fold_and_monotone(a in 0i64..40, b in 0i64..40) {
        let case = clean();
        let last = case.0.last().map(|e| e.recorded_at);
        let full = replay(&case.0, last);
        prop_assert_eq!(&full.state, &case.state());
        let start = at("2025-03-01");
        let (x, y) = (start + Duration::days(a.min(b)), start + Duration::days(a.max(b)));
        let early = replay(&case.0, Some(x));
        let late = replay(&case.0, Some(y));
        prop_assert!(early.steps.len() <= late.steps.len());
        prop_assert_eq!(&late.steps[..early.steps.len()], &early.steps[..]);
    }
}

/// The running scan (what the `enforcement_cases` read model keeps between events) gives,
/// one event at a time, exactly the deviations and the state of the whole fold.
#[test]
fn the_running_scan_equals_the_whole_fold_at_every_step() {
    let requested = noticed().officer("2025-03-12", CaseStep::RequestHearing);
    let cases = [
        clean(),
        requested
            .clone()
            .boss("2025-03-20", decide(Tier::Ordinary, Some(10_000), None)),
        noticed()
            .officer("2025-03-11", evidence(&[]))
            .then(
                PARTNER,
                Role::ApprovingOfficer,
                "2025-06-10",
                decide(Tier::Serious, Some(100_000), None),
            )
            .officer("2025-06-20", CaseStep::Serve),
    ];
    for case in cases {
        let mut scan = DeviationScan::default();
        let mut found = vec![];
        for (i, e) in case.0.iter().enumerate() {
            found.extend(scan.push(e));
            let prefix = &case.0[..=i];
            assert_eq!(found, deviations(prefix), "after event {}", i + 1);
            assert_eq!(scan.found, found.len() as u64);
            assert_eq!(scan.state, replay(prefix, None).state);
        }
        assert!(!found.is_empty() || case.codes().is_empty());
    }
}

/// Issue 28: a case opened on 21 December 2026 counts its filing deadline into 2027 on
/// the provisional calendar; when 2027's official schedule is loaded and moves it, the
/// administrator's recount records it anew, once.
#[test]
fn a_filing_deadline_counted_into_2027_is_recounted_on_the_official_schedule() {
    let given = Given::default().officer("2026-12-21", open("2026-12-21"));
    // 22-25 and 28-31 December (8), 1 January off, 4-8 January (13), 11-12 January.
    assert_eq!(given.state().filing_deadline, Some(day("2027-01-12")));
    assert_eq!(
        calendar().basis(day("2026-12-21"), day("2027-01-12")),
        crate::calendar::CalendarBasis::Provisional
    );
    // the official schedule of 2027, say with 4 January off as well
    let text = format!(
        "{}2027-01-01,holiday_off,元旦,New Year's Day\n2027-01-04,holiday_off,元旦,New Year's Day\n",
        include_str!("../../../data/calendar-cn-2018-2026.csv")
    );
    let official = Arc::new(WorkingCalendar::from_csv(&text).unwrap());
    assert_eq!(
        given.state().recounted_deadlines(&official),
        vec![(DeadlineKind::Filing, day("2027-01-12"), day("2027-01-13"))]
    );
    let recount = || CaseStep::RecountDeadlines {
        calendar_version: official.content_digest(),
    };
    let issue = |given: &Given, role: Role| {
        let issued = Issued {
            meta: CommandMeta::new(Uuid::new_v4(), Actor::new("admin", role), at("2026-12-28")),
            command: CaseCommand {
                step: recount(),
                calendar: Arc::clone(&official),
            },
        };
        EnforcementCase::handle_command(&given.state(), issued)
    };
    assert!(matches!(
        issue(&given, Role::CaseOfficer),
        Err(CaseError::WrongRole { .. })
    ));
    let events = issue(&given, Role::Admin).unwrap();
    assert_eq!(
        events.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        vec![CaseEvent::DeadlineRecounted {
            deadline: DeadlineKind::Filing,
            previous: day("2027-01-12"),
            due_on: day("2027-01-13"),
            calendar_version: official.content_digest(),
        }]
    );
    let mut after = given.clone();
    after.0.extend(events);
    assert_eq!(after.state().filing_deadline, Some(day("2027-01-13")));
    assert!(after.state().recounted_deadlines(&official).is_empty());
    assert!(matches!(
        issue(&after, Role::System),
        Err(CaseError::OutOfOrder { .. })
    ));
    // a recount is no step of the lawful order and no deviation
    assert_eq!(after.codes(), Vec::<&str>::new());
}

/// Issue 28: an open case past its decision deadline is `overdue` from the day after it,
/// as of the moment asked about, and no longer once decided (late: `deadline_missed`).
#[test]
fn an_open_case_past_its_deadline_is_overdue_from_the_next_day() {
    let case = noticed();
    let state = case.state();
    let due = state.decision_deadline.unwrap();
    // filed 2025-03-05: 90 calendar days
    assert_eq!(due, day("2025-06-03"));
    assert!(
        overdue(&state, due).is_empty(),
        "its last day is not overdue"
    );
    let found = overdue(&state, day("2025-06-04"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code, DeviationCode::Overdue);
    assert_eq!(found[0].sequence, 0);
    assert_eq!(found[0].evidence["deadline"], "decision");
    assert_eq!(found[0].evidence["due_on"], "2025-06-03");
    // 18 months on, still one deviation per deadline, not per day
    assert_eq!(overdue(&state, day("2026-12-08")).len(), 1);
    // a clue never filed is overdue for filing; a closed case never is
    let clue = Given::default().officer("2025-03-03", open("2025-03-03"));
    let filing = overdue(&clue.state(), day("2025-12-01"));
    assert_eq!(
        filing
            .iter()
            .map(|d| d.evidence["deadline"].clone())
            .collect::<Vec<_>>(),
        vec![serde_json::json!("filing")]
    );
    assert!(overdue(&clean().state(), day("2026-12-08")).is_empty());
    // decided late and served: no longer overdue, the late step says deadline_missed
    let late = case
        .boss("2025-06-10", decide(Tier::Ordinary, Some(10_000), None))
        .officer("2025-06-11", CaseStep::Serve);
    assert!(overdue(&late.state(), day("2026-12-08")).is_empty());
    assert_eq!(late.codes(), vec!["deadline_missed"]);
}
