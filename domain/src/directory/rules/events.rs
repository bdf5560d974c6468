//! Events of the implementation rules aggregate (stored contract: names never change).

use serde::{Deserialize, Serialize};

use crate::event_log::DomainEvent;

use super::Rules;

/// Events of the implementation rules (抽查工作细则).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum RulesEvent {
    /// A version of the rules was published (抽查工作细则已发布); later draws name it.
    RulesPublished {
        /// The version number, from 1.
        version: u32,
        /// The whole version.
        rules: Rules,
        /// Why it was published.
        reason: String,
    },
}

impl DomainEvent for RulesEvent {}
