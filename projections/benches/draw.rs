//! Freeze and draw over a large subject directory (issue "Scale"), against a baseline
//! measured in the same run: one pass that reads the pool as of the freeze date and
//! hashes its canonical text. Target: freeze + draw within 3× that baseline, peak memory
//! under 2 GiB.
//!
//! ```text
//! cargo bench -p jianxin-projections --bench draw -- [--subjects N] [--inspectors M] …
//! ```
//!
//! The directory is generated straight into the read-model tables of a SQLite file
//! (`subject_versions`, `inspector_versions`, `inspector_relationships`,
//! `random_inspections`), schema applied by `EventLog::open`, and cached under
//! `target/bench-draw/` keyed by N and M, so re-runs skip it. The generator is a pure
//! function of the row number (SplitMix64 words, no `rand` sampling API): USCCs carry
//! their GB 32100 check character, regions are the 90 county codes of Zhejiang (33),
//! risk classes A–D 40/45/12/3 %, 5 % not active, 3 % registered within six months of
//! the freeze date, 5 % with a standing random inspection by the task's department (2 %
//! inside the rules' 12-month window, so excluded; 3 % older, so their teams are
//! "previous draw" conflicts). Inspectors belong to five provincial departments
//! (市场监管 70 %); 85 % of 市场监管 hold the task item's qualification.
//!
//! Each phase runs in its own child process (this binary re-run with `--phase`), so the
//! peak resident set (`VmHWM`) is the phase's own; a phase still running after
//! `--timeout` seconds is killed and reported with the peak sampled so far. The
//! baseline runs first, in the middle and last; each phase's ratio is against the mean
//! of those runs, with the range against the slowest and the fastest (the machine is
//! shared, so the 1-minute load average is printed with each phase):
//!
//! - `baseline`: the freeze's directory query (same SQL, same driver), each row in the
//!   pool written as its canonical `subjects.csv` line into SHA-256, nothing kept. Its
//!   digest must equal the freeze's `subjects_sha256`: the same bytes were hashed.
//! - `freeze`: the steps of `api/src/tasks.rs::freeze` up to the command (history,
//!   `each_subject_as_of` through `SubjectSelection::consider`, inspectors,
//!   relationships, previous teams, `FrozenDraw::problems`, `FrozenTexts::of`, digests).
//! - `draw`: `freeze`, then `draw_from_seed` (seed SHA-256 of "bench", team size 2).
//! - `prefecture`: the same for a task scoped to 杭州市 (330100), about 14 % of the pool.
//! - `decide`: `freeze`, then what the task aggregate does with `FreezePool` (the texts
//!   read back into a second `FrozenDraw`, checked) and the stored JSON payload.
//! - `store`: on a copy of the database, `EventLog::execute` of `CreateTask` and then of
//!   `FreezePool`: the whole product freeze, event, ledger and read models included.
//!   Run by default only up to 1M subjects.
//!
//! Results and their reading: docs/PERFORMANCE.md.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Months, NaiveDate, Utc};
use esrs::Aggregate as _;
use futures::TryStreamExt;
use jianxin_domain::directory::{DepartmentCode, ItemCode, Qualification, Rules};
use jianxin_domain::draw::beacon::{quicknet_first_round_at_or_after, QUICKNET_CHAIN_HASH};
use jianxin_domain::draw::pool::SUBJECTS_HEADER;
use jianxin_domain::draw::{draw_from_seed, DrawError, FrozenDraw, FrozenTexts, Seed, TaskItem};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_domain::identifiers::{DivisionLevel, DivisionTable, RegionCode, Uscc, USCC_ALPHABET};
use jianxin_domain::task::eligibility::{
    previous_assignments, select_inspectors, select_relationships, FreezeBasis, SubjectSelection,
};
use jianxin_domain::task::{
    BeaconSchedule, CreateTask, Exclusion, FreezePool, InspectionTask, TaskCommand, TaskScope,
    TaskState,
};
use jianxin_projections::read_models::task_queries::{
    each_subject_as_of, inspection_history, inspectors_as_of, relationships_as_of,
};
use jianxin_projections::{Clock, Database, DbLocation, EventLog, Executed, SystemClock};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, Executor as _, Row as _, SqliteConnection};
use uuid::Uuid;

/// Errors of a bench binary: reported and the run fails; nothing matches on them.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: draw [--subjects N] [--inspectors M] [--phases LIST] \
    [--timeout SECONDS] [--cache DIR]\n  LIST: comma-separated, from baseline, freeze, draw, \
    prefecture, decide, store (default: baseline,freeze,draw,baseline,prefecture,decide, \
    then store when N <= 1000000, then baseline)";

/// Bump when the generator changes, so cached databases of the old one are not reused.
const GENERATOR_VERSION: u32 = 1;
/// The freeze's directory date, and the task's inspection window and date.
const AS_OF: (i32, u32, u32) = (2026, 11, 23);
const WINDOW: ((i32, u32, u32), (i32, u32, u32)) = ((2026, 12, 1), (2026, 12, 31));
const INSPECTION: (i32, u32, u32) = (2026, 12, 10);
/// The command time of the freeze (09:00 Beijing time on the directory date).
const FROZEN_AT: &str = "2026-11-23T01:00:00Z";
/// Province of the generated directory (浙江省) and the prefecture of the scoped task.
const PROVINCE: &str = "33";
const PREFECTURE: &str = "330100";
/// The task's department, item and the qualification the item requires.
const DEPARTMENT: &str = "330000-SCJG";
const ITEM: &str = "SCJG-00002";
const QUALIFICATION: &str = "食品安全";
/// Departments of the inspectors, per-mille weights, and the other qualifications held.
#[rustfmt::skip]
const DEPARTMENTS: &[(&str, u64, &[&str])] = &[
    ("330000-SCJG", 700, &["产品质量", "特种设备", "计量", "广告监管", "药品", "价格监督"]),
    ("330000-WSJK", 80, &["公共卫生", "医疗服务"]), ("330000-YJGL", 100, &["安全生产", "危险化学品"]),
    ("330000-STHJ", 70, &["环境监察"]), ("330000-MZ", 50, &["社会组织管理"]),
];
/// Rows per INSERT statement and per transaction when generating.
const ROWS_PER_INSERT: usize = 200;
const ROWS_PER_TRANSACTION: u64 = 250_000;

