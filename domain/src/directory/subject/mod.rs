//! The subject directory (检查对象名录库): market subjects keyed by their USCC, as the
//! random draw sees them.
//!
//! One aggregate per subject, with an id derived from the USCC
//! ([`subject_id`](crate::directory::subject_id)) so a re-import finds it again. A
//! directory row is recorded as a whole ([`RecordSubject`]); the aggregate turns it into
//! a registration or into only the changes, so re-importing the same file appends nothing
//! and the history answers "the directory as of date D" ([`subject_as_of`]).

mod aggregate;
mod commands;
mod events;
mod history;
mod record;
mod values;

pub use aggregate::{Subject, SubjectError, SubjectState};
pub use commands::{RecordSubject, SubjectCommand};
pub use events::SubjectEvent;
pub use history::{subject_as_of, SubjectHistory};
pub use record::{SubjectRecord, SUBJECT_NAME_MAX_CHARS};
pub use values::{IndustryCode, IndustryError, RiskClass, SubjectKind, SubjectStatus};

#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;
