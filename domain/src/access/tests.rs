//! Given/when/then tests of access grants.

use chrono::{Duration, TimeZone, Utc};
use esrs::Aggregate;
use uuid::Uuid;

use super::*;
use crate::event_log::{Actor, CommandMeta, Issued, Role};

fn issue(role: Role, scopes: &[&str], user: &str, days: i64) -> Issued<AccessCommand> {
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    Issued {
        meta: CommandMeta::new(Uuid::nil(), Actor::new("root", Role::Admin), now),
        command: AccessCommand::Issue(IssueToken {
            user: user.into(),
            role,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: now + Duration::days(days),
        }),
    }
}

#[test]
fn a_grant_is_recorded_with_its_issuer() {
    let events = AccessGrant::handle_command(
        &AccessGrantState::default(),
        issue(Role::Inspector, &[], "li", 30),
    );
    let events = events.unwrap_or_default();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.user, "root");
}

#[test]
fn bad_grants_are_refused() {
    let s = AccessGrantState::default();
    assert_eq!(
        AccessGrant::handle_command(&s, issue(Role::Public, &[], "x", 1)).err(),
        Some(AccessError::RoleNotGrantable(Role::Public))
    );
    assert_eq!(
        AccessGrant::handle_command(&s, issue(Role::ExternalSystem, &[], "x", 1)).err(),
        Some(AccessError::ExternalSystemUnscoped)
    );
    assert_eq!(
        AccessGrant::handle_command(&s, issue(Role::Admin, &[], "", 1)).err(),
        Some(AccessError::BadUser)
    );
    assert_eq!(
        AccessGrant::handle_command(&s, issue(Role::Admin, &[], "x", 0)).err(),
        Some(AccessError::ExpiryNotAfterIssue)
    );
    let issued = AccessGrantState { issued: true };
    assert_eq!(
        AccessGrant::handle_command(&issued, issue(Role::Admin, &[], "x", 1)).err(),
        Some(AccessError::AlreadyIssued)
    );
}
