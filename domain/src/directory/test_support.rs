//! Builders shared by the directory tests: dates, codes and command metadata.

use chrono::{NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::event_log::{Actor, CommandMeta, Issued, Role};
use crate::identifiers::{RegionCode, Uscc};

use super::Label;

/// A date that must exist.
pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The `n`-th test USCC: `91330106` + nine digits of `n` + its check character.
pub(crate) fn uscc(n: u32) -> Uscc {
    let first17 = format!("91330106{n:09}");
    let check = Uscc::check_character(&first17).unwrap();
    Uscc::parse(&format!("{first17}{check}")).unwrap()
}

/// A region code that must parse.
pub(crate) fn region(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

/// A label that must parse.
pub(crate) fn label(text: &str) -> Label {
    Label::parse(text).unwrap()
}

/// A command issued at 09:00 UTC on `date` and effective that day.
pub(crate) fn issued_on<C>(date: NaiveDate, command: C) -> Issued<C> {
    let now = Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).unwrap());
    Issued {
        meta: CommandMeta::new(Uuid::from_u128(7), Actor::new("ops", Role::Admin), now)
            .effective(date),
        command,
    }
}
