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
