//! Typed settings shared by the CLI and the server: where the log lives, which key signs,
//! which clock reads the time, who the operator is. Layered: command-line flag, then
//! environment (`JIANXIN_*`), then defaults. No secret is ever logged: the database URL
//! is shown redacted and the key file only by path.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use jianxin_domain::event_log::{Actor, Role};
use jianxin_projections::{Clock, DbLocation, FixedClock, SystemClock};

/// The log's origin line in checkpoints unless configured (`JIANXIN_ORIGIN`).
pub const DEFAULT_ORIGIN: &str = "jianxin.local/log";

/// Settings resolved from flags and environment.
#[derive(Clone)]
pub struct Settings {
    /// Where the event log lives.
    pub db: DbLocation,
    /// The Ed25519 signer key file (checkpoints and API tokens).
    pub key_file: PathBuf,
    /// The log's identity in checkpoints.
    pub origin: String,
    /// The clock: the system clock, or a fixed time from `--now` / `JIANXIN_NOW`.
    pub clock: Arc<dyn Clock>,
    /// The CLI operator recorded as actor of state changes.
    pub operator: Actor,
}

impl Settings {
    /// Resolve settings; `now` fixes the clock (tests, replays).
    pub fn resolve(
        db: &str,
        key_file: PathBuf,
        origin: String,
        now: Option<DateTime<Utc>>,
        actor: Option<String>,
    ) -> Result<Settings, jianxin_projections::StoreError> {
        let clock: Arc<dyn Clock> = match now {
            Some(t) => Arc::new(FixedClock::at(t)),
            None => Arc::new(SystemClock),
        };
        let user = actor
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .unwrap_or_else(|| "operator".to_string());
        Ok(Settings {
            db: DbLocation::parse(db)?,
            key_file,
            origin,
            clock,
            operator: Actor::new(user, Role::Admin),
        })
    }
}
