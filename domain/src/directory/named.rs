//! Closed lists with a Chinese and an English name (subject kinds, statuses, methods…).
//!
//! Directory files arrive in Chinese from registries and in English from other systems,
//! so every such enum parses either spelling (and a few usual aliases), while events
//! store the one stable snake_case English name. The `named_enum!` macro writes the enum,
//! its serde names, both spellings and the parser from one table, so the spellings a
//! parser accepts and the names the docs list can never drift apart.

/// A name that is none of the accepted spellings of a closed list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{found}', expected one of {accepted}")]
pub struct UnknownName {
    /// What was being parsed, e.g. `subject kind`.
    pub what: &'static str,
    /// The text found.
    pub found: String,
    /// The accepted names, `中文/english` pairs separated by commas.
    pub accepted: String,
}

/// The comparison form of a name: BOM, white space (including the full-width space),
/// `_`, `-` and a leading `*` (the required-column mark of many templates) dropped,
/// ASCII lower-cased. `Moved out`, `moved_out` and `MOVED-OUT` compare equal.
pub fn normalise_name(text: &str) -> String {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '\u{feff}'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    compact.trim_start_matches('*').to_owned()
}

/// Writes a closed-list enum: variants with an English name (stored, snake_case), a
/// Chinese name and any aliases, plus `ALL`, `as_str`, `chinese`, `parse`, `accepted`,
/// `Display` (English) and `FromStr`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = ($en:literal, $zh:literal $(, $alias:literal)*)
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $en, alias = $zh $(, alias = $alias)*)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable English name stored in events and used by the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $en,)+
                }
            }

            /// The Chinese name used in directory files and reports.
            pub fn chinese(self) -> &'static str {
                match self {
                    $($name::$variant => $zh,)+
                }
            }

            /// Every spelling `parse` accepts for this value: English, Chinese, aliases.
            pub fn spellings(self) -> &'static [&'static str] {
                match self {
                    $($name::$variant => &[$en, $zh $(, $alias)*],)+
                }
            }

            /// The accepted names as `中文/english` pairs, for error messages and docs.
            pub fn accepted() -> String {
                $name::ALL
                    .iter()
                    .map(|v| format!("{}/{}", v.chinese(), v.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            /// Parses any spelling of a value, ignoring case, white space, `_` and `-`.
            pub fn parse(text: &str) -> Result<$name, $crate::directory::UnknownName> {
                let wanted = $crate::directory::normalise_name(text);
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| {
                        v.spellings()
                            .iter()
                            .any(|s| $crate::directory::normalise_name(s) == wanted)
                    })
                    .ok_or_else(|| $crate::directory::UnknownName {
                        what: $what,
                        found: text.trim().to_owned(),
                        accepted: $name::accepted(),
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::directory::UnknownName;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::parse(text)
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_space_marks_or_bom() {
        assert_eq!(normalise_name("\u{feff}Moved Out"), "movedout");
        assert_eq!(normalise_name(" *moved_out "), "movedout");
        assert_eq!(
            normalise_name("统一社会信用代码\u{3000}"),
            "统一社会信用代码"
        );
    }
}
