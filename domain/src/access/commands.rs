//! Commands of access grants.

use chrono::{DateTime, Utc};

use crate::event_log::Role;

/// Issue a token (签发访问令牌).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueToken {
    /// The user the token is for.
    pub user: String,
    /// The role it carries.
    pub role: Role,
    /// Scopes (for `external_system`: the scenarios it may query).
    pub scopes: Vec<String>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// Every command of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessCommand {
    /// See [`IssueToken`].
    Issue(IssueToken),
}
