//! The attempts board (推送状态): per subscription, the batch being delivered, its
//! attempts, the last status and error and when the next attempt is due. Operational
//! state of the serving process, shown by `GET /v1/credit/subscriptions/{id}`; not facts,
//! so not in the log (a dead receiver would otherwise add a record every few minutes,
//! forever). The cursor, which is a fact, is in the log.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// The delivery state of one subscription in this process.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The batch being delivered: its delivery id (None: nothing pending).
    pub pending_delivery_id: Option<Uuid>,
    /// Its last change's ledger position.
    pub pending_upto: Option<u64>,
    /// How many changes it carries.
    pub pending_changes: Option<usize>,
    /// Attempts at it so far.
    pub attempts: u32,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last failed attempt, if it got one.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (None: not waiting).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Failed attempts since the service started.
    pub failures: u64,
}

/// Every subscription's delivery state, shared by the worker and the handlers.
#[derive(Debug, Default)]
pub struct DeliveryBoard(Mutex<HashMap<Uuid, DeliveryStatus>>);

impl DeliveryBoard {
    /// The state of `id` (default: nothing attempted by this process).
    pub fn status(&self, id: Uuid) -> DeliveryStatus {
        self.0
            .lock()
            .map(|m| m.get(&id).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    pub(super) fn update(&self, id: Uuid, f: impl FnOnce(&mut DeliveryStatus)) {
        if let Ok(mut m) = self.0.lock() {
            f(m.entry(id).or_default());
        }
    }

    pub(super) fn forget(&self, id: Uuid) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&id);
        }
    }
}
