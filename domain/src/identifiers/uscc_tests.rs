//! Tests of USCC parsing: real codes, the cases popular validators get wrong, every
//! kind of rejection with its position, and a property over generated codes.

use proptest::prelude::*;

use super::*;
use crate::identifiers::{RegionErrorKind, PROVINCE_PREFIXES};

fn parse_ok(text: &str) -> Uscc {
    match Uscc::parse(text) {
        Ok(code) => code,
        Err(error) => panic!("{text:?} rejected: {error}"),
    }
}

fn parse_err(text: &str) -> UsccError {
    match Uscc::parse(text) {
        Ok(code) => panic!("{text:?} accepted as {code}"),
        Err(error) => error,
    }
}

/// Published codes of real subjects (each verified by computing its check character).
const REAL_CODES: [&str; 4] = [
    "91350100M000100Y43", // the standard's widely cited example
    "914403001922038216", // 华为技术有限公司
    "91440300708461136T", // 深圳市腾讯计算机系统有限公司
    "91110108551385082Q", // 小米科技有限责任公司
];

#[test]
fn real_codes_parse_with_their_parts() {
    for text in REAL_CODES {
        let code = parse_ok(text);
        assert_eq!(code.as_str(), text);
        assert_eq!(code.to_string(), text);
        assert_eq!(
            code.registration_department(),
            RegistrationDepartment::MarketRegulation
        );
        assert_eq!(code.organisation_code_warning(), None, "{text}");
    }
    assert_eq!(parse_ok(REAL_CODES[0]).region_code().as_str(), "350100");
    assert_eq!(Uscc::check_character("91350100M000100Y4"), Ok('3'));
}

#[test]
fn central_registrations_with_the_national_region_code_are_valid() {
    // Central authorities write 100000 in positions 3-8; these codes are published
    // (university invoicing details, 电子证照 certificate type codes).
    for (text, department) in [
        (
            "12100000400000624D",
            RegistrationDepartment::OrganisationStaffing,
        ), // 清华大学
        (
            "12100000400009127B",
            RegistrationDepartment::OrganisationStaffing,
        ), // 北京理工大学
        (
            "11100000000013127D",
            RegistrationDepartment::OrganisationStaffing,
        ),
        ("51100000500000007W", RegistrationDepartment::CivilAffairs),
    ] {
        let code = parse_ok(text);
        assert!(code.region_code().is_national(), "{text}");
        assert_eq!(code.registration_department(), department);
    }
    // Other 10xxxx codes are still not regions.
    assert_eq!(parse_err("12100100400000624D").position, Some(3));
}

#[test]
fn a_check_character_of_zero_is_valid() {
    // Σ value × weight ≡ 0 (mod 31) gives 31, written '0'.
    assert_eq!(Uscc::check_character("91330106320000018"), Ok('0'));
    let code = parse_ok("913301063200000180");
    assert_eq!(code.region_code().as_str(), "330106");
}

#[test]
fn departments_a_n_and_y_are_valid() {
    let cases = [
        (
            "A1110000MA00000076",
            RegistrationDepartment::MilitaryStaffing,
        ),
        (
            "N2330106MF0000005C",
            RegistrationDepartment::AgricultureRural,
        ),
        (
            "N1330100MF2000009H",
            RegistrationDepartment::AgricultureRural,
        ),
        ("Y1440300MA5000006D", RegistrationDepartment::Other),
    ];
    for (text, department) in cases {
        assert_eq!(
            parse_ok(text).registration_department(),
            department,
            "{text}"
        );
    }
}

#[test]
fn every_wrong_check_character_is_rejected_with_the_expected_one() {
    for text in REAL_CODES.iter().chain(&["913301063200000180"]) {
        let (first17, right) = text.split_at(17);
        let right = right.chars().next().unwrap_or_default();
        for wrong in USCC_ALPHABET.chars().chain("IOSVZ*".chars()) {
            if wrong == right {
                continue;
            }
            let error = parse_err(&format!("{first17}{wrong}"));
            assert_eq!(error.position, Some(18));
            assert_eq!(error.kind, UsccErrorKind::CheckCharacter { found: wrong });
            assert_eq!(error.expected, Some(right));
        }
    }
    assert_eq!(
        parse_err("91350100M000100Y4X").to_string(),
        "position 18: check character is 'X', expected '3'"
    );
}

#[test]
fn wrong_lengths_are_rejected() {
    for text in ["", "9135010", "91350100M000100Y4", "91350100M000100Y433"] {
        let error = parse_err(text);
        assert_eq!(error.position, None);
        let found = text.chars().count();
        assert_eq!(
            error.kind,
            UsccErrorKind::Length {
                found,
                expected: 18
            }
        );
    }
    let error = Uscc::check_character("91350100M000100Y43");
    assert!(matches!(
        error,
        Err(UsccError {
            kind: UsccErrorKind::Length { expected: 17, .. },
            ..
        })
    ));
}

