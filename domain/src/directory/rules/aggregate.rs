//! The implementation rules aggregate: a single versioned history per deployment, with
//! the fixed id [`RULES_ID`](crate::directory::RULES_ID).

use crate::directory::text::{check_text, TextError};
use crate::event_log::{Issued, Recorded};

use super::{RuleViolation, Rules, RulesCommand, RulesEvent};

/// The most characters a publication reason may have.
pub const RULES_REASON_MAX_CHARS: usize = 500;

/// The esrs aggregate of the implementation rules.
pub struct ImplementationRules;

/// Every published version; version `n` is `versions[n - 1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesState {
    /// All versions, oldest first, so a replayed draw finds the one it used.
    pub versions: Vec<Rules>,
}

impl RulesState {
    /// The current version number (0 before the first publication).
    pub fn version(&self) -> u32 {
        u32::try_from(self.versions.len()).unwrap_or(u32::MAX)
    }

    /// The current version and its number; `None` until rules are published (a
    /// deployment publishes [`Rules::default`] as version 1 at setup).
    pub fn current(&self) -> Option<(u32, &Rules)> {
        self.versions.last().map(|rules| (self.version(), rules))
    }

    /// Version `version` (from 1).
    pub fn at_version(&self, version: u32) -> Option<&Rules> {
        let index = usize::try_from(version).ok()?.checked_sub(1)?;
        self.versions.get(index)
    }
}

/// Why a rules command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// One or more fields are out of range; every violation is listed.
    #[error("invalid rules: {}", render(.0))]
    Invalid(Vec<RuleViolation>),
    /// The reason is empty, untrimmed, too long or holds control characters.
    #[error("publication reason {0}")]
    InvalidReason(TextError),
}

fn render(violations: &[RuleViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl esrs::Aggregate for ImplementationRules {
    const NAME: &'static str = "implementation_rules";
    type State = RulesState;
    type Command = Issued<RulesCommand>;
    type Event = Recorded<RulesEvent>;
    type Error = RulesError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let RulesCommand::Publish(cmd) = issued.command;
        cmd.rules.validate().map_err(RulesError::Invalid)?;
        check_text(&cmd.reason, RULES_REASON_MAX_CHARS).map_err(RulesError::InvalidReason)?;
        let events = if state.current().map(|(_, rules)| rules) == Some(&cmd.rules) {
            vec![]
        } else {
            vec![RulesEvent::RulesPublished {
                version: state.version() + 1,
                rules: cmd.rules,
                reason: cmd.reason,
            }]
        };
        Ok(issued.meta.stamp(events))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        let RulesEvent::RulesPublished { rules, .. } = recorded.event;
        state.versions.push(rules);
        state
    }
}
