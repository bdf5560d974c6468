//! The credit check over HTTP under load (issue 7), against the same service's
//! `/healthz` measured in the same run with the same load tool (`wrk`).
//!
//! ```text
//! cargo bench -p jianxin-api --bench credit_check -- [--entries N] [--seconds S] [--connections C]
//! ```
//!
//! The list entries are generated straight through the product's batch writer (the
//! credit-subject aggregate, its ledger entries and read models, all as in production)
//! into a SQLite file cached under `target/bench-credit/` keyed by N: one subject per
//! entry, lists serious/abnormal/red/focus in turn, entry days spread over 2020–2025.
//! The service runs in this process on 127.0.0.1 with the query log on (every answer is
//! an event in the ledger before it is returned, `synchronous=FULL`). `wrk` (Debian
//! package `wrk`) then runs, each for S seconds with C connections and 2 threads:
//!
//! 1. `GET /healthz` — the baseline;
//! 2. `GET /v1/credit/check` for subjects drawn from 10,000 of the seeded ones and 1,000
//!    never listed, scenario `government_procurement`, dates 2019–2027, with a credit
//!    officer's token;
//! 3. the same with 2 connections (a light load, for latency);
//! 4. `GET /v1/credit/subjects/{uscc}/entries` for the same subjects: the same reads
//!    (log position, rule and catalogue versions, the subject's facts, the fold) with no
//!    answer to log — what the query log costs is the difference to run 2;
//! 5. the check again at fixed rates, 25, 50 and 80 % of run 2's throughput, with `oha`
//!    (`cargo install oha`; skipped with a note when it is missing), each latency
//!    counted from the request's scheduled start (`--latency-correction`): the issue's
//!    "p99 at 80 % load", which `wrk` cannot hold.
//!
//! It prints throughput and latency percentiles of each and the check/healthz ratio. The
//! bench runs with the `jianxin` binary's allocator (mimalloc).
//! Results and their reading: docs/PERFORMANCE.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use jianxin_api::state::AppState;
use jianxin_api::{http, ops};
use jianxin_domain::credit::{credit_subject_id, CreditCommand, CreditRules, EnterList, ListId};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_domain::identifiers::{Uscc, USCC_ALPHABET};
use jianxin_domain::integrity::NoteSigner;
use jianxin_projections::{DbLocation, EventLog, SystemClock};
use uuid::Uuid;

/// The allocator the `jianxin` binary runs with (`api/src/bin/jianxin.rs`), so that the
/// bench measures what is served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    entries: u64,
    seconds: u64,
    connections: u64,
}

