//! Commands as issued and events as recorded: the metadata that travels with each.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt::Debug;
use uuid::Uuid;

use super::Actor;

/// A domain event enum: serialised adjacently tagged as
/// `{"event_type": "<VariantName>", "data": {...}}`
/// (`#[serde(tag = "event_type", content = "data")]`), so that its type name is a stable
/// stored contract and its payload can be upcast by version.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + Debug + Send + Sync {
    /// The schema version this code writes. Raise it when a payload's shape changes and
    /// teach [`DomainEvent::upcast`] to lift the older shape.
    const VERSION: u32 = 1;

    /// Lift the `data` of an event written at `from_version` to the current shape.
    /// The default accepts only the current version.
    fn upcast(event_type: &str, from_version: u32, data: Value) -> Result<Value, String> {
        if from_version == Self::VERSION {
            Ok(data)
        } else {
            Err(format!(
                "no upcaster for {event_type} from version {from_version} to {}",
                Self::VERSION
            ))
        }
    }
}

/// Who issued a command, when, and under which id (命令元数据).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandMeta {
    /// Chosen by the caller; a retried command with the same id is not applied twice.
    pub command_id: Uuid,
    /// The user and role on whose authority the command runs.
    pub actor: Actor,
    /// The clock reading when the command was issued (system time, microseconds). It
    /// becomes `recorded_at`: aggregates never read a clock themselves.
    pub issued_at: DateTime<Utc>,
    /// The date the resulting facts take effect in law, where the domain has one.
    pub effective_at: Option<NaiveDate>,
}

impl CommandMeta {
    /// Metadata for a command issued by `actor` at `now` (truncated to microseconds, the
    /// precision both stores keep).
    pub fn new(command_id: Uuid, actor: Actor, now: DateTime<Utc>) -> Self {
        CommandMeta {
            command_id,
            actor,
            issued_at: now.trunc_subsecs(6),
            effective_at: None,
        }
    }

    /// The same metadata with a legal effective date.
    pub fn effective(mut self, date: NaiveDate) -> Self {
        self.effective_at = Some(date);
        self
    }

    /// Stamp the events a command produced with this metadata, numbering them.
    pub fn stamp<E>(&self, events: Vec<E>) -> Vec<Recorded<E>> {
        events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Recorded {
                actor: self.actor.clone(),
                command_id: self.command_id,
                command_index: i as u32,
                recorded_at: self.issued_at,
                effective_at: self.effective_at,
                event,
            })
            .collect()
    }
}

/// A domain command with its metadata: the esrs `Command` of every jianxin aggregate.
#[derive(Debug, Clone)]
pub struct Issued<C> {
    /// Who, when, which id.
    pub meta: CommandMeta,
    /// What was asked.
    pub command: C,
}

/// A domain event with its envelope: the esrs `Event` of every jianxin aggregate, and
/// the JSON stored in the `payload` column of the `…_events` tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded<E> {
    /// Who caused it.
    pub actor: Actor,
    /// The command that caused it.
    pub command_id: Uuid,
    /// Its position among that command's events (0-based).
    pub command_index: u32,
    /// System time of recording (microsecond precision).
    pub recorded_at: DateTime<Utc>,
    /// The date it takes effect in law, where the domain has one.
    pub effective_at: Option<NaiveDate>,
    /// The domain event.
    pub event: E,
}

/// Why an envelope could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// The event did not serialise as `{"event_type", "data"}`.
    #[error("event does not serialise adjacently tagged with event_type/data: {0}")]
    NotTagged(String),
    /// JSON (de)serialisation failed.
    #[error("event JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl<E: DomainEvent> Recorded<E> {
    /// The stable event type name (the variant name).
    pub fn event_type(&self) -> Result<String, EnvelopeError> {
        Ok(split_event(&self.event)?.0)
    }

    /// The stored JSON form (what the `payload` column holds).
    pub fn to_payload(&self) -> Result<Value, EnvelopeError> {
        let (event_type, data) = split_event(&self.event)?;
        let raw = RawEnvelope {
            event_type,
            event_version: E::VERSION,
            actor: self.actor.clone(),
            command_id: self.command_id,
            command_index: self.command_index,
            recorded_at: format_micros(&self.recorded_at),
            effective_at: self.effective_at,
            data,
        };
        Ok(serde_json::to_value(raw)?)
    }

    /// Read a stored payload, upcasting older versions.
    pub fn from_payload(value: Value) -> Result<Self, EnvelopeError> {
        let raw: RawEnvelope = serde_json::from_value(value)?;
        let data = E::upcast(&raw.event_type, raw.event_version, raw.data)
            .map_err(|m| EnvelopeError::NotTagged(m.to_string()))?;
        let mut tagged = serde_json::Map::new();
        tagged.insert("event_type".into(), Value::String(raw.event_type));
        if !data.is_null() {
            tagged.insert("data".into(), data);
        }
        let event: E = serde_json::from_value(Value::Object(tagged))?;
        let recorded_at = DateTime::parse_from_rfc3339(&raw.recorded_at)
            .map_err(|e| EnvelopeError::NotTagged(format!("recorded_at: {e}")))?
            .with_timezone(&Utc);
        Ok(Recorded {
            actor: raw.actor,
            command_id: raw.command_id,
            command_index: raw.command_index,
            recorded_at,
            effective_at: raw.effective_at,
            event,
        })
    }
}

