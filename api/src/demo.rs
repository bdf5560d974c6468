//! The demo province (演示省份): deterministic reference data and one token per role, so
//! that every capability can be seen working at once (`jianxin serve --demo`,
//! `jianxin demo seed`). It grows with every feature.

use chrono::Duration;
use jianxin_domain::event_log::{Actor, Role};
use jianxin_domain::reference_data::ReferenceKind;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ops::{self, OpError};
use crate::state::AppState;

/// The shipped calendar (2018–2026, official holidays and 调休 workdays).
pub const CALENDAR_CSV: &str = include_str!("../../data/calendar-cn-2018-2026.csv");
/// The shipped division table (GB/T 2260 provinces, prefectures, counties).
pub const DIVISIONS_CSV: &str = include_str!("../../data/divisions-gbt2260.csv");

/// The demo directories (docs/samples): subjects, inspectors, inspection items.
pub const SAMPLES: [(jianxin_domain::directory::import::ImportKind, &str, &str); 3] = [
    (
        jianxin_domain::directory::import::ImportKind::Subjects,
        "subjects.csv",
        include_str!("../../docs/samples/subjects.csv"),
    ),
    (
        jianxin_domain::directory::import::ImportKind::Inspectors,
        "inspectors.csv",
        include_str!("../../docs/samples/inspectors.csv"),
    ),
    (
        jianxin_domain::directory::import::ImportKind::Items,
        "items.csv",
        include_str!("../../docs/samples/items.csv"),
    ),
];

/// One demo login.
#[derive(Debug, Clone, Serialize)]
pub struct DemoToken {
    /// The role.
    pub role: Role,
    /// The demo user.
    pub user: String,
    /// The bearer token.
    pub token: String,
}

/// What seeding did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSeed {
    /// Events appended by this seeding.
    pub events_appended: usize,
    /// Tokens for each role.
    pub tokens: Vec<DemoToken>,
}

/// The demo users, one per role that can log in.
pub const DEMO_USERS: [(Role, &str, &[&str]); 8] = [
    (Role::Admin, "demo-admin", &[]),
    (Role::Planner, "demo-planner", &[]),
    // a real inspector of the demo directory, so the demo shows assignments
    (Role::Inspector, "SJ-D02", &[]),
    (Role::CreditOfficer, "demo-credit", &[]),
    (Role::Supervisor, "demo-supervisor", &[]),
    (
        Role::ExternalSystem,
        "demo-procurement-system",
        &["government_procurement"],
    ),
    // the officer and the approver of the demo cases (api/src/cases/demo.rs)
    (Role::CaseOfficer, crate::cases::DEMO_OFFICER, &[]),
    (Role::ApprovingOfficer, crate::cases::DEMO_APPROVER, &[]),
];

/// Seed the demo: reference data (recorded once; unchanged content appends nothing) and
/// a fresh token per demo user (each issuance recorded).
pub async fn seed(state: &AppState) -> Result<DemoSeed, OpError> {
    let seeder = Actor::new("demo-seed", Role::Admin);
    let mut appended = 0;
    for (kind, text) in [
        (ReferenceKind::Calendar, CALENDAR_CSV),
        (ReferenceKind::Divisions, DIVISIONS_CSV),
    ] {
        let loaded = ops::load_reference(
            &state.log,
            state.clock.as_ref(),
            &seeder,
            kind,
            text,
            "demo",
        )
        .await?;
        appended += loaded.global_sequences.len();
    }
    // the default implementation rules (DOMAIN.md), then the sample directories, in
    // force from 2026-01-01 so "as of" questions have a past
    let published = ops::publish_rules(
        &state.log,
        state.clock.as_ref(),
        &seeder,
        jianxin_domain::directory::Rules::default(),
        "demo: the default implementation rules of DOMAIN.md",
    )
    .await?;
    appended += published.len();
    let dir = tempfile::tempdir().map_err(|e| OpError::Invalid {
        message: e.to_string(),
        location: None,
    })?;
    for (kind, name, text) in SAMPLES {
        let path = dir.path().join(name);
        std::fs::write(&path, text).map_err(|e| OpError::Invalid {
            message: e.to_string(),
            location: None,
        })?;
        let options = crate::import::ImportOptions {
            kind,
            encoding: None,
            sheet: None,
            dry_run: false,
            effective: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
            progress: false,
        };
        let imported =
            crate::import::import_file(&state.log, state.clock.as_ref(), &seeder, &path, &options)
                .await
                .map_err(|e| OpError::Invalid {
                    message: e.to_string(),
                    location: Some(name.to_string()),
                })?;
        if !imported.report.is_clean() {
            return Err(OpError::Invalid {
                message: format!("demo sample {name} does not import cleanly"),
                location: Some(name.to_string()),
            });
        }
        appended += imported.events_appended as usize;
    }
    appended += seed_draws(state).await?;
    appended += crate::demo_credit::seed_credit(state).await?;
    appended += crate::cases::seed_demo(state).await?;
    let mut tokens = vec![];
    for (role, user, scopes) in DEMO_USERS {
        let scopes = scopes.iter().map(|s| s.to_string()).collect();
        let issued =
            ops::issue_token(state, &seeder, user, role, scopes, Duration::days(365)).await?;
        appended += 1;
        tokens.push(DemoToken {
            role,
            user: user.to_string(),
            token: issued.token,
        });
    }
    Ok(DemoSeed {
        events_appended: appended,
        tokens,
    })
}

