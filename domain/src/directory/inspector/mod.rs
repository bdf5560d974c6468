//! The inspector directory (执法检查人员名录库): who may be drawn, with the certificate,
//! qualifications, patrol areas and declared relationships the draw must respect.
//!
//! One aggregate per inspector, with an id derived from the department-issued inspector
//! id ([`inspector_aggregate_id`](crate::directory::inspector_aggregate_id)). A directory
//! row is recorded as a whole ([`RecordInspector`]) and becomes a registration or only the
//! changes. Conflicts of interest (回避) are declared per subject
//! ([`DeclareRelationship`]) and withdrawn with a reason, never deleted.

mod aggregate;
mod commands;
mod events;
mod record;

pub use aggregate::{
    Inspector, InspectorError, InspectorState, REASON_MAX_CHARS, RELATION_MAX_CHARS,
};
pub use commands::{DeclareRelationship, InspectorCommand, RecordInspector, WithdrawRelationship};
pub use events::InspectorEvent;
pub use record::{
    Certificate, InspectorRecord, InspectorRecordError, InspectorStatus,
    CERTIFICATE_NUMBER_MAX_CHARS, INSPECTOR_NAME_MAX_CHARS,
};

#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;
