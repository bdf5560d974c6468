//! The directories over HTTP (issue 4, "Queries" and "Bulk import"): multipart imports
//! that write all rows or none, with the CLI's report; lists as of a day with filters and
//! cursor pagination; one subject's versions and trail; rules published once. The
//! access matrix of these routes is in `http.rs` with the others.

use axum::body::Body;
use axum::http::{header, Method, Request};
use jianxin_domain::directory::Rules;
use jianxin_domain::event_log::Role;
use jianxin_domain::identifiers::Uscc;
use serde_json::{json, Value};

use crate::helpers::{request, user_of, TestApp, TestResponse};
use crate::on_both;

/// The sample subject directory: five subjects in Zhejiang.
pub const SUBJECTS_CSV: &str = include_str!("../../docs/samples/subjects.csv");
const INSPECTORS_CSV: &str = include_str!("../../docs/samples/inspectors.csv");
const ITEMS_CSV: &str = include_str!("../../docs/samples/items.csv");

/// The sample's USCCs in list order.
const SAMPLE_USCCS: [&str; 5] = [
    "91330102MA2B0C1D0U",
    "91330200MA2C3D4E07",
    "91330300MA2E5F6G0W",
    "92330106MA2H0J1K0K",
    "93330110MA2D7E8F0U",
];

/// One part of a `multipart/form-data` body.
pub struct Part<'a> {
    name: &'a str,
    filename: Option<&'a str>,
    content: &'a [u8],
}

impl<'a> Part<'a> {
    /// The `file` part, named `filename`.
    pub fn file<C: AsRef<[u8]> + ?Sized>(filename: &'a str, content: &'a C) -> Self {
        Part {
            name: "file",
            filename: Some(filename),
            content: content.as_ref(),
        }
    }

    /// A text part.
    pub fn text(name: &'a str, value: &'a str) -> Self {
        Part {
            name,
            filename: None,
            content: value.as_bytes(),
        }
    }
}

const BOUNDARY: &str = "jianxin-test-boundary-5d1c";

/// `POST uri` with `parts` as `multipart/form-data`.
pub fn multipart(uri: &str, parts: &[Part<'_>], token: Option<&str>) -> Request<Body> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match p.filename {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                p.name
            ),
            None => format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                p.name
            ),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(p.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    request(Method::POST, uri, token)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .expect("request")
}

