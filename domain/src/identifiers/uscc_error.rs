//! Why a text is not a USCC, and the registration departments of position 1.
//!
//! Kept apart from the parser so that the error shape, which the CLI and API render as a
//! `location` plus message, can be read on its own.

use super::region::{location, RegionErrorKind};

/// Why a text is not a valid USCC (统一社会信用代码).
///
/// `position` is the 1-based character position of the problem (after trimming), and
/// `expected` the character that belongs there when there is exactly one, as for a
/// wrong check character. Display reads e.g.
/// `position 18: check character is 'X', expected 'M'`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{kind}{}", location(.position), expected_suffix(.expected))]
pub struct UsccError {
    /// 1-based position of the offending character, if the problem is at one place.
    pub position: Option<usize>,
    /// What is wrong.
    pub kind: UsccErrorKind,
    /// The one character that would be right at `position`, when there is one.
    pub expected: Option<char>,
}

fn expected_suffix(expected: &Option<char>) -> String {
    expected
        .map(|c| format!(", expected {c:?}"))
        .unwrap_or_default()
}

/// The kinds of problem a USCC can have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccErrorKind {
    /// Not the required number of characters.
    #[error("expected {expected} characters, found {found}")]
    Length {
        /// Number of characters found (after trimming).
        found: usize,
        /// Number required: 18 for a code, 17 for a check character's input.
        expected: usize,
    },
    /// A character outside the 31-symbol alphabet (I, O, S, V, Z and non-ASCII).
    #[error(
        "{found:?} is not a USCC character, expected one of 0123456789ABCDEFGHJKLMNPQRTUWXY \
         (no I, O, S, V, Z)"
    )]
    InvalidCharacter {
        /// The character found.
        found: char,
    },
    /// Position 1 is not a registration department code.
    #[error("registration department is {found:?}, expected one of 1-9, A, N, Y")]
    RegistrationDepartment {
        /// The character found.
        found: char,
    },
    /// Positions 3-8 are not a region code; the position points into them.
    #[error("{0}")]
    Region(RegionErrorKind),
    /// Position 18 is not the check character computed from positions 1-17.
    #[error("check character is {found:?}")]
    CheckCharacter {
        /// The character found.
        found: char,
    },
}

/// The registration department (登记管理部门) coded in position 1 of a USCC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegistrationDepartment {
    /// `1` 机构编制: government bodies and public institutions (事业单位).
    OrganisationStaffing,
    /// `2` 外交: foreign affairs (e.g. resident offices of foreign bodies).
    ForeignAffairs,
    /// `3` 司法行政: justice administration (e.g. law firms, notaries).
    JusticeAdministration,
    /// `4` 文化: culture.
    Culture,
    /// `5` 民政: civil affairs (social organisations 社会组织).
    CivilAffairs,
    /// `6` 旅游: tourism.
    Tourism,
    /// `7` 宗教: religious affairs.
    ReligiousAffairs,
    /// `8` 工会: trade unions.
    TradeUnion,
    /// `9` 工商 / 市场监管: market regulation (enterprises, 个体工商户, co-operatives).
    MarketRegulation,
    /// `A` 中央军委改革和编制办公室: the Central Military Commission's staffing office.
    MilitaryStaffing,
    /// `N` 农业农村: agriculture and rural affairs (rural collective economic organisations).
    AgricultureRural,
    /// `Y` 其他: any other registering authority.
    Other,
}

impl RegistrationDepartment {
    /// The department coded by `code`, if any (`1`-`9`, `A`, `N`, `Y`).
    pub fn from_code(code: char) -> Option<RegistrationDepartment> {
        use RegistrationDepartment::*;
        Some(match code {
            '1' => OrganisationStaffing,
            '2' => ForeignAffairs,
            '3' => JusticeAdministration,
            '4' => Culture,
            '5' => CivilAffairs,
            '6' => Tourism,
            '7' => ReligiousAffairs,
            '8' => TradeUnion,
            '9' => MarketRegulation,
            'A' => MilitaryStaffing,
            'N' => AgricultureRural,
            'Y' => Other,
            _ => return None,
        })
    }

    /// The character of position 1 for this department.
    pub fn code(self) -> char {
        use RegistrationDepartment::*;
        match self {
            OrganisationStaffing => '1',
            ForeignAffairs => '2',
            JusticeAdministration => '3',
            Culture => '4',
            CivilAffairs => '5',
            Tourism => '6',
            ReligiousAffairs => '7',
            TradeUnion => '8',
            MarketRegulation => '9',
            MilitaryStaffing => 'A',
            AgricultureRural => 'N',
            Other => 'Y',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_department_code_round_trips() {
        let codes = "123456789ANY";
        for code in codes.chars() {
            let department = RegistrationDepartment::from_code(code);
            assert_eq!(department.map(RegistrationDepartment::code), Some(code));
        }
        for code in "0BCDEFGHJKLMPQRTUWX".chars() {
            assert_eq!(RegistrationDepartment::from_code(code), None, "{code}");
        }
    }

    #[test]
    fn messages_carry_position_found_and_expected() {
        let error = UsccError {
            position: Some(18),
            kind: UsccErrorKind::CheckCharacter { found: 'X' },
            expected: Some('M'),
        };
        assert_eq!(
            error.to_string(),
            "position 18: check character is 'X', expected 'M'"
        );
        let error = UsccError {
            position: None,
            kind: UsccErrorKind::Length {
                found: 17,
                expected: 18,
            },
            expected: None,
        };
        assert_eq!(error.to_string(), "expected 18 characters, found 17");
    }
}
