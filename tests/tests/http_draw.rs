//! Inspection tasks and the draw over HTTP (docs/TASKS.md §1): a planner runs a task from
//! its file to the draw on drand quicknet round 123 (the one round whose signature ships
//! with the project), the public downloads the bundle as a zip with no token and
//! `jianxin draw verify` accepts it, the drawn inspector sees the assignment and recuses,
//! a supervisor approves a redraw. The clock moves as an office's would: the freeze
//! before the round's publication (2023-08-23T15:15:33Z), the beacon after it.
//!
//! [`MatrixTasks`] gives the access matrix of `http.rs` a task at the step each route
//! needs, so that an admitted role gets a 2xx there too.

use std::io::Read;
use std::process::Command;

use axum::http::Method;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use jianxin_api::import::{import_file, ImportOptions};
use jianxin_api::{demo, ops, tasks};
use jianxin_domain::directory::Rules;
use jianxin_domain::draw::beacon::commitment_of;
use jianxin_domain::draw::bundle::BUNDLE_FILES;
use jianxin_domain::event_log::{Actor, Role};
use jianxin_domain::reference_data::ReferenceKind;
use jianxin_projections::FixedClock;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::binary::jianxin_bin;
use crate::helpers::{test_now, TestApp, TestResponse};
use crate::http_directory::post_json;
use crate::on_both;

/// The drand quicknet round of the draws.
pub const ROUND: u64 = 123;
/// Its BLS signature (`data/randomness-vectors.json`).
pub const SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
/// The department of the task file.
const DEPARTMENT: &str = "330100-SCJG";
/// A department's secret in the commit–reveal tests.
const SECRET: [u8; 32] = [7; 32];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A time of the draw's day.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// A task file that draws from the demo directories (docs/TASKS.md §2).
pub fn task_file() -> Value {
    json!({
        "title": "t",
        "departments": [DEPARTMENT],
        "items": ["SJ-002"],
        "scope": {"regions": ["330100"]},
        "window_from": "2023-09-01",
        "window_to": "2023-09-30",
        "inspection_date": "2023-09-15",
    })
}

/// What a drawable task needs, in force from 2023-01-01, recorded at the app's clock:
/// the calendar, the divisions, the default rules, the sample items (SJ-002 食品安全)
/// and the demo's draw directories (`api/demo/draw-*.csv`).
pub async fn seed_directories(app: &TestApp) {
    let seeder = Actor::new("draw-test-seed", Role::Admin);
    let (log, clock) = (&app.state.log, app.state.clock.as_ref());
    for (kind, text) in [
        (ReferenceKind::Calendar, demo::CALENDAR_CSV),
        (ReferenceKind::Divisions, demo::DIVISIONS_CSV),
    ] {
        ops::load_reference(log, clock, &seeder, kind, text, "test")
            .await
            .expect("load reference data");
    }
    ops::publish_rules(log, clock, &seeder, Rules::default(), "test: default rules")
        .await
        .expect("publish the rules");
    let dir = tempfile::tempdir().expect("temp dir");
    let items = demo::SAMPLES
        .iter()
        .filter(|(_, name, _)| *name == "items.csv");
    for (kind, name, text) in items.chain(demo::DRAW_SAMPLES.iter()) {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write the sample");
        let options = ImportOptions {
            kind: *kind,
            encoding: None,
            sheet: None,
            dry_run: false,
            effective: NaiveDate::from_ymd_opt(2023, 1, 1),
            progress: false,
        };
        let imported = import_file(log, clock, &seeder, &path, &options)
            .await
            .expect("import the sample");
        assert!(imported.report.is_clean(), "{name}");
    }
}

/// A token for `user` as `role`, valid for 30 days from the app's clock.
pub async fn token_for(app: &TestApp, user: &str, role: Role) -> String {
    let issuer = Actor::new("test-setup", Role::Admin);
    ops::issue_token(&app.state, &issuer, user, role, vec![], Duration::days(30))
        .await
        .expect("issue a token")
        .token
}

/// How far a fixture task has gone.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Created.
    Open,
    /// Committed, then frozen a minute before the app's clock on the default round, so
    /// that reveals are open at the app's clock.
    FrozenForReveals,
    /// Frozen on round 123 (in 2023).
    Frozen,
    /// And the beacon recorded.
    Beaconed,
    /// And drawn.
    Drawn,
}

