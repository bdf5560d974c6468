//! Validating one data row of each kind of file into the record its aggregate takes,
//! reporting every problem of the row (not just the first), so a rejected file can be
//! fixed in one pass.

use std::collections::BTreeSet;

use crate::directory::inspector::{
    Certificate, InspectorRecord, InspectorStatus, CERTIFICATE_NUMBER_MAX_CHARS,
    INSPECTOR_NAME_MAX_CHARS,
};
use crate::directory::item::{
    InspectionMethod, ItemRecord, ITEM_NAME_MAX_CHARS, LEGAL_BASIS_MAX_CHARS,
};
use crate::directory::subject::{
    IndustryCode, RiskClass, SubjectKind, SubjectRecord, SubjectStatus, SUBJECT_NAME_MAX_CHARS,
};
use crate::directory::text::check_text;
use crate::directory::{DepartmentCode, InspectorId, ItemCode, Label};
use crate::identifiers::{DivisionTable, RegionCode, Uscc};

use super::fields::{
    parse_date, parse_frequency, parse_percent_bp, parse_yes_no, uscc_expected, RowReader,
};
use super::{ImportKind, RowError};

/// The `expected` text of `column` in the table of `kind`.
fn format_of(kind: ImportKind, column: &str) -> String {
    kind.columns()
        .iter()
        .find(|c| c.name == column)
        .map(|c| c.format.to_owned())
        .unwrap_or_default()
}

/// A parser of bounded free text (names, legal bases, certificate numbers).
fn text(max: usize, expected: String) -> impl Fn(&str) -> Result<String, String> {
    move |value| {
        check_text(value, max)
            .map(|()| value.to_owned())
            .map_err(|_| expected.clone())
    }
}

/// A parser of a region code that must be in `divisions`.
fn region(
    divisions: &DivisionTable,
    expected: String,
) -> impl Fn(&str) -> Result<RegionCode, String> + '_ {
    move |value| {
        RegionCode::parse(value)
            .ok()
            .filter(|code| divisions.contains(code))
            .ok_or_else(|| expected.clone())
    }
}

/// A parser of a date in one of the accepted formats.
fn date(expected: String) -> impl Fn(&str) -> Result<chrono::NaiveDate, String> {
    move |value| parse_date(value).ok_or_else(|| expected.clone())
}

/// Validates one row of a subject file (`header` of kind subjects): USCC with its check
/// character, name, kind, industry shape, region in `divisions`, registration date,
/// status, risk class and tags. Returns the record, or every problem of the row.
pub fn validate_subject_row(
    row_number: u64,
    fields: &[&str],
    header: &super::HeaderMap,
    divisions: &DivisionTable,
) -> Result<SubjectRecord, Vec<RowError>> {
    let f = |column| format_of(ImportKind::Subjects, column);
    let mut r = RowReader::new(row_number, fields, header);
    let uscc = r.field("uscc", |v| Uscc::parse(v).map_err(|e| uscc_expected(&e)));
    let name = r.field("name", text(SUBJECT_NAME_MAX_CHARS, f("name")));
    let kind = r.field("kind", |v| SubjectKind::parse(v).map_err(|_| f("kind")));
    let industry = r.field("industry", |v| {
        IndustryCode::parse(v).map_err(|_| f("industry"))
    });
    let region = r.field("region", region(divisions, f("region")));
    let registered = r.field("registration_date", date(f("registration_date")));
    let status = r.field("status", |v| {
        SubjectStatus::parse(v).map_err(|_| f("status"))
    });
    let risk = r.field("risk_class", |v| {
        RiskClass::parse(v).map_err(|_| f("risk_class"))
    });
    let tags = r.list("tags", |v| Label::parse(v).map_err(|_| f("tags")));
    let (
        Some(uscc),
        Some(name),
        Some(kind),
        Some(industry),
        Some(region),
        Some(registration_date),
        Some(status),
        Some(risk_class),
        Some(tags),
        true,
    ) = (
        uscc,
        name,
        kind,
        industry,
        region,
        registered,
        status,
        risk,
        tags,
        r.errors.is_empty(),
    )
    else {
        return Err(r.errors);
    };
    Ok(SubjectRecord {
        uscc,
        name,
        kind,
        industry,
        region,
        registration_date,
        status,
        risk_class,
        tags: tags.into_iter().collect(),
    })
}

