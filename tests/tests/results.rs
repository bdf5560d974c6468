//! Inspection results and their publication (issue 6, docs/RESULTS.md), end to end on
//! both backends: on the demo's two drawn tasks (`demo seed`), a member of the drawn team
//! records a result through the real binary and `publication due` counts its deadline in
//! working days on the shipped calendar; a non-member, a member present who is not on the
//! team, and a visit by one inspector are refused with nothing written; a correction needs
//! a reason and makes version 2; publication empties the due list. A joint visit records
//! findings for both departments. A task drawn for February 2024 checks a deadline across
//! the Spring Festival and its 调休 workdays against `data/calendar-cn-2018-2026.csv`.
//! Over HTTP: the same steps with tokens, the problems, and the public results and feed
//! masked (no inspector's id anywhere in them).
//!
//! [`MatrixResults`] gives the access matrix of `http.rs` a recorded result to correct
//! and publish, so that an admitted role gets a 2xx on every result route.

use std::collections::BTreeMap;

use axum::http::Method;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use jianxin_api::{demo, results, tasks};
use jianxin_domain::event_log::{Actor, Role};
use jianxin_projections::read_models::task_queries::assignments_of;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::binary::{Deployment, Run};
use crate::helpers::{test_now, TestApp, TestResponse, CALENDAR_CSV};
use crate::http_directory::post_json;
use crate::http_draw::token_for;
use crate::{cli_on_both, on_both};

/// The demo's single-department task (330100-SCJG, item SJ-002, inspected 2023-09-15).
const SINGLE: &str = "bb298a77-2da9-8943-989c-c350ecc1ee4b";
/// The demo's joint task (330100-SCJG + 330100-WSJK, SJ-001 and WS-001, 2023-09-20).
const JOINT: &str = "6de8fe16-ec8a-8fc3-99c3-6bebee46ae81";
const SCJG: &str = "330100-SCJG";
const WSJK: &str = "330100-WSJK";
/// The market-regulation inspectors of the demo directory.
const SJ_INSPECTORS: [&str; 8] = [
    "SJ-D01", "SJ-D02", "SJ-D03", "SJ-D04", "SJ-D05", "SJ-D06", "SJ-D07", "SJ-D08",
];
/// A piece of evidence: its name names a person, so it must never be published.
const EVIDENCE_NAME: &str = "张三现场照片.jpg";
const EVIDENCE_SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/// drand quicknet round 123's signature (`data/randomness-vectors.json`).
const SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

// ---- result files --------------------------------------------------------------------

/// A finding on `item` of `department`.
fn finding(item: &str, department: &str, text: &str) -> Value {
    json!({"item": item, "department": department, "text": text})
}

/// A result with no problem found, on site, by `members`, with the evidence above.
fn content(members: &[&str], date: &str, findings: Vec<Value>) -> Value {
    json!({
        "category": "no_problem",
        "method": "on_site",
        "findings": findings,
        "evidence": [{"name": EVIDENCE_NAME, "sha256": EVIDENCE_SHA256}],
        "members": members,
        "inspection_date": date,
        "follow_up": "none",
    })
}

/// The result file of docs/RESULTS.md.
fn result_file(task: &str, uscc: &str, result: Value) -> Value {
    json!({"task": task, "uscc": uscc, "result": result})
}

/// A result of the single-department task by `members`.
fn single_result(uscc: &str, members: &[&str]) -> Value {
    let findings = vec![finding(
        "SJ-002",
        SCJG,
        "食品经营许可证在有效期内，未发现问题",
    )];
    result_file(SINGLE, uscc, content(members, "2023-09-15", findings))
}

/// Working days after `from` on the calendar CSV, counted here, independently of the
/// product: `holiday_off` days are off, `adjusted_workday` days (调休) are worked, other
/// days are worked Monday to Friday.
fn add_working_days_on_csv(from: NaiveDate, n: u32) -> NaiveDate {
    let kinds: BTreeMap<&str, &str> = CALENDAR_CSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split(',');
            Some((f.next()?, f.next()?))
        })
        .collect();
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().expect("a next day");
        let worked = match kinds.get(day.format("%Y-%m-%d").to_string().as_str()) {
            Some(&"holiday_off") => false,
            Some(&"adjusted_workday") => true,
            _ => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        };
        if worked {
            left -= 1;
        }
    }
    day
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

// ---- the binary ------------------------------------------------------------------------

/// `jianxin --format json <args>`.
fn jx(d: &Deployment, args: &[&str]) -> Run {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    d.run(&all)
}

fn parse(text: &str, r: &Run) -> Value {
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: exit {} / {} / {}", r.code, r.stdout, r.stderr))
}

/// A command that must succeed: its JSON output.
fn ok(d: &Deployment, args: &[&str]) -> Value {
    let r = jx(d, args);
    assert_eq!(r.code, 0, "{args:?}: {} {}", r.stdout, r.stderr);
    parse(&r.stdout, &r)
}

/// `log verify`: "ok N events, root R", which any append changes.
fn ledger(d: &Deployment) -> String {
    let r = d.run(&["log", "verify"]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("ok "), "{}", r.stdout);
    r.stdout
}

/// A command refused with exit 1, a message containing `why`, and nothing appended.
fn refused(d: &Deployment, args: &[&str], why: &str) {
    let before = ledger(d);
    let r = jx(d, args);
    assert_eq!(r.code, 1, "{args:?}: {} {}", r.stdout, r.stderr);
    let e = parse(&r.stderr, &r);
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "{args:?}: {e}, expected {why:?}");
    assert_eq!(
        ledger(d),
        before,
        "{args:?} was refused but changed the log"
    );
}

fn seeded(d: &Deployment) {
    let v = ok(d, &["demo", "seed"]);
    assert!(v["events_appended"].as_u64().unwrap_or(0) > 0, "{v}");
}

