//! Commands of the inspector aggregate.

use chrono::NaiveDate;

use crate::identifiers::Uscc;

use super::InspectorRecord;

/// Record an inspector as a directory row states them (记录执法检查人员): registers
/// them when new, otherwise records only what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInspector {
    /// The full row, as it should stand after the command.
    pub record: InspectorRecord,
}

/// Declare a relationship with a subject (申报利害关系), so the inspector is never drawn
/// for it. Declaring the same relation again records nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclareRelationship {
    /// The subject concerned.
    pub uscc: Uscc,
    /// The relation in the inspector's words, e.g. `配偶任该企业法定代表人` (1 to 64
    /// characters, trimmed).
    pub relation: String,
    /// The date of the declaration.
    pub declared_on: NaiveDate,
}

/// Withdraw a declared relationship (撤回利害关系申报), e.g. after the relative left the
/// company. The withdrawal and its reason stay in the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawRelationship {
    /// The subject concerned.
    pub uscc: Uscc,
    /// The relation as declared.
    pub relation: String,
    /// The date the relationship ended.
    pub withdrawn_on: NaiveDate,
    /// Why (1 to 500 characters): a withdrawal lifts a conflict, so it must be explained.
    pub reason: String,
}

/// Every command of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectorCommand {
    /// See [`RecordInspector`].
    Record(RecordInspector),
    /// See [`DeclareRelationship`].
    DeclareRelationship(DeclareRelationship),
    /// See [`WithdrawRelationship`].
    WithdrawRelationship(WithdrawRelationship),
}