#[test]
fn forbidden_letters_are_rejected_at_their_position() {
    for letter in ['I', 'O', 'Z', 'S', 'V'] {
        for position in [2, 9, 12, 17] {
            let mut chars: Vec<char> = REAL_CODES[0].chars().collect();
            chars[position - 1] = letter;
            let error = parse_err(&chars.iter().collect::<String>());
            assert_eq!(error.position, Some(position), "{letter} at {position}");
            assert_eq!(
                error.kind,
                UsccErrorKind::InvalidCharacter { found: letter }
            );
        }
    }
    let error = parse_err("91350100M00０100Y43");
    assert_eq!(error.position, Some(12));
    assert!(error
        .to_string()
        .starts_with("position 12: '０' is not a USCC character"));
}

#[test]
fn registration_department_must_be_known() {
    for first in ['0', 'B', 'M', 'X'] {
        let text = format!("{first}{}", &REAL_CODES[0][1..]);
        let error = parse_err(&text);
        assert_eq!(error.position, Some(1));
        assert_eq!(
            error.kind,
            UsccErrorKind::RegistrationDepartment { found: first }
        );
    }
}

#[test]
fn region_must_be_digits_with_a_real_province_prefix() {
    let error = parse_err("91990100M000100Y43");
    assert_eq!(error.position, Some(3));
    assert_eq!(
        error.kind,
        UsccErrorKind::Region(RegionErrorKind::UnknownProvince {
            found: "99".to_owned()
        })
    );
    assert!(error
        .to_string()
        .starts_with("position 3: province prefix is \"99\""));
    let error = parse_err("913501A0M000100Y43");
    assert_eq!(error.position, Some(7));
    assert_eq!(
        error.kind,
        UsccErrorKind::Region(RegionErrorKind::NotDigit { found: 'A' })
    );
}

#[test]
fn input_is_trimmed_and_upper_cased() {
    let code = parse_ok("  91350100m000100y43\t\n");
    assert_eq!(code.as_str(), "91350100M000100Y43");
    assert_eq!(
        parse_ok("\u{3000}91440300708461136t\u{3000}").as_str(),
        REAL_CODES[2]
    );
    // Lower-case forbidden letters are still forbidden.
    assert_eq!(parse_err("91350100m000100i43").position, Some(16));
}

#[test]
fn organisation_code_mismatch_only_warns() -> Result<(), UsccError> {
    // Positions 9-17 `MA27U00A0` do not satisfy GB 11714, yet the code is valid.
    let first17 = "91330106MA27U00A0";
    let text = format!("{first17}{}", Uscc::check_character(first17)?);
    let code = Uscc::parse(&text)?;
    let warning = code.organisation_code_warning().unwrap_or_default();
    assert!(warning.starts_with("position 17: organisation code (GB 11714) check"));
    assert!(warning.contains("expected '2'"), "{warning}");
    Ok(())
}

#[test]
fn serde_uses_the_string_and_validates() -> Result<(), serde_json::Error> {
    let code: Uscc = serde_json::from_str("\"91350100M000100Y43\"")?;
    assert_eq!(serde_json::to_string(&code)?, "\"91350100M000100Y43\"");
    let error = serde_json::from_str::<Uscc>("\"91350100M000100Y4X\"");
    let message = error.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("position 18: check character is 'X', expected '3'"));
    Ok(())
}

/// A valid first 17 characters: a department, any kind, a real region, any subject code.
fn first17() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = USCC_ALPHABET.chars().collect();
    let symbol = proptest::sample::select(alphabet);
    (
        proptest::sample::select("123456789ANY".chars().collect::<Vec<_>>()),
        symbol.clone(),
        proptest::sample::select(PROVINCE_PREFIXES.to_vec()),
        0u32..10_000,
        proptest::collection::vec(symbol, 9),
    )
        .prop_map(|(department, kind, province, rest, subject)| {
            let subject: String = subject.into_iter().collect();
            format!("{department}{kind}{province}{rest:04}{subject}")
        })
}

proptest! {
    #[test]
    fn computed_check_parses_and_any_other_last_character_fails(
        prefix in first17(),
        other in proptest::char::any(),
    ) {
        let check = Uscc::check_character(&prefix);
        prop_assert!(check.is_ok());
        let check = check.unwrap_or_default();
        let parsed = Uscc::parse(&format!("{prefix}{check}"));
        prop_assert!(parsed.is_ok(), "{:?}", parsed);
        if other.to_ascii_uppercase() != check && !other.is_whitespace() {
            let error = Uscc::parse(&format!("{prefix}{other}"));
            prop_assert_eq!(
                error.err().map(|e| (e.position, e.expected)),
                Some((Some(18), Some(check)))
            );
        }
    }
}
