//! A mixed workload over HTTP for minutes on end (issue 11, "Load"): credit checks,
//! result recording, case steps and public reads at once, against the release `jianxin
//! serve` in its own process, with the server's memory read every second.
//!
//! ```text
//! cargo bench -p jianxin-api --bench mixed_load -- [--seconds S] [--backend sqlite|postgres]
//!     [--checkers N] [--inspectors N] [--case-officers N] [--readers N] [--keep]
//! ```
//!
//! Why a load tool of our own and not `wrk`: the writes are stateful. A result is recorded
//! once and then corrected, a case must go through its steps in order and each step names
//! the case the first one created, and every answer has to be told apart by kind (a
//! credit check from a case step) for its latency and its status. Each virtual user here
//! is one closed loop (the next request when the last one answered, no think time) on
//! one keep-alive connection, all on a single-threaded tokio runtime so that the load
//! tool takes at most one of the machine's two cores.
//!
//! Set-up, all through the real binary: `keygen`, `demo seed` (the demo's tokens, lists
//! and cases), a directory of 5,000 subjects and 100 inspectors imported, one task drawn
//! over it with a fixed beacon (1,000 subjects, teams of two), a token per inspector.
//! Then `jianxin serve` (scheduler on, as in production; webhooks off, no anonymous rate
//! limit: every public read comes from 127.0.0.1) and four kinds of user:
//!
//! - **checkers**: `GET /v1/credit/check` as the demo's credit officer, for a listed or
//!   unlisted subject, a scenario and a date in 2019–2027 (each answer is a query-log
//!   event in the ledger before it is returned);
//! - **inspectors**: each takes a share of the drawn subjects and records each one's
//!   result (`POST /v1/tasks/{id}/results`) as a member of its team, then goes round again
//!   recording corrections (`…/corrections`), alternating between two versions;
//! - **case officers**: open a case and take it through filing, evidence by two officers,
//!   the notice, the approving officer's decision, service, execution and closing, then
//!   the next case (8 writes per case);
//! - **readers**: anonymous public reads in turn: the task list, a task's published
//!   results, the results feed and the published checkpoints.
//!
//! It prints, per kind, the requests, throughput, p50/p90/p99/max latency and the
//! responses by class, then one line per minute (throughput, p99, 5xx, the server's
//! resident memory and the database's size), a least-squares slope of the memory over
//! the run after its first minute, and the result of `jianxin log verify` on the
//! database afterwards. Results and their reading: docs/RELIABILITY.md ("Load").

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jianxin_domain::credit::{MeasuresCatalogue, DEFAULT_MEASURES_CSV};
use jianxin_domain::identifiers::Uscc;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_jianxin");
const TASK: &str = "0192f0c4-6b1e-7c3a-9d2e-5a4b3c2d1e0f";
/// drand quicknet round 123's signature (`data/randomness-vectors.json`).
const ROUND_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
const EVIDENCE_SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

