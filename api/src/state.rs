//! What every handler and CLI command works with: the event log, the deployment key,
//! the clock, the log's origin and the webhook delivery board. Passed as axum `State`,
//! which clones it for every extractor of every request: so it is one `Arc` to the
//! shared parts ([`Shared`]), one atomic increment a clone, not one per field (cloning
//! the fields showed as 4 % of a loaded service's samples, docs/PERFORMANCE.md).

use std::ops::Deref;
use std::sync::Arc;

use jianxin_domain::integrity::{NoteSigner, NoteVerifier};
use jianxin_projections::{Clock, EventLog};

/// Shared application state: cheap to clone, its parts read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Clone)]
pub struct Shared {
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
    /// Which addresses webhooks may reach: public ones, and the operator's allow-list.
    pub webhook_targets: Arc<crate::webhooks::TargetPolicy>,
    /// Imports running at once over HTTP: a few, each on a blocking thread, so that a
    /// large or hostile upload never holds the threads that answer everyone else.
    pub imports: Arc<tokio::sync::Semaphore>,
}

/// Imports at once unless `JIANXIN_IMPORT_CONCURRENCY` says otherwise.
pub const IMPORT_CONCURRENCY: usize = 2;

impl AppState {
    /// State over an opened log and a loaded key.
    pub fn new(log: EventLog, signer: NoteSigner, clock: Arc<dyn Clock>, origin: &str) -> Self {
        let verifier = signer.verifier();
        let query_log = crate::query_log::QueryLog::grouped(&log);
        AppState(Arc::new(Shared {
            query_log,
            log,
            signer: Arc::new(signer),
            verifier: Arc::new(verifier),
            clock,
            origin: Arc::from(origin),
            tokens: Arc::default(),
            rate_limit: Arc::default(),
            deliveries: Arc::default(),
            webhook_targets: Arc::default(),
            imports: Arc::new(tokio::sync::Semaphore::new(
                std::env::var("JIANXIN_IMPORT_CONCURRENCY")
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .filter(|n| *n > 0)
                    .unwrap_or(IMPORT_CONCURRENCY),
            )),
        }))
    }

    /// The same state with another budget for requests without a verified token.
    pub fn with_rate_limit(self, rate_limit: crate::http::RateLimit) -> Self {
        let mut shared = Arc::unwrap_or_clone(self.0);
        shared.rate_limit = Arc::new(rate_limit);
        AppState(Arc::new(shared))
    }

    /// The same state with another policy of webhook targets.
    pub fn with_webhook_targets(self, policy: crate::webhooks::TargetPolicy) -> Self {
        let mut shared = Arc::unwrap_or_clone(self.0);
        shared.webhook_targets = Arc::new(policy);
        AppState(Arc::new(shared))
    }
}
