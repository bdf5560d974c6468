//! One row of the inspector directory (执法检查人员名录库): who may be sent to inspect,
//! where they patrol, and the enforcement certificate that makes an inspection lawful.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::directory::named::named_enum;
use crate::directory::text::{check_text, Qualification, TextError};
use crate::directory::{DepartmentCode, InspectorId};
use crate::identifiers::RegionCode;

/// The most characters an inspector's name may have.
pub const INSPECTOR_NAME_MAX_CHARS: usize = 64;
/// The most characters a certificate number may have.
pub const CERTIFICATE_NUMBER_MAX_CHARS: usize = 64;

named_enum! {
    /// Whether an inspector may be drawn (人员状态).
    pub enum InspectorStatus ("inspector status") {
        /// 在岗: may be drawn.
        Active = ("active", "在岗", "在职", "正常"),
        /// 暂停执法: temporarily not drawn (leave, investigation, training).
        Suspended = ("suspended", "暂停执法", "暂停", "停职"),
        /// 退出: retired or transferred out; never drawn again.
        Retired = ("retired", "退出", "退休", "离职", "调离"),
    }
}

/// An administrative enforcement certificate (行政执法证). An inspection by someone
/// without a valid one on the day is unlawful, so the draw checks it per date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// 执法证号: printed on the certificate and on inspection records.
    pub number: String,
    /// 发证日期: first day of validity.
    pub issued_on: NaiveDate,
    /// 有效期至: last day of validity (inclusive); after `issued_on`.
    pub expires_on: NaiveDate,
}

impl Certificate {
    /// Whether the certificate is valid on `date`: `issued_on <= date <= expires_on`.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.issued_on <= date && date <= self.expires_on
    }
}

/// An inspector as the directory records them (执法检查人员).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectorRecord {
    /// 执法人员编号: the department-issued id, the key.
    pub id: InspectorId,
    /// 姓名: published with assignments.
    pub name: String,
    /// 所属部门: joint tasks need one inspector per department; the frequency cap and
    /// the same-department exclusion count per department.
    pub department: DepartmentCode,
    /// 巡查区域: areas the inspector patrols daily; the rules may exclude them from
    /// subjects located there (conflict of familiarity).
    pub patrol_areas: BTreeSet<RegionCode>,
    /// 执法证: must be valid on the inspection date.
    pub certificate: Certificate,
    /// 资格: items may require one (e.g. 特种设备检验).
    pub qualifications: BTreeSet<Qualification>,
    /// 专家: experts may be drawn for items reviewed by experts.
    pub expert: bool,
    /// 人员状态: only active inspectors are drawn.
    pub status: InspectorStatus,
}

/// Why an inspector record is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectorRecordError {
    /// The name is empty, untrimmed, too long or holds control characters.
    #[error("inspector name {0}")]
    Name(TextError),
    /// The certificate number is empty, untrimmed, too long or holds control characters.
    #[error("certificate number {0}")]
    CertificateNumber(TextError),
    /// The certificate expires on or before its issue date.
    #[error("certificate expires on {expires_on}, not after its issue date {issued_on}")]
    CertificateExpiry {
        /// The issue date given.
        issued_on: NaiveDate,
        /// The expiry date given.
        expires_on: NaiveDate,
    },
}

impl InspectorRecord {
    /// Checks what the field types cannot: name and certificate number are acceptable
    /// text, and the certificate expires after it was issued.
    pub fn check(&self) -> Result<(), InspectorRecordError> {
        check_text(&self.name, INSPECTOR_NAME_MAX_CHARS).map_err(InspectorRecordError::Name)?;
        check_text(&self.certificate.number, CERTIFICATE_NUMBER_MAX_CHARS)
            .map_err(InspectorRecordError::CertificateNumber)?;
        if self.certificate.expires_on <= self.certificate.issued_on {
            return Err(InspectorRecordError::CertificateExpiry {
                issued_on: self.certificate.issued_on,
                expires_on: self.certificate.expires_on,
            });
        }
        Ok(())
    }

    /// Whether the inspector's certificate is valid on `date` (see
    /// [`Certificate::valid_on`]).
    pub fn certificate_valid_on(&self, date: NaiveDate) -> bool {
        self.certificate.valid_on(date)
    }
}
