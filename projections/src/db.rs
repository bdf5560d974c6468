//! Which database the log lives in, how to reach it, and its schema.
//!
//! `--db` / `JIANXIN_DB` is a file path or `sqlite:` URL (SQLite, the embedded default)
//! or a `postgres://` URL. SQLite runs in WAL mode with `synchronous=FULL`, so a
//! committed fact survives power loss; writers take `BEGIN IMMEDIATE`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Executor;

use crate::ledger::append::PG_LEDGER_LOCK;
use crate::registry::AGGREGATE_NAMES;
use crate::StoreError;

/// The schema version this binary writes; raised with every schema change.
pub const SCHEMA_VERSION: i64 = 10;

/// Read-model tables (rebuildable; the service may rewrite them).
pub const READ_MODEL_TABLES: &[&str] = &[
    "reference_data_versions",
    "subject_versions",
    "inspector_versions",
    "inspector_relationships",
    "inspection_items",
    "implementation_rules_versions",
    "inspection_tasks",
    "task_assignments",
    "random_inspections",
    "inspection_results",
    "enforcement_cases",
    "credit_facts",
    "credit_entries",
    "credit_queries",
    "credit_penalties",
    "published_checkpoints",
    "scheduler_runs",
    "credit_subscriptions",
];

/// Where the log lives, parsed from `--db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbLocation {
    /// A SQLite file.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL URL (kept out of logs: it may hold a password).
    Postgres(String),
}

impl DbLocation {
    /// Parse `--db`: `postgres://…`/`postgresql://…`, `sqlite:PATH` / `sqlite://PATH`,
    /// or a plain file path.
    pub fn parse(s: &str) -> Result<DbLocation, StoreError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(StoreError::Config("--db is empty".into()));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DbLocation::Postgres(s.to_string()));
        }
        if let Some(rest) = s.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::Config("sqlite: URL names no file".into()));
            }
            return Ok(DbLocation::Sqlite(path.into()));
        }
        if s.contains("://") {
            return Err(StoreError::Config(format!(
                "unsupported database URL scheme in {:?}: expected a file path, sqlite: or postgres://",
                s.split("://").next().unwrap_or("")
            )));
        }
        Ok(DbLocation::Sqlite(s.into()))
    }

    /// A description safe to log (no password).
    pub fn redacted(&self) -> String {
        match self {
            DbLocation::Sqlite(p) => format!("sqlite:{}", p.display()),
            DbLocation::Postgres(url) => match url.split_once('@') {
                Some((_, host)) => format!("postgres://…@{host}"),
                None => url.clone(),
            },
        }
    }
}