/// Validates one row of an inspector file: id, name, department, patrol areas in
/// `divisions`, certificate (expiring after issue), qualifications, expert flag and
/// status. Returns the record, or every problem of the row.
pub fn validate_inspector_row(
    row_number: u64,
    fields: &[&str],
    header: &super::HeaderMap,
    divisions: &DivisionTable,
) -> Result<InspectorRecord, Vec<RowError>> {
    let f = |column| format_of(ImportKind::Inspectors, column);
    let mut r = RowReader::new(row_number, fields, header);
    let id = r.field("inspector_id", |v| {
        InspectorId::parse(v).map_err(|_| f("inspector_id"))
    });
    let name = r.field("name", text(INSPECTOR_NAME_MAX_CHARS, f("name")));
    let department = r.field("department", |v| {
        DepartmentCode::parse(v).map_err(|_| f("department"))
    });
    let areas = r.list("patrol_areas", region(divisions, f("patrol_areas")));
    let number = r.field(
        "certificate_number",
        text(CERTIFICATE_NUMBER_MAX_CHARS, f("certificate_number")),
    );
    let issued_on = r.field("certificate_issued_on", date(f("certificate_issued_on")));
    let mut expires_on = r.field("certificate_expires_on", date(f("certificate_expires_on")));
    if let (Some(issued), Some(expires)) = (issued_on, expires_on) {
        if expires <= issued {
            let value = r.text("certificate_expires_on");
            r.fail("certificate_expires_on", value, f("certificate_expires_on"));
            expires_on = None;
        }
    }
    let qualifications = r.list("qualifications", |v| {
        Label::parse(v).map_err(|_| f("qualifications"))
    });
    let expert = r.field("expert", |v| parse_yes_no(v).ok_or_else(|| f("expert")));
    let status = r.field("status", |v| {
        InspectorStatus::parse(v).map_err(|_| f("status"))
    });
    let (
        Some(id),
        Some(name),
        Some(department),
        Some(areas),
        Some(number),
        Some(issued_on),
        Some(expires_on),
        Some(qualifications),
        Some(expert),
        Some(status),
        true,
    ) = (
        id,
        name,
        department,
        areas,
        number,
        issued_on,
        expires_on,
        qualifications,
        expert,
        status,
        r.errors.is_empty(),
    )
    else {
        return Err(r.errors);
    };
    Ok(InspectorRecord {
        id,
        name,
        department,
        patrol_areas: areas.into_iter().collect(),
        certificate: Certificate {
            number,
            issued_on,
            expires_on,
        },
        qualifications: qualifications.into_iter().collect(),
        expert,
        status,
    })
}

/// Validates one row of an item file: code, name, legal basis, department, target
/// kinds (at least one), default ratio, frequency, method and the optional
/// qualification. Returns the record, or every problem of the row.
pub fn validate_item_row(
    row_number: u64,
    fields: &[&str],
    header: &super::HeaderMap,
) -> Result<ItemRecord, Vec<RowError>> {
    let f = |column| format_of(ImportKind::Items, column);
    let mut r = RowReader::new(row_number, fields, header);
    let code = r.field("code", |v| ItemCode::parse(v).map_err(|_| f("code")));
    let name = r.field("name", text(ITEM_NAME_MAX_CHARS, f("name")));
    let basis = r.field("legal_basis", text(LEGAL_BASIS_MAX_CHARS, f("legal_basis")));
    let department = r.field("department", |v| {
        DepartmentCode::parse(v).map_err(|_| f("department"))
    });
    let kinds = r.list("target_kinds", |v| {
        SubjectKind::parse(v).map_err(|_| f("target_kinds"))
    });
    let kinds: Option<BTreeSet<SubjectKind>> = kinds.map(|k| k.into_iter().collect());
    if kinds.as_ref().is_some_and(BTreeSet::is_empty) {
        let value = r.text("target_kinds");
        r.fail("target_kinds", value, f("target_kinds"));
    }
    let ratio = r.field("default_ratio", |v| {
        parse_percent_bp(v).ok_or_else(|| f("default_ratio"))
    });
    let frequency = r.field("frequency", |v| {
        parse_frequency(v).ok_or_else(|| f("frequency"))
    });
    let method = r.field("method", |v| {
        InspectionMethod::parse(v).map_err(|_| f("method"))
    });
    let qualification = r.field("qualification_required", |v| match v {
        "" => Ok(None),
        v => Label::parse(v)
            .map(Some)
            .map_err(|_| f("qualification_required")),
    });
    let (
        Some(code),
        Some(name),
        Some(legal_basis),
        Some(department),
        Some(target_kinds),
        Some(default_ratio_bp),
        Some(frequency_per_year),
        Some(method),
        Some(qualification_required),
        true,
    ) = (
        code,
        name,
        basis,
        department,
        kinds,
        ratio,
        frequency,
        method,
        qualification,
        r.errors.is_empty(),
    )
    else {
        return Err(r.errors);
    };
    Ok(ItemRecord {
        code,
        name,
        legal_basis,
        department,
        target_kinds,
        default_ratio_bp,
        frequency_per_year,
        method,
        qualification_required,
    })
}
