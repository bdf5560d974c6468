//! The supervisor's replay of a long enforcement case and the deviations scan over many
//! cases (issue 8), against the baseline of reading the same events from the store,
//! measured in the same run.
//!
//! ```text
//! cargo bench -p jianxin-api --bench case_replay -- [--events N] [--cases M] [--reps R]
//! ```
//!
//! Two SQLite files are generated through the product's batch writer
//! (`EventLog::batch`: the case aggregate's commands, the ledger entries and the read
//! models, all as in production, committed in chunks) and cached under
//! `target/bench-cases/`:
//!
//! - `long-N.db`: one case of N events — clue, filing, N − 9 pieces of evidence (the one
//!   step the law lets repeat), notice, statement, legal review, decision, service,
//!   execution, closing — one minute apart from 2025-03-03 10:00 Beijing;
//! - `many-M.db`: M cases of 10 events each (clue to closing, one piece of evidence).
//!
//! Then, R times each after one untimed warm-up run, baseline first:
//!
//! 1. read: `EventStore::by_aggregate_id` of the long case (via `log.store()`);
//! 2. replay at the last event: the same read plus `case::replay(events, Some(last))`;
//! 3. replay at the middle event's time;
//! 4. the replay op as served (`cases::replay`): the case's rows checked against the
//!    newest stored checkpoint (each row's entry rebuilt and hashed, the stored subtrees
//!    fetched, the root compared with the signed one), the deviations, and the
//!    inclusion proofs of every event under that checkpoint. Before timing, the
//!    scheduler's checkpoint job stores a checkpoint and the ledger's tree, as it does
//!    in production (once per file: later runs find them stored);
//! 5. read of every case of `many-M.db` (ids from the read model), one by one;
//! 6. the same reads plus `case::deviations` of each;
//! 7. the scan op as served (`cases::deviations_all`: plus the list and the whole
//!    log's verification, run while the cases are read);
//! 8. in `many-M.db`, with a checkpoint stored, one case of 10 events: its read, the
//!    replay op (checked against the stored checkpoint), and the whole-ledger check
//!    alone, which is what the op would cost without a stored checkpoint.
//!
//! It prints mean, min and max per run and each run's mean over its baseline's, and the
//! mean CPU time per run of every thread of the process with its ratio to the
//! baseline's (steadier than the wall clock on a shared machine). `--phases` adds the
//! parts timed alone: the check against the stored checkpoint
//! (`check_against_checkpoint`), the serialization of the op's answer (as served, and
//! with the proofs' hex made beforehand as before `InclusionPath`: same bytes, checked),
//! and the whole-ledger path the op takes when no stored checkpoint covers the case: the
//! whole ledger read, `check_aggregate`, `proofs_of`.
//! Results and their reading: docs/PERFORMANCE.md.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use esrs::store::EventStore;
use jianxin_api::cases;
use jianxin_api::ops::current_calendar;
use jianxin_domain::case::{CaseCommand, CaseRules, CaseStep, EnforcementCase, Tier};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_domain::integrity::NoteSigner;
use jianxin_projections::{Clock, DbLocation, EventLog, SystemClock};
use uuid::Uuid;

/// The allocator the `jianxin` binary runs with (`api/src/bin/jianxin.rs`), so that the
/// bench measures what is served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    events: u64,
    cases: u64,
    reps: u64,
    /// Also time the parts of the replay op one by one (`--phases`).
    phases: bool,
}

