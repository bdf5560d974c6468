//! Events of access grants (stored contract).

use serde::{Deserialize, Serialize};

use crate::event_log::{DomainEvent, Role};

/// Events of access grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum AccessEvent {
    /// A token was issued (令牌已签发). The token itself is never stored.
    TokenIssued {
        /// The user.
        user: String,
        /// The role.
        role: Role,
        /// Scopes.
        scopes: Vec<String>,
        /// Expiry, RFC 3339.
        expires_at: String,
    },
}

impl DomainEvent for AccessEvent {}
