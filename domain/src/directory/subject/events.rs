//! Events of the subject aggregate (stored contract: names never change).
//!
//! A subject is registered once; afterwards each kind of change is its own event, so
//! that "when did this subject's status or risk class change" is a query over event
//! types and the directory as of any date can be rebuilt field by field.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::directory::text::Tag;
use crate::event_log::DomainEvent;
use crate::identifiers::RegionCode;

use super::{IndustryCode, RiskClass, SubjectKind, SubjectRecord, SubjectStatus};

/// Events of a subject (检查对象).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum SubjectEvent {
    /// The subject entered the directory (检查对象已登记).
    SubjectRegistered {
        /// The full record.
        record: SubjectRecord,
    },
    /// The registration status changed (登记状态已变更), e.g. 存续 → 吊销.
    SubjectStatusChanged {
        /// The status before.
        from: SubjectStatus,
        /// The status after.
        to: SubjectStatus,
    },
    /// The credit risk class changed (信用风险分类已调整).
    SubjectRiskClassChanged {
        /// The class before.
        from: RiskClass,
        /// The class after.
        to: RiskClass,
    },
    /// The subject's region changed (所属区域已变更), e.g. after a move within the
    /// province or a redrawing of districts.
    SubjectRegionChanged {
        /// The region before.
        from: RegionCode,
        /// The region after.
        to: RegionCode,
    },
    /// Supervision tags were added or removed (监管标签已调整).
    SubjectTagsChanged {
        /// Tags the subject gained.
        added: BTreeSet<Tag>,
        /// Tags the subject lost.
        removed: BTreeSet<Tag>,
    },
    /// Registered details were corrected (登记信息已更正): only the fields that changed
    /// are present.
    SubjectDetailsCorrected {
        /// The new name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The new kind.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<SubjectKind>,
        /// The new industry code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        industry: Option<IndustryCode>,
        /// The new registration date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        registration_date: Option<NaiveDate>,
    },
}

impl DomainEvent for SubjectEvent {}
