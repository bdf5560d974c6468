//! Reading the frozen texts back (docs/DRAW.md §2): the inverse of [`pool`](super::pool).
//!
//! A re-runner holds only the published files, so the draw must be recomputable from
//! their bytes. Parsing is strict: the header must match, every field is decoded by the
//! field and list rules, enumerations by their English names only, and every record
//! passes the directory's own validators (USCC check character, region code, dates,
//! names). Then each line, and the whole text, is encoded again with `pool.rs` and must
//! give back exactly the bytes read. So a pool has exactly one accepted text, and its
//! digest means one thing: a text with CRLF line ends, a quoted field that needs no
//! quotes, an unsorted or repeated line, or an alias such as `存续` is refused, naming
//! the line, the field, what was found and what was expected.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;

use crate::directory::{
    Certificate, ConflictRules, DepartmentCode, Exclusions, IndustryCode, InspectorId,
    InspectorRecord, InspectorRecordError, InspectorStatus, Label, RatiosByClass, RiskClass,
    RiskClassSource, Rules, SubjectKind, SubjectRecord, SubjectStatus,
};
use crate::identifiers::{RegionCode, Uscc};

use super::inputs::{DrawTask, FrozenDraw, PreviousAssignment, Relationship};
use super::pool::{
    inspectors_csv, previous_csv, relationships_csv, rules_text, subjects_csv, FrozenTexts,
    INSPECTORS_HEADER, PREVIOUS_HEADER, RELATIONSHIPS_HEADER, RULES_MAGIC, SUBJECTS_HEADER,
};

/// One of the five frozen texts, named by its file in the published bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrozenText {
    /// §2.1, `subjects.csv`.
    Subjects,
    /// §2.2, `inspectors.csv`.
    Inspectors,
    /// §2.3, `relationships.csv`.
    Relationships,
    /// §2.4, `previous.csv`.
    Previous,
    /// §2.5, `rules.txt`.
    Rules,
}

impl FrozenText {
    /// The five, in the order of docs/DRAW.md §2.
    pub const ALL: [FrozenText; 5] = [
        FrozenText::Subjects,
        FrozenText::Inspectors,
        FrozenText::Relationships,
        FrozenText::Previous,
        FrozenText::Rules,
    ];

    /// The file name in the published bundle, e.g. `subjects.csv`.
    pub fn file_name(self) -> &'static str {
        match self {
            FrozenText::Subjects => "subjects.csv",
            FrozenText::Inspectors => "inspectors.csv",
            FrozenText::Relationships => "relationships.csv",
            FrozenText::Previous => "previous.csv",
            FrozenText::Rules => "rules.txt",
        }
    }

    /// The text of this kind in `texts`.
    pub fn of(self, texts: &FrozenTexts) -> &str {
        match self {
            FrozenText::Subjects => &texts.subjects,
            FrozenText::Inspectors => &texts.inspectors,
            FrozenText::Relationships => &texts.relationships,
            FrozenText::Previous => &texts.previous,
            FrozenText::Rules => &texts.rules,
        }
    }
}

impl fmt::Display for FrozenText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// Why a frozen text is not the canonical encoding of a valid pool. Display reads e.g.
/// `subjects.csv line 3, field registration_date: found "2020-02-30", expected a date
/// YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text} line {line}{}: found {found}, expected {expected}", in_field(.field))]
pub struct TextError {
    /// Which text.
    pub text: FrozenText,
    /// 1-based line number.
    pub line: usize,
    /// The field (a header name, or a rules key), or `None` when the whole line or the
    /// text's layout is at fault.
    pub field: Option<&'static str>,
    /// What was found, quoted when it is text from the input.
    pub found: String,
    /// What was expected there.
    pub expected: String,
}

fn in_field(field: &Option<&'static str>) -> String {
    field.map(|f| format!(", field {f}")).unwrap_or_default()
}

/// The subject pool of §2.1.
pub fn parse_subjects(text: &str) -> Result<Vec<SubjectRecord>, TextError> {
    let records = parse_rows(FrozenText::Subjects, text, SUBJECTS_HEADER, |row| {
        let record = SubjectRecord {
            uscc: row.value(0, Uscc::parse)?,
            name: row.get(1).to_owned(),
            kind: row.english(2, SubjectKind::ALL, SubjectKind::as_str)?,
            industry: row.value(3, IndustryCode::parse)?,
            region: row.value(4, RegionCode::parse)?,
            registration_date: row.date(5)?,
            status: row.english(6, SubjectStatus::ALL, SubjectStatus::as_str)?,
            risk_class: row.english(7, RiskClass::ALL, RiskClass::as_str)?,
            tags: row.list(8, Label::parse)?,
        };
        record
            .check()
            .map_err(|e| row.error(1, format!("a valid name ({e})")))?;
        let key = vec![record.uscc.as_str().to_owned()];
        row.canonical(&subjects_csv(std::slice::from_ref(&record)))?;
        Ok((key, record))
    })?;
    whole(FrozenText::Subjects, text, &subjects_csv(&records))?;
    Ok(records)
}

