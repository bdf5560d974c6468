//! Aggregate ids of directory entries, derived from their natural keys, and the date an
//! event takes effect.
//!
//! Directory files carry USCCs, inspector ids and item codes, never our UUIDs. Deriving
//! the aggregate id from the key means a re-import finds the same aggregate without a
//! lookup table, and two importers racing on the same row collide on the same stream
//! (the store's `(stream, sequence)` uniqueness turns that into a conflict, not a twin).

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::event_log::Recorded;
use crate::identifiers::Uscc;

use super::{InspectorId, ItemCode};

/// Hashed before a USCC to form a subject's aggregate id.
pub const SUBJECT_ID_PREFIX: &str = "jianxin/subject/";
/// Hashed before an inspector id to form an inspector's aggregate id.
pub const INSPECTOR_ID_PREFIX: &str = "jianxin/inspector/";
/// Hashed before an item code to form an inspection item's aggregate id.
pub const ITEM_ID_PREFIX: &str = "jianxin/item/";

/// The fixed aggregate id of the implementation rules (抽查工作细则): one versioned
/// history per deployment.
pub const RULES_ID: Uuid = Uuid::from_u128(0x6a78_0000_0000_4000_8000_0000_0000_0101);

/// A name-based UUID: the first 16 bytes of SHA-256(`prefix` ‖ `key`) (UTF-8), with the
/// version nibble set to 8 (RFC 9562 "custom", formerly RFC 4122 layout) and the variant
/// bits set to `10`. Deterministic: the same key always gives the same id.
pub fn derived_id(prefix: &str, key: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(prefix.as_bytes())
        .chain_update(key.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// The aggregate id of the subject (检查对象) with this USCC:
/// `derived_id("jianxin/subject/", uscc)`.
pub fn subject_id(uscc: &Uscc) -> Uuid {
    derived_id(SUBJECT_ID_PREFIX, uscc.as_str())
}

/// The aggregate id of the inspector (执法检查人员) with this department-issued id:
/// `derived_id("jianxin/inspector/", id)`.
pub fn inspector_aggregate_id(id: &InspectorId) -> Uuid {
    derived_id(INSPECTOR_ID_PREFIX, id.as_str())
}

/// The aggregate id of the inspection item (随机抽查事项) with this code:
/// `derived_id("jianxin/item/", code)`.
pub fn item_aggregate_id(code: &ItemCode) -> Uuid {
    derived_id(ITEM_ID_PREFIX, code.as_str())
}

/// The date a recorded event takes effect: its `effective_at` when the command gave one,
/// otherwise the calendar date of `recorded_at` in China Standard Time (UTC+8), the
/// date the officer who recorded it saw on the wall.
pub fn effective_date<E>(recorded: &Recorded<E>) -> NaiveDate {
    recorded
        .effective_at
        .unwrap_or_else(|| crate::calendar::china_date(recorded.recorded_at))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::event_log::{Actor, CommandMeta, Role};

    #[test]
    fn derived_ids_are_stable_version_8_and_depend_on_the_prefix() {
        let uscc = Uscc::parse("91350100M000100Y43").unwrap();
        let id = subject_id(&uscc);
        assert_eq!(id, subject_id(&uscc));
        assert_eq!(id.get_version_num(), 8);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        // Pinned: changing the derivation would orphan every stored subject.
        assert_eq!(id.to_string(), "be5a21b2-1afb-8c31-97bf-cb1a6d914e68");
        let as_item = item_aggregate_id(&ItemCode::parse(uscc.as_str()).unwrap());
        assert_ne!(id, as_item);
        let inspector = inspector_aggregate_id(&InspectorId::parse("ZJ-0012").unwrap());
        assert_eq!(inspector.get_version_num(), 8);
    }

    #[test]
    fn the_effective_date_falls_back_to_the_beijing_date_of_recording() {
        let late_evening_utc = Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap();
        let meta = CommandMeta::new(Uuid::nil(), Actor::new("a", Role::Admin), late_evening_utc);
        let recorded = meta.stamp(vec![()]);
        assert_eq!(
            effective_date(&recorded[0]),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        let dated = meta
            .effective(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
            .stamp(vec![()]);
        assert_eq!(
            effective_date(&dated[0]),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
    }
}
