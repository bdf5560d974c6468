//! Given/when/then tests of the credit subject, and the bitemporal answer.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use esrs::Aggregate;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::event_log::{Actor, CommandMeta, Issued, Role};
use crate::identifiers::Uscc;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(s).and_hms_opt(4, 0, 0).unwrap())
}

fn subject() -> Uscc {
    Uscc::parse("91330102MA0000031F").unwrap()
}

const CATALOGUE: &str = "list,scenario,effect,measure,legal_basis\n\
serious,government_procurement,restricted,禁止参加政府采购活动,政府采购法第二十二条\n\
abnormal,honours,restricted,不予授予荣誉称号,企业信息公示暂行条例第十八条\n\
red,green_channel,rewarded,容缺受理,守信激励意见\n\
red,government_procurement,rewarded,优先考虑,守信激励意见\n";

fn catalogue() -> MeasuresCatalogue {
    MeasuresCatalogue::parse(CATALOGUE).unwrap()
}

/// Runs `commands` (issued at the given instants) from an empty subject; the facts.
fn given(commands: Vec<(&str, CreditCommand)>) -> Result<Vec<Fact>, CreditError> {
    let mut state = CreditState::default();
    let mut facts = vec![];
    for (when, c) in commands {
        let issued = Issued {
            meta: CommandMeta::new(
                Uuid::new_v4(),
                Actor::new("officer-1", Role::CreditOfficer),
                at(when),
            ),
            command: c,
        };
        for e in CreditSubject::handle_command(&state, issued)? {
            facts.push(Fact {
                seq: facts.len() as u64 + 1,
                recorded_at: e.recorded_at,
                event: e.event.clone(),
            });
            state = CreditSubject::apply_event(state, e);
        }
    }
    Ok(facts)
}

fn enter(list: ListId, reason: &str, on: &str) -> CreditCommand {
    CreditCommand::Enter(
        subject(),
        EnterList {
            list,
            reason: reason.into(),
            legal_basis: "依据".into(),
            entered_on: day(on),
            rules: CreditRules::default(),
            rule_version: "v".into(),
        },
    )
}

fn first() -> Uuid {
    entry_id(&subject(), 1)
}

fn ask(facts: &[Fact], date: &str, known: &str, scenario: &str) -> Evaluation {
    let entries = entries_known(facts, at(known), &CreditRules::default());
    evaluate(&entries, day(date), scenario, &catalogue())
}

#[test]
fn a_serious_entry_restricts_inside_its_period_only() {
    let facts = given(vec![(
        "2023-03-01",
        enter(ListId::Serious, "拒不履行", "2023-03-01"),
    )])
    .unwrap();
    let p = "government_procurement";
    assert_eq!(
        ask(&facts, "2023-02-28", "2026-01-01", p).decision,
        Decision::Allowed
    );
    let inside = ask(&facts, "2023-03-01", "2026-01-01", p);
    assert_eq!(inside.decision, Decision::Restricted);
    assert_eq!(inside.basis[0].until, Some(day("2026-03-01")));
    assert_eq!(inside.basis[0].measure, "禁止参加政府采购活动");
    assert_eq!(
        ask(&facts, "2026-02-28", "2026-01-01", p).decision,
        Decision::Restricted
    );
    let after = ask(&facts, "2026-03-01", "2027-01-01", p);
    assert_eq!(after.decision, Decision::Allowed);
    assert_eq!(after.not_applicable[0].why, "expired on 2026-03-01");
    // Outside the scenario: in force but no measure.
    let other = ask(&facts, "2024-01-01", "2026-01-01", "subsidy");
    assert_eq!(other.decision, Decision::Allowed);
    assert!(other.not_applicable[0]
        .why
        .contains("no measure for scenario subsidy"));
}

#[test]
fn nothing_recorded_after_known_at_counts() {
    let facts = given(vec![(
        "2023-03-01",
        enter(ListId::Serious, "x", "2023-03-01"),
    )])
    .unwrap();
    let e = ask(&facts, "2023-03-05", "2023-02-01", "government_procurement");
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e.basis.is_empty() && e.not_applicable.is_empty());
}