/// `POST uri` with a JSON body.
pub fn post_json(uri: &str, body: &Value, token: Option<&str>) -> Request<Body> {
    request(Method::POST, uri, token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// Import `csv` as `kind` with extra form parts; the response.
async fn import(
    app: &TestApp,
    kind: &str,
    csv: &str,
    extra: &[(&str, &str)],
    token: &str,
) -> TestResponse {
    let mut parts = vec![Part::file("upload.csv", csv)];
    parts.extend(extra.iter().map(|(n, v)| Part::text(n, v)));
    let uri = format!("/v1/imports/{kind}");
    app.send(multipart(&uri, &parts, Some(token))).await
}

/// The import's JSON after asserting a 200.
fn imported(res: &TestResponse) -> Value {
    assert_eq!(res.status.as_u16(), 200, "{}", res.text());
    res.json()
}

/// `GET uri` as `token`, asserting a 200.
async fn get_ok(app: &TestApp, uri: &str, token: &str) -> Value {
    let res = app.get(uri, Some(token)).await;
    assert_eq!(res.status.as_u16(), 200, "{uri}: {}", res.text());
    res.json()
}

/// The USCCs of one list page.
async fn usccs(app: &TestApp, query: &str, token: &str) -> Vec<String> {
    let page = get_ok(app, &format!("/v1/subjects?{query}"), token).await;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|s| s["uscc"].as_str().map(str::to_string))
        .collect()
}

/// The sample with one line's `from` replaced by `to`.
fn sample_with(line: usize, from: &str, to: &str) -> String {
    SUBJECTS_CSV
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                l.replacen(from, to, 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

async fn imports_write_all_rows_or_none(app: &TestApp) {
    let planner = app.token(Role::Planner).await;
    let first = imported(&import(app, "subjects", SUBJECTS_CSV, &[], &planner).await);
    assert_eq!(first["kind"], "subjects");
    assert_eq!(
        (&first["created"], &first["unchanged"], &first["rejected"]),
        (&json!(5), &json!(0), &json!(0))
    );
    assert_eq!(first["written"], true);
    assert_eq!(first["dry_run"], false);
    assert!(first["events_appended"].as_u64().is_some_and(|n| n >= 5));
    assert_eq!(first["source"], "csv (utf-8)");
    let size = app.ledger_size().await;

    let again = imported(&import(app, "subjects", SUBJECTS_CSV, &[], &planner).await);
    assert_eq!(
        (&again["created"], &again["unchanged"]),
        (&json!(0), &json!(5))
    );
    assert_eq!(again["events_appended"], 0);
    assert_eq!(app.ledger_size().await, size);

    // The events name the token's user and role as their actor.
    let shown = get_ok(app, "/v1/subjects/91330102MA2B0C1D0U", &planner).await;
    let actor = &shown["events"][0]["actor"];
    assert_eq!(actor["user"], user_of(Role::Planner), "{shown}");
    assert_eq!(actor["role"], "planner");

    // One wrong check character, one unknown region: nothing written, both reported.
    let bad = sample_with(2, "91330102MA2B0C1D0U", "91330102MA2B0C1D0A");
    let bad = bad.replacen(",330106,", ",330199,", 1);
    let res = import(app, "subjects", &bad, &[], &planner).await;
    let p = res.problem(422, "import-rejected");
    let paths: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(paths, ["row 2, column uscc", "row 3, column region"], "{p}");
    let report = &p["report"];
    assert_eq!(report["rejected"], 2, "{p}");
    assert_eq!(report["written"], false);
    let groups = report["errors"].as_array().expect("grouped errors");
    assert_eq!(groups.len(), 2, "{p}");
    assert_eq!(groups[0]["column"], "uscc");
    assert_eq!(groups[0]["expected"], "position 18: check character 'U'");
    assert_eq!(groups[0]["examples"][0]["row"], 2);
    assert_eq!(groups[0]["examples"][0]["value"], "91330102MA2B0C1D0A");
    assert_eq!(groups[1]["column"], "region");
    assert_eq!(groups[1]["examples"][0]["row"], 3);
    assert_eq!(groups[1]["examples"][0]["value"], "330199");
    assert_eq!(
        app.ledger_size().await,
        size,
        "a rejected file writes nothing"
    );

    // A bad header is rejected as a whole.
    let headless = SUBJECTS_CSV.replacen("统一社会信用代码", "编号", 1);
    let p = import(app, "subjects", &headless, &[], &planner)
        .await
        .problem(422, "import-rejected");
    assert_eq!(p["errors"][0]["path"], "header", "{p}");
    assert!(p["report"]["header_errors"].is_array(), "{p}");

    // A dry run counts what an import would do and writes nothing.
    let closed = sample_with(6, "存续", "注销");
    let dry = imported(&import(app, "subjects", &closed, &[("dry_run", "true")], &planner).await);
    assert_eq!((&dry["changed"], &dry["unchanged"]), (&json!(1), &json!(4)));
    assert_eq!(
        (&dry["dry_run"], &dry["written"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(dry["events_appended"], 0);
    assert_eq!(app.ledger_size().await, size);
    let status = get_ok(app, "/v1/subjects?status=注销", &planner).await;
    assert_eq!(status["items"], json!([]));
    assert_eq!(app.ledger_size().await, size);
}
on_both!(imports_write_all_rows_or_none);

async fn import_requests_are_checked(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let size = app.ledger_size().await;
    let send = |parts: Vec<Part<'static>>, uri: &'static str| {
        let req = multipart(uri, &parts, Some(&admin));
        app.send(req)
    };
    let p = send(vec![Part::text("dry_run", "true")], "/v1/imports/subjects")
        .await
        .problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "form.file", "{p}");
    let file = || Part::file("subjects.csv", SUBJECTS_CSV);
    let p = send(vec![file()], "/v1/imports/widgets")
        .await
        .problem(404, "not-found");
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("subjects, inspectors, items"), "{detail}");
    for (name, value) in [
        ("dry_run", "yes"),
        ("effective", "2026-02-30"),
        ("encoding", "latin1"),
        ("colour", "blue"),
    ] {
        let p = send(
            vec![file(), Part::text(name, value)],
            "/v1/imports/subjects",
        )
        .await
        .problem(400, "bad-request");
        assert_eq!(p["errors"][0]["path"], format!("form.{name}"), "{p}");
    }
    let p = send(
        vec![Part::file("subjects.pdf", SUBJECTS_CSV)],
        "/v1/imports/subjects",
    )
    .await
    .problem(422, "invalid-input");
    assert_eq!(p["errors"][0]["path"], "form.file", "{p}");
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("subjects.pdf") && !detail.contains("jianxin-upload"),
        "{detail}"
    );

    app.post_csv("/v1/imports/subjects", SUBJECTS_CSV, Some(&admin))
        .await
        .problem(415, "unsupported-media-type");
    let huge = vec![b'x'; jianxin_api::http::BODY_LIMIT + 1];
    let req = multipart(
        "/v1/imports/subjects",
        &[Part::file("huge.csv", &huge)],
        Some(&admin),
    );
    app.send(req).await.problem(413, "payload-too-large");
    assert_eq!(app.ledger_size().await, size, "nothing recorded");
}
on_both!(import_requests_are_checked);

async fn subjects_list_with_filters_pages_and_dates(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let officer = app.token(Role::CreditOfficer).await;
    let effective = [("effective", "2026-01-01")];
    let first = import(app, "subjects", SUBJECTS_CSV, &effective, &admin).await;
    assert_eq!(imported(&first)["created"], 5);

    assert_eq!(usccs(app, "", &officer).await, SAMPLE_USCCS);
    let hangzhou = usccs(app, "region=330100", &officer).await;
    assert_eq!(
        hangzhou,
        [
            "91330102MA2B0C1D0U",
            "92330106MA2H0J1K0K",
            "93330110MA2D7E8F0U"
        ]
    );
    assert_eq!(usccs(app, "region=330000", &officer).await.len(), 5);
    assert_eq!(usccs(app, "region=330102", &officer).await.len(), 1);
    for kind in ["个体工商户", "individual_business", "个体户"] {
        let found = usccs(app, &format!("kind={kind}"), &officer).await;
        assert_eq!(found, ["92330106MA2H0J1K0K"], "{kind}");
    }
    let risky = usccs(app, "risk=b", &officer).await;
    assert_eq!(risky, ["91330300MA2E5F6G0W", "92330106MA2H0J1K0K"]);
    let food = usccs(app, "tag=食品经营", &officer).await;
    assert_eq!(food, ["92330106MA2H0J1K0K"]);
    let revoked = usccs(app, "status=吊销", &officer).await;
    assert_eq!(revoked, ["91330200MA2C3D4E07"]);
    let both = usccs(app, "region=330100&risk=A&status=active", &officer).await;
    assert_eq!(both, ["91330102MA2B0C1D0U"]);
    let page = get_ok(app, "/v1/subjects?kind=个体工商户", &officer).await;
    assert_eq!(page["items"][0]["kind"], "individual_business");
    assert_eq!(page["items"][0]["tags"], json!(["食品经营"]));
    assert_eq!(page["next"], Value::Null);

    // Pages of two, chained by `next`.
    let mut seen = vec![];
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let cursor = after.map(|a| format!("&after={a}")).unwrap_or_default();
        let page = get_ok(app, &format!("/v1/subjects?limit=2{cursor}"), &officer).await;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["uscc"].as_str().unwrap_or_default().to_string());
        }
        pages += 1;
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!((pages, seen), (3, SAMPLE_USCCS.map(String::from).to_vec()));

    // Bad filters name the parameter and what it accepts.
    for (query, field, accepted) in [
        ("kind=公司企业", "kind", "个体工商户/individual_business"),
        ("risk=E", "risk", "A类/A"),
        ("status=open", "status", "存续/active"),
        ("region=3301", "region", "six-digit"),
        ("limit=0", "limit", "1 to 1000"),
        ("limit=1001", "limit", "1 to 1000"),
        ("as_of=2026-02-30", "as_of", ""),
        ("colour=red", "", ""),
    ] {
        let res = app
            .get(&format!("/v1/subjects?{query}"), Some(&officer))
            .await;
        let p = res.problem(400, "bad-request");
        let path = p["errors"][0]["path"].as_str().unwrap_or_default();
        if !field.is_empty() {
            assert_eq!(path, format!("query.{field}"), "{query}: {p}");
        }
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(accepted), "{query}: {detail}");
    }

    // An effective-dated change: the old status until the day before, the new from it.
    let closed = sample_with(6, "存续", "注销");
    let later = [("effective", "2026-06-01")];
    let changed = imported(&import(app, "subjects", &closed, &later, &admin).await);
    assert_eq!(
        (&changed["changed"], &changed["unchanged"]),
        (&json!(1), &json!(4))
    );
    for (day, status) in [("2026-05-31", "active"), ("2026-06-01", "cancelled")] {
        let uri = format!("/v1/subjects?as_of={day}&region=330300");
        let page = get_ok(app, &uri, &officer).await;
        assert_eq!(page["items"][0]["status"], status, "{day}: {page}");
    }
    let today = usccs(app, "status=cancelled", &officer).await;
    assert!(today.is_empty(), "not yet cancelled today (2026-03-02)");
    let june = usccs(app, "status=注销&as_of=2026-06-01", &officer).await;
    assert_eq!(june, ["91330300MA2E5F6G0W"]);
    let before = get_ok(app, "/v1/subjects?as_of=2025-12-31", &officer).await;
    assert_eq!(before["items"], json!([]));
}
on_both!(subjects_list_with_filters_pages_and_dates);

