//! Given/when/then tests of the draw's failures and isolation: unstaffable teams name
//! the constraint, bad inputs are listed before any randomness is used, the beacon must
//! be the task's round, and one stratum or one recusal shifts nothing else.

use super::fixture::*;
use super::*;
use crate::directory::{InspectorStatus, RiskClass, SubjectStatus};

fn golden_seed() -> Seed {
    Seed(pool::sha256(b"team tests"))
}

fn unstaffable(frozen: &FrozenDraw) -> Vec<Unstaffable> {
    match draw_from_seed(frozen, &golden_seed()) {
        Err(DrawError::Unstaffable(list)) => list,
        other => panic!("expected Unstaffable, got {other:?}"),
    }
}

#[test]
fn a_department_emptied_by_expired_certificates_fails_the_draw_naming_it() {
    // Given every YJGL certificate expires before the inspection date
    let mut frozen = golden_frozen();
    for i in frozen
        .inspectors
        .iter_mut()
        .filter(|i| i.department.as_str() == "YJGL")
    {
        i.certificate.expires_on = day(2026, 6, 1);
    }
    // When the draw runs, then it fails for every subject, naming YJGL and the certificate
    let list = unstaffable(&frozen);
    assert_eq!(list.len(), 15);
    let first = &list[0];
    assert_eq!(first.department, Some(department("YJGL")));
    assert_eq!(first.constraint, Constraint::Certificate);
    assert_eq!(first.needed, 1);
    assert_eq!(
        first.funnel[..3],
        [
            (Constraint::Department, 6),
            (Constraint::Status, 6),
            (Constraint::Certificate, 0)
        ]
    );
    assert!(first
        .to_string()
        .contains("no inspector of department YJGL is left after constraint 'certificate'"));
}

#[test]
fn a_missing_qualification_is_named() {
    let mut frozen = golden_frozen();
    frozen.task.items[0].qualification = Some(label("特种设备检验"));
    let list = unstaffable(&frozen);
    assert!(list
        .iter()
        .all(|u| u.constraint == Constraint::Qualification && u.department.is_some()));
}

#[test]
fn a_team_short_overall_names_the_constraint_and_no_department() {
    // Given teams of 12 but only 11 eligible inspectors in all
    let mut frozen = golden_frozen();
    frozen.task.team_size = 12;
    let list = unstaffable(&frozen);
    let first = &list[0];
    assert_eq!(first.department, None);
    assert_eq!(first.needed, 12);
    assert!(first.to_string().starts_with(&format!(
        "subject {}: fewer than 12 inspectors are left",
        first.uscc
    )));
}

#[test]
fn a_single_department_task_draws_from_that_department_only() {
    let mut frozen = golden_frozen();
    frozen.task.departments = [department("SCJG")].into();
    frozen
        .task
        .items
        .retain(|i| i.department.as_str() == "SCJG");
    frozen.task.team_size = 2;
    let drawn = draw_from_seed(&frozen, &golden_seed()).unwrap();
    for member in drawn.teams.iter().flat_map(|t| &t.members) {
        assert!(member.as_str().starts_with("SCJG-"), "{member}");
    }
    // SCJG-06 has no qualification but none is required now.
    assert!(drawn.teams.iter().flat_map(|t| &t.members).count() == 30);
}

