//! The reference-data aggregate: versions of one kind of reference table.

use crate::event_log::{Issued, Recorded};

use super::{ReferenceDataCommand, ReferenceDataEvent, ReferenceKind};

/// The esrs aggregate of reference data.
pub struct ReferenceData;

/// What the aggregate remembers: the current version of its table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferenceDataState {
    /// The kind, once a version exists.
    pub kind: Option<ReferenceKind>,
    /// The current version number (0 before the first load).
    pub version: u32,
    /// The current version's digest.
    pub digest: Option<String>,
}

/// Why a reference-data command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceDataError {
    /// The content is empty.
    #[error("reference data {kind} has no rows")]
    Empty {
        /// The kind named in the command.
        kind: &'static str,
    },
    /// The command names another kind than this aggregate's.
    #[error("this history holds {held}, not {asked}")]
    WrongKind {
        /// The kind this instance holds.
        held: &'static str,
        /// The kind the command named.
        asked: &'static str,
    },
}

impl esrs::Aggregate for ReferenceData {
    const NAME: &'static str = "reference_data";
    type State = ReferenceDataState;
    type Command = Issued<ReferenceDataCommand>;
    type Event = Recorded<ReferenceDataEvent>;
    type Error = ReferenceDataError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let events = match issued.command {
            ReferenceDataCommand::Load(load) => {
                if let Some(held) = state.kind.filter(|k| *k != load.kind) {
                    return Err(ReferenceDataError::WrongKind {
                        held: held.as_str(),
                        asked: load.kind.as_str(),
                    });
                }
                if load.rows == 0 {
                    return Err(ReferenceDataError::Empty {
                        kind: load.kind.as_str(),
                    });
                }
                if state.digest.as_deref() == Some(load.digest.as_str()) {
                    // The same table again: nothing changed, nothing to record.
                    vec![]
                } else {
                    vec![ReferenceDataEvent::ReferenceDataLoaded {
                        kind: load.kind,
                        version: state.version + 1,
                        digest: load.digest,
                        rows: load.rows,
                        source: load.source,
                        content: load.content,
                    }]
                }
            }
        };
        Ok(issued.meta.stamp(events))
    }

    fn apply_event(_state: Self::State, recorded: Self::Event) -> Self::State {
        match recorded.event {
            ReferenceDataEvent::ReferenceDataLoaded {
                kind,
                version,
                digest,
                ..
            } => ReferenceDataState {
                kind: Some(kind),
                version,
                digest: Some(digest),
            },
        }
    }
}
