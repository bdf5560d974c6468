//! Append and verify throughput of the event log (issue "Foundation", §6), each figure
//! set against a baseline measured in the same run, because ratios hold on a noisy
//! machine where absolute figures do not.
//!
//! ```text
//! cargo bench -p jianxin-projections --bench append -- [--events N] [--pg URL] …
//! ```
//!
//! Append scenarios, each on a fresh database, single writer and `--writers`
//! concurrent writers (tokio tasks, each command on a fresh `AccessGrant` aggregate, so
//! one command = one event = one transaction):
//!
//! - SQLite baseline: `BEGIN IMMEDIATE; INSERT one row; COMMIT` into the very
//!   `access_grant_events` table of a migrated database, same pool and pragmas (WAL,
//!   `synchronous=FULL`), same payload bytes; no ledger.
//! - PostgreSQL baseline: esrs `PgStore<AccessGrant>` with no transactional handler (so
//!   no ledger), on a migrated database with the same pool settings, driven by
//!   `AggregateManager` (lock, load, decide, persist).
//! - jianxin, `EventLog::execute`: the one door (idempotency look-up, lock, load, decide,
//!   events + ledger + read models in one transaction, positions).
//! - jianxin, `LogStore` via `AggregateManager`: driven exactly like the PostgreSQL
//!   baseline, so the difference is the ledger (and the read models, none for
//!   `AccessGrant`).
//!
//! Then `ledger::verify` over a log filled with `--verify-events` events (batches of
//! 1000 events per `EventStore::persist`, real ledger entries), and the two jianxin
//! paths again on that large log (`--large-log-events` commands), to show whether append
//! cost grows with the log.
//!
//! Warm-up (`--warmup` commands, same writers) runs before each timed append scenario
//! and is excluded; each figure is the median of `--rounds` rounds, and the scenario
//! order rotates between rounds. Databases are created as `jx_bench_<uuid>` and SQLite
//! files in a temp dir; both are removed at the end. docs/PERFORMANCE.md holds results.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use esrs::manager::AggregateManager;
use esrs::store::postgres::{PgStore, PgStoreBuilder, UuidFormat};
use esrs::store::EventStore;
use esrs::{Aggregate, AggregateState};
use jianxin_domain::access::{
    AccessCommand, AccessEvent, AccessGrant, AccessGrantState, IssueToken,
};
use jianxin_domain::event_log::{format_micros, Actor, CommandMeta, Issued, Role};
use jianxin_projections::ledger;
use jianxin_projections::store::LogStore;
use jianxin_projections::{Clock, Database, DbLocation, EventLog, Executed, SystemClock};
use sqlx::{Executor, PgPool, Row as _};
use uuid::Uuid;

/// Errors of a bench binary: reported and the run fails; nothing matches on them.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: append [--events N] [--writers W] [--rounds R] [--warmup N] \
    [--verify-events N] [--pg-verify-events N] [--large-log-events N] [--pg URL] [--only sqlite|pg]";

/// Events per `EventStore::persist` call when filling the verify fixture.
const FILL_BATCH: usize = 1000;

/// What to run, from the command line (`cargo bench` adds `--bench`, ignored).
struct Args {
    /// Events appended per scenario and round, split between the writers.
    events: usize,
    /// Writers in the concurrent scenarios.
    writers: usize,
    /// Rounds; a figure is the median round, so one disturbed round does not move it.
    rounds: usize,
    /// Untimed commands before each timed scenario (connections opened, caches warm).
    warmup: usize,
    /// Size of the SQLite log that `ledger::verify` reads.
    verify_events: usize,
    /// Size of the PostgreSQL one (filling it costs four round trips per event).
    pg_verify_events: usize,
    /// Commands appended, per round, to the filled log (appends there can be slow).
    large_log_events: usize,
    /// A maintenance database on the server where `jx_bench_*` databases are made.
    pg: String,
    /// Run one backend only.
    only: Option<Backend>,
}

