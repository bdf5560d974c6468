//! Property tests over random pools, rules, tasks and seeds: no subject twice, quotas
//! met exactly, every team satisfies every constraint (checked here independently of
//! `teams.rs`), failures name a constraint that really emptied the set, the same inputs
//! give the same bytes, and a different beacon gives a different draw.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::beacon::VerifiedBeacon;
use super::fixture::*;
use super::pool::PoolDigests;
use super::seed::seed_text;
use super::teams::covers;
use super::*;
use crate::directory::{InspectorRecord, InspectorStatus, RatiosByClass, RiskClass, Rules};

const REGIONS: [&str; 3] = ["330102", "330106", "330108"];
const PATROLS: [&str; 4] = ["330102", "330106", "330100", "330000"];
const DEPARTMENTS: [&str; 3] = ["D1", "D2", "D3"];

#[derive(Debug, Clone)]
struct InspectorSpec {
    department: usize,
    status: u8,
    expired: bool,
    qualified: bool,
    patrol: Option<usize>,
}

fn inspector_spec() -> impl Strategy<Value = InspectorSpec> {
    (
        0..3usize,
        0..20u8,
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.9),
        prop::option::weighted(0.15, 0..4usize),
    )
        .prop_map(
            |(department, status, expired, qualified, patrol)| InspectorSpec {
                department,
                status,
                expired,
                qualified,
                patrol,
            },
        )
}

/// A random frozen draw: up to 60 subjects in up to 12 strata, up to 40 inspectors of
/// three departments (one never in the task), random rules, conflicts and task.
fn frozen_draw() -> impl Strategy<Value = FrozenDraw> {
    (
        prop::collection::vec((0..3usize, 0..4usize), 1..60),
        prop::collection::vec(inspector_spec(), 2..40),
        (
            prop::array::uniform4(0..=5_000u32),
            1..12u32,
            any::<bool>(),
            any::<bool>(),
        ),
        (1..=3usize, 2..=4u32, any::<bool>()),
        prop::collection::vec((0..60u32, 0..30usize), 0..10),
        prop::collection::vec((0..60u32, 0..30usize), 0..10),
    )
        .prop_map(|(subjects, inspectors, rules, task, related, previous)| {
            let (ratios, cap, patrol, prev) = rules;
            let (departments, team_size, qualification) = task;
            let classes = [RiskClass::A, RiskClass::B, RiskClass::C, RiskClass::D];
            let subjects: Vec<_> = subjects
                .iter()
                .enumerate()
                .map(|(n, (r, c))| subject(n as u32 + 1, REGIONS[*r], classes[*c]))
                .collect();
            let inspectors: Vec<InspectorRecord> = inspectors
                .iter()
                .enumerate()
                .map(|(n, spec)| {
                    let quals: &[&str] = if spec.qualified { &["Q"] } else { &[] };
                    let mut i =
                        inspector(&format!("I-{n:02}"), DEPARTMENTS[spec.department], quals);
                    i.status = match spec.status {
                        0 => InspectorStatus::Suspended,
                        1 => InspectorStatus::Retired,
                        _ => InspectorStatus::Active,
                    };
                    if spec.expired {
                        i.certificate.expires_on = day(2026, 6, 14);
                    }
                    i.patrol_areas = spec
                        .patrol
                        .map(|p| region(PATROLS[p]))
                        .into_iter()
                        .collect();
                    i
                })
                .collect();
            let ids: Vec<_> = inspectors.iter().map(|i| i.id.clone()).collect();
            let pair = |(s, i): &(u32, usize)| {
                (
                    uscc(s % subjects.len() as u32 + 1),
                    ids[i % ids.len()].clone(),
                )
            };
            let mut task = golden_task();
            task.departments = DEPARTMENTS[..departments.min(2)]
                .iter()
                .map(|d| department(d))
                .collect();
            task.items.truncate(1);
            task.items[0].department = department("D1");
            task.items[0].qualification = qualification.then(|| label("Q"));
            task.team_size = team_size;
            FrozenDraw {
                task,
                relationships: related
                    .iter()
                    .map(pair)
                    .map(|(uscc, inspector)| Relationship { uscc, inspector })
                    .collect(),
                previous: previous
                    .iter()
                    .map(pair)
                    .map(|(uscc, inspector)| PreviousAssignment {
                        department: department("D1"),
                        uscc,
                        inspector,
                    })
                    .collect(),
                subjects,
                inspectors,
                rules_version: 1,
                rules: Rules {
                    ratio_bp: RatiosByClass {
                        a: ratios[0],
                        b: ratios[1],
                        c: ratios[2],
                        d: ratios[3],
                    },
                    workload_cap_per_task: cap,
                    conflicts: crate::directory::ConflictRules {
                        exclude_patrol_area: patrol,
                        exclude_previous_inspector: prev,
                    },
                    ..Rules::default()
                },
            }
        })
}