/// A task at `step`, made through the operations on a clock of its own (the app's clock
/// does not move). Its planner is `fixture-planner`.
async fn task_at(app: &TestApp, step: Step) -> tasks::DrawOutcome {
    let log = &app.state.log;
    let planner = Actor::new("fixture-planner", Role::Planner);
    let clock = FixedClock::at(at("2023-08-20T01:00:00Z"));
    if let Step::FrozenForReveals = step {
        clock.set(test_now() - Duration::hours(1));
    }
    let created = tasks::create(log, &clock, &planner, &task_file().to_string())
        .await
        .expect("create");
    let id = created.id;
    let outcome = tasks::last_outcome(log, id).await.expect("outcome");
    if let Step::Open = step {
        return outcome;
    }
    if let Step::FrozenForReveals = step {
        let secret = hex(&SECRET);
        let input = tasks::CommitmentInput::Secret(&secret);
        tasks::commit(log, &clock, &planner, id, DEPARTMENT, input)
            .await
            .expect("commit");
        clock.set(test_now() - Duration::minutes(1));
        tasks::freeze(log, &clock, &planner, id, None, None)
            .await
            .expect("freeze");
        return outcome;
    }
    clock.set(at("2023-08-23T15:10:00Z"));
    tasks::freeze(log, &clock, &planner, id, Some(ROUND), None)
        .await
        .expect("freeze");
    if let Step::Frozen = step {
        return outcome;
    }
    clock.set(at("2023-08-23T15:16:00Z"));
    tasks::beacon(log, &clock, &planner, id, ROUND, SIGNATURE)
        .await
        .expect("beacon");
    if let Step::Beaconed = step {
        return outcome;
    }
    clock.set(at("2023-08-23T15:17:00Z"));
    let drawn = tasks::run(log, &clock, &planner, id).await.expect("draw");
    assert_eq!(drawn.status, "drawn", "{:?}", drawn.unstaffable);
    drawn
}

/// Tasks for the access matrix: one drawn task whose first team's first inspector holds
/// the matrix's inspector token, and a fresh task per call for the routes that change one.
pub struct MatrixTasks {
    drawn: Uuid,
    uscc: String,
    /// The inspector on the drawn task's first team.
    pub inspector: String,
}

impl MatrixTasks {
    /// Seed the directories and draw one task.
    pub async fn prepare(app: &TestApp) -> MatrixTasks {
        seed_directories(app).await;
        let drawn = task_at(app, Step::Drawn).await;
        // an inspector on two teams: the result routes record on the last of their
        // subjects, the recusal leaves the first (a recorded result would refuse it)
        let teams_of = |i: &String| {
            drawn
                .teams
                .iter()
                .filter(|t| t.inspectors.contains(i))
                .count()
        };
        let inspector = drawn
            .teams
            .iter()
            .flat_map(|t| t.inspectors.iter())
            .find(|i| teams_of(i) >= 2)
            .expect("an inspector on two teams")
            .clone();
        let team = drawn
            .teams
            .iter()
            .find(|t| t.inspectors.contains(&inspector))
            .expect("a team");
        MatrixTasks {
            drawn: drawn.id,
            uscc: team.uscc.clone(),
            inspector,
        }
    }

