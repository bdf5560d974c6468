//! Given/when/then tests of what falls due: each firing due at its domain instant, once,
//! and the scheduler's records changing no credit answer.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use esrs::Aggregate;
use uuid::Uuid;

use super::*;
use crate::calendar::WorkingCalendar;
use crate::case::{CaseCommand, CaseEvent, CaseRules, EnforcementCase};
use crate::credit::{
    entries_known, entry_id, CreditEvent, CreditSubject, EnterList, Fact, RemoveFromList,
};
use crate::event_log::{Actor, CommandMeta, Issued, Role};
use crate::identifiers::Uscc;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// `hh:00` UTC on day `s`.
fn at(s: &str, hh: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(s).and_hms_opt(hh, 0, 0).unwrap())
}

fn uscc() -> Uscc {
    Uscc::parse("91330102MA0000031F").unwrap()
}

fn meta(role: Role, now: DateTime<Utc>) -> CommandMeta {
    CommandMeta::new(Uuid::new_v4(), Actor::new("u", role), now)
}

/// A credit subject's facts and state after `commands`, each issued at its instant.
fn credit(commands: Vec<(Role, DateTime<Utc>, CreditCommand)>) -> (CreditState, Vec<Fact>) {
    let mut state = CreditState::default();
    let mut facts = vec![];
    for (role, now, command) in commands {
        let issued = Issued {
            meta: meta(role, now),
            command,
        };
        for e in CreditSubject::handle_command(&state, issued).unwrap() {
            facts.push(Fact {
                seq: facts.len() as u64 + 1,
                recorded_at: e.recorded_at,
                event: e.event.clone(),
            });
            state = CreditSubject::apply_event(state, e);
        }
    }
    (state, facts)
}

fn enter(list: ListId, reason: &str, on: &str) -> CreditCommand {
    CreditCommand::Enter(
        uscc(),
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

#[test]
fn the_firing_key_is_pinned_and_depends_on_job_instant_and_target() {
    let due = start_of_china_day(day("2029-03-01"));
    assert_eq!(due, at("2029-02-28", 16));
    let id = firing_id(Job::CreditExpiry, due, "entry/x");
    // Pinned: a changed derivation would fire every past firing again.
    assert_eq!(id.to_string(), "69f334f6-cfbc-8c8a-b9fd-c25a2d1fe6f6");
    assert_ne!(id, firing_id(Job::CreditEscalation, due, "entry/x"));
    assert_ne!(
        id,
        firing_id(
            Job::CreditExpiry,
            due + chrono::Duration::microseconds(1),
            "entry/x"
        )
    );
    assert_ne!(id, firing_id(Job::CreditExpiry, due, "entry/y"));
    for job in Job::ALL {
        assert_eq!(Job::parse(job.as_str()), Some(job));
    }
}

#[test]
fn a_serious_entry_expires_at_the_first_instant_of_its_until_day_once() {
    let officer = at("2026-01-05", 2);
    let (state, _) = credit(vec![(
        Role::CreditOfficer,
        officer,
        enter(ListId::Serious, "判决未履行", "2026-01-05"),
    )]);
    let until = day("2029-01-05");
    let due = start_of_china_day(until);
    assert!(credit_expiries(&state, due - chrono::Duration::microseconds(1)).is_empty());
    let fired = credit_expiries(&state, due);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].due_at, due);
    // catching up years later fires the same firing: same key, same due instant
    let late = credit_expiries(&state, at("2031-07-01", 0));
    assert_eq!(late[0].command_id(), fired[0].command_id());
    let (after, facts) = credit(vec![
        (
            Role::CreditOfficer,
            officer,
            enter(ListId::Serious, "判决未履行", "2026-01-05"),
        ),
        (Role::System, at("2031-07-01", 0), late[0].command.clone()),
    ]);
    assert!(matches!(
        facts.last().map(|f| &f.event),
        Some(CreditEvent::ListEntryExpired { expired_on, due_at, .. }) if *expired_on == until && *due_at == due
    ));
    assert!(credit_expiries(&after, at("2032-01-01", 0)).is_empty());
}

