//! The subscription aggregate (订阅): one stream per subscription id. It decides who may
//! subscribe and end a subscription, keeps the target URL valid, and moves the delivery
//! cursor only forward and only from where it stands — so two delivery workers, or a
//! retried record, can never skip or repeat a batch in the log.

use uuid::Uuid;

use crate::credit::ListId;
use crate::directory::derived_id;
use crate::event_log::{Actor, Issued, Recorded, Role};

use super::{
    RecordDelivery, Subscribe, SubscriptionCommand, SubscriptionEvent, UrlError, WebhookUrl,
};

/// The longest description or reason, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 500;

/// The most changes one delivery carries.
pub const DELIVERY_BATCH_MAX: u32 = 100;

/// The delivery id of the batch `(after_seq, upto_seq]` of `subscription`: the same batch
/// always has the same id (its changes never change: the log only grows), so a receiver
/// recognises a retried batch by it, even one re-sent after a restart. It is also the
/// command id of the `Delivered` record, so a batch is recorded at most once.
pub fn subscription_delivery_id(subscription: Uuid, after_seq: u64, upto_seq: u64) -> Uuid {
    derived_id(
        "jianxin/webhook-delivery/",
        &format!("{}/{after_seq}/{upto_seq}", subscription.hyphenated()),
    )
}

/// The esrs aggregate of one subscription.
pub struct Subscription;

/// What a subscription remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionState {
    /// Who subscribed (None: never subscribed).
    pub owner: Option<Actor>,
    /// The normalised target URL.
    pub url: String,
    /// The lists followed.
    pub lists: Vec<ListId>,
    /// False once unsubscribed.
    pub active: bool,
    /// The ledger position of the last acknowledged change (0: none yet).
    pub cursor: u64,
    /// Acknowledged batches.
    pub deliveries: u64,
}

/// Why a subscription command was refused (HTTP meaning in brackets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// Only external systems and credit officers subscribe (403).
    #[error("role {0} may not subscribe; external_system and credit_officer may")]
    RoleMaySubscribe(Role),
    /// The target URL is invalid (400).
    #[error("url: {0}")]
    Url(#[from] UrlError),
    /// A description or reason is too long or holds control characters (400).
    #[error(
        "{field}: expected at most {DESCRIPTION_MAX_CHARS} characters without control characters"
    )]
    Text {
        /// Which field.
        field: &'static str,
    },
    /// This id is subscribed already (409).
    #[error("subscription exists already")]
    AlreadySubscribed,
    /// No such subscription (404).
    #[error("no such subscription")]
    NotSubscribed,
    /// The subscription has ended (409).
    #[error("the subscription has ended")]
    Ended,
    /// Neither its owner nor a credit officer (403).
    #[error("{0} may not end another system's subscription")]
    NotOwner(String),
    /// Only the system records deliveries (403).
    #[error("role {0} may not record deliveries; the delivery worker does")]
    NotSystem(Role),
    /// The batch does not start at the cursor: another worker moved it (409).
    #[error("the batch starts after {given} but the cursor stands at {cursor}")]
    NotAtCursor {
        /// The recorded cursor.
        cursor: u64,
        /// The batch's start.
        given: u64,
    },
    /// An empty or backwards batch, or too many changes (400).
    #[error("bad batch: {0}")]
    BadBatch(String),
}

fn text_ok(text: &str) -> bool {
    text.chars().count() <= DESCRIPTION_MAX_CHARS
        && !text.chars().any(|c| c.is_control() && c != '\n')
}

impl Subscription {
    fn subscribe(
        state: &SubscriptionState,
        actor: &Actor,
        c: Subscribe,
    ) -> Result<SubscriptionEvent, SubscriptionError> {
        if !matches!(actor.role, Role::ExternalSystem | Role::CreditOfficer) {
            return Err(SubscriptionError::RoleMaySubscribe(actor.role));
        }
        if state.owner.is_some() {
            return Err(SubscriptionError::AlreadySubscribed);
        }
        let url = WebhookUrl::parse(&c.url)?;
        if !text_ok(&c.description) {
            return Err(SubscriptionError::Text {
                field: "description",
            });
        }
        let mut lists = if c.lists.is_empty() {
            ListId::ALL.to_vec()
        } else {
            c.lists
        };
        lists.sort();
        lists.dedup();
        Ok(SubscriptionEvent::Subscribed {
            url: url.to_string(),
            lists,
            description: c.description,
        })
    }

    fn deliver(
        state: &SubscriptionState,
        c: RecordDelivery,
    ) -> Result<SubscriptionEvent, SubscriptionError> {
        if c.after_seq != state.cursor {
            return Err(SubscriptionError::NotAtCursor {
                cursor: state.cursor,
                given: c.after_seq,
            });
        }
        if c.upto_seq <= c.after_seq {
            return Err(SubscriptionError::BadBatch(format!(
                "upto {} is not after {}",
                c.upto_seq, c.after_seq
            )));
        }
        if c.changes == 0 || c.changes > DELIVERY_BATCH_MAX {
            return Err(SubscriptionError::BadBatch(format!(
                "{} changes; a batch carries 1 to {DELIVERY_BATCH_MAX}",
                c.changes
            )));
        }
        Ok(SubscriptionEvent::Delivered {
            delivery_id: c.delivery_id,
            after_seq: c.after_seq,
            upto_seq: c.upto_seq,
            changes: c.changes,
        })
    }
}

impl esrs::Aggregate for Subscription {
    const NAME: &'static str = "credit_subscription";
    type State = SubscriptionState;
    type Command = Issued<SubscriptionCommand>;
    type Event = Recorded<SubscriptionEvent>;
    type Error = SubscriptionError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let actor = &issued.meta.actor;
        let event = match issued.command {
            SubscriptionCommand::Subscribe(c) => Self::subscribe(state, actor, c)?,
            SubscriptionCommand::Unsubscribe(c) => {
                let Some(owner) = &state.owner else {
                    return Err(SubscriptionError::NotSubscribed);
                };
                if !state.active {
                    return Err(SubscriptionError::Ended);
                }
                let own = owner.user == actor.user && owner.role == actor.role;
                if !own && actor.role != Role::CreditOfficer {
                    return Err(SubscriptionError::NotOwner(actor.user.clone()));
                }
                if !text_ok(&c.reason) {
                    return Err(SubscriptionError::Text { field: "reason" });
                }
                SubscriptionEvent::Unsubscribed { reason: c.reason }
            }
            SubscriptionCommand::RecordDelivery(c) => {
                if actor.role != Role::System {
                    return Err(SubscriptionError::NotSystem(actor.role));
                }
                if state.owner.is_none() {
                    return Err(SubscriptionError::NotSubscribed);
                }
                if !state.active {
                    return Err(SubscriptionError::Ended);
                }
                Self::deliver(state, c)?
            }
        };
        Ok(issued.meta.stamp(vec![event]))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        match recorded.event {
            SubscriptionEvent::Subscribed { url, lists, .. } => {
                state.owner = Some(recorded.actor);
                state.url = url;
                state.lists = lists;
                state.active = true;
            }
            SubscriptionEvent::Unsubscribed { .. } => state.active = false,
            SubscriptionEvent::Delivered { upto_seq, .. } => {
                state.cursor = state.cursor.max(upto_seq);
                state.deliveries += 1;
            }
        }
        state
    }
}
