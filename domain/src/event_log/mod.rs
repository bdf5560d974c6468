//! The event envelope (事件信封): what every fact in the log carries besides its payload.
//!
//! An aggregate's esrs `Command` is an [`Issued<C>`] — the domain command plus the
//! [`CommandMeta`] (who issued it, the id that makes retries harmless, the clock reading
//! and the date the fact takes effect in law). Its esrs `Event` is a [`Recorded<E>`]: the
//! domain event stamped with that metadata. Because the clock and the actor travel inside
//! the command, aggregates stay pure and a replay of the log reproduces every decision.
//!
//! [`LedgerEntry`] is the canonical, hash-chained form of one stored event, specified in
//! `docs/LEDGER.md`.

mod actor;
mod canonical;
mod envelope;
mod ledger_entry;

pub use actor::{Actor, Role, RoleParseError};
pub use canonical::{canonical_json, write_canonical, write_canonical_str, CanonicalError};
pub use envelope::{format_micros, CommandMeta, DomainEvent, EnvelopeError, Issued, Recorded};
pub use ledger_entry::{LedgerEntry, LedgerEntryError, ENTRY_DOMAIN, GENESIS_HASH};