#[test]
fn every_input_problem_is_listed_before_any_randomness() {
    let mut inputs = golden_inputs();
    let f = &mut inputs.frozen;
    f.task.task_id = "JX 1".into();
    f.task.team_size = 1;
    f.task.items[1].department = department("ZFJD");
    f.subjects.push(f.subjects[0].clone());
    f.subjects[1].status = SubjectStatus::Cancelled;
    f.inspectors.push(f.inspectors[0].clone());
    f.rules.ratio_bp.a = 10_001;
    inputs
        .randomness
        .commitments
        .push(golden_commitments()[0].clone());
    // A beacon that would fail too: the inputs are refused first.
    inputs.randomness.beacon.round = 124;
    let Err(DrawError::InvalidInputs(problems)) = run_draw(&inputs) else {
        panic!("expected InvalidInputs");
    };
    let kinds: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 9, "{kinds:#?}");
    assert!(matches!(problems[0], InputProblem::TaskId { .. }));
    assert!(kinds
        .iter()
        .any(|k| k.contains("ZFJD, which is not in the task")));
    assert!(kinds.iter().any(|k| k.contains("ratio_bp.A")));
    assert!(kinds
        .iter()
        .any(|k| k == "team size 1 is below the rules' minimum of 2"));
    assert!(kinds
        .iter()
        .any(|k| k.contains("one inspector of each of 2 departments")));
    assert!(kinds
        .iter()
        .any(|k| k.starts_with("subject") && k.contains("appears twice")));
    assert!(kinds
        .iter()
        .any(|k| k == "inspector ZFJD-01 appears twice in the pool"));
    assert!(kinds.iter().any(|k| k.contains("status cancelled")));
    assert!(kinds
        .iter()
        .any(|k| k == "department YJGL has two commitments"));
}

#[test]
fn only_the_round_fixed_by_the_task_is_accepted() {
    let mut inputs = golden_inputs();
    inputs.frozen.task.beacon_round = 124;
    assert_eq!(
        run_draw(&inputs).unwrap_err(),
        DrawError::BeaconRound {
            fixed: 124,
            given: 123
        }
    );
    // The same signature presented as the fixed round 124 does not verify.
    inputs.randomness.beacon.round = 124;
    assert_eq!(
        run_draw(&inputs).unwrap_err(),
        DrawError::Beacon(BeaconError::BadSignature { round: 124 })
    );
}

#[test]
fn a_missing_and_an_invalid_reveal_contribute_nothing_and_a_valid_one_changes_the_seed() {
    let base = run_draw(&golden_inputs()).unwrap();
    let mut missing = golden_inputs();
    missing.randomness.commitments[0].secret = None;
    let missing = run_draw(&missing).unwrap();
    assert_eq!(missing.seed, base.seed, "invalid and missing are both '-'");
    assert_eq!(
        missing.reveals[1],
        (department("YJGL"), RevealStatus::Missing)
    );
    let mut valid = golden_inputs();
    valid.randomness.commitments[0].secret = Some(golden_secret("YJGL"));
    let valid = run_draw(&valid).unwrap();
    assert_ne!(valid.seed, base.seed);
    assert_ne!(valid.transcript(), base.transcript());
}

#[test]
fn any_change_to_the_frozen_pool_changes_the_seed() {
    let base = run_draw(&golden_inputs()).unwrap().seed;
    let mut renamed = golden_inputs();
    renamed.frozen.subjects[3].name.push('X');
    assert_ne!(run_draw(&renamed).unwrap().seed, base);
    let mut shrunk = golden_inputs();
    shrunk
        .frozen
        .inspectors
        .retain(|i| i.id.as_str() != "SCJG-09");
    assert_ne!(run_draw(&shrunk).unwrap().seed, base);
    let mut suspended = golden_inputs();
    suspended.frozen.inspectors[0].status = InspectorStatus::Suspended;
    assert_ne!(run_draw(&suspended).unwrap().seed, base);
    let mut related = golden_inputs();
    related.frozen.relationships.clear();
    assert_ne!(run_draw(&related).unwrap().seed, base);
    let mut version = golden_inputs();
    version.frozen.rules_version = 3;
    assert_ne!(run_draw(&version).unwrap().seed, base);
}

#[test]
fn a_change_in_one_stratum_shifts_no_other_stratum() {
    // Given the same seed, a subject added to stratum 330102/A
    let seed = golden_seed();
    let before = draw_from_seed(&golden_frozen(), &seed).unwrap();
    let mut frozen = golden_frozen();
    frozen.subjects.push(subject(99, "330102", RiskClass::A));
    let after = draw_from_seed(&frozen, &seed).unwrap();
    // Then every other stratum draws exactly the same subjects in the same order
    assert_eq!(before.strata.len(), after.strata.len());
    for (b, a) in before.strata.iter().zip(&after.strata) {
        if b.stratum.region.as_str() == "330102" && b.stratum.risk_class == RiskClass::A {
            assert_eq!(a.pool, b.pool + 1);
        } else {
            assert_eq!(a, b);
        }
    }
}

