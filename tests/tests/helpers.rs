//! Per-test apps: each test gets its own SQLite file in a temp dir or its own fresh
//! PostgreSQL database (dropped when the test passes), a fixed clock, a generated key,
//! tokens for every role, and requests sent in-process through `router(state).oneshot`.
//! A test that cannot reach PostgreSQL fails; it never skips.

use std::sync::{Arc, Once};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use jianxin_api::{http, ops, AppState};
use jianxin_domain::event_log::{Actor, Role};
use jianxin_domain::integrity::NoteSigner;
use jianxin_projections::{DbLocation, EventLog, FixedClock};
use sqlx::Executor;
use tower::ServiceExt;
use uuid::Uuid;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The log's origin in test checkpoints.
pub const ORIGIN: &str = "jianxin.test/log";

/// The shipped working-day calendar.
pub const CALENDAR_CSV: &str = include_str!("../../data/calendar-cn-2018-2026.csv");

/// The time the test clock stands at.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 30, 0)
        .single()
        .expect("a valid time")
}

/// The PostgreSQL server URL (a maintenance database); the test command sets it.
pub fn pg_admin_url() -> String {
    std::env::var("JIANXIN_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Log to the test output when `TEST_LOG` is set (zero2prod's switch).
fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
                .with_test_writer()
                .try_init();
        }
    });
}

/// One test's app and the database under it.
pub struct TestApp {
    pub state: AppState,
    /// Built once: its clones share the metrics.
    pub router: axum::Router,
    #[allow(dead_code)]
    pub clock: FixedClock,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// An app over a database of its own.
pub async fn spawn_app(backend: Backend) -> TestApp {
    init_tracing();
    let (location, pg, dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let location = DbLocation::Sqlite(dir.path().join("jianxin.db"));
            (location, None, Some(dir))
        }
        Backend::Postgres => {
            let admin = pg_admin_url();
            let name = format!("jx_http_{}", Uuid::new_v4().simple());
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .expect("PostgreSQL must be running (JIANXIN_TEST_PG)");
            pool.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create the test database");
            pool.close().await;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            let location = DbLocation::Postgres(format!("{base}/{name}"));
            (location, Some((admin, name)), None)
        }
    };
    app_over(&location, pg, dir).await
}

/// The app over `location`, at the test clock, with the test key.
async fn app_over(
    location: &DbLocation,
    pg: Option<(String, String)>,
    dir: Option<tempfile::TempDir>,
) -> TestApp {
    let log = EventLog::open(location).await.expect("open the event log");
    let signer = NoteSigner::generate("test", |s| s.fill(7)).expect("a test key");
    let clock = FixedClock::at(test_now());
    let state = AppState::new(log, signer, Arc::new(clock.clone()), ORIGIN);
    TestApp {
        router: http::router(state.clone()),
        state,
        clock,
        pg,
        _dir: dir,
    }
}

/// An app over the SQLite file at `path`, which another process (the `jianxin` binary)
/// may use at the same time; the caller keeps the file's directory.
pub async fn app_on_file(path: &std::path::Path) -> TestApp {
    init_tracing();
    app_over(&DbLocation::Sqlite(path.to_path_buf()), None, None).await
}

/// The user id of the test tokens of `role`.
pub fn user_of(role: Role) -> String {
    format!("{role}-user")
}

impl TestApp {
    /// A fresh token for `role` (recorded as an event; external systems get the scope
    /// `government_procurement`), valid for an hour.
    pub async fn token(&self, role: Role) -> String {
        let scopes = match role {
            Role::ExternalSystem => vec!["government_procurement".to_string()],
            _ => vec![],
        };
        let issuer = Actor::new("test-setup", Role::Admin);
        let issued = ops::issue_token(
            &self.state,
            &issuer,
            &user_of(role),
            role,
            scopes,
            Duration::hours(1),
        )
        .await
        .expect("issue a token");
        issued.token
    }

    /// Send `req` in-process.
    pub async fn send(&self, req: Request<Body>) -> TestResponse {
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("read the response body")
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// `method path` with an optional bearer token and no body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>) -> TestResponse {
        self.send(
            request(method, path, token)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.call(Method::GET, path, token).await
    }

    /// `POST path` with a `text/csv` body.
    pub async fn post_csv(
        &self,
        path: &str,
        csv: impl Into<Body>,
        token: Option<&str>,
    ) -> TestResponse {
        let req = request(Method::POST, path, token)
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .body(csv.into())
            .expect("request");
        self.send(req).await
    }

    /// Entries in the ledger.
    pub async fn ledger_size(&self) -> u64 {
        let (count, _) =
            jianxin_projections::ledger::read::ledger_extent(self.state.log.database())
                .await
                .expect("count the ledger");
        u64::try_from(count).expect("a count")
    }

    /// Close the pool and drop the PostgreSQL database (end of a passing test).
    pub async fn finish(self) {
        self.state.log.database().close().await;
        if let Some((admin, name)) = self.pg {
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .expect("admin connection");
            pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .expect("drop the test database");
            pool.close().await;
        }
    }
}

/// A request builder for `method path`, with `Authorization: Bearer` when given a token.
pub fn request(method: Method, path: &str, token: Option<&str>) -> axum::http::request::Builder {
    let builder = Request::builder().method(method).uri(path);
    match token {
        Some(t) => builder.header(header::AUTHORIZATION, format!("Bearer {t}")),
        None => builder,
    }
}

/// A response, read whole.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Assert an RFC 9457 problem of `status` and `code`; return it.
    pub fn problem(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        let content_type = self.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/problem+json"),
            "{content_type}"
        );
        let p = self.json();
        assert_eq!(
            p["type"],
            format!("https://jianxin.local/problems/{code}"),
            "{p}"
        );
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["status"], status, "{p}");
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        assert!(p["errors"].is_array(), "{p}");
        p
    }
}

/// Run an `async fn(&TestApp)` on a fresh app over each backend; the PostgreSQL
/// database is dropped only when the body passes.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                super::$name(&app).await;
                app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await;
                super::$name(&app).await;
                app.finish().await;
            }
        }
    };
}
