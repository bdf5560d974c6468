//! The unified social credit code (统一社会信用代码, USCC, GB 32100-2015): the key of
//! every market subject in the subject directory, credit records and lists.
//!
//! Joint punishment follows the code (一处失信，处处受限), so a mistyped code either
//! misses a blacklisted subject or restricts the wrong one. [`Uscc::parse`] therefore
//! enforces the mandatory check character (position 18) and says where a code is wrong.
//! It deliberately does *not* enforce the organisation code check of positions 9-17
//! (GB 11714): registries issue codes that fail it and their word outweighs ours, so
//! [`Uscc::organisation_code_warning`] only warns.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::region::RegionCode;
use super::uscc_error::{RegistrationDepartment, UsccError, UsccErrorKind};

/// The 31 USCC symbols in value order (0..30): digits and A-Z without I, O, S, V, Z.
pub const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1-17 for the check character (3^i mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of positions 9-16 for the GB 11714 organisation code check character.
const ORGANISATION_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid unified social credit code (统一社会信用代码): 18 upper-case characters
/// whose 18th is the GB 32100 check character of the first 17.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc {
    /// The 18 characters; compared first, so codes order by their text.
    text: String,
    /// Position 1, decoded once at parse time so the accessor cannot fail.
    department: RegistrationDepartment,
    /// Positions 3-8, parsed once at parse time so the accessor cannot fail.
    region: RegionCode,
}

impl Uscc {
    /// Parses a USCC: trims surrounding whitespace, upper-cases ASCII letters, then
    /// requires 18 characters of [`USCC_ALPHABET`], a registration department
    /// (`1`-`9`, `A`, `N`, `Y`) in position 1, a region code with a real province prefix
    /// in positions 3-8 (or the national code `100000` of central registrations, see
    /// [`NATIONAL_REGION_CODE`](super::NATIONAL_REGION_CODE)), and the right check
    /// character in position 18.
    ///
    /// Checks run in that order, so the error is the first that applies: length, then
    /// the alphabet over positions 1-17, department, region, check character.
    pub fn parse(text: &str) -> Result<Uscc, UsccError> {
        let chars = normalise(text);
        let values = values(&chars, 18)?;
        let Some(department) = RegistrationDepartment::from_code(chars[0]) else {
            return Err(UsccError {
                position: Some(1),
                kind: UsccErrorKind::RegistrationDepartment { found: chars[0] },
                expected: None,
            });
        };
        let region_text: String = chars[2..8].iter().collect();
        let region = RegionCode::parse(&region_text).map_err(|error| UsccError {
            position: error.position.map(|p| p + 2),
            kind: UsccErrorKind::Region(error.kind),
            expected: None,
        })?;
        let expected = check_character_of(&values);
        if chars[17] != expected {
            return Err(UsccError {
                position: Some(18),
                kind: UsccErrorKind::CheckCharacter { found: chars[17] },
                expected: Some(expected),
            });
        }
        Ok(Uscc {
            text: chars.iter().collect(),
            department,
            region,
        })
    }

    /// The check character (position 18) for the first 17 characters of a code, after
    /// the same trimming and upper-casing as [`Uscc::parse`]. Only the length and the
    /// alphabet are checked, so test data generators can build codes from any prefix.
    pub fn check_character(first17: &str) -> Result<char, UsccError> {
        let chars = normalise(first17);
        Ok(check_character_of(&values(&chars, 17)?))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The registration department coded in position 1 (登记管理部门).
    pub fn registration_department(&self) -> RegistrationDepartment {
        self.department
    }

    /// The region code of positions 3-8: where the subject was registered. It has a
    /// real province prefix; whether it is in a division table is for the caller.
    pub fn region_code(&self) -> &RegionCode {
        &self.region
    }

    /// A warning when positions 9-17 do not carry a valid GB 11714 organisation code
    /// check character (position 17 over positions 9-16). Never a reason to reject:
    /// registries have issued such codes and individual businesses (个体工商户) often
    /// have no organisation code at all.
    pub fn organisation_code_warning(&self) -> Option<String> {
        let chars: Vec<char> = self.text.chars().collect();
        let sum: u32 = chars[8..16]
            .iter()
            .zip(ORGANISATION_WEIGHTS)
            .map(|(c, weight)| organisation_value(*c) * weight)
            .sum();
        let expected = match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            digit => char::from_digit(digit, 10).unwrap_or('0'),
        };
        let found = chars[16];
        (found != expected).then(|| {
            format!(
                "position 17: organisation code (GB 11714) check character is {found:?}, \
                 expected {expected:?}; accepted, as the registry's code prevails"
            )
        })
    }
}

/// Trimmed, ASCII upper-cased characters of `text`.
fn normalise(text: &str) -> Vec<char> {
    text.trim()
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The alphabet values of the first 17 characters, after checking there are `length`
/// characters and the first 17 are all in the alphabet.
fn values(chars: &[char], length: usize) -> Result<[u32; 17], UsccError> {
    if chars.len() != length {
        return Err(UsccError {
            position: None,
            kind: UsccErrorKind::Length {
                found: chars.len(),
                expected: length,
            },
            expected: None,
        });
    }
    let mut values = [0; 17];
    for (index, (slot, c)) in values.iter_mut().zip(chars).enumerate() {
        *slot = value_of(*c).ok_or(UsccError {
            position: Some(index + 1),
            kind: UsccErrorKind::InvalidCharacter { found: *c },
            expected: None,
        })?;
    }
    Ok(values)
}

/// The value 0..30 of a USCC character.
fn value_of(c: char) -> Option<u32> {
    USCC_ALPHABET
        .chars()
        .position(|symbol| symbol == c)
        .and_then(|index| u32::try_from(index).ok())
}

/// GB 32100: c = 31 - (Σ value × weight mod 31), with 31 written as `0`.
fn check_character_of(values: &[u32; 17]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    USCC_ALPHABET.chars().nth(check as usize).unwrap_or('0')
}

/// GB 11714 value of a character: digits 0-9, letters A=10 .. Z=35.
fn organisation_value(c: char) -> u32 {
    c.to_digit(36).unwrap_or(0)
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Uscc::parse(text)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Uscc::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[path = "uscc_tests.rs"]
mod tests;
