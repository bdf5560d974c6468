//! Credit and the joint lists (issue 7, docs/CREDIT.md), end to end on both backends
//! through the real binary with a set clock (`--now`): a serious-list entry answered
//! before, inside and after its period; a retroactive annulment that changes the answer
//! for a `known_at` after it and never before, with the impact notice and the recheck;
//! an early credit repair refused before a year and granted after; the abnormal →
//! serious escalation derived with no job run, and a late-recorded removal undoing it;
//! list snapshots; and bad inputs refused with nothing written.
//! Over HTTP: the check and its batch, the scopes of an external system, the query log
//! and feedback; [`MatrixCredit`] gives the access matrix a body for every route.

use serde_json::{json, Value};

use crate::binary::{Deployment, Run};
use crate::cli_on_both;
use crate::helpers::{user_of, TestApp, TestResponse};
use crate::http_directory::post_json;
use jianxin_domain::event_log::Role;

const A: &str = "91330102MA00C00019";
const B: &str = "91330102MA00C0002C";
const C: &str = "91330102MA00C0003F";
const D: &str = "91330102MA00C0004J";
const PROCUREMENT: &str = "government_procurement";
const PROOF: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn run_at(d: &Deployment, now: &str, args: &[&str]) -> Run {
    let mut all = vec!["--now", now, "--format", "json"];
    all.extend_from_slice(args);
    d.run(&all)
}