#[test]
fn an_entry_removed_before_its_period_ends_never_expires_and_the_abnormal_list_has_no_period() {
    let (state, _) = credit(vec![
        (
            Role::CreditOfficer,
            at("2026-01-05", 2),
            enter(ListId::Focus, "投诉集中", "2026-01-05"),
        ),
        (
            Role::CreditOfficer,
            at("2026-03-01", 2),
            CreditCommand::Remove(RemoveFromList {
                entry_id: entry_id(&uscc(), 1),
                reason: "整改完毕".into(),
                removed_on: day("2026-03-01"),
            }),
        ),
        (
            Role::CreditOfficer,
            at("2026-04-01", 2),
            enter(ListId::Abnormal, "unreachable", "2026-04-01"),
        ),
    ]);
    assert!(credit_expiries(&state, at("2035-01-01", 0)).is_empty());
}

#[test]
fn the_expiry_is_refused_to_anyone_but_the_system_and_before_its_day() {
    let (state, _) = credit(vec![(
        Role::CreditOfficer,
        at("2026-01-05", 2),
        enter(ListId::Serious, "判决未履行", "2026-01-05"),
    )]);
    let expire = CreditCommand::Expire(ExpireEntry {
        entry_id: entry_id(&uscc(), 1),
        due_at: at("2029-01-04", 16),
    });
    let by_officer = Issued {
        meta: meta(Role::CreditOfficer, at("2029-02-01", 0)),
        command: expire.clone(),
    };
    assert!(CreditSubject::handle_command(&state, by_officer).is_err());
    let too_early = Issued {
        meta: meta(Role::System, at("2029-01-04", 15)),
        command: expire,
    };
    assert!(matches!(
        CreditSubject::handle_command(&state, too_early),
        Err(crate::credit::CreditError::NotExpiring(..))
    ));
}

#[test]
fn the_recorded_escalation_is_the_entry_the_check_derived_so_no_answer_changes() {
    let entered = (
        Role::CreditOfficer,
        at("2026-01-05", 2),
        enter(ListId::Abnormal, "unreachable", "2026-01-05"),
    );
    let (state, facts) = credit(vec![entered.clone()]);
    let rules = CreditRules::default();
    let due = start_of_china_day(day("2029-01-05"));
    assert!(credit_escalations(&state, &rules, "v", due - chrono::Duration::seconds(1)).is_empty());
    let fired = credit_escalations(&state, &rules, "v", at("2029-06-01", 0));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].due_at, due);
    let derived = entries_known(&facts, at("2029-06-01", 0), &rules);
    let (after, recorded_facts) = credit(vec![
        entered,
        (Role::System, at("2029-06-01", 0), fired[0].command.clone()),
    ]);
    let recorded = entries_known(&recorded_facts, at("2029-06-02", 0), &rules);
    assert_eq!(derived.len(), 2);
    assert_eq!(recorded.len(), 2);
    for (d, r) in derived.iter().zip(&recorded) {
        assert_eq!(
            (
                d.entry_id,
                d.list,
                &d.reason,
                d.entered_on,
                d.until,
                &d.legal_basis
            ),
            (
                r.entry_id,
                r.list,
                &r.reason,
                r.entered_on,
                r.until,
                &r.legal_basis
            )
        );
    }
    assert!(credit_escalations(&after, &rules, "v", at("2030-01-01", 0)).is_empty());
}

#[test]
fn a_result_unpublished_past_its_deadline_is_flagged_once_per_version() {
    let mut state = ResultState {
        version: 1,
        deadline: Some(day("2026-04-01")),
        ..ResultState::default()
    };
    let id = Uuid::nil();
    assert!(publication_overdue(id, &state, at("2026-04-01", 15)).is_none());
    let due = at("2026-04-01", 16);
    let Some(f) = publication_overdue(id, &state, due) else {
        panic!("due the day after the deadline")
    };
    assert_eq!(f.due_at, due);
    state.overdue_flagged = Some(1);
    assert!(publication_overdue(id, &state, at("2027-01-01", 0)).is_none());
    state.version = 2;
    state.deadline = Some(day("2026-05-06"));
    let again = publication_overdue(id, &state, at("2027-01-01", 0));
    assert!(again.is_some_and(|f| f.target.ends_with("/v2")));
    state.published = Some(2);
    assert!(publication_overdue(id, &state, at("2027-01-01", 0)).is_none());
}

