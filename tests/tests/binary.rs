//! Running the real `jianxin` binary against a database of the test's own: a SQLite file
//! in a temp dir, or a fresh PostgreSQL database dropped when the test passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::Executor;
use uuid::Uuid;

/// The `jianxin` binary of the profile these tests were built with (built by the test
/// command before the tests run).
pub fn jianxin_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    // target/<profile>/deps/e2e-… → target/<profile>/jianxin
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("jianxin");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p jianxin-api --bin jianxin` first (scripts/test does)",
        bin.display()
    );
    bin
}

/// A deployment under test: a temp dir (key file, files) and a database.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub db: String,
    pg: Option<(String, String)>,
}

/// Output of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Deployment {
    pub async fn new(pg: bool) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        if !pg {
            let db = dir.path().join("jianxin.db").display().to_string();
            return Deployment { dir, db, pg: None };
        }
        let admin = std::env::var("JIANXIN_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("jx_cli_{}", Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(&admin)
            .await
            .expect("PostgreSQL must run (JIANXIN_TEST_PG)");
        pool.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create db");
        pool.close().await;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin.clone());
        Deployment {
            dir,
            db: format!("{base}/{name}"),
            pg: Some((admin, name)),
        }
    }

    pub fn is_pg(&self) -> bool {
        self.pg.is_some()
    }

    /// Run `jianxin <args>` with this deployment's database and key.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("run jianxin").into()
    }

    /// `jianxin <args>` with this deployment's database and key, not yet started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(jianxin_bin());
        c.args(args)
            .env("JIANXIN_DB", &self.db)
            .env("JIANXIN_KEY_FILE", self.dir.path().join("jianxin.key"))
            .env("JIANXIN_ACTOR", "e2e-operator")
            .env_remove("JIANXIN_NOW")
            .current_dir(self.dir.path());
        c
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Raw SQL as the database owner (tampering).
    pub async fn sql(&self, sql: &str) {
        if self.is_pg() {
            let pool = sqlx::PgPool::connect(&self.db).await.expect("connect");
            pool.execute(sql).await.expect(sql);
            pool.close().await;
        } else {
            let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&self.db);
            let pool = sqlx::SqlitePool::connect_with(opts).await.expect("connect");
            pool.execute(sql).await.expect(sql);
            pool.close().await;
        }
    }

    pub async fn drop_triggers(&self) {
        if self.is_pg() {
            self.sql(
                "DROP TRIGGER ledger_append_only ON ledger; \
                 DROP TRIGGER reference_data_events_append_only ON reference_data_events; \
                 DROP TRIGGER access_grant_events_append_only ON access_grant_events;",
            )
            .await;
        } else {
            self.sql(
                "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete; \
                 DROP TRIGGER reference_data_events_no_update; DROP TRIGGER reference_data_events_no_delete; \
                 DROP TRIGGER access_grant_events_no_update; DROP TRIGGER access_grant_events_no_delete;",
            )
            .await;
        }
    }

    pub async fn finish(self) {
        if let Some((admin, name)) = self.pg {
            let pool = sqlx::PgPool::connect(&admin).await.expect("admin");
            pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .expect("drop");
            pool.close().await;
        }
    }
}

/// Run an async test body for the binary on both backends.
#[macro_export]
macro_rules! cli_on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let d = $crate::binary::Deployment::new(false).await;
                ($body)(d).await;
            }
            #[tokio::test]
            async fn postgres() {
                let d = $crate::binary::Deployment::new(true).await;
                ($body)(d).await;
            }
        }
    };
}