fn ok(r: Run) -> Value {
    assert_eq!(r.code, 0, "stdout {} stderr {}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// Runs an officer's step at `now`.
fn act_run(d: &Deployment, now: &str, body: Value) -> Run {
    let path = d.path(&format!("act-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, body.to_string()).expect("write step");
    run_at(
        d,
        now,
        &["credit", "act", "--file", &path.display().to_string()],
    )
}

fn act(d: &Deployment, now: &str, body: Value) -> Value {
    ok(act_run(d, now, body))
}

fn check(d: &Deployment, now: &str, subject: &str, date: &str, known_at: Option<&str>) -> Value {
    let mut args = vec![
        "credit",
        "check",
        "--subject",
        subject,
        "--scenario",
        PROCUREMENT,
        "--date",
        date,
    ];
    if let Some(k) = known_at {
        args.extend(["--known-at", k]);
    }
    ok(run_at(d, now, &args))
}

fn decision(v: &Value) -> &str {
    v["decision"].as_str().unwrap_or("?")
}

fn enter(subject: &str, list: &str, reason: &str, on: &str) -> Value {
    json!({"action": "enter", "subject": subject, "list": list, "reason": reason,
           "legal_basis": "严重违法失信名单管理办法", "entered_on": on})
}

fn ledger_size(d: &Deployment) -> u64 {
    let v = ok(d.run(&["--format", "json", "log", "verify"]));
    v["events"]
        .as_u64()
        .or_else(|| v["size"].as_u64())
        .unwrap_or_else(|| panic!("{v}"))
}

cli_on_both!(
    c7_a_serious_entry_before_inside_and_after_its_period,
    |d: Deployment| async move {
        let e = act(
            &d,
            "2023-03-01T02:00:00Z",
            enter(A, "serious", "拒不履行行政处罚决定", "2023-03-01"),
        );
        let entry = e["entry_id"].as_str().expect("entry id").to_string();
        let now = "2026-06-01T00:00:00Z";
        assert_eq!(decision(&check(&d, now, A, "2023-02-28", None)), "allowed");
        let inside = check(&d, now, A, "2023-03-01", None);
        assert_eq!(decision(&inside), "restricted", "{inside}");
        let basis = &inside["basis"][0];
        assert_eq!(basis["entry_id"], entry.as_str());
        assert_eq!(basis["list"], "serious");
        assert_eq!(basis["until"], "2026-03-01");
        assert_eq!(basis["measure"], "禁止参加政府采购活动");
        assert!(basis["event_seq"].as_u64().is_some_and(|s| s >= 1));
        for field in [
            "subject",
            "scenario",
            "date",
            "known_at",
            "log_seq",
            "rule_version",
            "catalogue_version",
            "query_id",
            "not_applicable",
        ] {
            assert!(!inside[field].is_null(), "{field} missing: {inside}");
        }
        assert_eq!(
            decision(&check(&d, now, A, "2026-02-28", None)),
            "restricted"
        );
        let after = check(&d, now, A, "2026-03-01", None);
        assert_eq!(decision(&after), "allowed");
        assert_eq!(after["not_applicable"][0]["why"], "expired on 2026-03-01");
        // Known before it was recorded: nothing.
        let before = check(&d, now, A, "2023-03-05", Some("2023-03-01T01:00:00Z"));
        assert_eq!(decision(&before), "allowed");
        assert_eq!(before["not_applicable"], json!([]));
        // The log returns the answer exactly as given; the recheck at its basis is identical.
        let id = inside["query_id"].as_str().expect("query id");
        let logged = ok(run_at(&d, now, &["credit", "query", id]));
        assert_eq!(logged["answer"], inside);
        let recheck = ok(run_at(
            &d,
            "2026-07-01T00:00:00Z",
            &["credit", "recheck", id],
        ));
        assert_eq!(recheck["identical"], true, "{recheck}");
        assert_eq!(recheck["decision_changed"], false);
        let log = ok(run_at(&d, now, &["credit", "queries", "--subject", A]));
        assert_eq!(log["queries"].as_array().map(Vec::len), Some(5));
        // The answers are facts of the log: the ledger verifies with them.
        assert_eq!(d.run(&["log", "verify"]).code, 0);
        d.finish().await;
    }
);

cli_on_both!(
    c7_a_retroactive_annulment_changes_later_answers_only,
    |d: Deployment| async move {
        let e = act(
            &d,
            "2024-01-10T02:00:00Z",
            enter(B, "serious", "虚假公示", "2024-01-10"),
        );
        let entry = e["entry_id"].as_str().expect("entry").to_string();
        let asked = check(&d, "2024-02-01T02:00:00Z", B, "2024-02-01", None);
        assert_eq!(decision(&asked), "restricted");
        let annulled = act(
            &d,
            "2024-03-01T02:00:00Z",
            json!({"action": "annul", "subject": B, "entry_id": entry, "reason": "错误列入：主体认定有误"}),
        );
        let impact = annulled["impact"].as_array().expect("impact");
        assert_eq!(impact.len(), 1, "{annulled}");
        assert_eq!(impact[0]["query_id"], asked["query_id"]);
        assert_eq!(impact[0]["decision_then"], "restricted");
        assert_eq!(impact[0]["decision_now"], "allowed");
        let now = "2024-04-01T00:00:00Z";
        assert_eq!(
            decision(&check(
                &d,
                now,
                B,
                "2024-02-01",
                Some("2024-02-15T00:00:00Z")
            )),
            "restricted"
        );
        let after = check(&d, now, B, "2024-02-01", Some("2024-03-02T00:00:00Z"));
        assert_eq!(decision(&after), "allowed");
        assert!(after["not_applicable"][0]["why"]
            .as_str()
            .unwrap_or("")
            .starts_with("annulled"));
        let id = asked["query_id"].as_str().expect("id");
        let recheck = ok(run_at(&d, now, &["credit", "recheck", id]));
        assert_eq!(recheck["identical"], true, "{recheck}");
        assert_eq!(recheck["decision_changed"], true);
        assert_eq!(recheck["basis_removed"], json!([entry]));
        // Annulled once; not twice.
        let again = act_run(
            &d,
            now,
            json!({"action": "annul", "subject": B, "entry_id": entry, "reason": "x"}),
        );
        assert_eq!(again.code, 1, "{}", again.stdout);
        d.finish().await;
    }
);

cli_on_both!(
    c7_an_early_repair_is_refused_then_granted,
    |d: Deployment| async move {
        let e = act(
            &d,
            "2023-01-05T02:00:00Z",
            enter(C, "serious", "拒不履行", "2023-01-05"),
        );
        let entry = e["entry_id"].as_str().expect("entry").to_string();
        let repair = |on: &str, commitment: bool| {
            json!({"action": "apply_repair", "subject": C, "entry_id": entry,
        "applied_on": on, "proofs": [PROOF], "corrected": true, "penalty_fulfilled": true, "public_commitment": commitment})
        };
        let size = ledger_size(&d);
        let early = act_run(&d, "2023-12-01T02:00:00Z", repair("2023-12-01", true));
        assert_eq!(early.code, 1);
        assert!(
            early.stderr.contains("12 months") && early.stderr.contains("2024-01-05"),
            "{}",
            early.stderr
        );
        let no_commitment = act_run(&d, "2024-01-10T02:00:00Z", repair("2024-01-10", false));
        assert_eq!(no_commitment.code, 1);
        assert!(
            no_commitment.stderr.contains("public_commitment"),
            "{}",
            no_commitment.stderr
        );
        assert_eq!(ledger_size(&d), size, "refusals append nothing");
        act(&d, "2024-01-10T02:00:00Z", repair("2024-01-10", true));
        act(
            &d,
            "2024-01-20T02:00:00Z",
            json!({"action": "decide_repair", "subject": C, "entry_id": entry,
        "approved": true, "reasons": "已纠正、已履行、已公开承诺", "effective_on": "2024-01-20"}),
        );
        let now = "2024-02-01T00:00:00Z";
        assert_eq!(
            decision(&check(&d, now, C, "2024-01-19", None)),
            "restricted"
        );
        let after = check(&d, now, C, "2024-01-20", None);
        assert_eq!(decision(&after), "allowed");
        assert!(after["not_applicable"][0]["why"]
            .as_str()
            .unwrap_or("")
            .starts_with("credit repaired from 2024-01-20"));
        // Before the decision was recorded, the same day was still restricted.
        assert_eq!(
            decision(&check(
                &d,
                now,
                C,
                "2024-01-20",
                Some("2024-01-15T00:00:00Z")
            )),
            "restricted"
        );
        d.finish().await;
    }
);

cli_on_both!(
    c7_abnormal_to_serious_escalation_and_a_late_removal,
    |d: Deployment| async move {
        let e = act(
            &d,
            "2020-05-01T02:00:00Z",
            enter(D, "abnormal", "unreachable", "2020-05-01"),
        );
        let entry = e["entry_id"].as_str().expect("entry").to_string();
        // Same reason again in 2020: refused, naming the rule.
        let twice = act_run(
            &d,
            "2020-06-01T02:00:00Z",
            enter(D, "abnormal", "通过登记的住所无法联系", "2020-06-01"),
        );
        assert_eq!(twice.code, 1);
        assert!(
            twice
                .stderr
                .contains("not twice for the same reason in the same year"),
            "{}",
            twice.stderr
        );
        let now = "2023-06-01T02:00:00Z";
        let before = check(&d, now, D, "2023-04-30", None);
        assert!(
            before["basis"]
                .as_array()
                .expect("basis")
                .iter()
                .all(|b| b["list"] == "abnormal"),
            "{before}"
        );
        let esc = check(&d, now, D, "2023-06-01", None);
        assert_eq!(decision(&esc), "restricted");
        let serious: Vec<&Value> = esc["basis"]
            .as_array()
            .expect("basis")
            .iter()
            .filter(|b| b["list"] == "serious")
            .collect();
        assert_eq!(serious.len(), 1, "{esc}");
        assert_eq!(serious[0]["entered_on"], "2023-05-01");
        assert_eq!(serious[0]["until"], "2026-05-01");
        let snap = ok(run_at(
            &d,
            now,
            &[
                "credit",
                "snapshot",
                "--list",
                "serious",
                "--date",
                "2023-06-01",
            ],
        ));
        assert_eq!(snap["entries"].as_array().map(Vec::len), Some(1), "{snap}");
        assert_eq!(snap["entries"][0]["subject"], D);
        assert_eq!(snap["basis"]["list"], "serious");
        // A removal recorded late, valid from 2022: no escalation for later known_at.
        act(
            &d,
            "2023-07-01T02:00:00Z",
            json!({"action": "remove", "subject": D, "entry_id": entry,
        "reason": "contact_reestablished", "removed_on": "2022-01-01"}),
        );
        let later = "2023-08-01T00:00:00Z";
        assert_eq!(
            decision(&check(&d, later, D, "2023-06-01", None)),
            "allowed"
        );
        assert_eq!(
            decision(&check(&d, later, D, "2023-06-01", Some(now))),
            "restricted"
        );
        let snap = ok(run_at(
            &d,
            later,
            &[
                "credit",
                "snapshot",
                "--list",
                "serious",
                "--date",
                "2023-06-01",
            ],
        ));
        assert_eq!(snap["entries"], json!([]));
        let old = ok(run_at(
            &d,
            later,
            &[
                "credit",
                "snapshot",
                "--list",
                "serious",
                "--date",
                "2023-06-01",
                "--known-at",
                now,
            ],
        ));
        assert_eq!(old["entries"].as_array().map(Vec::len), Some(1));
        let csv = run_at(
            &d,
            later,
            &[
                "credit",
                "snapshot",
                "--list",
                "abnormal",
                "--date",
                "2021-01-01",
                "--csv",
            ],
        );
        assert_eq!(csv.code, 0);
        assert!(
            csv.stdout
                .starts_with("entry_id,subject,list,entered_on,until,reason\n"),
            "{}",
            csv.stdout
        );
        assert!(csv.stdout.contains(D));
        d.finish().await;
    }
);

/// `credit check` at `now` with `args` (the subject and anything else; scenario
/// government_procurement and date 2024-01-01 unless `args` give their own) is refused
/// with exit code 1 and an error saying each of `says`.
fn refused_check(d: &Deployment, now: &str, args: &[&str], says: &[&str]) {
    let mut all = vec!["credit", "check"];
    all.extend_from_slice(args);
    for (flag, default) in [("--scenario", PROCUREMENT), ("--date", "2024-01-01")] {
        if !args.contains(&flag) {
            all.extend_from_slice(&[flag, default]);
        }
    }
    let out = run_at(d, now, &all);
    assert_eq!(out.code, 1, "{all:?}: {}", out.stderr);
    for s in says {
        assert!(out.stderr.contains(s), "{all:?}: {}", out.stderr);
    }
}

cli_on_both!(
    c7_bad_inputs_are_refused_and_write_nothing,
    |d: Deployment| async move {
        let now = "2024-01-01T00:00:00Z";
        let size = ledger_size(&d);
        refused_check(
            &d,
            now,
            &["--subject", "91330102MA00C0001X"],
            &["position 18", "expected '9'"],
        );
        refused_check(
            &d,
            now,
            &["--subject", "杭州某某有限公司"],
            &["a name never yields a decision"],
        );
        refused_check(
            &d,
            now,
            &["--subject", A, "--scenario", "space_travel"],
            &["unknown scenario"],
        );
        refused_check(
            &d,
            now,
            &["--subject", A, "--known-at", "2030-01-01T00:00:00Z"],
            &["known_at", "lies in the future"],
        );
        for body in [
            json!({"action": "enter", "subject": A, "list": "black", "reason": "x", "legal_basis": "y", "entered_on": "2024-01-01"}),
            json!({"action": "enter", "subject": A, "list": "abnormal", "reason": "bored", "legal_basis": "y", "entered_on": "2024-01-01"}),
            json!({"action": "enter", "subject": A, "list": "serious", "reason": "x", "legal_basis": "", "entered_on": "2024-01-01"}),
            json!({"action": "remove", "subject": A, "entry_id": uuid::Uuid::nil(), "reason": "x", "removed_on": "2024-01-01"}),
            json!({"action": "teleport", "subject": A}),
        ] {
            let r = act_run(&d, now, body.clone());
            assert_eq!(r.code, 1, "{body}: {}", r.stdout);
            assert!(!r.stderr.is_empty());
        }
        let e = act(&d, now, enter(A, "serious", "x", "2024-01-01"));
        let size_after = ledger_size(&d);
        assert_eq!(size_after, size + 1);
        let removal = act_run(
            &d,
            now,
            json!({"action": "remove", "subject": A, "entry_id": e["entry_id"], "reason": "x", "removed_on": "2024-01-02"}),
        );
        assert_eq!(removal.code, 1);
        assert!(
            removal
                .stderr
                .contains("ends by expiry, credit repair or annulment"),
            "{}",
            removal.stderr
        );
        assert_eq!(ledger_size(&d), size_after);
        d.finish().await;
    }
);

// ---- HTTP ---------------------------------------------------------------------------

async fn http_check(
    app: &TestApp,
    token: Option<&str>,
    subject: &str,
    scenario: &str,
) -> TestResponse {
    let uri = format!("/v1/credit/check?subject={subject}&scenario={scenario}&date=2024-06-01&purpose=%E9%87%87%E8%B4%AD");
    app.get(&uri, token).await
}

async fn credit_over_http(app: &TestApp) {
    let officer = app.token(Role::CreditOfficer).await;
    let system = app.token(Role::ExternalSystem).await;
    let supervisor = app.token(Role::Supervisor).await;
    let entered = app
        .send(post_json(
            "/v1/credit/entries",
            &enter(A, "serious", "拒不履行", "2024-01-01"),
            Some(&officer),
        ))
        .await;
    assert_eq!(entered.status.as_u16(), 201, "{}", entered.text());
    let res = http_check(app, Some(&system), A, PROCUREMENT).await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text());
    let answer = res.json();
    assert_eq!(answer["decision"], "restricted");
    // Outside the system's scopes: 403; a bad USCC: 400 naming the position.
    http_check(app, Some(&system), A, "subsidy")
        .await
        .problem(403, "refused");
    let bad = http_check(app, Some(&system), "91330102MA00C0001X", PROCUREMENT).await;
    let p = bad.problem(400, "bad-request");
    assert!(
        p["detail"].as_str().unwrap_or("").contains("position 18"),
        "{p}"
    );
    // Batch: one basis; beyond the limit refused.
    let items: Vec<Value> = [A, B]
        .iter()
        .map(|s| json!({"subject": s, "scenario": PROCUREMENT, "date": "2024-06-01"}))
        .collect();
    let batch = app
        .send(post_json(
            "/v1/credit/check:batch",
            &json!({"purpose": "批量", "items": items}),
            Some(&system),
        ))
        .await;
    assert_eq!(batch.status.as_u16(), 200, "{}", batch.text());
    let b = batch.json();
    let answers = b["answers"].as_array().expect("answers");
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["log_seq"], answers[1]["log_seq"]);
    assert_eq!(answers[0]["decision"], "restricted");
    assert_eq!(answers[1]["decision"], "allowed");
    let many: Vec<Value> = (0..201)
        .map(|_| json!({"subject": A, "scenario": PROCUREMENT, "date": "2024-06-01"}))
        .collect();
    let res = app
        .send(post_json(
            "/v1/credit/check:batch",
            &json!({"items": many}),
            Some(&system),
        ))
        .await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.text());
    // The log: the system sees its own, the supervisor searches by requester.
    let id = answer["query_id"].as_str().expect("id");
    let got = app
        .get(&format!("/v1/credit/queries/{id}"), Some(&supervisor))
        .await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(got.json()["answer"], answer);
    assert_eq!(got.json()["requester"], user_of(Role::ExternalSystem));
    let by = app
        .get(
            &format!(
                "/v1/credit/queries?requester={}",
                user_of(Role::ExternalSystem)
            ),
            Some(&supervisor),
        )
        .await;
    assert_eq!(by.json()["queries"].as_array().map(Vec::len), Some(3));
    // Feedback only by the asker.
    let fb = json!({"measure_applied": "取消投标资格", "note": "项目 2024-17"});
    let res = app
        .send(post_json(
            &format!("/v1/credit/queries/{id}/feedback"),
            &fb,
            Some(&officer),
        ))
        .await;
    res.problem(403, "refused");
    let res = app
        .send(post_json(
            &format!("/v1/credit/queries/{id}/feedback"),
            &fb,
            Some(&system),
        ))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let got = app
        .get(&format!("/v1/credit/queries/{id}"), Some(&system))
        .await;
    assert_eq!(got.json()["feedback"][0]["measure_applied"], "取消投标资格");
    // A query id that is not a UUID is a 400 at `path.id`, for reading and feedback alike.
    let bad = app
        .get("/v1/credit/queries/0192f0c4-6b1e", Some(&supervisor))
        .await;
    let p = bad.problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "path.id", "{p}");
    let res = app
        .send(post_json(
            "/v1/credit/queries/x/feedback",
            &fb,
            Some(&system),
        ))
        .await;
    let p = res.problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "path.id", "{p}");
    // Snapshot with its manifest headers.
    let snap = app
        .get(
            "/v1/lists/serious/snapshot?date=2024-06-01&format=csv",
            Some(&supervisor),
        )
        .await;
    assert_eq!(snap.status.as_u16(), 200, "{}", snap.text());
    assert!(snap.text().contains(A));
    assert_eq!(snap.header("x-snapshot-count"), Some("1"));
    let manifest = app
        .get(
            "/v1/lists/serious/snapshot?date=2024-06-01&format=manifest",
            Some(&supervisor),
        )
        .await;
    assert_eq!(manifest.json()["count"], 1);
    app.get(
        "/v1/lists/black/snapshot?date=2024-06-01",
        Some(&supervisor),
    )
    .await
    .problem(404, "not-found");
    let uri = format!("/v1/credit/subjects/{A}/evaluation?date=2024-06-01");
    let eval = app.get(&uri, Some(&supervisor)).await;
    assert_eq!(eval.status.as_u16(), 200, "{}", eval.text());
    assert_eq!(eval.json()["class"], "D", "{}", eval.text());
    assert_eq!(eval.json()["rule_version"], "credit-class-v1");
    changes_page_and_stream(app, &system).await;
}
crate::on_both!(credit_over_http);

