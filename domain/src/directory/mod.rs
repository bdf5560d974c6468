//! The directories (一单两库一细则, "one list, two databases, one rule"): the inspection
//! item list, the subject and inspector directories, and the implementation rules that
//! every random draw reads.
//!
//! A draw is only as fair as the lists it draws from, so each entry is an event-sourced
//! aggregate: a change to a subject's status, an inspector's certificate, an item or the
//! rules is a recorded fact with the date it takes effect, never an overwrite, and the
//! directories as of any past date can be rebuilt for a dispute. Bulk files are turned
//! into commands by the pure part of [`import`]: header mapping, row validation that
//! reports every problem, and the report of an all-or-nothing import.
//!
//! | aggregate | `NAME` | id |
//! |---|---|---|
//! | [`Subject`] (检查对象) | `subject` | [`subject_id`] of the USCC |
//! | [`Inspector`] (执法检查人员) | `inspector` | [`inspector_aggregate_id`] |
//! | [`InspectionItem`] (随机抽查事项) | `inspection_item` | [`item_aggregate_id`] |
//! | [`ImplementationRules`] (抽查工作细则) | `implementation_rules` | [`RULES_ID`] |

mod codes;
mod ids;
pub(crate) mod named;
mod text;
mod timeline;

pub mod import;
pub mod inspector;
pub mod item;
pub mod rules;
pub mod subject;

pub use codes::{CodeError, DepartmentCode, InspectorId, ItemCode};
pub use ids::{
    derived_id, effective_date, inspector_aggregate_id, item_aggregate_id, subject_id,
    INSPECTOR_ID_PREFIX, ITEM_ID_PREFIX, RULES_ID, SUBJECT_ID_PREFIX,
};
pub use inspector::{
    Certificate, DeclareRelationship, Inspector, InspectorCommand, InspectorError, InspectorEvent,
    InspectorRecord, InspectorRecordError, InspectorState, InspectorStatus, RecordInspector,
    WithdrawRelationship,
};
pub use item::{
    InspectionItem, InspectionMethod, ItemChanges, ItemCommand, ItemError, ItemEvent, ItemRecord,
    ItemRecordError, ItemState, RecordItem, RetireItem,
};
pub use named::{normalise_name, UnknownName};
pub use rules::{
    ConflictRules, Exclusions, ImplementationRules, PublishRules, RatiosByClass, RiskClassSource,
    RuleViolation, Rules, RulesCommand, RulesError, RulesEvent, RulesState,
};
pub use subject::{
    subject_as_of, IndustryCode, RecordSubject, RiskClass, Subject, SubjectCommand, SubjectError,
    SubjectEvent, SubjectHistory, SubjectKind, SubjectRecord, SubjectState, SubjectStatus,
};
pub use text::{
    check_text, format_character, format_character_error, Label, Qualification, Tag, TextError,
};
pub use timeline::Timeline;

#[cfg(test)]
mod test_support;
