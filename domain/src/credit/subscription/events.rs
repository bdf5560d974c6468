//! Events of subscriptions (stored contract: names and fields never change). The actor
//! of each — who subscribed, who ended it, the system that delivered — is in its
//! envelope.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::credit::ListId;
use crate::event_log::DomainEvent;

/// Events of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum SubscriptionEvent {
    /// A URL was subscribed to list changes (已订阅). No secret is stored.
    Subscribed {
        /// The normalised target URL.
        url: String,
        /// The lists followed (every list when subscribed without any).
        lists: Vec<ListId>,
        /// What it is for.
        description: String,
    },
    /// The subscription ended (已取消订阅).
    Unsubscribed {
        /// Why.
        reason: String,
    },
    /// The receiver acknowledged a batch (推送已确认): the cursor is now `upto_seq`.
    Delivered {
        /// The delivery id the batch was sent under.
        delivery_id: Uuid,
        /// The cursor before.
        after_seq: u64,
        /// The cursor after: the ledger position of the batch's last change.
        upto_seq: u64,
        /// How many changes it carried.
        changes: u32,
    },
}

impl DomainEvent for SubscriptionEvent {}
