//! The delivery worker (推送): started by `jianxin serve`, one task per active
//! subscription. Each task reads the list changes after its subscription's cursor from
//! the change feed, POSTs them in batches of at most [`DELIVERY_BATCH_MAX`], and on a
//! 2xx records `Delivered {upto_seq}` in the log — which moves the cursor, in the same
//! transaction, in `credit_subscriptions`. Anything else (a non-2xx, no connection, a
//! timeout) is retried with the same batch, body and delivery id after an exponential
//! backoff. A restart resumes from the recorded cursor, so acknowledged changes are
//! never sent again and unacknowledged ones are sent again (at least once).
//!
//! Attempts and the last error are operational state, not facts: they live in the
//! [`DeliveryBoard`](super::DeliveryBoard) of the serving process, shown by `GET /v1/credit/subscriptions/{id}`
//! and logged, and are not written to the log (a dead receiver would otherwise add a
//! record every few minutes forever).

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use jianxin_domain::credit::subscription::{
    RecordDelivery, Subscription, SubscriptionCommand, SubscriptionError, WebhookUrl,
    DELIVERY_BATCH_MAX,
};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_projections::read_models::{subscription, subscriptions};
use jianxin_projections::StoreError;
use uuid::Uuid;

use super::batch::{next_batch, Batch, Scan};
use super::board::DeliveryStatus;
use super::client;
use super::signing::{signature, WebhookKey};
use crate::state::AppState;

/// How delivery paces itself (`jianxin serve --webhook-…`).
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// How often an idle subscription looks for new changes, and the supervisor for new
    /// subscriptions.
    pub poll: Duration,
    /// The wait after a first failed attempt; it doubles with each further failure.
    pub retry_initial: Duration,
    /// The longest wait between attempts.
    pub retry_max: Duration,
    /// How long one attempt may take (connect, send, status line).
    pub timeout: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            poll: Duration::from_secs(1),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The actor of `Delivered` records.
fn worker_actor() -> Actor {
    Actor::new("webhook-delivery", Role::System)
}