async fn one_subject_shows_versions_record_and_trail(app: &TestApp) {
    let planner = app.token(Role::Planner).await;
    let inspector = app.token(Role::Inspector).await;
    let effective = [("effective", "2026-01-01")];
    imported(&import(app, "subjects", SUBJECTS_CSV, &effective, &planner).await);
    let closed = sample_with(6, "存续", "注销");
    let later = [("effective", "2026-06-01")];
    imported(&import(app, "subjects", &closed, &later, &planner).await);

    let uri = "/v1/subjects/91330300MA2E5F6G0W";
    let shown = get_ok(app, uri, &inspector).await;
    assert_eq!(shown["uscc"], "91330300MA2E5F6G0W");
    assert_eq!(shown["as_of"], "2026-03-02", "default: today");
    assert_eq!(shown["current"]["status"], "active", "{shown}");
    let versions = shown["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2, "{shown}");
    assert_eq!(versions[0]["valid_from"], "2026-01-01");
    assert_eq!(versions[0]["valid_to"], "2026-06-01");
    assert_eq!(versions[1]["status"], "cancelled");
    let events = shown["events"].as_array().expect("events");
    assert!(events.len() >= 2, "{shown}");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["sequence"], i as u64 + 1);
        assert!(e["event_type"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(e["recorded_at"].is_string() && e["data"].is_object(), "{e}");
        assert_eq!(e["actor"]["user"], user_of(Role::Planner));
    }
    assert_eq!(events[0]["effective_at"], "2026-01-01");
    assert_eq!(events[events.len() - 1]["effective_at"], "2026-06-01");

    let june = get_ok(app, &format!("{uri}?as_of=2026-06-01"), &inspector).await;
    assert_eq!(june["current"]["status"], "cancelled");
    let early = get_ok(app, &format!("{uri}?as_of=2025-06-01"), &inspector).await;
    assert_eq!(early["current"], Value::Null);
    let lower = get_ok(app, "/v1/subjects/91330300ma2e5f6g0w", &inspector).await;
    assert_eq!(lower["uscc"], "91330300MA2E5F6G0W");

    let check = Uscc::check_character("91330102MA2B0C1D1").expect("17 characters");
    let unknown = format!("/v1/subjects/91330102MA2B0C1D1{check}");
    app.get(&unknown, Some(&inspector))
        .await
        .problem(404, "not-found");
    let p = app
        .get("/v1/subjects/91330300MA2E5F6G0A", Some(&inspector))
        .await
        .problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "path.uscc");
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("position 18") && detail.contains("expected 'W'"),
        "{detail}"
    );
    let p = app
        .get("/v1/subjects/123", Some(&inspector))
        .await
        .problem(400, "bad-request");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("18")),
        "{p}"
    );
    app.get(&format!("{uri}?as_of=soon"), Some(&inspector))
        .await
        .problem(400, "bad-request");
}
on_both!(one_subject_shows_versions_record_and_trail);

