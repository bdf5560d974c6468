//! The event envelope. Placeholder: being written.
