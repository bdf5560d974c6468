//! The scheduler (issue 9, docs/SCHEDULER.md), end to end on both backends through the
//! real binary with a set clock: two instances started together on one database fire
//! every due event exactly once; a catch-up after years of downtime records each firing
//! effective at its due instant; stepping month by month through four years appends the
//! same facts as one catch-up; a bad configuration is refused naming its line, with
//! nothing appended. Over HTTP: the stored checkpoints, public and verifiable.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{json, Value};

use crate::binary::{jianxin_bin, Deployment, Run};
use crate::cli_on_both;
use crate::helpers::TestApp;
use crate::on_both;

const A: &str = "91330102MA00C00019";
const B: &str = "91330102MA00C0002C";
const C: &str = "91330102MA00C0003F";

fn ok(r: Run) -> Value {
    assert_eq!(r.code, 0, "stdout {} stderr {}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn act(d: &Deployment, now: &str, body: Value) -> Value {
    let path = d.path(&format!("act-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, body.to_string()).expect("write step");
    let p = path.display().to_string();
    ok(d.run(&[
        "--now", now, "--format", "json", "credit", "act", "--file", &p,
    ]))
}

fn enter(subject: &str, list: &str, reason: &str, on: &str) -> Value {
    json!({"action": "enter", "subject": subject, "list": list, "reason": reason,
           "legal_basis": "严重违法失信名单管理办法", "entered_on": on})
}

/// A serious entry (expires 2026-03-01), a focus entry (expires 2026-01-01), an abnormal
/// entry (escalates on 2026-01-10), a serious penalty (publicity ends 2026-06-01), and a
/// case opened 2025-03-03 and never filed.
fn given_what_falls_due(d: &Deployment) {
    let key = d.path("jianxin.key").display().to_string();
    ok(d.run(&["--format", "json", "keygen", "--out", &key]));
    act(
        d,
        "2023-03-01T02:00:00Z",
        enter(A, "serious", "拒不履行行政处罚决定", "2023-03-01"),
    );
    act(
        d,
        "2025-01-01T02:00:00Z",
        enter(C, "focus", "投诉集中", "2025-01-01"),
    );
    act(
        d,
        "2023-01-10T02:00:00Z",
        enter(B, "abnormal", "unreachable", "2023-01-10"),
    );
    act(
        d,
        "2025-06-01T02:00:00Z",
        json!({"action": "record", "subject": A, "source": "penalty", "summary": "罚款五万元",
               "legal_basis": "行政处罚法", "effective_on": "2025-06-01", "penalty": "serious"}),
    );
    let opened = ok(d.run(&[
        "--format",
        "json",
        "--actor",
        "ZF-001",
        "--now",
        "2025-03-03T02:00:00Z",
        "case",
        "open",
        "--clue",
        "群众举报",
        "--received",
        "2025-03-03",
    ]));
    assert!(opened["id"].is_string(), "{opened}");
}

/// Every event in the log.
fn events(d: &Deployment) -> Vec<Value> {
    let v = ok(d.run(&["--format", "json", "log", "show", "--limit", "10000"]));
    v.as_array().expect("events").clone()
}

/// (event type, effective_at, due_at) of the scheduler's facts, counted.
fn scheduled_facts(d: &Deployment) -> BTreeMap<(String, String, String), usize> {
    let mut out = BTreeMap::new();
    for e in events(d) {
        let p = &e["payload"];
        if p["actor"]["role"] != "system" || p["event_type"] == "JobRan" {
            continue;
        }
        let key = (
            p["event_type"].as_str().unwrap_or("").to_string(),
            p["effective_at"].as_str().unwrap_or("").to_string(),
            p["data"]["due_at"].as_str().unwrap_or("").to_string(),
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

fn count(facts: &BTreeMap<(String, String, String), usize>, kind: &str) -> usize {
    facts
        .iter()
        .filter(|(k, _)| k.0 == kind)
        .map(|(_, n)| n)
        .sum()
}

/// One run of the scheduler's due jobs at `now`, expecting success; its JSON report.
pub(crate) fn scheduler_once(d: &Deployment, now: &str) -> Value {
    ok(d.run(&[
        "--now",
        now,
        "--format",
        "json",
        "scheduler",
        "run",
        "--once",
    ]))
}

fn ledger_size(d: &Deployment) -> u64 {
    let v = ok(d.run(&["--format", "json", "log", "verify"]));
    v["events"].as_u64().unwrap_or_else(|| panic!("{v}"))
}

cli_on_both!(
    s9_two_instances_started_together_fire_each_due_event_once,
    |d: Deployment| async move {
        given_what_falls_due(&d);
        let before = ledger_size(&d);
        let now = "2026-12-01T00:00:00Z";
        let spawn = || {
            Command::new(jianxin_bin())
                .args([
                    "--now",
                    now,
                    "--format",
                    "json",
                    "scheduler",
                    "run",
                    "--once",
                ])
                .env("JIANXIN_DB", &d.db)
                .env("JIANXIN_KEY_FILE", d.path("jianxin.key"))
                .env_remove("JIANXIN_NOW")
                .current_dir(d.dir.path())
                .output()
                .expect("run jianxin")
        };
        let (one, two) = std::thread::scope(|s| {
            let a = s.spawn(spawn);
            let b = s.spawn(spawn);
            (a.join().expect("instance 1"), b.join().expect("instance 2"))
        });
        for o in [&one, &two] {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        let facts = scheduled_facts(&d);
        assert!(facts.values().all(|n| *n == 1), "a fact twice: {facts:?}");
        assert_eq!(count(&facts, "ListEntryExpired"), 2, "{facts:?}");
        assert_eq!(count(&facts, "ListEntered"), 1, "the escalation: {facts:?}");
        assert_eq!(count(&facts, "DeadlineReached"), 1, "{facts:?}");
        assert_eq!(count(&facts, "CheckpointStored"), 1, "{facts:?}");
        let publicity = (
            "PublicityEnded".to_string(),
            "2026-06-01".to_string(),
            "2026-05-31T16:00:00Z".to_string(),
        );
        assert_eq!(facts.get(&publicity), Some(&1), "{facts:?}");
        // effective at the due instant, not at the catch-up
        let key = (
            "ListEntryExpired".to_string(),
            "2026-03-01".to_string(),
            "2026-02-28T16:00:00Z".to_string(),
        );
        assert_eq!(facts.get(&key), Some(&1), "{facts:?}");
        let runs = events(&d)
            .iter()
            .filter(|e| e["payload"]["event_type"] == "JobRan")
            .count();
        assert_eq!(runs, 5, "one record per job that found something due");
        let after = ledger_size(&d);
        assert_eq!(after, before + 6 + 5);
        // a third run at the same instant appends nothing
        let again = scheduler_once(&d, now);
        assert!(
            again
                .as_array()
                .expect("reports")
                .iter()
                .all(|r| r["appended"] == 0),
            "{again}"
        );
        assert_eq!(ledger_size(&d), after);
        // status: each job, its last firing and what it appended, its next tick
        let status = ok(d.run(&["--now", now, "--format", "json", "scheduler", "status"]));
        let expiry = status
            .as_array()
            .and_then(|a| a.iter().find(|j| j["job"] == "credit_expiry"))
            .expect("credit_expiry in status");
        // the record that won the race: what that instance saw due (the other instance
        // may have fired one of the two first; the facts above are the exact count)
        let appended = expiry["last_firing"]["appended"].as_u64().unwrap_or(0);
        assert!((1..=2).contains(&appended), "{expiry}");
        assert_eq!(expiry["next_firing"], "2026-12-01T16:05:00Z");
        assert_eq!(expiry["cron"], "0 5 0 * * *");
        d.finish().await;
    }
);

cli_on_both!(
    s9_years_of_monthly_runs_append_what_one_catch_up_appends,
    |d: Deployment| async move {
        given_what_falls_due(&d);
        let other = Deployment::new(d.is_pg()).await;
        given_what_falls_due(&other);
        for year in 2025..=2028 {
            for month in 1..=12 {
                scheduler_once(&d, &format!("{year}-{month:02}-15T00:00:00Z"));
            }
        }
        scheduler_once(&other, "2028-12-15T00:00:00Z");
        let stepped = scheduled_facts(&d);
        let caught_up = scheduled_facts(&other);
        // checkpoints differ (one a month against one); every other fact is the same,
        // at the same due instant and effective date
        let without = |f: &BTreeMap<(String, String, String), usize>| {
            f.iter()
                .filter(|(k, _)| k.0 != "CheckpointStored")
                .map(|(k, n)| (k.clone(), *n))
                .collect::<Vec<_>>()
        };
        assert_eq!(without(&stepped), without(&caught_up));
        // the escalated serious entry expires on 2029-01-10: not yet
        assert_eq!(count(&stepped, "ListEntryExpired"), 2, "{stepped:?}");
        assert!(count(&stepped, "CheckpointStored") > 1);
        let v = ok(d.run(&["--format", "json", "log", "verify"]));
        assert!(v["events"].as_u64().is_some());
        other.finish().await;
        d.finish().await;
    }
);

cli_on_both!(
    s9_a_bad_configuration_is_refused_naming_its_line_and_appends_nothing,
    |d: Deployment| async move {
        given_what_falls_due(&d);
        let before = ledger_size(&d);
        let path = d.path("schedule.txt");
        let text = jianxin_scheduler::DEFAULT_SCHEDULE
            .replace("case_deadlines = 0 20 0 * * *", "case_deadlines = nightly");
        std::fs::write(&path, text).expect("write");
        let p = path.display().to_string();
        let r = d.run(&[
            "--now",
            "2026-12-01T00:00:00Z",
            "scheduler",
            "run",
            "--once",
            "--schedule",
            &p,
        ]);
        assert_eq!(r.code, 2, "{} {}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("line 9") && r.stderr.contains("case_deadlines"),
            "{}",
            r.stderr
        );
        assert_eq!(ledger_size(&d), before);
        d.finish().await;
    }
);

/// The checkpoints the scheduler stored are public, in order, and verify under the key.
async fn s9_stored_checkpoints_are_public_and_verify(app: &TestApp) {
    use jianxin_domain::integrity::open_checkpoint;
    let empty = app.get("/v1/public/checkpoints", None).await;
    assert_eq!(empty.status.as_u16(), 200);
    assert_eq!(empty.json()["checkpoints"], json!([]));
    let scheduler = jianxin_scheduler::Scheduler::new(
        app.state.log.clone(),
        app.state.signer.clone(),
        crate::helpers::ORIGIN,
        jianxin_scheduler::SchedulerConfig::default_config().expect("default schedule"),
    );
    let now = crate::helpers::test_now();
    // an empty log has nothing to sign
    scheduler.try_run_once(now).await.expect("run");
    assert_eq!(app.ledger_size().await, 0);
    let token = app.token(jianxin_domain::event_log::Role::Admin).await;
    let size = app.ledger_size().await;
    assert!(size >= 1, "issuing a token is recorded");
    scheduler.try_run_once(now).await.expect("run");
    let res = app.get("/v1/public/checkpoints", None).await;
    assert_eq!(res.status.as_u16(), 200);
    let page = res.json();
    let list = page["checkpoints"].as_array().expect("checkpoints");
    assert_eq!(list.len(), 1, "{page}");
    let note = list[0]["note"].as_str().expect("note");
    let cp = open_checkpoint(note, &app.state.verifier).expect("the stored checkpoint verifies");
    assert_eq!(cp.tree_size, size);
    assert_eq!(list[0]["tree_size"], size);
    assert_eq!(list[0]["root_hash"], hex_of(&cp.root));
    // nothing new but the scheduler's records: no new checkpoint at a later tick
    scheduler
        .try_run_once(now + chrono::Duration::hours(1))
        .await
        .expect("run");
    let again = app.get("/v1/public/checkpoints", None).await.json();
    assert_eq!(again["checkpoints"].as_array().map(Vec::len), Some(1));
    let after = page["next_after"].as_i64().expect("cursor");
    let next = app
        .get(&format!("/v1/public/checkpoints?after={after}"), None)
        .await
        .json();
    assert_eq!(next["checkpoints"], json!([]));
    let bad = app.get("/v1/public/checkpoints?limit=0", None).await;
    bad.problem(400, "bad-request");
    drop(token);
}
on_both!(s9_stored_checkpoints_are_public_and_verify);

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

cli_on_both!(
    s28_a_catch_up_reaches_a_fixpoint,
    |d: Deployment| async move {
        ok(d.run(&["--format", "json", "demo", "seed"]));
        // years of catch-up at once: the demo's abnormal-list entries escalate to the
        // serious list, and those serious entries' own periods end before `now`
        let now = "2030-01-01T00:00:00+08:00";
        let first = scheduler_once(&d, now);
        let fired = |report: &Value, job: &str| -> u64 {
            report
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["job"] == job)
                .map(|r| r["appended"].as_u64().unwrap_or(0))
                .sum()
        };
        assert!(fired(&first, "credit_escalation") > 0, "{first}");
        assert!(fired(&first, "credit_expiry") > 0, "{first}");
        let after_first = ledger_size(&d);
        // the same instant again: everything due by it is in the log already
        let second = scheduler_once(&d, now);
        let appended: u64 = second
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["appended"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(appended, 0, "{second}");
        assert_eq!(ledger_size(&d), after_first);
        d.finish().await;
    }
);
