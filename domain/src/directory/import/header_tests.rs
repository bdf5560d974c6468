//! Tests of header mapping: Chinese, English, BOM, case and spacing; missing, unknown,
//! duplicated and blank columns; the column table itself.

use super::*;
use crate::directory::inspector::InspectorStatus;
use crate::directory::item::InspectionMethod;
use crate::directory::normalise_name;
use crate::directory::subject::{RiskClass, SubjectKind, SubjectStatus};

#[test]
fn chinese_headers_with_a_bom_map_to_their_columns() {
    let headers = [
        "\u{feff}统一社会信用代码",
        "企业名称",
        "类型",
        "行业代码",
        "行政区划",
        "成立日期",
        "登记状态",
        "信用风险分类",
        "监管标签",
    ];
    let map = HeaderMap::parse(ImportKind::Subjects, &headers).unwrap();
    assert_eq!(map.position("uscc"), Some(0));
    assert_eq!(map.position("tags"), Some(8));
    assert_eq!(map.width(), 9);
    assert_eq!(
        map.value(&["  91350100M000100Y43 ", "x"], "uscc"),
        "91350100M000100Y43"
    );
    assert_eq!(map.value(&["a"], "status"), "", "a short row reads blank");
}

#[test]
fn english_headers_ignore_case_spacing_and_marks_and_optional_columns_may_be_absent() {
    let headers = [
        "USCC",
        " Name ",
        "Kind",
        "Industry",
        "*Region",
        "Registration Date",
        "STATUS",
        "risk-class",
    ];
    let map = HeaderMap::parse(ImportKind::Subjects, &headers).unwrap();
    assert_eq!(map.position("registration_date"), Some(5));
    assert_eq!(map.position("risk_class"), Some(7));
    assert_eq!(map.position("tags"), None);
}

#[test]
fn every_header_problem_is_reported_at_once() {
    let headers = ["统一社会信用代码", "名称", "企业名称", "法定代表人", " "];
    let errors = HeaderMap::parse(ImportKind::Subjects, &headers).unwrap_err();
    assert!(errors.contains(&HeaderError::Duplicate {
        column: "name",
        first: 2,
        second: 3
    }));
    assert!(errors.contains(&HeaderError::Blank { position: 5 }));
    let unknown = errors
        .iter()
        .find(|e| matches!(e, HeaderError::Unknown { .. }))
        .unwrap();
    let message = unknown.to_string();
    assert!(message.starts_with("unknown column '法定代表人' (column 4); accepted columns: uscc ("));
    assert!(message.contains("registration_date (成立日期, 注册日期, 登记日期)"));
    let missing: Vec<&str> = errors
        .iter()
        .filter_map(|e| match e {
            HeaderError::Missing { column, .. } => Some(*column),
            _ => None,
        })
        .collect();
    assert_eq!(
        missing,
        [
            "kind",
            "industry",
            "region",
            "registration_date",
            "status",
            "risk_class"
        ]
    );
}

#[test]
fn inspector_and_item_headers_map_in_chinese() {
    let inspectors = [
        "执法人员编号",
        "姓名",
        "所属部门",
        "巡查区域",
        "执法证号",
        "发证日期",
        "有效期至",
        "资格",
        "是否专家",
        "人员状态",
    ];
    assert!(HeaderMap::parse(ImportKind::Inspectors, &inspectors).is_ok());
    let items = [
        "事项编码",
        "事项名称",
        "抽查依据",
        "抽查主体",
        "抽查对象",
        "抽查比例",
        "抽查频次",
        "检查方式",
        "检查人员要求",
    ];
    assert!(HeaderMap::parse(ImportKind::Items, &items).is_ok());
}

#[test]
fn no_two_columns_of_a_kind_share_a_name() {
    for kind in ImportKind::ALL {
        let mut seen = std::collections::HashSet::new();
        for column in kind.columns() {
            for name in column.all_names() {
                assert!(seen.insert(normalise_name(name)), "{kind:?}: {name} twice");
            }
        }
    }
}

#[test]
fn the_documented_formats_list_the_names_the_parsers_accept() {
    let format = |kind: ImportKind, name: &str| {
        kind.columns()
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.format)
            .unwrap_or_default()
    };
    let one_of = |accepted: String| format!("one of {accepted}");
    assert_eq!(
        format(ImportKind::Subjects, "kind"),
        one_of(SubjectKind::accepted())
    );
    assert_eq!(
        format(ImportKind::Subjects, "status"),
        one_of(SubjectStatus::accepted())
    );
    assert_eq!(
        format(ImportKind::Subjects, "risk_class"),
        one_of(RiskClass::accepted())
    );
    assert_eq!(
        format(ImportKind::Inspectors, "status"),
        one_of(InspectorStatus::accepted())
    );
    assert_eq!(
        format(ImportKind::Items, "method"),
        one_of(InspectionMethod::accepted())
    );
}

#[test]
fn the_markdown_table_lists_every_column() {
    let table = columns_markdown(ImportKind::Subjects);
    assert_eq!(table.lines().count(), 2 + SUBJECT_COLUMNS.len());
    assert!(table.contains(
        "| `uscc` | 统一社会信用代码, 信用代码, credit_code, unified_social_credit_code | yes |"
    ));
    assert!(columns_markdown(ImportKind::Subjects).contains("separated by ; ； , ， or \\|"));
}
