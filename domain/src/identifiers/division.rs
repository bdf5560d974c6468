//! The division table (行政区划表, GB/T 2260): which region codes exist, their names,
//! levels and parents.
//!
//! Division codes change every year (counties merge, districts are renamed), so the
//! table is data that a deployment loads, not code. Subjects whose region is not in the
//! loaded table are rejected, and decisions record [`DivisionTable::content_digest`] as
//! the version of the table they used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::reference_data::{self, ReferenceFileError, ReferenceFileErrorKind};
use super::region::{RegionCode, RegionError, RegionErrorKind};

/// The header a division CSV must have.
const HEADER: &str = "code,name,level,parent_code";

/// The default table: 3,220 province, prefecture and county codes agreed by at least two
/// public sources, with their parents.
const DEFAULT_CSV: &str = include_str!("../../../data/divisions-gbt2260.csv");

/// The level of a division (行政区划级别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DivisionLevel {
    /// Provincial level (省级): provinces, autonomous regions, municipalities, SARs.
    Province,
    /// Prefectural level (地级): prefecture-level cities, leagues, autonomous prefectures.
    Prefecture,
    /// County level (县级): districts, counties, county-level cities, banners.
    County,
}

impl DivisionLevel {
    /// The spelling used in the CSV `level` column.
    pub fn as_str(self) -> &'static str {
        match self {
            DivisionLevel::Province => "province",
            DivisionLevel::Prefecture => "prefecture",
            DivisionLevel::County => "county",
        }
    }

    fn from_csv(text: &str) -> Option<DivisionLevel> {
        match text {
            "province" => Some(DivisionLevel::Province),
            "prefecture" => Some(DivisionLevel::Prefecture),
            "county" => Some(DivisionLevel::County),
            _ => None,
        }
    }
}

/// One division of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The division's code.
    pub code: RegionCode,
    /// Official Chinese name, e.g. `西湖区`.
    pub name: String,
    /// Province, prefecture or county.
    pub level: DivisionLevel,
    /// The division directly above, at a higher level. `None` for provinces, when the
    /// file gives none, and when the file lists the division as its own parent (the
    /// default table does this for prefecture-level cities without counties,
    /// 不设区的地级市: 东莞 441900, 中山 442000, 儋州 460400).
    pub parent: Option<RegionCode>,
}

/// A loaded division table (行政区划, GB/T 2260).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionTable {
    /// Divisions by code, ordered so that iteration is deterministic.
    divisions: BTreeMap<RegionCode, Division>,
    /// Version id of the data: see [`DivisionTable::content_digest`].
    digest: String,
}

impl DivisionTable {
    /// Loads a table from CSV text with the header `code,name,level,parent_code`.
    ///
    /// Each code must be a valid [`RegionCode`] and appear once, the name must not be
    /// empty, the level must be `province`, `prefecture` or `county`, and a parent, when
    /// given, must be a code of the file at a higher level (a province has none). Rows
    /// may come in any order. A row naming itself as parent is accepted and recorded as
    /// having no parent (see [`Division::parent`]). Errors name the line, column and
    /// value.
    pub fn from_csv(text: &str) -> Result<DivisionTable, ReferenceFileError> {
        let rows = reference_data::read_rows(text, HEADER)?;
        let mut divisions: BTreeMap<RegionCode, (u64, Division)> = BTreeMap::new();
        for row in rows {
            let field = |index: usize| row.fields.get(index).unwrap_or_default();
            let (line, code_text) = (row.line, field(0));
            let code = RegionCode::parse(code_text).map_err(|error| {
                ReferenceFileError::invalid(line, "code", code_text, error.to_string())
            })?;
            let name = field(1);
            if name.is_empty() {
                let reason = "expected a division name".to_owned();
                return Err(ReferenceFileError::invalid(line, "name", name, reason));
            }
            let level = DivisionLevel::from_csv(field(2)).ok_or_else(|| {
                let reason = "expected province, prefecture or county".to_owned();
                ReferenceFileError::invalid(line, "level", field(2), reason)
            })?;
            let parent_text = field(3);
            let parent = match parent_text {
                "" => None,
                text => Some(RegionCode::parse(text).map_err(|error| {
                    ReferenceFileError::invalid(line, "parent_code", text, error.to_string())
                })?),
            };
            if let Some((first_line, _)) = divisions.get(&code) {
                let kind = ReferenceFileErrorKind::Duplicate {
                    first_line: *first_line,
                };
                return Err(ReferenceFileError::at(line, "code", code_text, kind));
            }
            let parent = parent.filter(|parent| *parent != code);
            let division = Division {
                code: code.clone(),
                name: name.to_owned(),
                level,
                parent,
            };
            divisions.insert(code, (line, division));
        }
        for (line, division) in divisions.values() {
            check_parent(*line, division, &divisions)?;
        }
        Ok(DivisionTable {
            divisions: divisions
                .into_iter()
                .map(|(code, (_, division))| (code, division))
                .collect(),
            digest: reference_data::content_digest(text),
        })
    }

