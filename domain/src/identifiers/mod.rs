//! Identifiers (标识): the unified social credit code of market subjects and the region
//! codes of administrative divisions, with the division table they are checked against.
//!
//! Every list entry, draw and inspection result is keyed by these codes, so they are
//! validated once, at the edge, into types that cannot hold a bad value: code that
//! receives a [`Uscc`] or [`RegionCode`] never checks again. Parsers take text and
//! perform no I/O; reference data arrives as CSV text (see [`DivisionTable::from_csv`]).

mod division;
mod reference_data;
mod region;
mod uscc;
mod uscc_error;

pub use division::{Division, DivisionLevel, DivisionTable};
pub use reference_data::{canonical_text, ReferenceFileError, ReferenceFileErrorKind};
pub use region::{
    RegionCode, RegionError, RegionErrorKind, NATIONAL_REGION_CODE, PROVINCE_PREFIXES,
};
pub use uscc::{Uscc, USCC_ALPHABET};
pub use uscc_error::{RegistrationDepartment, UsccError, UsccErrorKind};

/// CSV reading and digests shared with the calendar loader.
pub(crate) use reference_data::{content_digest, read_rows};