/// Issue 27: a reason typed as a formula is exported as text, not run by a spreadsheet.
async fn csv_exports_neutralise_formulas(app: &TestApp) {
    let officer = app.token(Role::CreditOfficer).await;
    let supervisor = app.token(Role::Supervisor).await;
    for (subject, reason) in [(A, "=HYPERLINK(\"http://x\",\"y\")"), (B, "@SUM(1)")] {
        let body = enter(subject, "focus", reason, "2024-01-01");
        let res = app
            .send(post_json("/v1/credit/entries", &body, Some(&officer)))
            .await;
        assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    }
    let csv = app
        .get(
            "/v1/lists/focus/snapshot?date=2024-06-01&format=csv",
            Some(&supervisor),
        )
        .await
        .text();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("'@SUM(1)"), "{csv}");
    for line in csv.lines() {
        let last = line.rsplit(',').next().unwrap_or_default();
        assert!(!last.starts_with('=') && !last.starts_with('@'), "{line}");
    }
}
crate::on_both!(csv_exports_neutralise_formulas);

/// The change feed: a JSON page from a cursor, and the event stream resumed after it.
async fn changes_page_and_stream(app: &TestApp, token: &str) {
    use futures::StreamExt;
    use tower::ServiceExt;
    let page = app.get("/v1/credit/changes?after=0", Some(token)).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text());
    let p = page.json();
    let changes = p["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{p}");
    assert_eq!(changes[0]["type"], "entered");
    assert_eq!(changes[0]["subject"], A);
    let cursor = p["next_after"].as_u64().expect("next_after");
    // A change after the cursor; the stream resumed from it carries only that one.
    let officer = app.token(Role::CreditOfficer).await;
    let entry = changes[0]["entry_id"].as_str().expect("entry").to_string();
    let body = json!({"subject": A, "reason": "错误列入"});
    let uri = format!("/v1/credit/entries/{entry}/annulment");
    let res = app.send(post_json(&uri, &body, Some(&officer))).await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let req = crate::helpers::request(axum::http::Method::GET, "/v1/credit/changes", Some(token))
        .header("accept", "text/event-stream")
        .header("last-event-id", cursor.to_string())
        .body(axum::body::Body::empty())
        .expect("request");
    let res = app.router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status().as_u16(), 200);
    let mut stream = res.into_body().into_data_stream();
    let mut text = String::new();
    while !text.contains("event: corrected") || !text.contains("\n\n") {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await;
        let Ok(Some(Ok(bytes))) = next else {
            panic!("no change event in 10 s: {text}")
        };
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert!(text.contains("\"correction\":\"annulled\""), "{text}");
    assert!(
        text.contains(&format!("\"entry_id\":\"{entry}\"")),
        "{text}"
    );
    assert!(!text.contains("event: entered"), "{text}");
}

