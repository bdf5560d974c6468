//! The closed lists and codes of a subject record: kind, status, credit risk class and
//! industry (GB/T 4754).
//!
//! Each drives the draw: status and registration date decide eligibility, the risk class
//! picks the sampling ratio, kind and industry feed the task's scope filter. A value the
//! draw cannot interpret must therefore be refused at import, not guessed at.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::directory::named::named_enum;

named_enum! {
    /// The kind of a market subject (主体类型).
    pub enum SubjectKind ("subject kind") {
        /// 企业: companies and other enterprises.
        Enterprise = ("enterprise", "企业", "公司"),
        /// 个体工商户: individual businesses.
        IndividualBusiness = ("individual_business", "个体工商户", "个体户", "个体"),
        /// 农民专业合作社: farmers' specialised co-operatives.
        FarmerCooperative = ("farmer_cooperative", "农民专业合作社", "合作社"),
        /// 社会组织: social organisations registered with civil affairs.
        SocialOrganisation = ("social_organisation", "社会组织", "social_organization"),
        /// 事业单位: public institutions.
        PublicInstitution = ("public_institution", "事业单位"),
        /// 其他: any other kind.
        Other = ("other", "其他", "其它"),
    }
}

named_enum! {
    /// The registration status of a subject (登记状态).
    pub enum SubjectStatus ("subject status") {
        /// 存续 (also written 在营, 开业, 在业, 在册): in existence; the only status
        /// drawn by default.
        Active = ("active", "存续", "在营", "开业", "在业", "在册"),
        /// 吊销: business licence revoked (often 吊销，未注销).
        Revoked = ("revoked", "吊销", "吊销未注销", "吊销，未注销"),
        /// 注销: deregistered.
        Cancelled = ("cancelled", "注销", "canceled"),
        /// 迁出: moved to another registration authority.
        MovedOut = ("moved_out", "迁出"),
    }
}

named_enum! {
    /// The credit risk class (信用风险分类) that sets the sampling ratio: A is the
    /// lowest risk, D the highest.
    pub enum RiskClass ("credit risk class") {
        /// A类: low risk.
        A = ("A", "A类", "A级"),
        /// B类: ordinary risk.
        B = ("B", "B类", "B级"),
        /// C类: elevated risk.
        C = ("C", "C类", "C级"),
        /// D类: high risk.
        D = ("D", "D类", "D级"),
    }
}

/// Why a text is not a GB/T 4754 industry code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "industry code '{found}' is not a GB/T 4754 code: expected a section letter A-T, \
     optionally followed by 2 to 4 digits (e.g. C, C13, C131, C1311)"
)]
pub struct IndustryError {
    /// The text found (trimmed).
    pub found: String,
}

/// A national economic industry code (国民经济行业分类, GB/T 4754-2017): the section
/// letter A-T, optionally followed by the 2-digit division, 3-digit group or 4-digit
/// class (`C`, `C13`, `C131`, `C1311`). Only the shape is checked: the classification
/// is revised every few years and a registry's code prevails.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndustryCode(String);

impl IndustryCode {
    /// Parses a code: trims, upper-cases the letter, then checks the shape.
    pub fn parse(text: &str) -> Result<IndustryCode, IndustryError> {
        let text = text.trim().to_ascii_uppercase();
        let mut chars = text.chars();
        let section_ok = chars.next().is_some_and(|c| ('A'..='T').contains(&c));
        let digits = chars.as_str();
        let digits_ok =
            matches!(digits.len(), 0 | 2..=4) && digits.chars().all(|c| c.is_ascii_digit());
        if section_ok && digits_ok {
            Ok(IndustryCode(text))
        } else {
            Err(IndustryError { found: text })
        }
    }

    /// The code, e.g. `C1311`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The section letter (门类), e.g. `C` for manufacturing.
    pub fn section(&self) -> char {
        self.0.chars().next().unwrap_or('A')
    }
}

impl fmt::Display for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for IndustryCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IndustryCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        IndustryCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_parse_from_chinese_english_and_aliases() {
        assert_eq!(
            SubjectKind::parse("个体工商户"),
            Ok(SubjectKind::IndividualBusiness)
        );
        assert_eq!(
            SubjectKind::parse("Individual Business"),
            Ok(SubjectKind::IndividualBusiness)
        );
        assert_eq!(
            SubjectKind::parse("social_organization"),
            Ok(SubjectKind::SocialOrganisation)
        );
        assert_eq!(SubjectStatus::parse("存续"), Ok(SubjectStatus::Active));
        assert_eq!(
            SubjectStatus::parse("吊销，未注销"),
            Ok(SubjectStatus::Revoked)
        );
        assert_eq!(
            SubjectStatus::parse("Moved-Out"),
            Ok(SubjectStatus::MovedOut)
        );
        assert_eq!(RiskClass::parse("c"), Ok(RiskClass::C));
        assert_eq!(RiskClass::parse("D类"), Ok(RiskClass::D));
        let error = SubjectStatus::parse("歇业").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "unknown subject status '歇业', expected one of 存续/active, 吊销/revoked, \
                 注销/cancelled, 迁出/moved_out"
            )
        );
    }

    #[test]
    fn enums_store_their_english_names() {
        let json = serde_json::to_string(&[SubjectStatus::MovedOut, SubjectStatus::Active]);
        assert_eq!(json.ok().as_deref(), Some(r#"["moved_out","active"]"#));
        assert_eq!(
            serde_json::to_string(&RiskClass::A).ok().as_deref(),
            Some("\"A\"")
        );
        let kind: Result<SubjectKind, _> = serde_json::from_str("\"farmer_cooperative\"");
        assert_eq!(kind.ok(), Some(SubjectKind::FarmerCooperative));
    }

    #[test]
    fn industry_codes_have_a_section_letter_and_two_to_four_digits() {
        for ok in ["C", "c13", " C131 ", "C1311", "T", "A01"] {
            assert!(IndustryCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "U", "C1", "C13111", "13", "CC13", "C13a"] {
            assert!(IndustryCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(IndustryCode::parse("c1311").map(|c| c.section()), Ok('C'));
    }
}
