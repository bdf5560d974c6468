//! Free text in directory records (names, legal bases, reasons) and short labels
//! (supervision tags 监管标签, qualifications 资格).
//!
//! Names and labels are matched, grouped and published, so text that looks blank, hides
//! control characters or differs only by surrounding spaces would make two subjects look
//! like one (or one like two). Records therefore carry only trimmed, bounded text without
//! control characters; importers trim, and aggregates refuse anything else.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text value is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but white space.
    #[error("must not be empty")]
    Empty,
    /// More characters than allowed.
    #[error("has {found} characters, at most {max} allowed")]
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The number of characters found.
        found: usize,
    },
    /// A control character (line break, tab, NUL…) somewhere in the text.
    #[error("contains a control character at position {position}")]
    ControlCharacter {
        /// 1-based character position.
        position: usize,
    },
    /// Leading or trailing white space (trim before recording).
    #[error("has leading or trailing white space")]
    SurroundingWhitespace,
    /// An invisible format character (zero-width space or joiner, a bidirectional
    /// override, a byte-order mark, a soft hyphen…) somewhere in the text.
    #[error("contains the invisible format character {code} at position {position}")]
    FormatCharacter {
        /// 1-based character position.
        position: usize,
        /// The character as `U+XXXX`.
        code: String,
    },
}

/// The first invisible format character of `text` (Unicode category Cf, which includes
/// the zero-width characters and the bidirectional overrides that can make a name read
/// as another, or reverse a reason on screen), with its 1-based position.
pub fn format_character(text: &str) -> Option<(usize, char)> {
    text.chars()
        .enumerate()
        .find(|(_, c)| is_format(*c))
        .map(|(i, c)| (i + 1, c))
}

/// The refusal of [`format_character`] as a sentence: what, where, as `U+XXXX`.
pub fn format_character_error(text: &str) -> Option<TextError> {
    format_character(text).map(|(position, c)| TextError::FormatCharacter {
        position,
        code: format!("U+{:04X}", u32::from(c)),
    })
}

/// Unicode general category Cf (format), as of Unicode 15.
fn is_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Checks that `text` is non-empty, trimmed, at most `max` characters long and free of
/// control characters.
pub fn check_text(text: &str, max: usize) -> Result<(), TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    if text.trim() != text {
        return Err(TextError::SurroundingWhitespace);
    }
    if let Some(index) = text.chars().position(char::is_control) {
        return Err(TextError::ControlCharacter {
            position: index + 1,
        });
    }
    if let Some(e) = format_character_error(text) {
        return Err(e);
    }
    let found = text.chars().count();
    if found > max {
        return Err(TextError::TooLong { max, found });
    }
    Ok(())
}

/// A short label: a supervision tag of a subject (监管标签) or a qualification of an
/// inspector or required by an item (资格). 1 to 32 characters after trimming, no
/// control characters. Labels order by their text, so sets of them are sorted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(String);

/// A supervision tag (监管标签) of a subject.
pub type Tag = Label;

/// A qualification (资格) an inspector holds or an item requires.
pub type Qualification = Label;

impl Label {
    /// The most characters a label may have.
    pub const MAX_CHARS: usize = 32;

    /// Parses a label: surrounding white space is trimmed, then [`check_text`] applies
    /// with [`Label::MAX_CHARS`].
    pub fn parse(text: &str) -> Result<Label, TextError> {
        let text = text.trim();
        check_text(text, Label::MAX_CHARS)?;
        Ok(Label(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Label::parse(&text).map_err(|e| serde::de::Error::custom(format!("label: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_must_be_trimmed_bounded_and_printable() {
        assert_eq!(check_text("浙江某某有限公司", 200), Ok(()));
        assert_eq!(check_text("  ", 200), Err(TextError::Empty));
        assert_eq!(check_text(" a", 200), Err(TextError::SurroundingWhitespace));
        assert_eq!(
            check_text("a\u{0}b", 200),
            Err(TextError::ControlCharacter { position: 2 })
        );
        assert_eq!(
            check_text("abc", 2),
            Err(TextError::TooLong { max: 2, found: 3 })
        );
        // invisible format characters: a name that reads as another, a reversed reason
        for (text, position, code) in [
            ("浙江\u{200B}某某", 3, "U+200B"),
            ("某某\u{202E}公司", 3, "U+202E"),
            ("\u{FEFF}公司", 1, "U+FEFF"),
            ("a\u{2066}b", 2, "U+2066"),
        ] {
            assert_eq!(
                check_text(text, 200),
                Err(TextError::FormatCharacter {
                    position,
                    code: code.into()
                }),
                "{text:?}"
            );
        }
        assert_eq!(format_character("浙江某某有限公司"), None);
    }

    #[test]
    fn labels_trim_and_count_characters_not_bytes() {
        assert_eq!(
            Label::parse(" 食品生产 ").map(|l| l.to_string()),
            Ok("食品生产".into())
        );
        assert!(Label::parse(&"特".repeat(32)).is_ok());
        assert!(Label::parse(&"特".repeat(33)).is_err());
        assert!(serde_json::from_str::<Label>("\"\"").is_err());
    }
}
