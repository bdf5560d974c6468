//! The access-grant aggregate.

use crate::event_log::{Issued, Recorded, Role};

use super::{AccessCommand, AccessEvent};

/// The esrs aggregate of one token grant.
pub struct AccessGrant;

/// Whether this grant was issued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessGrantState {
    /// True once issued.
    pub issued: bool,
}

/// Why a grant was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// `public` needs no token and `system` is never a person's role.
    #[error("role {0} cannot be granted a token; expected admin, planner, inspector, credit_officer, supervisor or external_system")]
    RoleNotGrantable(Role),
    /// An external system must be scoped.
    #[error("an external_system token needs at least one --scope (the scenarios it may query)")]
    ExternalSystemUnscoped,
    /// The user id is empty or too long.
    #[error("user id must be 1 to 128 characters without control characters")]
    BadUser,
    /// Expiry not after issuance.
    #[error("expiry must be after the time of issue")]
    ExpiryNotAfterIssue,
    /// A token id is used once.
    #[error("this token id was already issued")]
    AlreadyIssued,
}

impl esrs::Aggregate for AccessGrant {
    const NAME: &'static str = "access_grant";
    type State = AccessGrantState;
    type Command = Issued<AccessCommand>;
    type Event = Recorded<AccessEvent>;
    type Error = AccessError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let AccessCommand::Issue(cmd) = issued.command;
        if state.issued {
            return Err(AccessError::AlreadyIssued);
        }
        if matches!(cmd.role, Role::Public | Role::System) {
            return Err(AccessError::RoleNotGrantable(cmd.role));
        }
        if cmd.role == Role::ExternalSystem && cmd.scopes.is_empty() {
            return Err(AccessError::ExternalSystemUnscoped);
        }
        if cmd.user.is_empty()
            || cmd.user.chars().count() > 128
            || cmd.user.chars().any(char::is_control)
        {
            return Err(AccessError::BadUser);
        }
        if cmd.expires_at <= issued.meta.issued_at {
            return Err(AccessError::ExpiryNotAfterIssue);
        }
        let event = AccessEvent::TokenIssued {
            user: cmd.user,
            role: cmd.role,
            scopes: cmd.scopes,
            expires_at: cmd
                .expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        Ok(issued.meta.stamp(vec![event]))
    }

    fn apply_event(_state: Self::State, _event: Self::Event) -> Self::State {
        AccessGrantState { issued: true }
    }
}
