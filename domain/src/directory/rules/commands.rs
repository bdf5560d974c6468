//! Commands of the implementation rules aggregate.

use super::Rules;

/// Publish a new version of the rules (发布抽查工作细则). Publishing rules identical to
/// the current version records nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRules {
    /// The whole new version.
    pub rules: Rules,
    /// Why (1 to 500 characters), e.g. the decision that adopted it.
    pub reason: String,
}

/// Every command of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesCommand {
    /// See [`PublishRules`].
    Publish(PublishRules),
}
