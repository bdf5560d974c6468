//! The golden vectors of docs/DRAW.md §11, checked byte for byte. `docs/draw_reference.py`
//! recomputes the same values independently from the specification.

use super::fixture::*;
use super::pool::{inspectors_csv, subjects_csv};
use super::*;
use crate::directory::RiskClass;

/// docs/DRAW.md §11.2.
const GOLDEN_SEED_TEXT: &str = "\
jianxin-draw-seed-v1
task_id=JX-2026-0001
inspection_date=2026-06-15
departments=SCJG,YJGL
team_size=3
item=SCJG-001;SCJG;
item=YJGL-007;YJGL;安全生产
subjects_sha256=ee9a488c7c802cc0a2eeba7ddaf5a6abd027b4262658fca73e465bc19ddc6240
inspectors_sha256=80eb9c69422733f7e96db387f65844504e6d56a48c3f3cd50f8bbf1425e70d62
relationships_sha256=5950b80f7ea893a3772183552c633d89f3cfee8b00d54768aae29d689e34d936
previous_sha256=0490cb1a03e4d82fcc7821dfafc71be31a00a264c1524588e8ed8858a6df28fa
rules_version=2
rules_sha256=04220884dc1473747621bc86910f7469cc301d3e6238a8c21349a139c593dd23
drand_chain=52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971
drand_round=123
drand_randomness=fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc
reveal=SCJG;1e96496f9252c5fbbd31a9cc57cd7e6d974abd668399d4e535c179fb4c7d17ef;b783fc5f6f18b898e44fa4973f3c319629c228093879617595e53b9ccd83cffc
reveal=YJGL;bd6d07cf2b25e9e02211063b1e13fe049e9b8e8b0b065b2379a34ebbd81692a3;-
";

const GOLDEN_SEED: &str = "c536420c698d1527ccf1f047c5fd6ccee3f2cab3dee7789d6223eebbac30a8db";

/// docs/DRAW.md §11.3.
const GOLDEN_TRANSCRIPT: &str = "\
jianxin-draw-result-v1
seed=c536420c698d1527ccf1f047c5fd6ccee3f2cab3dee7789d6223eebbac30a8db
stratum=330102/A;pool=2;quota=1
selected=913301060000000127
reserve=91330106000000024E
stratum=330102/B;pool=2;quota=1
selected=913301060000000039
reserve=91330106000000015G
stratum=330102/C;pool=2;quota=1
selected=91330106000000018R
reserve=91330106000000006J
stratum=330102/D;pool=2;quota=2
selected=91330106000000009U,913301060000000215
reserve=
stratum=330106/A;pool=2;quota=1
selected=91330106000000016K
reserve=91330106000000004C
stratum=330106/B;pool=2;quota=1
selected=91330106000000007M
reserve=91330106000000019W
stratum=330106/C;pool=2;quota=1
selected=913301060000000228
reserve=913301060000000101
stratum=330106/D;pool=2;quota=2
selected=91330106000000013A,913301060000000013
reserve=
stratum=330108/A;pool=2;quota=1
selected=913301060000000202
reserve=91330106000000008Q
stratum=330108/B;pool=2;quota=1
selected=913301060000000114
reserve=91330106000000023B
stratum=330108/C;pool=2;quota=1
selected=913301060000000026
reserve=91330106000000014D
stratum=330108/D;pool=2;quota=2
selected=91330106000000017N,91330106000000005F
reserve=
team=913301060000000127;SCJG-03,YJGL-05,SCJG-07
team=913301060000000039;SCJG-09,YJGL-02,SCJG-04
team=91330106000000018R;SCJG-01,YJGL-01,YJGL-06
team=91330106000000009U;SCJG-08,YJGL-01,YJGL-05
team=913301060000000215;SCJG-07,YJGL-04,SCJG-03
team=91330106000000016K;SCJG-03,YJGL-05,SCJG-09
team=91330106000000007M;SCJG-03,YJGL-04,YJGL-02
team=913301060000000228;SCJG-04,YJGL-05,SCJG-01
team=91330106000000013A;SCJG-03,YJGL-05,SCJG-04
team=913301060000000013;SCJG-01,YJGL-06,SCJG-09
team=913301060000000202;SCJG-01,YJGL-06,SCJG-08
team=913301060000000114;SCJG-09,YJGL-04,SCJG-07
team=913301060000000026;SCJG-01,YJGL-04,YJGL-02
team=91330106000000017N;SCJG-08,YJGL-02,SCJG-07
team=91330106000000005F;SCJG-04,YJGL-02,SCJG-07
";

