//! The history of one field as (effective date, value) pairs, so "what was true on date
//! D" is a lookup rather than a replay.
//!
//! Disputes are about what was true then (a subject drawn while revoked, an inspector
//! whose area covered the subject that day), and corrections are often recorded after the
//! fact with an earlier effective date. Entries are kept ordered by effective date; among
//! entries of the same date the one recorded later wins.

use chrono::NaiveDate;

/// The dated values of one field, ordered by effective date, then by recording order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline<T> {
    /// `(effective date, value)`, sorted by date; equal dates keep recording order.
    entries: Vec<(NaiveDate, T)>,
}

impl<T> Default for Timeline<T> {
    fn default() -> Self {
        Timeline {
            entries: Vec::new(),
        }
    }
}

impl<T> Timeline<T> {
    /// Records that `value` holds from `date` on (until a later-dated entry), placing it
    /// after every entry of the same or an earlier date.
    pub fn record(&mut self, date: NaiveDate, value: T) {
        let at = self.entries.partition_point(|(d, _)| *d <= date);
        self.entries.insert(at, (date, value));
    }

    /// The value in force on `date`: the last entry dated on or before it.
    pub fn as_of(&self, date: NaiveDate) -> Option<&T> {
        let at = self.entries.partition_point(|(d, _)| *d <= date);
        at.checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// The first effective date, if any.
    pub fn first_date(&self) -> Option<NaiveDate> {
        self.entries.first().map(|(d, _)| *d)
    }

    /// All entries in effective-date order.
    pub fn entries(&self) -> &[(NaiveDate, T)] {
        &self.entries
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn as_of_takes_the_last_entry_on_or_before_the_date() {
        let mut t = Timeline::default();
        t.record(d(1, 1), "a");
        t.record(d(6, 1), "c");
        t.record(d(3, 1), "b"); // back-dated correction
        t.record(d(6, 1), "c2"); // same date, recorded later: wins
        assert_eq!(t.as_of(d(1, 1) - chrono::Days::new(1)), None);
        assert_eq!(t.as_of(d(1, 1)), Some(&"a"));
        assert_eq!(t.as_of(d(4, 1)), Some(&"b"));
        assert_eq!(t.as_of(d(12, 31)), Some(&"c2"));
        assert_eq!(t.first_date(), Some(d(1, 1)));
        assert_eq!(t.entries().len(), 4);
    }
}
