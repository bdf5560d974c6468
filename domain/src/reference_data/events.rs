//! Events of the reference-data aggregate (stored contract: names never change).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event_log::DomainEvent;

/// The kinds of reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// The official working-day calendar (工作日历): holidays and adjusted workdays.
    Calendar,
    /// The administrative division table (行政区划, GB/T 2260).
    Divisions,
    /// The credit rule version (信用规则): list periods and thresholds.
    CreditRules,
    /// The joint measures catalogue (联合奖惩措施清单).
    Measures,
}

impl ReferenceKind {
    /// The fixed aggregate id of this kind's version history.
    pub fn aggregate_id(self) -> Uuid {
        match self {
            ReferenceKind::Calendar => Uuid::from_u128(0x6a78_0000_0000_4000_8000_0000_0000_0001),
            ReferenceKind::Divisions => Uuid::from_u128(0x6a78_0000_0000_4000_8000_0000_0000_0002),
            ReferenceKind::CreditRules => {
                Uuid::from_u128(0x6a78_0000_0000_4000_8000_0000_0000_0003)
            }
            ReferenceKind::Measures => Uuid::from_u128(0x6a78_0000_0000_4000_8000_0000_0000_0004),
        }
    }

    /// The CLI and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Calendar => "calendar",
            ReferenceKind::Divisions => "divisions",
            ReferenceKind::CreditRules => "credit_rules",
            ReferenceKind::Measures => "measures",
        }
    }
}

/// Events of reference data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum ReferenceDataEvent {
    /// A new version of a table was loaded (参考数据版本已载入).
    ReferenceDataLoaded {
        /// Which table.
        kind: ReferenceKind,
        /// Version number within the kind, from 1.
        version: u32,
        /// SHA-256 of the content.
        digest: String,
        /// Number of data rows.
        rows: u32,
        /// Where it came from.
        source: String,
        /// The content itself.
        content: String,
    },
}

impl DomainEvent for ReferenceDataEvent {}
