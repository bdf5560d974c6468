//! Fuzz target `uscc`: [`Uscc::parse`] and [`Uscc::check_character`] on arbitrary text.
//!
//! Every subject, list entry and draw is keyed by a USCC that arrives as text from files,
//! URLs and JSON bodies, so the parser must refuse anything without panicking. What it
//! accepts must round-trip: its display form parses to the same code, is the trimmed and
//! upper-cased input, carries its own check character, and survives JSON.

#![no_main]

use jianxin_domain::identifiers::Uscc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Uscc::check_character(text);
    let Ok(uscc) = Uscc::parse(text) else {
        return;
    };
    let shown = uscc.to_string();
    assert_eq!(
        shown,
        text.trim().to_ascii_uppercase(),
        "display of {text:?}"
    );
    assert_eq!(shown.len(), 18, "{shown:?} is not 18 ASCII characters");
    match Uscc::parse(&shown) {
        Ok(again) => assert_eq!(again, uscc, "{shown:?} parses to another code"),
        Err(e) => panic!("{shown:?}, accepted from {text:?}, is refused: {e}"),
    }
    match Uscc::check_character(&shown[..17]) {
        Ok(check) => assert!(shown.ends_with(check), "{shown:?}: check character {check}"),
        Err(e) => panic!("{shown:?}: no check character for the first 17: {e}"),
    }
    match serde_json::to_string(&uscc).map(|json| serde_json::from_str::<Uscc>(&json)) {
        Ok(Ok(back)) => assert_eq!(back, uscc, "JSON round trip of {shown:?}"),
        other => panic!("JSON round trip of {shown:?}: {other:?}"),
    }
    let _ = uscc.organisation_code_warning();
    let _ = uscc.region_code();
    let _ = uscc.registration_department();
});