struct Args {
    seconds: u64,
    backend: String,
    checkers: usize,
    inspectors: usize,
    case_officers: usize,
    readers: usize,
    keep: bool,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        seconds: 600,
        backend: "sqlite".into(),
        checkers: 8,
        inspectors: 3,
        case_officers: 3,
        readers: 2,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut number = |name: &str| -> anyhow::Result<u64> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow!("{name} takes a whole number"))
        };
        match flag.as_str() {
            "--seconds" => a.seconds = number("--seconds")?,
            "--checkers" => a.checkers = number("--checkers")? as usize,
            "--inspectors" => a.inspectors = number("--inspectors")? as usize,
            "--case-officers" => a.case_officers = number("--case-officers")? as usize,
            "--readers" => a.readers = number("--readers")? as usize,
            "--backend" => {
                a.backend = it
                    .next()
                    .filter(|b| b == "sqlite" || b == "postgres")
                    .ok_or_else(|| anyhow!("--backend takes sqlite or postgres"))?
            }
            "--keep" => a.keep = true,
            // cargo bench passes --bench to every bench target
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

/// A valid USCC of an enterprise in `region` (GB 32100, with a GB 11714 organisation code).
fn uscc(region: &str, n: u32) -> String {
    let body = format!("{n:08}");
    let weights = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let c = 11 - sum % 11;
    let check = match c {
        10 => "X".to_owned(),
        11 => "0".to_owned(),
        c => c.to_string(),
    };
    let first = format!("91{region}{body}{check}");
    // the GB 32100 check character, as the product computes it
    let last = Uscc::check_character(&first).unwrap_or('0');
    format!("{first}{last}")
}

// ---- set-up through the binary ----------------------------------------------------------

struct Deployment {
    dir: PathBuf,
    db: String,
    key: PathBuf,
}

impl Deployment {
    fn command(&self, now: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.env("JIANXIN_DB", &self.db)
            .env("JIANXIN_KEY_FILE", &self.key)
            .env("RUST_LOG", "warn")
            .env_remove("JIANXIN_NOW")
            .args(args);
        if let Some(now) = now {
            c.env("JIANXIN_NOW", now);
        }
        c
    }

    /// Runs `jianxin args`, failing on a non-zero exit; its stdout.
    fn run(&self, now: Option<&str>, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .command(now, args)
            .output()
            .with_context(|| format!("running {BIN}"))?;
        if !out.status.success() {
            bail!(
                "jianxin {}: {}\n{}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn json(&self, now: Option<&str>, args: &[&str]) -> anyhow::Result<Value> {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let text = self.run(now, &all)?;
        serde_json::from_str(&text).with_context(|| format!("jianxin {}: not JSON", all.join(" ")))
    }

    /// The database's size on disk in bytes (SQLite: the file and its WAL; PostgreSQL:
    /// not read here, 0).
    fn db_bytes(&self) -> u64 {
        if self.db.starts_with("postgres") {
            return 0;
        }
        ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", self.db)).ok())
            .map(|m| m.len())
            .sum()
    }
}

fn write_directories(dir: &Path) -> anyhow::Result<()> {
    let mut subjects = String::from(
        "统一社会信用代码,企业名称,类型,行业,所属区域,成立日期,登记状态,信用风险分类,监管标签\n",
    );
    for i in 0..5000u32 {
        subjects.push_str(&format!(
            "{},杭州负载测试{i}号有限公司,企业,H6210,330106,2015-0{}-1{},存续,{},食品经营\n",
            uscc("330106", 60_000_000 + i),
            1 + i % 9,
            i % 10,
            ['A', 'B', 'C', 'D'][(i % 4) as usize]
        ));
    }
    std::fs::write(dir.join("subjects.csv"), subjects)?;
    let mut inspectors = String::from(
        "执法人员编号,姓名,所属部门,巡查区域,执法证号,发证日期,有效期至,资格,是否专家,人员状态\n",
    );
    for i in 0..100 {
        inspectors.push_str(&format!(
            "LD-{i:04},检查员{i},330100-SCJG,330105,3301002021{i:06},2021-03-01,2027-02-28,食品安全,否,在岗\n"
        ));
    }
    std::fs::write(dir.join("inspectors.csv"), inspectors)?;
    std::fs::write(
        dir.join("items.csv"),
        "事项编码,事项名称,抽查依据,抽查主体,抽查对象,抽查比例,抽查频次,检查方式,检查人员要求\n\
         LD-001,餐饮服务食品安全抽查（负载测试）,《中华人民共和国食品安全法》,330100-SCJG,企业,20%,1,现场检查,食品安全\n",
    )?;
    let task = json!({"id": TASK, "title": "负载测试抽查", "departments": ["330100-SCJG"],
        "items": ["LD-001"], "scope": {"regions": ["330106"]},
        "window_from": "2023-09-01", "window_to": "2023-09-30",
        "inspection_date": "2023-09-15", "team_size": 2});
    std::fs::write(dir.join("task.json"), task.to_string())?;
    Ok(())
}

/// A fresh database for the run: a SQLite file in `dir`, or a new PostgreSQL database.
fn fresh_db(backend: &str, dir: &Path) -> anyhow::Result<String> {
    if backend == "sqlite" {
        return Ok(dir.join("load.db").display().to_string());
    }
    let url = match std::env::var("JIANXIN_TEST_PG") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            let out = Command::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../scripts/ensure-postgres"
            ))
            .output()
            .context("scripts/ensure-postgres")?;
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        }
    };
    let name = format!("jx_load_{}", std::process::id());
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        let ok = Command::new("psql")
            .args([url.as_str(), "-qc", sql.as_str()])
            .status()
            .context("psql")?
            .success();
        if !ok {
            bail!("psql {url}: {sql} failed");
        }
    }
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// One drawn subject: its USCC, its team and a token of its first member.
struct Assignment {
    uscc: String,
    team: Vec<String>,
    token: String,
}