#[test]
fn a_recusal_changes_only_its_own_member() {
    let frozen = golden_frozen();
    let seed = golden_seed();
    let drawn = draw_from_seed(&frozen, &seed).unwrap();
    let team = &drawn.teams[3];
    let request = RecusalRequest {
        uscc: team.uscc.clone(),
        inspector: team.members[2].clone(),
        number: 1,
        earlier: Default::default(),
    };
    let replacement = draw_replacement(&frozen, &seed, &drawn.teams, &request).unwrap();
    let replaced = team.with_replacement(&replacement);
    assert_eq!(replaced.members[..2], team.members[..2]);
    assert_ne!(replaced.members[2], team.members[2]);
    // The draw itself is untouched: re-running it gives the same teams.
    assert_eq!(draw_from_seed(&frozen, &seed).unwrap(), drawn);
}

#[test]
fn recusal_requests_are_checked() {
    let frozen = golden_frozen();
    let seed = golden_seed();
    let drawn = draw_from_seed(&frozen, &seed).unwrap();
    let team = &drawn.teams[0];
    let request = |inspector: &str, number: u32| RecusalRequest {
        uscc: team.uscc.clone(),
        inspector: inspector_id(inspector),
        number,
        earlier: Default::default(),
    };
    let stranger = if team.members.iter().any(|m| m.as_str() == "SCJG-02") {
        unreachable!("SCJG-02 is suspended")
    } else {
        "SCJG-02"
    };
    assert!(matches!(
        draw_replacement(&frozen, &seed, &drawn.teams, &request(stranger, 1)),
        Err(RecusalError::NotOnTeam { .. })
    ));
    assert!(matches!(
        draw_replacement(
            &frozen,
            &seed,
            &drawn.teams,
            &request(team.members[0].as_str(), 2)
        ),
        Err(RecusalError::Number { expected: 1, .. })
    ));
    let mut no_team = request(team.members[0].as_str(), 1);
    no_team.uscc = drawn.strata[0].reserve[0].clone();
    assert_eq!(
        draw_replacement(&frozen, &seed, &drawn.teams, &no_team),
        Err(RecusalError::NoTeam(no_team.uscc.clone()))
    );
}

#[test]
fn a_recusal_with_no_candidate_left_names_the_constraint() {
    // Given a single-department task whose pool holds exactly the team
    let mut frozen = golden_frozen();
    frozen.task.departments = [department("SCJG")].into();
    frozen
        .task
        .items
        .retain(|i| i.department.as_str() == "SCJG");
    frozen.task.team_size = 2;
    frozen.subjects.truncate(1);
    frozen
        .inspectors
        .retain(|i| ["SCJG-01", "SCJG-03"].contains(&i.id.as_str()));
    let seed = golden_seed();
    let drawn = draw_from_seed(&frozen, &seed).unwrap();
    let team = &drawn.teams[0];
    let request = RecusalRequest {
        uscc: team.uscc.clone(),
        inspector: team.members[0].clone(),
        number: 1,
        earlier: Default::default(),
    };
    let Err(RecusalError::Unstaffable(why)) =
        draw_replacement(&frozen, &seed, &drawn.teams, &request)
    else {
        panic!("expected no replacement");
    };
    // The remaining member is of SCJG, so the department is not restricted; the member
    // still on the team leaves one candidate, the recused inspector, and `recused` none.
    assert_eq!(why.constraint, Constraint::Recused);
    assert_eq!(why.department, None);
    assert_eq!(
        why.funnel[why.funnel.len() - 2..],
        [(Constraint::OnTeam, 1), (Constraint::Recused, 0)],
        "{why}"
    );
}