// ---------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------

/// What to run, from the command line (`cargo bench` adds `--bench`, ignored).
struct Args {
    /// Subjects in the directory.
    subjects: u64,
    /// Inspectors in the directory.
    inspectors: u64,
    /// Phases in order (parent only).
    phases: Vec<Phase>,
    /// A phase still running after this long is killed and reported as such.
    timeout: Duration,
    /// Where generated databases are kept (default `<target>/bench-draw`).
    cache: Option<PathBuf>,
    /// Set in a child: the phase to run, on `db`.
    phase: Option<Phase>,
    /// Set in a child: the generated database.
    db: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Baseline,
    Freeze,
    Draw,
    Prefecture,
    Decide,
    Store,
}

impl Phase {
    const ALL: [Phase; 6] = [
        Phase::Baseline,
        Phase::Freeze,
        Phase::Draw,
        Phase::Prefecture,
        Phase::Decide,
        Phase::Store,
    ];

    fn name(self) -> &'static str {
        match self {
            Phase::Baseline => "baseline",
            Phase::Freeze => "freeze",
            Phase::Draw => "draw",
            Phase::Prefecture => "prefecture",
            Phase::Decide => "decide",
            Phase::Store => "store",
        }
    }

    fn parse(s: &str) -> Result<Phase, String> {
        Phase::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown phase {s:?}"))
    }

    /// What the table calls it.
    fn label(self) -> &'static str {
        match self {
            Phase::Baseline => "baseline: read the pool, hash its text",
            Phase::Freeze => "freeze (api steps, no command)",
            Phase::Draw => "freeze + draw_from_seed",
            Phase::Prefecture => "freeze + draw, one prefecture",
            Phase::Decide => "freeze + aggregate check + payload",
            Phase::Store => "freeze via EventLog::execute",
        }
    }
}

impl Args {
    fn parse(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut args = Args {
            subjects: 10_000_000,
            inspectors: 20_000,
            phases: vec![],
            timeout: Duration::from_secs(1200),
            cache: None,
            phase: None,
            db: None,
        };
        while let Some(flag) = raw.next() {
            let mut value = || raw.next().ok_or_else(|| format!("{flag} needs a value"));
            let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag} {v:?}: {e}"));
            match flag.as_str() {
                "--bench" => {}
                "--help" | "-h" => return Err(String::new()),
                "--subjects" => args.subjects = number(value()?)?,
                "--inspectors" => args.inspectors = number(value()?)?,
                "--timeout" => args.timeout = Duration::from_secs(number(value()?)?),
                "--cache" => args.cache = Some(PathBuf::from(value()?)),
                "--phases" => {
                    args.phases = value()?
                        .split(',')
                        .map(Phase::parse)
                        .collect::<Result<_, _>>()?
                }
                "--phase" => args.phase = Some(Phase::parse(&value()?)?),
                "--db" => args.db = Some(PathBuf::from(value()?)),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        if args.subjects == 0 || args.inspectors == 0 {
            return Err("--subjects and --inspectors must be at least 1".into());
        }
        if args.subjects > MAX_SUBJECTS {
            return Err(format!("--subjects: at most {MAX_SUBJECTS}"));
        }
        if args.phases.is_empty() {
            use Phase::*;
            args.phases = vec![Baseline, Freeze, Draw, Baseline, Prefecture, Decide];
            if args.subjects <= 1_000_000 {
                args.phases.push(Store);
            }
            args.phases.push(Baseline);
        }
        Ok(args)
    }
}

// ---------------------------------------------------------------------------------
// The generated directory
// ---------------------------------------------------------------------------------

/// SplitMix64 words of one row: a pure function of (stream, row), so any row can be
/// rebuilt on its own (relationships and history name subjects by number).
struct Words(u64);

impl Words {
    fn new(stream: u64, row: u64) -> Words {
        Words(finalise(finalise(stream.wrapping_add(0x6a09_e667)) ^ row))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        finalise(self.0)
    }

    /// A number in `0..n` (multiply-shift; the bias, below n / 2^64, is irrelevant to a
    /// test-data generator).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let mut x = self.below(items.iter().map(|(_, w)| w).sum());
        for (item, weight) in items {
            if x < *weight {
                return item;
            }
            x -= weight;
        }
        &items[items.len() - 1].0
    }

    fn date_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = u64::try_from((to - from).num_days()).unwrap_or(0) + 1;
        from + chrono::Days::new(self.below(span))
    }
}

fn finalise(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn ymd((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `|a|b|`, the read models' list encoding, sorted.
fn bars<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let sorted: BTreeSet<&str> = items.into_iter().collect();
    let mut out = String::from("|");
    for item in sorted {
        out.push_str(item);
        out.push('|');
    }
    out
}

/// Positions 11-16 of a USCC come from the row number through a bijection of `0..31^6`
/// (as in `api/src/cli/generate.rs`), so this many subjects have distinct codes.
const MAX_SUBJECTS: u64 = 31u64.pow(6);
const SCRAMBLE: u64 = 387_420_489;

/// USCC positions 9-17 for row `i`: `MA`, six characters of the scrambled counter and
/// the GB 11714 check character over positions 9-16 (copied from `generate.rs`).
fn subject_code(i: u64) -> String {
    let alphabet = USCC_ALPHABET.as_bytes();
    let mut x = (i % MAX_SUBJECTS).wrapping_mul(SCRAMBLE % MAX_SUBJECTS) % MAX_SUBJECTS;
    let mut tail = ['0'; 6];
    for slot in tail.iter_mut().rev() {
        *slot = char::from(alphabet[(x % 31) as usize]);
        x /= 31;
    }
    let mut code = String::from("MA");
    code.extend(tail);
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = code
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(36).unwrap_or(0) * w)
        .sum();
    code.push(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    });
    code
}