/// The drawn teams of a task as (uscc, inspectors), from `task show`.
fn teams(d: &Deployment, task: &str) -> Vec<(String, Vec<String>)> {
    let shown = ok(d, &["task", "show", task]);
    shown["draw"]["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .map(|t| {
            let members = t["inspectors"]
                .as_array()
                .expect("inspectors")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            (t["uscc"].as_str().expect("uscc").to_owned(), members)
        })
        .collect()
}

/// Writes `file` into the deployment's directory; its name.
fn write(d: &Deployment, name: &str, file: &Value) -> String {
    std::fs::write(d.path(name), file.to_string()).expect("write a result file");
    name.to_owned()
}

/// `publication due --as-of DAY`.
fn due(d: &Deployment, as_of: &str) -> Vec<Value> {
    ok(d, &["publication", "due", "--as-of", as_of])
        .as_array()
        .cloned()
        .expect("a list")
}

/// The one due entry of `uscc`.
fn due_of(d: &Deployment, as_of: &str, uscc: &str) -> Value {
    let all = due(d, as_of);
    let mut of = all.iter().filter(|r| r["uscc"] == uscc);
    let first = of
        .next()
        .unwrap_or_else(|| panic!("{uscc} is not due: {all:?}"));
    assert!(of.next().is_none(), "{all:?}");
    first.clone()
}

cli_on_both!(
    r6_the_team_records_corrects_and_publishes,
    |d: Deployment| async move {
        seeded(&d);
        let (uscc, team) = teams(&d, SINGLE).into_iter().next().expect("a team");
        let members: Vec<&str> = team.iter().map(String::as_str).collect();
        let outsider = SJ_INSPECTORS
            .into_iter()
            .find(|i| !members.contains(i))
            .expect("an inspector not on the team");
        let member = members[0];

        // a non-member is refused, and nothing is written
        let file = write(&d, "result.json", &single_result(&uscc, &members));
        let record = |actor: &'static str, file: &str| {
            vec!["--actor", actor, "result", "record", "--file"]
                .into_iter()
                .map(str::to_owned)
                .chain([file.to_owned()])
                .collect::<Vec<_>>()
        };
        let args = record(outsider, &file);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&d, &args, "not on the team");
        // a member present who is not on the team
        let stranger = write(
            &d,
            "stranger.json",
            &single_result(&uscc, &[member, outsider]),
        );
        let args = ["--actor", member, "result", "record", "--file", &stranger];
        refused(&d, &args, outsider);
        // fewer than 2 present (行政执法不少于两人)
        let alone = write(&d, "alone.json", &single_result(&uscc, &[member]));
        let args = ["--actor", member, "result", "record", "--file", &alone];
        refused(&d, &args, "at least 2 members");

        // a member records: version 1, the deadline 20 working days on
        let r = ok(
            &d,
            &["--actor", member, "result", "record", "--file", &file],
        );
        assert_eq!(r["version"], 1, "{r}");
        assert_eq!(r["task"], SINGLE);
        assert_eq!(r["uscc"], uscc.as_str());
        // 2023-09-15 + 20 working days, across 中秋/国庆 (09-29 … 10-06 off) and the
        // 调休 workdays 10-07 (Saturday) and 10-08 (Sunday)
        assert_eq!(r["deadline"], "2023-10-19", "{r}");
        assert_eq!(
            add_working_days_on_csv(date("2023-09-15"), 20),
            date("2023-10-19")
        );
        // issue 28: the draw that visited can no longer change: a member's recusal from
        // the subject, and a redraw of the task, are refused and write nothing
        let args = [
            "--actor",
            members[1],
            "draw",
            "recuse",
            SINGLE,
            "--subject",
            &uscc,
        ];
        let args = [&args[..], &["--reason", "与该企业负责人系近亲属"]].concat();
        refused(&d, &args, "recorded already");
        let args = ["--actor", "supervisor-1", "draw", "redraw", SINGLE];
        let args = [&args[..], &["--reason", "结果不理想"]].concat();
        refused(&d, &args, "redraw after a result");
        let args = ["--actor", member, "result", "record", "--file", &file];
        refused(&d, &args, "recorded already");

        // the due list counts working days on the calendar
        let row = due_of(&d, "2023-10-10", &uscc);
        assert_eq!(row["task_id"], SINGLE);
        assert_eq!(row["version"], 1);
        assert_eq!(row["inspection_date"], "2023-09-15");
        assert_eq!(row["deadline"], "2023-10-19");
        assert_eq!(row["working_days_left"], 7, "{row}");
        assert_eq!(row["overdue"], false);
        let row = due_of(&d, "2023-10-19", &uscc);
        assert_eq!(
            (&row["working_days_left"], &row["overdue"]),
            (&json!(0), &json!(false))
        );
        let row = due_of(&d, "2023-10-20", &uscc);
        assert_eq!(row["working_days_left"], -1, "{row}");
        assert_eq!(row["overdue"], true);

        // a correction needs a reason; with one it is version 2
        let mut corrected = single_result(&uscc, &members);
        corrected["result"]["category"] = json!("发现问题已责令改正");
        corrected["result"]["follow_up"] = json!("责令改正");
        let fixed = write(&d, "corrected.json", &corrected);
        let no_reason = jx(
            &d,
            &["--actor", member, "result", "correct", "--file", &fixed],
        );
        assert_eq!(no_reason.code, 2, "{}", no_reason.stderr);
        for blank in ["", "   "] {
            let args = [
                "--actor", member, "result", "correct", "--file", &fixed, "--reason", blank,
            ];
            refused(&d, &args, "reason");
        }
        let args = [
            "--actor", outsider, "result", "correct", "--file", &fixed, "--reason", "补录",
        ];
        refused(&d, &args, "not on the team");
        let reason = "findings were entered under the wrong category";
        let r = ok(
            &d,
            &[
                "--actor", member, "result", "correct", "--file", &fixed, "--reason", reason,
            ],
        );
        assert_eq!(r["version"], 2, "{r}");
        assert_eq!(r["deadline"], "2023-10-19");
        assert_eq!(due_of(&d, "2023-10-10", &uscc)["version"], 2);

        // publication of the current version empties the due list
        let r = ok(
            &d,
            &["result", "publish", "--task", SINGLE, "--subject", &uscc],
        );
        assert_eq!(r["version"], 2, "{r}");
        assert_eq!(due(&d, "2023-10-10"), Vec::<Value>::new());
        let args = ["result", "publish", "--task", SINGLE, "--subject", &uscc];
        refused(&d, &args, "published already");
        let r = d.run(&["log", "verify"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        d.finish().await;
    }
);

