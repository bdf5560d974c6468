//! What every handler and CLI command works with: the event log, the deployment key,
//! the clock, the log's origin and the webhook delivery board. `Clone` with `Arc`
//! fields, passed as axum `State`.

use std::sync::Arc;

use jianxin_domain::integrity::{NoteSigner, NoteVerifier};
use jianxin_projections::{Clock, EventLog};

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// The event log and its read models.
    pub log: EventLog,
    /// Signs checkpoints (and tokens, under another label).
    pub signer: Arc<NoteSigner>,
    /// Checks tokens and checkpoints.
    pub verifier: Arc<NoteVerifier>,
    /// "Now", settable in tests.
    pub clock: Arc<dyn Clock>,
    /// The log's origin line in checkpoints.
    pub origin: Arc<str>,
    /// The credit query log's writer (group commit).
    pub query_log: crate::query_log::QueryLog,
    /// Tokens whose signature verified.
    pub tokens: Arc<crate::tokens::TokenCache>,
    /// Budgets of requests without a verified token, per client address.
    pub rate_limit: Arc<crate::http::RateLimit>,
    /// Webhook delivery attempts of this process (shown with each subscription).
    pub deliveries: Arc<crate::webhooks::DeliveryBoard>,
}

impl AppState {
    /// State over an opened log and a loaded key.
    pub fn new(log: EventLog, signer: NoteSigner, clock: Arc<dyn Clock>, origin: &str) -> Self {
        let verifier = signer.verifier();
        let query_log = crate::query_log::QueryLog::grouped(&log);
        AppState {
            query_log,
            log,
            signer: Arc::new(signer),
            verifier: Arc::new(verifier),
            clock,
            origin: Arc::from(origin),
            tokens: Arc::default(),
            rate_limit: Arc::default(),
            deliveries: Arc::default(),
        }
    }
}