fn args() -> Args {
    let mut a = Args {
        entries: 1_000_000,
        seconds: 20,
        connections: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok());
        match flag.as_str() {
            "--entries" => a.entries = value().unwrap_or(a.entries),
            "--seconds" => a.seconds = value().unwrap_or(a.seconds),
            "--connections" => a.connections = value().unwrap_or(a.connections),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// The i-th subject: 91 + region 330102 + i in base 31 (9 characters) + check character.
fn uscc(i: u64) -> String {
    let alphabet: Vec<char> = USCC_ALPHABET.chars().collect();
    let mut code = ['0'; 9];
    let mut n = i;
    for c in code.iter_mut().rev() {
        *c = alphabet[(n % 31) as usize];
        n /= 31;
    }
    let body: String = format!("91330102{}", code.iter().collect::<String>());
    const W: [u64; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: u64 = body
        .chars()
        .zip(W)
        .map(|(c, w)| alphabet.iter().position(|a| *a == c).unwrap_or(0) as u64 * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    format!("{body}{}", alphabet[check as usize])
}

async fn seed(db: &Path, n: u64) -> anyhow::Result<()> {
    let partial = db.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let log = EventLog::open(&DbLocation::Sqlite(partial.clone())).await?;
    let officer = Actor::new("bench-officer", Role::CreditOfficer);
    let lists = [
        ListId::Serious,
        ListId::Abnormal,
        ListId::Red,
        ListId::Focus,
    ];
    let reasons = [
        "拒不履行行政处罚决定",
        "unreachable",
        "守合同重信用企业",
        "多次投诉举报",
    ];
    let start = Instant::now();
    let day0 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut i = 0;
    while i < n {
        let mut batch = log.batch::<jianxin_domain::credit::CreditSubject>().await?;
        let end = (i + 20_000).min(n);
        for k in i..end {
            let subject = Uscc::parse(&uscc(k)).map_err(|e| anyhow::anyhow!("{e}"))?;
            let which = (k % 4) as usize;
            let command = CreditCommand::Enter(
                subject.clone(),
                EnterList {
                    list: lists[which],
                    reason: reasons[which].into(),
                    legal_basis: "bench".into(),
                    entered_on: day0 + Duration::days((k % 2000) as i64),
                    rules: CreditRules::default(),
                    rule_version: "bench".into(),
                },
            );
            let meta = CommandMeta::new(Uuid::new_v4(), officer.clone(), now);
            batch
                .apply(credit_subject_id(&subject), Issued { meta, command })
                .await?
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        batch.commit().await?;
        i = end;
        if i % 100_000 == 0 || i == n {
            eprintln!(
                "seeded {i} entries in {:.0} s",
                start.elapsed().as_secs_f64()
            );
        }
    }
    log.database().close().await;
    std::fs::rename(&partial, db)?;
    Ok(())
}

struct Measured {
    rps: f64,
    p50: String,
    p90: String,
    p99: String,
    non2xx: u64,
}

fn wrk(
    url: &str,
    token: &str,
    script: Option<&Path>,
    seconds: u64,
    connections: u64,
) -> anyhow::Result<Measured> {
    // progress on stderr, so that a profiler can be started at a run's beginning
    let what = script.and_then(|s| s.file_stem()).and_then(|s| s.to_str());
    eprintln!(
        "{} wrk {url} {} c={connections} for {seconds} s",
        stamp(),
        what.unwrap_or("")
    );
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ])
    .args(["-H", &format!("Authorization: Bearer {token}")]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |prefix: &str| -> String {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_string()
    };
    let rps = field("Requests/sec:").parse().unwrap_or(0.0);
    let non2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses:"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    if rps == 0.0 {
        anyhow::bail!(
            "wrk printed no throughput: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(Measured {
        rps,
        p50: field("50%"),
        p90: field("90%"),
        p99: field("99%"),
        non2xx,
    })
}

/// The time of day, for the progress lines.
fn stamp() -> String {
    use jianxin_projections::Clock;
    SystemClock.now().format("%H:%M:%S").to_string()
}

/// The asked subjects: 10,000 of the seeded ones and 1,000 never listed.
fn asked(n: u64) -> Vec<String> {
    let seeded = (0..10_000u64).map(|k| uscc(k * (n / 10_000).max(1) % n.max(1)));
    seeded
        .chain((0..1_000u64).map(|k| uscc(n + 1 + k)))
        .collect()
}

/// The same questions as the wrk script, as a file of URLs for `oha`.
fn url_file(dir: &Path, base: &str, n: u64) -> anyhow::Result<PathBuf> {
    let mut lines = String::new();
    for (k, subject) in asked(n).iter().enumerate() {
        lines.push_str(&format!(
            "{base}/v1/credit/check?subject={subject}&scenario=government_procurement&date={}-06-01&purpose=bench\n",
            2019 + k % 9
        ));
    }
    let path = dir.join("check.urls");
    std::fs::write(&path, lines)?;
    Ok(path)
}

/// `oha` at a fixed total rate (`-q`), each latency counted from the request's
/// scheduled start (`--latency-correction`), so that a stall counts against every
/// request it delays. `None` when `oha` is not installed (`cargo install oha`).
fn oha(
    urls: &Path,
    token: &str,
    rate: u64,
    seconds: u64,
    connections: u64,
) -> anyhow::Result<Option<Measured>> {
    eprintln!(
        "{} oha {} q={rate} c={connections} for {seconds} s",
        stamp(),
        urls.display()
    );
    let out = Command::new("oha")
        .args([
            "--no-tui",
            "--output-format",
            "json",
            "--latency-correction",
            "--wait-ongoing-requests-after-deadline",
            "--urls-from-file",
            "-q",
            &rate.to_string(),
            "-c",
            &connections.to_string(),
            "-z",
            &format!("{seconds}s"),
            "-H",
            &format!("Authorization: Bearer {token}"),
        ])
        .arg(urls)
        .output();
    let out = match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other?,
    };
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        anyhow::anyhow!(
            "oha printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let ms = |p: &str| -> String {
        v["latencyPercentiles"][p]
            .as_f64()
            .map(|s| format!("{:.2}ms", s * 1000.0))
            .unwrap_or_else(|| "?".into())
    };
    let non2xx = v["statusCodeDistribution"]
        .as_object()
        .map(|codes| {
            codes
                .iter()
                .filter(|(code, _)| !code.starts_with('2'))
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0);
    let unanswered: u64 = v["errorDistribution"]
        .as_object()
        .map(|e| e.values().filter_map(|n| n.as_u64()).sum())
        .unwrap_or(0);
    Ok(Some(Measured {
        rps: v["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
        p50: ms("p50"),
        p90: ms("p90"),
        p99: ms("p99"),
        non2xx: non2xx + unanswered,
    }))
}

fn lua_script(dir: &Path, n: u64) -> anyhow::Result<PathBuf> {
    let subjects: Vec<String> = asked(n).iter().map(|s| format!("\"{s}\"")).collect();
    let script = format!(
        "local s = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  local subject = s[(i * 7919) % #s + 1]\n  local year = 2019 + (i % 9)\n  local path = string.format(\"/v1/credit/check?subject=%s&scenario=government_procurement&date=%d-06-01&purpose=bench\", subject, year)\n  return wrk.format(\"GET\", path)\nend\n",
        subjects.join(",")
    );
    let path = dir.join("check.lua");
    std::fs::write(&path, &script)?;
    // the same subjects read without an answer to log: the read path alone
    let entries = script
        .replace("/v1/credit/check?subject=%s&scenario=government_procurement&date=%d-06-01&purpose=bench", "/v1/credit/subjects/%s/entries?x=%d")
        .replace("string.format(\"/v1/credit/subjects/%s/entries?x=%d\", subject, year)", "string.format(\"/v1/credit/subjects/%s/entries\", subject)");
    std::fs::write(dir.join("entries.lua"), entries)?;
    Ok(path)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let a = args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-credit");
    std::fs::create_dir_all(&dir)?;
    let db = dir.join(format!("credit-{}.db", a.entries));
    if !db.exists() {
        seed(&db, a.entries).await?;
    }
    // the run appends the logged answers: work on a copy so runs start alike
    let run_db = dir.join("run.db");
    for ext in [
        "",
        "-wal",
        "-shm",
        ".query-index",
        ".query-index-wal",
        ".query-index-shm",
    ] {
        let _ = std::fs::remove_file(format!("{}{ext}", run_db.display()));
    }
    std::fs::copy(&db, &run_db)?;
    // on disk before the service starts: else the first checkpoint's sync of the file
    // waits for the whole copy (2.5 GB at 1M entries) and stalls the answers behind it
    std::fs::File::open(&run_db)?.sync_all()?;
    let log = EventLog::open(&DbLocation::Sqlite(run_db.clone())).await?;
    let signer = NoteSigner::generate("bench.jianxin.local", |s| s.copy_from_slice(&[7u8; 32]))?;
    let state = AppState::new(
        log,
        signer,
        std::sync::Arc::new(SystemClock),
        "bench.jianxin.local",
    );
    let admin = Actor::new("bench", Role::Admin);
    let token = ops::issue_token(
        &state,
        &admin,
        "bench-officer",
        Role::CreditOfficer,
        vec![],
        chrono::Duration::hours(2),
    )
    .await?
    .token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(http::serve(state, listener, std::future::pending()));
    let script = lua_script(&dir, a.entries)?;
    let (s, c) = (a.seconds, a.connections);
    let b = base.clone();
    let t = token.clone();
    let results =
        tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<(String, Measured)>> {
            Ok(vec![
                (
                    format!("healthz c={c}"),
                    wrk(&format!("{b}/healthz"), &t, None, s, c)?,
                ),
                (
                    format!("check c={c}"),
                    wrk(&format!("{b}/v1/credit/check"), &t, Some(&script), s, c)?,
                ),
                (
                    "healthz c=2".into(),
                    wrk(&format!("{b}/healthz"), &t, None, s, 2)?,
                ),
                (
                    "check c=2".into(),
                    wrk(&format!("{b}/v1/credit/check"), &t, Some(&script), s, 2)?,
                ),
                (
                    format!("entries c={c}"),
                    wrk(
                        &format!("{b}/"),
                        &t,
                        Some(&script.with_file_name("entries.lua")),
                        s,
                        c,
                    )?,
                ),
            ])
        })
        .await??;
    // the latency at fixed rates: 25, 50 and 80 % of the check's throughput just measured
    let mut results = results;
    if let Some(max) = results.get(1).map(|(_, m)| m.rps) {
        let urls = url_file(&dir, &base, a.entries)?;
        for share in [25u64, 50, 80] {
            let rate = ((max * share as f64 / 100.0).round() as u64).max(1);
            let (t, u) = (token.clone(), urls.clone());
            let fixed = tokio::task::spawn_blocking(move || oha(&u, &t, rate, s, c)).await??;
            match fixed {
                Some(m) => results.push((format!("check {share}% q={rate}"), m)),
                None => {
                    eprintln!("oha is not installed (cargo install oha): no fixed-rate runs");
                    break;
                }
            }
        }
    }
    server.abort();
    println!(
        "credit check over HTTP, {} list entries, {s} s per run, wrk -t2",
        a.entries
    );
    println!(
        "{:<16} {:>10} {:>9} {:>9} {:>9} {:>8}",
        "run", "req/s", "p50", "p90", "p99", "non-2xx"
    );
    for (name, m) in &results {
        println!(
            "{name:<16} {:>10.0} {:>9} {:>9} {:>9} {:>8}",
            m.rps, m.p50, m.p90, m.p99, m.non2xx
        );
    }
    if let (Some(h), Some(k)) = (results.first(), results.get(1)) {
        println!(
            "check / healthz throughput at c={c}: {:.1} %",
            100.0 * k.1.rps / h.1.rps
        );
    }
    Ok(())
}