cli_on_both!(
    r6_a_joint_visit_records_findings_for_both_departments,
    |d: Deployment| async move {
        seeded(&d);
        let (uscc, team) = teams(&d, JOINT).into_iter().next().expect("a team");
        let members: Vec<&str> = team.iter().map(String::as_str).collect();
        let health = *members
            .iter()
            .find(|m| m.starts_with("WS-"))
            .expect("a health inspector on the joint team");
        assert!(members.iter().any(|m| m.starts_with("SJ-")), "{members:?}");
        let findings = |sj_department: &str| {
            vec![
                finding("SJ-001", sj_department, "年度报告已按时公示"),
                finding("WS-001", WSJK, "卫生许可证悬挂于醒目位置"),
            ]
        };
        // an item filed under the other department is not an item of the task
        let wrong = result_file(
            JOINT,
            &uscc,
            content(&members, "2023-09-20", findings(WSJK)),
        );
        let wrong = write(&d, "wrong.json", &wrong);
        let args = ["--actor", health, "result", "record", "--file", &wrong];
        refused(&d, &args, "not an item of the task");
        // one result with each department's findings, in Chinese names
        let mut result = content(&members, "2023-09-20", findings(SCJG));
        result["category"] = json!("发现问题待后续处理");
        result["pending"] = json!(["通过登记的住所无法联系"]);
        result["method"] = json!("现场检查");
        result["follow_up"] = json!("告知其他部门");
        result["notify"] = json!(SCJG);
        let file = write(&d, "joint.json", &result_file(JOINT, &uscc, result));
        let r = ok(
            &d,
            &["--actor", health, "result", "record", "--file", &file],
        );
        assert_eq!(r["version"], 1, "{r}");
        // the result flows on to credit: a credit record, and the abnormal operations
        // list for "unreachable at the registered address", from the inspection date
        let kinds: Vec<&str> = r["flowed"]
            .as_array()
            .expect("flowed")
            .iter()
            .map(|f| f["kind"].as_str().unwrap_or("?"))
            .collect();
        assert_eq!(kinds, ["credit_record", "abnormal_entry"], "{r}");
        let entries = ok(&d, &["credit", "entries", "--subject", &uscc]);
        assert_eq!(entries["entries"][0]["list"], "abnormal", "{entries}");
        assert_eq!(entries["entries"][0]["reason"], "unreachable");
        assert_eq!(entries["entries"][0]["entered_on"], "2023-09-20");
        let args = [
            "credit",
            "check",
            "--subject",
            uscc.as_str(),
            "--scenario",
            "honours",
            "--date",
            "2023-10-01",
        ];
        assert_eq!(ok(&d, &args)["decision"], "restricted");
        // 2023-09-20 + 20 working days, the National Day holidays and 调休 in between
        assert_eq!(r["deadline"], "2023-10-24", "{r}");
        assert_eq!(
            add_working_days_on_csv(date("2023-09-20"), 20),
            date("2023-10-24")
        );
        let row = due_of(&d, "2023-10-24", &uscc);
        assert_eq!(row["task_id"], JOINT);
        assert_eq!(row["working_days_left"], 0, "{row}");
        d.finish().await;
    }
);

