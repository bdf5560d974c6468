//! Tests of the division table: the embedded default and rejected CSVs.

use super::*;

fn code(text: &str) -> RegionCode {
    match RegionCode::parse(text) {
        Ok(code) => code,
        Err(error) => panic!("test code {text:?} is invalid: {error}"),
    }
}

fn load_err(text: &str) -> ReferenceFileError {
    match DivisionTable::from_csv(text) {
        Ok(table) => panic!("accepted a bad table of {} rows", table.len()),
        Err(error) => error,
    }
}

#[test]
fn default_table_loads_with_every_level() {
    let table = DivisionTable::default_table();
    assert_eq!(table.len(), 3220);
    let count = |level| table.iter().filter(|d| d.level == level).count();
    assert_eq!(count(DivisionLevel::Province), 34);
    assert_eq!(count(DivisionLevel::Prefecture), 339);
    assert_eq!(count(DivisionLevel::County), 2847);
}

#[test]
fn default_table_answers_names_parents_and_levels() {
    let table = DivisionTable::default_table();
    let xihu = code("330106");
    assert_eq!(table.name(&xihu), Some("西湖区"));
    assert_eq!(table.level(&xihu), Some(DivisionLevel::County));
    assert_eq!(table.parent(&xihu), Some(&code("330100")));
    assert_eq!(table.parent(&code("330100")), Some(&code("330000")));
    assert_eq!(table.parent(&code("330000")), None);
    assert!(table.validate(&code("350100")).is_ok());
}

#[test]
fn self_parented_cities_of_the_default_table_have_no_parent() {
    let table = DivisionTable::default_table();
    for text in ["441900", "442000", "460400"] {
        assert!(table.contains(&code(text)));
        assert_eq!(table.parent(&code(text)), None, "{text}");
    }
}

#[test]
fn every_parent_chain_ends_at_its_own_province() {
    let table = DivisionTable::default_table();
    for division in table.iter() {
        let mut current = &division.code;
        let mut steps = 0;
        while let Some(parent) = table.parent(current) {
            current = parent;
            steps += 1;
            assert!(steps <= 2, "chain from {} too long", division.code);
        }
        if division.parent.is_some() {
            assert_eq!(current, &division.code.province());
        }
    }
}

#[test]
fn unknown_codes_are_errors() {
    let table = DivisionTable::default_table();
    let error = match table.validate(&code("330199")) {
        Ok(()) => panic!("330199 is not a division"),
        Err(error) => error,
    };
    assert_eq!(error.position, None);
    assert_eq!(
        error.to_string(),
        "region code 330199 is not in the division table (GB/T 2260)"
    );
}

#[test]
fn digest_is_stable_across_line_endings() -> Result<(), ReferenceFileError> {
    let unix = "code,name,level,parent_code\n330000,浙江省,province,\n";
    let table = DivisionTable::from_csv(unix)?;
    let windows = DivisionTable::from_csv(&unix.replace('\n', "\r\n"))?;
    assert_eq!(table.content_digest(), windows.content_digest());
    assert_eq!(
        DivisionTable::default_table().content_digest(),
        reference_data::content_digest(DEFAULT_CSV)
    );
    Ok(())
}

#[test]
fn parents_may_follow_their_children() -> Result<(), ReferenceFileError> {
    let text = "code,name,level,parent_code\n\
                330106,西湖区,county,330100\n\
                330100,杭州市,prefecture,330000\n\
                330000,浙江省,province,\n";
    let table = DivisionTable::from_csv(text)?;
    assert_eq!(table.len(), 3);
    Ok(())
}

#[test]
fn bad_rows_are_named_by_line_column_and_value() {
    let head = "code,name,level,parent_code\n330000,浙江省,province,\n";
    let cases = [
        ("33010A,杭州市,prefecture,330000", "code", "33010A"),
        ("990100,某市,prefecture,", "code", "990100"),
        ("330100,,prefecture,330000", "name", ""),
        ("330100,杭州市,city,330000", "level", "city"),
        ("330100,杭州市,prefecture,33", "parent_code", "33"),
        ("330100,杭州市,prefecture,320000", "parent_code", "320000"),
        ("330100,杭州市,province,330000", "parent_code", "330000"),
        ("330000,浙江,province,", "code", "330000"),
    ];
    for (row, column, value) in cases {
        let error = load_err(&format!("{head}{row}\n"));
        assert_eq!(error.line, Some(3), "{row}");
        assert_eq!(error.column, Some(column), "{row}");
        assert_eq!(error.value.as_deref(), Some(value), "{row}");
    }
}

#[test]
fn error_messages_are_specific() {
    let head = "code,name,level,parent_code\n330000,浙江省,province,\n";
    let dangling = load_err(&format!("{head}330100,杭州市,prefecture,320000\n"));
    assert_eq!(
        dangling.to_string(),
        "line 3, column parent_code, value \"320000\": refers to 320000, which no line of \
         the file defines"
    );
    let duplicate = load_err(&format!("{head}330000,浙江,province,\n"));
    assert_eq!(
        duplicate.kind,
        ReferenceFileErrorKind::Duplicate { first_line: 2 }
    );
    let bad_code = load_err(&format!("{head}3301,杭州市,prefecture,330000\n"));
    assert!(bad_code
        .to_string()
        .ends_with("region code must be 6 digits, found 4 characters"));
}

#[test]
fn wrong_header_is_rejected() {
    let error = load_err("code,name,parent_code,level\n330000,浙江省,,province\n");
    assert_eq!(error.line, Some(1));
    assert!(matches!(error.kind, ReferenceFileErrorKind::Header { .. }));
}
