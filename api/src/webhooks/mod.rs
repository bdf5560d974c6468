//! Webhook delivery of the change feed (订阅与推送, docs/CREDIT.md §5a): subscribing
//! systems register a URL and get every list change (entered, corrected, repaired,
//! removed, expired) of the lists they follow POSTed to it, signed with a secret only
//! they and the service know, retried until acknowledged, each batch at least once and
//! in order. The subscriptions and the acknowledged cursor are facts in the log
//! (aggregate `credit_subscription`); the operations below are shared by the HTTP API
//! and the CLI.
//!
//! - [`signing`]: per-subscription secrets and the `X-Jianxin-Signature` value.
//! - [`client`]: the HTTP/1.1 `POST` of one attempt.
//! - [`worker`]: the delivery loop `jianxin serve` runs; `batch`: what one delivery
//!   carries; `board`: the attempts of this process.

mod batch;
mod board;
pub mod client;
pub mod signing;
pub mod target;
pub mod worker;

use jianxin_domain::credit::subscription::{
    Subscribe, Subscription, SubscriptionCommand, SubscriptionError, Unsubscribe, WebhookUrl,
};
use jianxin_domain::credit::ListId;
use jianxin_domain::event_log::{Actor, Issued, Role};
use jianxin_projections::read_models::{subscription, subscriptions, SubscriptionRow};
use jianxin_projections::Executed;
use serde::Serialize;
use uuid::Uuid;

use crate::ops::{meta, OpError};
use crate::state::AppState;
pub use board::{DeliveryBoard, DeliveryStatus};
pub use signing::{signature, WebhookKey};
pub use target::{TargetPolicy, TargetRefused};
pub use worker::DeliveryConfig;

/// The target schemes this build delivers to (see [`client`]).
pub const DELIVERED_SCHEMES: &[&str] = &["http"];

/// Check a target URL as the API does before anything is recorded: valid (the
/// aggregate's rules) and of a scheme this build delivers to. The error says what was
/// expected.
pub fn check_target(url: &str) -> Result<WebhookUrl, String> {
    let parsed = WebhookUrl::parse(url).map_err(|e| e.to_string())?;
    if !DELIVERED_SCHEMES.contains(&parsed.scheme.as_str()) {
        return Err(format!(
            "expected an http:// URL: this service delivers over plain HTTP only \
             ({}:// is refused; terminate TLS in a forwarder that listens on http)",
            parsed.scheme
        ));
    }
    Ok(parsed)
}

/// A new subscription, with its secret (shown this once).
#[derive(Debug, Clone, Serialize)]
pub struct NewSubscription {
    /// Its id.
    pub subscription_id: Uuid,
    /// The normalised target URL.
    pub url: String,
    /// The lists followed.
    pub lists: Vec<String>,
    /// What it is for.
    pub description: String,
    /// The HMAC-SHA256 key of `X-Jianxin-Signature`, as ASCII text. Shown only here.
    pub secret: String,
    /// The ledger position of the `Subscribed` fact.
    pub global_sequence: u64,
}

/// A subscription with this process's delivery state.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    /// As recorded.
    #[serde(flatten)]
    pub row: SubscriptionRow,
    /// Attempts, last error and next attempt (empty when nothing is pending here).
    pub delivery: DeliveryStatus,
}

fn refused(e: SubscriptionError) -> OpError {
    match e {
        SubscriptionError::Url(_) | SubscriptionError::Text { .. } => OpError::Invalid {
            message: e.to_string(),
            location: None,
        },
        SubscriptionError::RoleMaySubscribe(_)
        | SubscriptionError::NotOwner(_)
        | SubscriptionError::NotSystem(_) => OpError::Forbidden(e.to_string()),
        SubscriptionError::NotSubscribed => OpError::NotFound(e.to_string()),
        _ => OpError::Refused(e.to_string()),
    }
}

/// Subscribe `url` for `actor` (an external system or a credit officer).
pub async fn subscribe(
    state: &AppState,
    actor: &Actor,
    url: &str,
    lists: Vec<ListId>,
    description: &str,
) -> Result<NewSubscription, OpError> {
    let target = check_target(url).map_err(|message| OpError::Invalid {
        message: format!("url: {message}"),
        location: Some("$.url".into()),
    })?;
    state
        .webhook_targets
        .check_subscription(&target.host, target.port)
        .await
        .map_err(|refused| OpError::Invalid {
            message: format!("url: {refused}"),
            location: Some("$.url".into()),
        })?;
    let id = Uuid::new_v4();
    let issued = Issued {
        meta: meta(state.clock.as_ref(), actor),
        command: SubscriptionCommand::Subscribe(Subscribe {
            url: url.to_string(),
            lists,
            description: description.to_string(),
        }),
    };
    let (state_after, global_sequence) =
        match state.log.execute::<Subscription, _>(id, issued).await? {
            Ok(Executed::Applied {
                state: s,
                global_sequences,
            }) => (s, global_sequences.first().copied().unwrap_or(0)),
            Ok(Executed::AlreadyApplied { .. }) => {
                return Err(OpError::Refused("subscription exists already".into()))
            }
            Err(e) => return Err(refused(e)),
        };
    let key = WebhookKey::derive(&state.signer).map_err(|e| OpError::Invalid {
        message: format!("webhook key: {e}"),
        location: None,
    })?;
    Ok(NewSubscription {
        subscription_id: id,
        url: state_after.url,
        lists: state_after
            .lists
            .iter()
            .map(|l| l.as_str().to_string())
            .collect(),
        description: description.to_string(),
        secret: key.secret(id),
        global_sequence,
    })
}

/// The subscriptions `caller` may see: an external system its own, others all.
pub async fn list(state: &AppState, caller: &Actor) -> Result<Vec<SubscriptionView>, OpError> {
    let own = (caller.role == Role::ExternalSystem).then_some(caller.user.as_str());
    let rows = subscriptions(state.log.database(), own, false).await?;
    Ok(rows.into_iter().map(|row| view(state, row)).collect())
}

fn view(state: &AppState, row: SubscriptionRow) -> SubscriptionView {
    let delivery = Uuid::parse_str(&row.subscription_id)
        .map(|id| state.deliveries.status(id))
        .unwrap_or_default();
    SubscriptionView { row, delivery }
}

/// One subscription `caller` may see (an external system's own; others 404 to it).
pub async fn show(state: &AppState, caller: &Actor, id: Uuid) -> Result<SubscriptionView, OpError> {
    let row = subscription(state.log.database(), &id.hyphenated().to_string())
        .await?
        .filter(|r| {
            caller.role != Role::ExternalSystem
                || (r.owner == caller.user && r.owner_role == caller.role.as_str())
        })
        .ok_or_else(|| OpError::NotFound(format!("no subscription {id}")))?;
    Ok(view(state, row))
}

/// End subscription `id` (its owner, or a credit officer): nothing more is pushed.
pub async fn unsubscribe(
    state: &AppState,
    caller: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<SubscriptionView, OpError> {
    show(state, caller, id).await?;
    let issued = Issued {
        meta: meta(state.clock.as_ref(), caller),
        command: SubscriptionCommand::Unsubscribe(Unsubscribe {
            reason: reason.to_string(),
        }),
    };
    if let Err(e) = state.log.execute::<Subscription, _>(id, issued).await? {
        return Err(refused(e));
    }
    show(state, caller, id).await
}
