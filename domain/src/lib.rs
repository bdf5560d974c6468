//! The pure model of jianxin (监信): aggregates, commands, events, rules, identifiers and
//! calendars.
//!
//! Nothing in this crate performs I/O, spawns tasks or reads a clock: the clock, the
//! actor and the rule versions arrive inside commands, which is what makes every decision
//! replayable from the event log. Storage lives in `jianxin-projections`, HTTP and the
//! command line in `jianxin-api`.
#![deny(missing_docs)]

pub mod access;
pub mod calendar;
pub mod case;
pub mod credit;
pub mod directory;
pub mod draw;
pub mod event_log;
pub mod identifiers;
pub mod integrity;
pub mod reference_data;
pub mod result;
pub mod schedule;
pub mod task;
