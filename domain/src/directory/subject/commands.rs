//! Commands of the subject aggregate.

use super::SubjectRecord;

/// Record a subject as a directory row states it (记录检查对象): registers it when new,
/// otherwise records only what changed. The command's `meta.effective_at` is the date
/// the row takes effect (when absent, the date of issue in China Standard Time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSubject {
    /// The full row, as it should stand after the command.
    pub record: SubjectRecord,
}

/// Every command of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectCommand {
    /// See [`RecordSubject`].
    Record(RecordSubject),
}
