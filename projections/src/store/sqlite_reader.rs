//! Reads on the credit check's hot path, made on the calling thread (SQLite only).
//!
//! sqlx runs each SQLite connection on a worker thread of its own and hands it every
//! statement through a channel: two thread wake-ups per statement, which on this
//! project's 2-core machine cost more than the indexed lookup itself (see
//! docs/PERFORMANCE.md, "Credit check over HTTP"). The check asks one small question per
//! request, so it asks it here instead: read-only connections to the same file, kept in
//! a small pool, each statement prepared once and run synchronously by the caller. A
//! WAL-mode reader does not wait for writers, so the call is as short as the lookup.
//! Every write still goes through sqlx and the ledger; nothing here can write (the
//! connections are opened read-only).
//!
//! These connections and sqlx's must use the same SQLite library in the process (they
//! do: rusqlite and sqlx share the one bundled `libsqlite3-sys`, and Cargo's `links`
//! rule refuses a second copy in one build). SQLite keeps one record
//! per open file per library to hold POSIX locks across connections; two copies of the
//! library would each close their descriptors and release the other's locks.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{DbFailure, StoreError};

/// Idle connections kept for reuse (more may be open at once; the extra ones close).
const IDLE: usize = 8;

/// Read-only connections to one SQLite file.
#[derive(Debug)]
pub struct SqliteReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteReader {
    /// Connections to the database file at `path` (opened when first needed).
    pub fn new(path: &Path) -> SqliteReader {
        SqliteReader {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on a connection of the pool, on this thread.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let kept = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match kept {
            Some(conn) => conn,
            None => self.open().map_err(store_error)?,
        };
        let out = read(&conn).map_err(store_error)?;
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < IDLE {
                idle.push(conn);
            }
        }
        Ok(out)
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        open_read_only(&self.path)
    }
}

/// A read-only connection to the SQLite file at `path` (also the query index's, to read
/// the log it copies from).
pub(crate) fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // A WAL reader waits only in rare moments (recovery after a crash); never long.
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

/// A failed rusqlite call as a store error, its kind kept (as sqlx's errors are
/// classified).
pub(crate) fn store_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    let failure = match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => DbFailure::StorageFull,
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure,
        ) => DbFailure::Unavailable,
        _ => DbFailure::Other,
    };
    StoreError::Relayed {
        message: format!("database: {e}"),
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_on_the_calling_thread_and_cannot_write() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.db");
        let w = Connection::open(&path).expect("open");
        w.execute_batch(
            "PRAGMA journal_mode=wal; CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);",
        )
        .expect("setup");
        let r = SqliteReader::new(&path);
        let x: i64 = r
            .read(|c| c.query_row("SELECT x FROM t", [], |row| row.get(0)))
            .expect("read");
        assert_eq!(x, 7);
        // a connection is kept and reused; a new row written elsewhere is seen
        w.execute("INSERT INTO t VALUES (8)", []).expect("insert");
        let n: i64 = r
            .read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0)))
            .expect("read");
        assert_eq!(n, 2);
        assert_eq!(r.idle.lock().map(|i| i.len()).unwrap_or(0), 1);
        let refused = r.read(|c| c.execute("INSERT INTO t VALUES (9)", []));
        assert!(refused.is_err(), "read-only");
        // a missing file is a database failure of kind unavailable
        let gone = SqliteReader::new(&dir.path().join("missing.db"));
        let e = gone.read(|c| c.query_row("SELECT 1", [], |row| row.get::<_, i64>(0)));
        assert!(matches!(e, Err(ref e) if e.is_unavailable()), "{e:?}");
    }
}
