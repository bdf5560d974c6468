//! Finding a key given twice in one file, naming both rows.
//!
//! Two rows for one USCC would make the file's meaning depend on row order, so they are
//! errors. Subject files reach ten million rows, so [`DuplicateTracker`] keeps each seen
//! code in 16 bytes: the 18 characters as 5-bit alphabet values (90 bits) and the row
//! number (38 bits) packed into one `u128`, in a hash set that hashes and compares only
//! the code bits. Ten million rows take about 285 MB (hash-table buckets at 7/8 load plus
//! one control byte each), well under 1 GiB.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::identifiers::{Uscc, USCC_ALPHABET};

use super::RowError;

/// Bits of the packed entry that hold the row number.
const ROW_BITS: u32 = 38;

/// The largest row number the tracker stores exactly (about 2.7 × 10¹¹); larger row
/// numbers are reported as this value.
pub const MAX_TRACKED_ROW: u64 = (1 << ROW_BITS) - 1;

/// A key seen twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key (USCC, inspector id or item code).
    pub key: String,
    /// The row that gave it first.
    pub first_row: u64,
    /// The row that gave it again.
    pub row: u64,
}

impl Duplicate {
    /// The error to report on the later row, in `column`. The first row is named in the
    /// value so that all duplicates of a column share one `expected` and group together.
    pub fn to_row_error(&self, column: &str) -> RowError {
        RowError {
            row: self.row,
            column: column.to_owned(),
            value: format!("{} (also on row {})", self.key, self.first_row),
            expected: format!("a {column} that appears on one row only"),
        }
    }
}

/// A packed `code << 38 | row`; equality and hash look at the code only.
#[derive(Debug, Clone, Copy)]
struct Entry(u128);

impl Entry {
    fn code(self) -> u128 {
        self.0 >> ROW_BITS
    }

    fn row(self) -> u64 {
        u64::try_from(self.0 & u128::from(MAX_TRACKED_ROW)).unwrap_or(MAX_TRACKED_ROW)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}

impl Eq for Entry {}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code().hash(state);
    }
}

/// Packs the 18 characters of a USCC into 90 bits (5 bits per alphabet value).
fn pack(uscc: &Uscc) -> u128 {
    uscc.as_str().chars().fold(0u128, |acc, c| {
        let value = USCC_ALPHABET.find(c).unwrap_or(0);
        (acc << 5) | value as u128
    })
}

/// The USCC text of a packed code.
fn unpack(code: u128) -> String {
    let alphabet: Vec<char> = USCC_ALPHABET.chars().collect();
    (0..18)
        .rev()
        .map(|i| {
            let value = ((code >> (5 * i)) & 31) as usize;
            alphabet.get(value).copied().unwrap_or('?')
        })
        .collect()
}

/// Remembers every USCC of a file with the row that gave it, in 16 bytes per code.
#[derive(Debug, Clone, Default)]
pub struct DuplicateTracker {
    seen: HashSet<Entry>,
}

impl DuplicateTracker {
    /// An empty tracker.
    pub fn new() -> DuplicateTracker {
        DuplicateTracker::default()
    }

    /// An empty tracker sized for `rows` codes, so it never grows (and never holds two
    /// tables at once) while reading a file of known length.
    pub fn with_capacity(rows: usize) -> DuplicateTracker {
        DuplicateTracker {
            seen: HashSet::with_capacity(rows),
        }
    }

    /// Remembers `uscc` as given on `row`, or, when an earlier row gave it, names both.
    pub fn check(&mut self, row: u64, uscc: &Uscc) -> Result<(), Duplicate> {
        let entry = Entry((pack(uscc) << ROW_BITS) | u128::from(row.min(MAX_TRACKED_ROW)));
        match self.seen.get(&entry) {
            Some(first) => Err(Duplicate {
                key: unpack(first.code()),
                first_row: first.row(),
                row,
            }),
            None => {
                self.seen.insert(entry);
                Ok(())
            }
        }
    }

    /// Number of distinct codes seen.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no code was seen.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// About how many heap bytes the table holds: each bucket (capacity at 7/8 load) is
    /// a 16-byte entry plus one control byte.
    pub fn heap_bytes(&self) -> usize {
        self.seen.capacity().saturating_mul(8).div_ceil(7) * (std::mem::size_of::<Entry>() + 1)
    }
}

/// Remembers text keys (inspector ids, item codes) with their first row: those files
/// are small, so plain strings suffice.
#[derive(Debug, Clone, Default)]
pub struct DuplicateKeys {
    seen: HashMap<String, u64>,
}

impl DuplicateKeys {
    /// An empty tracker.
    pub fn new() -> DuplicateKeys {
        DuplicateKeys::default()
    }

    /// Remembers `key` as given on `row`, or, when an earlier row gave it, names both.
    pub fn check(&mut self, row: u64, key: &str) -> Result<(), Duplicate> {
        match self.seen.get(key) {
            Some(first) => Err(Duplicate {
                key: key.to_owned(),
                first_row: *first,
                row,
            }),
            None => {
                self.seen.insert(key.to_owned(), row);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_sixteen_bytes_and_codes_round_trip_through_packing() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
        for first17 in [
            "91350100M000100Y4",
            "Y1110000MA0000000",
            "N2330106MA2GXYW0T",
        ] {
            let check = Uscc::check_character(first17).unwrap();
            let code = Uscc::parse(&format!("{first17}{check}")).unwrap();
            assert_eq!(unpack(pack(&code)), code.as_str());
        }
        let last = Uscc::parse("91440300708461136T").unwrap();
        let entry = Entry((pack(&last) << ROW_BITS) | u128::from(MAX_TRACKED_ROW));
        assert_eq!(entry.row(), MAX_TRACKED_ROW);
        assert_eq!(unpack(entry.code()), "91440300708461136T");
    }
}