/// A subject kind: its English name as stored, USCC positions 1-2, and industries with
/// the word a name uses for them.
type Kind = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
/// The kinds with per-mille weights.
#[rustfmt::skip]
const KINDS: &[(Kind, u64)] = &[
    (("enterprise", "91", &[("C1311", "粮油"), ("C3484", "机械"), ("C3971", "电子"), ("E4710", "建设"),
        ("F5137", "贸易"), ("G5430", "物流"), ("I6510", "科技"), ("K7020", "物业管理"), ("M7320", "工程技术")]), 560),
    (("individual_business", "92", &[("H6210", "餐饮店"), ("H6220", "小吃店"), ("F5211", "便利店"),
        ("F5232", "服装店"), ("O8051", "理发店"), ("O8111", "汽车维修部")]), 380),
    (("farmer_cooperative", "93", &[("A0111", "水稻"), ("A0164", "茶叶"), ("A0412", "水产养殖")]), 30),
    (("social_organisation", "51", &[("S9521", "餐饮行业协会"), ("S9542", "民营企业商会")]), 15),
    (("public_institution", "12", &[("Q8411", "人民医院"), ("P8341", "第一中学")]), 10),
    (("other", "Y1", &[("L7221", "经营部"), ("O8090", "服务部")]), 5),
];
#[rustfmt::skip]
const TRADE: &[&str] = &[
    "华", "恒", "鑫", "盛", "达", "源", "泰", "丰", "瑞", "安", "信", "德", "和", "兴", "嘉", "宏", "金", "新",
    "正", "明", "天", "远", "博", "通", "海", "龙", "顺", "利", "元", "凯",
];
#[rustfmt::skip]
const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡"];
#[rustfmt::skip]
const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"];
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "重点企业", "食品经营", "特种设备", "电子商务", "产品质量", "药品经营", "危险化学品", "广告发布", "小微企业", "外资企业",
];
const RISKS: &[(&str, u64)] = &[("A", 400), ("B", 450), ("C", 120), ("D", 30)];
const INACTIVE: &[(&str, u64)] = &[("revoked", 40), ("cancelled", 50), ("moved_out", 10)];

/// The counties of the province, and the prefectures' counties.
struct Geography {
    /// County code and its name without 区/县/市 (西湖区 → 西湖), in code order.
    counties: Vec<(String, String)>,
    /// County indexes by the code's first four digits.
    by_prefecture: BTreeMap<String, Vec<usize>>,
}

impl Geography {
    fn load() -> Geography {
        let mut counties = Vec::new();
        let mut by_prefecture: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for d in DivisionTable::default_table().iter() {
            let code = d.code.as_str();
            if d.level != DivisionLevel::County || !code.starts_with(PROVINCE) {
                continue;
            }
            by_prefecture
                .entry(code[..4].to_owned())
                .or_default()
                .push(counties.len());
            let name = match d.name.char_indices().last() {
                Some((at, c)) if d.name.chars().count() > 2 && "区县市".contains(c) => {
                    &d.name[..at]
                }
                _ => d.name.as_str(),
            };
            counties.push((code.to_owned(), name.to_owned()));
        }
        Geography {
            counties,
            by_prefecture,
        }
    }
}

/// One `subject_versions` row: the columns in table order after `uscc`.
struct SubjectRow {
    uscc: String,
    name: String,
    kind: &'static str,
    industry: &'static str,
    region: String,
    registered: String,
    status: &'static str,
    risk: &'static str,
    tags: String,
}

fn person(w: &mut Words) -> String {
    let mut name = String::from(*w.pick(SURNAMES));
    name.push_str(w.pick::<&str>(GIVEN));
    if w.below(10) < 6 {
        name.push_str(w.pick::<&str>(GIVEN));
    }
    name
}

fn subject(geo: &Geography, i: u64) -> Result<SubjectRow, BoxError> {
    let mut w = Words::new(1, i);
    let (kind, prefix, trades) = *w.weighted(KINDS);
    let (region, place) = w.pick(&geo.counties);
    let first17 = format!("{prefix}{region}{}", &subject_code(i)[..9]);
    let uscc = format!("{first17}{}", Uscc::check_character(&first17)?);
    let (industry, word) = *w.pick(trades);
    let (t1, t2) = (*w.pick(TRADE), *w.pick(TRADE));
    let name = match kind {
        "enterprise" => format!("{place}{t1}{t2}{word}有限公司"),
        "individual_business" => format!("{place}{}{word}", person(&mut w)),
        "farmer_cooperative" => format!("{place}{t1}{t2}{word}专业合作社"),
        _ => format!("{place}{word}"),
    };
    let as_of = ymd(AS_OF);
    let recent_from = as_of - Months::new(6) + chrono::Days::new(1);
    let registered = if w.below(1000) < 30 {
        w.date_between(recent_from, as_of)
    } else {
        // more recent registrations than old ones: the later of two uniform days
        let a = w.date_between(ymd((1995, 1, 1)), recent_from.pred_opt().unwrap_or(as_of));
        let b = w.date_between(ymd((1995, 1, 1)), recent_from.pred_opt().unwrap_or(as_of));
        a.max(b)
    };
    let status = if w.below(1000) < 50 {
        *w.weighted(INACTIVE)
    } else {
        "active"
    };
    let risk = *w.weighted(RISKS);
    let tags = match w.below(100) {
        0..=69 => "|".to_owned(),
        70..=94 => bars([*w.pick(TAGS)]),
        _ => bars([*w.pick(TAGS), *w.pick(TAGS)]),
    };
    Ok(SubjectRow {
        uscc,
        name,
        kind,
        industry,
        region: region.clone(),
        registered: day(registered),
        status,
        risk,
        tags,
    })
}

/// One `inspector_versions` row.
struct InspectorRow {
    id: String,
    name: String,
    department: &'static str,
    patrol_areas: String,
    certificate: String,
    issued: String,
    expires: String,
    qualifications: String,
    expert: i64,
    status: &'static str,
}

