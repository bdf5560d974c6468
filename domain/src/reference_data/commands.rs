//! Commands of the reference-data aggregate.

use super::ReferenceKind;

/// Load a new version of a reference table (载入参考数据新版本). The caller has parsed
/// and validated `content` with the domain parser of its kind; the digest is the
/// SHA-256 of `content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReferenceData {
    /// Which table.
    pub kind: ReferenceKind,
    /// The full text as loaded (CSV), so a replay has the very data a decision used.
    pub content: String,
    /// Lower-case hex SHA-256 of `content`: the version's identity.
    pub digest: String,
    /// Number of data rows, for the trail.
    pub rows: u32,
    /// Where it came from (file name or "default"), for the trail.
    pub source: String,
}

/// Every command of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceDataCommand {
    /// See [`LoadReferenceData`].
    Load(LoadReferenceData),
}
