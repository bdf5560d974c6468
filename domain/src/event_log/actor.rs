//! Who did it: every recorded fact names its actor (user id and role).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The roles of jianxin users (角色). Stored as their snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Administrator (系统管理员): reference data, accounts, imports.
    Admin,
    /// Planner (抽查计划人员): creates inspection tasks and runs draws.
    Planner,
    /// Inspector (执法检查人员): receives assignments and records results.
    Inspector,
    /// Credit officer (信用管理部门): maintains the joint reward and punishment lists.
    CreditOfficer,
    /// Enforcement supervisor (执法监督): reads every trail, replays cases.
    Supervisor,
    /// Another department's system (外部系统), scoped to its scenarios.
    ExternalSystem,
    /// The public (社会公众): reads only what is published by design.
    Public,
    /// The system itself (系统): scheduled jobs acting on rules that fire with time.
    System,
    /// Case officer (执法办案人员): takes the steps of an enforcement case.
    CaseOfficer,
    /// Approving officer (审批负责人): approves extensions, reviews and decisions.
    ApprovingOfficer,
}

impl Role {
    /// Every role, in a fixed order (used by the access-matrix test and the docs).
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::Planner,
        Role::Inspector,
        Role::CreditOfficer,
        Role::Supervisor,
        Role::ExternalSystem,
        Role::Public,
        Role::System,
        Role::CaseOfficer,
        Role::ApprovingOfficer,
    ];

    /// The stable snake_case name used in tokens, events and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Inspector => "inspector",
            Role::CreditOfficer => "credit_officer",
            Role::Supervisor => "supervisor",
            Role::ExternalSystem => "external_system",
            Role::Public => "public",
            Role::System => "system",
            Role::CaseOfficer => "case_officer",
            Role::ApprovingOfficer => "approving_officer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role '{0}', expected one of admin, planner, inspector, credit_officer, supervisor, external_system, public, system, case_officer, approving_officer")]
pub struct RoleParseError(pub String);

impl FromStr for Role {
    type Err = RoleParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| RoleParseError(s.to_string()))
    }
}

/// The actor of a fact (行为人): a user id and the role they acted in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The user id as issued in the token (or the OS user for CLI operators).
    pub user: String,
    /// The role the user acted in.
    pub role: Role,
}

impl Actor {
    /// An actor from a user id and a role.
    pub fn new(user: impl Into<String>, role: Role) -> Self {
        Actor {
            user: user.into(),
            role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_through_serde_and_from_str() {
        for role in Role::ALL {
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
