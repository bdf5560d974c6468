//! Read models (读模型): tables derived from the log for queries, written in the event
//! transaction and rebuildable from the log.

mod reference_data;

pub use reference_data::{ReferenceDataVersion, ReferenceDataVersions};