    /// `method template` on a task at the step the route needs, with a body it accepts;
    /// `None` for a route that is not a task route.
    pub async fn call(
        &self,
        app: &TestApp,
        method: &str,
        template: &str,
        token: Option<&str>,
    ) -> Option<TestResponse> {
        let fresh = |step| async move { task_at(app, step).await.id };
        let (id, body) = match (method, template) {
            ("POST", "/v1/tasks") => {
                return Some(app.send(post_json(template, &task_file(), token)).await)
            }
            ("POST", "/v1/me/assignments/{task}/{uscc}/recusal") => {
                let uri = format!("/v1/me/assignments/{}/{}/recusal", self.drawn, self.uscc);
                let body = json!({"reason": "matrix"});
                return Some(app.send(post_json(&uri, &body, token)).await);
            }
            ("GET", "/v1/tasks/{id}" | "/v1/public/tasks/{id}/bundle") => (self.drawn, None),
            ("POST", "/v1/tasks/{id}/commitments") => {
                let commitment = hex(&commitment_of(&SECRET));
                let body = json!({"department": DEPARTMENT, "commitment": commitment});
                (fresh(Step::Open).await, Some(body))
            }
            ("POST", "/v1/tasks/{id}/freeze") => (fresh(Step::Open).await, Some(json!({}))),
            ("POST", "/v1/tasks/{id}/reveals") => {
                let body = json!({"department": DEPARTMENT, "secret": hex(&SECRET)});
                (fresh(Step::FrozenForReveals).await, Some(body))
            }
            ("POST", "/v1/tasks/{id}/beacon") => {
                let body = json!({"round": ROUND, "signature": SIGNATURE});
                (fresh(Step::Frozen).await, Some(body))
            }
            ("POST", "/v1/tasks/{id}/draw") => (fresh(Step::Beaconed).await, None),
            ("POST", "/v1/tasks/{id}/redraw") => {
                (fresh(Step::Drawn).await, Some(json!({"reason": "matrix"})))
            }
            _ => return None,
        };
        let uri = template.replace("{id}", &id.to_string());
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        Some(match body {
            Some(body) => app.send(post_json(&uri, &body, token)).await,
            None => app.call(method, &uri, token).await,
        })
    }
}

/// `POST uri` with `body`, asserting `status`; the JSON answer.
async fn post(app: &TestApp, uri: &str, body: &Value, token: &str, status: u16) -> Value {
    let res = app.send(post_json(uri, body, Some(token))).await;
    assert_eq!(res.status.as_u16(), status, "{uri}: {}", res.text());
    res.json()
}

/// `GET uri` (no token when `None`), asserting a 200; the JSON answer.
async fn get(app: &TestApp, uri: &str, token: Option<&str>) -> Value {
    let res = app.get(uri, token).await;
    assert_eq!(res.status.as_u16(), 200, "{uri}: {}", res.text());
    res.json()
}

/// The path of the first located error of a problem.
fn error_path(res: &TestResponse, status: u16, code: &str) -> String {
    let p = res.problem(status, code);
    p["errors"][0]["path"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Unzip a bundle into `dir`; the names of its entries, in archive order.
fn unzip(bytes: &[u8], dir: &std::path::Path) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut names = vec![];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("an entry");
        let name = entry.name().expect("a name").into_owned();
        assert!(!name.contains('/'), "{name} is not at the root");
        let mut content = vec![];
        entry.read_to_end(&mut content).expect("read an entry");
        std::fs::write(dir.join(&name), content).expect("write an entry");
        names.push(name);
    }
    names
}

/// `jianxin draw verify DIR [--key FILE]`.
fn verify(dir: &std::path::Path, key: Option<&std::path::Path>) -> crate::binary::Run {
    let mut cmd = Command::new(jianxin_bin());
    cmd.args(["draw", "verify"])
        .arg(dir)
        .env_remove("JIANXIN_NOW");
    if let Some(key) = key {
        cmd.arg("--key").arg(key);
    }
    cmd.output().expect("run jianxin").into()
}

