//! One entry of the integrity ledger (完整性账本): the canonical bytes of a stored event
//! and the hash chain over them. `docs/LEDGER.md` is the specification; this is its code.
//!
//! The canonical bytes are the canonical JSON (see [`canonical_json`]) of an object with
//! exactly the keys `aggregate_id`, `aggregate_sequence`, `aggregate_type`, `event_id`,
//! `global_sequence`, `occurred_on`, `payload`, `store_version`. The entry hash is
//! `SHA-256(ENTRY_DOMAIN || previous entry hash || canonical bytes)`, the first entry's
//! previous hash being 32 zero bytes. The Merkle leaf of the entry is the canonical bytes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::canonical::{canonical_json, write_canonical, write_canonical_str, CanonicalError};

/// Domain-separation prefix of every entry hash.
pub const ENTRY_DOMAIN: &[u8] = b"jianxin-ledger-entry-v1\x00";

/// The previous hash of the first entry.
pub const GENESIS_HASH: [u8; 32] = [0u8; 32];

/// The envelope of one stored event, in the form that is hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// Position in the one total order over all aggregates, from 1, without gaps.
    pub global_sequence: u64,
    /// The event row's id.
    pub event_id: Uuid,
    /// The aggregate's stable name (`esrs::Aggregate::NAME`); its table is `<name>_events`.
    pub aggregate_type: String,
    /// The aggregate instance.
    pub aggregate_id: Uuid,
    /// Position of the event within its aggregate, from 1.
    pub aggregate_sequence: u64,
    /// The store's `occurred_on` column, RFC 3339 with six fractional digits and `Z`.
    pub occurred_on: String,
    /// The store's `version` column (esrs schema version; jianxin leaves it null and
    /// versions payloads inside the envelope).
    pub store_version: Option<i32>,
    /// The stored payload: the event envelope (actor, command id and index, event type
    /// and version, recorded_at, effective_at, data).
    pub payload: Value,
}

/// Why an entry could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum LedgerEntryError {
    /// The payload holds a value without a canonical form.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// The bytes are not JSON of the entry's shape.
    #[error("entry bytes are not a ledger entry: {0}")]
    Decode(#[from] serde_json::Error),
    /// The bytes decode, but are not the canonical encoding of what they decode to.
    #[error("entry bytes are not in canonical form")]
    NotCanonical,
}

