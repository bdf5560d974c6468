//! The credit facts of recently asked subjects, kept in memory (信用事实缓存), so that a
//! credit check on SQLite reads only the store's head instead of the subject's rows.
//!
//! A check must answer from exactly the facts in the ledger at its log position, and
//! another process (the command line, the scheduler) may write to the same file at any
//! moment. So every check still reads the head in one statement — the log position, the
//! highest credit-fact position, the two reference version counts, four index ends on
//! hot pages — and the kept facts are brought up to that head before they are used:
//! the credit facts recorded since (`credit_facts` by position, usually none) are
//! appended to the subjects kept. The subject's own rows and their JSON are then not
//! read at all. Measured: the head alone costs about half of the full reading
//! (docs/PERFORMANCE.md, "Session 12").
//!
//! Why this is exact:
//! - On SQLite one writer commits at a time and takes the next ledger positions inside
//!   its transaction, so positions become visible in order: every credit fact at or
//!   below a head's highest credit-fact position is committed when that head is read,
//!   and every fact committed after it has a higher position than the head's log
//!   position.
//! - Facts never change once written (a rebuild writes the same rows again, in one
//!   transaction); corrections are new facts.
//! - [`CheckReading::facts`] keeps only the facts at or before the check's own log
//!   position, so facts appended for a later head by a concurrent check are left out.
//! - A subject read in full (not kept yet) is kept only if its reading is at least as
//!   recent as what the others were brought up to; later catch-ups append only facts
//!   beyond the last one it holds.
//!
//! Bounds: at most [`CreditFactsCache::CAPACITY`] subjects (asked subjects without any
//! fact included); when full, an arbitrary eighth is dropped. A catch-up of more than
//! [`CreditFactsCache::CATCH_UP_MAX`] facts (a bulk import by another process) drops
//! every subject instead, to be read again when asked. PostgreSQL does not use it: its
//! concurrent writers do not make positions visible in order, and the check there is
//! one round trip anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use jianxin_domain::credit::Fact;
use jianxin_domain::reference_data::ReferenceKind;

use super::credit::{check_reading_inline, parse_at, CheckReading};
use super::shared_head::SharedHead;
use crate::store::SqliteReader;
use crate::StoreError;

/// Credit facts of the subjects asked recently, complete up to a ledger position.
#[derive(Debug)]
pub struct CreditFactsCache {
    kept: Mutex<Kept>,
    /// The head, read once for the checks that arrive together.
    head: SharedHead<Head>,
    capacity: usize,
    catch_up_max: u64,
}

#[derive(Debug, Default)]
struct Kept {
    /// Every credit fact at or below this position is in the facts of each subject kept.
    through: u64,
    /// Facts by credit-subject id, in ledger order (perhaps beyond `through`).
    subjects: HashMap<String, Arc<Vec<Fact>>>,
}

/// The store's head as one check reads it.
#[derive(Debug, Clone, Copy)]
struct Head {
    log_seq: u64,
    facts_seq: u64,
    rule_versions: i64,
    catalogue_versions: i64,
}

impl Head {
    fn reading(self, facts: Arc<Vec<Fact>>) -> CheckReading {
        CheckReading {
            log_seq: self.log_seq,
            facts_seq: self.facts_seq,
            rule_versions: self.rule_versions,
            catalogue_versions: self.catalogue_versions,
            facts,
        }
    }
}

/// The head: four index ends, one statement, one snapshot.
const HEAD: &str = super::credit::check_head!();

/// The credit facts recorded in a range of positions, in ledger order, at most `$3`.
const SINCE: &str = "SELECT subject_id, global_sequence, recorded_at, event FROM credit_facts \
    WHERE global_sequence > $1 AND global_sequence <= $2 ORDER BY global_sequence LIMIT $3";

impl Default for CreditFactsCache {
    fn default() -> Self {
        CreditFactsCache::with_bounds(Self::CAPACITY, Self::CATCH_UP_MAX)
    }
}

impl CreditFactsCache {
    /// The most subjects kept: about 120 MiB when each has one list entry (636 bytes a
    /// subject, measured with the system allocator).
    pub const CAPACITY: usize = 200_000;