impl Args {
    fn parse(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut args = Args {
            events: 1000,
            writers: 8,
            rounds: 3,
            warmup: 100,
            verify_events: 100_000,
            pg_verify_events: 20_000,
            large_log_events: 200,
            pg: std::env::var("JIANXIN_TEST_PG")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            only: None,
        };
        while let Some(flag) = raw.next() {
            let mut value = || raw.next().ok_or_else(|| format!("{flag} needs a value"));
            let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag} {v:?}: {e}"));
            match flag.as_str() {
                "--bench" => {}
                "--help" | "-h" => return Err(String::new()),
                "--events" => args.events = number(value()?)?,
                "--writers" => args.writers = number(value()?)?,
                "--rounds" => args.rounds = number(value()?)?,
                "--warmup" => args.warmup = number(value()?)?,
                "--verify-events" => args.verify_events = number(value()?)?,
                "--pg-verify-events" => args.pg_verify_events = number(value()?)?,
                "--large-log-events" => args.large_log_events = number(value()?)?,
                "--pg" => args.pg = value()?,
                "--only" => {
                    args.only = Some(match value()?.as_str() {
                        "sqlite" => Backend::Sqlite,
                        "pg" | "postgres" => Backend::Postgres,
                        other => return Err(format!("--only {other:?}: expected sqlite or pg")),
                    })
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        if args.events == 0 || args.writers == 0 || args.rounds == 0 {
            return Err("--events, --writers and --rounds must be at least 1".into());
        }
        Ok(args)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// How an append is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Baseline,
    Execute,
    Manager,
}

impl Path {
    fn label(self, backend: Backend) -> &'static str {
        match (self, backend) {
            (Path::Baseline, Backend::Sqlite) => "baseline: BEGIN IMMEDIATE; INSERT; COMMIT",
            (Path::Baseline, Backend::Postgres) => "baseline: esrs PgStore, no ledger",
            (Path::Execute, _) => "jianxin: EventLog::execute",
            (Path::Manager, _) => "jianxin: LogStore via AggregateManager",
        }
    }
}

/// Where one append goes; shared by the writer tasks of a scenario.
enum Target {
    /// The SQLite baseline: a plain insert into the events table.
    SqliteInsert(sqlx::SqlitePool),
    /// The log's one door.
    Execute(EventLog),
    /// jianxin's store under esrs's manager.
    Manager(AggregateManager<LogStore<AccessGrant>>),
    /// The PostgreSQL baseline: esrs's own store under its manager.
    EsrsPg(AggregateManager<PgStore<AccessGrant>>),
}

impl Target {
    /// The target of `path` over a migrated log.
    async fn new(log: &EventLog, path: Path) -> Result<Target, BoxError> {
        Ok(match (path, log.database()) {
            (Path::Baseline, Database::Sqlite(pool)) => Target::SqliteInsert(pool.clone()),
            (Path::Baseline, Database::Postgres(pool)) => {
                let store = PgStoreBuilder::<AccessGrant>::new(pool.clone())
                    .with_event_id_format(UuidFormat::V7)
                    .try_build()
                    .await?;
                Target::EsrsPg(AggregateManager::new(store))
            }
            (Path::Execute, _) => Target::Execute(log.clone()),
            (Path::Manager, _) => {
                Target::Manager(AggregateManager::new(log.store::<AccessGrant>().clone()))
            }
        })
    }

    /// Issue one token: one command, one event, one transaction.
    async fn append_one(&self) -> Result<(), BoxError> {
        let now = SystemClock.now();
        let jti = Uuid::new_v4();
        let issued = issue_token(now);
        match self {
            Target::SqliteInsert(pool) => {
                let events = AccessGrant::handle_command(&AccessGrantState::default(), issued)?;
                let payload = events[0].to_payload()?.to_string();
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(
                    "INSERT INTO access_grant_events \
                     (id, aggregate_id, payload, occurred_on, sequence_number, version) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(Uuid::now_v7().to_string())
                .bind(jti.to_string())
                .bind(payload)
                .bind(format_micros(&events[0].recorded_at))
                .bind(1_i64)
                .bind(None::<i32>)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Target::Execute(log) => match log.execute::<AccessGrant, _>(jti, issued).await?? {
                Executed::Applied {
                    global_sequences, ..
                } if global_sequences.len() == 1 => {}
                other => return Err(format!("expected one new event, got {other:?}").into()),
            },
            Target::Manager(manager) => drive(manager, jti, issued).await?,
            Target::EsrsPg(manager) => drive(manager, jti, issued).await?,
        }
        Ok(())
    }
}

/// What `EventLog::execute` does minus the idempotency look-ups: lock, load, decide,
/// persist.
async fn drive<E>(
    manager: &AggregateManager<E>,
    id: Uuid,
    issued: Issued<AccessCommand>,
) -> Result<(), BoxError>
where
    E: EventStore<Aggregate = AccessGrant>,
    E::Error: Send + Sync + 'static,
{
    let state = manager.lock_and_load(id).await?.unwrap_or_default();
    manager.handle_command(state, issued).await??;
    Ok(())
}

fn issue_token(now: DateTime<Utc>) -> Issued<AccessCommand> {
    Issued {
        meta: CommandMeta::new(Uuid::new_v4(), Actor::new("bench-admin", Role::Admin), now),
        command: AccessCommand::Issue(IssueToken {
            user: "bench-inspector".into(),
            role: Role::Inspector,
            scopes: vec![],
            expires_at: now + chrono::Duration::days(30),
        }),
    }
}

/// `events` appends by `writers` concurrent tasks; the wall time of all of them.
async fn run(target: &Arc<Target>, events: usize, writers: usize) -> Result<Duration, BoxError> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let target = Arc::clone(target);
            let share = events / writers + usize::from(w < events % writers);
            tokio::spawn(async move {
                for _ in 0..share {
                    target.append_one().await?;
                }
                Ok::<(), BoxError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(start.elapsed())
}

/// One line of the result table; `times` has one entry per round.
struct Line {
    backend: Backend,
    label: String,
    writers: usize,
    events: usize,
    times: Vec<Duration>,
    /// Compared with the baseline of this backend and writer count.
    compare: bool,
}

impl Line {
    fn median(&self) -> Duration {
        let mut t = self.times.clone();
        t.sort();
        t[t.len() / 2]
    }

    fn rate(&self, t: Duration) -> f64 {
        self.events as f64 / t.as_secs_f64()
    }
}

/// The run: arguments, scratch space, and what was measured.
struct Bench {
    args: Args,
    /// SQLite files live here and go with it.
    dir: tempfile::TempDir,
    /// Numbers SQLite files so no scenario reuses another's.
    files: usize,
    /// The maintenance connection that creates and drops `jx_bench_*` databases.
    admin: Option<PgPool>,
    /// PostgreSQL databases created and not yet dropped (dropped even on failure).
    live: Vec<String>,
    lines: Vec<Line>,
}

impl Bench {
    fn backends(&self) -> Vec<Backend> {
        [Backend::Sqlite, Backend::Postgres]
            .into_iter()
            .filter(|b| self.args.only.is_none_or(|o| o == *b))
            .collect()
    }

    /// A fresh, migrated database on `backend`.
    async fn fresh(&mut self, backend: Backend) -> Result<DbLocation, BoxError> {
        match backend {
            Backend::Sqlite => {
                self.files += 1;
                Ok(DbLocation::Sqlite(
                    self.dir.path().join(format!("bench-{}.db", self.files)),
                ))
            }
            Backend::Postgres => {
                let admin = match &self.admin {
                    Some(admin) => admin.clone(),
                    None => {
                        let admin = PgPool::connect(&self.args.pg).await?;
                        self.admin = Some(admin.clone());
                        admin
                    }
                };
                let name = format!("jx_bench_{}", Uuid::new_v4().simple());
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await?;
                self.live.push(name.clone());
                let base = self
                    .args
                    .pg
                    .rsplit_once('/')
                    .map_or(self.args.pg.as_str(), |(b, _)| b);
                Ok(DbLocation::Postgres(format!("{base}/{name}")))
            }
        }
    }

    /// Close `db` and remove its database.
    async fn discard(&mut self, db: &Database, location: &DbLocation) -> Result<(), BoxError> {
        db.close().await;
        match location {
            DbLocation::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            DbLocation::Postgres(url) => {
                let name = url.rsplit('/').next().unwrap_or_default().to_string();
                if let Some(admin) = &self.admin {
                    admin
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await?;
                }
                self.live.retain(|n| *n != name);
            }
        }
        Ok(())
    }

    async fn cleanup(&mut self) {
        let Some(admin) = &self.admin else { return };
        for name in std::mem::take(&mut self.live) {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            if let Err(e) = admin.execute(sql.as_str()).await {
                eprintln!("append: could not drop {name}: {e}");
            }
        }
    }

    fn record(
        &mut self,
        backend: Backend,
        label: &str,
        writers: usize,
        events: usize,
        t: Duration,
        compare: bool,
    ) {
        match self
            .lines
            .iter_mut()
            .find(|r| r.backend == backend && r.label == label && r.writers == writers)
        {
            Some(row) => row.times.push(t),
            None => self.lines.push(Line {
                backend,
                label: label.into(),
                writers,
                events,
                times: vec![t],
                compare,
            }),
        }
    }

    /// One append scenario on a fresh database: warm up, then time `--events` appends.
    async fn append(
        &mut self,
        backend: Backend,
        path: Path,
        writers: usize,
    ) -> Result<(), BoxError> {
        let location = self.fresh(backend).await?;
        // The baselines use this migrated database's pool (same connect options) but
        // write no ledger.
        let log = EventLog::open(&location).await?;
        let target = Arc::new(Target::new(&log, path).await?);
        run(&target, self.args.warmup.max(writers), writers).await?;
        let t = run(&target, self.args.events, writers).await?;
        drop(target);
        self.discard(log.database(), &location).await?;
        self.record(
            backend,
            path.label(backend),
            writers,
            self.args.events,
            t,
            true,
        );
        Ok(())
    }

    /// Fill a log, time `ledger::verify` on it, then append to it.
    async fn verify(&mut self, backend: Backend) -> Result<(), BoxError> {
        let n = match backend {
            Backend::Sqlite => self.args.verify_events,
            Backend::Postgres => self.args.pg_verify_events,
        };
        let location = self.fresh(backend).await?;
        let log = EventLog::open(&location).await?;
        let fill = fill(&log, n).await?;
        self.record(
            backend,
            "fixture: EventStore::persist, 1000 events/call",
            1,
            n,
            fill,
            false,
        );
        let label = "jianxin: ledger::verify";
        for _ in 0..self.args.rounds {
            let start = Instant::now();
            let verified = ledger::verify(log.database(), None).await??;
            let t = start.elapsed();
            if verified.events != n as u64 {
                return Err(format!("verified {} events, expected {n}", verified.events).into());
            }
            self.record(backend, label, 1, n, t, false);
        }
        for path in [Path::Execute, Path::Manager] {
            let target = Arc::new(Target::new(&log, path).await?);
            let label = format!("{} on a {n}-event log", path.label(backend));
            for _ in 0..self.args.rounds {
                let t = run(&target, self.args.large_log_events, 1).await?;
                self.record(backend, &label, 1, self.args.large_log_events, t, true);
            }
        }
        self.discard(log.database(), &location).await
    }

    async fn run(&mut self) -> Result<(), BoxError> {
        self.describe().await?;
        let concurrency = if self.args.writers == 1 {
            vec![1]
        } else {
            vec![1, self.args.writers]
        };
        for round in 0..self.args.rounds {
            eprintln!("append: round {} of {}", round + 1, self.args.rounds);
            for backend in self.backends() {
                for &writers in &concurrency {
                    let mut paths = [Path::Baseline, Path::Execute, Path::Manager];
                    paths.rotate_left(round % 3);
                    for path in paths {
                        self.append(backend, path, writers).await?;
                    }
                }
            }
        }
        for backend in self.backends() {
            eprintln!("append: verify on {backend:?}");
            self.verify(backend).await?;
        }
        self.print();
        Ok(())
    }

    /// The settings that decide the figures, as the databases report them.
    async fn describe(&mut self) -> Result<(), BoxError> {
        let sample = AccessGrant::handle_command(
            &AccessGrantState::default(),
            issue_token(SystemClock.now()),
        )?;
        println!(
            "events/scenario {}, writers 1 and {}, rounds {} (median reported), warm-up {} commands, \
             payload {} bytes (AccessGrant TokenIssued envelope), tokio workers {}",
            self.args.events,
            self.args.writers,
            self.args.rounds,
            self.args.warmup,
            sample[0].to_payload()?.to_string().len(),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        );
        for backend in self.backends() {
            let location = self.fresh(backend).await?;
            let db = Database::connect(&location).await?;
            let settings: Vec<String> = match &db {
                Database::Sqlite(p) => {
                    let mut conn = p.acquire().await?;
                    let mut out = vec![];
                    for (name, sql) in [
                        ("sqlite", "SELECT sqlite_version()"),
                        ("journal_mode", "PRAGMA journal_mode"),
                        ("synchronous (2 = FULL)", "PRAGMA synchronous"),
                    ] {
                        let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
                        let value = row
                            .try_get::<String, _>(0)
                            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))?;
                        out.push(format!("{name} {value}"));
                    }
                    out
                }
                Database::Postgres(p) => {
                    let mut out = vec![
                        sqlx::query_scalar::<_, String>("SELECT version()")
                            .fetch_one(p)
                            .await?,
                    ];
                    for name in [
                        "fsync",
                        "synchronous_commit",
                        "wal_sync_method",
                        "full_page_writes",
                        "commit_delay",
                    ] {
                        let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
                            .fetch_one(p)
                            .await?;
                        out.push(format!("{name} {value}"));
                    }
                    out
                }
            };
            println!("{backend:?}: {}", settings.join(", "));
            self.discard(&db, &location).await?;
        }
        Ok(())
    }

    fn print(&self) {
        println!(
            "\n{:<8} {:<58} {:>7} {:>7} {:>8} {:>9} {:>17} {:>8}",
            "backend",
            "scenario",
            "writers",
            "events",
            "median s",
            "events/s",
            "range events/s",
            "ratio"
        );
        for row in &self.lines {
            let median = row.median();
            let (lo, hi) = row.times.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), t| {
                let r = row.rate(*t);
                (lo.min(r), hi.max(r))
            });
            let baseline = self.lines.iter().find(|b| {
                b.backend == row.backend
                    && b.label == Path::Baseline.label(row.backend)
                    && b.writers == row.writers
            });
            let ratio = match baseline {
                Some(b) if row.compare => {
                    format!("{:.2}", row.rate(median) / b.rate(b.median()))
                }
                _ => "-".into(),
            };
            println!(
                "{:<8} {:<58} {:>7} {:>7} {:>8.3} {:>9.0} {:>17} {:>8}",
                format!("{:?}", row.backend).to_lowercase(),
                row.label,
                row.writers,
                row.events,
                median.as_secs_f64(),
                row.rate(median),
                format!("{lo:.0}–{hi:.0}"),
                ratio,
            );
        }
    }
}

/// Append `n` events, `FILL_BATCH` per transaction, each batch one new aggregate.
async fn fill(log: &EventLog, n: usize) -> Result<Duration, BoxError> {
    let store = log.store::<AccessGrant>();
    let start = Instant::now();
    let mut left = n;
    while left > 0 {
        let k = left.min(FILL_BATCH);
        let now = SystemClock.now();
        let meta = CommandMeta::new(Uuid::new_v4(), Actor::new("bench-admin", Role::Admin), now);
        let event = AccessEvent::TokenIssued {
            user: "bench-inspector".into(),
            role: Role::Inspector,
            scopes: vec![],
            expires_at: (now + chrono::Duration::days(30))
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        let mut state = AggregateState::with_id(Uuid::new_v4());
        store
            .persist(&mut state, meta.stamp(vec![event; k]))
            .await?;
        left -= k;
    }
    Ok(start.elapsed())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("append: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("append: temp dir: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut bench = Bench {
        args,
        dir,
        files: 0,
        admin: None,
        live: vec![],
        lines: vec![],
    };
    let result = bench.run().await;
    bench.cleanup().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("append: {e}");
            ExitCode::FAILURE
        }
    }
}
