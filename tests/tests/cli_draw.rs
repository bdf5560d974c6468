//! The random draw (双随机) through the real binary, on both backends: a task from its
//! file to the published bundle, a bundle that any changed byte breaks, the refusals of
//! the lifecycle (each exits 1 and records nothing), commit–reveal with a department
//! that never reveals, bad task files, and a pool that cannot be staffed.
//!
//! Every task here runs on the demo province (`demo seed`: the draw directories effective
//! 2023-01-01 and two demo tasks already drawn on drand quicknet round 123). Round 123 is
//! the only round whose signature ships with the project, so the clock is fixed around its
//! publication (2023-08-23T15:15:33Z): freezes before it, beacons after it. The tasks'
//! inspection dates differ from the demo's (2023-09-15, 2023-09-20), and the subjects the
//! demo drew for 330100-SCJG are excluded from every freeze here as "randomly inspected".

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::binary::{Deployment, Run};
use crate::cli_on_both;

const SCJG: &str = "330100-SCJG";
const WSJK: &str = "330100-WSJK";
/// The planner: `task create` runs as this user, every other step as `e2e-operator`.
const PLANNER: &str = "planner-1";
/// drand quicknet round 123, its publication and its signature (`data/randomness-vectors.json`).
const ROUND_TIME: &str = "2023-08-23T15:15:33Z";
const SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
/// The G1 generator: a valid point, and no round's signature.
const G1_GENERATOR: &str = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
/// Before round 123 is published.
const FREEZE_AT: &str = "2023-08-23T15:00:00Z";
/// After round 123 is published.
const BEACON_AT: &str = "2023-08-23T15:20:00Z";
const DRAW_AT: &str = "2023-08-23T15:21:00Z";
const EXPORT_AT: &str = "2023-08-24T02:00:00Z";
/// Every file of a bundle (docs/TASKS.md §4).
const BUNDLE_FILES: [&str; 16] = [
    "checkpoint.txt",
    "events.jsonl",
    "exclusions.csv",
    "inspectors.csv",
    "key.txt",
    "previous.csv",
    "proofs.json",
    "randomness.json",
    "recusals.csv",
    "relationships.csv",
    "result.txt",
    "rules.txt",
    "seed.txt",
    "subjects.csv",
    "task.json",
    "teams.csv",
];

fn parse(text: &str, r: &Run) -> Value {
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: exit {} / {} / {}", r.code, r.stdout, r.stderr))
}

/// `jianxin --format json <line>`, the line split at spaces (no argument here has one).
fn cli(d: &Deployment, line: &str) -> Run {
    let args: Vec<&str> = ["--format", "json"]
        .into_iter()
        .chain(line.split_whitespace())
        .collect();
    d.run(&args)
}

/// A command that must succeed: its JSON output.
fn ok(d: &Deployment, line: &str) -> Value {
    let r = cli(d, line);
    assert_eq!(r.code, 0, "{line}: {} {}", r.stdout, r.stderr);
    parse(&r.stdout, &r)
}

/// A command that must exit `code`: its JSON error.
fn fails(d: &Deployment, code: i32, line: &str) -> Value {
    let r = cli(d, line);
    assert_eq!(r.code, code, "{line}: {} {}", r.stdout, r.stderr);
    parse(&r.stderr, &r)
}

/// `log verify`: the count of events and the root, which any append changes.
fn ledger(d: &Deployment) -> String {
    let r = d.run(&["log", "verify"]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("ok "), "{}", r.stdout);
    r.stdout
}

fn events(d: &Deployment) -> u64 {
    ledger(d)
        .split(' ')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("ok N events")
}

/// A step the lifecycle refuses: exit 1, a message saying why, and nothing recorded.
fn refused(d: &Deployment, line: &str, why: &str) -> Value {
    let before = ledger(d);
    let e = fails(d, 1, line);
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "{line}: {e}, expected {why:?}");
    assert_eq!(ledger(d), before, "{line} was refused but changed the log");
    e
}

fn seeded(d: &Deployment) {
    let v = ok(d, "demo seed");
    assert!(v["events_appended"].as_u64().unwrap_or(0) > 0, "{v}");
}

/// A market-regulation task on SJ-002 (食品安全) for the whole of Hangzhou, in `month`
/// (`2023-10`), inspected on the 15th.
fn food_task(month: &str) -> Value {
    json!({
        "title": "食品经营许可事项双随机抽查（测试）",
        "departments": [SCJG],
        "items": ["SJ-002"],
        "scope": {"regions": ["330100"]},
        "window_from": format!("{month}-01"),
        "window_to": format!("{month}-28"),
        "inspection_date": format!("{month}-15"),
    })
}

/// A joint market-regulation + health task (部门联合).
fn joint_task() -> Value {
    json!({
        "title": "市场监管与卫生健康部门联合抽查（测试）",
        "departments": [SCJG, WSJK],
        "items": ["SJ-001", "WS-001"],
        "scope": {"regions": ["330100"]},
        "window_from": "2023-11-01",
        "window_to": "2023-11-30",
        "inspection_date": "2023-11-15",
    })
}