cli_on_both!(
    r28_a_correction_undoes_what_the_corrected_version_caused,
    |d: Deployment| async move {
        seeded(&d);
        let (uscc, team) = teams(&d, JOINT).into_iter().next().expect("a team");
        let members: Vec<&str> = team.iter().map(String::as_str).collect();
        let health = *members
            .iter()
            .find(|m| m.starts_with("WS-"))
            .expect("a health inspector on the joint team");
        let findings = vec![
            finding("SJ-001", SCJG, "年度报告已按时公示"),
            finding("WS-001", WSJK, "卫生许可证悬挂于醒目位置"),
        ];
        let base = content(&members, "2023-09-20", findings);
        let mut unreachable = base.clone();
        unreachable["category"] = json!("pending_follow_up");
        unreachable["pending"] = json!(["unreachable_at_address"]);
        unreachable["follow_up"] = json!("transfer_to_case");
        let mut corrected = base;
        corrected["category"] = json!("corrected_on_order");
        let file = |name: &str, result: &Value| {
            write(&d, name, &result_file(JOINT, &uscc, result.clone()))
        };
        let v1 = file("v1.json", &unreachable);
        let v2 = file("v2.json", &corrected);
        let as_health = |now: &str| {
            vec![
                "--now".to_owned(),
                now.to_owned(),
                "--actor".into(),
                health.into(),
            ]
        };
        let run = |now: &str, rest: &[&str]| {
            let args: Vec<String> = as_health(now)
                .into_iter()
                .chain(rest.iter().map(|a| a.to_string()))
                .collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ok(&d, &args)
        };
        let kinds = |r: &Value| -> Vec<(String, bool)> {
            r["flowed"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    (
                        f["kind"].as_str().unwrap_or("?").to_owned(),
                        f["undone"] == true,
                    )
                })
                .collect()
        };
        let check = |known_at: Option<&str>| {
            let mut args = vec![
                "credit",
                "check",
                "--subject",
                uscc.as_str(),
                "--scenario",
                "honours",
                "--date",
                "2026-10-15",
            ];
            if let Some(k) = known_at {
                args.extend(["--known-at", k]);
            }
            ok(&d, &args)["decision"].as_str().unwrap_or("?").to_owned()
        };
        // v1: the company is unreachable at its address: a credit record and the
        // abnormal list
        let r = run("2023-09-21T02:00:00Z", &["result", "record", "--file", &v1]);
        let flowed = kinds(&r);
        assert_eq!(
            flowed,
            [
                ("enforcement_case".to_owned(), false),
                ("credit_record".to_owned(), false),
                ("abnormal_entry".to_owned(), false)
            ],
            "{r}"
        );
        let first_entry = r["flowed"][2]["entry_id"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        // three years on the abnormal list: the scheduler escalates it to the serious list
        crate::scheduler::scheduler_once(&d, "2026-10-01T00:00:00Z");
        let entries = ok(&d, &["credit", "entries", "--subject", &uscc]);
        assert!(entries.to_string().contains("\"serious\""), "{entries}");
        assert_eq!(check(None), "restricted");
        // v2: corrected on order, the address was right after all: every fact that flowed
        // from v1 is annulled, the escalation with it
        let reason = "复核确认企业可通过登记住所联系，原记录有误";
        let r = run(
            "2026-11-02T02:00:00Z",
            &["result", "correct", "--file", &v2, "--reason", reason],
        );
        let mut undone = kinds(&r);
        undone.sort();
        assert_eq!(
            undone,
            [
                ("abnormal_entry".to_owned(), true),
                ("credit_record".to_owned(), true),
                ("enforcement_case".to_owned(), true),
                ("escalation".to_owned(), true)
            ],
            "{r}"
        );
        // the case opened from the transfer is withdrawn, and the impact notice lists
        // the logged answer (restricted, above) that the annulments change
        let case = r["flowed"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["kind"] == "enforcement_case")
            .and_then(|f| f["entry_id"].as_str())
            .unwrap_or("?")
            .to_owned();
        let listed = ok(&d, &["case", "list"]).to_string();
        assert!(listed.contains(&case), "{listed}");
        let replay = ok(&d, &["case", "replay", &case]);
        assert_eq!(replay["status"], "withdrawn", "{replay}");
        let impact: usize = r["flowed"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| f["impact"].as_array().map_or(0, Vec::len))
            .sum();
        assert!(impact > 0, "{r}");
        // checks known after the correction answer without them; those known before
        // answer as they did
        assert_eq!(check(None), "allowed");
        assert_eq!(check(Some("2026-10-15T00:00:00Z")), "restricted");
        let entries = ok(&d, &["credit", "entries", "--subject", &uscc]);
        for e in entries["entries"].as_array().into_iter().flatten() {
            let why = e["annulled"].as_str().unwrap_or_default();
            assert!(
                why.contains(reason),
                "annulled with the correction's reason: {e}"
            );
        }
        let log = ok(&d, &["log", "show", "--limit", "10000"]).to_string();
        assert!(
            log.contains(reason),
            "the annulments give the correction's reason"
        );
        // v3: corrected back to unreachable: the flows happen again, once
        let v3 = file("v3.json", &unreachable);
        let r = run(
            "2026-11-03T02:00:00Z",
            &[
                "result",
                "correct",
                "--file",
                &v3,
                "--reason",
                "现场再次核实无法联系",
            ],
        );
        assert_eq!(
            kinds(&r),
            [
                ("enforcement_case".to_owned(), false),
                ("credit_record".to_owned(), false),
                ("abnormal_entry".to_owned(), false)
            ],
            "{r}"
        );
        let second_entry = r["flowed"][2]["entry_id"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        assert_ne!(second_entry, first_entry);
        let made = r["flowed"].clone();
        let before = ledger(&d);
        let r = run(
            "2026-11-04T02:00:00Z",
            &["result", "correct", "--file", &v3, "--reason", "补充说明"],
        );
        // the same flows, already made: nothing new is appended for them
        let pairs = r["flowed"].as_array().into_iter().flatten();
        for (again, first) in pairs.zip(made.as_array().into_iter().flatten()) {
            assert_eq!(again["global_sequences"], first["global_sequences"], "{r}");
        }
        assert_ne!(ledger(&d), before, "the correction itself is recorded");
        let entries = ok(&d, &["credit", "entries", "--subject", &uscc]);
        let live = entries["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["annulled"].is_null() && e["list"] == "abnormal")
            .count();
        assert_eq!(live, 1, "{entries}");
        assert_eq!(check(None), "restricted");
        d.finish().await;
    }
);

/// A task of SJ-002 in the demo's region for `window` (inspection date, first day, last
/// day), created, frozen and drawn on drand round 123 (published 2023-08-23); its id and
/// its first team (subject and members).
fn drawn_task(d: &Deployment, title: &str, window: [&str; 3]) -> (String, String, Vec<String>) {
    let [inspection_date, window_from, window_to] = window;
    let task = json!({
        "title": title,
        "departments": [SCJG],
        "items": ["SJ-002"],
        "scope": {"regions": ["330100"]},
        "window_from": window_from,
        "window_to": window_to,
        "inspection_date": inspection_date,
    });
    let name = write(d, "task.json", &task);
    let create = [
        "--actor",
        "planner-1",
        "--now",
        "2023-08-22T00:00:00Z",
        "task",
        "create",
    ];
    let created = ok(d, &[&create[..], &["--file", &name]].concat());
    let id = created["id"].as_str().expect("a task id").to_owned();
    let freeze = [
        "--now",
        "2023-08-23T15:00:00Z",
        "draw",
        "freeze",
        &id,
        "--round",
        "123",
    ];
    ok(d, &freeze);
    let beacon = [
        "--now",
        "2023-08-23T15:20:00Z",
        "draw",
        "beacon",
        &id,
        "--round",
        "123",
    ];
    ok(d, &[&beacon[..], &["--signature", SIGNATURE]].concat());
    let drawn = ok(d, &["--now", "2023-08-23T15:21:00Z", "draw", "run", &id]);
    assert_eq!(drawn["status"], "drawn", "{drawn}");
    let (uscc, team) = teams(d, &id).into_iter().next().expect("a team");
    (id, uscc, team)
}

cli_on_both!(
    r6_a_deadline_across_the_spring_festival,
    |d: Deployment| async move {
        seeded(&d);
        let title = "春节前后食品经营许可事项抽查（测试）";
        let (id, uscc, team) = drawn_task(&d, title, ["2024-02-08", "2024-02-01", "2024-02-29"]);
        let members: Vec<&str> = team.iter().map(String::as_str).collect();

        // visited on Thursday 2024-02-08, the last working day but one before 春节
        let findings = vec![finding("SJ-002", SCJG, "节前食品安全检查，未发现问题")];
        let file = result_file(&id, &uscc, content(&members, "2024-02-08", findings));
        let file = write(&d, "result.json", &file);
        let r = ok(
            &d,
            &["--actor", members[1], "result", "record", "--file", &file],
        );
        // 02-09 is day 1; 02-10 … 02-17 are off (春节); Sunday 02-18 is worked (调休,
        // day 2); then Monday to Friday: 02-19 … 02-23 (3–7), 02-26 … 03-01 (8–12),
        // 03-04 … 03-08 (13–17), 03-11 … 03-13 (18–20). The 调休 Sunday 02-04 comes
        // before the visit and does not count.
        assert_eq!(r["deadline"], "2024-03-13", "{r}");
        assert_eq!(r["calendar"], "official", "{r}");
        assert_eq!(
            add_working_days_on_csv(date("2024-02-08"), 20),
            date("2024-03-13")
        );
        for (as_of, left) in [
            ("2024-02-09", 19),
            ("2024-02-10", 19),
            ("2024-02-17", 19),
            ("2024-02-18", 18),
            ("2024-03-13", 0),
            ("2024-03-14", -1),
        ] {
            let row = due_of(&d, as_of, &uscc);
            assert_eq!(row["deadline"], "2024-03-13");
            assert_eq!(row["working_days_left"], left, "as of {as_of}: {row}");
            assert_eq!(row["overdue"], json!(left < 0), "as of {as_of}: {row}");
        }
        d.finish().await;
    }
);

cli_on_both!(
    r28_a_result_of_december_is_recorded_on_the_provisional_calendar,
    |d: Deployment| async move {
        seeded(&d);
        // The shipped official schedule ends on 2026-12-31 and 2027's is not loaded: a
        // result of 10 December 2026 used to be refused for want of a calendar year.
        let title = "年末食品经营许可事项抽查（测试）";
        let (id, uscc, team) = drawn_task(&d, title, ["2026-12-10", "2026-12-01", "2026-12-31"]);
        let members: Vec<&str> = team.iter().map(String::as_str).collect();
        let findings = vec![finding("SJ-002", SCJG, "年末食品安全检查，未发现问题")];
        let file = result_file(&id, &uscc, content(&members, "2026-12-10", findings));
        let file = write(&d, "result.json", &file);
        let record = [
            "--now",
            "2026-12-11T02:00:00Z",
            "--actor",
            members[1],
            "result",
        ];
        let r = ok(&d, &[&record[..], &["record", "--file", &file]].concat());
        // 15 working days left in December, 1 January off (元旦), then 4-8 January.
        assert_eq!(r["deadline"], "2027-01-08", "{r}");
        assert_eq!(r["calendar"], "provisional", "{r}");
        let row = due_of(&d, "2026-12-11", &uscc);
        assert_eq!(row["deadline"], "2027-01-08");
        assert_eq!(row["calendar"], "provisional", "{row}");
        assert_eq!(row["working_days_left"], 19, "{row}");
        let table = d.run(&["publication", "due", "--as-of", "2026-12-11"]);
        assert!(
            table.stdout.contains("2027-01-08 (provisional)"),
            "{}",
            table.stdout
        );
        // 2027's official schedule is loaded, here with Monday 4 January as a bridge day:
        // the deadline is counted anew, recorded with the calendar version, and listed.
        let official = format!(
            "{}2027-01-01,holiday_off,元旦,New Year's Day\n2027-01-04,holiday_off,元旦,New Year's Day\n",
            include_str!("../../data/calendar-cn-2018-2026.csv")
        );
        std::fs::write(d.path("calendar-2027.csv"), official).expect("write the calendar");
        let load = ["reference", "load", "calendar", "calendar-2027.csv"];
        let loaded = ok(&d, &load);
        let recounted = loaded["recounted"].as_array().cloned().unwrap_or_default();
        assert_eq!(recounted.len(), 1, "{loaded}");
        let r = &recounted[0];
        assert_eq!(
            (&r["kind"], &r["id"], &r["uscc"], &r["deadline"]),
            (
                &json!("result"),
                &json!(id),
                &json!(uscc),
                &json!("publication")
            ),
            "{r}"
        );
        assert_eq!(
            (&r["previous"], &r["due_on"], &r["calendar"]),
            (
                &json!("2027-01-08"),
                &json!("2027-01-11"),
                &json!("official")
            ),
            "{r}"
        );
        let row = due_of(&d, "2026-12-11", &uscc);
        assert_eq!(row["deadline"], "2027-01-11", "{row}");
        assert_eq!(row["calendar"], "official", "{row}");
        // the log holds the recount with the version that made it, by the loader
        let events = ok(&d, &["log", "show", "--limit", "10000"]);
        let recount: Vec<&Value> = events
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| &e["payload"])
            .filter(|p| p["event_type"] == "PublicationDeadlineRecounted")
            .collect();
        assert_eq!(recount.len(), 1, "{recount:?}");
        assert_eq!(
            recount[0]["data"]["calendar_version"], loaded["digest"],
            "{}",
            recount[0]
        );
        assert_eq!(recount[0]["actor"]["role"], "admin", "{}", recount[0]);
        // loading it again moves nothing more
        let again = ok(&d, &load);
        assert_eq!(again["changed"], false, "{again}");
        assert_eq!(again["recounted"], json!([]), "{again}");
        d.finish().await;
    }
);

// ---- HTTP ------------------------------------------------------------------------------

/// `POST uri` with `body`.
async fn post(app: &TestApp, uri: &str, body: &Value, token: &str) -> TestResponse {
    app.send(post_json(uri, body, Some(token))).await
}

/// The path of the first located error of a problem.
fn error_path(res: &TestResponse, status: u16, code: &str) -> String {
    let p = res.problem(status, code);
    p["errors"][0]["path"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The demo's drawn teams of `task` as (uscc, inspectors).
async fn demo_teams(app: &TestApp, task: &str) -> Vec<(String, Vec<String>)> {
    let id = Uuid::parse_str(task).expect("a task id");
    let outcome = tasks::last_outcome(&app.state.log, id)
        .await
        .expect("the demo's draw");
    outcome
        .teams
        .into_iter()
        .map(|t| (t.uscc, t.inspectors))
        .collect()
}

/// Asserts that no inspector id of `teams` appears in `body`.
fn names_no_inspector(body: &str, teams: &[(String, Vec<String>)]) {
    for (_, members) in teams {
        for m in members {
            assert!(!body.contains(m.as_str()), "{m} is published: {body}");
        }
    }
    assert!(!body.contains(EVIDENCE_NAME), "{body}");
    assert!(!body.contains("\"members\""), "{body}");
}

async fn r6_results_over_http_and_the_public_feed(app: &TestApp) {
    demo::seed(&app.state).await.expect("demo seed");
    let single = demo_teams(app, SINGLE).await;
    let joint = demo_teams(app, JOINT).await;
    let (uscc, team) = single.first().cloned().expect("a team");
    let members: Vec<&str> = team.iter().map(String::as_str).collect();
    let outsider = SJ_INSPECTORS
        .into_iter()
        .find(|i| !members.contains(i))
        .expect("an inspector not on the team");
    let member = token_for(app, members[0], Role::Inspector).await;
    let stranger = token_for(app, outsider, Role::Inspector).await;
    let planner = app.token(Role::Planner).await;
    let supervisor = app.token(Role::Supervisor).await;
    let results_uri = format!("/v1/tasks/{SINGLE}/results");

    // the file without `task`: the path names it
    let mut file = single_result(&uscc, &members);
    file.as_object_mut().map(|o| o.remove("task"));
    // a non-member: refused by the domain, nothing written
    let size = app.ledger_size().await;
    let res = post(app, &results_uri, &file, &stranger).await;
    let code = if res.status.as_u16() == 403 {
        "refused"
    } else {
        "conflict"
    };
    let p = res.problem(res.status.as_u16(), code);
    assert!(matches!(res.status.as_u16(), 403 | 409), "{p}");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains(outsider)),
        "{p}"
    );
    assert_eq!(app.ledger_size().await, size);
    // a planner is not an inspector
    post(app, &results_uri, &file, &planner)
        .await
        .problem(403, "forbidden");
    // bad files name their field
    let mut bad = file.clone();
    bad["result"]["category"] = json!("all_good");
    let res = post(app, &results_uri, &bad, &member).await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.result.category");
    let bad = result_file(JOINT, &uscc, file["result"].clone());
    let res = post(app, &results_uri, &bad, &member).await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.task");
    let mut bad = file.clone();
    bad["uscc"] = json!("91330102MA0000031");
    let res = post(app, &results_uri, &bad, &member).await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.uscc");
    let res = post(app, "/v1/tasks/nope/results", &file, &member).await;
    assert_eq!(error_path(&res, 400, "bad-request"), "path.id");
    let other = single
        .get(1)
        .map(|(u, _)| u.clone())
        .expect("a second subject");
    // a subject drawn in another task only
    let elsewhere = joint
        .first()
        .map(|(u, _)| u.clone())
        .expect("a joint subject");
    let bad = single_result(&elsewhere, &members);
    post(app, &results_uri, &bad, &member)
        .await
        .problem(404, "not-found");
    assert_eq!(app.ledger_size().await, size);

    // the member records: 201, version 1, the deadline in working days
    let res = post(app, &results_uri, &file, &member).await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let r = res.json();
    assert_eq!(
        (&r["version"], &r["deadline"]),
        (&json!(1), &json!("2023-10-19"))
    );
    post(app, &results_uri, &file, &member)
        .await
        .problem(409, "conflict");

    // what is due, counted in working days
    let due = app
        .get("/v1/publication/due?as_of=2023-10-10", Some(&supervisor))
        .await;
    assert_eq!(due.status.as_u16(), 200, "{}", due.text());
    let due = due.json();
    assert_eq!(due.as_array().map(Vec::len), Some(1), "{due}");
    assert_eq!(due[0]["uscc"], uscc.as_str());
    assert_eq!(due[0]["working_days_left"], 7);
    let due = app
        .get("/v1/publication/due?as_of=2023-10-20", Some(&planner))
        .await
        .json();
    assert_eq!(
        (&due[0]["working_days_left"], &due[0]["overdue"]),
        (&json!(-1), &json!(true))
    );
    let res = app
        .get("/v1/publication/due?as_of=2023-13-01", Some(&planner))
        .await;
    assert_eq!(error_path(&res, 400, "bad-request"), "query.as_of");
    app.get("/v1/publication/due", Some(&member))
        .await
        .problem(403, "forbidden");

    // a correction: the reason is required and named
    let corrections = format!("/v1/tasks/{SINGLE}/results/{uscc}/corrections");
    let mut corrected = file["result"].clone();
    corrected["category"] = json!("corrected_on_order");
    corrected["follow_up"] = json!("order_correction");
    let res = post(app, &corrections, &json!({"result": corrected}), &member).await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.reason");
    let body = json!({"reason": " ", "result": corrected});
    let res = post(app, &corrections, &body, &member).await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.reason");
    let body = json!({"reason": "category corrected", "result": corrected});
    let res = post(app, &corrections, &body, &member).await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    assert_eq!(res.json()["version"], 2);
    let res = post(
        app,
        &format!("/v1/tasks/{SINGLE}/results/{other}/corrections"),
        &body,
        &member,
    )
    .await;
    assert!(matches!(res.status.as_u16(), 403 | 409), "{}", res.text());

    // publication by a planner: the current version; the due list empties
    let publication = format!("/v1/tasks/{SINGLE}/results/{uscc}/publication");
    let res = app.call(Method::POST, &publication, Some(&planner)).await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text());
    assert_eq!(res.json()["version"], 2);
    app.call(Method::POST, &publication, Some(&planner))
        .await
        .problem(409, "conflict");
    app.call(Method::POST, &publication, Some(&member))
        .await
        .problem(403, "forbidden");
    let none = format!("/v1/tasks/{SINGLE}/results/{other}/publication");
    app.call(Method::POST, &none, Some(&planner))
        .await
        .problem(404, "not-found");
    let due = app
        .get("/v1/publication/due?as_of=2023-10-10", Some(&planner))
        .await
        .json();
    assert_eq!(due, json!([]));

    // the public results: no token, masked, in English names
    let public = app
        .get(&format!("/v1/public/tasks/{SINGLE}/results"), None)
        .await;
    assert_eq!(public.status.as_u16(), 200, "{}", public.text());
    names_no_inspector(&public.text(), &single);
    let rows = public.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["uscc"], uscc.as_str());
    assert_eq!(rows[0]["version"], 2);
    let published = &rows[0]["content"];
    assert_eq!(published["category"], "corrected_on_order");
    assert_eq!(published["members_present"], 2);
    assert_eq!(published["evidence"], json!([{"sha256": EVIDENCE_SHA256}]));
    assert_eq!(published["inspection_date"], "2023-09-15");
    let empty = app
        .get(&format!("/v1/public/tasks/{JOINT}/results"), None)
        .await;
    assert_eq!(empty.json(), json!([]));
    let unknown = format!("/v1/public/tasks/{}/results", Uuid::nil());
    app.get(&unknown, None).await.problem(404, "not-found");

    // a joint result, published a day later, leads the feed
    let (joint_uscc, joint_team) = joint.first().cloned().expect("a joint team");
    let joint_members: Vec<&str> = joint_team.iter().map(String::as_str).collect();
    let findings = vec![
        finding("SJ-001", SCJG, "年度报告已按时公示"),
        finding("WS-001", WSJK, "卫生许可证悬挂于醒目位置"),
    ];
    let joint_file = result_file(
        JOINT,
        &joint_uscc,
        content(&joint_members, "2023-09-20", findings),
    );
    let joint_member = token_for(app, joint_members[1], Role::Inspector).await;
    let res = post(
        app,
        &format!("/v1/tasks/{JOINT}/results"),
        &joint_file,
        &joint_member,
    )
    .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    app.clock.set(test_now() + Duration::days(1));
    let admin = app.token(Role::Admin).await;
    let joint_publication = format!("/v1/tasks/{JOINT}/results/{joint_uscc}/publication");
    let res = app
        .call(Method::POST, &joint_publication, Some(&admin))
        .await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text());

    let feed = app.get("/v1/public/results/feed.json", None).await;
    assert_eq!(feed.status.as_u16(), 200, "{}", feed.text());
    assert_eq!(feed.header("content-type"), Some("application/feed+json"));
    names_no_inspector(&feed.text(), &single);
    names_no_inspector(&feed.text(), &joint);
    let feed = feed.json();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert!(
        feed["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{feed}"
    );
    let items = feed["items"].as_array().cloned().expect("items");
    let ids: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            format!("{JOINT}/{joint_uscc}/v1"),
            format!("{SINGLE}/{uscc}/v2"),
        ]
    );
    for item in &items {
        let published = item["date_published"].as_str().expect("date_published");
        chrono::DateTime::parse_from_rfc3339(published).expect("an RFC 3339 date");
        let text = item["content_text"].as_str().expect("content_text");
        let content: Value = serde_json::from_str(text).expect("content as JSON");
        assert_eq!(content, item["_jianxin"]["content"], "{item}");
        assert!(content["members_present"].is_u64(), "{item}");
    }
    let newest = items[0]["date_published"].as_str().unwrap_or_default();
    let older = items[1]["date_published"].as_str().unwrap_or_default();
    assert!(newest > older, "{newest} {older}");
    assert_eq!(
        items[0]["_jianxin"]["content"]["findings"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
on_both!(r6_results_over_http_and_the_public_feed);

/// The subject's inspection history (the next draw's exclusions and conflicts) takes the
/// visit as recorded: its date, not the date the draw planned; a transfer to case
/// handling opens an enforcement case (a clue) referencing the result.
async fn r6_the_inspection_history_follows_results(app: &TestApp) {
    use jianxin_projections::read_models::task_queries::inspection_history;
    demo::seed(&app.state).await.expect("demo seed");
    let (uscc, team) = demo_teams(app, SINGLE)
        .await
        .into_iter()
        .nth(1)
        .expect("a team");
    let members: Vec<&str> = team.iter().map(String::as_str).collect();
    let subject = jianxin_domain::identifiers::Uscc::parse(&uscc).expect("a USCC");
    let visit = |h: &jianxin_domain::task::eligibility::InspectionHistory| {
        h.of(&subject)
            .iter()
            .find(|r| r.task_id.to_string() == SINGLE)
            .map(|r| r.inspection_date.to_string())
    };
    let before = inspection_history(app.state.log.database())
        .await
        .expect("history");
    assert_eq!(visit(&before).as_deref(), Some("2023-09-15"));
    let findings = vec![finding("SJ-002", SCJG, "复查")];
    // a violation found, transferred to case handling (移送办案机构)
    let mut result = content(&members, "2023-09-22", findings);
    result["category"] = json!("pending_follow_up");
    result["pending"] = json!(["other_violation"]);
    result["follow_up"] = json!("transfer_to_case");
    let file = result_file(SINGLE, &uscc, result);
    let token = token_for(app, members[0], Role::Inspector).await;
    let res = post(app, &format!("/v1/tasks/{SINGLE}/results"), &file, &token).await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let flowed = res.json()["flowed"].clone();
    let kinds: Vec<&str> = flowed
        .as_array()
        .expect("flowed")
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(kinds, ["enforcement_case", "credit_record"], "{flowed}");
    let case = flowed[0]["entry_id"].as_str().expect("case id").to_string();
    let supervisor = app.token(Role::Supervisor).await;
    let cases = app.get("/v1/cases", Some(&supervisor)).await;
    assert_eq!(cases.status.as_u16(), 200, "{}", cases.text());
    let listed = cases.json();
    let row = listed
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == case.as_str()).cloned());
    let row = row.unwrap_or_else(|| panic!("case {case} not listed: {listed}"));
    assert_eq!(row["status"], "clue", "{row}");
    let after = inspection_history(app.state.log.database())
        .await
        .expect("history");
    assert_eq!(visit(&after).as_deref(), Some("2023-09-22"));
}
on_both!(r6_the_inspection_history_follows_results);

