//! What a store needs to know about an aggregate's events: how to write and read the
//! stored payload, and which command caused them (for the ledger's idempotency key).

use jianxin_domain::event_log::{DomainEvent, Recorded};
use serde_json::Value;
use uuid::Uuid;

use crate::StoreError;

/// An esrs event type the jianxin stores can persist: every `Recorded<E>`.
pub trait Envelope: Sized + Send + Sync + 'static {
    /// The JSON written to the `payload` column.
    fn to_payload(&self) -> Result<Value, StoreError>;
    /// Read a stored payload (upcasting older versions).
    fn from_payload(value: Value) -> Result<Self, StoreError>;
    /// The causing command's id and this event's index among its events.
    fn command(&self) -> (Uuid, u32);
}

impl<E: DomainEvent + 'static> Envelope for Recorded<E> {
    fn to_payload(&self) -> Result<Value, StoreError> {
        Ok(Recorded::to_payload(self)?)
    }

    fn from_payload(value: Value) -> Result<Self, StoreError> {
        Ok(Recorded::from_payload(value)?)
    }

    fn command(&self) -> (Uuid, u32) {
        (self.command_id, self.command_index)
    }
}
