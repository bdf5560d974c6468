//! The credit query log's index by subject on SQLite: a file of its own, filled after the
//! answers are committed.
//!
//! Supervisors search the query log by subject (issue 7). As an index of the log's own
//! file, `credit_queries (uscc, …)`, every answer added one entry to a random page of it:
//! with the subjects spread over thousands of pages, each answer cost the group commit a
//! whole page of WAL, written and synced before the answer could be returned (about a
//! quarter of the check's throughput, docs/PERFORMANCE.md). Here the pairs (subject,
//! ledger position) are copied afterwards, in batches, into `<log file>.query-index`, a
//! SQLite file with its own lock and 1 KiB pages, so no answer waits for them.
//!
//! The file is derived and disposable: it holds the pairs and a cursor (the last ledger
//! position copied, with that ledger entry's hash). A search first brings it up to the
//! log, so it never misses an answer; a file whose cursor does not match the log's
//! ledger (another log, or one restored from an older backup) is emptied and filled
//! again; a missing file is made anew. Its commits are not synced (`synchronous=NORMAL`):
//! a crash loses at most the last batches, copied again from the cursor.
//! PostgreSQL keeps an ordinary index, whose WAL records rows, not whole pages.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use super::sqlite_reader::{open_read_only, store_error};
use crate::StoreError;