// ---- the access matrix -----------------------------------------------------------------

/// A result for the access matrix of `http.rs`: the matrix's inspector records it on the
/// subject of their first assignment, corrects it, and a correction made before each
/// publication call gives an admitted role a version to publish.
pub struct MatrixResults {
    task: String,
    uscc: String,
    team: Vec<String>,
    inspector: String,
}

impl MatrixResults {
    /// The last assignment of `inspector` (a member of two drawn teams of the matrix's
    /// task: the recusal of the matrix leaves the first).
    pub async fn prepare(app: &TestApp, inspector: &str) -> MatrixResults {
        let rows = assignments_of(app.state.log.database(), inspector)
            .await
            .expect("assignments");
        assert!(rows.len() >= 2, "the matrix's inspector is on two teams");
        let first = rows.last().expect("the matrix's inspector is assigned");
        MatrixResults {
            task: first.task_id.clone(),
            uscc: first.uscc.clone(),
            team: first.team.clone(),
            inspector: inspector.to_owned(),
        }
    }

    /// The result (inside the matrix task's window, on its item).
    fn result(&self) -> Value {
        let members: Vec<&str> = self.team.iter().map(String::as_str).collect();
        let findings = vec![finding("SJ-002", SCJG, "matrix")];
        content(&members, "2023-09-15", findings)
    }