async fn inspectors_and_items_list(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let supervisor = app.token(Role::Supervisor).await;
    let inspectors = imported(&import(app, "inspectors", INSPECTORS_CSV, &[], &admin).await);
    assert_eq!(inspectors["created"], 4);
    let items = imported(&import(app, "items", ITEMS_CSV, &[], &admin).await);
    assert_eq!(items["created"], 3);

    let ids = |page: &Value| -> Vec<String> {
        let items = page["items"].as_array().cloned().unwrap_or_default();
        items
            .iter()
            .filter_map(|i| i["id"].as_str().or(i["code"].as_str()).map(str::to_string))
            .collect()
    };
    for (query, expected) in [
        (
            "",
            vec!["ZJ-SJ-0001", "ZJ-SJ-0002", "ZJ-SJ-0003", "ZJ-SW-0001"],
        ),
        ("department=330100-SW", vec!["ZJ-SW-0001"]),
        ("patrol_area=330102", vec!["ZJ-SJ-0001"]),
        ("qualification=食品安全", vec!["ZJ-SJ-0001", "ZJ-SJ-0002"]),
        ("status=在岗&limit=1&after=ZJ-SJ-0003", vec!["ZJ-SW-0001"]),
        ("status=retired", vec![]),
        ("as_of=2018-01-01", vec![]),
    ] {
        let page = get_ok(app, &format!("/v1/inspectors?{query}"), &supervisor).await;
        assert_eq!(ids(&page), expected, "{query}");
    }
    let first = get_ok(app, "/v1/inspectors?limit=3", &supervisor).await;
    assert_eq!(first["next"], "ZJ-SJ-0003");
    assert_eq!(
        first["items"][0]["patrol_areas"],
        json!(["330102", "330106"])
    );
    assert_eq!(first["items"][0]["status"], "active");
    for (query, field) in [
        ("status=on_leave", "status"),
        ("patrol_area=33", "patrol_area"),
    ] {
        let uri = format!("/v1/inspectors?{query}");
        let p = app
            .get(&uri, Some(&supervisor))
            .await
            .problem(400, "bad-request");
        assert_eq!(p["errors"][0]["path"], format!("query.{field}"), "{p}");
    }
    let p = app
        .get("/v1/inspectors?status=x", Some(&supervisor))
        .await
        .problem(400, "bad-request");
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("在岗/active"), "{detail}");

    let page = get_ok(app, "/v1/items?limit=2", &supervisor).await;
    assert_eq!(ids(&page), ["SJ-001", "SJ-002"]);
    assert_eq!(page["next"], "SJ-002");
    assert_eq!(page["items"][0]["version"], 1);
    let rest = get_ok(app, "/v1/items?limit=2&after=SJ-002", &supervisor).await;
    assert_eq!(ids(&rest), ["SJ-003"]);
    assert_eq!(rest["next"], Value::Null);
    app.get("/v1/items?limit=1001", Some(&supervisor))
        .await
        .problem(400, "bad-request");
}
on_both!(inspectors_and_items_list);

