//! Commands of subscriptions (订阅).

use uuid::Uuid;

use crate::credit::ListId;

/// Subscribe a URL to the list changes (订阅变更推送).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// Where to POST the batches (http/https; validated by [`super::WebhookUrl::parse`]).
    pub url: String,
    /// The lists to follow; empty means every list.
    pub lists: Vec<ListId>,
    /// What the subscription is for (at most [`super::DESCRIPTION_MAX_CHARS`]).
    pub description: String,
}

/// End a subscription (取消订阅): nothing more is pushed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// Why (may be empty; at most [`super::DESCRIPTION_MAX_CHARS`]).
    pub reason: String,
}

/// Record that the receiver acknowledged a batch (推送已确认): the cursor moves to
/// `upto_seq`. Issued by the system's delivery worker only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDelivery {
    /// The delivery id the batch was sent under (also the command id, so a retried
    /// record is a no-op).
    pub delivery_id: Uuid,
    /// The cursor the batch started after; must be the recorded cursor.
    pub after_seq: u64,
    /// The ledger position of the batch's last change.
    pub upto_seq: u64,
    /// How many changes the batch carried.
    pub changes: u32,
}

/// Every command of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionCommand {
    /// See [`Subscribe`].
    Subscribe(Subscribe),
    /// See [`Unsubscribe`].
    Unsubscribe(Unsubscribe),
    /// See [`RecordDelivery`].
    RecordDelivery(RecordDelivery),
}