struct Setup {
    officer: String,
    approver: String,
    credit_officer: String,
    assignments: Vec<Assignment>,
}

fn set_up(d: &Deployment) -> anyhow::Result<Setup> {
    d.run(
        None,
        &[
            "keygen",
            "--out",
            &d.key.display().to_string(),
            "--name",
            "load.example/log",
        ],
    )?;
    let seeded = d.json(None, &["demo", "seed"])?;
    let token = |role: &str| -> anyhow::Result<String> {
        seeded["tokens"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["role"] == role))
            .and_then(|t| t["token"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no {role} token from demo seed"))
    };
    write_directories(&d.dir)?;
    for kind in ["subjects", "inspectors", "items"] {
        let file = d.dir.join(format!("{kind}.csv")).display().to_string();
        d.run(None, &["import", kind, &file, "--effective", "2023-01-01"])?;
    }
    let task_file = d.dir.join("task.json").display().to_string();
    d.run(
        Some("2023-08-20T01:00:00Z"),
        &["task", "create", "--file", &task_file],
    )?;
    d.run(
        Some("2023-08-23T15:10:00Z"),
        &["draw", "freeze", TASK, "--round", "123"],
    )?;
    d.run(
        Some("2023-08-23T15:16:00Z"),
        &[
            "draw",
            "beacon",
            TASK,
            "--round",
            "123",
            "--signature",
            ROUND_SIGNATURE,
        ],
    )?;
    d.run(Some("2023-08-23T15:17:00Z"), &["draw", "run", TASK])?;
    let mut by_uscc: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in 0..100 {
        let who = format!("LD-{i:04}");
        let mine = d.json(None, &["assignments", "--inspector", &who])?;
        for a in mine.as_array().into_iter().flatten() {
            if a["task_id"] != TASK {
                continue;
            }
            let (Some(u), Some(team)) = (a["uscc"].as_str(), a["team"].as_array()) else {
                bail!("an assignment without uscc or team: {a}");
            };
            let team = team
                .iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect();
            by_uscc.insert(u.to_owned(), team);
        }
    }
    let mut tokens: BTreeMap<String, String> = BTreeMap::new();
    let mut assignments = Vec::new();
    for (uscc, team) in by_uscc {
        let first = team
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("an empty team"))?;
        let token = match tokens.get(&first) {
            Some(t) => t.clone(),
            None => {
                let issued = d.json(
                    None,
                    &["token", "issue", "--role", "inspector", "--user", &first],
                )?;
                let t = issued["token"]
                    .as_str()
                    .ok_or_else(|| anyhow!("no token"))?
                    .to_owned();
                tokens.insert(first.clone(), t.clone());
                t
            }
        };
        assignments.push(Assignment { uscc, team, token });
    }
    if assignments.is_empty() {
        bail!("the draw assigned no subject");
    }
    Ok(Setup {
        officer: token("case_officer")?,
        approver: token("approving_officer")?,
        credit_officer: token("credit_officer")?,
        assignments,
    })
}

/// `jianxin serve` on a free port: the process and its base URL.
fn serve(d: &Deployment) -> anyhow::Result<(Child, String)> {
    let mut child = d
        .command(
            None,
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-webhooks",
                "--anonymous-rate-per-minute",
                "0",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(base) = line.strip_prefix("listening on ") {
            let base = base.trim().to_owned();
            // keep draining the server's stderr so that it never blocks on a full pipe
            std::thread::spawn(move || {
                for l in lines.map_while(Result::ok) {
                    if l.contains("ERROR") || l.contains("panicked") {
                        eprintln!("server: {l}");
                    }
                }
            });
            return Ok((child, base));
        }
    }
    bail!("jianxin serve ended before listening")
}

// ---- the load ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Check,
    Result,
    CaseStep,
    Public,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Check, Kind::Result, Kind::CaseStep, Kind::Public];
    fn name(self) -> &'static str {
        match self {
            Kind::Check => "credit check",
            Kind::Result => "result recording",
            Kind::CaseStep => "case step",
            Kind::Public => "public read",
        }
    }
}

