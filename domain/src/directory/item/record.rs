//! One entry of the random inspection item list (随机抽查事项清单): what is inspected,
//! on which legal basis, by whom, on which subjects, how often and how.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::directory::named::named_enum;
use crate::directory::subject::SubjectKind;
use crate::directory::text::{check_text, Qualification, TextError};
use crate::directory::{DepartmentCode, ItemCode};

/// The most characters an item name may have.
pub const ITEM_NAME_MAX_CHARS: usize = 200;
/// The most characters a legal basis may have (several articles are often cited).
pub const LEGAL_BASIS_MAX_CHARS: usize = 2000;
/// 100% in basis points.
pub const FULL_RATIO_BP: u32 = 10_000;

named_enum! {
    /// How an item is inspected (检查方式).
    pub enum InspectionMethod ("inspection method") {
        /// 现场检查: at the subject's premises.
        OnSite = ("on_site", "现场检查", "现场"),
        /// 书面检查: documents submitted or reviewed remotely.
        Documentary = ("documentary", "书面检查", "书面"),
        /// 网络监测: online monitoring (e.g. of web shops).
        OnlineMonitoring = ("online_monitoring", "网络监测", "网络检查"),
        /// 检验检测: sampling and laboratory testing.
        Testing = ("testing", "检验检测", "抽样检验"),
        /// 其他部门结果: adopting another authority's result (采信).
        OtherAuthority = ("other_authority", "其他部门结果", "采信其他部门结果"),
        /// 专家评审: commissioned expert review.
        ExpertReview = ("expert_review", "专家评审", "expert"),
    }
}

/// An inspection item (随机抽查事项) as the list defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// 事项编码: the key.
    pub code: ItemCode,
    /// 事项名称: published with tasks and results.
    pub name: String,
    /// 抽查依据: the law and articles that authorise the inspection; published, and the
    /// first thing a subject disputes.
    pub legal_basis: String,
    /// 抽查主体: the department that carries it out (joint tasks combine several).
    pub department: DepartmentCode,
    /// 抽查对象: the kinds of subject the item applies to; never empty.
    pub target_kinds: BTreeSet<SubjectKind>,
    /// 抽查比例: the item's default sampling ratio in basis points (0..=10000), used
    /// when a task does not take ratios from the rules per risk class.
    pub default_ratio_bp: u32,
    /// 抽查频次: inspections per subject per year (1..=12).
    pub frequency_per_year: u32,
    /// 检查方式: how it is inspected.
    pub method: InspectionMethod,
    /// 检查人员要求: a qualification every inspector on the team must hold, if any.
    pub qualification_required: Option<Qualification>,
}

/// Why an item record is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemRecordError {
    /// The name is empty, untrimmed, too long or holds control characters.
    #[error("item name {0}")]
    Name(TextError),
    /// The legal basis is empty, untrimmed, too long or holds control characters.
    #[error("legal basis {0}")]
    LegalBasis(TextError),
    /// No target subject kind: the item could never be drawn.
    #[error("an item needs at least one target subject kind")]
    NoTargetKinds,
    /// The ratio is above 100%.
    #[error("default ratio {found} bp is above 10000 bp (100%)")]
    Ratio {
        /// The ratio given.
        found: u32,
    },
    /// The frequency is outside 1..=12 per year.
    #[error("frequency {found} per year is outside 1..=12")]
    Frequency {
        /// The frequency given.
        found: u32,
    },
}

impl ItemRecord {
    /// Checks what the field types cannot (text, at least one target kind, ratio at most
    /// 10000 bp, frequency 1..=12).
    pub fn check(&self) -> Result<(), ItemRecordError> {
        check_text(&self.name, ITEM_NAME_MAX_CHARS).map_err(ItemRecordError::Name)?;
        check_text(&self.legal_basis, LEGAL_BASIS_MAX_CHARS)
            .map_err(ItemRecordError::LegalBasis)?;
        if self.target_kinds.is_empty() {
            return Err(ItemRecordError::NoTargetKinds);
        }
        if self.default_ratio_bp > FULL_RATIO_BP {
            return Err(ItemRecordError::Ratio {
                found: self.default_ratio_bp,
            });
        }
        if !(1..=12).contains(&self.frequency_per_year) {
            return Err(ItemRecordError::Frequency {
                found: self.frequency_per_year,
            });
        }
        Ok(())
    }
}
