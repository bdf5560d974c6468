//! Per-test databases: a SQLite file in a temp dir, or a fresh PostgreSQL database
//! dropped when the test succeeds.

use chrono::{TimeZone, Utc};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_domain::reference_data::{LoadReferenceData, ReferenceDataCommand, ReferenceKind};
use jianxin_projections::{Database, DbLocation, EventLog};
use sqlx::Executor;
use uuid::Uuid;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A test's own database.
pub struct TestDb {
    pub log: EventLog,
    #[allow(dead_code)]
    pub location: DbLocation,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server URL (a maintenance database); the test command sets it.
pub fn pg_admin_url() -> String {
    std::env::var("JIANXIN_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let location = DbLocation::Sqlite(dir.path().join("jianxin.db"));
                let log = EventLog::open(&location).await.expect("open sqlite");
                TestDb {
                    log,
                    location,
                    pg: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = pg_admin_url();
                let name = format!("jx_test_{}", Uuid::new_v4().simple());
                let pool = sqlx::PgPool::connect(&admin)
                    .await
                    .expect("PostgreSQL must be running: JIANXIN_TEST_PG");
                pool.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create db");
                pool.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                let location = DbLocation::Postgres(format!("{base}/{name}"));
                let log = EventLog::open(&location).await.expect("open postgres");
                TestDb {
                    log,
                    location,
                    pg: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }

    /// Run raw SQL (tampering, triggers) as the database owner.
    pub async fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self.log.database() {
            Database::Sqlite(p) => p.execute(sql).await.map(|_| ()),
            Database::Postgres(p) => p.execute(sql).await.map(|_| ()),
        }
    }

    /// Count rows.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match self.log.database() {
            Database::Sqlite(p) => sqlx::query_scalar(&sql).fetch_one(p).await.expect("count"),
            Database::Postgres(p) => sqlx::query_scalar(&sql).fetch_one(p).await.expect("count"),
        }
    }

    pub fn is_pg(&self) -> bool {
        self.pg.is_some()
    }

    /// Drop the PostgreSQL database (called at the end of a passing test).
    pub async fn finish(self) {
        self.log.database().close().await;
        if let Some((admin, name)) = self.pg {
            let pool = sqlx::PgPool::connect(&admin).await.expect("admin");
            pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .expect("drop db");
            pool.close().await;
        }
    }
}

/// A command loading reference data of `kind` with `content`.
pub fn load(kind: ReferenceKind, content: &str, command_id: Uuid) -> Issued<ReferenceDataCommand> {
    use sha2::Digest;
    let now = Utc
        .with_ymd_and_hms(2026, 3, 2, 8, 30, 0)
        .single()
        .expect("time");
    Issued {
        meta: CommandMeta::new(command_id, Actor::new("tester", Role::Admin), now),
        command: ReferenceDataCommand::Load(LoadReferenceData {
            kind,
            content: content.to_string(),
            digest: hex::encode(sha2::Sha256::digest(content.as_bytes())),
            rows: content.lines().count() as u32,
            source: "test".into(),
        }),
    }
}

/// Run the same async test body on both backends.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::helpers::TestDb::new($crate::helpers::Backend::Sqlite).await;
                ($body)(db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::helpers::TestDb::new($crate::helpers::Backend::Postgres).await;
                ($body)(db).await;
            }
        }
    };
}