async fn a_planner_draws_and_the_public_verifies(app: &TestApp) {
    app.clock.set(at("2023-08-20T01:00:00Z"));
    seed_directories(app).await;
    let planner = token_for(app, "draw-planner", Role::Planner).await;
    let inspector = token_for(app, "SJ-D01", Role::Inspector).await;
    assert_eq!(get(app, "/v1/public/tasks", None).await, json!([]));

    // create: planners only; a bad field is named
    let res = app
        .send(post_json("/v1/tasks", &task_file(), Some(&inspector)))
        .await;
    res.problem(403, "forbidden");
    let mut bad = task_file();
    bad["scope"]["regions"] = json!(["33010"]);
    let res = app.send(post_json("/v1/tasks", &bad, Some(&planner))).await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.scope.regions[0]");
    bad = task_file();
    bad["titel"] = json!("t");
    let res = app.send(post_json("/v1/tasks", &bad, Some(&planner))).await;
    let p = res.problem(422, "invalid-input");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("titel")),
        "{p}"
    );
    let res = app
        .send(post_json("/v1/tasks", &task_file(), Some(&planner)))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let id = res.json()["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        res.header("location"),
        Some(format!("/v1/tasks/{id}").as_str())
    );
    let task = format!("/v1/tasks/{id}");

    // commit (the hash only: a secret is an unknown field), freeze on round 123
    let commitment = hex(&commitment_of(&SECRET));
    let body = json!({"department": DEPARTMENT, "secret": hex(&SECRET)});
    let res = app
        .send(post_json(
            &format!("{task}/commitments"),
            &body,
            Some(&planner),
        ))
        .await;
    assert!(error_path(&res, 400, "bad-request").starts_with('$'));
    let body = json!({"department": DEPARTMENT, "commitment": "00"});
    let res = app
        .send(post_json(
            &format!("{task}/commitments"),
            &body,
            Some(&planner),
        ))
        .await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.commitment");
    let body = json!({"department": DEPARTMENT, "commitment": commitment});
    post(app, &format!("{task}/commitments"), &body, &planner, 200).await;
    app.clock.set(at("2023-08-23T15:10:00Z"));
    let res = app
        .send(post_json(
            &format!("{task}/freeze"),
            &json!({"round": "next"}),
            Some(&planner),
        ))
        .await;
    assert_eq!(error_path(&res, 400, "bad-request"), "$.round");
    let frozen = post(
        app,
        &format!("{task}/freeze"),
        &json!({"round": ROUND}),
        &planner,
        200,
    )
    .await;
    assert_eq!(frozen["round"], ROUND);
    assert!(frozen["pool"].as_u64().is_some_and(|n| n > 0), "{frozen}");

    // reveal before the deadline, the beacon only once published, then the draw
    app.clock.set(at("2023-08-23T15:12:00Z"));
    let body = json!({"department": DEPARTMENT, "secret": hex(&SECRET)});
    post(app, &format!("{task}/reveals"), &body, &planner, 200).await;
    let body = json!({"round": ROUND, "signature": SIGNATURE});
    let res = app
        .send(post_json(&format!("{task}/beacon"), &body, Some(&planner)))
        .await;
    res.problem(422, "invalid-input");
    app.clock.set(at("2023-08-23T15:16:00Z"));
    post(app, &format!("{task}/beacon"), &body, &planner, 200).await;
    app.clock.set(at("2023-08-23T15:17:00Z"));
    let res = app
        .call(Method::POST, &format!("{task}/draw"), Some(&planner))
        .await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text());
    let drawn = res.json();
    assert_eq!(drawn["status"], "drawn", "{drawn}");
    app.call(Method::POST, &format!("{task}/draw"), Some(&planner))
        .await
        .problem(409, "conflict");
    let shown = get(app, &task, Some(&planner)).await;
    assert_eq!(shown["status"], "drawn");
    assert_eq!(shown["commitments"][0]["revealed"], true);
    assert_eq!(shown["freeze"]["round"], ROUND);
    assert_eq!(shown["draw"]["teams"], drawn["teams"]);

    // the public: the list, and the bundle as a zip that verifies, the same bytes twice
    let listed = get(app, "/v1/public/tasks?status=drawn", None).await;
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["departments"], json!([DEPARTMENT]));
    let bundle = format!("/v1/public/tasks/{id}/bundle");
    let zipped = app.get(&bundle, None).await;
    assert_eq!(zipped.status.as_u16(), 200, "{}", zipped.text());
    assert_eq!(zipped.header("content-type"), Some("application/zip"));
    let disposition = format!("attachment; filename=\"draw-{id}.zip\"");
    assert_eq!(
        zipped.header("content-disposition"),
        Some(disposition.as_str())
    );
    assert_eq!(app.get(&bundle, None).await.body, zipped.body);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut names = unzip(&zipped.body, dir.path());
    names.sort();
    let mut expected: Vec<String> = BUNDLE_FILES.iter().map(|f| f.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
    let key = app.get("/v1/log/key", None).await;
    let key_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(key_file.path(), key.text()).expect("write the key");
    let run = verify(dir.path(), Some(key_file.path()));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // the drawn inspector sees the assignment and recuses (a bad reason is named)
    let team = &drawn["teams"][0];
    let uscc = team["uscc"].as_str().expect("a subject");
    let member = team["inspectors"][0].as_str().expect("a member");
    app.clock.set(at("2023-08-24T01:00:00Z"));
    let member_token = token_for(app, member, Role::Inspector).await;
    let holds = |rows: &Value| {
        rows.as_array()
            .expect("a list")
            .iter()
            .any(|a| a["task_id"] == id.as_str() && a["uscc"] == uscc)
    };
    assert!(holds(
        &get(app, "/v1/me/assignments", Some(&member_token)).await
    ));
    let recusal = format!("/v1/me/assignments/{id}/{uscc}/recusal");
    let res = app
        .send(post_json(
            &recusal,
            &json!({"reason": 1}),
            Some(&member_token),
        ))
        .await;
    assert_eq!(error_path(&res, 400, "bad-request"), "$.reason");
    let res = app
        .send(post_json(
            &recusal,
            &json!({"reason": " "}),
            Some(&member_token),
        ))
        .await;
    assert_eq!(error_path(&res, 422, "invalid-input"), "$.reason");
    let res = app
        .send(post_json(&recusal, &json!({"reason": "r"}), Some(&planner)))
        .await;
    res.problem(403, "forbidden");
    let reason = json!({"reason": "曾在该企业兼职，申请回避"});
    let out = post(app, &recusal, &reason, &member_token, 200).await;
    assert_eq!(out["recused"], member);
    assert!(!holds(
        &get(app, "/v1/me/assignments", Some(&member_token)).await
    ));
    // no longer on the team: a conflict with the task's state, as docs/API.md says
    let res = app
        .send(post_json(&recusal, &reason, Some(&member_token)))
        .await;
    res.problem(409, "conflict");
    let run = {
        let zipped = app.get(&bundle, None).await;
        let dir = tempfile::tempdir().expect("temp dir");
        unzip(&zipped.body, dir.path());
        verify(dir.path(), None)
    };
    assert_eq!(
        run.code, 0,
        "after the recusal: {}{}",
        run.stdout, run.stderr
    );

    // a redraw: approved by a supervisor, not by a planner; the task reopens
    let supervisor = token_for(app, "draw-supervisor", Role::Supervisor).await;
    let redraw = format!("{task}/redraw");
    let res = app
        .send(post_json(&redraw, &json!({"reason": "r"}), Some(&planner)))
        .await;
    res.problem(403, "forbidden");
    post(
        app,
        &redraw,
        &json!({"reason": "名单有误，重新抽取"}),
        &supervisor,
        200,
    )
    .await;
    assert_eq!(get(app, &task, Some(&planner)).await["status"], "open");
    app.get(&bundle, None).await.problem(409, "conflict");
}
on_both!(a_planner_draws_and_the_public_verifies);

