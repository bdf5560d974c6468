//! Access grants (访问授权): every API token issued is a recorded fact naming who issued
//! it, to whom, with which role and scopes and until when — so the trail answers "who
//! could do what, as of any date". One aggregate instance per token (its `jti`).

mod aggregate;
mod commands;
mod events;

pub use aggregate::{AccessError, AccessGrant, AccessGrantState};
pub use commands::{AccessCommand, IssueToken};
pub use events::AccessEvent;

#[cfg(test)]
mod tests;
