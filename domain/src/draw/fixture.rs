//! Builders shared by the draw tests, and the fixed inputs of the golden vectors
//! (docs/DRAW.md §11 lists the same inputs in words and CSV).

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::directory::{
    Certificate, DepartmentCode, IndustryCode, InspectorId, InspectorRecord, InspectorStatus,
    ItemCode, Label, RatiosByClass, RiskClass, Rules, SubjectKind, SubjectRecord, SubjectStatus,
};
use crate::identifiers::{RegionCode, Uscc};

use super::beacon::{commitment_of, Commitment, DrandBeacon};
use super::inputs::{
    DrawInputs, DrawTask, FrozenDraw, PreviousAssignment, RandomnessInputs, Relationship, TaskItem,
};
use super::pool::sha256;

/// Values of `shared/data/randomness-vectors.json`, drand quicknet round 123.
pub(crate) const ROUND_123_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
pub(crate) const ROUND_123_RANDOMNESS: &str =
    "fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc";

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The `n`-th test USCC: `91330106` + nine digits of `n` + its check character.
pub(crate) fn uscc(n: u32) -> Uscc {
    let first17 = format!("91330106{n:09}");
    let check = Uscc::check_character(&first17).unwrap();
    Uscc::parse(&format!("{first17}{check}")).unwrap()
}

