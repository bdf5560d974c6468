//! Subscriptions to the change feed (订阅): another department's system, or a credit
//! officer on its behalf, asks for the typed list changes (entered, corrected, repaired,
//! removed, expired) to be pushed (推送) to a URL of its own. Each subscription, its end
//! and every acknowledged delivery are facts in the log, so who asked for which data to
//! go where, and how far it has been delivered, is answered from the log alone — and a
//! restarted service resumes exactly after the last acknowledged change.
//!
//! | step | command | event |
//! |---|---|---|
//! | a system subscribes | [`Subscribe`] | `Subscribed` |
//! | it (or a credit officer) unsubscribes | [`Unsubscribe`] | `Unsubscribed` |
//! | the receiver acknowledged a batch | [`RecordDelivery`] | `Delivered` |
//!
//! The HMAC secret is never part of any of these: the service derives it from its own
//! key and the subscription id when it signs (docs/CREDIT.md §5a).

mod aggregate;
mod commands;
mod events;
mod url;

pub use aggregate::{
    subscription_delivery_id, Subscription, SubscriptionError, SubscriptionState,
    DELIVERY_BATCH_MAX, DESCRIPTION_MAX_CHARS,
};
pub use commands::{RecordDelivery, Subscribe, SubscriptionCommand, Unsubscribe};
pub use events::SubscriptionEvent;
pub use url::{UrlError, WebhookUrl, URL_MAX_BYTES};

#[cfg(test)]
mod tests;