/// Keep a released SQLite connection only when it is out of any transaction. A COMMIT that
/// fails on a full disk (`SQLITE_FULL`) is rolled back by SQLite itself, but sqlx still
/// counts the transaction, its ROLLBACK then fails, and every later `BEGIN IMMEDIATE` on
/// that connection fails with "attempted to call begin_with at non-zero transaction
/// depth": such a connection is closed, and the pool opens a fresh one.
async fn out_of_transaction(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    // the rollback of a transaction dropped uncommitted is queued on the connection's
    // worker: let it run before looking
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Database {
    /// SQLite, the embedded default.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Creates `path` empty, readable and writable by its owner only (0600 on Unix), unless
/// it exists: the SQLite files hold the whole log (names, credit queries, case clues),
/// and SQLite gives its `-wal` and `-shm` files the permissions of the database file.
pub fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

impl Database {
    /// Connect and apply the embedded schema.
    pub async fn connect(location: &DbLocation) -> Result<Database, StoreError> {
        let db = match location {
            DbLocation::Sqlite(path) => {
                // An unwritable place fails below with SQLite's own error, which names it.
                let _ = create_private_file(path);
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30));
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .after_release(|conn, _| Box::pin(out_of_transaction(conn)))
                    .connect_with(options)
                    .await?;
                Database::Sqlite(pool)
            }
            DbLocation::Postgres(url) => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Database::Postgres(pool)
            }
        };
        db.migrate().await?;
        Ok(db)
    }

    /// A pool of its own of one connection to the same database, opened when first used:
    /// a single writer that appends all the time (the credit query log's) then never
    /// waits for a connection behind the readers, nor they behind it.
    pub fn single_connection(&self) -> Database {
        match self {
            Database::Sqlite(pool) => Database::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .after_release(|conn, _| Box::pin(out_of_transaction(conn)))
                    .connect_lazy_with((*pool.connect_options()).clone()),
            ),
            Database::Postgres(pool) => Database::Postgres(
                PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_lazy_with((*pool.connect_options()).clone()),
            ),
        }
    }

    /// The schema version recorded in the database (0 when none).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT COALESCE(MAX(version), 0) FROM jianxin_schema";
        let r = match self {
            Database::Sqlite(p) => sqlx::query_scalar::<_, i64>(SQL).fetch_one(p).await,
            Database::Postgres(p) => sqlx::query_scalar::<_, i64>(SQL).fetch_one(p).await,
        };
        match r {
            Ok(v) => Ok(v),
            // no schema table yet: a fresh database
            Err(sqlx::Error::Database(_)) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Apply the schema unless it is already current — so a service role that holds only
    /// INSERT and SELECT (see [`Database::grant_service_role`]) never needs DDL rights.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let have = self.schema_version().await?;
        if have == SCHEMA_VERSION {
            return Ok(());
        }
        if have > SCHEMA_VERSION {
            return Err(StoreError::Config(format!(
                "the database schema is version {have}, newer than this binary's {SCHEMA_VERSION}: upgrade jianxin"
            )));
        }
        self.apply_schema().await
    }

    /// Apply the schema: the ledger, each aggregate's `<name>_events` table with its
    /// append-only triggers, and the read models. Every statement is idempotent.
    pub async fn apply_schema(&self) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                tx.execute(include_str!("schema/sqlite.sql")).await?;
                tx.execute(include_str!("schema/read_models.sql")).await?;
                // schema 10 moved it to a file of its own (store/query_subjects.rs)
                tx.execute("DROP INDEX IF EXISTS credit_queries_subject")
                    .await?;
                // and reads the answer from its event, not from a copy
                let copied: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pragma_table_info('credit_queries') WHERE name = 'answer'",
                )
                .fetch_one(&mut *tx)
                .await?;
                if copied > 0 {
                    tx.execute("ALTER TABLE credit_queries DROP COLUMN answer")
                        .await?;
                }
                for name in AGGREGATE_NAMES {
                    tx.execute(sqlite_events_ddl(name).as_str()).await?;
                }
                sqlx::query("INSERT OR IGNORE INTO jianxin_schema (version, applied_at) VALUES ($1, datetime('now'))")
                    .bind(SCHEMA_VERSION)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Database::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1, $2)")
                    .bind(PG_LEDGER_LOCK.0)
                    .bind(2)
                    .execute(&mut *conn)
                    .await?;
                let result = async {
                    conn.execute(include_str!("schema/postgres.sql")).await?;
                    conn.execute(include_str!("schema/read_models.sql")).await?;
                    // the query log by subject: an ordinary index here, where the WAL
                    // records rows (on SQLite, store/query_subjects.rs); since schema
                    // 10 the answer is read from its event, not from a copy
                    conn.execute(
                        "CREATE INDEX IF NOT EXISTS credit_queries_subject \
                         ON credit_queries (uscc, global_sequence); \
                         ALTER TABLE credit_queries DROP COLUMN IF EXISTS answer",
                    )
                    .await?;
                    crate::registry::run_esrs_migrations(pool).await?;
                    for name in AGGREGATE_NAMES {
                        conn.execute(pg_events_triggers(name).as_str()).await?;
                    }
                    sqlx::query("INSERT INTO jianxin_schema (version, applied_at) VALUES ($1, now()::text) ON CONFLICT DO NOTHING")
                        .bind(SCHEMA_VERSION)
                        .execute(&mut *conn)
                        .await?;
                    Ok::<(), StoreError>(())
                }
                .await;
                sqlx::query("SELECT pg_advisory_unlock($1, $2)")
                    .bind(PG_LEDGER_LOCK.0)
                    .bind(2)
                    .execute(&mut *conn)
                    .await?;
                result?;
            }
        }
        Ok(())
    }

    /// PostgreSQL only: let `role` (an existing login role) run the service with INSERT
    /// and SELECT on the ledger and the event tables — no UPDATE, DELETE or TRUNCATE, so
    /// even with the triggers dropped the service cannot rewrite history — and full
    /// rights on the read models, which are rebuildable. Run as the schema owner.
    pub async fn grant_service_role(&self, role: &str) -> Result<(), StoreError> {
        let Database::Postgres(pool) = self else {
            return Err(StoreError::Config(
                "service roles exist only on PostgreSQL; SQLite is protected by its triggers and file permissions".into(),
            ));
        };
        let valid = !role.is_empty()
            && role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(StoreError::Config(format!(
                "role {role:?}: expected a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)"
            )));
        }
        // DDL cannot bind parameters: `role` is validated as a plain identifier above,
        // and every table name comes from this binary's registry.
        // sql-safe: DDL cannot bind; `role` is checked as [a-z_][a-z0-9_]* above, tables come from the registry
        let mut sql = format!(
            "GRANT USAGE ON SCHEMA current_schema() TO {role}; \
             GRANT SELECT ON jianxin_schema TO {role}; \
             REVOKE ALL ON ledger FROM {role}; GRANT SELECT, INSERT ON ledger TO {role}; \
             GRANT SELECT, INSERT ON ledger_tree TO {role};"
        );
        sql = sql.replace("current_schema()", &current_schema(pool).await?);
        for name in AGGREGATE_NAMES {
            sql.push_str(&format!(
                " REVOKE ALL ON {name}_events FROM {role}; GRANT SELECT, INSERT ON {name}_events TO {role};"
            ));
        }
        for table in READ_MODEL_TABLES {
            sql.push_str(&format!(
                " GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role};"
            ));
        }
        pool.execute(sql.as_str()).await?;
        Ok(())
    }

    /// True when the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        match self {
            Database::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.is_ok(),
            Database::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.is_ok(),
        }
    }

    /// Close the pool (flushes SQLite's WAL on the last connection).
    pub async fn close(&self) {
        match self {
            Database::Sqlite(p) => p.close().await,
            Database::Postgres(p) => p.close().await,
        }
    }
}

