//! Working-day calendar (工作日历). Placeholder: being written.