    /// `method template` on the result, with a body the route accepts; `None` for a
    /// route that is not a result route.
    pub async fn call(
        &self,
        app: &TestApp,
        method: &str,
        template: &str,
        token: Option<&str>,
    ) -> Option<TestResponse> {
        let uri = template
            .replace("{id}", &self.task)
            .replace("{uscc}", &self.uscc);
        Some(match (method, template) {
            ("POST", "/v1/tasks/{id}/results") => {
                let file = json!({"uscc": self.uscc, "result": self.result()});
                app.send(post_json(&uri, &file, token)).await
            }
            ("POST", "/v1/tasks/{id}/results/{uscc}/corrections") => {
                let body = json!({"reason": "matrix", "result": self.result()});
                app.send(post_json(&uri, &body, token)).await
            }
            ("POST", "/v1/tasks/{id}/results/{uscc}/publication") => {
                self.correct(app).await;
                app.call(Method::POST, &uri, token).await
            }
            ("GET", "/v1/publication/due") => {
                app.get(&format!("{uri}?as_of=2023-10-10"), token).await
            }
            ("GET", "/v1/public/tasks/{id}/results" | "/v1/public/results/feed.json") => {
                app.get(&uri, token).await
            }
            _ => return None,
        })
    }

    /// A new unpublished version, recorded by the operation as the inspector.
    async fn correct(&self, app: &TestApp) {
        let actor = Actor::new(self.inspector.clone(), Role::Inspector);
        let task = Uuid::parse_str(&self.task).expect("a task id");
        let file = json!({"uscc": self.uscc, "result": self.result()}).to_string();
        let clock = app.state.clock.as_ref();
        results::record(
            &app.state.log,
            clock,
            &actor,
            &file,
            Some(task),
            Some("matrix"),
        )
        .await
        .expect("a correction");
    }
}