#[test]
fn an_annulment_changes_the_answer_only_for_later_known_at() {
    let facts = given(vec![
        ("2023-03-01", enter(ListId::Serious, "x", "2023-03-01")),
        (
            "2023-09-01",
            CreditCommand::Annul(AnnulEntry {
                entry_id: first(),
                reason: "错误列入".into(),
            }),
        ),
    ])
    .unwrap();
    let p = "government_procurement";
    assert_eq!(
        ask(&facts, "2023-05-01", "2023-08-31", p).decision,
        Decision::Restricted
    );
    let now = ask(&facts, "2023-05-01", "2023-09-02", p);
    assert_eq!(now.decision, Decision::Allowed);
    assert!(now.not_applicable[0].why.starts_with("annulled"));
}

#[test]
fn a_late_recorded_removal_is_retroactive_for_later_known_at() {
    let facts = given(vec![
        (
            "2023-03-01",
            enter(ListId::Abnormal, "unreachable", "2023-03-01"),
        ),
        (
            "2023-12-01",
            CreditCommand::Remove(RemoveFromList {
                entry_id: first(),
                reason: "address_changed".into(),
                removed_on: day("2023-06-01"),
            }),
        ),
    ])
    .unwrap();
    assert_eq!(
        ask(&facts, "2023-07-01", "2023-11-30", "honours").decision,
        Decision::Restricted
    );
    let later = ask(&facts, "2023-07-01", "2023-12-02", "honours");
    assert_eq!(later.decision, Decision::Allowed);
    assert_eq!(
        later.not_applicable[0].why,
        "removed from 2023-06-01: address_changed"
    );
    assert_eq!(
        ask(&facts, "2023-05-31", "2023-12-02", "honours").decision,
        Decision::Restricted
    );
}

#[test]
fn an_abnormal_entry_unremoved_for_three_years_escalates_without_any_job() {
    let facts = given(vec![(
        "2020-01-10",
        enter(ListId::Abnormal, "unreachable", "2020-01-10"),
    )])
    .unwrap();
    let p = "government_procurement";
    // Escalation day 2023-01-10; not derived before it is known to have come.
    assert_eq!(
        ask(&facts, "2023-01-10", "2023-01-09", p).decision,
        Decision::Allowed
    );
    let e = ask(&facts, "2023-01-10", "2023-01-11", p);
    assert_eq!(e.decision, Decision::Restricted);
    assert_eq!(e.basis[0].list, ListId::Serious);
    assert_eq!(e.basis[0].entry_id, escalation_id(first()));
    assert_eq!(e.basis[0].until, Some(day("2026-01-10")));
    assert_eq!(
        ask(&facts, "2023-01-09", "2024-01-01", p).decision,
        Decision::Allowed
    );
}

#[test]
fn an_abnormal_entry_removed_in_time_does_not_escalate() {
    let facts = given(vec![
        (
            "2020-01-10",
            enter(ListId::Abnormal, "unreachable", "2020-01-10"),
        ),
        (
            "2022-01-10",
            CreditCommand::Remove(RemoveFromList {
                entry_id: first(),
                reason: "contact_reestablished".into(),
                removed_on: day("2022-01-10"),
            }),
        ),
    ])
    .unwrap();
    let e = ask(&facts, "2023-06-01", "2024-01-01", "government_procurement");
    assert_eq!(e.decision, Decision::Allowed);
    assert_eq!(e.not_applicable.len(), 1);
}

#[test]
fn restriction_outweighs_reward() {
    let facts = given(vec![
        (
            "2023-01-01",
            enter(ListId::Red, "守合同重信用", "2023-01-01"),
        ),
        ("2023-02-01", enter(ListId::Serious, "x", "2023-02-01")),
    ])
    .unwrap();
    let e = ask(&facts, "2023-03-01", "2023-04-01", "government_procurement");
    assert_eq!(e.decision, Decision::Restricted);
    assert_eq!(e.basis.len(), 2);
    assert_eq!(
        ask(&facts, "2023-03-01", "2023-04-01", "green_channel").decision,
        Decision::Rewarded
    );
}