/// The inspector pool of §2.2.
pub fn parse_inspectors(text: &str) -> Result<Vec<InspectorRecord>, TextError> {
    let records = parse_rows(FrozenText::Inspectors, text, INSPECTORS_HEADER, |row| {
        let record = InspectorRecord {
            id: row.value(0, InspectorId::parse)?,
            name: row.get(1).to_owned(),
            department: row.value(2, DepartmentCode::parse)?,
            patrol_areas: row.list(3, RegionCode::parse)?,
            certificate: Certificate {
                number: row.get(4).to_owned(),
                issued_on: row.date(5)?,
                expires_on: row.date(6)?,
            },
            qualifications: row.list(7, Label::parse)?,
            expert: row.boolean(8)?,
            status: row.english(9, InspectorStatus::ALL, InspectorStatus::as_str)?,
        };
        if let Err(e) = record.check() {
            let column = match e {
                InspectorRecordError::Name(_) => 1,
                InspectorRecordError::CertificateNumber(_) => 4,
                InspectorRecordError::CertificateExpiry { .. } => 6,
            };
            return Err(row.error(column, format!("a valid record ({e})")));
        }
        let key = vec![record.id.as_str().to_owned()];
        row.canonical(&inspectors_csv(std::slice::from_ref(&record)))?;
        Ok((key, record))
    })?;
    whole(FrozenText::Inspectors, text, &inspectors_csv(&records))?;
    Ok(records)
}

/// The declared relationships of §2.3.
pub fn parse_relationships(text: &str) -> Result<BTreeSet<Relationship>, TextError> {
    let pairs = parse_rows(
        FrozenText::Relationships,
        text,
        RELATIONSHIPS_HEADER,
        |row| {
            let pair = Relationship {
                uscc: row.value(0, Uscc::parse)?,
                inspector: row.value(1, InspectorId::parse)?,
            };
            let key = vec![pair.uscc.as_str().into(), pair.inspector.as_str().into()];
            row.canonical(&relationships_csv(&[&pair]))?;
            Ok((key, pair))
        },
    )?;
    let refs: Vec<&Relationship> = pairs.iter().collect();
    whole(FrozenText::Relationships, text, &relationships_csv(&refs))?;
    Ok(pairs.into_iter().collect())
}

/// The previous draws' teams of §2.4.
pub fn parse_previous(text: &str) -> Result<BTreeSet<PreviousAssignment>, TextError> {
    let triples = parse_rows(FrozenText::Previous, text, PREVIOUS_HEADER, |row| {
        let triple = PreviousAssignment {
            department: row.value(0, DepartmentCode::parse)?,
            uscc: row.value(1, Uscc::parse)?,
            inspector: row.value(2, InspectorId::parse)?,
        };
        let key = vec![
            triple.department.as_str().into(),
            triple.uscc.as_str().into(),
            triple.inspector.as_str().into(),
        ];
        row.canonical(&previous_csv(&[&triple]))?;
        Ok((key, triple))
    })?;
    let refs: Vec<&PreviousAssignment> = triples.iter().collect();
    whole(FrozenText::Previous, text, &previous_csv(&refs))?;
    Ok(triples.into_iter().collect())
}

/// The keys of the rules text after its magic line, in their fixed order (§2.5).
const RULE_KEYS: [&str; 13] = [
    "ratio_bp.A",
    "ratio_bp.B",
    "ratio_bp.C",
    "ratio_bp.D",
    "exclusions.eligible_statuses",
    "exclusions.min_months_since_registration",
    "exclusions.same_department_within_months",
    "frequency_cap_per_year",
    "min_team_size",
    "conflicts.exclude_patrol_area",
    "conflicts.exclude_previous_inspector",
    "workload_cap_per_task",
    "publication_deadline_working_days",
];

/// The optional last key of the rules text: present only when not `directory` (§2.5).
const OPTIONAL_SOURCE_KEY: &str = "risk_class_source";