    /// The most credit facts one catch-up reads (of any subject; other events between
    /// them do not count); beyond, every subject is dropped instead.
    pub const CATCH_UP_MAX: u64 = 10_000;

    /// A cache of at most `capacity` subjects that catches up at most `catch_up_max`
    /// facts at once.
    pub fn with_bounds(capacity: usize, catch_up_max: u64) -> CreditFactsCache {
        CreditFactsCache {
            kept: Mutex::new(Kept::default()),
            head: SharedHead::default(),
            capacity: capacity.max(1),
            catch_up_max,
        }
    }

    /// The number of subjects kept.
    pub fn len(&self) -> usize {
        self.lock().subjects.len()
    }

    /// Whether no subject is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the facts of `subject_id` are kept.
    pub fn holds(&self, subject_id: &str) -> bool {
        self.lock().subjects.contains_key(subject_id)
    }

    /// What a check of `subject_id` reads, through `reader`: the same as
    /// [`check_reading_inline`] at a head read after this call began, from memory when
    /// the subject is kept (the head then shared with the checks arriving with it:
    /// [`SharedHead`]).
    pub async fn reading(
        &self,
        reader: &SqliteReader,
        subject_id: &str,
    ) -> Result<CheckReading, StoreError> {
        if self.holds(subject_id) {
            let head = self.head.get(|| read_head(reader)).await?;
            if let Some(facts) = self.facts_at(reader, subject_id, head)? {
                return Ok(head.reading(facts));
            }
        }
        let reading = check_reading_inline(reader, subject_id)?;
        self.keep(subject_id, &reading);
        Ok(reading)
    }

    /// The kept facts of `subject_id`, brought up to `head` first; `None` when it is
    /// not kept (any more).
    fn facts_at(
        &self,
        reader: &SqliteReader,
        subject_id: &str,
        head: Head,
    ) -> Result<Option<Arc<Vec<Fact>>>, StoreError> {
        let mut kept = self.lock();
        if head.facts_seq > kept.through {
            match read_since(reader, &kept, head.facts_seq, self.catch_up_max)? {
                None => kept.subjects.clear(),
                Some(since) => {
                    for (subject, fact) in since {
                        if let Some(facts) = kept.subjects.get_mut(&subject) {
                            if facts.last().is_none_or(|last| last.seq < fact.seq) {
                                Arc::make_mut(facts).push(fact);
                            }
                        }
                    }
                }
            }
            kept.through = head.facts_seq;
        }
        Ok(kept.subjects.get(subject_id).cloned())
    }

    /// Keeps the facts of a full reading, if it is at least as recent as the kept
    /// subjects' catch-up (else it might lack facts a catch-up has passed).
    fn keep(&self, subject_id: &str, reading: &CheckReading) {
        let mut kept = self.lock();
        if kept.subjects.is_empty() {
            kept.through = reading.facts_seq;
        }
        if reading.facts_seq < kept.through {
            return;
        }
        if kept.subjects.len() >= self.capacity {
            let dropped: Vec<String> = kept
                .subjects
                .keys()
                .take((self.capacity / 8).max(1))
                .cloned()
                .collect();
            for subject in dropped {
                kept.subjects.remove(&subject);
            }
        }
        kept.subjects
            .insert(subject_id.to_string(), reading.facts.clone());
    }

    /// The kept facts; after a panic elsewhere while it was held, nothing kept (a
    /// catch-up may have stopped half-way).
    fn lock(&self) -> MutexGuard<'_, Kept> {
        match self.kept.lock() {
            Ok(kept) => kept,
            Err(poisoned) => {
                let mut kept = poisoned.into_inner();
                kept.subjects.clear();
                kept.through = 0;
                self.kept.clear_poison();
                kept
            }
        }
    }
}