#[test]
fn the_same_abnormal_reason_is_refused_twice_in_a_year() {
    let remove = CreditCommand::Remove(RemoveFromList {
        entry_id: first(),
        reason: "contact_reestablished".into(),
        removed_on: day("2023-04-01"),
    });
    let err = given(vec![
        (
            "2023-03-01",
            enter(ListId::Abnormal, "unreachable", "2023-03-01"),
        ),
        ("2023-04-01", remove.clone()),
        (
            "2023-05-01",
            enter(ListId::Abnormal, "通过登记的住所无法联系", "2023-05-01"),
        ),
    ])
    .unwrap_err();
    assert!(matches!(
        err,
        CreditError::SameReasonSameYear { year: 2023, .. }
    ));
    // Another reason the same year, or the same reason next year, is fine.
    given(vec![
        (
            "2023-03-01",
            enter(ListId::Abnormal, "unreachable", "2023-03-01"),
        ),
        ("2023-04-01", remove),
        (
            "2023-05-01",
            enter(ListId::Abnormal, "annual_report_late", "2023-05-01"),
        ),
    ])
    .unwrap();
    let err = given(vec![(
        "2023-03-01",
        enter(ListId::Abnormal, "not a reason", "2023-03-01"),
    )])
    .unwrap_err();
    assert!(matches!(err, CreditError::Invalid(f, _) if f == "reason"));
}

fn repair(on: &str, proofs: Vec<String>, commitment: bool) -> CreditCommand {
    CreditCommand::ApplyRepair(ApplyRepair {
        entry_id: first(),
        applied_on: day(on),
        proofs,
        corrected: true,
        penalty_fulfilled: true,
        public_commitment: commitment,
        rules: CreditRules::default(),
    })
}