async fn current_schema(pool: &PgPool) -> Result<String, StoreError> {
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(pool)
        .await?;
    // quote it as an identifier
    Ok(format!("\"{}\"", schema.replace('"', "\"\"")))
}

/// The events table of an aggregate on SQLite: esrs's columns, append-only.
fn sqlite_events_ddl(name: &str) -> String {
    // sql-safe: `name` is an aggregate's `NAME` constant from the registry
    format!(
        "CREATE TABLE IF NOT EXISTS {name}_events (
            id              TEXT    NOT NULL PRIMARY KEY,
            aggregate_id    TEXT    NOT NULL,
            payload         TEXT    NOT NULL,
            occurred_on     TEXT    NOT NULL,
            sequence_number INTEGER NOT NULL,
            version         INTEGER,
            CONSTRAINT {name}_events_aggregate_id_sequence_number UNIQUE (aggregate_id, sequence_number)
        );
        CREATE TRIGGER IF NOT EXISTS {name}_events_no_update BEFORE UPDATE ON {name}_events
        BEGIN SELECT RAISE(ABORT, '{name}_events is append-only: UPDATE refused'); END;
        CREATE TRIGGER IF NOT EXISTS {name}_events_no_delete BEFORE DELETE ON {name}_events
        BEGIN SELECT RAISE(ABORT, '{name}_events is append-only: DELETE refused'); END;"
    )
}