/// The rules of §2.5, which must also pass [`Rules::validate`].
pub fn parse_rules(text: &str) -> Result<Rules, TextError> {
    let kind = FrozenText::Rules;
    let lines = split_lines(kind, text)?;
    expect_line(kind, &lines, 0, RULES_MAGIC)?;
    let mut values = Vec::with_capacity(RULE_KEYS.len());
    for (index, key) in RULE_KEYS.iter().enumerate() {
        let number = index + 2;
        let Some(line) = lines.get(index + 1) else {
            return Err(error(
                kind,
                number,
                None,
                "the end of the text",
                format!("{key}=…"),
            ));
        };
        match line.split_once('=') {
            Some((found, value)) if found == *key => values.push((number, *key, value)),
            _ => return Err(error(kind, number, None, quote(line), format!("{key}=…"))),
        }
    }
    let mut risk_class_source = RiskClassSource::Directory;
    let mut next = RULE_KEYS.len() + 1;
    if let Some(line) = lines.get(next) {
        if let Some(value) = line
            .strip_prefix(OPTIONAL_SOURCE_KEY)
            .and_then(|v| v.strip_prefix('='))
        {
            risk_class_source = english(&RiskClassSource::ALL[1..], RiskClassSource::as_str, value)
                .ok_or_else(|| {
                    error(
                        kind,
                        next + 1,
                        Some(OPTIONAL_SOURCE_KEY),
                        quote(value),
                        "credit or stricter (the default, directory, is not written)",
                    )
                })?;
            next += 1;
        }
    }
    if let Some(extra) = lines.get(next) {
        return Err(error(
            kind,
            next + 1,
            None,
            quote(extra),
            "the end of the rules text",
        ));
    }
    let number = |i: usize| -> Result<u32, TextError> {
        let (line, key, value) = values[i];
        decimal(value).ok_or_else(|| error(kind, line, Some(key), quote(value), "a decimal"))
    };
    let flag = |i: usize| -> Result<bool, TextError> {
        let (line, key, value) = values[i];
        boolean(value).ok_or_else(|| error(kind, line, Some(key), quote(value), "true or false"))
    };
    let (status_line, status_key, statuses) = values[4];
    let mut eligible_statuses = BTreeSet::new();
    for name in statuses.split(',').filter(|_| !statuses.is_empty()) {
        let status = english(SubjectStatus::ALL, SubjectStatus::as_str, name).ok_or_else(|| {
            let names = names(SubjectStatus::ALL, SubjectStatus::as_str);
            let expected = format!("statuses among {names}, sorted, joined by ','");
            error(kind, status_line, Some(status_key), quote(name), expected)
        })?;
        eligible_statuses.insert(status);
    }
    let rules = Rules {
        ratio_bp: RatiosByClass {
            a: number(0)?,
            b: number(1)?,
            c: number(2)?,
            d: number(3)?,
        },
        exclusions: Exclusions {
            eligible_statuses,
            min_months_since_registration: number(5)?,
            same_department_within_months: number(6)?,
        },
        frequency_cap_per_year: number(7)?,
        min_team_size: number(8)?,
        conflicts: ConflictRules {
            exclude_patrol_area: flag(9)?,
            exclude_previous_inspector: flag(10)?,
        },
        workload_cap_per_task: number(11)?,
        publication_deadline_working_days: number(12)?,
        risk_class_source,
    };
    if let Err(violations) = rules.validate() {
        if let Some(v) = violations.first() {
            let index = RULE_KEYS.iter().position(|k| *k == v.path).unwrap_or(0);
            let field = RULE_KEYS.get(index).copied();
            let found = quote(&v.value);
            return Err(error(kind, index + 2, field, found, v.expected.clone()));
        }
    }
    whole(kind, text, &rules_text(&rules))?;
    Ok(rules)
}

impl FrozenTexts {
    /// Parses the five texts (see [`parse_subjects`] and its siblings) into the frozen
    /// inputs of a draw of `task` under rules version `rules_version`.
    pub fn to_frozen(&self, task: DrawTask, rules_version: u32) -> Result<FrozenDraw, TextError> {
        Ok(FrozenDraw {
            task,
            subjects: parse_subjects(&self.subjects)?,
            inspectors: parse_inspectors(&self.inspectors)?,
            relationships: parse_relationships(&self.relationships)?,
            previous: parse_previous(&self.previous)?,
            rules_version,
            rules: parse_rules(&self.rules)?,
        })
    }
}