impl LedgerEntry {
    /// The canonical bytes: what is hashed, stored in the ledger row and used as the
    /// Merkle leaf.
    ///
    /// Written field by field in key order, without first copying the payload into a
    /// value tree of the whole entry: the same bytes as the canonical JSON of the entry
    /// as a value ([`LedgerEntry::canonical_bytes_of_value`]), which a property test
    /// checks. This runs once per appended event, on the writer's path.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, LedgerEntryError> {
        use std::io::Write as _;
        let mut uuid = Uuid::encode_buffer();
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(br#"{"aggregate_id":"#);
        write_canonical_str(
            self.aggregate_id.hyphenated().encode_lower(&mut uuid),
            &mut out,
        );
        let _ = write!(out, r#","aggregate_sequence":{}"#, self.aggregate_sequence);
        out.extend_from_slice(br#","aggregate_type":"#);
        write_canonical_str(&self.aggregate_type, &mut out);
        out.extend_from_slice(br#","event_id":"#);
        write_canonical_str(self.event_id.hyphenated().encode_lower(&mut uuid), &mut out);
        let _ = write!(out, r#","global_sequence":{}"#, self.global_sequence);
        out.extend_from_slice(br#","occurred_on":"#);
        write_canonical_str(&self.occurred_on, &mut out);
        out.extend_from_slice(br#","payload":"#);
        if write_canonical(&self.payload, &mut out).is_err() {
            // the error names its path from the entry's root, as the value form does
            return self.canonical_bytes_of_value();
        }
        match self.store_version {
            Some(v) => {
                let _ = write!(out, r#","store_version":{v}}}"#);
            }
            None => out.extend_from_slice(br#","store_version":null}"#),
        }
        Ok(out)
    }

    /// The canonical bytes by way of a value tree of the whole entry: the definition
    /// [`LedgerEntry::canonical_bytes`] must agree with.
    pub fn canonical_bytes_of_value(&self) -> Result<Vec<u8>, LedgerEntryError> {
        let value = serde_json::to_value(self)?;
        Ok(canonical_json(&value)?)
    }

    /// Decode canonical bytes, refusing any byte string that is not canonical.
    pub fn decode(bytes: &[u8]) -> Result<LedgerEntry, LedgerEntryError> {
        let entry: LedgerEntry = serde_json::from_slice(bytes)?;
        if entry.canonical_bytes()? != bytes {
            return Err(LedgerEntryError::NotCanonical);
        }
        Ok(entry)
    }

    /// Decode canonical bytes to a JSON value without building the struct (the hot path
    /// of `log verify`): the bytes must be canonical and hold exactly the entry's keys.
    pub fn decode_value(bytes: &[u8]) -> Result<Value, LedgerEntryError> {
        const KEYS: [&str; 8] = [
            "aggregate_id",
            "aggregate_sequence",
            "aggregate_type",
            "event_id",
            "global_sequence",
            "occurred_on",
            "payload",
            "store_version",
        ];
        let value: Value = serde_json::from_slice(bytes)?;
        let Some(map) = value.as_object() else {
            return Err(LedgerEntryError::NotCanonical);
        };
        if map.len() != KEYS.len() || !KEYS.iter().all(|k| map.contains_key(*k)) {
            return Err(LedgerEntryError::NotCanonical);
        }
        let mut again = Vec::with_capacity(bytes.len());
        super::canonical::write_canonical(&value, &mut again)?;
        if again != bytes {
            return Err(LedgerEntryError::NotCanonical);
        }
        Ok(value)
    }

    /// The entry hash chained on `prev`.
    pub fn chain_hash(prev: &[u8; 32], canonical: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(ENTRY_DOMAIN);
        h.update(prev);
        h.update(canonical);
        h.finalize().into()
    }

    /// The command id and index recorded in the payload, when present.
    pub fn command(&self) -> Option<(Uuid, u32)> {
        let id = self.payload.get("command_id")?.as_str()?.parse().ok()?;
        let index = u32::try_from(self.payload.get("command_index")?.as_u64()?).ok()?;
        Some((id, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> LedgerEntry {
        LedgerEntry {
            global_sequence: 1,
            event_id: Uuid::from_u128(1),
            aggregate_type: "reference_data".into(),
            aggregate_id: Uuid::from_u128(2),
            aggregate_sequence: 1,
            occurred_on: "2026-11-23T07:42:00.000001Z".into(),
            store_version: None,
            payload: json!({"command_id": Uuid::from_u128(3), "command_index": 0, "data": {"b": 1, "a": "中"}}),
        }
    }

    #[test]
    fn canonical_bytes_are_pinned() {
        let bytes = entry().canonical_bytes().unwrap_or_default();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap_or_default(),
            concat!(
                r#"{"aggregate_id":"00000000-0000-0000-0000-000000000002","aggregate_sequence":1,"#,
                r#""aggregate_type":"reference_data","event_id":"00000000-0000-0000-0000-000000000001","#,
                r#""global_sequence":1,"occurred_on":"2026-11-23T07:42:00.000001Z","payload":"#,
                r#"{"command_id":"00000000-0000-0000-0000-000000000003","command_index":0,"#,
                r#""data":{"a":"中","b":1}},"store_version":null}"#
            )
        );
        assert_eq!(
            LedgerEntry::decode(&bytes).ok().and_then(|e| e.command()),
            Some((Uuid::from_u128(3), 0))
        );
    }

    /// The worked example of docs/LEDGER.md §4 (computed independently with Python's
    /// hashlib): the code and the specification must agree byte for byte.
    #[test]
    fn golden_entry_and_leaf_hashes() {
        let bytes = entry().canonical_bytes().unwrap_or_default();
        assert_eq!(bytes.len(), 354);
        assert_eq!(
            hex::encode(LedgerEntry::chain_hash(&GENESIS_HASH, &bytes)),
            "997bb59bfc456e9f88abbae6498b8a96b16f90606da9644f6e189911445ca208"
        );
        assert_eq!(
            hex::encode(crate::integrity::leaf_hash(&bytes)),
            "be7034d3b5e9b5130494b66a31bd9d64b491bbcfe5854a7b24b945fe4bace640"
        );
    }

    #[test]
    fn decode_value_agrees_with_decode() {
        let bytes = entry().canonical_bytes().unwrap_or_default();
        let v = LedgerEntry::decode_value(&bytes).ok();
        assert_eq!(
            v.as_ref().map(|v| v["global_sequence"].clone()),
            Some(json!(1))
        );
        let mut extra = entry();
        extra.payload = json!({"x": 1});
        let mut other = serde_json::to_value(&extra).unwrap_or_default();
        other["surplus"] = json!(true);
        let b = crate::event_log::canonical_json(&other).unwrap_or_default();
        assert!(LedgerEntry::decode_value(&b).is_err());
    }

    #[test]
    fn non_canonical_bytes_are_refused() {
        let bytes = entry().canonical_bytes().unwrap_or_default();
        let mut spaced = b" ".to_vec();
        spaced.extend_from_slice(&bytes);
        assert!(matches!(
            LedgerEntry::decode(&spaced),
            Err(LedgerEntryError::NotCanonical)
        ));
    }

    #[test]
    fn chain_hash_depends_on_prev_and_bytes() {
        let a = LedgerEntry::chain_hash(&GENESIS_HASH, b"x");
        assert_ne!(a, LedgerEntry::chain_hash(&[1u8; 32], b"x"));
        assert_ne!(a, LedgerEntry::chain_hash(&GENESIS_HASH, b"y"));
    }

    /// Any JSON value: objects with keys in any order, strings with escapes and CJK,
    /// integers of both signs and, now and then, a float (which has no canonical form).
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            "[a-z\\u{0}-\\u{1f}\"\\\\中信 ]{0,12}".prop_map(Value::String),
            (-1.0e6f64..1.0e6).prop_map(|f| Value::from(f + 0.5)),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-z_\"中]{0,6}", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn canonical_bytes_written_field_by_field_equal_those_of_the_value(
            payload in any_json(),
            global_sequence in proptest::prelude::any::<u64>(),
            aggregate_sequence in proptest::prelude::any::<u64>(),
            aggregate_type in "[a-z_\"\\u{1}]{0,16}",
            occurred_on in "[0-9TZ:.\\u{7}-]{0,27}",
            store_version in proptest::prelude::any::<Option<i32>>(),
            ids in proptest::prelude::any::<(u128, u128)>(),
        ) {
            let e = LedgerEntry {
                global_sequence,
                event_id: Uuid::from_u128(ids.0),
                aggregate_type,
                aggregate_id: Uuid::from_u128(ids.1),
                aggregate_sequence,
                occurred_on,
                store_version,
                payload,
            };
            match (e.canonical_bytes(), e.canonical_bytes_of_value()) {
                (Ok(fast), Ok(reference)) => proptest::prop_assert_eq!(fast, reference),
                (Err(fast), Err(reference)) => {
                    proptest::prop_assert_eq!(fast.to_string(), reference.to_string())
                }
                (fast, reference) => proptest::prop_assert!(
                    false,
                    "the two forms disagree: {fast:?} against {reference:?}"
                ),
            }
        }
    }
}