/// Run delivery until `shutdown` resolves: every `poll`, start a task for each active
/// subscription that has none; each task ends when its subscription does.
pub async fn run(state: AppState, config: DeliveryConfig, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut tasks: HashMap<Uuid, tokio::task::JoinHandle<()>> = HashMap::new();
    loop {
        tasks.retain(|_, t| !t.is_finished());
        match subscriptions(state.log.database(), None, true).await {
            Ok(rows) => {
                for row in rows {
                    let Ok(id) = Uuid::parse_str(&row.subscription_id) else {
                        continue;
                    };
                    tasks.entry(id).or_insert_with(|| {
                        tokio::spawn(deliver(state.clone(), config.clone(), id))
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "webhooks: cannot list subscriptions"),
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll) => {}
            _ = &mut shutdown => break,
        }
    }
    for task in tasks.values() {
        task.abort();
    }
}
/// Deliver subscription `id` until it ends.
async fn deliver(state: AppState, config: DeliveryConfig, id: Uuid) {
    let secret = match WebhookKey::derive(&state.signer) {
        Ok(key) => key.secret(id),
        Err(e) => {
            tracing::error!(subscription = %id, error = %e, "webhooks: no key");
            return;
        }
    };
    let db = state.log.database();
    let board = &state.deliveries;
    let mut scanned = 0u64;
    let mut pending: Option<Batch> = None;
    let mut backoff = config.retry_initial;
    loop {
        let row = match subscription(db, &id.hyphenated().to_string()).await {
            Ok(Some(row)) if row.active => row,
            Ok(_) => {
                board.forget(id);
                return;
            }
            Err(e) => {
                tracing::warn!(subscription = %id, error = %e, "webhooks: cannot read");
                tokio::time::sleep(config.poll).await;
                continue;
            }
        };
        scanned = scanned.max(row.cursor);
        if pending.as_ref().is_some_and(|b| b.after != row.cursor) {
            // another instance moved the cursor: rebuild from there
            pending = None;
        }
        let batch = match pending.take() {
            Some(b) => b,
            None => match next_batch(db, &row, id, scanned).await {
                Ok(Scan::Batch(b)) => b,
                Ok(Scan::Nothing(upto)) => {
                    scanned = upto;
                    tokio::time::sleep(config.poll).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(subscription = %id, error = %e, "webhooks: cannot read changes");
                    tokio::time::sleep(config.poll).await;
                    continue;
                }
            },
        };
        let url = match WebhookUrl::parse(&row.url) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(subscription = %id, error = %e, "webhooks: stored URL unusable");
                return;
            }
        };
        let now = state.clock.now();
        let timestamp = now.timestamp();
        let headers = [
            ("Content-Type", "application/json".to_string()),
            (
                "X-Jianxin-Delivery",
                batch.delivery_id.hyphenated().to_string(),
            ),
            ("X-Jianxin-Timestamp", timestamp.to_string()),
            (
                "X-Jianxin-Signature",
                signature(&secret, timestamp, &batch.body),
            ),
        ];
        board.update(id, |s| {
            if s.pending_delivery_id != Some(batch.delivery_id) {
                s.attempts = 0;
            }
            s.pending_delivery_id = Some(batch.delivery_id);
            s.pending_upto = Some(batch.upto);
            s.pending_changes = Some(batch.changes);
            s.attempts += 1;
            s.last_attempt_at = Some(now);
            s.next_attempt_at = None;
        });
        let posted = client::post(
            &state.webhook_targets,
            &url,
            &headers,
            &batch.body,
            config.timeout,
        )
        .await;
        if let Err(client::PostError::Connect(e) | client::PostError::Io(e)) = &posted {
            // the detail stays in the service's log; the subscriber sees what failed
            tracing::warn!(subscription = %id, error = %e, "webhooks: connection failed");
        }
        let failure = match posted {
            Ok(status) if (200..300).contains(&status) => {
                match acknowledge(&state, id, &batch).await {
                    Ok(()) => {
                        scanned = batch.upto;
                        backoff = config.retry_initial;
                        board.update(id, |s| {
                            let failures = s.failures;
                            *s = DeliveryStatus {
                                failures,
                                ..DeliveryStatus::default()
                            };
                        });
                        tracing::info!(subscription = %id, delivery = %batch.delivery_id,
                            upto = batch.upto, changes = batch.changes, "webhooks: delivered");
                        continue;
                    }
                    Err(Ack::Ended) => {
                        board.forget(id);
                        return;
                    }
                    Err(Ack::Moved(e)) => {
                        tracing::warn!(subscription = %id, error = %e, "webhooks: cursor moved");
                        tokio::time::sleep(config.poll).await;
                        continue;
                    }
                    Err(Ack::Store(e)) => {
                        // not recorded: the batch is sent again (at least once)
                        tracing::warn!(subscription = %id, error = %e, "webhooks: cannot record");
                        (None, format!("acknowledged, but not recorded: {e}"))
                    }
                }
            }
            Ok(status) => (Some(status), format!("HTTP {status}")),
            Err(e) => (None, e.to_string()),
        };
        let next = state.clock.now()
            + chrono::Duration::from_std(backoff).unwrap_or(chrono::Duration::seconds(600));
        tracing::warn!(subscription = %id, delivery = %batch.delivery_id, error = %failure.1,
            retry_in_ms = backoff.as_millis() as u64, "webhooks: attempt failed");
        board.update(id, |s| {
            s.last_status = failure.0;
            s.last_error = Some(failure.1);
            s.next_attempt_at = Some(next);
            s.failures += 1;
        });
        pending = Some(batch);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.retry_max);
    }
}

/// Why an acknowledged batch was not recorded.
enum Ack {
    /// The subscription ended meanwhile.
    Ended,
    /// The cursor is elsewhere (another instance recorded it).
    Moved(SubscriptionError),
    /// The store failed.
    Store(StoreError),
}

/// Record `Delivered` for an acknowledged batch, under its delivery id as command id: a
/// second record of the same batch is a no-op.
async fn acknowledge(state: &AppState, id: Uuid, batch: &Batch) -> Result<(), Ack> {
    let issued = Issued {
        meta: CommandMeta::new(batch.delivery_id, worker_actor(), state.clock.now()),
        command: SubscriptionCommand::RecordDelivery(RecordDelivery {
            delivery_id: batch.delivery_id,
            after_seq: batch.after,
            upto_seq: batch.upto,
            changes: u32::try_from(batch.changes).unwrap_or(DELIVERY_BATCH_MAX),
        }),
    };
    match state.log.execute::<Subscription, _>(id, issued).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(SubscriptionError::Ended | SubscriptionError::NotSubscribed)) => Err(Ack::Ended),
        Ok(Err(e)) => Err(Ack::Moved(e)),
        Err(e) => Err(Ack::Store(e)),
    }
}
