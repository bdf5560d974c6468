//! The closed lists of credit (DOMAIN.md §5): the joint lists, the effect of a measure,
//! the sources of credit records, and the entry and removal reasons of the abnormal
//! operations list. Stored by their English names (the ids every API and file uses);
//! Chinese names are accepted on input.

use crate::directory::named::named_enum;

named_enum! {
    /// A joint reward and punishment list (联合奖惩名单).
    pub enum ListId ("list") {
        /// 经营异常名录: the abnormal operations list.
        Abnormal = ("abnormal", "经营异常名录"),
        /// 严重违法失信名单: the serious illegal and dishonest list (the blacklist).
        Serious = ("serious", "严重违法失信名单"),
        /// 守信激励名单: the red list.
        Red = ("red", "守信激励名单", "红名单"),
        /// 重点关注名单: the focus list.
        Focus = ("focus", "重点关注名单"),
    }
}

named_enum! {
    /// What a measure does to the subject in a scenario (措施效果).
    pub enum Effect ("effect") {
        /// 惩戒: the subject is restricted.
        Restricted = ("restricted", "惩戒", "限制"),
        /// 激励: the subject is rewarded.
        Rewarded = ("rewarded", "激励"),
    }
}

named_enum! {
    /// Where a credit record comes from (信用记录来源).
    pub enum RecordSource ("record source") {
        /// 双随机抽查: an inspection result.
        Inspection = ("inspection", "抽查检查"),
        /// 行政处罚: an administrative penalty.
        Penalty = ("penalty", "行政处罚"),
        /// 法院判决 (失信被执行人): a court ruling.
        Court = ("court", "失信被执行人", "法院"),
        /// 税务: a tax authority.
        Tax = ("tax", "税务"),
        /// 告知承诺制: a broken commitment.
        Commitment = ("commitment", "告知承诺"),
        /// 守信表彰: a commendation (feeds the red list).
        Commendation = ("commendation", "守信表彰"),
    }
}

named_enum! {
    /// How serious an administrative penalty is, for its minimum publicity period
    /// (行政处罚信息最短公示期: ordinary 3 months, serious 1 year, by default).
    pub enum PenaltySeverity ("penalty severity") {
        /// 一般行政处罚 (适用简易程序或一般失信行为).
        Ordinary = ("ordinary", "一般"),
        /// 严重行政处罚 (严重失信行为).
        Serious = ("serious", "严重"),
    }
}

named_enum! {
    /// Why a subject enters the abnormal operations list (列入经营异常名录事由).
    pub enum AbnormalReason ("abnormal-list entry reason") {
        /// 未按规定期限公示年度报告.
        AnnualReportLate = ("annual_report_late", "未按规定期限公示年度报告"),
        /// 未在责令的期限内公示有关企业信息.
        DisclosureNotMade = ("disclosure_not_made", "未在责令的期限内公示有关企业信息"),
        /// 公示企业信息隐瞒真实情况、弄虚作假.
        FalseDisclosure = ("false_disclosure", "公示企业信息隐瞒真实情况弄虚作假"),
        /// 通过登记的住所或者经营场所无法联系.
        Unreachable = ("unreachable", "通过登记的住所或者经营场所无法联系", "通过登记的住所无法联系"),
    }
}

named_enum! {
    /// Why a subject leaves the abnormal operations list: its correction (移出事由).
    pub enum AbnormalRemoval ("abnormal-list removal reason") {
        /// 补报并公示年度报告.
        ReportFiled = ("report_filed", "补报年度报告"),
        /// 履行公示义务.
        DisclosureMade = ("disclosure_made", "履行公示义务"),
        /// 更正公示信息.
        DisclosureCorrected = ("disclosure_corrected", "更正公示信息"),
        /// 依法办理住所变更登记.
        AddressChanged = ("address_changed", "住所变更登记"),
        /// 恢复正常记载状态 (可以联系).
        ContactReestablished = ("contact_reestablished", "恢复联系"),
    }
}