/// Creates a task as the planner; its id.
fn create(d: &Deployment, file: &Value) -> String {
    let name = format!("task-{}.json", events(d));
    std::fs::write(d.path(&name), file.to_string()).expect("write task file");
    let v = ok(
        d,
        &format!("--actor {PLANNER} --now 2023-08-22T00:00:00Z task create --file {name}"),
    );
    assert_eq!(v["status"], "open", "{v}");
    v["id"].as_str().expect("task id").to_owned()
}

fn freeze(d: &Deployment, id: &str) -> Value {
    ok(
        d,
        &format!("--now {FREEZE_AT} draw freeze {id} --round 123"),
    )
}

fn beacon_line(now: &str, id: &str, round: &str, signature: &str) -> String {
    format!("--now {now} draw beacon {id} --round {round} --signature {signature}")
}

fn beacon(d: &Deployment, id: &str) {
    let v = ok(d, &beacon_line(BEACON_AT, id, "123", SIGNATURE));
    assert_eq!(v["recorded"], "beacon", "{v}");
}

fn run_draw(d: &Deployment, id: &str) -> Value {
    ok(d, &format!("--now {DRAW_AT} draw run {id}"))
}

fn export(d: &Deployment, id: &str, out: &str) -> Value {
    ok(
        d,
        &format!("--now {EXPORT_AT} draw export {id} --out {out}"),
    )
}

fn recuse(d: &Deployment, id: &str, inspector: &str, uscc: &str) -> Value {
    ok(
        d,
        &format!(
            "--actor {inspector} --now 2023-08-24T01:00:00Z draw recuse {id} --subject {uscc} \
             --reason 与该企业负责人系近亲属"
        ),
    )
}

fn show(d: &Deployment, id: &str) -> Value {
    ok(d, &format!("task show {id}"))
}

fn task_list(d: &Deployment) -> Vec<Value> {
    ok(d, "task list")
        .as_array()
        .cloned()
        .expect("a list of tasks")
}