/// Pairs copied per transaction of the index file.
const BATCH: i64 = 20_000;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS query_subjects (
        uscc            TEXT    NOT NULL,
        global_sequence INTEGER NOT NULL,
        PRIMARY KEY (uscc, global_sequence)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS indexed_upto (
        one             INTEGER PRIMARY KEY CHECK (one = 1),
        global_sequence INTEGER NOT NULL,
        entry_hash      BLOB    NOT NULL
    );";

/// The index by subject of the credit query log kept in the SQLite file at `log`.
#[derive(Debug)]
pub struct QuerySubjectIndex {
    log: PathBuf,
    path: PathBuf,
    /// The index file (read-write) and the log file (read-only), opened when first used.
    conns: Mutex<Option<(Connection, Connection)>>,
}

impl QuerySubjectIndex {
    /// The index of the log file at `log`, in [`QuerySubjectIndex::path_for`]`(log)`.
    pub fn new(log: &Path) -> QuerySubjectIndex {
        QuerySubjectIndex {
            log: log.to_path_buf(),
            path: QuerySubjectIndex::path_for(log),
            conns: Mutex::new(None),
        }
    }

    /// Where the index of the log file at `log` lives: beside it, `.query-index` added.
    pub fn path_for(log: &Path) -> PathBuf {
        let mut name = OsString::from(log.as_os_str());
        name.push(".query-index");
        PathBuf::from(name)
    }

    /// Copies into the index every logged answer it does not hold yet; returns the
    /// ledger position it then covers. Blocking: call it off the async runtime.
    pub fn catch_up(&self) -> Result<u64, StoreError> {
        self.with(catch_up)
    }

    /// The ledger positions of the logged answers about subject `uscc`, newest first,
    /// after bringing the index up to the log. Blocking.
    pub fn positions(&self, uscc: &str) -> Result<Vec<i64>, StoreError> {
        self.with(|index, log| {
            catch_up(index, log)?;
            let mut stmt = index.prepare_cached(
                "SELECT global_sequence FROM query_subjects WHERE uscc = ?1 \
                 ORDER BY global_sequence DESC",
            )?;
            let rows = stmt.query_map([uscc], |r| r.get::<_, i64>(0))?;
            rows.collect()
        })
    }

    /// Runs `call` on this index on a blocking thread, for callers on the async runtime.
    pub async fn off_runtime<T: Send + 'static>(
        self: &std::sync::Arc<Self>,
        call: impl FnOnce(&QuerySubjectIndex) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let index = self.clone();
        tokio::task::spawn_blocking(move || call(&index))
            .await
            .map_err(|e| StoreError::Encoding(format!("the query index stopped: {e}")))?
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection, &Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut held = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        let (mut index, log) = match held.take() {
            Some(conns) => conns,
            None => {
                // the log first: a missing log makes no index file beside it
                let log = open_read_only(&self.log).map_err(store_error)?;
                (self.open_index().map_err(store_error)?, log)
            }
        };
        let out = f(&mut index, &log);
        if index.is_autocommit() && log.is_autocommit() {
            *held = Some((index, log));
        }
        out.map_err(store_error)
    }

    fn open_index(&self) -> rusqlite::Result<Connection> {
        // owner-only, like the database beside it (SQLite opens it either way)
        let _ = crate::db::create_private_file(&self.path);
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // page_size takes effect when the file is made (before WAL mode is set)
        conn.execute_batch(
            "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        )?;
        conn.execute_batch(SCHEMA)?;
        Ok(conn)
    }
}

fn catch_up(index: &mut Connection, log: &Connection) -> rusqlite::Result<u64> {
    loop {
        let tx = index.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let cursor: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT global_sequence, entry_hash FROM indexed_upto WHERE one = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // one read transaction of the log: the rows and the hash from one snapshot
        let snapshot = log.unchecked_transaction()?;
        let mut from = 0;
        if let Some((at, hash)) = cursor {
            if entry_hash(&snapshot, at)?.as_deref() == Some(hash.as_slice()) {
                from = at;
            } else {
                // not this log's index (or an older copy of the log): start again
                tx.execute_batch("DELETE FROM query_subjects; DELETE FROM indexed_upto;")?;
            }
        }
        let rows: Vec<(i64, String)> = {
            let mut stmt = snapshot.prepare_cached(
                "SELECT global_sequence, uscc FROM credit_queries \
                 WHERE global_sequence > ?1 ORDER BY global_sequence LIMIT ?2",
            )?;
            let rows = stmt.query_map((from, BATCH), |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(&(last, _)) = rows.last() else {
            tx.commit()?;
            return Ok(u64::try_from(from).unwrap_or(0));
        };
        let hash = entry_hash(&snapshot, last)?.unwrap_or_default();
        snapshot.finish()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO query_subjects (uscc, global_sequence) VALUES (?1, ?2)",
            )?;
            let mut sorted = rows.iter().collect::<Vec<_>>();
            sorted.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
            for (seq, uscc) in sorted {
                insert.execute((uscc, seq))?;
            }
        }
        tx.execute(
            "INSERT INTO indexed_upto (one, global_sequence, entry_hash) VALUES (1, ?1, ?2) \
             ON CONFLICT (one) DO UPDATE SET global_sequence = ?1, entry_hash = ?2",
            (last, hash),
        )?;
        tx.commit()?;
        if (rows.len() as i64) < BATCH {
            return Ok(u64::try_from(last).unwrap_or(0));
        }
    }
}

fn entry_hash(log: &Connection, at: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    log.prepare_cached("SELECT entry_hash FROM ledger WHERE global_sequence = ?1")?
        .query_row([at], |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_file(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("log.db");
        let c = Connection::open(&path).expect("open");
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE ledger (global_sequence INTEGER PRIMARY KEY, entry_hash BLOB NOT NULL);
             CREATE TABLE credit_queries (uscc TEXT NOT NULL, global_sequence BIGINT NOT NULL);",
        )
        .expect("schema");
        (path, c)
    }

    fn answer(c: &Connection, seq: i64, uscc: &str) {
        c.execute(
            "INSERT INTO ledger VALUES (?1, ?2)",
            (seq, format!("h{seq}").into_bytes()),
        )
        .expect("ledger");
        c.execute("INSERT INTO credit_queries VALUES (?1, ?2)", (uscc, seq))
            .expect("row");
    }

    #[test]
    fn finds_every_answer_including_those_logged_since_the_last_copy() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, c) = log_file(dir.path());
        let index = QuerySubjectIndex::new(&path);
        assert_eq!(index.catch_up().expect("empty"), 0);
        answer(&c, 1, "A");
        answer(&c, 2, "B");
        answer(&c, 3, "A");
        assert_eq!(index.catch_up().expect("copy"), 3);
        answer(&c, 4, "A");
        c.execute("INSERT INTO ledger VALUES (5, x'00')", [])
            .expect("another event");
        assert_eq!(index.positions("A").expect("search"), vec![4, 3, 1]);
        assert_eq!(index.positions("B").expect("search"), vec![2]);
        assert!(index.positions("C").expect("search").is_empty());
        // the file persists: a new handle starts from its cursor
        assert_eq!(QuerySubjectIndex::new(&path).catch_up().expect("again"), 4);
    }

    #[test]
    fn an_index_of_another_log_is_emptied_and_filled_again() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, c) = log_file(dir.path());
        answer(&c, 1, "A");
        answer(&c, 2, "B");
        QuerySubjectIndex::new(&path).catch_up().expect("copy");
        // the log replaced by another whose entry 2 differs (a restore, another file)
        drop(c);
        std::fs::remove_file(&path).expect("remove");
        let _ = std::fs::remove_file(dir.path().join("log.db-wal"));
        let _ = std::fs::remove_file(dir.path().join("log.db-shm"));
        let (path, c) = log_file(dir.path());
        answer(&c, 1, "A");
        c.execute("INSERT INTO ledger VALUES (2, x'ff')", [])
            .expect("ledger");
        c.execute("INSERT INTO credit_queries VALUES ('C', 2)", [])
            .expect("row");
        let index = QuerySubjectIndex::new(&path);
        assert!(index.positions("B").expect("search").is_empty());
        assert_eq!(index.positions("C").expect("search"), vec![2]);
        assert_eq!(index.positions("A").expect("search"), vec![1]);
    }

    #[test]
    fn copies_in_batches_past_the_batch_size() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, mut c) = log_file(dir.path());
        let tx = c.transaction().expect("tx");
        for seq in 1..=(BATCH + 5) {
            answer(&tx, seq, if seq % 2 == 0 { "E" } else { "O" });
        }
        tx.commit().expect("commit");
        let index = QuerySubjectIndex::new(&path);
        assert_eq!(index.catch_up().expect("copy"), (BATCH + 5) as u64);
        let odd = index.positions("O").expect("search");
        assert_eq!(odd.len() as i64, (BATCH + 5 + 1) / 2);
        assert_eq!(odd.first(), Some(&(BATCH + 5)));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(24))]
        /// Whatever the order of answers, copies and searches, a search returns exactly
        /// the subject's answers in the log, newest first.
        #[test]
        fn a_search_finds_what_a_scan_of_the_log_finds(
            steps in proptest::collection::vec((0u8..4, proptest::bool::ANY), 1..60)
        ) {
            let dir = tempfile::tempdir().expect("dir");
            let (path, c) = log_file(dir.path());
            let index = QuerySubjectIndex::new(&path);
            let mut logged: Vec<(i64, String)> = vec![];
            for (seq, (subject, copy)) in (1..).zip(steps) {
                let uscc = format!("S{subject}");
                answer(&c, seq, &uscc);
                logged.push((seq, uscc));
                if copy {
                    index.catch_up().expect("copy");
                }
                let asked = format!("S{}", seq % 4);
                let mut expected: Vec<i64> = logged
                    .iter()
                    .filter(|(_, u)| *u == asked)
                    .map(|(s, _)| *s)
                    .collect();
                expected.reverse();
                proptest::prop_assert_eq!(index.positions(&asked).expect("search"), expected);
            }
        }
    }

    #[test]
    fn a_missing_log_is_an_unavailable_database() {
        let dir = tempfile::tempdir().expect("dir");
        let index = QuerySubjectIndex::new(&dir.path().join("missing.db"));
        let e = index.catch_up();
        assert!(matches!(e, Err(ref e) if e.is_unavailable()), "{e:?}");
    }
}