/// One answered (or failed) request: when it was sent (ms into the run), its kind, its
/// status (0: no answer within 30 s or a broken connection) and its latency in µs.
#[derive(Clone, Copy)]
struct Sample {
    at_ms: u32,
    kind: Kind,
    status: u16,
    us: u32,
}

type Http = Client<HttpConnector, Full<Bytes>>;

struct User {
    client: Http,
    base: Rc<str>,
    start: Instant,
    until: Instant,
    samples: Vec<Sample>,
    rng: u64,
}

impl User {
    fn new(client: Http, base: Rc<str>, start: Instant, until: Instant, seed: u64) -> User {
        User {
            client,
            base,
            start,
            until,
            samples: Vec::new(),
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn done(&self) -> bool {
        Instant::now() >= self.until
    }

    fn next(&mut self, n: usize) -> usize {
        // xorshift64*: the load's choices need only be spread, not unpredictable
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }

    /// Sends one request; records it; the status and the body (empty when none).
    async fn send(
        &mut self,
        kind: Kind,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Bytes) {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let payload = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Bytes::from(b.to_string())
            }
            None => Bytes::new(),
        };
        let sent = Instant::now();
        let at_ms = sent.duration_since(self.start).as_millis() as u32;
        let (status, bytes) = match req.body(Full::new(payload)) {
            Err(_) => (0, Bytes::new()),
            Ok(req) => {
                let answer = tokio::time::timeout(Duration::from_secs(30), async {
                    let res = self.client.request(req).await.ok()?;
                    let status = res.status().as_u16();
                    let bytes = res.into_body().collect().await.ok()?.to_bytes();
                    Some((status, bytes))
                })
                .await;
                answer.ok().flatten().unwrap_or((0, Bytes::new()))
            }
        };
        let us = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        self.samples.push(Sample {
            at_ms,
            kind,
            status,
            us,
        });
        (status, bytes)
    }
}

async fn checker(
    mut u: User,
    token: Rc<str>,
    subjects: Rc<Vec<String>>,
    scenarios: Rc<Vec<String>>,
) -> Vec<Sample> {
    while !u.done() {
        let subject = &subjects[u.next(subjects.len())];
        let scenario = &scenarios[u.next(scenarios.len())];
        let date = format!(
            "{}-{:02}-{:02}",
            2019 + u.next(9),
            1 + u.next(12),
            1 + u.next(28)
        );
        let path = format!("/v1/credit/check?subject={subject}&scenario={scenario}&date={date}");
        let token = token.clone();
        u.send(Kind::Check, "GET", &path, Some(&token), None).await;
    }
    u.samples
}

fn result_content(team: &[String], corrected: bool) -> Value {
    json!({
        "category": if corrected { "corrected_on_order" } else { "no_problem" },
        "method": "on_site",
        "findings": [{"item": "LD-001", "department": "330100-SCJG",
                      "text": if corrected { "责令改正后复查合格" } else { "未发现问题" }}],
        "evidence": [{"name": "现场照片.jpg", "sha256": EVIDENCE_SHA256}],
        "members": team,
        "inspection_date": "2023-09-15",
        "follow_up": if corrected { "order_correction" } else { "none" },
    })
}

async fn inspector(mut u: User, mine: Vec<Rc<Assignment>>) -> Vec<Sample> {
    let mut round = 0usize;
    while !u.done() {
        for a in &mine {
            if u.done() {
                break;
            }
            if round == 0 {
                let body =
                    json!({"task": TASK, "uscc": a.uscc, "result": result_content(&a.team, false)});
                let path = format!("/v1/tasks/{TASK}/results");
                u.send(Kind::Result, "POST", &path, Some(&a.token), Some(&body))
                    .await;
            } else {
                let body = json!({"reason": format!("复查第{round}次"),
                                  "result": result_content(&a.team, round % 2 == 1)});
                let path = format!("/v1/tasks/{TASK}/results/{}/corrections", a.uscc);
                u.send(Kind::Result, "POST", &path, Some(&a.token), Some(&body))
                    .await;
            }
        }
        round += 1;
    }
    u.samples
}