fn error(
    text: FrozenText,
    line: usize,
    field: Option<&'static str>,
    found: impl Into<String>,
    expected: impl Into<String>,
) -> TextError {
    TextError {
        text,
        line,
        field,
        found: found.into(),
        expected: expected.into(),
    }
}

/// Text from the input, quoted and escaped for a message, cut to 120 characters.
fn quote(text: &str) -> String {
    let cut: String = text.chars().take(120).collect();
    let ellipsis = if cut.len() < text.len() { "…" } else { "" };
    format!("{cut:?}{ellipsis}")
}

/// The lines of a text, without their LF; refuses a text without a final LF or with CR.
fn split_lines(kind: FrozenText, text: &str) -> Result<Vec<&str>, TextError> {
    let Some(body) = text.strip_suffix('\n') else {
        let line = text.split('\n').count();
        let found = if text.is_empty() {
            "an empty text".to_owned()
        } else {
            "no LF after the last line".to_owned()
        };
        return Err(error(
            kind,
            line,
            None,
            found,
            "every line, the last included, to end with LF",
        ));
    };
    let lines: Vec<&str> = body.split('\n').collect();
    if let Some(index) = lines.iter().position(|l| l.contains('\r')) {
        let found = format!("a CR in {}", quote(lines[index]));
        return Err(error(
            kind,
            index + 1,
            None,
            found,
            "LF line ends and no CR",
        ));
    }
    Ok(lines)
}

fn expect_line(
    kind: FrozenText,
    lines: &[&str],
    index: usize,
    wanted: &str,
) -> Result<(), TextError> {
    match lines.get(index) {
        Some(line) if *line == wanted => Ok(()),
        Some(line) => Err(error(kind, index + 1, None, quote(line), quote(wanted))),
        None => Err(error(
            kind,
            index + 1,
            None,
            "the end of the text",
            quote(wanted),
        )),
    }
}

/// Checks the header, then decodes each record line with `record`, which returns the
/// line's sort key and the record (after checking the line is canonical); keys must
/// strictly increase, so no record appears twice.
fn parse_rows<T>(
    kind: FrozenText,
    text: &str,
    header: &'static str,
    record: impl Fn(&Row<'_>) -> Result<(Vec<String>, T), TextError>,
) -> Result<Vec<T>, TextError> {
    let lines = split_lines(kind, text)?;
    expect_line(kind, &lines, 0, header)?;
    let names: Vec<&'static str> = header.split(',').collect();
    let mut out = Vec::with_capacity(lines.len().saturating_sub(1));
    let mut previous: Option<Vec<String>> = None;
    for (index, line) in lines.iter().enumerate().skip(1) {
        let number = index + 1;
        let fields = split_fields(line).map_err(|(column, problem)| {
            let field = names.get(column).copied();
            error(
                kind,
                number,
                field,
                problem,
                "fields written by the field rule",
            )
        })?;
        if fields.len() != names.len() {
            let found = format!("{} fields in {}", fields.len(), quote(line));
            return Err(error(
                kind,
                number,
                None,
                found,
                format!("{} fields", names.len()),
            ));
        }
        let row = Row {
            kind,
            number,
            line,
            header,
            names: &names,
            fields,
        };
        let (key, value) = record(&row)?;
        if let Some(before) = &previous {
            if key == *before {
                let found = format!("the same key as line {} ({})", number - 1, key.join(", "));
                return Err(error(kind, number, None, found, "each record once"));
            }
            if key < *before {
                let found = quote(&key.join(","));
                let expected = format!(
                    "a key after {} (lines in sorted order)",
                    quote(&before.join(","))
                );
                return Err(error(kind, number, None, found, expected));
            }
        }
        previous = Some(key);
        out.push(value);
    }
    Ok(out)
}

/// The whole text must be what `pool.rs` writes for the parsed records.
fn whole(kind: FrozenText, text: &str, again: &str) -> Result<(), TextError> {
    if text == again {
        return Ok(());
    }
    let mut found = text.split_inclusive('\n');
    let mut expected = again.split_inclusive('\n');
    let mut number = 1;
    loop {
        match (found.next(), expected.next()) {
            (Some(a), Some(b)) if a == b => number += 1,
            (a, b) => {
                let show = |l: Option<&str>| l.map_or("the end of the text".to_owned(), quote);
                let expected = format!("the canonical encoding {}", show(b));
                return Err(error(
                    kind,
                    number,
                    None,
                    format!("{} (not canonical)", show(a)),
                    expected,
                ));
            }
        }
    }
}

/// One record line, split into fields.
struct Row<'a> {
    kind: FrozenText,
    number: usize,
    line: &'a str,
    header: &'static str,
    names: &'a [&'static str],
    fields: Vec<String>,
}

