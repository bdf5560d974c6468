//! One row of the subject directory (检查对象名录库): what a directory file or the
//! registry says about a market subject today.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::directory::text::{check_text, Tag, TextError};
use crate::identifiers::{RegionCode, Uscc};

use super::{IndustryCode, RiskClass, SubjectKind, SubjectStatus};

/// The most characters a subject name may have.
pub const SUBJECT_NAME_MAX_CHARS: usize = 200;

/// A market subject as the directory records it (检查对象). Every field is what the
/// random draw filters or stratifies on, or what a published result must name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRecord {
    /// 统一社会信用代码: the key; never changes for a subject.
    pub uscc: Uscc,
    /// 名称: the registered name, published with draws and results.
    pub name: String,
    /// 主体类型: tasks target kinds (an item may apply to enterprises only).
    pub kind: SubjectKind,
    /// 行业 (GB/T 4754): tasks may be scoped to industries.
    pub industry: IndustryCode,
    /// 所属区域: the county-level division; strata are region × risk class, and an
    /// inspector whose patrol area covers it may be excluded.
    pub region: RegionCode,
    /// 成立日期: subjects registered less than the rules' minimum months ago are
    /// excluded from draws.
    pub registration_date: NaiveDate,
    /// 登记状态: only active subjects are drawn by default.
    pub status: SubjectStatus,
    /// 信用风险分类: sets the sampling ratio.
    pub risk_class: RiskClass,
    /// 监管标签: scope filters of tasks (e.g. 食品生产, 特种设备), sorted.
    pub tags: BTreeSet<Tag>,
}

impl SubjectRecord {
    /// Checks what the field types cannot: the name is non-empty, trimmed, at most
    /// [`SUBJECT_NAME_MAX_CHARS`] characters and free of control characters. Whether
    /// the region is in the division table is for the caller, who has the table.
    pub fn check(&self) -> Result<(), TextError> {
        check_text(&self.name, SUBJECT_NAME_MAX_CHARS)
    }
}