fn listed(d: &Deployment, id: &str) -> Value {
    task_list(d)
        .into_iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("task {id} is not listed"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Teams as (uscc, members), from a draw's output (`inspectors`) or its event (`members`).
fn teams(v: &Value, members: &str) -> Vec<(String, Vec<String>)> {
    v.as_array()
        .expect("teams")
        .iter()
        .map(|t| {
            let uscc = t["uscc"].as_str().expect("uscc").to_owned();
            (uscc, strings(&t[members]))
        })
        .collect()
}

fn drawn_teams(outcome: &Value) -> Vec<(String, Vec<String>)> {
    teams(&outcome["teams"], "inspectors")
}

/// An inspector's assignments as (task, uscc).
fn assignments(d: &Deployment, inspector: &str) -> Vec<(String, String)> {
    ok(d, &format!("assignments --inspector {inspector}"))
        .as_array()
        .expect("assignments")
        .iter()
        .map(|a| {
            let task = a["task_id"].as_str().expect("task_id").to_owned();
            (task, a["uscc"].as_str().expect("uscc").to_owned())
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The commitment of a hex secret (DRAW.md §3.2).
fn commitment_of(secret: &str) -> String {
    let bytes: Vec<u8> = (0..secret.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&secret[i..i + 2], 16).expect("hex"))
        .collect();
    let bytes: [u8; 32] = bytes.try_into().expect("32 bytes");
    hex(&jianxin_domain::draw::commitment_of(&bytes))
}

fn is_hex64(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn read(d: &Deployment, path: &str) -> String {
    std::fs::read_to_string(d.path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `draw verify` with no database and no key file: only the bundle (and `--key`).
fn verify_alone(d: &Deployment, args: &str) -> Run {
    cli(
        d,
        &format!("--db postgres://127.0.0.1:1/none --key-file /nonexistent draw verify {args}"),
    )
}

cli_on_both!(
    a_task_from_creation_to_a_verified_bundle,
    |d: Deployment| async move {
        seeded(&d);
        let demo = task_list(&d);
        assert_eq!(demo.len(), 2, "the demo's two drawn tasks");
        let id = create(&d, &food_task("2023-10"));
        let t = listed(&d, &id);
        assert_eq!(t["status"], "open", "{t}");
        assert_eq!(strings(&t["departments"]), [SCJG]);
        assert_eq!(t["planner"], PLANNER);

        // the freeze: the pool as of the Beijing date, round 123 fixed
        let frozen = freeze(&d, &id);
        assert_eq!(frozen["as_of"], "2023-08-23", "{frozen}");
        assert_eq!(frozen["round"], 123);
        assert_eq!(frozen["round_time"], ROUND_TIME);
        assert_eq!(frozen["reveal_deadline"], "2023-08-23T15:14:33Z");
        assert_eq!(frozen["inspectors"], 8, "SJ-D01..SJ-D08");
        assert!(is_hex64(&frozen["subjects_sha256"]), "{frozen}");
        let n = |k: &str| frozen[k].as_u64().expect(k);
        assert!(n("pool") > 0 && n("excluded") > 0, "{frozen}");
        let all = n("pool") + n("excluded") + n("out_of_scope");
        assert_eq!(all, 30, "the 30 demo draw subjects");
        assert_eq!(listed(&d, &id)["status"], "frozen");
        let state = show(&d, &id);
        assert_eq!(state["freeze"]["pool"], frozen["pool"]);
        assert_eq!(
            state["freeze"]["subjects_sha256"],
            frozen["subjects_sha256"]
        );
        let excluded = state["freeze"]["excluded"].as_array().expect("excluded");
        assert_eq!(excluded.len() as u64, n("excluded"));
        let reason_of = |uscc: &str| {
            excluded
                .iter()
                .find(|e| e["uscc"] == uscc)
                .and_then(|e| e["reason"].as_str())
                .unwrap_or_else(|| panic!("{uscc} is not excluded: {state}"))
                .to_owned()
        };
        // every subject the demo drew for 330100-SCJG is excluded, naming that draw
        for t in &demo {
            let task = t["id"].as_str().expect("id");
            let date = t["inspection_date"].as_str().expect("date");
            let demo_draw = show(&d, task);
            assert_eq!(demo_draw["status"], "drawn");
            for (uscc, _) in drawn_teams(&demo_draw["draw"]) {
                let reason = reason_of(&uscc);
                let expected = format!("randomly inspected by {SCJG} on {date} (task {task})");
                assert!(reason.starts_with(&expected), "{uscc}: {reason}");
            }
        }
        assert!(
            excluded
                .iter()
                .filter_map(|e| e["reason"].as_str())
                .any(|r| { r.starts_with("status ") && r.contains("is not eligible") }),
            "{state}"
        );

        // the beacon, then the draw
        beacon(&d, &id);
        assert_eq!(show(&d, &id)["beacon_recorded"], true);
        let drawn = run_draw(&d, &id);
        assert_eq!(drawn["status"], "drawn", "{drawn}");
        assert_eq!(drawn["attempt"], 1);
        assert!(is_hex64(&drawn["seed"]), "{drawn}");
        let first = drawn_teams(&drawn);
        assert!(!first.is_empty(), "{drawn}");
        let excluded_usccs: BTreeSet<&str> =
            excluded.iter().filter_map(|e| e["uscc"].as_str()).collect();
        for (uscc, members) in &first {
            assert!(members.len() >= 2, "{uscc}: {members:?}");
            let distinct: BTreeSet<&String> = members.iter().collect();
            assert_eq!(distinct.len(), members.len(), "{uscc}: {members:?}");
            assert!(members.iter().all(|m| m.starts_with("SJ-D")), "{members:?}");
            assert!(!excluded_usccs.contains(uscc.as_str()), "{uscc} excluded");
        }
        let t = listed(&d, &id);
        assert_eq!(t["status"], "drawn", "{t}");
        assert_eq!(t["attempts"], 1);
        assert_eq!(t["drawn_subjects"], first.len());
        assert_eq!(drawn_teams(&show(&d, &id)["draw"]), first);

        // the first member of the first team sees the assignment, and recuses
        let (uscc, members) = first[0].clone();
        let recused = members[0].clone();
        let mine = (id.clone(), uscc.clone());
        assert!(assignments(&d, &recused).contains(&mine), "{recused}");
        let out = recuse(&d, &id, &recused, &uscc);
        assert_eq!(out["uscc"], uscc.as_str(), "{out}");
        assert_eq!(out["recused"], recused.as_str());
        let replacement = out["replacement"].as_str().expect("a replacement named");
        assert!(replacement.starts_with("SJ-D"), "{replacement}");
        assert!(!members.iter().any(|m| m == replacement), "{out}");
        assert!(!assignments(&d, &recused).contains(&mine));
        assert!(assignments(&d, replacement).contains(&mine));
        assert_eq!(listed(&d, &id)["recusals"], 1);
        // the replacement takes the recused inspector's place in the team (DRAW.md §9)
        let mut current = first.clone();
        current[0].1[0] = replacement.to_owned();
        assert_eq!(drawn_teams(&show(&d, &id)["draw"]), current);

        // the bundle, checked without any database
        let exported = export(&d, &id, "bundle");
        assert_eq!(strings(&exported["files"]), BUNDLE_FILES, "{exported}");
        let r = d.run(&["draw", "verify", "bundle"]);
        assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
        assert_eq!(r.stdout.trim(), "ok");
        let r = verify_alone(&d, "bundle");
        assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
        let report = parse(&r.stdout, &r);
        assert_eq!(report["result"], "ok");
        assert_eq!(report["task_id"], id.as_str());
        assert_eq!(report["attempt"], 1);
        assert_eq!(report["seed"], drawn["seed"]);
        assert_eq!(report["subjects_drawn"], first.len());
        assert_eq!(report["teams"], first.len());
        assert_eq!(report["recusals"], 1);
        let team = format!("\n{uscc},{}\n", current[0].1.join(";"));
        assert!(read(&d, "bundle/teams.csv").contains(&team), "{team}");
        let recusals = read(&d, "bundle/recusals.csv");
        assert!(
            recusals.contains(&format!("\n{uscc},1,{recused},{replacement},")),
            "{recusals}"
        );
        // pinned to the deployment's key; another log's key is refused
        let vkey = d.run(&["log", "key"]);
        assert_eq!(vkey.code, 0, "{}", vkey.stderr);
        std::fs::write(d.path("log.vkey"), &vkey.stdout).expect("write");
        let r = verify_alone(&d, "bundle --key log.vkey");
        assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
        let other = d.run(&[
            "keygen",
            "--out",
            "other.key",
            "--name",
            "other.example/log",
        ]);
        assert_eq!(other.code, 0, "{}", other.stderr);
        let other = d.run(&["--key-file", "other.key", "log", "key"]);
        std::fs::write(d.path("other.vkey"), &other.stdout).expect("write");
        let r = verify_alone(&d, "bundle --key other.vkey");
        assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
        // an export never overwrites
        let e = fails(&d, 1, &format!("draw export {id} --out bundle"));
        assert_eq!(e["code"], "directory_not_empty", "{e}");
        ledger(&d);
        d.finish().await;
    }
);

/// The same bytes with the one at `at` changed (digits and ASCII letters stay printable).
fn with_byte_changed(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] = match out[at] {
        b @ b'0'..=b'8' => b + 1,
        b'9' => b'0',
        b'x' => b'y',
        b if b.is_ascii_alphabetic() => b'x',
        b => b ^ 1,
    };
    out
}

cli_on_both!(
    any_changed_byte_of_a_bundle_exits_3_naming_the_file,
    |d: Deployment| async move {
        seeded(&d);
        let id = create(&d, &food_task("2023-10"));
        freeze(&d, &id);
        beacon(&d, &id);
        let (uscc, members) = drawn_teams(&run_draw(&d, &id)).remove(0);
        recuse(&d, &id, &members[0], &uscc);
        export(&d, &id, "bundle");
        std::fs::create_dir(d.path("copy")).expect("copy dir");
        let (bundle, copy) = (d.path("bundle"), d.path("copy"));
        for name in BUNDLE_FILES {
            std::fs::copy(bundle.join(name), copy.join(name)).expect("copy");
        }
        assert_eq!(d.run(&["draw", "verify", "copy"]).code, 0);
        let broken = |what: &str, file: &str| {
            let e = fails(&d, 3, "draw verify copy");
            assert_eq!(e["code"], "integrity", "{what}: {e}");
            assert_eq!(e["location"], file, "{what}: {e}");
            let message = e["message"].as_str().unwrap_or_default();
            assert!(message.starts_with(&format!("{file}: ")), "{what}: {e}");
            message.to_owned()
        };
        for name in BUNDLE_FILES {
            let original = std::fs::read(bundle.join(name)).expect("read");
            assert!(!original.is_empty(), "{name}");
            // the first and last bytes and a dozen in between
            let stride = (original.len() / 12).max(1);
            let positions: BTreeSet<usize> = (0..original.len())
                .step_by(stride)
                .chain([original.len() - 1])
                .collect();
            for at in positions {
                std::fs::write(copy.join(name), with_byte_changed(&original, at)).expect("write");
                broken(&format!("{name} byte {at}"), name);
            }
            std::fs::remove_file(copy.join(name)).expect("delete");
            let message = broken(&format!("{name} deleted"), name);
            assert!(message.contains("missing"), "{message}");
            std::fs::write(copy.join(name), &original).expect("restore");
        }
        // a file that is no part of a bundle
        std::fs::write(copy.join("extra.txt"), "x\n").expect("write");
        broken("an extra file", "extra.txt");
        std::fs::remove_file(copy.join("extra.txt")).expect("delete");
        assert_eq!(d.run(&["draw", "verify", "copy"]).code, 0);
        d.finish().await;
    }
);

cli_on_both!(
    the_lifecycle_refuses_out_of_order_and_forged_steps,
    |d: Deployment| async move {
        seeded(&d);
        let id = create(&d, &food_task("2023-10"));
        let id = id.as_str();
        let run_at = |now: &str| format!("--now {now} draw run {id}");
        refused(&d, &run_at(DRAW_AT), "not been frozen");
        refused(
            &d,
            &beacon_line(BEACON_AT, id, "123", SIGNATURE),
            "not been frozen",
        );
        // a freeze naming a round already published, or published at that very moment
        for now in ["2023-08-23T15:16:00Z", ROUND_TIME, "2023-09-01T00:00:00Z"] {
            refused(
                &d,
                &format!("--now {now} draw freeze {id} --round 123"),
                "not after the freeze",
            );
        }
        refused(
            &d,
            &format!(
                "--now {FREEZE_AT} draw freeze {id} --round 123 \
                 --reveal-deadline 2023-08-23T15:20:00Z"
            ),
            "reveal deadline",
        );
        assert_eq!(listed(&d, id)["status"], "open");
        freeze(&d, id);
        refused(
            &d,
            &format!("--now {FREEZE_AT} draw freeze {id} --round 123"),
            "",
        );
        // a commitment after the freeze
        refused(
            &d,
            &format!(
                "--now 2023-08-23T15:01:00Z draw commit {id} --department {SCJG} \
                 --commitment {}",
                commitment_of(&"07".repeat(32))
            ),
            "before the freeze only",
        );
        // a beacon before its round's time, of another round, or with a forged signature
        for (now, round, signature, why) in [
            (
                "2023-08-23T15:10:00Z",
                "123",
                SIGNATURE,
                "is published at 2023-08-23 15:15:33 UTC",
            ),
            ("2023-08-23T15:15:32Z", "123", SIGNATURE, "is published at"),
            (BEACON_AT, "124", SIGNATURE, "not 124"),
            (BEACON_AT, "123", G1_GENERATOR, "does not verify"),
            (BEACON_AT, "123", &SIGNATURE[..94], "48 bytes"),
        ] {
            refused(&d, &beacon_line(now, id, round, signature), why);
        }
        let flipped = String::from_utf8(with_byte_changed(SIGNATURE.as_bytes(), 10));
        let flipped = flipped.expect("hex");
        refused(&d, &beacon_line(BEACON_AT, id, "123", &flipped), "");
        let e = refused(&d, &beacon_line(BEACON_AT, id, "123", "zz"), "hex");
        assert_eq!(e["location"], "signature", "{e}");
        refused(&d, &run_at(DRAW_AT), "");
        beacon(&d, id);
        refused(
            &d,
            &beacon_line(DRAW_AT, id, "123", SIGNATURE),
            "recorded already",
        );
        let drawn = run_draw(&d, id);
        assert_eq!(drawn["status"], "drawn", "{drawn}");
        let first = drawn_teams(&drawn);

        // no silent redraw
        refused(
            &d,
            &run_at("2023-08-23T15:30:00Z"),
            "a new draw needs an approved redraw",
        );
        // the planner cannot approve a redraw of their own task; someone else can
        let redraw = "--now 2023-08-25T00:00:00Z draw redraw";
        refused(
            &d,
            &format!("--actor {PLANNER} {redraw} {id} --reason 结果不理想"),
            &format!("the planner who created the task ({PLANNER}) cannot approve its redraw"),
        );
        let before = events(&d);
        let approved = ok(&d, &format!("{redraw} {id} --reason 名录库数据错误"));
        assert_eq!(approved["recorded"], "redraw approval", "{approved}");
        assert_eq!(events(&d), before + 1);
        let t = listed(&d, id);
        assert_eq!(t["status"], "open", "a redraw needs a new freeze: {t}");
        assert_eq!(t["attempts"], 1, "{t}");
        assert_eq!(show(&d, id)["attempts"], 1);
        refused(&d, &run_at("2023-08-25T00:01:00Z"), "not been frozen");
        // the first draw stays in the log, with the approval and its approver
        let log = ok(&d, "log show --limit 1000");
        let of_type = |t: &str| {
            log.as_array()
                .expect("envelopes")
                .iter()
                .find(|e| e["aggregate_id"] == id && e["payload"]["event_type"] == t)
                .unwrap_or_else(|| panic!("no {t} in the log of {id}"))
        };
        let drawn_event = &of_type("SubjectsDrawn")["payload"]["data"];
        assert_eq!(drawn_event["seed"], drawn["seed"]);
        assert_eq!(teams(&drawn_event["teams"], "members"), first);
        let approval = &of_type("RedrawApproved")["payload"];
        assert_eq!(approval["actor"]["user"], "e2e-operator");
        assert_eq!(approval["data"]["reason"], "名录库数据错误");
        assert_eq!(approval["data"]["attempt"], 1);
        // a draw set aside is nobody's assignment any more
        let (uscc, members) = &first[0];
        let mine = (id.to_owned(), uscc.clone());
        assert!(!assignments(&d, &members[0]).contains(&mine));

        // commit–reveal: a second commitment, a reveal before the freeze, one that does
        // not match, one of a department that never committed, one after the deadline
        let joint = create(&d, &joint_task());
        let secret = "a".repeat(64);
        let commit = format!("--now 2023-08-22T01:00:00Z draw commit {joint} --department");
        ok(&d, &format!("{commit} {SCJG} --secret {secret}"));
        refused(
            &d,
            &format!("{commit} {SCJG} --secret {}", "b".repeat(64)),
            "committed already",
        );
        let reveal = |now: &str, dept: &str, secret: &str| {
            format!("--now {now} draw reveal {joint} --department {dept} --secret {secret}")
        };
        refused(
            &d,
            &reveal("2023-08-22T03:00:00Z", SCJG, &secret),
            "not been frozen",
        );
        freeze(&d, &joint);
        let at = "2023-08-23T15:05:00Z";
        refused(
            &d,
            &reveal(at, SCJG, &"b".repeat(64)),
            "does not match its commitment",
        );
        refused(&d, &reveal(at, WSJK, &secret), "no commitment");
        let e = refused(&d, &reveal(at, SCJG, "abc"), "");
        assert_eq!(e["location"], "secret", "{e}");
        refused(
            &d,
            &reveal("2023-08-23T15:14:34Z", SCJG, &secret),
            "reveals closed",
        );
        let state = show(&d, &joint);
        assert_eq!(state["commitments"][0]["revealed"], false, "{state}");
        d.finish().await;
    }
);

cli_on_both!(
    a_joint_task_draws_without_the_reveal_of_one_department,
    |d: Deployment| async move {
        seeded(&d);
        let id = create(&d, &joint_task());
        let id = id.as_str();
        let secret_scjg = "5c".repeat(32);
        let secret_wsjk = "3a".repeat(32);
        for (dept, secret) in [(SCJG, &secret_scjg), (WSJK, &secret_wsjk)] {
            let v = ok(
                &d,
                &format!(
                    "--now 2023-08-22T01:00:00Z draw commit {id} --department {dept} \
                     --secret {secret}"
                ),
            );
            assert_eq!(v["recorded"], "commitment", "{v}");
        }
        let frozen = freeze(&d, id);
        assert_eq!(frozen["inspectors"], 12, "8 SJ and 4 WS: {frozen}");
        // only market regulation reveals; health never does
        let v = ok(
            &d,
            &format!(
                "--now 2023-08-23T15:05:00Z draw reveal {id} --department {SCJG} \
                 --secret {secret_scjg}"
            ),
        );
        assert_eq!(v["recorded"], "reveal", "{v}");
        beacon(&d, id);
        let drawn = run_draw(&d, id);
        assert_eq!(drawn["status"], "drawn", "{drawn}");
        let all = drawn_teams(&drawn);
        assert!(!all.is_empty(), "{drawn}");
        for (uscc, members) in &all {
            // one inspector of each department, in department order
            assert_eq!(members.len(), 2, "{uscc}: {members:?}");
            assert!(members[0].starts_with("SJ-"), "{uscc}: {members:?}");
            assert!(members[1].starts_with("WS-"), "{uscc}: {members:?}");
        }
        assert_eq!(strings(&listed(&d, id)["departments"]), [SCJG, WSJK]);
        let revealed: Vec<Value> = show(&d, id)["commitments"]
            .as_array()
            .expect("commitments")
            .iter()
            .map(|c| json!([c["department"], c["revealed"]]))
            .collect();
        assert_eq!(revealed, [json!([SCJG, true]), json!([WSJK, false])]);

        export(&d, id, "bundle");
        let randomness: Value =
            serde_json::from_str(&read(&d, "bundle/randomness.json")).expect("randomness.json");
        assert_eq!(randomness["round"], 123, "{randomness}");
        assert_eq!(randomness["signature"], SIGNATURE);
        assert_eq!(
            randomness["commitments"],
            json!([
                {
                    "department": SCJG,
                    "commitment": commitment_of(&secret_scjg),
                    "secret": secret_scjg,
                    "status": "valid",
                },
                {
                    "department": WSJK,
                    "commitment": commitment_of(&secret_wsjk),
                    "secret": null,
                    "status": "missing",
                },
            ]),
            "{randomness}"
        );
        // the seed text carries the valid secret and "-" for the missing one
        let seed = read(&d, "bundle/seed.txt");
        let scjg = format!(
            "\nreveal={SCJG};{};{secret_scjg}\n",
            commitment_of(&secret_scjg)
        );
        let wsjk = format!("\nreveal={WSJK};{};-\n", commitment_of(&secret_wsjk));
        assert!(seed.contains(&scjg) && seed.ends_with(&wsjk), "{seed}");
        assert!(
            !seed.contains(&secret_wsjk),
            "an unrevealed secret is never published"
        );
        let r = d.run(&["draw", "verify", "bundle"]);
        assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
        assert_eq!(r.stdout.trim(), "ok");
        d.finish().await;
    }
);

cli_on_both!(
    bad_task_files_are_refused_naming_the_field,
    |d: Deployment| async move {
        seeded(&d);
        let good = food_task("2023-10");
        let with = |key: &str, value: Value| {
            let mut v = good.clone();
            v[key] = value;
            v.to_string()
        };
        // (what, the file, the error's location when it has one, its message)
        let cases: [(&str, String, Option<&str>, &str); 12] = [
            (
                "unknown field",
                with("colour", json!("red")),
                Some("colour"),
                "unknown field `colour`",
            ),
            (
                "unknown field of the scope",
                with("scope", json!({"regions": ["330100"], "colour": []})),
                Some("scope.colour"),
                "unknown field `colour`",
            ),
            (
                "unknown item",
                with("items", json!(["SJ-002", "SJ-999"])),
                Some("items[1]"),
                "item SJ-999 is not in the item list",
            ),
            (
                "item of a department not in the task",
                with("items", json!(["SJ-002", "WS-001"])),
                Some("items[1]"),
                "item WS-001 belongs to department 330100-WSJK",
            ),
            (
                "malformed region",
                with("scope", json!({"regions": ["33010X"]})),
                Some("scope.regions[0]"),
                "",
            ),
            (
                "team below the rules' minimum",
                with("team_size", json!(1)),
                Some("team_size"),
                "below the rules' minimum of 2",
            ),
            (
                "window reversed",
                with("window_from", json!("2023-11-01")),
                None,
                "the inspection window ends before it starts",
            ),
            (
                "inspection date outside the window",
                with("inspection_date", json!("2023-12-01")),
                None,
                "the inspection date lies outside the inspection window",
            ),
            (
                "not a date",
                with("window_to", json!("2023-13-01")),
                Some("window_to"),
                "",
            ),
            (
                "malformed JSON: a missing comma",
                "{\"title\": \"t\",\n\"departments\": [\"330100-SCJG\"]\n\"items\": []}".into(),
                None,
                "at line 3 column 1",
            ),
            (
                "malformed JSON: cut short",
                "{\"title\": \"t\", \"departments\": [\"330100-SCJG\"".into(),
                None,
                "EOF while parsing",
            ),
            (
                "malformed JSON: not JSON",
                "= t".into(),
                Some("line 1, column 1"),
                "expected value",
            ),
        ];
        let tasks_before = ok(&d, "task list");
        let before = ledger(&d);
        for (what, text, location, message) in &cases {
            std::fs::write(d.path("bad.json"), text).expect("write");
            let e = fails(&d, 1, "task create --file bad.json");
            if let Some(location) = location {
                assert_eq!(e["location"], *location, "{what}: {e}");
            }
            let got = e["message"].as_str().unwrap_or_default();
            assert!(got.contains(message), "{what}: {e}");
            assert_eq!(ledger(&d), before, "{what}");
        }
        let e = fails(&d, 1, "task create --file missing.json");
        assert_eq!(e["code"], "unreadable_file", "{e}");
        assert_eq!(ok(&d, "task list"), tasks_before);
        // and the good file is accepted
        std::fs::write(d.path("good.json"), good.to_string()).expect("write");
        ok(&d, "task create --file good.json");
        assert_eq!(task_list(&d).len(), 3);
        d.finish().await;
    }
);

cli_on_both!(
    a_pool_that_cannot_be_staffed_records_a_failed_draw,
    |d: Deployment| async move {
        seeded(&d);
        // teams of 9 with 8 market-regulation inspectors; and teams of 2 that must hold
        // 食品安全 (SJ-002) and 产品质量 (SJ-003), which only SJ-D02 does
        let mut nine = food_task("2023-12");
        nine["team_size"] = json!(9);
        let mut qualified = food_task("2024-01");
        qualified["items"] = json!(["SJ-002", "SJ-003"]);
        for (file, constraint, needed) in [
            (nine, "department", "fewer than 9 inspectors"),
            (qualified, "qualification", "fewer than 2 inspectors"),
        ] {
            let id = create(&d, &file);
            let id = id.as_str();
            freeze(&d, id);
            beacon(&d, id);
            let before = events(&d);
            // recorded as failed, and an error all the same
            let r = cli(&d, &format!("--now {DRAW_AT} draw run {id}"));
            assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
            let out = parse(&r.stdout, &r);
            assert_eq!(out["status"], "draw_failed", "{out}");
            assert_eq!(out["attempt"], 1);
            assert_eq!(out["seed"], Value::Null);
            assert_eq!(out["teams"], json!([]));
            let e = parse(&r.stderr, &r);
            assert_eq!(e["code"], "draw_failed", "{e}");
            let named = format!("{needed} are left after constraint '{constraint}'");
            let message = e["message"].as_str().unwrap_or_default();
            assert!(message.contains(&named), "{e}");
            let unstaffable = strings(&out["unstaffable"]);
            assert!(!unstaffable.is_empty(), "{out}");
            for line in &unstaffable {
                assert!(
                    line.starts_with("subject ") && line.contains(&named),
                    "{line}"
                );
            }
            assert_eq!(events(&d), before + 1, "the failure is recorded");
            let t = listed(&d, id);
            assert_eq!(t["status"], "draw_failed", "{t}");
            assert_eq!(t["attempts"], 1);
            assert_eq!(t["drawn_subjects"], Value::Null);
            let failed = ok(&d, "task list --status draw_failed");
            let failed = failed.as_array().expect("tasks");
            assert!(failed.iter().any(|t| t["id"] == id), "{failed:?}");
            let state = show(&d, id);
            assert_eq!(state["status"], "draw_failed");
            assert_eq!(strings(&state["draw"]["unstaffable"]), unstaffable);
            // no other seed is tried, and a failed draw publishes no bundle
            refused(&d, &format!("--now 2023-08-23T15:30:00Z draw run {id}"), "");
            refused(
                &d,
                &format!("--now {EXPORT_AT} draw export {id} --out failed"),
                "not drawn",
            );
        }
        d.finish().await;
    }
);

/// The lines of a `subjects.csv` by USCC: (risk class, the whole line).
fn pool_classes(text: &str) -> std::collections::BTreeMap<String, (String, String)> {
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let class = fields.get(7).copied().unwrap_or_default().to_owned();
            (fields[0].to_owned(), (class, line.to_owned()))
        })
        .collect()
}

cli_on_both!(
    a_draw_takes_its_risk_classes_from_the_credit_evaluation,
    |d: Deployment| async move {
        seeded(&d);
        // a draw on the directory's classes: its pool, and who it drew
        let plain = create(&d, &food_task("2023-10"));
        let frozen = freeze(&d, &plain);
        assert!(frozen.get("credit_basis").is_none(), "{frozen}");
        assert!(show(&d, &plain)["freeze"]["credit_basis"].is_null());
        beacon(&d, &plain);
        let drawn: BTreeSet<String> = drawn_teams(&run_draw(&d, &plain))
            .into_iter()
            .map(|(uscc, _)| uscc)
            .collect();
        export(&d, &plain, "plain");
        let before = pool_classes(&read(&d, "plain/subjects.csv"));
        assert!(!read(&d, "plain/rules.txt").contains("risk_class_source"));
        // two subjects of that pool, not drawn (so not excluded next time), below C, of
        // credit class A (the demo gives some subjects credit facts)
        let evaluated = |uscc: &str| -> String {
            let v = ok(
                &d,
                &format!(
                    "--now {EXPORT_AT} credit evaluate --subject {uscc} --date 2023-08-23 \
                     --known-at {FREEZE_AT}"
                ),
            );
            v["class"]
                .as_str()
                .or(v["answer"]["class"].as_str())
                .unwrap_or_else(|| panic!("a class: {v}"))
                .to_owned()
        };
        let low: Vec<&String> = before
            .iter()
            .filter(|(uscc, (class, _))| !drawn.contains(*uscc) && (class == "A" || class == "B"))
            .map(|(uscc, _)| uscc)
            .filter(|uscc| evaluated(uscc) == "A")
            .collect();
        assert!(
            low.len() >= 2,
            "two low-risk subjects left undrawn: {before:?}"
        );
        let (serious, abnormal) = (low[0].clone(), low[1].clone());
        // their credit facts, recorded the day before the next freeze
        for step in [
            json!({"action": "enter", "subject": serious, "list": "serious",
                   "reason": "拒不履行行政处罚决定", "legal_basis": "严重违法失信名单管理办法",
                   "entered_on": "2023-01-01"}),
            json!({"action": "enter", "subject": abnormal, "list": "abnormal",
                   "reason": "通过登记的住所无法联系", "legal_basis": "经营异常名录管理办法",
                   "entered_on": "2023-06-01"}),
        ] {
            let name = format!("step-{}.json", events(&d));
            std::fs::write(d.path(&name), step.to_string()).expect("write step");
            ok(
                &d,
                &format!("--now 2023-08-22T01:00:00Z credit act --file {name}"),
            );
        }
        // rules that take the stricter of the directory's class and the credit class;
        // an unknown source is refused by its path and records nothing
        let mut rules: Value =
            serde_json::from_str(&d.run(&["rules", "defaults"]).stdout).expect("defaults");
        rules["risk_class_source"] = json!("credit_class");
        std::fs::write(d.path("bad-source.json"), rules.to_string()).expect("write");
        let unchanged = ledger(&d);
        let e = fails(
            &d,
            1,
            "rules publish --file bad-source.json --reason 信用分类",
        );
        assert!(e.to_string().contains("risk_class_source"), "{e}");
        assert_eq!(ledger(&d), unchanged, "a refused version records nothing");
        rules["risk_class_source"] = json!("stricter");
        std::fs::write(d.path("stricter.json"), rules.to_string()).expect("write");
        ok(&d, "rules publish --file stricter.json --reason 信用分类");

        let id = create(&d, &food_task("2023-12"));
        let frozen = freeze(&d, &id);
        let basis = &frozen["credit_basis"];
        assert_eq!(basis["rule"], "credit-class-v1", "{frozen}");
        assert_eq!(basis["known_at"], FREEZE_AT, "{frozen}");
        // the two above, and any demo subject with credit facts that is in this pool
        let reclassified = basis["reclassified"].as_u64().unwrap_or(0);
        assert!(
            (2..=frozen["pool"].as_u64().unwrap_or(0)).contains(&reclassified),
            "{frozen}"
        );
        assert_eq!(show(&d, &id)["freeze"]["credit_basis"], *basis);
        beacon(&d, &id);
        run_draw(&d, &id);
        export(&d, &id, "credit");
        let after = pool_classes(&read(&d, "credit/subjects.csv"));
        assert_eq!(after[&serious].0, "D", "on the serious list: {after:?}");
        assert_eq!(after[&abnormal].0, "C", "on the abnormal list: {after:?}");
        // every pool subject: the stricter of its directory class and its public credit
        // evaluation on the freeze date as known at the freeze (demo subjects with credit
        // facts included); nothing else of its line changes
        for (uscc, (class, line)) in &after {
            let credit = evaluated(uscc);
            match before.get(uscc) {
                Some((directory, old)) => {
                    let expected = directory.clone().max(credit);
                    assert_eq!(*class, expected, "{uscc}: {line}");
                    let old = old.replacen(&format!(",{directory},"), &format!(",{expected},"), 1);
                    assert_eq!(*line, old, "{uscc}");
                }
                None => assert!(*class >= credit, "{uscc}: {line}, credit class {credit}"),
            }
        }
        assert!(read(&d, "credit/rules.txt").ends_with("\nrisk_class_source=stricter\n"));
        // the published pool, classes included, is what anyone verifies
        let r = verify_alone(&d, "credit");
        assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
        assert_eq!(parse(&r.stdout, &r)["result"], "ok");
    }
);