/// Whether `i` may serve on `subject`'s team, checked from the rules' text, not from
/// `teams.rs`.
fn may_serve(frozen: &FrozenDraw, uscc: &crate::identifiers::Uscc, i: &InspectorRecord) -> bool {
    let subject = frozen.subjects.iter().find(|s| &s.uscc == uscc).unwrap();
    let task = &frozen.task;
    let conflicts = &frozen.rules.conflicts;
    task.departments.contains(&i.department)
        && i.status == InspectorStatus::Active
        && i.certificate.issued_on <= task.inspection_date
        && task.inspection_date <= i.certificate.expires_on
        && task
            .items
            .iter()
            .filter_map(|item| item.qualification.as_ref())
            .all(|q| i.qualifications.contains(q))
        && !frozen
            .relationships
            .iter()
            .any(|r| &r.uscc == uscc && r.inspector == i.id)
        && !(conflicts.exclude_patrol_area
            && i.patrol_areas.iter().any(|a| covers(a, &subject.region)))
        && !(conflicts.exclude_previous_inspector
            && frozen
                .previous
                .iter()
                .any(|p| &p.uscc == uscc && p.inspector == i.id))
}

fn check_draw(frozen: &FrozenDraw, drawn: &Drawn) -> Result<(), TestCaseError> {
    // Strata: every subject once, in the right stratum, quotas exact.
    let mut seen = BTreeSet::new();
    let mut expected_strata: BTreeMap<StratumKey, usize> = BTreeMap::new();
    for s in &frozen.subjects {
        *expected_strata
            .entry(StratumKey {
                region: s.region.clone(),
                risk_class: s.risk_class,
            })
            .or_default() += 1;
    }
    let keys: Vec<_> = drawn.strata.iter().map(|s| s.stratum.clone()).collect();
    prop_assert_eq!(keys, expected_strata.keys().cloned().collect::<Vec<_>>());
    for stratum in &drawn.strata {
        let n = expected_strata[&stratum.stratum];
        let k = quota(n, frozen.rules.ratio_bp.get(stratum.stratum.risk_class));
        prop_assert_eq!(stratum.pool, n);
        prop_assert_eq!(stratum.quota, k);
        prop_assert_eq!(stratum.selected.len(), k);
        prop_assert_eq!(stratum.reserve.len(), if k == 0 { 0 } else { n - k });
        for code in stratum.selected.iter().chain(&stratum.reserve) {
            prop_assert!(seen.insert(code.clone()), "{} twice", code);
            let record = frozen.subjects.iter().find(|s| &s.uscc == code).unwrap();
            prop_assert_eq!(&record.region, &stratum.stratum.region);
            prop_assert_eq!(record.risk_class, stratum.stratum.risk_class);
        }
    }
    // Teams: one per selected subject, in order, every constraint respected.
    let selected: Vec<_> = drawn.selected().cloned().collect();
    let teamed: Vec<_> = drawn.teams.iter().map(|t| t.uscc.clone()).collect();
    prop_assert_eq!(selected, teamed);
    let mut load: BTreeMap<String, u32> = BTreeMap::new();
    for team in &drawn.teams {
        prop_assert_eq!(team.members.len(), frozen.task.team_size as usize);
        let distinct: BTreeSet<_> = team.members.iter().collect();
        prop_assert_eq!(distinct.len(), team.members.len());
        let records: Vec<&InspectorRecord> = team
            .members
            .iter()
            .map(|m| frozen.inspectors.iter().find(|i| &i.id == m).unwrap())
            .collect();
        for department in &frozen.task.departments {
            prop_assert!(records.iter().any(|r| &r.department == department));
        }
        for record in records {
            prop_assert!(
                may_serve(frozen, &team.uscc, record),
                "{} on {}",
                record.id,
                team.uscc
            );
            *load.entry(record.id.to_string()).or_default() += 1;
        }
    }
    prop_assert!(load
        .values()
        .all(|n| *n <= frozen.rules.workload_cap_per_task));
    Ok(())
}

