//! Read model of subscriptions (订阅): `credit_subscriptions`, one row per subscription
//! with its owner, target, lists, whether it is active, and its delivery cursor (the
//! ledger position of the last change a receiver acknowledged). Written in the
//! transaction of each `Subscribed`/`Unsubscribed`/`Delivered` event, so the cursor the
//! delivery worker resumes from is exactly the one the log records, and rebuildable from
//! the log like every read model. Also the lookup of the list of an entry, which the
//! corrected/removed/repaired/expired changes do not carry.

use std::collections::HashMap;

use async_trait::async_trait;
use esrs::store::StoreEvent;
use jianxin_domain::credit::subscription::{Subscription, SubscriptionEvent};
use jianxin_domain::event_log::format_micros;
use serde::Serialize;
use sqlx::Row;

use crate::store::{Bind, ReadModel, Tx};
use crate::{Database, StoreError};

/// `credit_subscriptions`.
pub struct CreditSubscriptions;

#[async_trait]
impl ReadModel<Subscription> for CreditSubscriptions {
    fn name(&self) -> &'static str {
        "credit_subscriptions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["credit_subscriptions"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<Subscription as esrs::Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let recorded = &event.payload;
        let id = event.aggregate_id.hyphenated().to_string();
        let at = format_micros(&recorded.recorded_at);
        let seq = global_sequence as i64;
        match &recorded.event {
            SubscriptionEvent::Subscribed {
                url,
                lists,
                description,
            } => {
                let lists: Vec<&str> = lists.iter().map(|l| l.as_str()).collect();
                tx.exec(
                    "INSERT INTO credit_subscriptions (subscription_id, owner, owner_role, url, \
                     lists, description, subscribed_at, active, ended_at, ended_by, end_reason, \
                     cursor_seq, deliveries, changes_delivered, last_delivery_id, \
                     last_delivered_at, global_sequence) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, \
                     NULL, NULL, NULL, 0, 0, 0, NULL, NULL, $8)",
                    &[
                        Bind::Text(&id),
                        Bind::Text(&recorded.actor.user),
                        Bind::Text(recorded.actor.role.as_str()),
                        Bind::Text(url),
                        Bind::Text(&lists.join(",")),
                        Bind::Text(description),
                        Bind::Text(&at),
                        Bind::Int(seq),
                    ],
                )
                .await
            }
            SubscriptionEvent::Unsubscribed { reason } => {
                tx.exec(
                    "UPDATE credit_subscriptions SET active = 0, ended_at = $1, ended_by = $2, \
                     end_reason = $3, global_sequence = $4 WHERE subscription_id = $5",
                    &[
                        Bind::Text(&at),
                        Bind::Text(&recorded.actor.user),
                        Bind::Text(reason),
                        Bind::Int(seq),
                        Bind::Text(&id),
                    ],
                )
                .await
            }
            SubscriptionEvent::Delivered {
                delivery_id,
                upto_seq,
                changes,
                ..
            } => {
                tx.exec(
                    "UPDATE credit_subscriptions SET cursor_seq = $1, deliveries = deliveries + 1, \
                     changes_delivered = changes_delivered + $2, last_delivery_id = $3, \
                     last_delivered_at = $4, global_sequence = $5 WHERE subscription_id = $6",
                    &[
                        Bind::Int(*upto_seq as i64),
                        Bind::Int(i64::from(*changes)),
                        Bind::Text(&delivery_id.hyphenated().to_string()),
                        Bind::Text(&at),
                        Bind::Int(seq),
                        Bind::Text(&id),
                    ],
                )
                .await
            }
        }
    }
}

/// One subscription as the log records it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubscriptionRow {
    /// Its id.
    pub subscription_id: String,
    /// Who subscribed (user id).
    pub owner: String,
    /// In which role.
    pub owner_role: String,
    /// The target URL.
    pub url: String,
    /// The lists followed.
    pub lists: Vec<String>,
    /// What it is for.
    pub description: String,
    /// When it was recorded.
    pub subscribed_at: String,
    /// False once unsubscribed.
    pub active: bool,
    /// When it ended.
    pub ended_at: Option<String>,
    /// Who ended it.
    pub ended_by: Option<String>,
    /// Why.
    pub end_reason: Option<String>,
    /// The ledger position of the last acknowledged change (0: none yet).
    pub cursor: u64,
    /// Acknowledged batches.
    pub deliveries: u64,
    /// Changes in them.
    pub changes_delivered: u64,
    /// The last acknowledged delivery id.
    pub last_delivery_id: Option<String>,
    /// When it was recorded.
    pub last_delivered_at: Option<String>,
}

