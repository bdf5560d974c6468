//! Region codes (行政区划代码, GB/T 2260): the six digits that place a market subject
//! in a province, prefecture and county.
//!
//! A region code decides which department and which patrol area a subject falls under,
//! so a malformed one must never reach a draw. [`RegionCode::parse`] checks the shape
//! (six digits, a real province prefix); whether the code exists is a question for the
//! deployment's [`DivisionTable`](super::DivisionTable), which is data.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The two-digit prefixes of China's provincial-level divisions (省级行政区): 11-15,
/// 21-23, 31-37, 41-46, 50-54, 61-65, 71 (Taiwan), 81 (Hong Kong), 82 (Macao).
pub const PROVINCE_PREFIXES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// The national-level code (国家级, `100000`) that central registration authorities
/// write in USCC positions 3-8: e.g. 清华大学 `12100000400000624D`. It is not a
/// GB/T 2260 division, so no division table contains it, but a USCC that carries it is
/// valid and must parse.
pub const NATIONAL_REGION_CODE: &str = "100000";

/// A six-digit administrative division code (行政区划代码, GB/T 2260) with a real
/// province prefix, or the national-level code [`NATIONAL_REGION_CODE`]. Whether the code
/// is in force is checked against a [`DivisionTable`](super::DivisionTable).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

/// Why a text is not an acceptable region code.
///
/// `position` is the 1-based character position of the problem when there is one, so
/// that the CLI and API can render a location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{kind}", location(.position))]
pub struct RegionError {
    /// 1-based position of the offending character, if the problem is at one place.
    pub position: Option<usize>,
    /// What is wrong.
    pub kind: RegionErrorKind,
}

/// The kinds of problem a region code can have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionErrorKind {
    /// The code does not have exactly six characters.
    #[error("region code must be 6 digits, found {found} characters")]
    Length {
        /// Number of characters found.
        found: usize,
    },
    /// A character is not an ASCII digit.
    #[error("region code character is {found:?}, expected a digit 0-9")]
    NotDigit {
        /// The character found.
        found: char,
    },
    /// The first two digits are not a provincial-level division.
    #[error(
        "province prefix is {found:?}, expected one of 11-15, 21-23, 31-37, 41-46, 50-54, \
         61-65, 71, 81, 82 (or the national code 100000)"
    )]
    UnknownProvince {
        /// The two digits found.
        found: String,
    },
    /// The code is well formed but not in the deployment's division table.
    #[error("region code {code} is not in the division table (GB/T 2260)")]
    NotInTable {
        /// The code looked up.
        code: String,
    },
}

/// Renders an optional 1-based position as the `position N: ` prefix of a message.
pub(crate) fn location(position: &Option<usize>) -> String {
    position
        .map(|p| format!("position {p}: "))
        .unwrap_or_default()
}

impl RegionCode {
    /// Parses a region code: surrounding whitespace is trimmed, then exactly six ASCII
    /// digits whose first two are a province prefix (see [`PROVINCE_PREFIXES`]), or
    /// exactly [`NATIONAL_REGION_CODE`].
    pub fn parse(text: &str) -> Result<RegionCode, RegionError> {
        let text = text.trim();
        let count = text.chars().count();
        if count != 6 {
            return Err(RegionError {
                position: None,
                kind: RegionErrorKind::Length { found: count },
            });
        }
        if let Some((index, found)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(RegionError {
                position: Some(index + 1),
                kind: RegionErrorKind::NotDigit { found },
            });
        }
        // Six ASCII digits, so byte slicing is on character boundaries.
        let prefix = &text[..2];
        let is_province = prefix
            .parse::<u8>()
            .is_ok_and(|p| PROVINCE_PREFIXES.contains(&p));
        if !is_province && text != NATIONAL_REGION_CODE {
            return Err(RegionError {
                position: Some(1),
                kind: RegionErrorKind::UnknownProvince {
                    found: prefix.to_owned(),
                },
            });
        }
        Ok(RegionCode(text.to_owned()))
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the national-level code `100000` rather than a division.
    pub fn is_national(&self) -> bool {
        self.0 == NATIONAL_REGION_CODE
    }

    /// The code of the province this division lies in (the first two digits followed by
    /// `0000`), derived from the code alone. The national code is its own province.
    pub fn province(&self) -> RegionCode {
        RegionCode(format!("{}0000", &self.0[..2]))
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(text)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RegionCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> RegionError {
        match RegionCode::parse(text) {
            Ok(code) => panic!("{text:?} was accepted as {code}"),
            Err(error) => error,
        }
    }

    #[test]
    fn accepts_six_digits_with_every_real_province_prefix() -> Result<(), RegionError> {
        for prefix in PROVINCE_PREFIXES {
            let code = RegionCode::parse(&format!("{prefix}0102"))?;
            assert_eq!(code.province().as_str(), format!("{prefix}0000"));
        }
        assert_eq!(RegionCode::parse(" 330106\n")?.as_str(), "330106");
        assert!(!RegionCode::parse("330106")?.is_national());
        Ok(())
    }

    #[test]
    fn accepts_the_national_code_but_no_other_10_prefix() -> Result<(), RegionError> {
        let national = RegionCode::parse("100000")?;
        assert!(national.is_national());
        assert_eq!(national.province(), national);
        for text in ["100100", "100001", "109900"] {
            assert_eq!(parse_err(text).position, Some(1), "{text}");
        }
        Ok(())
    }

    #[test]
    fn rejects_wrong_length_without_a_position() {
        for text in ["", "33010", "3301060", "三三〇一〇六七"] {
            let error = parse_err(text);
            assert_eq!(error.position, None);
            assert!(matches!(error.kind, RegionErrorKind::Length { .. }));
        }
    }

    #[test]
    fn rejects_non_digits_at_their_position() {
        let error = parse_err("3301A6");
        assert_eq!(error.position, Some(5));
        assert_eq!(
            error.to_string(),
            "position 5: region code character is 'A', expected a digit 0-9"
        );
        assert_eq!(parse_err("33０106").position, Some(3));
    }

    #[test]
    fn rejects_unreal_province_prefixes() {
        for prefix in [
            "00", "10", "16", "20", "24", "30", "38", "47", "55", "66", "70", "72",
        ] {
            let error = parse_err(&format!("{prefix}0100"));
            assert_eq!(error.position, Some(1));
            assert_eq!(
                error.kind,
                RegionErrorKind::UnknownProvince {
                    found: prefix.to_owned()
                }
            );
        }
    }

    #[test]
    fn serde_round_trips_and_validates() -> Result<(), serde_json::Error> {
        let code: RegionCode = serde_json::from_str("\"350100\"")?;
        assert_eq!(serde_json::to_string(&code)?, "\"350100\"");
        assert!(serde_json::from_str::<RegionCode>("\"990100\"").is_err());
        Ok(())
    }
}