/// The directories the demo draws from (`api/demo/`): 30 subjects of two Hangzhou
/// districts (three of them excluded at the freeze: revoked, cancelled, registered too
/// recently), 8 market-regulation and 4 health inspectors, and the health item WS-001.
pub const DRAW_SAMPLES: [(jianxin_domain::directory::import::ImportKind, &str, &str); 3] = [
    (
        jianxin_domain::directory::import::ImportKind::Subjects,
        "draw-subjects.csv",
        include_str!("../demo/draw-subjects.csv"),
    ),
    (
        jianxin_domain::directory::import::ImportKind::Inspectors,
        "draw-inspectors.csv",
        include_str!("../demo/draw-inspectors.csv"),
    ),
    (
        jianxin_domain::directory::import::ImportKind::Items,
        "draw-items.csv",
        include_str!("../demo/draw-items.csv"),
    ),
];

/// The one drand quicknet round whose signature ships with the project
/// (`data/randomness-vectors.json`): the demo's draws are dated around its
/// publication, 2023-08-23T15:15:33Z, so that the round is in the future at the
/// freeze and verifiably published when it is entered, as in production.
pub const DEMO_ROUND: u64 = 123;
/// Round 123's BLS signature.
pub const DEMO_ROUND_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

fn at(text: &str) -> Result<chrono::DateTime<chrono::Utc>, OpError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| OpError::Invalid {
            message: format!("demo time {text}: {e}"),
            location: None,
        })
}

/// Imports one embedded file, in force from `effective`.
async fn import_sample(
    state: &AppState,
    actor: &Actor,
    kind: jianxin_domain::directory::import::ImportKind,
    name: &str,
    text: &str,
    effective: chrono::NaiveDate,
) -> Result<usize, OpError> {
    let io = |e: std::io::Error| OpError::Invalid {
        message: e.to_string(),
        location: Some(name.to_string()),
    };
    let dir = tempfile::tempdir().map_err(io)?;
    let path = dir.path().join(name);
    std::fs::write(&path, text).map_err(io)?;
    let options = crate::import::ImportOptions {
        kind,
        encoding: None,
        sheet: None,
        dry_run: false,
        effective: Some(effective),
        progress: false,
    };
    let imported =
        crate::import::import_file(&state.log, state.clock.as_ref(), actor, &path, &options)
            .await
            .map_err(|e| OpError::Invalid {
                message: e.to_string(),
                location: Some(name.to_string()),
            })?;
    if !imported.report.is_clean() {
        return Err(OpError::Invalid {
            message: format!("demo sample {name} does not import cleanly"),
            location: Some(name.to_string()),
        });
    }
    Ok(imported.events_appended as usize)
}