#[test]
fn a_case_not_filed_by_its_deadline_is_flagged_once_by_the_system_only() {
    let calendar = Arc::new(WorkingCalendar::default_cn());
    let step = |state: &CaseState, role: Role, now: DateTime<Utc>, step: CaseStep| {
        let issued = Issued {
            meta: meta(role, now),
            command: CaseCommand {
                step,
                calendar: Arc::clone(&calendar),
            },
        };
        EnforcementCase::handle_command(state, issued)
    };
    let opened = step(
        &CaseState::default(),
        Role::CaseOfficer,
        at("2026-03-02", 2),
        CaseStep::Open {
            clue: "举报".into(),
            subject: None,
            clue_received: day("2026-03-02"),
            rules: CaseRules::default_rules(),
        },
    )
    .unwrap();
    let state = opened
        .into_iter()
        .fold(CaseState::default(), EnforcementCase::apply_event);
    let Some(due_on) = state.filing_deadline else {
        panic!("a filing deadline")
    };
    let case = Uuid::nil();
    let before = start_of_china_day(due_on.succ_opt().unwrap()) - chrono::Duration::seconds(1);
    assert!(case_deadlines(case, &state, before).is_empty());
    let now = at("2026-06-01", 0);
    let fired = case_deadlines(case, &state, now);
    assert_eq!(fired.len(), 1);
    assert!(step(&state, Role::CaseOfficer, now, fired[0].command.clone()).is_err());
    let flagged = step(&state, Role::System, now, fired[0].command.clone()).unwrap();
    assert!(matches!(
        &flagged[0].event,
        CaseEvent::DeadlineReached { deadline: DeadlineKind::Filing, due_on: d, .. } if *d == due_on
    ));
    let after = flagged
        .into_iter()
        .fold(state, EnforcementCase::apply_event);
    assert!(case_deadlines(case, &after, now).is_empty());
    assert!(step(&after, Role::System, now, fired[0].command.clone()).is_err());
}

#[test]
fn a_penalty_ends_its_publicity_after_the_rule_period_by_severity_then_is_repairable() {
    use crate::credit::{PenaltySeverity, RecordCredit, RecordSource};
    let record = |severity: Option<PenaltySeverity>| {
        CreditCommand::Record(
            uscc(),
            RecordCredit {
                source: RecordSource::Penalty,
                summary: "罚款".into(),
                legal_basis: "行政处罚法".into(),
                effective_on: day("2026-01-10"),
                reference: None,
                penalty: severity,
            },
        )
    };
    let officer = at("2026-01-10", 2);
    let (state, _) = credit(vec![
        (Role::CreditOfficer, officer, record(None)),
        (
            Role::CreditOfficer,
            officer,
            record(Some(PenaltySeverity::Serious)),
        ),
    ]);
    let rules = CreditRules::default();
    let due: Vec<_> = penalty_publicity(&state, &rules, at("2026-06-01", 0))
        .iter()
        .map(|f| f.due_at)
        .collect();
    assert_eq!(
        due,
        vec![start_of_china_day(day("2026-04-10"))],
        "ordinary: 3 months"
    );
    let both = penalty_publicity(&state, &rules, at("2027-02-01", 0));
    assert_eq!(both.len(), 2);
    assert_eq!(
        both[1].due_at,
        start_of_china_day(day("2027-01-10")),
        "serious: 12 months"
    );
    let (after, facts) = credit(vec![
        (Role::CreditOfficer, officer, record(None)),
        (
            Role::CreditOfficer,
            officer,
            record(Some(PenaltySeverity::Serious)),
        ),
        (Role::System, at("2027-02-01", 0), both[0].command.clone()),
    ]);
    assert!(matches!(
        facts.last().map(|f| &f.event),
        Some(CreditEvent::PublicityEnded { ended_on, .. }) if *ended_on == day("2026-04-10")
    ));
    assert_eq!(
        penalty_publicity(&after, &rules, at("2027-02-01", 0)).len(),
        1
    );
    // a severity belongs to penalties only
    let wrong = CreditCommand::Record(
        uscc(),
        RecordCredit {
            source: RecordSource::Tax,
            summary: "欠税".into(),
            legal_basis: "税收征管法".into(),
            effective_on: day("2026-01-10"),
            reference: None,
            penalty: Some(PenaltySeverity::Serious),
        },
    );
    let issued = Issued {
        meta: meta(Role::CreditOfficer, officer),
        command: wrong,
    };
    assert!(CreditSubject::handle_command(&CreditState::default(), issued).is_err());
}
