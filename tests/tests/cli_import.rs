//! Bulk import through the real binary, on both backends: all or nothing, idempotent
//! re-import, dry runs, encodings and XLSX, "as of" queries, rebuilds, and a process
//! killed midway leaving the store exactly as before.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::binary::{jianxin_bin, Deployment, Run};
use crate::cli_on_both;

const SUBJECTS: &str = include_str!("../../docs/samples/subjects.csv");

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {} / {}", r.stdout, r.stderr))
}

fn summary(v: &serde_json::Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| v[k].as_u64().unwrap_or(u64::MAX);
    (n("created"), n("changed"), n("unchanged"), n("rejected"))
}

fn ledger(d: &Deployment) -> String {
    d.run(&["log", "verify"]).stdout
}

/// A valid USCC from 17 characters.
fn uscc(first17: &str) -> String {
    const A: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = first17
        .chars()
        .zip(W)
        .map(|(c, w)| A.find(c).expect("alphabet") * w)
        .sum();
    let c = (31 - sum % 31) % 31;
    format!("{first17}{}", A.as_bytes()[c] as char)
}

cli_on_both!(
    a_bad_file_changes_nothing_and_lists_every_bad_row,
    |d: Deployment| async move {
        assert_eq!(d.run(&["import", "subjects", &sample(&d)]).code, 0);
        let before = ledger(&d);
        let bad = SUBJECTS
            .replace("91330102MA2B0C1D0U", "91330102MA2B0C1D0X")
            .replace(",330106,", ",999999,")
            + "91330300MA2E5F6G0W,重复,企业,C1952,330302,2020-01-10,存续,B,\n";
        std::fs::write(d.path("bad.csv"), bad).expect("write");
        let r = d.run(&["import", "subjects", "bad.csv", "--format", "json"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let v = json(&r);
        assert_eq!(v["rejected"], 3);
        assert_eq!(v["written"], false);
        let errors = v["errors"].as_array().expect("errors");
        let find = |col: &str| {
            errors
                .iter()
                .find(|g| g["column"] == col)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(find("uscc")["examples"][0]["row"], 2);
        assert!(
            errors.iter().any(|g| g["expected"]
                .as_str()
                .unwrap_or("")
                .contains("check character 'U'")),
            "{v}"
        );
        assert!(
            errors.iter().any(|g| g["examples"][0]["value"]
                .as_str()
                .unwrap_or("")
                .contains("also on row")),
            "{v}"
        );
        assert_eq!(find("region")["examples"][0]["value"], "999999");
        assert_eq!(
            ledger(&d),
            before,
            "a rejected file must not change the log"
        );
        // an unknown column is named with the accepted ones
        std::fs::write(d.path("hdr.csv"), "统一社会信用代码,名称,颜色\n").expect("write");
        let r = d.run(&["import", "subjects", "hdr.csv", "--format", "json"]);
        assert_eq!(r.code, 1);
        assert!(r.stdout.contains("颜色"), "{}", r.stdout);
        assert_eq!(ledger(&d), before);
        d.finish().await;
    }
);

fn sample(d: &Deployment) -> String {
    let p = d.path("subjects.csv");
    std::fs::write(&p, SUBJECTS).expect("write");
    p.display().to_string()
}

cli_on_both!(
    reimport_is_idempotent_and_changes_are_dated,
    |d: Deployment| async move {
        let file = sample(&d);
        let r = d.run(&[
            "import",
            "subjects",
            &file,
            "--effective",
            "2026-01-01",
            "--format",
            "json",
        ]);
        assert_eq!(summary(&json(&r)), (5, 0, 0, 0), "{}", r.stderr);
        let after_first = ledger(&d);
        let r = d.run(&["import", "subjects", &file, "--format", "json"]);
        assert_eq!(summary(&json(&r)), (0, 0, 5, 0));
        assert_eq!(ledger(&d), after_first, "unchanged rows append no events");
        // one status change, effective 2026-06-01: a dry run first
        std::fs::write(
            d.path("changed.csv"),
            SUBJECTS.replace(",存续,B,食品经营", ",注销,B,食品经营"),
        )
        .expect("write");
        let dry = d.run(&[
            "import",
            "subjects",
            "changed.csv",
            "--effective",
            "2026-06-01",
            "--dry-run",
            "--format",
            "json",
        ]);
        assert_eq!(summary(&json(&dry)), (0, 1, 4, 0));
        assert_eq!(ledger(&d), after_first, "a dry run writes nothing");
        let r = d.run(&[
            "import",
            "subjects",
            "changed.csv",
            "--effective",
            "2026-06-01",
            "--format",
            "json",
        ]);
        assert_eq!(summary(&json(&r)), (0, 1, 4, 0));
        assert_eq!(json(&r)["events_appended"], 1, "only the change event");
        // the directory as of a date
        let list = |as_of: &str| {
            json(&d.run(&[
                "subjects",
                "list",
                "--status",
                "cancelled",
                "--as-of",
                as_of,
                "--format",
                "json",
            ]))["items"]
                .as_array()
                .map(|a| a.len())
        };
        assert_eq!(list("2026-05-31"), Some(0));
        assert_eq!(list("2026-06-01"), Some(1));
        let all = |as_of: &str| {
            json(&d.run(&["subjects", "list", "--as-of", as_of, "--format", "json"]))["items"]
                .as_array()
                .map(|a| a.len())
        };
        assert_eq!(
            all("2025-12-31"),
            Some(0),
            "not in the directory before it was listed"
        );
        assert_eq!(all("2026-03-01"), Some(5));
        // filters: a prefecture includes its counties; kind in Chinese
        let r = d.run(&[
            "subjects",
            "list",
            "--region",
            "330100",
            "--kind",
            "个体工商户",
            "--format",
            "json",
        ]);
        let v = json(&r);
        assert_eq!(v["items"].as_array().map(|a| a.len()), Some(1), "{v}");
        assert_eq!(v["items"][0]["region"], "330106");
        // pagination
        let p1 = json(&d.run(&["subjects", "list", "--limit", "2", "--format", "json"]));
        let next = p1["next"].as_str().expect("next").to_string();
        let p2 = json(&d.run(&[
            "subjects", "list", "--limit", "2", "--after", &next, "--format", "json",
        ]));
        assert_ne!(p1["items"][0]["uscc"], p2["items"][0]["uscc"]);
        // history of one subject
        let show = json(&d.run(&["subjects", "show", "92330106MA2H0J1K0K", "--format", "json"]));
        assert_eq!(show["events"].as_array().map(|a| a.len()), Some(2));
        assert_eq!(show["events"][1]["event_type"], "SubjectStatusChanged");
        assert_eq!(show["events"][1]["effective_at"], "2026-06-01");
        // rebuilt read models give the same answers
        let before = d
            .run(&[
                "subjects",
                "list",
                "--as-of",
                "2026-07-01",
                "--format",
                "json",
            ])
            .stdout;
        assert_eq!(d.run(&["projections", "rebuild"]).code, 0);
        assert_eq!(
            d.run(&[
                "subjects",
                "list",
                "--as-of",
                "2026-07-01",
                "--format",
                "json"
            ])
            .stdout,
            before
        );
        assert_eq!(d.run(&["log", "verify"]).code, 0);
        d.finish().await;
    }
);

cli_on_both!(
    gb18030_and_xlsx_files_import_like_utf8,
    |d: Deployment| async move {
        let (gbk, _, _) = encoding_rs::GB18030.encode(SUBJECTS);
        std::fs::write(d.path("gbk.csv"), &gbk).expect("write");
        let r = d.run(&["import", "subjects", "gbk.csv", "--format", "json"]);
        assert_eq!(summary(&json(&r)), (5, 0, 0, 0), "{}", r.stderr);
        // the same rows as a spreadsheet: nothing new
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (i, line) in SUBJECTS.lines().enumerate() {
            for (j, cell) in line.split(',').enumerate() {
                // region codes as numbers, as spreadsheets often hold them
                if j == 4 && i > 0 {
                    sheet
                        .write_number(i as u32, j as u16, cell.parse::<f64>().expect("number"))
                        .expect("cell");
                } else {
                    sheet.write_string(i as u32, j as u16, cell).expect("cell");
                }
            }
        }
        book.save(d.path("subjects.xlsx")).expect("xlsx");
        let r = d.run(&["import", "subjects", "subjects.xlsx", "--format", "json"]);
        assert_eq!(summary(&json(&r)), (0, 0, 5, 0), "{}", r.stderr);
        assert!(json(&r)["source"]
            .as_str()
            .unwrap_or("")
            .starts_with("xlsx"));
        let r = d.run(&["import", "subjects", "subjects.xlsx", "--sheet", "nope"]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("Sheet1"), "{}", r.stderr);
        // issue 27: a sheet with more cells than the operator's bound is refused while it
        // is read, naming the bound, and nothing is written
        let before = d.run(&["log", "verify"]).stdout;
        let out = d
            .command(&["import", "subjects", "subjects.xlsx"])
            .env("JIANXIN_IMPORT_MAX_CELLS", "20")
            .output()
            .expect("run jianxin");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("JIANXIN_IMPORT_MAX_CELLS"), "{stderr}");
        assert_eq!(d.run(&["log", "verify"]).stdout, before);
        d.finish().await;
    }
);

cli_on_both!(
    an_import_killed_midway_leaves_the_store_as_before,
    |d: Deployment| async move {
        assert_eq!(d.run(&["import", "subjects", &sample(&d)]).code, 0);
        let before = ledger(&d);
        // a file large enough that the writing pass is under way when the process dies (in a
        // debug build, pass 1 validates 20k rows in under a second; pass 2 writes for ~10 s)
        let mut text = String::from(
            "统一社会信用代码,名称,类型,行业,所属区域,成立日期,登记状态,信用风险分类,监管标签\n",
        );
        for i in 0..20_000u32 {
            let code = uscc(&format!("91330106{:09}", i));
            text.push_str(&format!(
                "{code},测试企业{i},企业,C1311,330106,2019-01-01,存续,B,\n"
            ));
        }
        std::fs::write(d.path("big.csv"), text).expect("write");
        let mut killed_during_write = 0;
        for delay_ms in [1500u64, 2500, 4000] {
            let mut child = Command::new(jianxin_bin())
                .args(["import", "subjects", "big.csv"])
                .env("JIANXIN_DB", &d.db)
                .env("JIANXIN_KEY_FILE", d.path("jianxin.key"))
                .current_dir(d.dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let finished = child.try_wait().expect("wait").is_some();
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            let now = ledger(&d);
            if finished {
                // it completed before the kill: everything or nothing, never a part
                assert!(now.starts_with("ok 20005 events") || now == before, "{now}");
                break;
            }
            killed_during_write += 1;
            assert_eq!(
                now, before,
                "killed after {delay_ms} ms: the store must be exactly as before"
            );
            let r = d.run(&["subjects", "list", "--limit", "10000", "--format", "json"]);
            assert_eq!(json(&r)["items"].as_array().map(|a| a.len()), Some(5));
        }
        assert!(
            killed_during_write > 0,
            "the import finished before any kill: make the file larger"
        );
        d.finish().await;
    }
);