/// The demo's two drawn tasks, each with a recusal: a market-regulation task on the
/// drand round alone, and a joint market-regulation + health task whose departments
/// also commit and reveal. Seeded once: a task that exists is left as it is.
async fn seed_draws(state: &AppState) -> Result<usize, OpError> {
    use jianxin_domain::directory::derived_id;
    use jianxin_projections::FixedClock;

    use crate::tasks::{self, CommitmentInput};

    let seeder = Actor::new("demo-seed", Role::Admin);
    let mut appended = 0;
    let effective =
        chrono::NaiveDate::from_ymd_opt(2023, 1, 1).ok_or_else(|| OpError::Invalid {
            message: "demo date".into(),
            location: None,
        })?;
    for (kind, name, text) in DRAW_SAMPLES {
        appended += import_sample(state, &seeder, kind, name, text, effective).await?;
    }
    let planner = Actor::new("demo-planner", Role::Planner);
    let log = &state.log;
    // 1. one department, the drand round alone; 2. a joint task (部门联合: one visit, one
    // inspector of each department) whose departments also commit and reveal. The steps
    // interleave in time order, as they would in an office: the one published round must
    // lie after both freezes.
    let single = derived_id("jianxin/demo-task/", "food-2023q3");
    let joint = derived_id("jianxin/demo-task/", "joint-2023q3");
    for id in [single, joint] {
        if log
            .load::<jianxin_domain::task::InspectionTask>(id)
            .await?
            .is_some()
        {
            return Ok(appended);
        }
    }
    let clock = FixedClock::at(at("2023-08-20T01:00:00Z")?);
    let count = |p: Vec<u64>| p.len();
    let single_file = serde_json::json!({
        "id": single,
        "title": "2023年第三季度食品经营许可事项双随机抽查（演示）",
        "departments": ["330100-SCJG"],
        "items": ["SJ-002"],
        "scope": {"regions": ["330100"]},
        "window_from": "2023-09-01",
        "window_to": "2023-09-30",
        "inspection_date": "2023-09-15",
    });
    appended += count(
        tasks::create(log, &clock, &planner, &single_file.to_string())
            .await?
            .global_sequences,
    );
    clock.set(at("2023-08-20T02:00:00Z")?);
    let joint_file = serde_json::json!({
        "id": joint,
        "title": "2023年第三季度市场监管与卫生健康部门联合抽查（演示）",
        "departments": ["330100-SCJG", "330100-WSJK"],
        "items": ["SJ-001", "WS-001"],
        "scope": {"regions": ["330106"]},
        "window_from": "2023-09-01",
        "window_to": "2023-09-30",
        "inspection_date": "2023-09-20",
    });
    appended += count(
        tasks::create(log, &clock, &planner, &joint_file.to_string())
            .await?
            .global_sequences,
    );
    let secrets = [
        (
            "330100-SCJG",
            hex::encode(Sha256::digest(b"demo secret of 330100-SCJG")),
        ),
        (
            "330100-WSJK",
            hex::encode(Sha256::digest(b"demo secret of 330100-WSJK")),
        ),
    ];
    for (i, (department, secret)) in secrets.iter().enumerate() {
        clock.set(at(&format!("2023-08-21T0{}:00:00Z", i + 1))?);
        appended += count(
            tasks::commit(
                log,
                &clock,
                &planner,
                joint,
                department,
                CommitmentInput::Secret(secret),
            )
            .await?,
        );
    }
    clock.set(at("2023-08-23T15:10:00Z")?);
    appended += count(
        tasks::freeze(log, &clock, &planner, single, Some(DEMO_ROUND), None)
            .await?
            .global_sequences,
    );
    clock.set(at("2023-08-23T15:10:30Z")?);
    appended += count(
        tasks::freeze(log, &clock, &planner, joint, Some(DEMO_ROUND), None)
            .await?
            .global_sequences,
    );
    for (i, (department, secret)) in secrets.iter().enumerate() {
        clock.set(at(&format!("2023-08-23T15:1{}:00Z", i + 1))?);
        appended += count(tasks::reveal(log, &clock, &planner, joint, department, secret).await?);
    }
    clock.set(at("2023-08-23T15:16:00Z")?);
    appended += count(
        tasks::beacon(
            log,
            &clock,
            &planner,
            single,
            DEMO_ROUND,
            DEMO_ROUND_SIGNATURE,
        )
        .await?,
    );
    clock.set(at("2023-08-23T15:16:30Z")?);
    appended += count(
        tasks::beacon(
            log,
            &clock,
            &planner,
            joint,
            DEMO_ROUND,
            DEMO_ROUND_SIGNATURE,
        )
        .await?,
    );
    clock.set(at("2023-08-23T15:17:00Z")?);
    let single_drawn = tasks::run(log, &clock, &planner, single).await?;
    appended += single_drawn.global_sequences.len();
    clock.set(at("2023-08-23T15:17:30Z")?);
    let joint_drawn = tasks::run(log, &clock, &planner, joint).await?;
    appended += joint_drawn.global_sequences.len();
    appended += recuse_first(
        state,
        &clock,
        single,
        &single_drawn,
        "2023-08-24T01:00:00Z",
        "曾在该企业兼职，申请回避",
    )
    .await?;
    appended += recuse_first(
        state,
        &clock,
        joint,
        &joint_drawn,
        "2023-08-24T02:00:00Z",
        "与该单位负责人系近亲属",
    )
    .await?;
    Ok(appended)
}

/// The first member of the first team recuses themself.
async fn recuse_first(
    state: &AppState,
    clock: &jianxin_projections::FixedClock,
    task: uuid::Uuid,
    drawn: &crate::tasks::DrawOutcome,
    when: &str,
    reason: &str,
) -> Result<usize, OpError> {
    let Some(team) = drawn.teams.first() else {
        return Err(OpError::Refused(format!(
            "demo task {task} drew no subject"
        )));
    };
    let Some(member) = team.inspectors.first() else {
        return Err(OpError::Refused(format!("demo task {task}: empty team")));
    };
    clock.set(at(when)?);
    let inspector = Actor::new(member.clone(), Role::Inspector);
    let out = crate::tasks::recuse(&state.log, clock, &inspector, task, &team.uscc, reason).await?;
    Ok(out.global_sequences.len())
}
