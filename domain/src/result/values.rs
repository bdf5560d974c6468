//! The closed lists of an inspection result (DOMAIN.md §4): the standard result
//! categories, the kinds of a pending follow-up, the methods (核查方式) and the
//! follow-ups (后续处置). Stored by their English names; Chinese names and common
//! spellings are accepted on input.

use crate::directory::named::named_enum;

named_enum! {
    /// The standard result category (检查结果).
    pub enum ResultCategory ("result category") {
        /// 未发现问题.
        NoProblem = ("no_problem", "未发现问题"),
        /// 发现问题已责令改正.
        CorrectedOnOrder = ("corrected_on_order", "发现问题已责令改正"),
        /// 发现问题待后续处理: with at least one [`PendingKind`].
        PendingFollowUp = ("pending_follow_up", "发现问题待后续处理"),
        /// 未发现开展本次抽查涉及的经营活动.
        ActivityNotFound = ("activity_not_found", "未发现开展本次抽查涉及的经营活动"),
        /// 已关闭停业或正在组织清算.
        ClosedOrLiquidating = ("closed_or_liquidating", "已关闭停业或正在组织清算"),
        /// 不配合检查情节严重.
        RefusedSerious = ("refused_serious", "不配合检查情节严重"),
        /// 注销/吊销/撤销/迁出: the subject no longer exists where drawn.
        Deregistered = ("deregistered", "注销/吊销/撤销/迁出", "注销", "吊销", "撤销", "迁出"),
    }
}

named_enum! {
    /// What a pending follow-up is about (待后续处理的情形).
    pub enum PendingKind ("pending follow-up kind") {
        /// 未按规定公示应当公示的信息.
        UndisclosedInformation = ("undisclosed_information", "未按规定公示应当公示的信息"),
        /// 公示信息隐瞒真实情况弄虚作假.
        FalseDisclosure = ("false_disclosure", "公示信息隐瞒真实情况弄虚作假"),
        /// 通过登记的住所(经营场所)无法联系: puts the subject on the abnormal operations list.
        UnreachableAtAddress = ("unreachable_at_address", "通过登记的住所(经营场所)无法联系", "通过登记的住所无法联系"),
        /// Another violation within a department's remit.
        OtherViolation = ("other_violation", "其他违法行为"),
    }
}

named_enum! {
    /// How the inspection was carried out (核查方式).
    pub enum Method ("inspection method") {
        /// 现场检查.
        OnSite = ("on_site", "现场检查"),
        /// 书面检查.
        Documentary = ("documentary", "书面检查"),
        /// 其他部门检查结果: another authority's result, taken over.
        OtherAuthorityResult = ("other_authority_result", "其他部门检查结果"),
        /// 检验检测.
        Testing = ("testing", "检验检测"),
        /// 网络监测.
        OnlineMonitoring = ("online_monitoring", "网络监测"),
        /// 委托专业机构: a commissioned expert body.
        Expert = ("expert", "委托专业机构", "专家评审"),
    }
}

named_enum! {
    /// What happens next (后续处置).
    pub enum FollowUp ("follow-up") {
        /// 无.
        None = ("none", "无"),
        /// 责令改正.
        OrderCorrection = ("order_correction", "责令改正"),
        /// 移送办案机构: opens an enforcement case.
        TransferToCase = ("transfer_to_case", "移送办案机构"),
        /// 告知其他部门.
        NotifyDepartment = ("notify_department", "告知其他部门"),
    }
}
