//! Identifiers: USCC and region codes. Placeholder: being written.
