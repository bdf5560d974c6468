//! The accepted columns of each kind of directory file, in English and the usual
//! Chinese: one table that the header mapper reads and `docs/IMPORT.md` is generated from.
//!
//! Registries, departments and spreadsheets name the same column differently
//! (统一社会信用代码, 信用代码, uscc…), so each column has one canonical English name, used
//! in every report and error, and a list of aliases. Matching ignores case, white space,
//! `_`, `-`, a leading `*` and a BOM (see [`normalise_name`](crate::directory::normalise_name)).

use serde::Serialize;

/// The kinds of directory file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// The subject directory (检查对象名录库).
    Subjects,
    /// The inspector directory (执法检查人员名录库).
    Inspectors,
    /// The inspection item list (随机抽查事项清单).
    Items,
}

impl ImportKind {
    /// Every kind.
    pub const ALL: [ImportKind; 3] = [
        ImportKind::Subjects,
        ImportKind::Inspectors,
        ImportKind::Items,
    ];

    /// The CLI and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Subjects => "subjects",
            ImportKind::Inspectors => "inspectors",
            ImportKind::Items => "items",
        }
    }

    /// The accepted columns of this kind, in the order documented.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            ImportKind::Subjects => SUBJECT_COLUMNS,
            ImportKind::Inspectors => INSPECTOR_COLUMNS,
            ImportKind::Items => ITEM_COLUMNS,
        }
    }
}

/// One accepted column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColumnSpec {
    /// The canonical English name, used in reports and errors.
    pub name: &'static str,
    /// Other accepted header names (English and Chinese).
    pub aliases: &'static [&'static str],
    /// Whether a file must have the column. A present column may still allow blank
    /// values where `format` says so.
    pub required: bool,
    /// What a value must look like.
    pub format: &'static str,
}

/// The separators accepted between the items of a list cell (tags, patrol areas,
/// qualifications, target kinds): `;` `；` `,` `，` `|`.
pub const LIST_SEPARATORS: [char; 5] = [';', '；', ',', '，', '|'];

/// The date formats accepted in every date column.
pub const DATE_FORMATS: &str = "a date as YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日";

const fn col(
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    format: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required,
        format,
    }
}

/// Columns of the subject directory.
pub const SUBJECT_COLUMNS: &[ColumnSpec] = &[
    col(
        "uscc",
        &[
            "统一社会信用代码",
            "信用代码",
            "credit_code",
            "unified_social_credit_code",
        ],
        true,
        "an 18-character unified social credit code (GB 32100) with its check character",
    ),
    col(
        "name",
        &["名称", "企业名称", "主体名称", "subject_name"],
        true,
        "the registered name, 1 to 200 characters",
    ),
    col(
        "kind",
        &["类型", "主体类型", "企业类型", "subject_kind"],
        true,
        "one of 企业/enterprise, 个体工商户/individual_business, \
         农民专业合作社/farmer_cooperative, 社会组织/social_organisation, \
         事业单位/public_institution, 其他/other",
    ),
    col(
        "industry",
        &["行业", "行业代码", "国民经济行业", "industry_code"],
        true,
        "a GB/T 4754 industry code: a section letter A-T, optionally followed by 2 to 4 \
         digits (e.g. C1311)",
    ),
    col(
        "region",
        &["所属区域", "行政区划", "区划代码", "region_code"],
        true,
        "a 6-digit region code in the division table (GB/T 2260)",
    ),
    col(
        "registration_date",
        &["成立日期", "注册日期", "登记日期"],
        true,
        DATE_FORMATS,
    ),
    col(
        "status",
        &["登记状态", "经营状态", "状态"],
        true,
        "one of 存续/active, 吊销/revoked, 注销/cancelled, 迁出/moved_out",
    ),
    col(
        "risk_class",
        &["信用风险分类", "风险分类", "信用等级"],
        true,
        "one of A类/A, B类/B, C类/C, D类/D",
    ),
    col(
        "tags",
        &["监管标签", "标签"],
        false,
        "supervision tags of 1 to 32 characters separated by ; ； , ， or |; may be blank",
    ),
];