fn args() -> Args {
    let mut a = Args {
        events: 10_000,
        cases: 100_000,
        reps: 5,
        phases: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok());
        match flag.as_str() {
            "--events" => a.events = value().unwrap_or(a.events),
            "--cases" => a.cases = value().unwrap_or(a.cases),
            "--reps" => a.reps = value().unwrap_or(a.reps).max(1),
            "--phases" => a.phases = true,
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

const OFFICER: &str = "ZF-B01";
const PARTNER: &str = "ZF-B02";
const APPROVER: &str = "SP-B01";
const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The steps of a case with `evidence` pieces of evidence, clue to closing.
fn script(evidence: u64) -> Vec<CaseStep> {
    let mut steps = vec![
        CaseStep::Open {
            clue: "bench: 销售过期食品".into(),
            subject: Some("91330102MA0000031F".into()),
            clue_received: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap_or_default(),
            rules: CaseRules::default_rules(),
        },
        CaseStep::File,
    ];
    for k in 0..evidence {
        steps.push(CaseStep::CollectEvidence {
            name: format!("现场检查照片-{k}.jpg"),
            sha256: HASH.into(),
            officers_present: [PARTNER.to_string()].into_iter().collect(),
        });
    }
    steps.extend([
        CaseStep::GiveNotice,
        CaseStep::RecordStatement {
            summary: "当事人无异议".into(),
        },
        CaseStep::ReviewLegally {
            opinion: "事实清楚".into(),
        },
        CaseStep::Decide {
            violation: "SP-001".into(),
            tier: Tier::Ordinary,
            amount_yuan: Some(10_000),
            reason: None,
        },
        CaseStep::Serve,
        CaseStep::Execute {
            note: "罚款已缴纳".into(),
        },
        CaseStep::Close,
    ]);
    steps
}

/// Writes `cases` cases of `script(evidence)` into a new file `db`, `chunk` commands a
/// batch.
async fn seed(db: &Path, cases: u64, evidence: u64, chunk: usize) -> anyhow::Result<()> {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let log = EventLog::open(&DbLocation::Sqlite(db.to_path_buf())).await?;
    let calendar = Arc::new(current_calendar(&log).await?);
    let began = Instant::now();
    let mut commands: Vec<(Uuid, DateTime<Utc>, CaseStep)> = vec![];
    let mut written = 0u64;
    for c in 0..cases {
        let id = Uuid::now_v7();
        for (i, step) in script(evidence).into_iter().enumerate() {
            commands.push((id, start() + Duration::minutes(i as i64), step));
        }
        if commands.len() >= chunk || c + 1 == cases {
            let todo = std::mem::take(&mut commands);
            for part in todo.chunks(chunk) {
                let mut batch = log.batch::<EnforcementCase>().await?;
                for (id, at, step) in part {
                    let who = match step.role() {
                        Role::ApprovingOfficer => APPROVER,
                        _ => OFFICER,
                    };
                    let actor = Actor::new(who, step.role());
                    let meta = CommandMeta::new(Uuid::new_v4(), actor, *at);
                    let command = CaseCommand {
                        step: step.clone(),
                        calendar: Arc::clone(&calendar),
                    };
                    batch
                        .apply(*id, Issued { meta, command })
                        .await?
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                }
                written += batch.commit().await?;
                eprintln!(
                    "{}: {written} events in {:.0} s",
                    db.display(),
                    began.elapsed().as_secs_f64()
                );
            }
        }
    }
    log.database().close().await;
    // complete only once marked: an interrupted seeding starts over
    std::fs::write(db.with_extension("done"), b"")?;
    Ok(())
}

async fn open(dir: &Path, name: &str, cases: u64, evidence: u64) -> anyhow::Result<EventLog> {
    let db = dir.join(name);
    if !db.with_extension("done").exists() {
        let chunk = if cases == 1 { 500 } else { 20_000 };
        seed(&db, cases, evidence, chunk).await?;
    }
    Ok(EventLog::open(&DbLocation::Sqlite(db)).await?)
}

/// One series: wall-clock mean, min and max in milliseconds, and the mean CPU time in
/// milliseconds the whole process (every thread: the runtime's workers and SQLite's)
/// spent per run. The machine is shared, so the CPU time is the steadier of the two.
type Timing = (f64, f64, f64, f64);

/// CPU time of every thread of this process so far, in nanoseconds (the first field of
/// each `/proc/self/task/*/schedstat`; 0 where that cannot be read).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// `reps` runs of `f`, after one untimed warm-up run (so the baseline, measured first,
/// does not pay for a cold page cache alone).
async fn time<F, Fut>(reps: u64, mut f: F) -> anyhow::Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    std::hint::black_box(f().await?);
    let mut all = vec![];
    let cpu = cpu_ns();
    for _ in 0..reps {
        let t = Instant::now();
        std::hint::black_box(f().await?);
        all.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let cpu = cpu_ns().saturating_sub(cpu) as f64 / 1e6 / all.len() as f64;
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let min = all.iter().copied().fold(f64::INFINITY, f64::min);
    let max = all.iter().copied().fold(0.0, f64::max);
    Ok((mean, min, max, cpu))
}

fn row(name: &str, m: Timing, base: Timing) {
    println!(
        "{name:<40} {:>10.2} {:>10.2} {:>10.2} {:>7.2}× {:>10.2} {:>7.2}×",
        m.0,
        m.1,
        m.2,
        m.0 / base.0,
        m.3,
        m.3 / base.3
    );
}

/// The parts of the replay op, each timed alone (`--phases`), against the same read.
async fn phases(
    log: &EventLog,
    id: Uuid,
    signer: &NoteSigner,
    r: u64,
    base: Timing,
) -> anyhow::Result<()> {
    use jianxin_projections::ledger::{check_aggregate, proofs_of, read::ledger_rows};
    let db = log.database();
    let verifier = signer.verifier();
    let against = time(r, || async {
        use jianxin_projections::ledger::{check_against_checkpoint, AgainstCheckpoint};
        let c = check_against_checkpoint::<
            jianxin_domain::event_log::Recorded<jianxin_domain::case::CaseEvent>,
        >(db, "enforcement_case", id, &verifier)
        .await?;
        match c {
            AgainstCheckpoint::Verified(c) => Ok(c.events.len()),
            other => anyhow::bail!("the case did not verify against the checkpoint: {other:?}"),
        }
    })
    .await?;
    let ledger = time(r, || async {
        let (mut n, mut after) = (0, 0);
        loop {
            let rows = ledger_rows(db, after, 10_000).await?;
            let Some(last) = rows.last() else { break };
            after = last.global_sequence;
            n += rows.len();
        }
        Ok(n)
    })
    .await?;
    let check = time(r, || async {
        let c = check_aggregate::<
            jianxin_domain::event_log::Recorded<jianxin_domain::case::CaseEvent>,
        >(db, "enforcement_case", id)
        .await?;
        Ok(c.events.len())
    })
    .await?;
    let c =
        check_aggregate::<jianxin_domain::event_log::Recorded<jianxin_domain::case::CaseEvent>>(
            db,
            "enforcement_case",
            id,
        )
        .await?;
    let (tree, entries) = (&c.tree, &c.entries);
    let proofs = time(r, || async {
        let p = proofs_of(
            tree,
            entries.clone(),
            signer,
            "bench.jianxin.local",
            SystemClock.now(),
        )?;
        Ok(p.proofs.len())
    })
    .await?;
    let (as_is, with_strings) = serialization(log, id, signer, r).await?;
    println!("parts of the replay op, {r} repetitions each");
    row("  check_against_checkpoint", against, base);
    row("  its answer as JSON (serde_json::to_vec)", as_is, base);
    row("  the same, hex made by the op (old)", with_strings, base);
    println!("the whole-ledger path (no stored checkpoint covers the case)");
    row("  read the whole ledger (ledger_rows)", ledger, base);
    row("  check_aggregate (rows, chain, compare)", check, base);
    row("  proofs_of (checkpoint, proofs)", proofs, base);
    Ok(())
}

/// The replay's answer as served: the inclusion proofs' hashes kept as bytes, their hex
/// written while serializing (`InclusionPath`).
type Answer = cases::CaseReplay;

/// The answer as it was built before `InclusionPath`: each proof's hashes made into hex
/// `String`s by the op, then serialized. Same JSON (checked below, byte for byte).
#[derive(serde::Serialize)]
struct OldAnswer<'a> {
    id: Uuid,
    at: Option<DateTime<Utc>>,
    status: &'static str,
    steps: &'a [jianxin_domain::case::ReplayStep],
    state: &'a jianxin_domain::case::CaseState,
    deviations: &'a [jianxin_domain::case::Deviation],
    proofs: OldProofs<'a>,
}

#[derive(serde::Serialize)]
struct OldProofs<'a> {
    checkpoint: &'a str,
    tree_size: u64,
    events: Vec<OldEventProof<'a>>,
}