const COLUMNS: &str = "subscription_id, owner, owner_role, url, lists, description, \
    subscribed_at, active, ended_at, ended_by, end_reason, cursor_seq, deliveries, \
    changes_delivered, last_delivery_id, last_delivered_at";

macro_rules! row_of {
    ($r:expr) => {{
        let r = $r;
        let lists: String = r.try_get("lists")?;
        SubscriptionRow {
            subscription_id: r.try_get("subscription_id")?,
            owner: r.try_get("owner")?,
            owner_role: r.try_get("owner_role")?,
            url: r.try_get("url")?,
            lists: lists
                .split(',')
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            description: r.try_get("description")?,
            subscribed_at: r.try_get("subscribed_at")?,
            active: r.try_get::<i64, _>("active")? != 0,
            ended_at: r.try_get("ended_at")?,
            ended_by: r.try_get("ended_by")?,
            end_reason: r.try_get("end_reason")?,
            cursor: r.try_get::<i64, _>("cursor_seq")?.max(0) as u64,
            deliveries: r.try_get::<i64, _>("deliveries")?.max(0) as u64,
            changes_delivered: r.try_get::<i64, _>("changes_delivered")?.max(0) as u64,
            last_delivery_id: r.try_get("last_delivery_id")?,
            last_delivered_at: r.try_get("last_delivered_at")?,
        }
    }};
}

/// Subscriptions, oldest first: all, or those of `owner` (with `active_only`, only the
/// active ones).
pub async fn subscriptions(
    db: &Database,
    owner: Option<&str>,
    active_only: bool,
) -> Result<Vec<SubscriptionRow>, StoreError> {
    // sql-safe: only the constant `COLUMNS` list is interpolated; values are bound
    let sql = format!(
        "SELECT {COLUMNS} FROM credit_subscriptions \
         WHERE (CAST($1 AS TEXT) IS NULL OR owner = $1) AND (active = 1 OR $2 = 0) \
         ORDER BY subscribed_at, subscription_id"
    );
    let only = i64::from(active_only);
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(&sql)
                .bind(owner)
                .bind(only)
                .fetch_all($pool)
                .await?
            {
                out.push(row_of!(&r));
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    })
}

/// One subscription (None: no such id).
pub async fn subscription(db: &Database, id: &str) -> Result<Option<SubscriptionRow>, StoreError> {
    // sql-safe: only the constant `COLUMNS` list is interpolated; the id is bound
    let sql = format!("SELECT {COLUMNS} FROM credit_subscriptions WHERE subscription_id = $1");
    Ok(match db {
        Database::Sqlite(p) => match sqlx::query(&sql).bind(id).fetch_optional(p).await? {
            Some(r) => Some(row_of!(&r)),
            None => None,
        },
        Database::Postgres(p) => match sqlx::query(&sql).bind(id).fetch_optional(p).await? {
            Some(r) => Some(row_of!(&r)),
            None => None,
        },
    })
}

/// The list of each of `entry_ids` that is known (entry id → list name).
pub async fn entry_lists(
    db: &Database,
    entry_ids: &[String],
) -> Result<HashMap<String, String>, StoreError> {
    const SQL: &str = "SELECT list FROM credit_entries WHERE entry_id = $1";
    let mut out = HashMap::new();
    for id in entry_ids {
        if out.contains_key(id) {
            continue;
        }
        let list: Option<String> = match db {
            Database::Sqlite(p) => sqlx::query_scalar(SQL).bind(id).fetch_optional(p).await?,
            Database::Postgres(p) => sqlx::query_scalar(SQL).bind(id).fetch_optional(p).await?,
        };
        if let Some(list) = list {
            out.insert(id.clone(), list);
        }
    }
    Ok(out)
}
