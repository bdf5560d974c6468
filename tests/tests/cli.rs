//! The command line as outside tools use it: names, flags, outputs and exit codes
//! (0 ok, 1 bad input, 2 usage, 3 integrity, 4 infrastructure).

use crate::binary::Deployment;
use crate::cli_on_both;

fn seeded(d: &Deployment) -> usize {
    let r = d.run(&["demo", "seed", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    v["events_appended"].as_u64().expect("count") as usize
}

cli_on_both!(
    demo_seed_then_log_verify_is_ok,
    |d: Deployment| async move {
        let n = seeded(&d);
        assert!(n >= 8, "{n}");
        let r = d.run(&["log", "verify"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.starts_with(&format!("ok {n} events, root ")),
            "{}",
            r.stdout
        );
        let root = r.stdout.trim().rsplit(' ').next().expect("root");
        assert_eq!(root.len(), 64);
        let r = d.run(&["log", "show", "--format", "json", "--limit", "3"]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        assert_eq!(v.as_array().map(|a| a.len()), Some(3));
        assert_eq!(v[0]["global_sequence"], 1);
        assert_eq!(v[0]["payload"]["actor"]["user"], "demo-seed");
        d.finish().await;
    }
);

cli_on_both!(
    tampering_exits_3_naming_the_sequence,
    |d: Deployment| async move {
        seeded(&d);
        d.drop_triggers().await;
        // change one byte of the second event's payload
        let sql = if d.is_pg() {
            "UPDATE reference_data_events SET payload = jsonb_set(payload, '{data,rows}', '3221') \
         WHERE id = (SELECT event_id FROM ledger WHERE global_sequence = 2)"
        } else {
            "UPDATE reference_data_events SET payload = replace(payload, '\"rows\":3220', '\"rows\":3221') \
         WHERE id = (SELECT event_id FROM ledger WHERE global_sequence = 2)"
        };
        d.sql(sql).await;
        let r = d.run(&["log", "verify"]);
        assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
        assert!(r.stderr.contains("global sequence 2"), "{}", r.stderr);
        assert!(r.stderr.contains("payload"), "{}", r.stderr);
        let r = d.run(&["log", "verify", "--format", "json"]);
        let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).expect("json error");
        assert_eq!(e["code"], "integrity");
        assert_eq!(e["location"], "global_sequence 2");
        d.finish().await;
    }
);

cli_on_both!(
    removed_and_swapped_rows_exit_3,
    |d: Deployment| async move {
        seeded(&d);
        d.drop_triggers().await;
        d.sql("DELETE FROM ledger WHERE global_sequence = 5").await;
        let r = d.run(&["log", "verify"]);
        assert_eq!(r.code, 3);
        assert!(r.stderr.contains("global sequence 5"), "{}", r.stderr);
        d.finish().await;
    }
);

cli_on_both!(
    checkpoints_and_proofs_work_without_a_database,
    |d: Deployment| async move {
        seeded(&d);
        let cp = d.run(&["log", "checkpoint"]);
        assert_eq!(cp.code, 0, "{}", cp.stderr);
        std::fs::write(d.path("old.cp"), &cp.stdout).expect("write");
        let size: u64 = cp
            .stdout
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .expect("size");
        // more events; the log still extends the old checkpoint
        assert_eq!(
            d.run(&["token", "issue", "--role", "inspector", "--user", "i9"])
                .code,
            0
        );
        let r = d.run(&["log", "verify", "--checkpoint", "old.cp"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let cp = d.run(&["log", "checkpoint"]);
        std::fs::write(d.path("new.cp"), &cp.stdout).expect("write");
        let proof = d.run(&["log", "prove", "3"]);
        assert_eq!(proof.code, 0, "{}", proof.stderr);
        std::fs::write(d.path("p.json"), &proof.stdout).expect("write");
        // outsiders: no database and no key file, only the published verifier key
        let vkey = d.run(&["log", "key"]);
        assert_eq!(vkey.code, 0, "{}", vkey.stderr);
        let vkey = vkey.stdout.trim().to_string();
        assert!(!vkey.starts_with("PRIVATE"), "{vkey}");
        let no_db = |args: &[&str]| {
            let mut all = vec![
                "--db",
                "postgres://127.0.0.1:1/none",
                "--key-file",
                "/nonexistent",
                "log",
                "verify-proof",
                "--verifier-key",
                &vkey,
            ];
            all.extend_from_slice(args);
            d.run(&all)
        };
        let r = no_db(&["--checkpoint", "new.cp", "--proof", "p.json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.starts_with("ok event "), "{}", r.stdout);
        // the entry as a separate file
        let entry: serde_json::Value = serde_json::from_str(&proof.stdout).expect("json");
        std::fs::write(d.path("e.bin"), entry["entry"].as_str().expect("entry")).expect("write");
        let r = no_db(&[
            "--checkpoint",
            "new.cp",
            "--proof",
            "p.json",
            "--event",
            "e.bin",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        std::fs::write(
            d.path("e2.bin"),
            entry["entry"]
                .as_str()
                .expect("entry")
                .replace("demo-seed", "demo-seeD"),
        )
        .expect("write");
        let r = no_db(&[
            "--checkpoint",
            "new.cp",
            "--proof",
            "p.json",
            "--event",
            "e2.bin",
        ]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        // a forged checkpoint (root changed) fails to open
        let root_line = cp.stdout.lines().nth(2).expect("root line");
        let forged = cp
            .stdout
            .replacen(root_line, &format!("{}=", "A".repeat(43)), 1);
        std::fs::write(d.path("forged.cp"), forged).expect("write");
        let r = no_db(&["--checkpoint", "forged.cp", "--proof", "p.json"]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        // a checkpoint checked with another log's key is refused
        assert_eq!(
            d.run(&[
                "keygen",
                "--out",
                "other.key",
                "--name",
                "other.example/log"
            ])
            .code,
            0
        );
        let other = d
            .run(&["--key-file", "other.key", "log", "key"])
            .stdout
            .trim()
            .to_string();
        let r = d.run(&[
            "log",
            "verify-proof",
            "--verifier-key",
            &other,
            "--checkpoint",
            "new.cp",
            "--proof",
            "p.json",
        ]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        // consistency from the old checkpoint to the new one
        let c = d.run(&["log", "consistency", &size.to_string()]);
        assert_eq!(c.code, 0, "{}", c.stderr);
        std::fs::write(d.path("c.json"), &c.stdout).expect("write");
        let r = no_db(&[
            "--checkpoint",
            "new.cp",
            "--old-checkpoint",
            "old.cp",
            "--proof",
            "c.json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        d.finish().await;
    }
);

cli_on_both!(
    a_rewritten_history_fails_against_an_old_checkpoint,
    |d: Deployment| async move {
        seeded(&d);
        let cp = d.run(&["log", "checkpoint"]);
        std::fs::write(d.path("cp"), &cp.stdout).expect("write");
        // someone with database access removes the last event and its ledger entry: the
        // chain alone still verifies, the checkpoint does not
        d.drop_triggers().await;
        d.sql("DELETE FROM access_grant_events WHERE id = (SELECT event_id FROM ledger WHERE global_sequence = (SELECT MAX(global_sequence) FROM ledger))").await;
        d.sql(
            "DELETE FROM ledger WHERE global_sequence = (SELECT MAX(global_sequence) FROM ledger)",
        )
        .await;
        assert_eq!(d.run(&["log", "verify"]).code, 0);
        let r = d.run(&["log", "verify", "--checkpoint", "cp"]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(
            r.stderr.contains("fewer than the checkpoint"),
            "{}",
            r.stderr
        );
        d.finish().await;
    }
);

cli_on_both!(
    bad_reference_data_changes_nothing,
    |d: Deployment| async move {
        seeded(&d);
        let before = d.run(&["log", "verify"]).stdout;
        std::fs::write(
            d.path("bad.csv"),
            "date,kind,holiday_zh,holiday_en\n2024-02-30,holiday_off,春节,Spring\n",
        )
        .expect("write");
        let r = d.run(&[
            "reference",
            "load",
            "calendar",
            "bad.csv",
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).expect("json error");
        assert_eq!(e["code"], "invalid_reference_data");
        assert!(
            e["location"].as_str().unwrap_or("").contains("line 2"),
            "{e}"
        );
        assert_eq!(d.run(&["log", "verify"]).stdout, before);
        // the same content as loaded: unchanged, nothing appended
        std::fs::write(d.path("cal.csv"), jianxin_api::demo::CALENDAR_CSV).expect("write");
        let r = d.run(&["reference", "load", "calendar", "cal.csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.starts_with("unchanged calendar"), "{}", r.stdout);
        assert_eq!(d.run(&["log", "verify"]).stdout, before);
        // a new version is recorded, names its operator, and is used by the calendar command
        let changed = jianxin_api::demo::CALENDAR_CSV
            .replace("2024-02-18,adjusted_workday", "2024-02-24,adjusted_workday");
        std::fs::write(d.path("cal2.csv"), changed).expect("write");
        let r = d.run(&[
            "reference",
            "load",
            "calendar",
            "cal2.csv",
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = d.run(&["reference", "list", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        let last_calendar = v
            .as_array()
            .and_then(|a| a.iter().rfind(|x| x["kind"] == "calendar").cloned());
        assert_eq!(
            last_calendar.as_ref().map(|x| x["version"].clone()),
            Some(serde_json::json!(2))
        );
        assert_eq!(
            last_calendar.map(|x| x["actor_user"].clone()),
            Some(serde_json::json!("e2e-operator"))
        );
        // 02-09 (Fri) works; 2024-02-18 no longer does in the new version, so the 2nd is 02-19
        let r = d.run(&["calendar", "add-working-days", "2024-02-08", "2"]);
        assert_eq!(r.stdout.trim(), "2024-02-19", "{}", r.stderr);
        d.finish().await;
    }
);

/// `jianxin … | head`: a reader that goes away ends the command quietly with status 0,
/// not with a panic on stdout (as `println!` would).
#[tokio::test]
async fn a_closed_stdout_ends_the_command_quietly() {
    let d = Deployment::new(false).await;
    seeded(&d);
    let mut child = d
        .command(&["log", "show", "--format", "json", "--limit", "500"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn jianxin");
    // close the read end before the command prints
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    d.finish().await;
}

#[test]
fn check_uscc_contract() {
    let d = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| -> crate::binary::Run {
        std::process::Command::new(crate::binary::jianxin_bin())
            .args(args)
            .current_dir(d.path())
            .output()
            .expect("run")
            .into()
    };
    let r = run(&["check", "uscc", " 91350100m000100y43 "]);
    assert_eq!((r.code, r.stdout.trim()), (0, "91350100M000100Y43"));
    let r = run(&["check", "uscc", "91350100M000100Y44"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("position 18") && r.stderr.contains("expected '3'"),
        "{}",
        r.stderr
    );
    let r = run(&["check", "uscc", "91350100M0O0100Y43"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("position 11"), "{}", r.stderr);
    let r = run(&["--format", "json", "check", "uscc", "123"]);
    assert_eq!(r.code, 1);
    let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).expect("json");
    assert_eq!(e["code"], "invalid_uscc");
    // no database was created by a pure command
    assert!(!d.path().join("jianxin.db").exists());
    // calendar: the official schedule where loaded, 调休 included
    let r = run(&["calendar", "add-working-days", "2024-09-27", "3"]);
    // 09-29 (Sun) is an adjusted workday (调休), 09-30 works, 10-01..07 are off
    assert_eq!((r.code, r.stdout.trim()), (0, "2024-10-08"));
    // issue 28: a year whose official schedule is not loaded is counted provisionally
    // (weekends and statutory holidays), and the answer says so
    let r = run(&["calendar", "add-working-days", "2026-12-10", "20"]);
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "2027-01-08 (provisional calendar)"),
        "{}",
        r.stderr
    );
    let added = |n: &str| {
        let args = [
            "--format",
            "json",
            "calendar",
            "add-working-days",
            "2026-12-10",
            n,
        ];
        let v: serde_json::Value = serde_json::from_str(&run(&args).stdout).expect("json");
        (
            v["date"].as_str().map(str::to_owned),
            v["calendar"].as_str().map(str::to_owned),
        )
    };
    let expect = |date: &str, calendar: &str| (Some(date.to_owned()), Some(calendar.to_owned()));
    assert_eq!(added("20"), expect("2027-01-08", "provisional"));
    assert_eq!(added("15"), expect("2026-12-31", "official"));
    let r = run(&["--format", "json", "calendar", "years"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let years = v["years"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        years.first(),
        Some(&serde_json::json!({"year": 2018, "calendar": "official"}))
    );
    assert!(years.contains(&serde_json::json!({"year": 2026, "calendar": "official"})));
    assert!(years.contains(&serde_json::json!({"year": 2027, "calendar": "provisional"})));
    let r = run(&["calendar", "years"]);
    assert!(
        r.stdout.contains("2027\tprovisional (临时)"),
        "{}",
        r.stdout
    );
    // beyond the provisional years and before the official ones it is still an error
    let r = run(&["calendar", "add-working-days", "2040-01-02", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = run(&["calendar", "add-working-days", "2017-06-01", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // usage errors exit 2; an unreachable database exits 4
    assert_eq!(run(&["log", "frobnicate"]).code, 2);
    assert_eq!(run(&["--db", "mysql://x/y", "log", "verify"]).code, 2);
    assert_eq!(
        run(&[
            "--db",
            "postgres://postgres@127.0.0.1:1/none",
            "log",
            "verify"
        ])
        .code,
        4
    );
}

cli_on_both!(
    refused_tokens_and_rules_change_nothing,
    |d: Deployment| async move {
        seeded(&d);
        let before = d.run(&["log", "verify"]).stdout;
        for args in [
            vec!["token", "issue", "--role", "root", "--user", "x"],
            vec!["token", "issue", "--role", "public", "--user", "x"],
            vec![
                "token",
                "issue",
                "--role",
                "external_system",
                "--user",
                "sys",
                "--ttl-days",
                "30",
            ],
            vec!["token", "issue", "--role", "admin", "--user", ""],
            vec![
                "token",
                "issue",
                "--role",
                "admin",
                "--user",
                "x",
                "--ttl-days",
                "0",
            ],
        ] {
            let r = d.run(&args);
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            assert!(!r.stderr.is_empty());
        }
        let r = d.run(&[
            "--format",
            "json",
            "token",
            "issue",
            "--role",
            "external_system",
            "--user",
            "sys",
            "--ttl-days",
            "30",
        ]);
        let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).expect("json error");
        assert!(
            e["message"].as_str().unwrap_or("").contains("--scope"),
            "{e}"
        );
        // issue 27: a system's token lives as long as said, never by default
        let system = [
            "token",
            "issue",
            "--role",
            "external_system",
            "--user",
            "sys",
        ];
        let r = d.run(&[&system[..], &["--scope", "government_procurement"]].concat());
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("--ttl-days"), "{}", r.stderr);
        assert_eq!(d.run(&["log", "verify"]).stdout, before);
        // rules: a ratio out of range is refused with its path; unknown fields too
        let mut rules: serde_json::Value =
            serde_json::from_str(&d.run(&["rules", "defaults"]).stdout).expect("defaults");
        rules["ratio_bp"]["D"] = serde_json::json!(20000);
        std::fs::write(d.path("bad-rules.json"), rules.to_string()).expect("write");
        let r = d.run(&[
            "--format",
            "json",
            "rules",
            "publish",
            "--file",
            "bad-rules.json",
            "--reason",
            "test",
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).expect("json error");
        assert!(
            e["location"].as_str().unwrap_or("").contains("ratio_bp.D"),
            "{e}"
        );
        std::fs::write(d.path("junk.json"), "{\"ratio\": 1}").expect("write");
        assert_eq!(
            d.run(&["rules", "publish", "--file", "junk.json", "--reason", "x"])
                .code,
            1
        );
        assert_eq!(
            d.run(&["log", "verify"]).stdout,
            before,
            "refusals append nothing"
        );
        // the demo's rules again: identical, nothing recorded
        std::fs::write(d.path("same.json"), d.run(&["rules", "defaults"]).stdout).expect("write");
        let r = d.run(&[
            "rules",
            "publish",
            "--file",
            "same.json",
            "--reason",
            "again",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.starts_with("unchanged"), "{}", r.stdout);
        assert_eq!(d.run(&["log", "verify"]).stdout, before);
        // a person's token, by default, one working day
        let staff = ["--format", "json", "token", "issue", "--role", "inspector"];
        let r = d.run(&[&staff[..], &["--user", "SJ-D01"]].concat());
        let issued: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        let claims = &issued["claims"];
        let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
        assert_eq!(lifetime, 86_400, "{issued}");
        d.finish().await;
    }
);