/// Timestamps in envelopes and ledger entries: RFC 3339, UTC, exactly six fractional
/// digits, `Z` (e.g. `2026-11-23T07:42:00.123456Z`).
pub fn format_micros(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn split_event<E: Serialize>(event: &E) -> Result<(String, Value), EnvelopeError> {
    let value = serde_json::to_value(event)?;
    let Value::Object(mut map) = value else {
        return Err(EnvelopeError::NotTagged("not an object".into()));
    };
    let Some(Value::String(event_type)) = map.remove("event_type") else {
        return Err(EnvelopeError::NotTagged("no string event_type".into()));
    };
    let data = map.remove("data").unwrap_or(Value::Null);
    Ok((event_type, data))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    event_type: String,
    event_version: u32,
    actor: Actor,
    command_id: Uuid,
    command_index: u32,
    recorded_at: String,
    effective_at: Option<NaiveDate>,
    data: Value,
}

impl<E: DomainEvent> Serialize for Recorded<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_payload()
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de, E: DomainEvent> Deserialize<'de> for Recorded<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Recorded::from_payload(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::Role;
    use serde_json::json;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "event_type", content = "data")]
    enum Ev {
        Renamed { name: String },
        Closed,
    }
    impl DomainEvent for Ev {
        const VERSION: u32 = 2;
        fn upcast(event_type: &str, from: u32, data: Value) -> Result<Value, String> {
            match (event_type, from) {
                // version 1 called the field `title`
                ("Renamed", 1) => Ok(json!({ "name": data["title"] })),
                (_, 1) | (_, 2) => Ok(data),
                _ => Err(format!("unknown version {from}")),
            }
        }
    }

    fn meta() -> CommandMeta {
        let now = DateTime::parse_from_rfc3339("2026-11-23T07:42:00.123456789Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        CommandMeta::new(Uuid::nil(), Actor::new("alice", Role::Admin), now)
    }

    #[test]
    fn stamped_events_round_trip_through_the_payload() {
        let recorded = meta().stamp(vec![Ev::Renamed { name: "x".into() }, Ev::Closed]);
        assert_eq!(recorded[1].command_index, 1);
        for r in &recorded {
            let payload = r.to_payload().unwrap_or_default();
            assert_eq!(payload["recorded_at"], "2026-11-23T07:42:00.123456Z");
            assert_eq!(payload["event_version"], 2);
            let back = Recorded::<Ev>::from_payload(payload).ok();
            assert_eq!(back.as_ref(), Some(r));
        }
    }

    #[test]
    fn an_old_version_payload_is_upcast_on_load() {
        let stored_v1 = json!({
            "event_type": "Renamed", "event_version": 1,
            "actor": {"user": "bob", "role": "planner"},
            "command_id": Uuid::nil(), "command_index": 0,
            "recorded_at": "2020-01-01T00:00:00.000000Z", "effective_at": "2020-01-02",
            "data": {"title": "old"}
        });
        let loaded = Recorded::<Ev>::from_payload(stored_v1).ok();
        assert_eq!(
            loaded.map(|r| r.event),
            Some(Ev::Renamed { name: "old".into() })
        );
    }

    #[test]
    fn an_unknown_version_is_an_error_not_a_guess() {
        let stored = json!({
            "event_type": "Closed", "event_version": 9,
            "actor": {"user": "bob", "role": "planner"},
            "command_id": Uuid::nil(), "command_index": 0,
            "recorded_at": "2020-01-01T00:00:00.000000Z", "effective_at": null,
            "data": null
        });
        assert!(Recorded::<Ev>::from_payload(stored).is_err());
    }
}