async fn case_officer(
    mut u: User,
    officer: Rc<str>,
    approver: Rc<str>,
    subjects: Rc<Vec<String>>,
) -> Vec<Sample> {
    while !u.done() {
        let subject = subjects[u.next(subjects.len())].clone();
        let open = json!({"clue": "群众举报：销售过期食品（负载测试）", "subject": subject});
        let (status, body) = u
            .send(
                Kind::CaseStep,
                "POST",
                "/v1/cases",
                Some(&officer),
                Some(&open),
            )
            .await;
        let id = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned));
        let Some(id) = id.filter(|_| status == 201) else {
            continue;
        };
        let steps = format!("/v1/cases/{id}/steps");
        let approvals = format!("/v1/cases/{id}/approvals");
        let plan: [(&str, &Rc<str>, Value); 7] = [
            (&steps, &officer, json!({"step": "file"})),
            (
                &steps,
                &officer,
                json!({"step": "evidence", "name": "现场照片.jpg",
                                       "sha256": EVIDENCE_SHA256, "officers": ["ZF-D02"]}),
            ),
            (&steps, &officer, json!({"step": "notice"})),
            (
                &approvals,
                &approver,
                json!({"step": "decide", "violation": "SP-001",
                                            "tier": "ordinary", "amount_yuan": 10000}),
            ),
            (&steps, &officer, json!({"step": "serve"})),
            (
                &steps,
                &officer,
                json!({"step": "execute", "note": "罚款已缴纳"}),
            ),
            (&steps, &officer, json!({"step": "close"})),
        ];
        for (path, token, body) in plan {
            if u.done() {
                break;
            }
            let (status, _) = u
                .send(Kind::CaseStep, "POST", path, Some(token), Some(&body))
                .await;
            if status != 201 {
                break;
            }
        }
    }
    u.samples
}

async fn reader(mut u: User) -> Vec<Sample> {
    let paths = [
        "/v1/public/tasks".to_owned(),
        format!("/v1/public/tasks/{TASK}/results"),
        "/v1/public/results/feed.json".to_owned(),
        "/v1/public/checkpoints".to_owned(),
    ];
    let mut i = 0;
    while !u.done() {
        let path = paths[i % paths.len()].clone();
        u.send(Kind::Public, "GET", &path, None, None).await;
        i += 1;
    }
    u.samples
}

/// The server's resident set in KiB, from /proc.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The first three fields of /proc/loadavg (1, 5 and 15 minutes).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

/// Least-squares slope of `ys` over `xs`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-load"));
    let dir = root.join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let d = Deployment {
        db: fresh_db(&a.backend, &dir)?,
        key: dir.join("load.key"),
        dir: dir.clone(),
    };
    let t0 = Instant::now();
    let setup = set_up(&d)?;
    eprintln!(
        "set up in {:.1} s: demo seeded, 5,000 subjects, task {TASK} drawn, {} assignments",
        t0.elapsed().as_secs_f64(),
        setup.assignments.len()
    );
    let (mut child, base) = serve(&d)?;
    let pid = child.id();
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(drive(&a, &d, setup, base, pid));
    let _ = child.kill();
    let _ = child.wait();
    let verified = d.run(None, &["log", "verify"]);
    let outcome = outcome?;
    report(&a, &d, &outcome);
    match verified {
        Ok(out) => println!("log verify after the run: {}", out.trim()),
        Err(e) => println!("log verify after the run FAILED: {e}"),
    }
    if !a.keep {
        let _ = std::fs::remove_dir_all(&dir);
        if d.db.starts_with("postgres") {
            if let Some((_, name)) = d.db.rsplit_once('/') {
                let url = d.db.replace(name, "postgres");
                let _ = Command::new("psql")
                    .args([
                        url.as_str(),
                        "-qc",
                        &format!("DROP DATABASE IF EXISTS {name}"),
                    ])
                    .status();
            }
        }
    } else {
        println!("kept: {}", dir.display());
    }
    Ok(())
}

struct Outcome {
    samples: Vec<Sample>,
    /// (seconds into the run, server RSS KiB, database bytes)
    memory: Vec<(f64, u64, u64)>,
    seconds: f64,
    users: usize,
    /// /proc/loadavg at the start and at the end
    load: (String, String),
}