    /// The default table embedded in the binary (`data/divisions-gbt2260.csv`).
    ///
    /// Parses on every call: load it once at startup and share it.
    #[allow(clippy::expect_used)]
    pub fn default_table() -> DivisionTable {
        // The embedded file is fixed at compile time and checked by the unit tests, so
        // no runtime input can make this fail.
        DivisionTable::from_csv(DEFAULT_CSV).expect("embedded division table is valid")
    }

    /// Whether `code` is in the table.
    pub fn contains(&self, code: &RegionCode) -> bool {
        self.divisions.contains_key(code)
    }

    /// The whole record for `code`.
    pub fn get(&self, code: &RegionCode) -> Option<&Division> {
        self.divisions.get(code)
    }

    /// The Chinese name of `code`.
    pub fn name(&self, code: &RegionCode) -> Option<&str> {
        self.get(code).map(|division| division.name.as_str())
    }

    /// The division directly above `code`, if the table records one.
    pub fn parent(&self, code: &RegionCode) -> Option<&RegionCode> {
        self.get(code).and_then(|division| division.parent.as_ref())
    }

    /// The level of `code`.
    pub fn level(&self, code: &RegionCode) -> Option<DivisionLevel> {
        self.get(code).map(|division| division.level)
    }

    /// Number of divisions.
    pub fn len(&self) -> usize {
        self.divisions.len()
    }

    /// Whether the table has no divisions (never true for a table loaded from CSV).
    pub fn is_empty(&self) -> bool {
        self.divisions.is_empty()
    }

    /// All divisions in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Division> {
        self.divisions.values()
    }

    /// Accepts `code` only if the table has it.
    pub fn validate(&self, code: &RegionCode) -> Result<(), RegionError> {
        if self.contains(code) {
            Ok(())
        } else {
            Err(RegionError {
                position: None,
                kind: RegionErrorKind::NotInTable {
                    code: code.to_string(),
                },
            })
        }
    }

    /// Hex SHA-256 of the canonical CSV text the table was loaded from (BOM dropped,
    /// `\n` line endings, trailing blank lines dropped): the version id of the data.
    pub fn content_digest(&self) -> String {
        self.digest.clone()
    }
}

/// Checks that the parent of `division` (read on `line`) exists at a higher level.
fn check_parent(
    line: u64,
    division: &Division,
    divisions: &BTreeMap<RegionCode, (u64, Division)>,
) -> Result<(), ReferenceFileError> {
    let Some(parent) = &division.parent else {
        return Ok(());
    };
    let value = parent.as_str();
    let Some((_, found)) = divisions.get(parent) else {
        let kind = ReferenceFileErrorKind::DanglingReference {
            reference: value.to_owned(),
        };
        return Err(ReferenceFileError::at(line, "parent_code", value, kind));
    };
    if found.level >= division.level {
        let reason = format!(
            "the parent of a {} must be at a higher level, but {value} is a {}",
            division.level.as_str(),
            found.level.as_str()
        );
        return Err(ReferenceFileError::invalid(
            line,
            "parent_code",
            value,
            reason,
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "division_tests.rs"]
mod tests;
