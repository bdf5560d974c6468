//! The checkpoint archive (检查点存档): the signed checkpoints the scheduler stores at
//! every interval and publishes at `GET /v1/public/checkpoints`. Outside parties keep
//! them; two published checkpoints that no consistency proof connects prove a rewrite.
//! The archive itself is an aggregate in the log, so each stored checkpoint is a ledger
//! entry too, and the archive never shrinks: a checkpoint of a smaller tree than one
//! already stored is refused, because the log only ever grows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::directory::derived_id;
use crate::event_log::{DomainEvent, Issued, Recorded, Role};

/// The one stream of the archive.
pub fn archive_id() -> Uuid {
    derived_id("jianxin/checkpoint-archive/", "log")
}

/// The longest signed note stored (a checkpoint note is a few hundred bytes).
pub const NOTE_MAX_BYTES: usize = 4096;

/// Store a signed checkpoint (存档检查点).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCheckpoint {
    /// The tree size it signs.
    pub tree_size: u64,
    /// Its root, lower-case hex.
    pub root_hash: String,
    /// The whole signed note, as published.
    pub note: String,
    /// The scheduled instant it fell due.
    pub due_at: DateTime<Utc>,
}

/// Events of the archive (stored contract: names never change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum ArchiveEvent {
    /// A signed checkpoint was stored (检查点已存档).
    CheckpointStored {
        /// The tree size it signs.
        tree_size: u64,
        /// Its root, lower-case hex.
        root_hash: String,
        /// The signed note.
        note: String,
        /// The scheduled instant it fell due.
        due_at: DateTime<Utc>,
    },
}

impl DomainEvent for ArchiveEvent {}

/// Why a checkpoint was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Only the system stores checkpoints (403).
    #[error("role {0} may not store checkpoints; the scheduler does")]
    NotSystem(String),
    /// The tree is smaller than one stored already: the log would have shrunk (409).
    #[error(
        "a checkpoint of {stored} entries is stored already; {given} would mean the log shrank"
    )]
    Shrank {
        /// The largest size stored.
        stored: u64,
        /// The size given.
        given: u64,
    },
    /// The note or root is malformed (422).
    #[error("{0}")]
    Invalid(String),
}

/// What the archive remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveState {
    /// The largest tree size stored.
    pub largest: Option<u64>,
    /// How many checkpoints are stored.
    pub count: u64,
}

/// The esrs aggregate of the archive.
pub struct CheckpointArchive;

impl esrs::Aggregate for CheckpointArchive {
    const NAME: &'static str = "checkpoint_archive";
    type State = ArchiveState;
    type Command = Issued<StoreCheckpoint>;
    type Event = Recorded<ArchiveEvent>;
    type Error = ArchiveError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let meta = &issued.meta;
        if meta.actor.role != Role::System {
            return Err(ArchiveError::NotSystem(meta.actor.role.as_str().into()));
        }
        let c = issued.command;
        if let Some(stored) = state.largest.filter(|s| *s > c.tree_size) {
            return Err(ArchiveError::Shrank {
                stored,
                given: c.tree_size,
            });
        }
        let hex64 = c.root_hash.len() == 64
            && c.root_hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex64 {
            return Err(ArchiveError::Invalid(
                "root_hash: expected 64 lower-case hex digits".into(),
            ));
        }
        if c.note.is_empty() || c.note.len() > NOTE_MAX_BYTES {
            return Err(ArchiveError::Invalid(format!(
                "note: expected 1 to {NOTE_MAX_BYTES} bytes"
            )));
        }
        Ok(meta.stamp(vec![ArchiveEvent::CheckpointStored {
            tree_size: c.tree_size,
            root_hash: c.root_hash,
            note: c.note,
            due_at: c.due_at,
        }]))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        let ArchiveEvent::CheckpointStored { tree_size, .. } = recorded.event;
        state.largest = Some(state.largest.map_or(tree_size, |l| l.max(tree_size)));
        state.count += 1;
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::{Actor, CommandMeta};
    use esrs::Aggregate;

    fn issued(role: Role, size: u64) -> Issued<StoreCheckpoint> {
        let at = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        Issued {
            meta: CommandMeta::new(Uuid::nil(), Actor::new("scheduler", role), at),
            command: StoreCheckpoint {
                tree_size: size,
                root_hash: "ab".repeat(32),
                note: "jianxin.test/log\n1\nq80=\n\n— sig\n".into(),
                due_at: at,
            },
        }
    }

    #[test]
    fn given_a_stored_checkpoint_when_a_smaller_tree_comes_then_it_is_refused() {
        let first =
            CheckpointArchive::handle_command(&ArchiveState::default(), issued(Role::System, 10));
        let Ok(events) = first else {
            panic!("the first checkpoint is stored: {first:?}")
        };
        let state = events
            .into_iter()
            .fold(ArchiveState::default(), CheckpointArchive::apply_event);
        assert_eq!(state.largest, Some(10));
        assert!(CheckpointArchive::handle_command(&state, issued(Role::System, 10)).is_ok());
        assert_eq!(
            CheckpointArchive::handle_command(&state, issued(Role::System, 9)),
            Err(ArchiveError::Shrank {
                stored: 10,
                given: 9
            })
        );
    }

    #[test]
    fn only_the_system_stores_checkpoints_and_the_root_must_be_hex() {
        let refused =
            CheckpointArchive::handle_command(&ArchiveState::default(), issued(Role::Admin, 1));
        assert!(matches!(refused, Err(ArchiveError::NotSystem(_))));
        let mut bad = issued(Role::System, 1);
        bad.command.root_hash = "XYZ".into();
        assert!(matches!(
            CheckpointArchive::handle_command(&ArchiveState::default(), bad),
            Err(ArchiveError::Invalid(_))
        ));
    }
}