fn inspector(geo: &Geography, j: u64) -> InspectorRow {
    let mut w = Words::new(2, j);
    let weights: Vec<(usize, u64)> = DEPARTMENTS
        .iter()
        .enumerate()
        .map(|(at, (_, weight, _))| (at, *weight))
        .collect();
    let (department, _, others) = DEPARTMENTS[*w.weighted(&weights)];
    let mut qualifications: Vec<&str> = vec![];
    if department == DEPARTMENT && w.below(100) < 85 {
        qualifications.push(QUALIFICATION);
    }
    for _ in 0..w.below(3) {
        qualifications.push(*w.pick(others));
    }
    let county = w.below(geo.counties.len() as u64) as usize;
    let mut areas = vec![geo.counties[county].0.as_str()];
    if let Some(near) = geo.by_prefecture.get(&geo.counties[county].0[..4]) {
        for _ in 0..w.below(3) {
            areas.push(&geo.counties[*w.pick(near)].0);
        }
    }
    // about one certificate in eight has expired (issued more than six years ago)
    let issued = if w.below(1000) < 120 {
        w.date_between(ymd((2013, 1, 1)), ymd((2019, 6, 30)))
    } else {
        w.date_between(ymd((2020, 1, 1)), ymd((2025, 12, 31)))
    };
    let expires = (issued + Months::new(72)).pred_opt().unwrap_or(issued);
    let status = *w.weighted(&[("active", 900), ("suspended", 40), ("retired", 60)]);
    InspectorRow {
        id: format!("{department}-{:07}", j + 1),
        name: person(&mut w),
        department,
        patrol_areas: bars(areas),
        certificate: format!("ZJ{}{:07}", issued.format("%Y"), j + 1),
        issued: day(issued),
        expires: day(expires),
        qualifications: bars(qualifications),
        expert: i64::from(w.below(100) < 8),
        status,
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows.
fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        sql.push_str(&vec!["?"; columns.len()].join(", "));
        sql.push(')');
    }
    sql
}

const SUBJECT_COLUMNS: &[&str] = &[
    "uscc",
    "valid_from",
    "valid_to",
    "name",
    "kind",
    "industry",
    "region",
    "registration_date",
    "status",
    "risk_class",
    "tags",
    "global_sequence",
];