#[test]
fn repair_needs_a_year_and_every_condition_then_ends_the_entry() {
    let serious = ("2023-03-01", enter(ListId::Serious, "x", "2023-03-01"));
    let proof = vec!["ab".repeat(32)];
    let err = given(vec![
        serious.clone(),
        ("2024-02-29", repair("2024-02-29", proof.clone(), true)),
    ])
    .unwrap_err();
    assert!(
        matches!(err, CreditError::RepairTooEarly { months: 12, .. }),
        "{err}"
    );
    let err = given(vec![
        serious.clone(),
        ("2024-03-01", repair("2024-03-01", proof.clone(), false)),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("public_commitment"));
    let err = given(vec![
        serious.clone(),
        ("2024-03-01", repair("2024-03-01", vec![], true)),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("proofs"));
    let decide = |approved| {
        CreditCommand::DecideRepair(DecideRepair {
            entry_id: first(),
            approved,
            reasons: "已纠正并履行".into(),
            effective_on: day("2024-03-10"),
        })
    };
    let facts = given(vec![
        serious.clone(),
        ("2024-03-01", repair("2024-03-01", proof.clone(), true)),
        ("2024-03-10", decide(true)),
    ])
    .unwrap();
    let p = "government_procurement";
    assert_eq!(
        ask(&facts, "2024-03-09", "2024-04-01", p).decision,
        Decision::Restricted
    );
    let e = ask(&facts, "2024-03-10", "2024-04-01", p);
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e.not_applicable[0]
        .why
        .starts_with("credit repaired from 2024-03-10"));
    // A refusal leaves it listed; deciding twice is refused.
    let err = given(vec![
        serious.clone(),
        ("2024-03-01", repair("2024-03-01", proof, true)),
        ("2024-03-10", decide(false)),
        ("2024-03-11", decide(true)),
    ])
    .unwrap_err();
    assert!(matches!(err, CreditError::NoRepairPending(_)));
    let err = given(vec![serious, ("2024-03-10", decide(true))]).unwrap_err();
    assert!(matches!(err, CreditError::NoRepairPending(_)));
}

#[test]
fn a_serious_entry_is_not_removed_and_ended_entries_take_no_steps() {
    let err = given(vec![
        ("2023-03-01", enter(ListId::Serious, "x", "2023-03-01")),
        (
            "2023-04-01",
            CreditCommand::Remove(RemoveFromList {
                entry_id: first(),
                reason: "x".into(),
                removed_on: day("2023-04-01"),
            }),
        ),
    ])
    .unwrap_err();
    assert_eq!(err, CreditError::SeriousNotRemovable);
    let annul = CreditCommand::Annul(AnnulEntry {
        entry_id: first(),
        reason: "错误".into(),
    });
    let err = given(vec![
        ("2023-03-01", enter(ListId::Focus, "x", "2023-03-01")),
        ("2023-03-02", annul.clone()),
        ("2023-03-03", annul),
    ])
    .unwrap_err();
    assert!(matches!(err, CreditError::Ended(..)));
    let err = given(vec![
        ("2023-03-01", enter(ListId::Focus, "x", "2023-03-01")),
        ("2023-03-02", enter(ListId::Focus, "y", "2023-06-01")),
    ])
    .unwrap_err();
    assert!(matches!(err, CreditError::AlreadyListed(..)));
}

#[test]
fn only_credit_officers_maintain_lists() {
    let issued = Issued {
        meta: CommandMeta::new(
            Uuid::new_v4(),
            Actor::new("SJ-D01", Role::Inspector),
            at("2023-01-01"),
        ),
        command: enter(ListId::Serious, "x", "2023-01-01"),
    };
    assert_eq!(
        CreditSubject::handle_command(&CreditState::default(), issued).unwrap_err(),
        CreditError::NotCreditOfficer("inspector".into())
    );
}

#[test]
fn rule_files_and_catalogues_are_checked_with_the_line() {
    let ok = "serious_period_months = 36\nrepair_after_months = 12\nabnormal_escalation_months = 36\nred_period_months = 36\nfocus_period_months = 12\npenalty_publicity_ordinary_months = 3\npenalty_publicity_serious_months = 12\n";
    assert_eq!(CreditRules::parse(ok).unwrap(), CreditRules::default());
    let e = CreditRules::parse("serious_period_months = x\n").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(CreditRules::parse("serious_period_months = 36\n")
        .unwrap_err()
        .message
        .contains("missing"));
    let e = MeasuresCatalogue::parse(
        "list,scenario,effect,measure,legal_basis\nblack,x,restricted,m,b\n",
    )
    .unwrap_err();
    assert_eq!(e.line, 2);
    let e = MeasuresCatalogue::parse(
        "list,scenario,effect,measure,legal_basis\nserious,Bad Id,restricted,m,b\n",
    )
    .unwrap_err();
    assert!(e.message.contains("scenario"));
    assert_eq!(catalogue().len(), 4);
}

proptest! {
    /// Appending facts recorded after `known_at` never changes an answer as known at it.
    #[test]
    fn later_facts_never_change_an_earlier_answer(
        cut in 0usize..6,
        date_off in 0i64..2000,
        remove_off in 0i64..1500,
        annul in any::<bool>(),
    ) {
        let base = day("2020-01-01");
        let mut commands = vec![
            ("2020-01-01", enter(ListId::Abnormal, "unreachable", "2020-01-01")),
            ("2020-02-01", enter(ListId::Red, "表彰", "2020-02-01")),
        ];
        let removed_on = (base + chrono::Duration::days(remove_off)).to_string();
        let remove = CreditCommand::Remove(RemoveFromList { entry_id: first(), reason: "report_filed".into(), removed_on: day(&removed_on) });
        commands.push(("2024-06-01", remove));
        if annul {
            commands.push(("2024-07-01", CreditCommand::Annul(AnnulEntry { entry_id: entry_id(&subject(), 2), reason: "错误".into() })));
        }
        let facts = given(commands).unwrap();
        let cut = cut.min(facts.len());
        let known = if cut == 0 { at("2019-01-01") } else { facts[cut - 1].recorded_at };
        let date = base + chrono::Duration::days(date_off);
        let rules = CreditRules::default();
        let all = evaluate(&entries_known(&facts, known, &rules), date, "government_procurement", &catalogue());
        let prefix = evaluate(&entries_known(&facts[..cut], known, &rules), date, "government_procurement", &catalogue());
        prop_assert_eq!(all, prefix);
    }
}

#[test]
fn the_shipped_defaults_parse_and_name_every_scenario() {
    assert_eq!(
        CreditRules::parse(DEFAULT_RULES_TEXT).unwrap(),
        CreditRules::default()
    );
    let c = MeasuresCatalogue::parse(DEFAULT_MEASURES_CSV).unwrap();
    for s in [
        "government_procurement",
        "public_bidding",
        "subsidy",
        "honours",
        "licensing",
        "legal_representative",
        "inspection_frequency",
        "green_channel",
    ] {
        assert!(c.scenarios().iter().any(|x| x == s), "{s}");
    }
}

fn record(on: &str) -> CreditCommand {
    CreditCommand::Record(
        subject(),
        RecordCredit {
            source: RecordSource::Penalty,
            summary: "行政处罚".into(),
            legal_basis: "依据".into(),
            effective_on: day(on),
            reference: None,
            penalty: None,
        },
    )
}

fn class_of(facts: &[Fact], date: &str, known: &str) -> CreditClass {
    let entries = entries_known(facts, at(known), &CreditRules::default());
    classify(facts, &entries, day(date), at(known)).class
}

#[test]
fn the_credit_class_follows_lists_and_recent_records() {
    let facts = given(vec![
        ("2023-01-01", record("2023-01-01")),
        ("2023-06-01", record("2023-06-01")),
        ("2024-03-01", enter(ListId::Serious, "x", "2024-03-01")),
    ])
    .unwrap();
    assert_eq!(class_of(&facts, "2022-12-31", "2025-01-01"), CreditClass::A);
    assert_eq!(class_of(&facts, "2023-03-01", "2025-01-01"), CreditClass::B);
    assert_eq!(class_of(&facts, "2023-07-01", "2025-01-01"), CreditClass::C);
    // 2024-01-02: the 2023-01-01 record has left the 12-month window.
    assert_eq!(class_of(&facts, "2024-01-02", "2025-01-01"), CreditClass::B);
    assert_eq!(class_of(&facts, "2024-03-01", "2025-01-01"), CreditClass::D);
    // As known before the serious entry was recorded: not D.
    assert_eq!(class_of(&facts, "2024-03-01", "2024-02-01"), CreditClass::B);
    assert_eq!(class_of(&facts, "2027-03-01", "2028-01-01"), CreditClass::A);
}

fn repair_record(record_id: Uuid, on: &str, proofs: Vec<String>) -> CreditCommand {
    CreditCommand::RepairRecord(RepairRecord {
        record_id,
        repaired_on: day(on),
        reasons: "已履行处罚并公开承诺".into(),
        proofs,
        rules: CreditRules::default(),
    })
}

fn record_id_of(facts: &[Fact], n: usize) -> Uuid {
    facts
        .iter()
        .filter_map(|f| match &f.event {
            CreditEvent::CreditRecorded { record_id, .. } => Some(*record_id),
            _ => None,
        })
        .nth(n)
        .unwrap()
}

#[test]
fn a_penalty_record_is_repaired_only_after_its_publicity_then_stops_counting() {
    let proof = "ab".repeat(32);
    let facts = given(vec![
        ("2024-01-10", record("2024-01-10")),
        ("2024-02-01", record("2024-02-01")),
    ])
    .unwrap();
    let first_record = record_id_of(&facts, 0);
    let with = |extra: Vec<(&'static str, CreditCommand)>| {
        given(
            [
                vec![
                    ("2024-01-10", record("2024-01-10")),
                    ("2024-02-01", record("2024-02-01")),
                ],
                extra,
            ]
            .concat(),
        )
    };
    // an ordinary penalty is public at least 3 months: not repairable before 2024-04-10
    let e = with(vec![(
        "2024-04-09",
        repair_record(first_record, "2024-04-09", vec![proof.clone()]),
    )])
    .unwrap_err();
    assert!(
        matches!(&e, CreditError::RecordNotRepairable(_, why) if why.contains("until 2024-04-10")),
        "{e}"
    );
    // no proof, or a proof that is not a SHA-256, is refused
    assert!(matches!(
        with(vec![("2024-05-01", repair_record(first_record, "2024-05-01", vec![]))]),
        Err(CreditError::Invalid(field, _)) if field == "proofs"
    ));
    assert!(matches!(
        with(vec![(
            "2024-05-01",
            repair_record(first_record, "2024-05-01", vec!["x".into()])
        )]),
        Err(CreditError::Invalid(field, _)) if field == "proofs"
    ));
    // a record of another subject (or none) is not repairable
    assert!(matches!(
        with(vec![(
            "2024-05-01",
            repair_record(Uuid::nil(), "2024-05-01", vec![proof.clone()])
        )]),
        Err(CreditError::RecordNotRepairable(..))
    ));
    // repaired from 2024-05-01, recorded that day; not twice
    let repaired = with(vec![(
        "2024-05-01",
        repair_record(first_record, "2024-05-01", vec![proof.clone()]),
    )])
    .unwrap();
    assert!(matches!(
        with(vec![
            ("2024-05-01", repair_record(first_record, "2024-05-01", vec![proof.clone()])),
            ("2024-06-01", repair_record(first_record, "2024-06-01", vec![proof.clone()])),
        ]),
        Err(CreditError::RecordNotRepairable(_, why)) if why.contains("repaired from 2024-05-01")
    ));
    // two adverse records: C; from the repair day, one: B; before it, and as known
    // before the repair was recorded, still C
    assert_eq!(
        class_of(&repaired, "2024-04-30", "2024-06-01"),
        CreditClass::C
    );
    assert_eq!(
        class_of(&repaired, "2024-05-01", "2024-06-01"),
        CreditClass::B
    );
    assert_eq!(
        class_of(&repaired, "2024-05-01", "2024-04-30"),
        CreditClass::C
    );
    // a credit officer decides; another role may not
    let issued = Issued {
        meta: CommandMeta::new(
            Uuid::new_v4(),
            Actor::new("SJ-D01", Role::Inspector),
            at("2024-05-01"),
        ),
        command: repair_record(first_record, "2024-05-01", vec![proof]),
    };
    assert_eq!(
        CreditSubject::handle_command(&CreditState::default(), issued).unwrap_err(),
        CreditError::NotCreditOfficer("inspector".into())
    );
}

/// Issue 28: a record annulled (its ground removed) no longer counts in the class as
/// known from the annulment, and still counts as known before it; twice is refused.
#[test]
fn an_annulled_record_stops_counting_for_later_known_at() {
    let mut commands = vec![
        ("2023-01-01", record("2023-01-01")),
        ("2023-06-01", record("2023-06-01")),
    ];
    let facts = given(commands.clone()).unwrap();
    let second = record_id_of(&facts, 1);
    let annul = || {
        CreditCommand::AnnulRecord(AnnulRecord {
            record_id: second,
            reason: "检查结果已更正".into(),
        })
    };
    commands.push(("2023-08-01", annul()));
    let facts = given(commands.clone()).unwrap();
    assert_eq!(class_of(&facts, "2023-07-01", "2023-07-15"), CreditClass::C);
    assert_eq!(class_of(&facts, "2023-07-01", "2023-09-01"), CreditClass::B);
    commands.push(("2023-09-01", annul()));
    assert_eq!(
        given(commands).err(),
        Some(CreditError::RecordAnnulledAlready(second))
    );
    let unknown = CreditCommand::AnnulRecord(AnnulRecord {
        record_id: Uuid::nil(),
        reason: "x".into(),
    });
    assert_eq!(
        given(vec![
            ("2023-01-01", record("2023-01-01")),
            ("2023-02-01", unknown)
        ])
        .err(),
        Some(CreditError::NoSuchRecord(Uuid::nil()))
    );
}
