//! The random inspection item list (随机抽查事项清单): what may be inspected, by which
//! department, on which subjects, how often and how.
//!
//! One aggregate per item, with an id derived from its code
//! ([`item_aggregate_id`](crate::directory::item_aggregate_id)). Items are versioned
//! (definition is version 1, each revision the next) so a task can name the version it
//! used; retiring an item is an event, never a delete.

mod aggregate;
mod commands;
mod events;
mod record;

pub use aggregate::{InspectionItem, ItemError, ItemState, RETIRE_REASON_MAX_CHARS};
pub use commands::{ItemCommand, RecordItem, RetireItem};
pub use events::{ItemChanges, ItemEvent};
pub use record::{
    InspectionMethod, ItemRecord, ItemRecordError, FULL_RATIO_BP, ITEM_NAME_MAX_CHARS,
    LEGAL_BASIS_MAX_CHARS,
};

#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;
