//! The demo province (演示省份): deterministic reference data and one token per role, so
//! that every capability can be seen working at once (`jianxin serve --demo`,
//! `jianxin demo seed`). It grows with every feature.

use chrono::Duration;
use jianxin_domain::event_log::{Actor, Role};
use jianxin_domain::reference_data::ReferenceKind;
use serde::Serialize;

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
pub const DEMO_USERS: [(Role, &str, &[&str]); 6] = [
    (Role::Admin, "demo-admin", &[]),
    (Role::Planner, "demo-planner", &[]),
    (Role::Inspector, "demo-inspector", &[]),
    (Role::CreditOfficer, "demo-credit", &[]),
    (Role::Supervisor, "demo-supervisor", &[]),
    (
        Role::ExternalSystem,
        "demo-procurement-system",
        &["government_procurement"],
    ),
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