#[derive(serde::Serialize)]
struct OldEventProof<'a> {
    global_sequence: u64,
    entry: &'a str,
    proof: jianxin_domain::integrity::InclusionProof,
}

fn old_answer(a: &Answer) -> OldAnswer<'_> {
    OldAnswer {
        id: a.id,
        at: a.at,
        status: a.status,
        steps: &a.steps,
        state: &a.state,
        deviations: &a.deviations,
        proofs: OldProofs {
            checkpoint: &a.proofs.checkpoint,
            tree_size: a.proofs.tree_size,
            events: a
                .proofs
                .events
                .iter()
                .map(|e| OldEventProof {
                    global_sequence: e.global_sequence,
                    entry: &e.entry,
                    proof: (&e.proof).into(),
                })
                .collect(),
        },
    }
}

/// The op's serialization timed alone (`--phases`): the answer as served, and the same
/// answer with its proofs' hex made beforehand as the op made it before (only the
/// serialization is timed). Fails unless the two give the same bytes.
async fn serialization(
    log: &EventLog,
    id: Uuid,
    signer: &NoteSigner,
    r: u64,
) -> anyhow::Result<(Timing, Timing)> {
    let answer = cases::replay(
        log,
        signer,
        "bench.jianxin.local",
        SystemClock.now(),
        id,
        None,
    )
    .await?;
    let old = old_answer(&answer);
    anyhow::ensure!(
        serde_json::to_vec(&answer)? == serde_json::to_vec(&old)?,
        "the answer's JSON differs from the old form's"
    );
    let as_is = time(r, || async { Ok(serde_json::to_vec(&answer)?.len()) }).await?;
    let with_strings = time(r, || async { Ok(serde_json::to_vec(&old)?.len()) }).await?;
    Ok((as_is, with_strings))
}

