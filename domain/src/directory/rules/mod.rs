//! The implementation rules (抽查工作细则): the one rule of "one list, two databases,
//! one rule", versioned as events so that every draw records the version it used.
//!
//! A single aggregate with the fixed id [`RULES_ID`](crate::directory::RULES_ID);
//! [`Rules::default`] holds the defaults of DOMAIN.md §3.

mod aggregate;
mod commands;
mod definition;
mod events;

pub use aggregate::{ImplementationRules, RulesError, RulesState, RULES_REASON_MAX_CHARS};
pub use commands::{PublishRules, RulesCommand};
pub use definition::{
    ConflictRules, Exclusions, RatiosByClass, RiskClassSource, RuleViolation, Rules,
};
pub use events::RulesEvent;

#[cfg(test)]
mod tests;
