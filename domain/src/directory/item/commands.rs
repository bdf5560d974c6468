//! Commands of the inspection item aggregate.

use super::ItemRecord;

/// Record an item as the list states it (记录抽查事项): defines it when new, otherwise
/// records a revision with only the changed fields; an identical row records nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordItem {
    /// The full entry, as it should stand after the command.
    pub record: ItemRecord,
}

/// Retire an item (停用抽查事项): it stays in the trail and in past tasks, but is never
/// revised or drawn again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetireItem {
    /// Why (1 to 500 characters), e.g. the law it rested on was repealed.
    pub reason: String,
}

/// Every command of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemCommand {
    /// See [`RecordItem`].
    Record(RecordItem),
    /// See [`RetireItem`].
    Retire(RetireItem),
}