fn seed_strategy() -> impl Strategy<Value = Seed> {
    prop::array::uniform32(any::<u8>()).prop_map(Seed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn draws_respect_quotas_and_every_constraint(frozen in frozen_draw(), seed in seed_strategy()) {
        match draw_from_seed(&frozen, &seed) {
            Ok(drawn) => check_draw(&frozen, &drawn)?,
            Err(DrawError::Unstaffable(subjects)) => {
                prop_assert!(!subjects.is_empty());
                for why in subjects {
                    // The named constraint is the first at which fewer than needed were left.
                    let position = why.funnel.iter().position(|(c, _)| *c == why.constraint).unwrap();
                    prop_assert!(why.funnel[position].1 < why.needed);
                    prop_assert!(why.funnel[..position].iter().all(|(_, n)| *n >= why.needed));
                    // And it is true: without the workload cap, count the eligible.
                    if why.constraint != Constraint::WorkloadCap {
                        let eligible = frozen.inspectors.iter()
                            .filter(|i| why.department.as_ref().is_none_or(|d| &i.department == d))
                            .filter(|i| may_serve(&frozen, &why.uscc, i))
                            .count();
                        prop_assert!(eligible < why.needed);
                    }
                }
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    #[test]
    fn the_same_inputs_give_the_same_bytes(frozen in frozen_draw(), seed in seed_strategy()) {
        let first = draw_from_seed(&frozen, &seed).map(|d| d.transcript(&seed));
        let second = draw_from_seed(&frozen.clone(), &seed).map(|d| d.transcript(&seed));
        prop_assert_eq!(first, second);
        prop_assert_eq!(PoolDigests::of(&frozen), PoolDigests::of(&frozen.clone()));
    }

    #[test]
    fn the_pool_order_given_does_not_matter(frozen in frozen_draw(), seed in seed_strategy()) {
        let mut shuffled = frozen.clone();
        shuffled.subjects.reverse();
        shuffled.inspectors.rotate_left(1);
        prop_assert_eq!(PoolDigests::of(&frozen), PoolDigests::of(&shuffled));
        prop_assert_eq!(
            draw_from_seed(&frozen, &seed).map(|d| d.transcript(&seed)),
            draw_from_seed(&shuffled, &seed).map(|d| d.transcript(&seed))
        );
    }

    #[test]
    fn a_different_beacon_gives_a_different_draw(a in prop::array::uniform32(any::<u8>()), b in prop::array::uniform32(any::<u8>())) {
        prop_assume!(a != b);
        let frozen = golden_frozen();
        let digests = PoolDigests::of(&frozen);
        let seed_of = |randomness: [u8; 32]| {
            let beacon = VerifiedBeacon { round: 123, randomness };
            Seed::of_text(&seed_text(&frozen.task, &digests, 2, &beacon, &golden_commitments()))
        };
        let (seed_a, seed_b) = (seed_of(a), seed_of(b));
        prop_assert_ne!(seed_a, seed_b);
        // 24 subjects in 12 strata of 2 with full permutations, and 15 teams: equal draws
        // from different seeds would need a collision of roughly 2^-40.
        let draw_a = draw_from_seed(&frozen, &seed_a).map(|d| d.transcript(&seed_a).replace(&seed_a.to_hex(), ""));
        let draw_b = draw_from_seed(&frozen, &seed_b).map(|d| d.transcript(&seed_b).replace(&seed_b.to_hex(), ""));
        prop_assert_ne!(draw_a, draw_b);
    }

    #[test]
    fn replacements_respect_every_constraint(frozen in frozen_draw(), seed in seed_strategy(), pick in any::<prop::sample::Index>()) {
        let Ok(drawn) = draw_from_seed(&frozen, &seed) else { return Ok(()); };
        let Some(team) = drawn.teams.first() else { return Ok(()); };
        let recused = pick.get(&team.members).clone();
        let request = RecusalRequest { uscc: team.uscc.clone(), inspector: recused.clone(), number: 1, earlier: BTreeSet::new() };
        match draw_replacement(&frozen, &seed, &drawn.teams, &request) {
            Ok(replacement) => {
                prop_assert!(!team.members.contains(&replacement.replacement));
                let record = frozen.inspectors.iter().find(|i| i.id == replacement.replacement).unwrap();
                prop_assert!(may_serve(&frozen, &team.uscc, record));
                let mut teams = drawn.teams.clone();
                teams[0] = team.with_replacement(&replacement);
                let mut load: BTreeMap<_, u32> = BTreeMap::new();
                for member in teams.iter().flat_map(|t| &t.members) {
                    *load.entry(member.clone()).or_default() += 1;
                }
                prop_assert!(load[&replacement.replacement] <= frozen.rules.workload_cap_per_task);
                let departments: BTreeSet<_> = teams[0].members.iter()
                    .map(|m| &frozen.inspectors.iter().find(|i| &i.id == m).unwrap().department)
                    .collect();
                prop_assert!(frozen.task.departments.iter().all(|d| departments.contains(d)));
                // Same seed, same request, same replacement.
                prop_assert_eq!(draw_replacement(&frozen, &seed, &drawn.teams, &request), Ok(replacement));
            }
            Err(RecusalError::Unstaffable(why)) => prop_assert_eq!(why.needed, 1),
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }
}