async fn insert_subjects(
    conn: &mut SqliteConnection,
    rows: &[(u64, SubjectRow)],
) -> Result<(), BoxError> {
    let sql = insert_sql("subject_versions", SUBJECT_COLUMNS, rows.len());
    let mut q = sqlx::query(&sql);
    for (i, r) in rows {
        q = q
            .bind(&r.uscc)
            .bind(&r.registered)
            .bind(None::<String>)
            .bind(&r.name)
            .bind(r.kind)
            .bind(r.industry)
            .bind(&r.region)
            .bind(&r.registered)
            .bind(r.status)
            .bind(r.risk)
            .bind(&r.tags)
            .bind(*i as i64 + 1);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Writes the directory into a fresh database at `path` (via a `.partial` file, renamed
/// when complete).
async fn generate(path: &Path, n: u64, m: u64) -> Result<(), BoxError> {
    let partial = path.with_extension("partial");
    remove_db(&partial);
    let log = EventLog::open(&DbLocation::Sqlite(partial.clone())).await?;
    log.database().close().await;
    let options = SqliteConnectOptions::new()
        .filename(&partial)
        .journal_mode(SqliteJournalMode::Delete)
        .synchronous(SqliteSynchronous::Off)
        .pragma("cache_size", "-2097152");
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let geo = Geography::load();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(ROWS_PER_INSERT);
    conn.execute("BEGIN").await?;
    for i in 0..n {
        batch.push((i, subject(&geo, i)?));
        if batch.len() == ROWS_PER_INSERT || i + 1 == n {
            insert_subjects(&mut conn, &batch).await?;
            batch.clear();
        }
        if (i + 1) % ROWS_PER_TRANSACTION == 0 || i + 1 == n {
            conn.execute("COMMIT; BEGIN").await?;
            if (i + 1) % (ROWS_PER_TRANSACTION * 8) == 0 {
                eprintln!(
                    "draw: generated {} subjects in {:.0} s",
                    i + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let mut task_department = vec![];
    for j in 0..m {
        let r = inspector(&geo, j);
        if r.department == DEPARTMENT {
            task_department.push(r.id.clone());
        }
        sqlx::query(
            "INSERT INTO inspector_versions (inspector_id, valid_from, valid_to, name, department, \
             patrol_areas, certificate_number, certificate_issued_on, certificate_expires_on, \
             qualifications, expert, status, global_sequence) \
             VALUES (?, '2020-01-01', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&r.id)
        .bind(&r.name)
        .bind(r.department)
        .bind(&r.patrol_areas)
        .bind(&r.certificate)
        .bind(&r.issued)
        .bind(&r.expires)
        .bind(&r.qualifications)
        .bind(r.expert)
        .bind(r.status)
        .bind((n + j) as i64 + 1)
        .execute(&mut conn)
        .await?;
        // about three inspectors in ten declared a relationship with some subject
        let mut w = Words::new(3, j);
        if w.below(10) < 3 {
            let uscc = subject(&geo, w.below(n))?.uscc;
            sqlx::query(
                "INSERT OR IGNORE INTO inspector_relationships (inspector_id, uscc, relation, declared_on) \
                 VALUES (?, ?, 'relative', '2025-01-01')",
            )
            .bind(&r.id)
            .bind(uscc)
            .execute(&mut conn)
            .await?;
        }
    }
    // standing random inspections by the task's department: 3 % long ago (their teams
    // are previous-draw conflicts), 2 % inside the 12-month window (excluded)
    let past = [
        ("00000000-0000-4000-8000-000000000001", "2025-05-15"),
        ("00000000-0000-4000-8000-000000000002", "2026-03-15"),
    ];
    for i in 0..n {
        let mut w = Words::new(4, i);
        let which = match w.below(1000) {
            0..=29 => 0,
            30..=49 => 1,
            _ => continue,
        };
        if task_department.len() < 2 {
            break;
        }
        let a = w.below(task_department.len() as u64) as usize;
        let b =
            (a + 1 + w.below(task_department.len() as u64 - 1) as usize) % task_department.len();
        let members = format!("|{}|{}|", task_department[a], task_department[b]);
        let (task, date) = past[which];
        sqlx::query(
            "INSERT INTO random_inspections (task_id, department, uscc, inspection_date, members, drawn_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(task)
        .bind(DEPARTMENT)
        .bind(subject(&geo, i)?.uscc)
        .bind(date)
        .bind(members)
        .bind(which as i64 + 1)
        .execute(&mut conn)
        .await?;
    }
    conn.execute("COMMIT").await?;
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.close().await?;
    std::fs::rename(&partial, path)?;
    eprintln!(
        "draw: generated {n} subjects and {m} inspectors in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

// ---------------------------------------------------------------------------------
// The task and the phases (child processes)
// ---------------------------------------------------------------------------------

/// The published rules: the defaults, with a workload cap that lets a province-wide
/// task be staffed (the default 20 teams per inspector cannot cover ~0.5M subjects
/// with 20k inspectors; see docs/PERFORMANCE.md).
fn rules() -> Rules {
    Rules {
        workload_cap_per_task: 1000,
        ..Rules::default()
    }
}

fn frozen_at() -> Result<DateTime<Utc>, BoxError> {
    Ok(FROZEN_AT.parse()?)
}

fn issued(command: TaskCommand) -> Result<Issued<TaskCommand>, BoxError> {
    Ok(Issued {
        meta: CommandMeta::new(
            Uuid::new_v4(),
            Actor::new("bench-planner", Role::Planner),
            frozen_at()?,
        ),
        command,
    })
}

/// One department, one item requiring [`QUALIFICATION`], team size 2, rules version 1.
fn create_task(id: Uuid, scope: TaskScope) -> Result<CreateTask, BoxError> {
    let department = DepartmentCode::parse(DEPARTMENT)?;
    Ok(CreateTask {
        task_id: id,
        title: "双随机抽查（基准测试）".into(),
        departments: [department.clone()].into(),
        items: vec![TaskItem {
            code: ItemCode::parse(ITEM)?,
            department,
            qualification: Some(Qualification::parse(QUALIFICATION)?),
        }],
        scope,
        window_from: ymd(WINDOW.0),
        window_to: ymd(WINDOW.1),
        inspection_date: ymd(INSPECTION),
        team_size: 2,
        rules_version: 1,
    })
}

/// The task's state after its creation, as the aggregate decides it (no log).
fn created(create: CreateTask) -> Result<TaskState, BoxError> {
    let events = InspectionTask::handle_command(
        &TaskState::default(),
        issued(TaskCommand::Create(create))?,
    )?;
    Ok(events
        .into_iter()
        .fold(TaskState::default(), InspectionTask::apply_event))
}

/// `VmHWM` and `VmRSS` of `pid` (`self` for this process), in KiB.
fn memory_of(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Timing of a phase's steps, printed as they end (a killed phase keeps its lines).
struct Steps {
    started: Instant,
    last: Instant,
}

impl Steps {
    fn new() -> Steps {
        let now = Instant::now();
        Steps {
            started: now,
            last: now,
        }
    }

    fn mark(&mut self, what: &str) {
        let (hwm, rss) = memory_of("self");
        let now = Instant::now();
        println!(
            "step {what:<44} {:>8.2} s   rss {:>6} MiB   peak {:>6} MiB",
            (now - self.last).as_secs_f64(),
            rss / 1024,
            hwm / 1024
        );
        let _ = std::io::stdout().flush();
        self.last = now;
    }
}

/// What a phase reports to the parent, as `result key=value …`.
#[derive(Default)]
struct Outcome {
    pool: usize,
    excluded: usize,
    out_of_scope: u64,
    inspectors: usize,
    drawn: Option<usize>,
    unstaffable: usize,
    subjects_sha256: String,
    text_bytes: [usize; 5],
    payload_bytes: usize,
    /// The store refused the event (the error is printed on its own line).
    store_failed: bool,
}

/// The freeze as `api/src/tasks.rs::freeze` computes it, up to the command.
struct Frozen {
    frozen: FrozenDraw,
    texts: FrozenTexts,
    excluded: Vec<Exclusion>,
}

async fn freeze(
    db: &Database,
    id: Uuid,
    state: &TaskState,
    round: u64,
    out: &mut Outcome,
    steps: &mut Steps,
) -> Result<Frozen, BoxError> {
    let task = state.task.clone().ok_or("the task has no DrawTask")?;
    let rules = rules();
    let as_of = ymd(AS_OF);
    let history = inspection_history(db).await?;
    steps.mark("inspection_history");
    let basis = FreezeBasis {
        task_id: id,
        departments: &task.departments,
        scope: &state.scope,
        inspection_date: task.inspection_date,
        as_of,
        rules: &rules,
    };
    let mut selection = SubjectSelection::default();
    each_subject_as_of(db, as_of, |s| selection.consider(s, &basis, &history)).await?;
    let selection = selection.finish();
    steps.mark("each_subject_as_of + consider + finish");
    let inspectors = select_inspectors(&task.departments, inspectors_as_of(db, as_of).await?);
    steps.mark("inspectors_as_of + select_inspectors");
    let relationships = select_relationships(
        &selection.pool,
        &inspectors,
        relationships_as_of(db, as_of).await?,
    );
    steps.mark("relationships_as_of + select_relationships");
    let previous = previous_assignments(&basis, &selection.pool, &history);
    drop(history);
    steps.mark("previous_assignments");
    let mut drawn_task = task;
    drawn_task.beacon_round = round;
    let frozen = FrozenDraw {
        task: drawn_task,
        subjects: selection.pool,
        inspectors,
        relationships,
        previous,
        rules_version: state.rules_version,
        rules,
    };
    let problems = frozen.problems();
    if !problems.is_empty() {
        return Err(format!("{} problems, first: {}", problems.len(), problems[0]).into());
    }
    steps.mark("FrozenDraw::problems");
    let texts = FrozenTexts::of(&frozen);
    steps.mark("FrozenTexts::of");
    out.subjects_sha256 = hex::encode(texts.digests().subjects);
    steps.mark("FrozenTexts::digests");
    out.pool = frozen.subjects.len();
    out.excluded = selection.excluded.len();
    out.out_of_scope = selection.out_of_scope;
    out.inspectors = frozen.inspectors.len();
    out.text_bytes = [
        texts.subjects.len(),
        texts.inspectors.len(),
        texts.relationships.len(),
        texts.previous.len(),
        texts.rules.len(),
    ];
    Ok(Frozen {
        frozen,
        texts,
        excluded: selection.excluded,
    })
}

/// The round the freeze fixes: the first at least ten minutes after the command.
fn round() -> Result<u64, BoxError> {
    Ok(quicknet_first_round_at_or_after(
        (frozen_at()? + chrono::Duration::minutes(10)).timestamp(),
    ))
}

fn freeze_command(
    texts: FrozenTexts,
    excluded: Vec<Exclusion>,
    round: u64,
) -> Result<TaskCommand, BoxError> {
    Ok(TaskCommand::FreezePool(FreezePool {
        texts,
        as_of: ymd(AS_OF),
        excluded,
        beacon: BeaconSchedule {
            chain: QUICKNET_CHAIN_HASH.to_owned(),
            round,
        },
        reveal_deadline: frozen_at()? + chrono::Duration::minutes(9),
        credit_basis: None,
    }))
}

/// Appends one CSV field (quoted when it holds `,`, `"`, CR or LF) as `csv_field` does.
fn push_field(line: &mut String, text: &str) {
    if text.contains([',', '"', '\r', '\n']) {
        line.push('"');
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(text);
    }
}

/// The baseline: the freeze's directory query, each pool row's canonical line into
/// SHA-256, nothing kept. The pool rules are the ones the freeze applies (status,
/// registration age, a standing inspection by the department inside the window, the
/// scope is empty); the frequency cap removes nobody here that the window did not.
async fn baseline(db: &Database, out: &mut Outcome, steps: &mut Steps) -> Result<(), BoxError> {
    let Database::Sqlite(pool) = db else {
        return Err("the bench runs on SQLite".into());
    };
    let rules = rules();
    let as_of = ymd(AS_OF);
    let inspection = ymd(INSPECTION);
    let window = rules.exclusions.same_department_within_months;
    let recent: HashSet<String> = sqlx::query_scalar(
        "SELECT uscc FROM random_inspections WHERE department = ? \
         AND inspection_date > ? AND inspection_date < ?",
    )
    .bind(DEPARTMENT)
    .bind(day(inspection - Months::new(window)))
    .bind(day(inspection + Months::new(window)))
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    steps.mark("inspected within the window (one query)");
    let statuses: Vec<&str> = rules
        .exclusions
        .eligible_statuses
        .iter()
        .map(|s| s.as_str())
        .collect();
    let latest = day(as_of - Months::new(rules.exclusions.min_months_since_registration));
    let d = day(as_of);
    let mut rows = sqlx::query(
        "SELECT uscc, name, kind, industry, region, registration_date, status, risk_class, tags \
         FROM subject_versions WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) \
         ORDER BY uscc",
    )
    .bind(&d)
    .fetch(pool);
    let mut hasher = Sha256::new();
    hasher.update(SUBJECTS_HEADER.as_bytes());
    hasher.update(b"\n");
    let mut line = String::with_capacity(256);
    let (mut pool_size, mut excluded, mut tags) = (0usize, 0usize, Vec::new());
    while let Some(r) = rows.try_next().await? {
        let uscc: &str = r.try_get(0)?;
        let registered: &str = r.try_get(5)?;
        let status: &str = r.try_get(6)?;
        if !statuses.contains(&status) || *registered > *latest || recent.contains(uscc) {
            excluded += 1;
            continue;
        }
        line.clear();
        for i in 0..8 {
            if i > 0 {
                line.push(',');
            }
            push_field(&mut line, r.try_get::<&str, _>(i)?);
        }
        line.push(',');
        let list: &str = r.try_get(8)?;
        tags.clear();
        tags.extend(
            list.split('|')
                .filter(|t| !t.is_empty())
                .map(|t| t.replace('\\', "\\\\").replace(';', "\\;")),
        );
        push_field(&mut line, &tags.join(";"));
        line.push('\n');
        hasher.update(line.as_bytes());
        pool_size += 1;
    }
    steps.mark("stream the directory, hash the pool's lines");
    out.pool = pool_size;
    out.excluded = excluded;
    out.subjects_sha256 = hex::encode(hasher.finalize());
    Ok(())
}

/// Runs one phase in this (child) process and prints its `result` line.
async fn child(phase: Phase, path: &Path) -> Result<(), BoxError> {
    let mut out = Outcome::default();
    let id = Uuid::from_u128(0x6a78_0000_0000_4000_8000_0000_0000_0001);
    let round = round()?;
    let mut scope = TaskScope::default();
    if phase == Phase::Prefecture {
        scope.regions.insert(RegionCode::parse(PREFECTURE)?);
    }
    let location = DbLocation::Sqlite(path.to_path_buf());
    let copy = path.with_extension("store");
    let log = if phase == Phase::Store {
        // the freeze writes an event, ledger entry and read models: on a copy
        remove_db(&copy);
        std::fs::copy(path, &copy)?;
        EventLog::open(&DbLocation::Sqlite(copy.clone())).await?
    } else {
        EventLog::open(&location).await?
    };
    let db = log.database();
    let state = if phase == Phase::Store {
        match log
            .execute::<InspectionTask, _>(id, issued(TaskCommand::Create(create_task(id, scope)?))?)
            .await??
        {
            Executed::Applied { state, .. } => state,
            Executed::AlreadyApplied { .. } => return Err("the task already existed".into()),
        }
    } else {
        created(create_task(id, scope)?)?
    };
    let mut steps = Steps::new();
    match phase {
        Phase::Baseline => baseline(db, &mut out, &mut steps).await?,
        Phase::Freeze => {
            let f = freeze(db, id, &state, round, &mut out, &mut steps).await?;
            drop(f);
            steps.mark("drop");
        }
        Phase::Draw | Phase::Prefecture => {
            let f = freeze(db, id, &state, round, &mut out, &mut steps).await?;
            let frozen = f.frozen;
            drop((f.texts, f.excluded));
            steps.mark("drop the texts (published by the freeze)");
            let seed = Seed(Sha256::digest(b"bench").into());
            match draw_from_seed(&frozen, &seed) {
                Ok(drawn) => out.drawn = Some(drawn.teams.len()),
                Err(DrawError::Unstaffable(list)) => {
                    out.drawn = Some(0);
                    out.unstaffable = list.len();
                }
                Err(e) => return Err(e.into()),
            }
            steps.mark("draw_from_seed");
            drop(frozen);
            steps.mark("drop");
        }
        Phase::Decide => {
            let Frozen {
                frozen,
                texts,
                excluded,
            } = freeze(db, id, &state, round, &mut out, &mut steps).await?;
            // as in the api, the FrozenDraw stays alive while the command runs
            let command = freeze_command(texts, excluded, round)?;
            let events = InspectionTask::handle_command(&state, issued(command)?)?;
            steps.mark("InspectionTask::handle_command(FreezePool)");
            let payload = events.first().ok_or("no event")?.to_payload()?.to_string();
            out.payload_bytes = payload.len();
            steps.mark("to_payload().to_string() (what the store binds)");
            drop((payload, events, frozen));
            steps.mark("drop");
        }
        Phase::Store => {
            let Frozen {
                frozen,
                texts,
                excluded,
            } = freeze(db, id, &state, round, &mut out, &mut steps).await?;
            let command = freeze_command(texts, excluded, round)?;
            match log.execute::<InspectionTask, _>(id, issued(command)?).await {
                Ok(Ok(_)) => {
                    steps.mark("EventLog::execute(FreezePool)");
                    let Database::Sqlite(pool) = db else {
                        return Err("the bench runs on SQLite".into());
                    };
                    let bytes: i64 = sqlx::query_scalar(
                        "SELECT length(CAST(payload AS BLOB)) FROM inspection_task_events \
                         ORDER BY sequence_number DESC LIMIT 1",
                    )
                    .fetch_one(pool)
                    .await?;
                    out.payload_bytes = usize::try_from(bytes).unwrap_or(0);
                }
                Ok(Err(refused)) => return Err(format!("refused: {refused}").into()),
                Err(e) => {
                    steps.mark("EventLog::execute(FreezePool) failed");
                    println!("store error: {e}");
                    out.store_failed = true;
                }
            }
            drop(frozen);
            steps.mark("drop");
        }
    }
    let secs = steps.started.elapsed().as_secs_f64();
    let (hwm, _) = memory_of("self");
    log.database().close().await;
    if phase == Phase::Store {
        remove_db(&copy);
    }
    let [s, i, r, p, ru] = out.text_bytes;
    println!(
        "result secs={secs:.3} hwm_kib={hwm} pool={} excluded={} out_of_scope={} inspectors={} \
         drawn={} unstaffable={} subjects_sha256={} subjects_bytes={s} inspectors_bytes={i} \
         relationships_bytes={r} previous_bytes={p} rules_bytes={ru} payload_bytes={} store_failed={}",
        out.pool,
        out.excluded,
        out.out_of_scope,
        out.inspectors,
        out.drawn.map_or("-".to_owned(), |d| d.to_string()),
        out.unstaffable,
        out.subjects_sha256,
        out.payload_bytes,
        out.store_failed,
    );
    Ok(())
}

// ---------------------------------------------------------------------------------
// The parent: generate or reuse, run each phase in a child, print the table
// ---------------------------------------------------------------------------------

/// One phase as the parent saw it.
struct Run {
    phase: Phase,
    /// The child's `result` fields; empty when it failed or was killed.
    result: BTreeMap<String, String>,
    /// Peak resident set sampled from outside (for a killed child).
    sampled_hwm_kib: u64,
    /// Why there is no result, if there is none.
    failure: Option<String>,
    /// Wall time as the parent saw it (for a killed child).
    wall: Duration,
    /// The 1-minute load average when the phase ended (other builds share the machine).
    load: String,
}

impl Run {
    fn get(&self, key: &str) -> Option<&str> {
        self.result.get(key).map(String::as_str)
    }

    fn secs(&self) -> Option<f64> {
        self.get("secs").and_then(|s| s.parse().ok())
    }
}

fn run_child(args: &Args, db: &Path, phase: Phase) -> Result<Run, BoxError> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--phase", phase.name(), "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id().to_string();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let lines = Arc::clone(&lines);
        let name = phase.name();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("  [{name}] {line}");
                if let Ok(mut l) = lines.lock() {
                    l.push(line);
                }
            }
        })
    };
    let started = Instant::now();
    let mut sampled = 0;
    let mut failure = None;
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                failure = Some(format!("exited with {status}"));
            }
            break;
        }
        sampled = sampled.max(memory_of(&pid).0);
        if started.elapsed() > args.timeout {
            child.kill()?;
            child.wait()?;
            failure = Some(format!(
                "killed after {:.0} s (--timeout)",
                started.elapsed().as_secs_f64()
            ));
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = reader.join();
    let result = lines
        .lock()
        .map_err(|_| "poisoned")?
        .iter()
        .find_map(|l| l.strip_prefix("result "))
        .map(|r| {
            r.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    Ok(Run {
        phase,
        result,
        sampled_hwm_kib: sampled,
        failure,
        wall: started.elapsed(),
        load: load.split_whitespace().next().unwrap_or("-").to_owned(),
    })
}

fn describe(db: &Path) -> Result<(), BoxError> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let mem = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .unwrap_or_default()
        .to_owned();
    println!(
        "date {} | kernel {} | cpus {} | {} | database {} ({:.2} GiB)",
        SystemClock.now().format("%Y-%m-%dT%H:%M:%SZ"),
        read("/proc/sys/kernel/osrelease").trim(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        mem.split_whitespace().collect::<Vec<_>>().join(" "),
        db.display(),
        std::fs::metadata(db)?.len() as f64 / f64::from(1u32 << 30),
    );
    Ok(())
}

/// The table: each phase against the mean of the baselines of the run (the range gives
/// the ratios against the slowest and the fastest baseline, as the machine is shared).
fn print_table(runs: &[Run]) {
    let baselines: Vec<f64> = runs
        .iter()
        .filter(|r| r.phase == Phase::Baseline)
        .filter_map(Run::secs)
        .collect();
    let mean = baselines.iter().sum::<f64>() / baselines.len().max(1) as f64;
    let (fast, slow) = baselines
        .iter()
        .fold((f64::MAX, 0.0_f64), |(lo, hi), b| (lo.min(*b), hi.max(*b)));
    if !baselines.is_empty() {
        println!(
            "\nbaselines: {} s, mean {mean:.2} s (ratios are against the mean)",
            baselines
                .iter()
                .map(|b| format!("{b:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "{:<38} {:>9} {:>7} {:>13} {:>9} {:>9} {:>7} {:>5}  note",
        "phase", "seconds", "ratio", "ratio range", "peak MiB", "pool", "drawn", "load"
    );
    for r in runs {
        let hwm = r
            .get("hwm_kib")
            .and_then(|h| h.parse::<u64>().ok())
            .unwrap_or(r.sampled_hwm_kib);
        let (secs, ratio, range) = match r.secs() {
            Some(s) if !baselines.is_empty() => (
                format!("{s:.2}"),
                format!("{:.2}", s / mean),
                format!("{:.2}–{:.2}", s / slow, s / fast),
            ),
            Some(s) => (format!("{s:.2}"), "-".into(), "-".into()),
            None if !baselines.is_empty() => {
                let w = r.wall.as_secs_f64();
                (format!(">{w:.0}"), format!(">{:.1}", w / mean), "-".into())
            }
            None => ("-".into(), "-".into(), "-".into()),
        };
        let mut note = r.failure.clone().unwrap_or_default();
        if let Some(u) = r.get("unstaffable").filter(|u| *u != "0") {
            note.push_str(&format!("unstaffable {u}"));
        }
        if r.get("store_failed") == Some("true") {
            note.push_str("the event was NOT stored (store error above)");
        }
        if let Some(p) = r.get("payload_bytes").filter(|p| *p != "0") {
            note.push_str(&format!("payload {p} B"));
        }
        println!(
            "{:<38} {:>9} {:>7} {:>13} {:>9} {:>9} {:>7} {:>5}  {}",
            r.phase.label(),
            secs,
            ratio,
            range,
            hwm / 1024,
            r.get("pool").unwrap_or("-"),
            r.get("drawn").unwrap_or("-"),
            r.load,
            note,
        );
    }
    let digests: BTreeSet<&str> = runs
        .iter()
        .filter(|r| matches!(r.phase, Phase::Baseline | Phase::Freeze | Phase::Draw))
        .filter_map(|r| r.get("subjects_sha256"))
        .collect();
    let compared = runs.iter().any(|r| r.phase == Phase::Baseline)
        && runs
            .iter()
            .any(|r| matches!(r.phase, Phase::Freeze | Phase::Draw));
    if compared {
        println!(
            "subjects_sha256: {} ({})",
            digests.iter().copied().collect::<Vec<_>>().join(" "),
            if digests.len() == 1 {
                "baseline and freeze hashed the same bytes"
            } else {
                "DIFFERENT: the baseline did not hash the freeze's text"
            }
        );
    }
    if let Some(r) = runs
        .iter()
        .find(|r| r.get("subjects_bytes").is_some_and(|b| b != "0"))
    {
        println!(
            "frozen texts (bytes): subjects {} inspectors {} relationships {} previous {} rules {}; \
             excluded {} out of scope {} inspectors in the pool {}",
            r.get("subjects_bytes").unwrap_or("-"),
            r.get("inspectors_bytes").unwrap_or("-"),
            r.get("relationships_bytes").unwrap_or("-"),
            r.get("previous_bytes").unwrap_or("-"),
            r.get("rules_bytes").unwrap_or("-"),
            r.get("excluded").unwrap_or("-"),
            r.get("out_of_scope").unwrap_or("-"),
            r.get("inspectors").unwrap_or("-"),
        );
    }
}

async fn parent(args: &Args) -> Result<(), BoxError> {
    let cache = match &args.cache {
        Some(dir) => dir.clone(),
        None => {
            // target/<profile>/deps/draw-<hash>: the cache goes in target/bench-draw
            let exe = std::env::current_exe()?;
            let target = exe
                .ancestors()
                .nth(3)
                .ok_or("cannot find the target directory")?;
            target.join("bench-draw")
        }
    };
    std::fs::create_dir_all(&cache)?;
    let db = cache.join(format!(
        "directory-n{}-m{}-v{GENERATOR_VERSION}.db",
        args.subjects, args.inspectors
    ));
    if db.exists() {
        println!("draw: reusing {}", db.display());
    } else {
        generate(&db, args.subjects, args.inspectors).await?;
    }
    // every phase reads from the page cache, none pays the first read from disk
    let started = Instant::now();
    let bytes = std::io::copy(&mut std::fs::File::open(&db)?, &mut std::io::sink())?;
    println!(
        "draw: read {} MiB of database into the page cache in {:.1} s (untimed)",
        bytes >> 20,
        started.elapsed().as_secs_f64()
    );
    describe(&db)?;
    let mut runs = vec![];
    for phase in &args.phases {
        println!("draw: phase {}", phase.name());
        runs.push(run_child(args, &db, *phase)?);
    }
    println!(
        "\nsubjects {} inspectors {} | timeout {} s per phase | finished {}",
        args.subjects,
        args.inspectors,
        args.timeout.as_secs(),
        SystemClock.now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    print_table(&runs);
    Ok(())
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
            eprintln!("draw: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match (args.phase, &args.db) {
        (Some(phase), Some(db)) => child(phase, db).await,
        (Some(_), None) => Err("--phase needs --db".into()),
        _ => parent(&args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("draw: {e}");
            ExitCode::FAILURE
        }
    }
}
