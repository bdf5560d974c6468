//! Enforcement cases and the supervisor's replay (issue 8, docs/CASES.md), end to end on
//! both backends through the real binary: a clean case runs from clue to closing with no
//! deviation and a replay carrying inclusion proofs; each deviation code is produced by
//! the steps that cause it (a late filing, a major decision without review, evidence by
//! one officer, a fine outside its range with a reason, an investigator approving, an
//! ignored hearing request, evidence after the notice) and `integrity_break` by changing
//! a stored event row, and by rewriting history with its hash chain recomputed after a
//! checkpoint was signed and stored; bad input is refused with nothing written.

use serde_json::Value;

use crate::binary::Deployment;
use crate::cli_on_both;
use crate::scheduler::scheduler_once;

const OFFICER: &str = "ZF-001";
const PARTNER: &str = "ZF-002";
const BOSS: &str = "SP-001";
const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// Runs `jianxin --format json` as `who` at 10:00 Beijing on `day`, expecting success.
fn step(d: &Deployment, who: &str, day: &str, args: &[&str]) -> Value {
    let now = format!("{day}T02:00:00Z");
    let mut all = vec!["--format", "json", "--actor", who, "--now", &now, "case"];
    all.extend_from_slice(args);
    let r = d.run(&all);
    assert_eq!(r.code, 0, "{all:?}: {} {}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).expect("json")
}

/// A clue received and registered on 2025-03-03; its id.
fn open(d: &Deployment) -> String {
    let v = step(
        d,
        OFFICER,
        "2025-03-03",
        &[
            "open",
            "--clue",
            "群众举报：销售过期食品",
            "--received",
            "2025-03-03",
        ],
    );
    v["id"].as_str().expect("id").to_owned()
}

/// Filed 03-05, evidence by two officers 03-06, notice 03-10.
fn noticed(d: &Deployment) -> String {
    let id = open(d);
    step(d, OFFICER, "2025-03-05", &["file", &id]);
    step(
        d,
        OFFICER,
        "2025-03-06",
        &[
            "evidence",
            &id,
            "--name",
            "现场照片.jpg",
            "--sha256",
            HASH,
            "--officer",
            PARTNER,
        ],
    );
    step(d, OFFICER, "2025-03-10", &["notice", &id]);
    id
}

fn decide(d: &Deployment, who: &str, id: &str, extra: &[&str]) {
    let mut args = vec!["decide", id, "--violation", "SP-001"];
    args.extend_from_slice(extra);
    step(d, who, "2025-03-20", &args);
}

/// The day the supervisor looks in most tests: after every step they record, and before
/// the deadlines still open then end (a decision of 03-20 is served by 03-27), so that a
/// test sees the deviations of its steps alone; `overdue` has its own test.
const SUPERVISED: &str = "2025-03-26";

fn codes(d: &Deployment, id: &str) -> Vec<String> {
    let v = step(d, BOSS, SUPERVISED, &["deviations", id]);
    v[0]["deviations"]
        .as_array()
        .expect("deviations")
        .iter()
        .map(|x| x["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn keygen(d: &Deployment) {
    let r = d.run(&["keygen"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

cli_on_both!(
    a_clean_case_has_no_deviation_and_replays_with_proofs,
    |d: Deployment| async move {
        keygen(&d);
        let id = noticed(&d);
        decide(&d, BOSS, &id, &["--tier", "ordinary", "--amount", "10000"]);
        step(&d, OFFICER, "2025-03-21", &["serve", &id]);
        step(
            &d,
            OFFICER,
            "2025-03-25",
            &["execute", &id, "--note", "罚款已缴纳"],
        );
        step(&d, OFFICER, "2025-03-26", &["close", &id]);
        assert_eq!(codes(&d, &id), Vec::<String>::new());
        let list = step(&d, BOSS, SUPERVISED, &["list"]);
        assert_eq!(list[0]["id"], id.as_str());
        assert_eq!(list[0]["status"], "closed");
        let r = step(&d, BOSS, SUPERVISED, &["replay", &id]);
        let steps = r["steps"].as_array().expect("steps");
        assert_eq!(steps.len(), 8);
        assert_eq!(steps[1]["step"], "CaseFiled");
        assert_eq!(steps[1]["deadline"], "2025-03-24");
        assert_eq!(steps[1]["deadline_met"], true);
        assert_eq!(steps[2]["evidence_hashes"][0], HASH);
        assert_eq!(steps[2]["rule_version"], "cn-default-2026");
        assert_eq!(r["proofs"]["events"].as_array().map(|a| a.len()), Some(8));
        assert!(r["proofs"]["checkpoint"]
            .as_str()
            .is_some_and(|c| !c.is_empty()));
        // the table names the moment in words, never Rust's Option (issue 28)
        let table = d.run(&["case", "replay", &id]);
        let first = table.stdout.lines().next().unwrap_or_default().to_owned();
        assert!(first.ends_with("(closed) as recorded"), "{first}");
        let table = d.run(&["case", "replay", &id, "--at", "2025-03-10"]);
        let first = table.stdout.lines().next().unwrap_or_default().to_owned();
        assert!(
            first.ends_with("as of 2025-03-09T16:00:00+00:00"),
            "{first}"
        );
        assert!(!table.stdout.contains("Some(") && !table.stdout.contains("None"));
        // as of the notice's day the case was noticed, with four steps
        let r = step(
            &d,
            BOSS,
            "2025-04-01",
            &["replay", &id, "--at", "2025-03-10T12:00:00+08:00"],
        );
        assert_eq!(r["status"], "noticed");
        assert_eq!(r["steps"].as_array().map(|a| a.len()), Some(4));
        d.finish().await;
    }
);

cli_on_both!(
    deadline_missed_for_a_late_filing,
    |d: Deployment| async move {
        let id = open(&d);
        step(&d, OFFICER, "2025-03-25", &["file", &id]);
        assert_eq!(codes(&d, &id), vec!["deadline_missed"]);
        d.finish().await;
    }
);

cli_on_both!(
    legal_review_missing_for_a_major_decision,
    |d: Deployment| async move {
        let id = noticed(&d);
        decide(&d, BOSS, &id, &["--tier", "serious", "--amount", "60000"]);
        assert_eq!(codes(&d, &id), vec!["legal_review_missing"]);
        d.finish().await;
    }
);

cli_on_both!(
    fewer_than_two_officers_for_lone_evidence,
    |d: Deployment| async move {
        keygen(&d);
        let id = open(&d);
        step(&d, OFFICER, "2025-03-05", &["file", &id]);
        step(
            &d,
            OFFICER,
            "2025-03-06",
            &["evidence", &id, "--name", "询问笔录.pdf", "--sha256", HASH],
        );
        assert_eq!(codes(&d, &id), vec!["fewer_than_two_officers"]);
        // issue 28: still investigating 18 months after its decision deadline (filed
        // 2025-03-05, 90 days: 2025-06-03), the case is overdue as of now ...
        let later = step(&d, BOSS, "2026-12-08", &["deviations", &id]);
        let found = later[0]["deviations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let later_codes: Vec<&str> = found.iter().filter_map(|x| x["code"].as_str()).collect();
        assert_eq!(
            later_codes,
            ["fewer_than_two_officers", "overdue"],
            "{later}"
        );
        assert_eq!(found[1]["evidence"]["deadline"], "decision", "{later}");
        assert_eq!(found[1]["evidence"]["due_on"], "2025-06-03", "{later}");
        // ... and the replay shows it from the day after the deadline, not before
        for (at, overdue) in [("2025-06-03", false), ("2025-06-04", true)] {
            let r = step(&d, BOSS, "2026-12-08", &["replay", &id, "--at", at]);
            let shown = r["deviations"].to_string().contains("\"overdue\"");
            assert_eq!(shown, overdue, "as of {at}: {}", r["deviations"]);
        }
        let all = step(&d, BOSS, "2026-12-08", &["deviations", "--all"]);
        assert!(all.to_string().contains("\"overdue\""), "{all}");
        d.finish().await;
    }
);

cli_on_both!(
    penalty_outside_range_with_its_reason,
    |d: Deployment| async move {
        let id = noticed(&d);
        // without a reason: refused, nothing written
        let r = d.run(&[
            "--format",
            "json",
            "--actor",
            BOSS,
            "--now",
            "2025-03-20T02:00:00Z",
            "case",
            "decide",
            &id,
            "--violation",
            "SP-001",
            "--tier",
            "ordinary",
            "--amount",
            "3000",
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let e: Value = serde_json::from_str(r.stderr.trim()).expect("json error");
        assert_eq!(e["location"], "reason");
        decide(
            &d,
            BOSS,
            &id,
            &[
                "--tier",
                "ordinary",
                "--amount",
                "3000",
                "--reason",
                "主动消除危害后果",
            ],
        );
        let v = step(&d, BOSS, SUPERVISED, &["deviations", &id]);
        assert_eq!(v[0]["deviations"][0]["code"], "penalty_outside_range");
        assert_eq!(
            v[0]["deviations"][0]["evidence"]["reason"],
            "主动消除危害后果"
        );
        d.finish().await;
    }
);

cli_on_both!(investigator_approved_own_case, |d: Deployment| async move {
    let id = noticed(&d);
    decide(
        &d,
        PARTNER,
        &id,
        &["--tier", "ordinary", "--amount", "10000"],
    );
    assert_eq!(codes(&d, &id), vec!["investigator_approved_own_case"]);
    d.finish().await;
});

cli_on_both!(hearing_request_ignored, |d: Deployment| async move {
    let id = noticed(&d);
    step(&d, OFFICER, "2025-03-12", &["hearing-request", &id]);
    decide(&d, BOSS, &id, &["--tier", "ordinary", "--amount", "10000"]);
    assert_eq!(codes(&d, &id), vec!["hearing_request_ignored"]);
    d.finish().await;
});

cli_on_both!(
    step_out_of_order_for_evidence_after_notice,
    |d: Deployment| async move {
        let id = noticed(&d);
        step(
            &d,
            OFFICER,
            "2025-03-11",
            &[
                "evidence",
                &id,
                "--name",
                "补充照片.jpg",
                "--sha256",
                HASH,
                "--officer",
                PARTNER,
            ],
        );
        assert_eq!(codes(&d, &id), vec!["step_out_of_order"]);
        d.finish().await;
    }
);

cli_on_both!(
    integrity_break_when_an_event_row_is_changed,
    |d: Deployment| async move {
        let id = noticed(&d);
        decide(&d, BOSS, &id, &["--tier", "ordinary", "--amount", "10000"]);
        assert_eq!(codes(&d, &id), Vec::<String>::new());
        // the append-only triggers are dropped first, as an attacker with the owner's rights would
        let sql = if d.is_pg() {
            "DROP TRIGGER enforcement_case_events_append_only ON enforcement_case_events; \
         UPDATE enforcement_case_events SET payload = jsonb_set(payload, \
         '{data,outcome,amount_yuan}', '100') WHERE payload->'data' ? 'outcome'"
        } else {
            "DROP TRIGGER enforcement_case_events_no_update; \
         UPDATE enforcement_case_events SET payload = replace(payload, \
         '\"amount_yuan\":10000', '\"amount_yuan\":100') \
         WHERE payload LIKE '%\"amount_yuan\":10000%'"
        };
        d.sql(sql).await;
        let c = codes(&d, &id);
        // the changed row also reads as a fine of 100 yuan, below its range: the ledger's
        // verdict comes first so the supervisor knows not to trust what follows
        assert_eq!(
            c.first().map(String::as_str),
            Some("integrity_break"),
            "{c:?}"
        );
        let all = step(&d, BOSS, SUPERVISED, &["deviations", "--all"]);
        assert_eq!(all[0]["deviations"][0]["code"], "integrity_break");
        assert_eq!(all[0]["deviations"][0]["evidence"]["case_event"], true);
        d.finish().await;
    }
);

/// Rows of one query as the database owner: `(global_sequence, canonical, prev_hash)` of
/// the ledger, or `(tree_size, note)` of the stored checkpoints.
async fn owner_rows<T>(d: &Deployment, sql: &str) -> Vec<T>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    if d.is_pg() {
        let pool = sqlx::PgPool::connect(&d.db).await.expect("connect");
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.expect(sql);
        pool.close().await;
        rows
    } else {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&d.db);
        let pool = sqlx::SqlitePool::connect_with(opts).await.expect("connect");
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.expect(sql);
        pool.close().await;
        rows
    }
}

/// Rewrites the ledger from the entry holding the decision onward as an attacker with
/// the owner's rights would: the fine of 10000 yuan becomes 100 in the event row and in
/// the entry's bytes, and every later entry's hash chain is recomputed, so that the
/// chain from genesis verifies again. Only a checkpoint signed before can tell.
async fn rewrite_history(d: &Deployment) {
    use jianxin_domain::event_log::LedgerEntry;
    let (from, to) = ("\"amount_yuan\":10000", "\"amount_yuan\":100");
    let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = owner_rows(
        d,
        "SELECT global_sequence, canonical, prev_hash FROM ledger ORDER BY global_sequence",
    )
    .await;
    let first = rows
        .iter()
        .position(|(_, c, _)| String::from_utf8_lossy(c).contains(from))
        .expect("the decision's entry");
    let mut sql = if d.is_pg() {
        "DROP TRIGGER enforcement_case_events_append_only ON enforcement_case_events; \
         DROP TRIGGER ledger_append_only ON ledger; \
         UPDATE enforcement_case_events SET payload = jsonb_set(payload, \
         '{data,outcome,amount_yuan}', '100') WHERE payload->'data' ? 'outcome';"
            .to_owned()
    } else {
        "DROP TRIGGER enforcement_case_events_no_update; DROP TRIGGER ledger_no_update; \
         UPDATE enforcement_case_events SET payload = replace(payload, \
         '\"amount_yuan\":10000', '\"amount_yuan\":100') \
         WHERE payload LIKE '%\"amount_yuan\":10000%';"
            .to_owned()
    };
    let hex = |b: &[u8]| -> String { b.iter().map(|x| format!("{x:02x}")).collect() };
    let blob = |b: &[u8]| {
        if d.is_pg() {
            format!("'\\x{}'::bytea", hex(b))
        } else {
            format!("X'{}'", hex(b))
        }
    };
    let mut prev: [u8; 32] = rows[first].2.as_slice().try_into().expect("32 bytes");
    for (seq, canonical, _) in &rows[first..] {
        let canonical = String::from_utf8_lossy(canonical)
            .replace(from, to)
            .into_bytes();
        let hash = LedgerEntry::chain_hash(&prev, &canonical);
        // sql-safe: test tampering, every value is hex of bytes computed here
        sql.push_str(&format!(
            " UPDATE ledger SET canonical = {}, prev_hash = {}, entry_hash = {} \
             WHERE global_sequence = {seq};",
            blob(&canonical),
            blob(&prev),
            blob(&hash)
        ));
        prev = hash;
    }
    d.sql(&sql).await;
}

cli_on_both!(
    a_stored_checkpoint_vouches_for_the_replay_and_finds_a_rewrite_the_chain_misses,
    |d: Deployment| async move {
        use jianxin_domain::integrity::{leaf_hash, open_checkpoint, InclusionProof, NoteSigner};
        keygen(&d);
        // other cases' events before and after, so the check needs stored subtrees
        open(&d);
        let id = noticed(&d);
        decide(&d, BOSS, &id, &["--tier", "ordinary", "--amount", "10000"]);
        open(&d);
        // the scheduler signs and stores a checkpoint, and stores the ledger's tree
        scheduler_once(&d, "2025-03-21T02:00:00Z");
        let stored: Vec<(i64, String)> = owner_rows(
            &d,
            "SELECT tree_size, note FROM published_checkpoints ORDER BY tree_size DESC",
        )
        .await;
        let (size, note) = stored.first().cloned().expect("a stored checkpoint");
        // the replay's proofs lead to that checkpoint, and each one verifies
        let r = step(&d, BOSS, SUPERVISED, &["replay", &id]);
        assert_eq!(r["proofs"]["tree_size"], size, "{}", r["proofs"]);
        assert_eq!(r["proofs"]["checkpoint"], note.as_str());
        let key = std::fs::read_to_string(d.path("jianxin.key")).expect("key");
        let verifier = NoteSigner::parse(key.trim()).expect("key").verifier();
        let checkpoint = open_checkpoint(&note, &verifier).expect("signed by the log");
        let proofs = r["proofs"]["events"].as_array().expect("proofs");
        assert_eq!(proofs.len(), 5);
        for p in proofs {
            let proof: InclusionProof = serde_json::from_value(p["proof"].clone()).expect("proof");
            let entry = p["entry"].as_str().expect("entry");
            proof
                .verify(&leaf_hash(entry.as_bytes()), &checkpoint.root)
                .expect("the proof leads to the signed root");
        }
        // issue 28: an outsider checks a proof as printed, with the published verifier key
        // only (no key file: nothing secret)
        std::fs::write(d.path("cp.txt"), &note).expect("write");
        std::fs::write(d.path("p.json"), proofs[2].to_string()).expect("write");
        let vkey = verifier.to_verifier_key_string();
        let check = [
            "log",
            "verify-proof",
            "--checkpoint",
            "cp.txt",
            "--proof",
            "p.json",
        ];
        let outsider = |extra: &[&str]| {
            let args = [&check[..], extra].concat();
            let out = d
                .command(&args)
                .env("JIANXIN_KEY_FILE", d.path("no-such.key"))
                .output()
                .expect("run jianxin");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        };
        let (code, stdout) = outsider(&["--verifier-key", &vkey]);
        assert_eq!(code, Some(0), "{stdout}");
        assert!(stdout.starts_with("ok event "), "{stdout}");
        assert_eq!(outsider(&[]).0, Some(2), "the verifier key is required");
        assert_eq!(codes(&d, &id), Vec::<String>::new());
        // a damaged tree cache is not a break: the whole ledger still matches the signature
        d.sql(if d.is_pg() {
            "UPDATE ledger_tree SET hash = decode(repeat('00', 32), 'hex')"
        } else {
            "UPDATE ledger_tree SET hash = zeroblob(32)"
        })
        .await;
        assert_eq!(codes(&d, &id), Vec::<String>::new());
        let r = step(&d, BOSS, SUPERVISED, &["replay", &id]);
        assert_ne!(
            r["proofs"]["checkpoint"],
            note.as_str(),
            "signed now instead"
        );
        // the scheduler's next run stores the tree again
        d.sql("DELETE FROM ledger_tree").await;
        scheduler_once(&d, "2025-03-22T02:00:00Z");
        let r = step(&d, BOSS, SUPERVISED, &["replay", &id]);
        assert_eq!(r["proofs"]["checkpoint"], note.as_str());
        // history rewritten with its chain recomputed: `log verify` is fooled, the
        // signed checkpoint is not
        rewrite_history(&d).await;
        let v = d.run(&["--format", "json", "log", "verify"]);
        assert_eq!(v.code, 0, "the chain alone cannot see it: {}", v.stdout);
        let v = step(&d, BOSS, SUPERVISED, &["deviations", &id]);
        let first = &v[0]["deviations"][0];
        assert_eq!(first["code"], "integrity_break", "{v}");
        assert_eq!(first["evidence"]["case_event"], true, "{v}");
        assert_eq!(first["sequence"], 5, "the decision, the event changed: {v}");
        assert!(
            first["message"]
                .as_str()
                .is_some_and(|m| m.contains("checkpoint")),
            "{v}"
        );
        d.finish().await;
    }
);

cli_on_both!(
    bad_input_is_refused_and_nothing_written,
    |d: Deployment| async move {
        let id = open(&d);
        step(&d, OFFICER, "2025-03-05", &["file", &id]);
        let r = d.run(&["--format", "json", "case", "file", "not-a-uuid"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let r = d.run(&[
            "--format", "json", "--actor", OFFICER, "case", "evidence", &id, "--name", "x",
            "--sha256", "XYZ",
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let e: Value = serde_json::from_str(r.stderr.trim()).expect("json error");
        assert!(
            e["message"].as_str().is_some_and(|m| m.contains("SHA-256")),
            "{e}"
        );
        let list = step(&d, BOSS, SUPERVISED, &["list"]);
        assert_eq!(list[0]["status"], "filed");
        assert_eq!(list[0]["events"], 2);
        d.finish().await;
    }
);
