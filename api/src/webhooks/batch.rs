//! Batches (推送批次): the list changes of a subscription after its cursor, on the lists
//! it follows, at most [`DELIVERY_BATCH_MAX`], in ledger order, each in the change feed's
//! shape plus its `list` — and the body and delivery id they are sent under. The same
//! `(after, upto]` always yields the same changes (the log only grows), hence the same
//! delivery id.

use std::collections::HashSet;

use jianxin_domain::credit::subscription::{subscription_delivery_id, DELIVERY_BATCH_MAX};
use jianxin_projections::read_models::{credit_changes, entry_lists, SubscriptionRow};
use jianxin_projections::{Database, StoreError};
use serde_json::{json, Value};
use uuid::Uuid;

/// One batch, fixed at its first attempt and re-sent unchanged.
pub(super) struct Batch {
    /// Its delivery id (also the command id of its `Delivered` record).
    pub delivery_id: Uuid,
    /// The cursor it starts after.
    pub after: u64,
    /// The ledger position of its last change.
    pub upto: u64,
    /// How many changes it carries.
    pub changes: usize,
    /// The JSON body, signed and sent unchanged at every attempt.
    pub body: Vec<u8>,
}

/// What a scan after the cursor found.
pub(super) enum Scan {
    /// A batch to deliver.
    Batch(Batch),
    /// No change for this subscription up to this position.
    Nothing(u64),
}

/// The next batch of `row` after its cursor (changes up to `scanned` are known not to
/// concern it): at most [`DELIVERY_BATCH_MAX`] list changes on its lists, in order.
pub(super) async fn next_batch(
    db: &Database,
    row: &SubscriptionRow,
    id: Uuid,
    scanned: u64,
) -> Result<Scan, StoreError> {
    const PAGE: i64 = 500;
    let max = DELIVERY_BATCH_MAX as usize;
    let lists: HashSet<&str> = row.lists.iter().map(String::as_str).collect();
    let mut position = scanned;
    let mut changes: Vec<Value> = vec![];
    let mut upto = 0u64;
    'pages: loop {
        let rows = credit_changes(db, position, PAGE).await?;
        let typed: Vec<(u64, Value)> = rows
            .iter()
            .filter_map(|c| crate::credit::list_change(c).map(|(_, v)| (c.seq, v)))
            .collect();
        let unlisted: Vec<String> = typed
            .iter()
            .filter(|(_, v)| v.get("list").is_none())
            .filter_map(|(_, v)| v["entry_id"].as_str().map(str::to_string))
            .collect();
        let list_of = entry_lists(db, &unlisted).await?;
        let page_end = rows.last().map(|r| r.seq);
        for (seq, mut v) in typed {
            let list = match v.get("list").and_then(Value::as_str) {
                Some(l) => Some(l.to_string()),
                None => v["entry_id"].as_str().and_then(|e| list_of.get(e).cloned()),
            };
            let Some(list) = list else { continue };
            if !lists.contains(list.as_str()) {
                continue;
            }
            if let Value::Object(m) = &mut v {
                m.insert("list".into(), json!(list));
            }
            changes.push(v);
            upto = seq;
            if changes.len() == max {
                break 'pages;
            }
        }
        match page_end {
            Some(end) if rows.len() as i64 == PAGE => position = end,
            Some(end) => {
                position = end;
                break;
            }
            None => break,
        }
    }
    if changes.is_empty() {
        return Ok(Scan::Nothing(position));
    }
    let delivery_id = subscription_delivery_id(id, row.cursor, upto);
    let body = json!({
        "subscription_id": id,
        "delivery_id": delivery_id,
        "after": row.cursor,
        "upto": upto,
        "changes": changes,
    });
    Ok(Scan::Batch(Batch {
        delivery_id,
        after: row.cursor,
        upto,
        changes: changes.len(),
        body: serde_json::to_vec(&body).map_err(|e| StoreError::Encoding(e.to_string()))?,
    }))
}
