//! Codes issued by departments: inspector ids (执法人员编号), inspection item codes
//! (抽查事项编码) and department codes (部门代码).
//!
//! These codes key aggregates and join records across files (an item names its
//! department, an inspector belongs to one, the frequency cap counts per department), so
//! they are short, case-preserving ASCII: a code that differs only by a full-width letter
//! or a stray space would silently split one department or item into two.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not a valid code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Nothing but white space.
    #[error("{what} must not be empty")]
    Empty {
        /// Which code, e.g. `inspector id`.
        what: &'static str,
    },
    /// More than 32 characters.
    #[error("{what} has {found} characters, at most {max} allowed")]
    TooLong {
        /// Which code.
        what: &'static str,
        /// The limit.
        max: usize,
        /// The number of characters found.
        found: usize,
    },
    /// A character outside the code's alphabet.
    #[error("{what}: position {position}: {found:?} is not allowed, expected {allowed}")]
    BadCharacter {
        /// Which code.
        what: &'static str,
        /// 1-based character position.
        position: usize,
        /// The character found.
        found: char,
        /// The alphabet, in words.
        allowed: &'static str,
    },
}

/// Parses a code after trimming: 1 to 32 characters, each accepted by `ok`.
fn parse_code(
    text: &str,
    what: &'static str,
    ok: fn(char) -> bool,
    allowed: &'static str,
) -> Result<String, CodeError> {
    const MAX: usize = 32;
    let text = text.trim();
    if text.is_empty() {
        return Err(CodeError::Empty { what });
    }
    if let Some((index, found)) = text.chars().enumerate().find(|(_, c)| !ok(*c)) {
        return Err(CodeError::BadCharacter {
            what,
            position: index + 1,
            found,
            allowed,
        });
    }
    let found = text.chars().count();
    if found > MAX {
        return Err(CodeError::TooLong {
            what,
            max: MAX,
            found,
        });
    }
    Ok(text.to_owned())
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

fn code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

macro_rules! code_type {
    ($(#[$meta:meta])* $name:ident, $what:literal, $ok:ident, $allowed:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses the code: trims, then requires 1 to 32 characters of the alphabet.
            pub fn parse(text: &str) -> Result<$name, CodeError> {
                parse_code(text, $what, $ok, $allowed).map($name)
            }

            /// The code as issued (case preserved).
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

code_type!(
    /// A department-issued inspector id (执法人员编号): 1 to 32 characters of
    /// `A-Z a-z 0-9 _ -`, case preserved (`ZJ-0012` and `zj-0012` are two inspectors).
    InspectorId,
    "inspector id",
    id_char,
    "A-Z, a-z, 0-9, '_' or '-'"
);

code_type!(
    /// An inspection item code (抽查事项编码): 1 to 32 characters of
    /// `A-Z a-z 0-9 _ - . /`, case preserved.
    ItemCode,
    "item code",
    code_char,
    "A-Z, a-z, 0-9, '_', '-', '.' or '/'"
);

code_type!(
    /// A department code (部门代码) naming the department an inspector belongs to or an
    /// item is carried out by (抽查主体): 1 to 32 characters of `A-Z a-z 0-9 _ - . /`.
    DepartmentCode,
    "department code",
    code_char,
    "A-Z, a-z, 0-9, '_', '-', '.' or '/'"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_trim_keep_case_and_name_the_bad_character() {
        assert_eq!(
            InspectorId::parse(" ZJ-0012 ").map(|i| i.to_string()),
            Ok("ZJ-0012".into())
        );
        assert_ne!(
            InspectorId::parse("zj-0012").ok(),
            InspectorId::parse("ZJ-0012").ok()
        );
        assert!(matches!(
            InspectorId::parse("ZJ.12"),
            Err(CodeError::BadCharacter {
                position: 3,
                found: '.',
                ..
            })
        ));
        assert!(ItemCode::parse("SCJG/2026.01").is_ok());
        assert!(matches!(
            DepartmentCode::parse("市监局"),
            Err(CodeError::BadCharacter { position: 1, .. })
        ));
        assert!(matches!(ItemCode::parse(" "), Err(CodeError::Empty { .. })));
        assert!(matches!(
            ItemCode::parse(&"A".repeat(33)),
            Err(CodeError::TooLong { found: 33, .. })
        ));
    }
}