#[test]
fn golden_pool_texts_quote_escape_and_sort() {
    let frozen = golden_frozen();
    let subjects = subjects_csv(&frozen.subjects);
    let lines: Vec<&str> = subjects.lines().collect();
    assert_eq!(lines.len(), 25);
    assert_eq!(
        lines[1],
        "913301060000000013,\"杭州\"\"老字号\"\",食品有限公司\",enterprise,C1311,330106,\
         2020-01-01,active,D,特种设备;食品\\;餐饮"
    );
    assert_eq!(
        lines[2],
        "913301060000000026,测试企业2号有限公司,individual_business,H6210,330108,\
         2020-01-01,active,C,"
    );
    let inspectors = inspectors_csv(&frozen.inspectors);
    assert!(inspectors.contains(
        "\nSCJG-07,检查员SCJG-07,SCJG,330106,ZJSCJG-07,2024-01-01,2028-12-31,安全生产,false,active\n"
    ));
    assert!(inspectors.ends_with(
        "ZFJD-01,检查员ZFJD-01,ZFJD,,ZJZFJD-01,2024-01-01,2028-12-31,安全生产,false,active\n"
    ));
}

#[test]
fn golden_seed_text_seed_and_transcript() {
    let result = run_draw(&golden_inputs()).unwrap();
    assert_eq!(result.seed_text, GOLDEN_SEED_TEXT);
    assert_eq!(result.seed.to_hex(), GOLDEN_SEED);
    assert_eq!(result.transcript(), GOLDEN_TRANSCRIPT);
    assert_eq!(
        result.reveals,
        vec![
            (department("SCJG"), RevealStatus::Valid),
            (department("YJGL"), RevealStatus::Invalid),
        ]
    );
}

#[test]
fn golden_keystream_of_a_stratum() {
    let seed = Seed::of_text(GOLDEN_SEED_TEXT);
    let key = StratumKey {
        region: region("330102"),
        risk_class: RiskClass::A,
    };
    let purpose = Purpose::Subjects(&key);
    assert_eq!(purpose.label(), "subjects/330102/A");
    assert_eq!(
        hex::encode(seed.key(&purpose)),
        "d00df5b81a0b783293584488ddb717e54381461448dbc4010f4fdc72f5cb23ea"
    );
    let mut stream = seed.stream(&purpose);
    assert_eq!(stream.next_word(), 0x7fa2_25e5_af86_2450);
    assert_eq!(stream.next_word(), 0x8bed_c92b_1dbe_1cdd);
}

#[test]
fn draw_from_the_published_seed_gives_the_same_transcript() {
    let seed = Seed::of_text(GOLDEN_SEED_TEXT);
    let drawn = draw_from_seed(&golden_frozen(), &seed).unwrap();
    assert_eq!(drawn.transcript(&seed), GOLDEN_TRANSCRIPT);
}

#[test]
fn golden_recusals_continue_on_their_own_streams() {
    let inputs = golden_inputs();
    let result = run_draw(&inputs).unwrap();
    let subject = uscc(12);
    let first = draw_replacement(
        &inputs.frozen,
        &result.seed,
        &result.drawn.teams,
        &RecusalRequest {
            uscc: subject.clone(),
            inspector: inspector_id("SCJG-03"),
            number: 1,
            earlier: Default::default(),
        },
    )
    .unwrap();
    assert_eq!(first.replacement, inspector_id("SCJG-09"));
    let teams: Vec<Team> = result
        .drawn
        .teams
        .iter()
        .map(|t| {
            if t.uscc == subject {
                t.with_replacement(&first)
            } else {
                t.clone()
            }
        })
        .collect();
    let ids = |t: &Team| t.members.iter().map(|m| m.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&teams[0]), ["SCJG-09", "YJGL-05", "SCJG-07"]);
    let second = draw_replacement(
        &inputs.frozen,
        &result.seed,
        &teams,
        &RecusalRequest {
            uscc: subject.clone(),
            inspector: inspector_id("YJGL-05"),
            number: 2,
            earlier: [inspector_id("SCJG-03")].into(),
        },
    )
    .unwrap();
    assert_eq!(second.replacement, inspector_id("YJGL-06"));
    assert_eq!(second.number, 2);
}

#[test]
fn golden_unstaffable_draw_names_every_subject_and_constraint() {
    let mut inputs = golden_inputs();
    inputs.frozen.rules.workload_cap_per_task = 3;
    let error = run_draw(&inputs).unwrap_err();
    let funnel = |relationship: usize| {
        format!(
            "(pool 16, department 9, status 8, certificate 7, qualification 6, \
             relationship {relationship}, patrol_area {relationship}, \
             previous_draw {relationship}, workload_cap 0)"
        )
    };
    let subject = |code: &str, relationship: usize| {
        format!(
            "subject {code}: no inspector of department SCJG is left after constraint \
             'workload_cap' {}",
            funnel(relationship)
        )
    };
    let expected = format!(
        "4 subject(s) cannot be staffed: {}; {}; {}; {}",
        subject("913301060000000114", 6),
        subject("91330106000000014D", 6),
        subject("91330106000000005F", 5),
        subject("91330106000000017N", 6),
    );
    assert_eq!(error.to_string(), expected);
    let DrawError::Unstaffable(subjects) = error else {
        panic!("expected Unstaffable");
    };
    assert!(subjects
        .iter()
        .all(|u| u.constraint == Constraint::WorkloadCap && u.needed == 1));
}
