//! Storage of the jianxin event log: the two esrs event stores (SQLite, the embedded
//! default, and PostgreSQL), the integrity ledger written in the same transaction as the
//! events, and the read models.
//!
//! - [`db`]: where the log lives (`--db`), connection pools, the schema.
//! - [`store`]: esrs `EventStore` implementations with identical semantics.
//! - [`ledger`]: hash chain, Merkle tree, checkpoints, verification and proofs.
//! - [`log`]: [`EventLog`], the one door for commands.
//! - [`read_models`]: tables derived from the log.
//! - [`registry`]: every aggregate type and its read models.
#![deny(missing_docs)]

pub mod clock;
pub mod db;
mod error;
pub mod ledger;
pub mod log;
pub mod read_models;
mod rebuild;
pub mod registry;
pub mod store;

pub use clock::{Clock, FixedClock, SystemClock};
pub use db::{Database, DbLocation};
pub use error::{DbFailure, StoreError};
pub use log::{EventLog, Executed};