async fn rules_publish_once_and_refuse_invalid_versions(app: &TestApp) {
    let planner = app.token(Role::Planner).await;
    let supervisor = app.token(Role::Supervisor).await;
    let listed = get_ok(app, "/v1/rules", &supervisor).await;
    assert_eq!(listed["versions"], json!([]));

    let body = json!({"rules": Rules::default(), "reason": "细则 2026"});
    let first = app
        .send(post_json("/v1/rules", &body, Some(&planner)))
        .await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.text());
    assert_eq!(first.json()["published"], true);
    assert_eq!(
        first.json()["global_sequences"].as_array().map(Vec::len),
        Some(1)
    );
    let size = app.ledger_size().await;

    let same = app
        .send(post_json("/v1/rules", &body, Some(&planner)))
        .await;
    assert_eq!(same.status.as_u16(), 200, "{}", same.text());
    assert_eq!(
        same.json(),
        json!({"published": false, "global_sequences": []})
    );
    assert_eq!(app.ledger_size().await, size);

    // Every violation at once, each at its path.
    let mut rules = serde_json::to_value(Rules::default()).expect("rules as JSON");
    rules["ratio_bp"]["D"] = json!(20000);
    rules["min_team_size"] = json!(1);
    let invalid = json!({"rules": rules, "reason": " "});
    let p = app
        .send(post_json("/v1/rules", &invalid, Some(&planner)))
        .await
        .problem(422, "invalid-input");
    let mut paths: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        ["$.reason", "$.rules.min_team_size", "$.rules.ratio_bp.D"],
        "{p}"
    );
    let mut wrong_type = serde_json::to_value(Rules::default()).expect("rules as JSON");
    wrong_type["ratio_bp"]["A"] = json!("3%");
    let p = app
        .send(post_json(
            "/v1/rules",
            &json!({"rules": wrong_type, "reason": "x"}),
            Some(&planner),
        ))
        .await
        .problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "$.rules.ratio_bp.A", "{p}");
    let extra = json!({"rules": Rules::default(), "reason": "x", "version": 3});
    app.send(post_json("/v1/rules", &extra, Some(&planner)))
        .await
        .problem(400, "bad-request");
    app.post_csv("/v1/rules", "a,b\n", Some(&planner))
        .await
        .problem(415, "unsupported-media-type");
    assert_eq!(app.ledger_size().await, size, "refusals record nothing");

    let mut stricter = serde_json::to_value(Rules::default()).expect("rules as JSON");
    stricter["ratio_bp"]["D"] = json!(5000);
    let next = json!({"rules": stricter, "reason": "D 类提高到 50%"});
    let second = app
        .send(post_json("/v1/rules", &next, Some(&planner)))
        .await;
    assert_eq!(second.status.as_u16(), 201, "{}", second.text());
    let listed = get_ok(app, "/v1/rules", &supervisor).await;
    let versions = listed["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[1]["rules"]["ratio_bp"]["D"], 5000);
    assert_eq!(versions[1]["reason"], "D 类提高到 50%");
    assert_eq!(versions[1]["actor_user"], user_of(Role::Planner));
}
on_both!(rules_publish_once_and_refuse_invalid_versions);