/// Bodies for the access matrix: one entry per step route, prepared by the officer.
pub struct MatrixCredit {
    removal: String,
    annulment: String,
    repair: String,
    decision: String,
    record: String,
    query: String,
}

impl MatrixCredit {
    pub async fn prepare(app: &TestApp) -> MatrixCredit {
        let officer = app.token(Role::CreditOfficer).await;
        let mut ids = vec![];
        // Entered two years before the test clock, so that repair may be applied for.
        let on = (crate::helpers::test_now() - chrono::Duration::days(800))
            .date_naive()
            .to_string();
        for (subject, list) in [(A, "focus"), (B, "focus"), (C, "serious"), (D, "serious")] {
            let res = app
                .send(post_json(
                    "/v1/credit/entries",
                    &enter(subject, list, "matrix", &on),
                    Some(&officer),
                ))
                .await;
            assert_eq!(res.status.as_u16(), 201, "{}", res.text());
            ids.push(
                res.json()["entry_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        let repair = json!({"subject": D, "proofs": [PROOF], "corrected": true, "penalty_fulfilled": true, "public_commitment": true});
        let res = app
            .send(post_json(
                &format!("/v1/credit/entries/{}/repair", ids[3]),
                &repair,
                Some(&officer),
            ))
            .await;
        assert_eq!(res.status.as_u16(), 201, "{}", res.text());
        // A penalty record whose publicity ended long ago, to be repaired.
        let penalty = json!({"subject": A, "source": "penalty", "summary": "罚款", "legal_basis": "行政处罚法", "effective_on": on, "penalty": "ordinary"});
        let res = app
            .send(post_json("/v1/credit/records", &penalty, Some(&officer)))
            .await;
        assert_eq!(res.status.as_u16(), 201, "{}", res.text());
        let record = res.json()["record_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let q = http_check(app, Some(&officer), A, PROCUREMENT).await;
        assert_eq!(q.status.as_u16(), 200, "{}", q.text());
        MatrixCredit {
            record,
            removal: ids[0].clone(),
            annulment: ids[1].clone(),
            repair: ids[2].clone(),
            decision: ids[3].clone(),
            query: q.json()["query_id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// The query to read as `token`: its own (asked now) when it may ask, else the officer's.
    async fn query_for(&self, app: &TestApp, token: Option<&str>) -> String {
        if let Some(t) = token {
            let res = http_check(app, Some(t), A, PROCUREMENT).await;
            if res.status.as_u16() == 200 {
                return res.json()["query_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
            }
        }
        self.query.clone()
    }

    pub async fn call(
        &self,
        app: &TestApp,
        method: &str,
        template: &str,
        token: Option<&str>,
    ) -> Option<TestResponse> {
        let step = |id: &str, body: Value| (template.replace("{id}", id), body);
        let (uri, body) = match (method, template) {
            ("GET", "/v1/credit/check") => {
                return Some(http_check(app, token, A, PROCUREMENT).await)
            }
            ("GET", "/v1/credit/queries/{id}" | "/v1/credit/queries/{id}/recheck") => {
                let id = self.query_for(app, token).await;
                return Some(app.get(&template.replace("{id}", &id), token).await);
            }
            ("POST", "/v1/credit/queries/{id}/feedback") => {
                let id = self.query_for(app, token).await;
                step(&id, json!({"measure_applied": "matrix"}))
            }
            ("POST", "/v1/credit/check:batch") => (
                template.into(),
                json!({"items": [{"subject": A, "scenario": PROCUREMENT, "date": "2024-06-01"}]}),
            ),
            ("GET", "/v1/credit/queries") => return Some(app.get(template, token).await),
            ("GET", "/v1/credit/impact") => {
                return Some(app.get(&format!("{template}?subject={A}"), token).await)
            }
            ("GET", "/v1/credit/subjects/{uscc}/entries") => {
                return Some(app.get(&template.replace("{uscc}", A), token).await)
            }
            ("GET", "/v1/credit/subjects/{uscc}/evaluation") => {
                let uri = format!("{}?date=2024-06-01", template.replace("{uscc}", C));
                return Some(app.get(&uri, token).await);
            }
            ("GET", "/v1/lists/{list}/snapshot") => {
                return Some(
                    app.get("/v1/lists/focus/snapshot?date=2024-06-01", token)
                        .await,
                )
            }
            ("POST", "/v1/credit/records") => (
                template.into(),
                json!({"subject": A, "source": "court", "summary": "失信被执行人", "legal_basis": "最高法规定", "effective_on": "2024-01-01"}),
            ),
            ("POST", "/v1/credit/entries") => (
                template.into(),
                enter(B, "red", "守合同重信用", "2024-01-01"),
            ),
            ("POST", "/v1/credit/entries/{id}/removal") => step(
                &self.removal,
                json!({"subject": A, "reason": "matrix", "removed_on": "2024-06-01"}),
            ),
            ("POST", "/v1/credit/entries/{id}/annulment") => {
                step(&self.annulment, json!({"subject": B, "reason": "matrix"}))
            }
            ("POST", "/v1/credit/entries/{id}/repair") => step(
                &self.repair,
                json!({"subject": C, "proofs": [PROOF], "corrected": true, "penalty_fulfilled": true, "public_commitment": true}),
            ),
            ("POST", "/v1/credit/records/{id}/repair") => step(
                &self.record,
                json!({"subject": A, "reasons": "matrix", "proofs": [PROOF]}),
            ),
            ("POST", "/v1/credit/entries/{id}/repair/decision") => step(
                &self.decision,
                json!({"subject": D, "approved": false, "reasons": "matrix"}),
            ),
            _ => return None,
        };
        Some(app.send(post_json(&uri, &body, token)).await)
    }
}

cli_on_both!(
    c7_a_penalty_record_is_repaired_after_its_publicity,
    |d: Deployment| async move {
        let record = |on: &str| {
            json!({"action": "record", "subject": B, "source": "penalty", "summary": "罚款五万元",
                   "legal_basis": "行政处罚法", "effective_on": on, "penalty": "ordinary"})
        };
        let first = act(&d, "2024-01-10T02:00:00Z", record("2024-01-10"));
        let record_id = first["record_id"].as_str().expect("record id").to_string();
        act(&d, "2024-02-01T02:00:00Z", record("2024-02-01"));
        let class = |date: &str, known: &str| -> String {
            let v = ok(run_at(
                &d,
                "2024-12-01T00:00:00Z",
                &[
                    "credit",
                    "evaluate",
                    "--subject",
                    B,
                    "--date",
                    date,
                    "--known-at",
                    known,
                ],
            ));
            v["class"]
                .as_str()
                .or(v["answer"]["class"].as_str())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(class("2024-05-01", "2024-04-01T00:00:00Z"), "C");
        let repair = |on: &str| {
            json!({"action": "repair_record", "subject": B, "record_id": record_id,
                   "repaired_on": on, "reasons": "已履行处罚并作出信用承诺", "proofs": [PROOF]})
        };
        // inside the 3-month publicity: refused, naming the day it ends; nothing written
        let before = d.run(&["log", "verify"]).stdout;
        let r = act_run(&d, "2024-04-01T02:00:00Z", repair("2024-04-01"));
        assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
        assert!(r.stderr.contains("until 2024-04-10"), "{}", r.stderr);
        assert_eq!(d.run(&["log", "verify"]).stdout, before);
        // after it: repaired, and from that day the record no longer counts
        let done = act(&d, "2024-05-01T02:00:00Z", repair("2024-05-01"));
        assert_eq!(done["record_id"], record_id.as_str(), "{done}");
        assert_eq!(class("2024-04-30", "2024-06-01T00:00:00Z"), "C");
        assert_eq!(class("2024-05-01", "2024-06-01T00:00:00Z"), "B");
        // as known before the repair was recorded, the answer is what it was
        assert_eq!(class("2024-05-01", "2024-04-30T00:00:00Z"), "C");
        // not twice
        let r = act_run(&d, "2024-06-01T02:00:00Z", repair("2024-06-01"));
        assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("repaired from 2024-05-01"),
            "{}",
            r.stderr
        );
    }
);

/// On SQLite the query log's index by subject is a file of its own, filled after the
/// answers are committed (projections/src/store/query_subjects.rs). A search still finds
/// every answer; a deleted index is made again; and an index left from a later state of
/// the log than a restored backup is emptied and filled again, so a search never shows an
/// answer the log does not hold.
#[tokio::test]
async fn c7_the_query_index_by_subject_follows_the_log_it_indexes() {
    let d = Deployment::new(false).await;
    assert_eq!(d.run(&["keygen"]).code, 0, "keygen");
    let now = "2026-02-01T02:00:00Z";
    let found = |d: &Deployment| -> Vec<String> {
        let v = ok(run_at(d, now, &["credit", "queries", "--subject", A]));
        v["queries"]
            .as_array()
            .map(|q| {
                q.iter()
                    .map(|q| q["query_id"].as_str().unwrap_or("?").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let id = |v: Value| v["query_id"].as_str().unwrap_or("?").to_string();
    let first = id(check(&d, now, A, "2026-01-01", None));
    check(&d, now, B, "2026-01-01", None);
    let second = id(check(&d, now, A, "2026-01-02", None));
    assert_eq!(found(&d), [second.clone(), first.clone()]);
    let index = std::path::PathBuf::from(format!("{}.query-index", d.db));
    assert!(index.exists(), "the index file beside the log");
    // issue 27: the log, its WAL, the index and the key are the owner's alone
    {
        use std::os::unix::fs::PermissionsExt;
        let key = d.path("jianxin.key").display().to_string();
        let db_wal = format!("{}-wal", d.db);
        let index = index.display().to_string();
        for file in [d.db.as_str(), db_wal.as_str(), index.as_str(), key.as_str()] {
            let mode = std::fs::metadata(file)
                .unwrap_or_else(|e| panic!("{file}: {e}"))
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}: {mode:o}");
        }
    }
    // a backup of the log (no process runs: the file and any -wal are the log)
    let files = |base: &str| ["", "-wal"].map(|s| (format!("{}{s}", d.db), format!("{base}{s}")));
    let backup = d.path("backup.db").display().to_string();
    for (live, copy) in files(&backup) {
        if std::path::Path::new(&live).exists() {
            std::fs::copy(&live, &copy).expect("back up");
        }
    }
    let third = id(check(&d, now, A, "2026-01-03", None));
    assert_eq!(found(&d).len(), 3);
    // the log restored from the backup: the index is ahead of it and starts again
    for (live, copy) in files(&backup) {
        let _ = std::fs::remove_file(&live);
        if std::path::Path::new(&copy).exists() {
            std::fs::copy(&copy, &live).expect("restore");
        }
    }
    let _ = std::fs::remove_file(format!("{}-shm", d.db));
    let after_restore = found(&d);
    assert_eq!(after_restore, [second.clone(), first.clone()]);
    assert!(!after_restore.contains(&third));
    // deleted, it is made again from the log
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", index.display()));
    }
    let fourth = id(check(&d, now, A, "2026-01-04", None));
    assert_eq!(found(&d), [fourth, second, first]);
    assert!(index.exists());
    assert_eq!(d.run(&["log", "verify"]).code, 0);
    d.finish().await;
}

/// On SQLite the service keeps the credit facts of the subjects it was asked about in
/// memory (projections/src/read_models/credit_cache.rs). Writes by another process on the
/// same file — here the `jianxin` binary — still change its very next answer: an entry,
/// then a retroactive annulment, each seen at once, and a `known_at` before the
/// annulment still answered from the facts known then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c7_a_service_keeping_facts_in_memory_sees_each_write_of_another_process() {
    let d = Deployment::new(false).await;
    let app = crate::helpers::app_on_file(std::path::Path::new(&d.db)).await;
    let officer = app.token(Role::CreditOfficer).await;
    let ask = |known_at: Option<&'static str>| {
        let app = &app;
        let officer = officer.clone();
        async move {
            let mut uri = format!(
                "/v1/credit/check?subject={A}&scenario={PROCUREMENT}&date=2026-02-01&purpose=e2e"
            );
            if let Some(k) = known_at {
                uri.push_str(&format!("&known_at={k}"));
            }
            let res = app.get(&uri, Some(&officer)).await;
            assert_eq!(res.status.as_u16(), 200, "{}", res.text());
            res.json()
        }
    };
    // asked twice: the second answer comes from the facts kept in memory
    assert_eq!(decision(&ask(None).await), "allowed");
    let kept = ask(None).await;
    assert_eq!(decision(&kept), "allowed");
    // another process enters A on the serious list
    let e = act(
        &d,
        "2026-01-10T02:00:00Z",
        enter(A, "serious", "拒不履行", "2026-01-10"),
    );
    let entry = e["entry_id"].as_str().expect("entry").to_string();
    let listed = ask(None).await;
    assert_eq!(decision(&listed), "restricted", "{listed}");
    assert_eq!(listed["basis"][0]["entry_id"], entry.as_str());
    assert!(listed["log_seq"].as_u64() > kept["log_seq"].as_u64());
    // and annuls it as wrongful from the start
    act(
        &d,
        "2026-02-15T02:00:00Z",
        json!({"action": "annul", "subject": A, "entry_id": entry, "reason": "错误列入：主体认定有误"}),
    );
    assert_eq!(decision(&ask(None).await), "allowed");
    let before = ask(Some("2026-02-01T00:00:00Z")).await;
    assert_eq!(decision(&before), "restricted", "{before}");
    // the service's own answers and the other process's writes form one valid log
    assert_eq!(d.run(&["log", "verify"]).code, 0);
    app.finish().await;
    d.finish().await;
}

/// Issue 27: invisible format characters (a bidirectional override, a zero-width space)
/// are refused in a reason, naming the character and its position; nothing is recorded.
async fn invisible_format_characters_are_refused_with_their_position(app: &TestApp) {
    let officer = app.token(Role::CreditOfficer).await;
    let size = app.ledger_size().await;
    for (reason, code, position) in [
        ("拒不\u{202E}履行", "U+202E", 3),
        ("\u{200B}失信", "U+200B", 1),
    ] {
        let body = enter(A, "focus", reason, "2024-01-01");
        let res = app
            .send(post_json("/v1/credit/entries", &body, Some(&officer)))
            .await;
        let p = res.problem(422, "invalid-input");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(code), "{p}");
        assert!(detail.contains(&format!("position {position}")), "{p}");
    }
    assert_eq!(app.ledger_size().await, size, "nothing recorded");
}
crate::on_both!(invisible_format_characters_are_refused_with_their_position);
