//! Reference data as rules-as-data (参考数据): the working-day calendar and the
//! administrative division table are versioned by events, so every later decision can
//! name the exact version it used and a replay reproduces it.
//!
//! One aggregate instance per kind, with a fixed id ([`ReferenceKind::aggregate_id`]).

mod aggregate;
mod commands;
mod events;
mod key_values;

pub use aggregate::{ReferenceData, ReferenceDataError, ReferenceDataState};
pub use commands::{LoadReferenceData, ReferenceDataCommand};
pub use events::{ReferenceDataEvent, ReferenceKind};
pub use key_values::{key_value_lines, KeyValueLine};

#[cfg(test)]
mod tests;