fn read_head(reader: &SqliteReader) -> Result<Head, StoreError> {
    let (log_seq, facts_seq, rule_versions, catalogue_versions) = reader.read(|c| {
        c.prepare_cached(HEAD)?.query_row(
            rusqlite::named_params! {
                "$2": ReferenceKind::CreditRules.as_str(),
                "$3": ReferenceKind::Measures.as_str(),
            },
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
    })?;
    Ok(Head {
        log_seq: log_seq as u64,
        facts_seq: facts_seq as u64,
        rule_versions,
        catalogue_versions,
    })
}

/// The credit facts after `kept.through` up to `to`, of the subjects kept only (the
/// others' events are not decoded); `None` when there are more than `max` facts of any
/// subject. Positions between credit facts (query answers, other events) do not count.
fn read_since(
    reader: &SqliteReader,
    kept: &Kept,
    to: u64,
    max: u64,
) -> Result<Option<Vec<(String, Fact)>>, StoreError> {
    let limit = i64::try_from(max.saturating_add(1)).unwrap_or(i64::MAX);
    let rows = reader.read(|c| {
        let mut statement = c.prepare_cached(SINCE)?;
        let rows = statement.query_map(
            rusqlite::named_params! { "$1": kept.through as i64, "$2": to as i64, "$3": limit },
            |r| {
                let subject: String = r.get(0)?;
                if !kept.subjects.contains_key(&subject) {
                    return Ok(None);
                }
                Ok(Some((
                    subject,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                )))
            },
        )?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })?;
    if rows.len() as u64 > max {
        return Ok(None);
    }
    let mut since = Vec::new();
    for (subject, seq, recorded_at, event) in rows.into_iter().flatten() {
        since.push((
            subject,
            Fact {
                seq: seq as u64,
                recorded_at: parse_at(&recorded_at)?,
                event: serde_json::from_str(&event)?,
            },
        ));
    }
    Ok(Some(since))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jianxin_domain::credit::CreditEvent;
    use rusqlite::Connection;
    use std::path::{Path, PathBuf};

    /// A log file with the tables a check reads.
    fn log_file(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("log.db");
        let c = Connection::open(&path).expect("open");
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE ledger (global_sequence INTEGER PRIMARY KEY);
             CREATE TABLE reference_data_versions (kind TEXT NOT NULL, version BIGINT NOT NULL);
             CREATE TABLE credit_facts (subject_id TEXT NOT NULL, uscc TEXT NOT NULL,
                 global_sequence BIGINT NOT NULL PRIMARY KEY, recorded_at TEXT NOT NULL,
                 event TEXT NOT NULL);
             CREATE INDEX credit_facts_subject ON credit_facts (subject_id, global_sequence);",
        )
        .expect("schema");
        (path, c)
    }

    /// Records a credit fact of `subject` at the next position.
    fn fact(c: &Connection, subject: &str) -> u64 {
        let seq = other_event(c);
        let event = CreditEvent::ListEntryAnnulled {
            entry_id: uuid::Uuid::from_u128(u128::from(seq)),
            reason: format!("fact {seq}"),
        };
        c.execute(
            "INSERT INTO credit_facts VALUES (?1, 'U', ?2, '2026-01-01T00:00:00Z', ?3)",
            (
                subject,
                seq as i64,
                serde_json::to_string(&event).expect("json"),
            ),
        )
        .expect("fact");
        seq
    }

    /// Records an event that is not a credit fact (a query answer, say).
    fn other_event(c: &Connection) -> u64 {
        c.execute(
            "INSERT INTO ledger VALUES ((SELECT COALESCE(MAX(global_sequence), 0) + 1 FROM ledger))",
            [],
        )
        .expect("ledger");
        c.last_insert_rowid() as u64
    }

    fn seqs(reading: &CheckReading) -> Vec<u64> {
        reading.facts().iter().map(|f| f.seq).collect()
    }

    #[tokio::test]
    async fn a_kept_subject_is_brought_up_to_each_head_and_read_at_its_own_position() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, c) = log_file(dir.path());
        let (reader, cache) = (SqliteReader::new(&path), CreditFactsCache::default());
        fact(&c, "A");
        other_event(&c);
        fact(&c, "B");
        // not kept yet: read in full, then kept
        let first = cache.reading(&reader, "A").await.expect("read");
        assert_eq!((first.log_seq, seqs(&first)), (3, vec![1]));
        assert!(cache.holds("A"));
        // a check that read its head before fact 5 of A, and another one after it that
        // brought the kept facts up to it: the first still reads only up to its position
        other_event(&c);
        let early = read_head(&reader).expect("head");
        let five = fact(&c, "A");
        let late = cache.reading(&reader, "A").await.expect("read");
        assert_eq!((late.log_seq, seqs(&late)), (five, vec![1, five]));
        let kept = cache
            .facts_at(&reader, "A", early)
            .expect("kept")
            .expect("A");
        assert_eq!(kept.len(), 2, "the kept facts run past the early head");
        assert_eq!(seqs(&early.reading(kept)), vec![1]);
        // facts of subjects not kept are passed over, not kept
        fact(&c, "C");
        assert_eq!(
            seqs(&cache.reading(&reader, "A").await.expect("read")),
            vec![1, five]
        );
        assert!(!cache.holds("C"));
        assert_eq!(
            seqs(&cache.reading(&reader, "C").await.expect("read")),
            vec![6]
        );
    }

    #[tokio::test]
    async fn a_full_reading_older_than_the_kept_facts_is_not_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, c) = log_file(dir.path());
        let (reader, cache) = (SqliteReader::new(&path), CreditFactsCache::default());
        fact(&c, "A");
        cache.reading(&reader, "A").await.expect("read");
        // B read in full, then a fact of B, then A's check brings the kept facts past it
        let old_b = check_reading_inline(&reader, "B").expect("read");
        let two = fact(&c, "B");
        cache.reading(&reader, "A").await.expect("read");
        cache.keep("B", &old_b);
        assert!(!cache.holds("B"), "it would lack fact {two}");
        assert_eq!(
            seqs(&cache.reading(&reader, "B").await.expect("read")),
            vec![two]
        );
        assert!(cache.holds("B"));
        // D kept from a full reading newer than the kept facts' catch-up: the next
        // catch-up passes D's fact again and must not add it twice
        let d = fact(&c, "D");
        assert_eq!(
            seqs(&cache.reading(&reader, "D").await.expect("read")),
            vec![d]
        );
        cache.reading(&reader, "A").await.expect("read");
        assert_eq!(
            seqs(&cache.reading(&reader, "D").await.expect("read")),
            vec![d]
        );
    }

    #[tokio::test]
    async fn it_stays_within_its_capacity_and_drops_everything_after_a_long_gap() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, c) = log_file(dir.path());
        let reader = SqliteReader::new(&path);
        let cache = CreditFactsCache::with_bounds(2, 2);
        for subject in ["A", "B", "C", "D"] {
            fact(&c, subject);
            cache.reading(&reader, subject).await.expect("read");
            assert!(cache.len() <= 2);
            assert!(cache.holds(subject));
        }
        // three facts since: more than a catch-up reads, so all is dropped, and read again
        let kept: Vec<&str> = ["A", "B", "C", "D"]
            .into_iter()
            .filter(|s| cache.holds(s))
            .collect();
        let gap: Vec<u64> = (0..3).map(|_| fact(&c, kept[0])).collect();
        let reading = cache.reading(&reader, kept[1]).await.expect("read");
        assert_eq!(reading.facts().len(), 1);
        assert!(!cache.holds(kept[0]));
        let again = cache.reading(&reader, kept[0]).await.expect("read");
        assert_eq!(seqs(&again)[1..], gap[..]);
        // many other events (query answers) between two facts are no long gap
        for _ in 0..10 {
            other_event(&c);
        }
        let late = fact(&c, kept[0]);
        let caught_up = cache.reading(&reader, kept[1]).await.expect("read");
        assert!(cache.holds(kept[0]), "kept through a catch-up of one fact");
        assert_eq!(caught_up.log_seq, late);
        let last = cache.reading(&reader, kept[0]).await.expect("read");
        assert_eq!(seqs(&last).last(), Some(&late));
    }
}