pub(crate) fn region(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

pub(crate) fn label(text: &str) -> Label {
    Label::parse(text).unwrap()
}

pub(crate) fn department(text: &str) -> DepartmentCode {
    DepartmentCode::parse(text).unwrap()
}

pub(crate) fn inspector_id(text: &str) -> InspectorId {
    InspectorId::parse(text).unwrap()
}

/// An active enterprise registered in 2020.
pub(crate) fn subject(n: u32, region_code: &str, risk: RiskClass) -> SubjectRecord {
    SubjectRecord {
        uscc: uscc(n),
        name: format!("测试企业{n}号有限公司"),
        kind: SubjectKind::Enterprise,
        industry: IndustryCode::parse("C1311").unwrap(),
        region: region(region_code),
        registration_date: day(2020, 1, 1),
        status: SubjectStatus::Active,
        risk_class: risk,
        tags: BTreeSet::new(),
    }
}

/// An active inspector with a certificate valid 2024-01-01..=2028-12-31.
pub(crate) fn inspector(id: &str, dept: &str, qualifications: &[&str]) -> InspectorRecord {
    InspectorRecord {
        id: inspector_id(id),
        name: format!("检查员{id}"),
        department: department(dept),
        patrol_areas: BTreeSet::new(),
        certificate: Certificate {
            number: format!("ZJ{id}"),
            issued_on: day(2024, 1, 1),
            expires_on: day(2028, 12, 31),
        },
        qualifications: qualifications.iter().map(|q| label(q)).collect(),
        expert: false,
        status: InspectorStatus::Active,
    }
}

/// The golden pool's subjects: 24 subjects over three regions and the four classes,
/// with a name that needs CSV quoting and a tag that needs list escaping.
pub(crate) fn golden_subjects() -> Vec<SubjectRecord> {
    let regions = ["330102", "330106", "330108"];
    let classes = [RiskClass::A, RiskClass::B, RiskClass::C, RiskClass::D];
    let mut subjects: Vec<SubjectRecord> = (1..=24)
        .map(|n| {
            let region_code = regions[(n % 3) as usize];
            let class = classes[((n * 7) % 4) as usize];
            subject(n, region_code, class)
        })
        .collect();
    subjects[0].name = "杭州\"老字号\",食品有限公司".into();
    subjects[0].tags = [label("食品;餐饮"), label("特种设备")].into();
    subjects[1].kind = SubjectKind::IndividualBusiness;
    subjects[1].industry = IndustryCode::parse("H6210").unwrap();
    // Given out of order: the pool is sorted by USCC.
    subjects.reverse();
    subjects
}

/// The golden pool's inspectors: 9 of SCJG and 6 of YJGL, some excluded by each rule.
pub(crate) fn golden_inspectors() -> Vec<InspectorRecord> {
    let q = ["安全生产"];
    let mut list = vec![
        inspector("SCJG-01", "SCJG", &q),
        inspector("SCJG-02", "SCJG", &q),
        inspector("SCJG-03", "SCJG", &q),
        inspector("SCJG-04", "SCJG", &q),
        inspector("SCJG-05", "SCJG", &q),
        inspector("SCJG-06", "SCJG", &[]),
        inspector("SCJG-07", "SCJG", &q),
        inspector("SCJG-08", "SCJG", &q),
        inspector("SCJG-09", "SCJG", &q),
        inspector("YJGL-01", "YJGL", &q),
        inspector("YJGL-02", "YJGL", &q),
        inspector("YJGL-03", "YJGL", &q),
        inspector("YJGL-04", "YJGL", &q),
        inspector("YJGL-05", "YJGL", &q),
        inspector("YJGL-06", "YJGL", &q),
        inspector("ZFJD-01", "ZFJD", &q),
    ];
    // SCJG-02 is suspended; SCJG-05's certificate expires the day before the inspection.
    list[1].status = InspectorStatus::Suspended;
    list[4].certificate.expires_on = day(2026, 6, 14);
    // SCJG-07 patrols 330106; YJGL-03 patrols the whole prefecture 330100.
    list[6].patrol_areas = [region("330106")].into();
    list[11].patrol_areas = [region("330100")].into();
    list[12].expert = true;
    list.reverse();
    list
}

/// The golden task: joint (SCJG and YJGL), two items, one requiring 安全生产.
pub(crate) fn golden_task() -> DrawTask {
    DrawTask {
        task_id: "JX-2026-0001".into(),
        departments: [department("SCJG"), department("YJGL")].into(),
        items: vec![
            TaskItem {
                code: ItemCode::parse("YJGL-007").unwrap(),
                department: department("YJGL"),
                qualification: Some(label("安全生产")),
            },
            TaskItem {
                code: ItemCode::parse("SCJG-001").unwrap(),
                department: department("SCJG"),
                qualification: None,
            },
        ],
        inspection_date: day(2026, 6, 15),
        team_size: 3,
        beacon_round: 123,
    }
}

/// The golden rules: the defaults with ratios A 10%, B 20%, C 30%, D 60% and a workload
/// cap of 5.
pub(crate) fn golden_rules() -> Rules {
    Rules {
        ratio_bp: RatiosByClass {
            a: 1000,
            b: 2000,
            c: 3000,
            d: 6000,
        },
        workload_cap_per_task: 5,
        ..Rules::default()
    }
}

pub(crate) fn golden_frozen() -> FrozenDraw {
    FrozenDraw {
        task: golden_task(),
        subjects: golden_subjects(),
        inspectors: golden_inspectors(),
        relationships: [
            Relationship {
                uscc: uscc(5),
                inspector: inspector_id("SCJG-03"),
            },
            Relationship {
                uscc: uscc(12),
                inspector: inspector_id("YJGL-01"),
            },
        ]
        .into(),
        previous: [PreviousAssignment {
            department: department("SCJG"),
            uscc: uscc(7),
            inspector: inspector_id("SCJG-04"),
        }]
        .into(),
        rules_version: 2,
        rules: golden_rules(),
    }
}

/// A department's secret in the golden vector: SHA-256 of `jianxin golden <dept>`.
pub(crate) fn golden_secret(dept: &str) -> [u8; 32] {
    sha256(format!("jianxin golden {dept}").as_bytes())
}

/// SCJG reveals its secret; YJGL reveals a wrong one (recorded as invalid).
pub(crate) fn golden_commitments() -> Vec<Commitment> {
    vec![
        Commitment {
            department: department("YJGL"),
            commitment: commitment_of(&golden_secret("YJGL")),
            secret: Some(golden_secret("wrong")),
        },
        Commitment {
            department: department("SCJG"),
            commitment: commitment_of(&golden_secret("SCJG")),
            secret: Some(golden_secret("SCJG")),
        },
    ]
}

pub(crate) fn round_123() -> DrandBeacon {
    DrandBeacon {
        round: 123,
        signature: hex::decode(ROUND_123_SIGNATURE).unwrap(),
    }
}

pub(crate) fn golden_inputs() -> DrawInputs {
    DrawInputs {
        frozen: golden_frozen(),
        randomness: RandomnessInputs {
            beacon: round_123(),
            commitments: golden_commitments(),
        },
    }
}