async fn drive(
    a: &Args,
    d: &Deployment,
    setup: Setup,
    base: String,
    pid: u32,
) -> anyhow::Result<Outcome> {
    let client: Http = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build_http();
    let base: Rc<str> = base.into();
    // subjects to ask about: the demo's listed ones (from the list snapshots) and the
    // imported directory, most of which are on no list
    let mut subjects: Vec<String> = Vec::new();
    let lists = ["abnormal", "serious", "red", "focus"];
    for (list, date) in lists
        .iter()
        .flat_map(|l| ["2023-06-01", "2024-06-01", "2025-06-01", "2026-06-01"].map(|d| (l, d)))
    {
        let uri = format!("{base}/v1/lists/{list}/snapshot?date={date}&format=json");
        let req = hyper::Request::get(uri)
            .header("authorization", format!("Bearer {}", setup.credit_officer))
            .body(Full::new(Bytes::new()))?;
        let res = client.request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!(
                "the {list} list's snapshot: {status} {}",
                String::from_utf8_lossy(&body)
            );
        }
        let v: Value = serde_json::from_slice(&body).context("a list snapshot")?;
        for e in v["entries"].as_array().into_iter().flatten() {
            if let Some(s) = e["subject"].as_str() {
                if !subjects.iter().any(|k| k == s) {
                    subjects.push(s.to_owned());
                }
            }
        }
    }
    let listed = subjects.len();
    // as many asks about listed subjects as about the others: the listed are few
    let mut others: Vec<String> = (0..2000).map(|i| uscc("330106", 60_000_000 + i)).collect();
    if listed > 0 {
        let repeated: Vec<String> = subjects
            .iter()
            .cycle()
            .take(others.len())
            .cloned()
            .collect();
        subjects = repeated;
    }
    subjects.append(&mut others);
    eprintln!("credit checks over {listed} listed subjects (half the checks) and 2,000 others");
    let subjects = Rc::new(subjects);
    // the scenarios of the default measures catalogue (the demo's)
    let scenarios = MeasuresCatalogue::parse(DEFAULT_MEASURES_CSV)
        .map_err(|e| anyhow!("the default measures catalogue: {e}"))?
        .scenarios();
    let scenarios = Rc::new(scenarios);
    let officer: Rc<str> = setup.officer.into();
    let approver: Rc<str> = setup.approver.into();
    let credit: Rc<str> = setup.credit_officer.into();
    let assignments: Vec<Rc<Assignment>> = setup.assignments.into_iter().map(Rc::new).collect();

    let load_start = load_average();
    let start = Instant::now();
    let until = start + Duration::from_secs(a.seconds);
    let local = tokio::task::LocalSet::new();
    let mut handles = Vec::new();
    let mut seed = 1u64;
    let mut user = || {
        seed += 1;
        User::new(client.clone(), base.clone(), start, until, seed)
    };
    for _ in 0..a.checkers {
        handles.push(local.spawn_local(checker(
            user(),
            credit.clone(),
            subjects.clone(),
            scenarios.clone(),
        )));
    }
    for i in 0..a.inspectors {
        let mine = assignments
            .iter()
            .skip(i)
            .step_by(a.inspectors)
            .cloned()
            .collect();
        handles.push(local.spawn_local(inspector(user(), mine)));
    }
    for _ in 0..a.case_officers {
        handles.push(local.spawn_local(case_officer(
            user(),
            officer.clone(),
            approver.clone(),
            subjects.clone(),
        )));
    }
    for _ in 0..a.readers {
        handles.push(local.spawn_local(reader(user())));
    }
    let users = handles.len();
    let memory = local
        .run_until(async {
            let mut memory = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut last_minute = 0;
            while Instant::now() < until {
                tick.tick().await;
                let s = start.elapsed().as_secs_f64();
                memory.push((s, rss_kib(pid).unwrap_or(0), d.db_bytes()));
                let minute = (s / 60.0) as u64;
                if minute > last_minute {
                    last_minute = minute;
                    eprintln!(
                        "{minute} min: server RSS {} MiB",
                        rss_kib(pid).unwrap_or(0) / 1024
                    );
                }
            }
            memory
        })
        .await;
    let mut samples = Vec::new();
    for h in handles {
        samples.extend(local.run_until(h).await?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let load = (load_start, load_average());
    Ok(Outcome {
        samples,
        memory,
        seconds,
        users,
        load,
    })
}

fn report(a: &Args, d: &Deployment, o: &Outcome) {
    println!(
        "mixed load, {} s, backend {}, {} users ({} checkers, {} inspectors, {} case officers, {} readers), closed loop",
        a.seconds, a.backend, o.users, a.checkers, a.inspectors, a.case_officers, a.readers
    );
    println!(
        "load average at the start: {}; at the end: {}",
        o.load.0, o.load.1
    );
    println!(
        "{:<18} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>6} {:>6} {:>7}",
        "kind",
        "requests",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "2xx",
        "4xx",
        "5xx",
        "no ans"
    );
    let line = |name: &str, of: &mut dyn Iterator<Item = &Sample>| {
        let picked: Vec<&Sample> = of.collect();
        let mut lat: Vec<u32> = picked.iter().map(|s| s.us).collect();
        lat.sort_unstable();
        let class = |lo: u16, hi: u16| {
            picked
                .iter()
                .filter(|s| s.status >= lo && s.status < hi)
                .count()
        };
        println!(
            "{:<18} {:>9} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>9.1} {:>8} {:>6} {:>6} {:>7}",
            name,
            picked.len(),
            picked.len() as f64 / o.seconds,
            percentile(&lat, 0.50),
            percentile(&lat, 0.90),
            percentile(&lat, 0.99),
            percentile(&lat, 1.0),
            class(200, 300),
            class(400, 500),
            class(500, 600),
            class(0, 1),
        );
    };
    for k in Kind::ALL {
        line(k.name(), &mut o.samples.iter().filter(|s| s.kind == k));
    }
    line("all", &mut o.samples.iter());
    let mut statuses: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    for s in o.samples.iter().filter(|s| !(200..300).contains(&s.status)) {
        *statuses.entry((s.kind.name(), s.status)).or_default() += 1;
    }
    for ((kind, status), n) in statuses {
        println!("  non-2xx: {kind} {status} × {n}");
    }
    println!(
        "{:>6} {:>8} {:>8} {:>6} {:>10} {:>10}",
        "minute", "req/s", "p99 ms", "5xx", "RSS MiB", "db MiB"
    );
    // whole minutes, and a last part-minute only when it is more than a second long
    let minutes = ((o.seconds - 1.0) / 60.0).ceil().max(1.0) as u32;
    for m in 0..minutes {
        let (lo, hi) = (m * 60_000, (m + 1) * 60_000);
        let mut lat: Vec<u32> = o
            .samples
            .iter()
            .filter(|s| s.at_ms >= lo && s.at_ms < hi)
            .map(|s| s.us)
            .collect();
        lat.sort_unstable();
        let errors = o
            .samples
            .iter()
            .filter(|s| s.at_ms >= lo && s.at_ms < hi && s.status >= 500)
            .count();
        let span = (o.seconds - f64::from(m) * 60.0).clamp(1.0, 60.0);
        let last = o.memory.iter().rfind(|p| p.0 < f64::from(m + 1) * 60.0);
        println!(
            "{:>6} {:>8.1} {:>8.2} {:>6} {:>10.1} {:>10.1}",
            m + 1,
            lat.len() as f64 / span,
            percentile(&lat, 0.99),
            errors,
            last.map_or(0.0, |p| p.1 as f64 / 1024.0),
            last.map_or(0.0, |p| p.2 as f64 / 1048576.0),
        );
    }
    let after_warmup: Vec<(f64, f64)> = o
        .memory
        .iter()
        .filter(|p| p.0 >= 60.0)
        .map(|p| (p.0 / 60.0, p.1 as f64 / 1024.0))
        .collect();
    let peak = o.memory.iter().map(|p| p.1).max().unwrap_or(0);
    println!(
        "server RSS after the first minute: {:.1} → {:.1} MiB, slope {:+.2} MiB/min (least squares), peak {:.1} MiB",
        after_warmup.first().map_or(0.0, |p| p.1),
        after_warmup.last().map_or(0.0, |p| p.1),
        slope(&after_warmup),
        peak as f64 / 1024.0
    );
    if !d.db.starts_with("postgres") {
        println!(
            "database on disk at the end: {:.1} MiB",
            d.db_bytes() as f64 / 1048576.0
        );
    }
}
