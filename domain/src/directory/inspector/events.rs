//! Events of the inspector aggregate (stored contract: names never change).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::directory::text::Qualification;
use crate::directory::DepartmentCode;
use crate::event_log::DomainEvent;
use crate::identifiers::{RegionCode, Uscc};

use super::{Certificate, InspectorRecord, InspectorStatus};

/// Events of an inspector (执法检查人员).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum InspectorEvent {
    /// The inspector entered the directory (执法人员已登记).
    InspectorRegistered {
        /// The full record.
        record: InspectorRecord,
    },
    /// Name, department or expert flag were corrected (人员信息已更正): only the fields
    /// that changed are present.
    InspectorDetailsCorrected {
        /// The new name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The new department.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        department: Option<DepartmentCode>,
        /// The new expert flag.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expert: Option<bool>,
    },
    /// The enforcement certificate was renewed or corrected (执法证已换发).
    InspectorCertificateRenewed {
        /// The certificate before.
        from: Certificate,
        /// The certificate after.
        to: Certificate,
    },
    /// The inspector's status changed (人员状态已变更).
    InspectorStatusChanged {
        /// The status before.
        from: InspectorStatus,
        /// The status after.
        to: InspectorStatus,
    },
    /// Qualifications were gained or lost (资格已调整).
    InspectorQualificationsChanged {
        /// Qualifications gained.
        added: BTreeSet<Qualification>,
        /// Qualifications lost.
        removed: BTreeSet<Qualification>,
    },
    /// Patrol areas were assigned or taken away (巡查区域已调整).
    InspectorPatrolAreasChanged {
        /// Areas assigned.
        added: BTreeSet<RegionCode>,
        /// Areas taken away.
        removed: BTreeSet<RegionCode>,
    },
    /// A relationship with a subject was declared (利害关系已申报).
    RelationshipDeclared {
        /// The subject.
        uscc: Uscc,
        /// The relation.
        relation: String,
        /// The date of the declaration.
        declared_on: NaiveDate,
    },
    /// A declared relationship was withdrawn (利害关系申报已撤回).
    RelationshipWithdrawn {
        /// The subject.
        uscc: Uscc,
        /// The relation as declared.
        relation: String,
        /// The date the relationship ended.
        withdrawn_on: NaiveDate,
        /// Why.
        reason: String,
    },
}

impl DomainEvent for InspectorEvent {}