/// The replay op as served, as of `at`; the number of proofs it carries.
async fn replay_op(
    log: &EventLog,
    signer: &NoteSigner,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> anyhow::Result<usize> {
    let out = cases::replay(
        log,
        signer,
        "bench.jianxin.local",
        SystemClock.now(),
        id,
        at,
    )
    .await?;
    Ok(out.proofs.events.len())
}

/// As in production: the scheduler's checkpoint job signs and stores a checkpoint and
/// stores the ledger's tree (once per file; later runs find them stored).
async fn store_checkpoint(log: &EventLog, signer: &NoteSigner) -> anyhow::Result<()> {
    let scheduler = jianxin_scheduler::Scheduler::new(
        log.clone(),
        Arc::new(signer.clone()),
        "bench.jianxin.local",
        jianxin_scheduler::SchedulerConfig::default_config()?,
    );
    let began = Instant::now();
    scheduler
        .run_job(
            jianxin_domain::schedule::Job::LedgerCheckpoint,
            SystemClock.now(),
        )
        .await?;
    eprintln!(
        "checkpoint stored, tree of {} entries stored, in {:.1} s",
        jianxin_projections::ledger::stored_leaves(log.database()).await?,
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let a = args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-cases");
    std::fs::create_dir_all(&dir)?;
    let header = || {
        println!(
            "{:<40} {:>10} {:>10} {:>10} {:>8} {:>10} {:>8}",
            "run", "mean ms", "min ms", "max ms", "/ read", "cpu ms", "/ read"
        );
    };

    // the long case
    let evidence = a.events.saturating_sub(9);
    let log = open(&dir, &format!("long-{}.db", a.events), 1, evidence).await?;
    let rows = cases::list(&log).await?;
    let id = cases::case_id(&rows.first().map(|r| r.id.clone()).unwrap_or_default())?;
    let events = cases::events(&log, id).await?;
    let last = events.last().map(|e| e.recorded_at);
    let middle = events.get(events.len() / 2).map(|e| e.recorded_at);
    let signer = NoteSigner::generate("bench.jianxin.local", |s| s.copy_from_slice(&[7u8; 32]))?;
    store_checkpoint(&log, &signer).await?;
    let store = log.store::<EnforcementCase>();
    let r = a.reps;
    let read = time(r, || async { Ok(store.by_aggregate_id(id).await?.len()) }).await?;
    let at_last = time(r, || async {
        let events = cases::events(&log, id).await?;
        Ok(jianxin_domain::case::replay(&events, last).steps.len())
    })
    .await?;
    let at_middle = time(r, || async {
        let events = cases::events(&log, id).await?;
        Ok(jianxin_domain::case::replay(&events, middle).steps.len())
    })
    .await?;
    let served = time(r, || replay_op(&log, &signer, id, last)).await?;
    println!(
        "replay of one case of {} events, {r} repetitions each, baseline first",
        events.len()
    );
    header();
    row("read (by_aggregate_id)", read, read);
    row("read + replay at the last event", at_last, read);
    row("read + replay at the middle event", at_middle, read);
    row("replay op (+ check, deviations, proofs)", served, read);
    if a.phases {
        phases(&log, id, &signer, r, read).await?;
    }
    log.database().close().await;

    // many cases
    if a.cases > 0 {
        let log = open(&dir, &format!("many-{}.db", a.cases), a.cases, 1).await?;
        let ids: Vec<Uuid> = cases::list(&log)
            .await?
            .iter()
            .map(|r| cases::case_id(&r.id))
            .collect::<Result<_, _>>()?;
        let store = log.store::<EnforcementCase>();
        let ids = &ids;
        let read = time(r, || async {
            let mut n = 0;
            for id in ids {
                n += store.by_aggregate_id(*id).await?.len();
            }
            Ok(n)
        })
        .await?;
        let scan = time(r, || async {
            let mut n = 0;
            for id in ids {
                let events = cases::events(&log, *id).await?;
                n += jianxin_domain::case::deviations(&events).len();
            }
            Ok(n)
        })
        .await?;
        let now = SystemClock.now();
        let served = time(r, || async {
            Ok(cases::deviations_all(&log, now).await?.len())
        })
        .await?;
        println!(
            "deviations scan over {} cases of 10 events, {r} repetitions each, baseline first",
            ids.len()
        );
        header();
        row("read every case (by_aggregate_id)", read, read);
        row("read + deviations of every case", scan, read);
        row("deviations_all op (+ list, verify)", served, read);
        // one small case in a large log: what the stored checkpoint saves
        store_checkpoint(&log, &signer).await?;
        let one = ids[ids.len() / 2];
        let read = time(r, || async { Ok(store.by_aggregate_id(one).await?.len()) }).await?;
        let served = time(r, || replay_op(&log, &signer, one, None)).await?;
        let whole = time(r, || async {
            let c = jianxin_projections::ledger::check_aggregate::<
                jianxin_domain::event_log::Recorded<jianxin_domain::case::CaseEvent>,
            >(log.database(), "enforcement_case", one)
            .await?;
            Ok(c.events.len())
        })
        .await?;
        println!(
            "replay of one case of 10 events among {} cases, {r} repetitions each, baseline first",
            ids.len()
        );
        header();
        row("read (by_aggregate_id)", read, read);
        row("replay op (stored checkpoint)", served, read);
        row("  whole-ledger check alone (no checkpoint)", whole, read);
        log.database().close().await;
    }
    Ok(())
}