impl Row<'_> {
    fn get(&self, column: usize) -> &str {
        self.fields.get(column).map_or("", String::as_str)
    }

    fn error(&self, column: usize, expected: impl Into<String>) -> TextError {
        let field = self.names.get(column).copied();
        error(
            self.kind,
            self.number,
            field,
            quote(self.get(column)),
            expected,
        )
    }

    fn value<T, E: fmt::Display>(
        &self,
        column: usize,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, TextError> {
        parse(self.get(column)).map_err(|e| self.error(column, e.to_string()))
    }

    fn date(&self, column: usize) -> Result<NaiveDate, TextError> {
        let text = self.get(column);
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|d| d.format("%Y-%m-%d").to_string() == text)
            .ok_or_else(|| self.error(column, "a date YYYY-MM-DD"))
    }

    fn boolean(&self, column: usize) -> Result<bool, TextError> {
        boolean(self.get(column)).ok_or_else(|| self.error(column, "true or false"))
    }

    fn english<T: Copy>(
        &self,
        column: usize,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Result<T, TextError> {
        english(all, name, self.get(column))
            .ok_or_else(|| self.error(column, format!("one of {}", names(all, name))))
    }

    fn list<T: Ord, E: fmt::Display>(
        &self,
        column: usize,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<BTreeSet<T>, TextError> {
        let items = split_list(self.get(column)).map_err(|problem| {
            self.error(column, format!("a list by the list rule ({problem})"))
        })?;
        items
            .iter()
            .map(|item| {
                parse(item).map_err(|e| self.error(column, format!("elements that parse ({e})")))
            })
            .collect()
    }

    /// The line must be the one `pool.rs` writes for the record (`encoded` holds the
    /// header and that one line).
    fn canonical(&self, encoded: &str) -> Result<(), TextError> {
        let line = encoded
            .strip_prefix(self.header)
            .and_then(|rest| rest.strip_prefix('\n'))
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or(encoded);
        if line == self.line {
            Ok(())
        } else {
            let found = format!("{} (not canonical)", quote(self.line));
            let expected = format!("the canonical encoding {}", quote(line));
            Err(error(self.kind, self.number, None, found, expected))
        }
    }
}

/// Splits a line by the field rule; on error, the 0-based column and the problem.
fn split_fields(line: &str) -> Result<Vec<String>, (usize, String)> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        let column = fields.len();
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    None => return Err((column, "an unbalanced quote".into())),
                    Some((i, '"')) => {
                        if quoted[i + 1..].starts_with('"') {
                            value.push('"');
                            chars.next();
                        } else {
                            break &quoted[i + 1..];
                        }
                    }
                    Some((_, c)) => value.push(c),
                }
            };
            fields.push(value);
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err((column, format!("{} after a closing quote", quote(after)))),
            }
        } else {
            let (field, next) = match rest.split_once(',') {
                Some((field, next)) => (field, Some(next)),
                None => (rest, None),
            };
            if field.contains('"') {
                return Err((
                    column,
                    format!("a quote inside the unquoted field {}", quote(field)),
                ));
            }
            fields.push(field.to_owned());
            match next {
                Some(next) => rest = next,
                None => return Ok(fields),
            }
        }
    }
}

/// Splits a field by the list rule (`;` between elements, `\\` and `\;` escapes).
fn split_list(field: &str) -> Result<Vec<String>, String> {
    if field.is_empty() {
        return Ok(Vec::new());
    }
    let mut items = vec![String::new()];
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped @ ('\\' | ';')) => push(&mut items, escaped),
                Some(other) => return Err(format!("'\\' followed by {other:?}")),
                None => return Err("a '\\' at the end".into()),
            },
            ';' => items.push(String::new()),
            c => push(&mut items, c),
        }
    }
    Ok(items)
}

fn push(items: &mut [String], c: char) {
    if let Some(last) = items.last_mut() {
        last.push(c);
    }
}

/// A decimal with no sign, no leading zeros and no separators.
fn decimal(text: &str) -> Option<u32> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The value whose English name is exactly `text` (no aliases, no case folding).
fn english<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: &str) -> Option<T> {
    all.iter().copied().find(|v| name(*v) == text)
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}
