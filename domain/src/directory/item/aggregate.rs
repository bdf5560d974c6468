//! The inspection item aggregate: versioned definitions, revisions and retirement.

use crate::directory::text::{check_text, TextError};
use crate::event_log::{Issued, Recorded};

use super::{ItemChanges, ItemCommand, ItemEvent, ItemRecord, ItemRecordError};

/// The most characters a retirement reason may have.
pub const RETIRE_REASON_MAX_CHARS: usize = 500;

/// The esrs aggregate of one inspection item, keyed by
/// [`item_aggregate_id`](crate::directory::item_aggregate_id).
pub struct InspectionItem;

/// What the aggregate remembers: every version, and whether the item is retired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemState {
    /// Version `n` is `versions[n - 1]`; empty before the item is defined.
    pub versions: Vec<ItemRecord>,
    /// The retirement reason, once retired.
    pub retired: Option<String>,
}

impl ItemState {
    /// The current version number (0 before definition).
    pub fn version(&self) -> u32 {
        u32::try_from(self.versions.len()).unwrap_or(u32::MAX)
    }

    /// The current definition.
    pub fn current(&self) -> Option<&ItemRecord> {
        self.versions.last()
    }

    /// The definition as of version `version` (from 1), for replaying a task.
    pub fn at_version(&self, version: u32) -> Option<&ItemRecord> {
        let index = usize::try_from(version).ok()?.checked_sub(1)?;
        self.versions.get(index)
    }
}

/// Why an item command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    /// The record's code is not the one this history belongs to.
    #[error("this history is of item {held}, not {given}")]
    CodeMismatch {
        /// The code of this aggregate.
        held: String,
        /// The code of the record given.
        given: String,
    },
    /// The record is not acceptable.
    #[error(transparent)]
    InvalidRecord(#[from] ItemRecordError),
    /// A retired item cannot be revised (an identical row is accepted and records
    /// nothing, so re-importing an old list does not fail).
    #[error("item {code} is retired and cannot be revised")]
    Retired {
        /// The item's code.
        code: String,
    },
    /// Retiring an item that was never defined.
    #[error("the item is not defined")]
    NotDefined,
    /// Retiring an item twice.
    #[error("the item is already retired")]
    AlreadyRetired,
    /// The retirement reason is not acceptable.
    #[error("retirement reason {0}")]
    InvalidReason(TextError),
}

impl esrs::Aggregate for InspectionItem {
    const NAME: &'static str = "inspection_item";
    type State = ItemState;
    type Command = Issued<ItemCommand>;
    type Event = Recorded<ItemEvent>;
    type Error = ItemError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let events = match issued.command {
            ItemCommand::Record(cmd) => record(state, cmd.record)?,
            ItemCommand::Retire(cmd) => {
                if state.current().is_none() {
                    return Err(ItemError::NotDefined);
                }
                if state.retired.is_some() {
                    return Err(ItemError::AlreadyRetired);
                }
                check_text(&cmd.reason, RETIRE_REASON_MAX_CHARS)
                    .map_err(ItemError::InvalidReason)?;
                vec![ItemEvent::ItemRetired {
                    version: state.version(),
                    reason: cmd.reason,
                }]
            }
        };
        Ok(issued.meta.stamp(events))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        match recorded.event {
            ItemEvent::ItemDefined { record, .. } => state.versions = vec![record],
            ItemEvent::ItemRevised { changes, .. } => {
                if let Some(next) = state.current().map(|r| changes.apply_to(r)) {
                    state.versions.push(next);
                }
            }
            ItemEvent::ItemRetired { reason, .. } => state.retired = Some(reason),
        }
        state
    }
}

fn record(state: &ItemState, record: ItemRecord) -> Result<Vec<ItemEvent>, ItemError> {
    record.check()?;
    let Some(current) = state.current() else {
        return Ok(vec![ItemEvent::ItemDefined { version: 1, record }]);
    };
    if current.code != record.code {
        return Err(ItemError::CodeMismatch {
            held: current.code.to_string(),
            given: record.code.to_string(),
        });
    }
    let changes = ItemChanges::between(current, &record);
    if changes.is_empty() {
        return Ok(vec![]);
    }
    if state.retired.is_some() {
        return Err(ItemError::Retired {
            code: record.code.to_string(),
        });
    }
    Ok(vec![ItemEvent::ItemRevised {
        version: state.version() + 1,
        changes,
    }])
}