async fn unknown_tasks_and_bad_queries_are_problems(app: &TestApp) {
    seed_directories(app).await;
    let planner = token_for(app, "draw-planner", Role::Planner).await;
    let open = task_at(app, Step::Open).await.id;
    let unknown = Uuid::new_v4();
    app.get(&format!("/v1/public/tasks/{unknown}/bundle"), None)
        .await
        .problem(404, "not-found");
    app.get(&format!("/v1/public/tasks/{open}/bundle"), None)
        .await
        .problem(409, "conflict");
    app.get(&format!("/v1/tasks/{unknown}"), Some(&planner))
        .await
        .problem(404, "not-found");
    app.call(
        Method::POST,
        &format!("/v1/tasks/{unknown}/draw"),
        Some(&planner),
    )
    .await
    .problem(404, "not-found");
    let res = app.get("/v1/tasks/not-a-uuid", Some(&planner)).await;
    assert_eq!(error_path(&res, 400, "bad-request"), "path.id");
    let res = app.get("/v1/public/tasks?status=finished", None).await;
    assert_eq!(error_path(&res, 400, "bad-request"), "query.status");
    let res = app.get("/v1/public/tasks?limit=0", None).await;
    assert_eq!(error_path(&res, 400, "bad-request"), "query.limit");
    let listed = get(app, "/v1/tasks?status=open&limit=5", Some(&planner)).await;
    assert_eq!(listed[0]["id"], open.to_string());
    assert_eq!(listed[0]["status"], "open");
    assert_eq!(
        get(app, "/v1/public/tasks?status=drawn", None).await,
        json!([])
    );
    let res = app
        .send(post_json(
            &format!("/v1/tasks/{open}/freeze"),
            &json!({"round": 1, "later": true}),
            Some(&planner),
        ))
        .await;
    error_path(&res, 400, "bad-request");
}
on_both!(unknown_tasks_and_bad_queries_are_problems);