/// Columns of the inspector directory.
pub const INSPECTOR_COLUMNS: &[ColumnSpec] = &[
    col(
        "inspector_id",
        &["执法人员编号", "人员编号", "执法人员代码", "工号", "id"],
        true,
        "the department-issued id: 1 to 32 characters of A-Z, a-z, 0-9, '_' or '-'",
    ),
    col(
        "name",
        &["姓名", "执法人员姓名"],
        true,
        "the name, 1 to 64 characters",
    ),
    col(
        "department",
        &[
            "所属部门",
            "部门",
            "部门代码",
            "执法部门",
            "department_code",
        ],
        true,
        "a department code: 1 to 32 characters of A-Z, a-z, 0-9, '_', '-', '.' or '/'",
    ),
    col(
        "patrol_areas",
        &[
            "巡查区域",
            "负责区域",
            "巡查片区",
            "监管区域",
            "patrol_area",
        ],
        true,
        "6-digit region codes in the division table separated by ; ； , ， or |; may be \
         blank",
    ),
    col(
        "certificate_number",
        &["执法证号", "执法证编号", "执法证件号", "certificate_no"],
        true,
        "the enforcement certificate number, 1 to 64 characters",
    ),
    col(
        "certificate_issued_on",
        &["发证日期", "执法证发证日期", "certificate_issue_date"],
        true,
        DATE_FORMATS,
    ),
    col(
        "certificate_expires_on",
        &[
            "有效期至",
            "执法证有效期至",
            "证件有效期至",
            "到期日期",
            "certificate_expiry_date",
        ],
        true,
        "a date after certificate_issued_on, as YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or \
               YYYY年M月D日",
    ),
    col(
        "qualifications",
        &["资格", "专业资格", "资质", "执法资格"],
        false,
        "qualifications of 1 to 32 characters separated by ; ； , ， or |; may be blank",
    ),
    col(
        "expert",
        &["是否专家", "专家", "is_expert"],
        false,
        "是/否, yes/no, true/false, y/n or 1/0; blank means no",
    ),
    col(
        "status",
        &["人员状态", "在岗状态", "状态"],
        true,
        "one of 在岗/active, 暂停执法/suspended, 退出/retired",
    ),
];

/// Columns of the inspection item list.
pub const ITEM_COLUMNS: &[ColumnSpec] = &[
    col(
        "code",
        &["事项编码", "事项代码", "抽查事项编码", "编码", "item_code"],
        true,
        "the item code: 1 to 32 characters of A-Z, a-z, 0-9, '_', '-', '.' or '/'",
    ),
    col(
        "name",
        &["事项名称", "抽查事项", "抽查事项名称", "item_name"],
        true,
        "the item name, 1 to 200 characters",
    ),
    col(
        "legal_basis",
        &["抽查依据", "法律依据", "检查依据"],
        true,
        "the legal basis, 1 to 2000 characters",
    ),
    col(
        "department",
        &[
            "抽查主体",
            "责任部门",
            "实施部门",
            "部门代码",
            "department_code",
        ],
        true,
        "a department code: 1 to 32 characters of A-Z, a-z, 0-9, '_', '-', '.' or '/'",
    ),
    col(
        "target_kinds",
        &["抽查对象", "对象类型", "检查对象", "target_subject_kinds"],
        true,
        "subject kinds (企业, 个体工商户, 农民专业合作社, 社会组织, 事业单位, 其他 or their \
         English names) separated by ; ； , ， or |; at least one",
    ),
    col(
        "default_ratio",
        &["抽查比例", "默认比例", "ratio"],
        true,
        "a percentage from 0% to 100% with at most two decimals, e.g. 5% or 2.5%",
    ),
    col(
        "frequency",
        &["抽查频次", "频次", "frequency_per_year"],
        true,
        "inspections per year, an integer from 1 to 12 (e.g. 1, 2次 or 2次/年)",
    ),
    col(
        "method",
        &["检查方式", "抽查方式", "核查方式"],
        true,
        "one of 现场检查/on_site, 书面检查/documentary, 网络监测/online_monitoring, \
         检验检测/testing, 其他部门结果/other_authority, 专家评审/expert_review",
    ),
    col(
        "qualification_required",
        &["检查人员要求", "人员资格要求", "资格要求"],
        false,
        "a qualification every inspector must hold, 1 to 32 characters; may be blank",
    ),
];

/// The Markdown table of the columns of `kind` (for `docs/IMPORT.md`): column, accepted
/// headers, required, format.
pub fn columns_markdown(kind: ImportKind) -> String {
    let mut out =
        String::from("| column | also accepted | required | value |\n|---|---|---|---|\n");
    for column in kind.columns() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            column.name,
            column.aliases.join(", "),
            if column.required { "yes" } else { "no" },
            column.format.replace('|', "\\|"),
        ));
    }
    out
}
