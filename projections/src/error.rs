//! Storage errors, kept apart from domain errors (esrs's two-layer result): a command
//! either fails as a rule refusal (the aggregate's own error) or as one of these.

/// What went wrong below the domain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the aggregate first (optimistic concurrency). HTTP 409.
    #[error("conflict: aggregate {aggregate_id} changed concurrently; reload and retry")]
    Conflict {
        /// The aggregate written concurrently.
        aggregate_id: uuid::Uuid,
    },
    /// The operation is refused by design (deleting or rewriting history). HTTP 403.
    #[error("refused: {0}")]
    Refused(String),
    /// The database could not be reached or failed. HTTP 503/500; CLI exit 4.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored payload or envelope could not be read or written.
    #[error("event encoding: {0}")]
    Encoding(String),
    /// A configuration value is invalid (e.g. an unknown database URL scheme). CLI exit 2.
    #[error("configuration: {0}")]
    Config(String),
    /// A database failure passed on as text to each caller of one shared commit (the
    /// credit query log's group commit), its kind kept. HTTP and CLI as the kind says.
    #[error("{message}")]
    Relayed {
        /// The original error's text.
        message: String,
        /// The original error's kind.
        failure: DbFailure,
    },
}

impl StoreError {
    /// True when the error is a unique-key violation (works on SQLite and PostgreSQL).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }

    /// What kind of database failure this is, or `None` when the error is not one (a
    /// conflict, a refusal, an encoding or configuration error).
    pub fn db_failure(&self) -> Option<DbFailure> {
        match self {
            StoreError::Database(e) => Some(classify(e)),
            StoreError::Relayed { failure, .. } => Some(*failure),
            _ => None,
        }
    }

    /// True when the database cannot be reached or is going away ([`DbFailure::Unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        self.db_failure() == Some(DbFailure::Unavailable)
    }

    /// True when the database's storage is full ([`DbFailure::StorageFull`]).
    pub fn is_storage_full(&self) -> bool {
        self.db_failure() == Some(DbFailure::StorageFull)
    }

    /// The error as text with its kind kept, for a failure that several callers share
    /// (one group commit): `sqlx::Error` cannot be cloned.
    pub fn relay(&self) -> StoreError {
        match self {
            StoreError::Conflict { aggregate_id } => StoreError::Conflict {
                aggregate_id: *aggregate_id,
            },
            StoreError::Refused(m) => StoreError::Refused(m.clone()),
            StoreError::Encoding(m) => StoreError::Encoding(m.clone()),
            StoreError::Config(m) => StoreError::Config(m.clone()),
            StoreError::Database(_) | StoreError::Relayed { .. } => StoreError::Relayed {
                message: self.to_string(),
                failure: self.db_failure().unwrap_or(DbFailure::Other),
            },
        }
    }
}

/// The kinds of database failure a caller answers differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// The database cannot be reached or is going away (a restart, a dropped connection or
    /// TLS handshake, no connection free within the pool's timeout), as opposed to
    /// refusing a statement:
    /// the same request can succeed later, unchanged. HTTP 503 with `Retry-After`.
    Unavailable,
    /// The database's storage is full, so nothing was written: SQLite's `SQLITE_FULL`
    /// ("database or disk is full") or PostgreSQL's `disk_full` (53100). HTTP 507; the
    /// CLI says so in words.
    StorageFull,
    /// Any other database failure. HTTP 500.
    Other,
}

fn classify(e: &sqlx::Error) -> DbFailure {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => DbFailure::Unavailable,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                match pg.code() {
                    PG_DISK_FULL => DbFailure::StorageFull,
                    code if is_pg_unavailable(code) => DbFailure::Unavailable,
                    _ => DbFailure::Other,
                }
            } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                && db
                    .code()
                    .and_then(|code| code.parse::<i32>().ok())
                    .is_some_and(|code| code & 0xff == SQLITE_FULL)
            {
                DbFailure::StorageFull
            } else {
                DbFailure::Other
            }
        }
        _ => DbFailure::Other,
    }
}

/// SQLite's primary result code for a full disk (`SQLITE_FULL`); extended codes keep it
/// in their low byte.
const SQLITE_FULL: i32 = 13;

/// PostgreSQL's SQLSTATE `disk_full`.
const PG_DISK_FULL: &str = "53100";

/// SQLSTATEs of a server that is unreachable or going away: class 08 (connection
/// exception), `admin_shutdown`, `crash_shutdown`, `cannot_connect_now` (starting up or
/// shutting down) and `too_many_connections`.
fn is_pg_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Encoding(e.to_string())
    }
}

impl From<jianxin_domain::event_log::EnvelopeError> for StoreError {
    fn from(e: jianxin_domain::event_log::EnvelopeError) -> Self {
        StoreError::Encoding(e.to_string())
    }
}

impl From<jianxin_domain::event_log::LedgerEntryError> for StoreError {
    fn from(e: jianxin_domain::event_log::LedgerEntryError) -> Self {
        StoreError::Encoding(e.to_string())
    }
}

impl From<esrs::store::postgres::PgStoreError> for StoreError {
    fn from(e: esrs::store::postgres::PgStoreError) -> Self {
        use esrs::store::postgres::PgStoreError as P;
        match e {
            P::Sqlx(e) => StoreError::Database(e),
            P::Json(e) => StoreError::Encoding(e.to_string()),
            P::Custom(e) => match e.downcast::<StoreError>() {
                Ok(inner) => *inner,
                Err(other) => StoreError::Encoding(other.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::*;

    #[tokio::test]
    async fn a_full_sqlite_database_is_storage_full_and_stays_so_when_relayed() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        for sql in ["CREATE TABLE t (x BLOB)", "PRAGMA max_page_count = 4"] {
            sqlx::query(sql).execute(&mut conn).await.expect(sql);
        }
        let full = sqlx::query("INSERT INTO t VALUES (zeroblob(1000000))")
            .execute(&mut conn)
            .await
            .expect_err("over max_page_count: SQLITE_FULL");
        let e = StoreError::Database(full);
        assert!(e.is_storage_full(), "{e}");
        assert!(!e.is_unavailable());
        let relayed = e.relay();
        assert_eq!(relayed.db_failure(), Some(DbFailure::StorageFull));
        assert_eq!(relayed.to_string(), e.to_string());
    }

    #[test]
    fn unreachable_databases_are_unavailable_and_other_failures_not() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(StoreError::Database(sqlx::Error::Io(reset)).is_unavailable());
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert!(StoreError::Database(sqlx::Error::Tls(Box::new(eof))).is_unavailable());
        let other = StoreError::Database(sqlx::Error::RowNotFound);
        assert_eq!(other.db_failure(), Some(DbFailure::Other));
        assert_eq!(StoreError::Encoding("x".into()).db_failure(), None);
        for (code, unavailable) in [
            ("08006", true),
            ("57P01", true),
            ("57P03", true),
            ("53300", true),
            ("23505", false),
            ("53100", false),
        ] {
            assert_eq!(is_pg_unavailable(code), unavailable, "{code}");
        }
    }
}