/// An XLSX whose worksheet says it inflates to 4 GiB: a one-cell workbook whose
/// central directory then lies about the sheet's uncompressed size.
fn declared_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("[Content_Types].xml", "<Types/>"),
        ("xl/workbook.xml", "<workbook/>"),
        (
            "xl/worksheets/sheet1.xml",
            "<worksheet><sheetData/></worksheet>",
        ),
    ] {
        zip.start_file(name, options).expect("entry");
        zip.write_all(text.as_bytes()).expect("write");
    }
    let mut bytes = zip.finish().expect("zip").into_inner();
    // the central directory header of the sheet: its uncompressed size at offset 24
    let name = b"xl/worksheets/sheet1.xml";
    let at = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == [0x50, 0x4b, 0x01, 0x02])
        .map(|(i, _)| i)
        .find(|i| bytes.get(i + 46..i + 46 + name.len()) == Some(&name[..]))
        .expect("the sheet's central directory header");
    bytes[at + 24..at + 28].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes
}

/// Issue 27: what an import may cost is bounded before it is paid, the report echoes
/// little, and imports run a few at a time with the rest told to come back.
async fn imports_are_bounded_before_they_are_paid(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let size = app.ledger_size().await;
    // a sheet that says it inflates beyond the bound: refused before inflating
    let bomb = declared_bomb();
    let req = multipart(
        "/v1/imports/subjects",
        &[Part::file("bomb.xlsx", &bomb)],
        Some(&admin),
    );
    let p = app.send(req).await.problem(422, "invalid-input");
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("JIANXIN_IMPORT_MAX_SHEET_BYTES"), "{p}");
    // a header of 100,000 columns and a field of a megabyte: refused naming the bound,
    // and the answer is small (nothing echoed whole)
    let wide = vec!["x"; 100_000].join(",");
    let long = format!(
        "{}\n{}\n",
        SUBJECTS_CSV.lines().next().unwrap_or(""),
        "y".repeat(1 << 20)
    );
    for (csv, setting) in [
        (wide.as_str(), "JIANXIN_IMPORT_MAX_COLUMNS"),
        (long.as_str(), "JIANXIN_IMPORT_MAX_FIELD_CHARS"),
    ] {
        let res = import(app, "subjects", csv, &[], &admin).await;
        assert!(res.body.len() < 4096, "{} bytes", res.body.len());
        let p = res.problem(422, "invalid-input");
        assert!(
            p["detail"].as_str().unwrap_or_default().contains(setting),
            "{p}"
        );
    }
    // fifty unknown columns: twenty listed, the rest counted; a long value is cut
    let header: Vec<String> = (0..50).map(|i| format!("col{i}")).collect();
    let res = import(
        app,
        "subjects",
        &format!("{}\n", header.join(",")),
        &[],
        &admin,
    )
    .await;
    let p = res.problem(422, "import-rejected");
    let listed = p["report"]["header_errors"].as_array().map_or(0, Vec::len);
    assert_eq!(listed, 20, "{p}");
    assert!(
        p["report"]["header_errors_omitted"].as_u64().unwrap_or(0) > 0,
        "{p}"
    );
    // every import slot taken: 503 busy with Retry-After, and nothing read
    let held = app
        .state
        .imports
        .clone()
        .acquire_many_owned(jianxin_api::state::IMPORT_CONCURRENCY as u32)
        .await
        .expect("the import slots");
    let res = import(app, "subjects", SUBJECTS_CSV, &[], &admin).await;
    assert!(res.header("retry-after").is_some(), "{}", res.text());
    res.problem(503, "busy");
    drop(held);
    assert_eq!(app.ledger_size().await, size, "nothing recorded");
    let res = import(
        app,
        "subjects",
        SUBJECTS_CSV,
        &[("dry_run", "true")],
        &admin,
    )
    .await;
    imported(&res);
}
on_both!(imports_are_bounded_before_they_are_paid);