/// The append-only triggers of an aggregate's esrs table on PostgreSQL.
fn pg_events_triggers(name: &str) -> String {
    format!(
        "CREATE OR REPLACE TRIGGER {name}_events_append_only BEFORE UPDATE OR DELETE ON {name}_events
            FOR EACH ROW EXECUTE FUNCTION jianxin_append_only();
         CREATE OR REPLACE TRIGGER {name}_events_no_truncate BEFORE TRUNCATE ON {name}_events
            FOR EACH STATEMENT EXECUTE FUNCTION jianxin_append_only();
         REVOKE UPDATE, DELETE, TRUNCATE ON {name}_events FROM PUBLIC;"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_locations_parse() {
        assert_eq!(
            DbLocation::parse("./jianxin.db").ok(),
            Some(DbLocation::Sqlite("./jianxin.db".into()))
        );
        assert_eq!(
            DbLocation::parse("sqlite:///tmp/x.db?mode=rwc").ok(),
            Some(DbLocation::Sqlite("/tmp/x.db".into()))
        );
        assert!(matches!(
            DbLocation::parse("postgres://u:secret@h/db"),
            Ok(DbLocation::Postgres(_))
        ));
        assert!(DbLocation::parse("mysql://h/db").is_err());
        assert!(DbLocation::parse("  ").is_err());
        let redacted = DbLocation::parse("postgres://u:secret@h/db")
            .map(|l| l.redacted())
            .unwrap_or_default();
        assert!(!redacted.contains("secret"));
    }

    /// A schema-9 query log (the answer copied in a column, the index by subject in the
    /// file) is brought to schema 10, its rows kept, and a second start changes nothing.
    #[tokio::test]
    async fn schema_9_query_log_is_migrated_in_place() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("old.db");
        let old = rusqlite::Connection::open(&path).expect("open");
        old.execute_batch(
            "CREATE TABLE jianxin_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
             INSERT INTO jianxin_schema VALUES (9, '2026-12-01');
             CREATE TABLE credit_queries (query_id TEXT NOT NULL PRIMARY KEY, uscc TEXT NOT NULL,
                 scenario TEXT NOT NULL, valid_date TEXT NOT NULL, known_at TEXT NOT NULL,
                 requester TEXT NOT NULL, role TEXT NOT NULL, purpose TEXT NOT NULL,
                 decision TEXT NOT NULL, log_seq BIGINT NOT NULL, answer TEXT NOT NULL,
                 recorded_at TEXT NOT NULL, global_sequence BIGINT NOT NULL, feedback TEXT NOT NULL);
             CREATE INDEX credit_queries_subject ON credit_queries (uscc, global_sequence);
             INSERT INTO credit_queries VALUES ('q', 'S', 'subsidy', '2026-01-01', 'k', 'r',
                 'credit_officer', 'p', 'allowed', 1, '{}', 't', 1, '[]');",
        )
        .expect("schema 9");
        drop(old);
        for _ in 0..2 {
            let db = Database::connect(&DbLocation::Sqlite(path.clone()))
                .await
                .expect("migrated");
            assert_eq!(db.schema_version().await.expect("version"), SCHEMA_VERSION);
            db.close().await;
        }
        let now = rusqlite::Connection::open(&path).expect("open");
        let facts = |sql: &str| -> i64 { now.query_row(sql, [], |r| r.get(0)).expect(sql) };
        assert_eq!(
            facts("SELECT COUNT(*) FROM pragma_table_info('credit_queries') WHERE name = 'answer'"),
            0
        );
        assert_eq!(
            facts("SELECT COUNT(*) FROM sqlite_master WHERE name = 'credit_queries_subject'"),
            0
        );
        assert_eq!(
            facts("SELECT COUNT(*) FROM sqlite_master WHERE name = 'credit_queries_sequence'"),
            1
        );
        assert_eq!(
            facts("SELECT global_sequence FROM credit_queries WHERE query_id = 'q'"),
            1
        );
    }
}
