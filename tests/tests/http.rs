//! The HTTP API from outside: who may call what (the access matrix, written out here and
//! not read from the router), the problem shape of every error, checkpoints and proofs
//! that verify, reference-data loads, ledger pagination, OpenAPI, metrics, request ids,
//! and one smoke test on a real port.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method};
use jianxin_api::tokens::{self, Claims};
use jianxin_domain::directory::Rules;
use jianxin_domain::event_log::Role;
use jianxin_domain::integrity::{
    hash_from_hex, leaf_hash, open_checkpoint, ConsistencyProof, InclusionProof, NoteSigner,
    NoteVerifier,
};
use jianxin_projections::ledger::EventProof;
use serde_json::{json, Value};

use crate::credit::MatrixCredit;
use crate::helpers::{request, test_now, user_of, TestApp, CALENDAR_CSV};
use crate::http_directory::{multipart, post_json, Part, SUBJECTS_CSV};
use crate::http_draw::{token_for, MatrixTasks};
use crate::on_both;
use crate::results::MatrixResults;

/// What a caller gets: allowed (2xx), 403, or 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    A,
    F,
    U,
}
use Access::{A, F, U};

/// Token columns of the matrix, in order; the seventh column is "no token".
const ROLES: [Role; 6] = [
    Role::Admin,
    Role::Planner,
    Role::Inspector,
    Role::CreditOfficer,
    Role::Supervisor,
    Role::ExternalSystem,
];

/// (method, OpenAPI path template, URI called, access by column).
/// Columns: admin, planner, inspector, credit_officer, supervisor, external_system, none.
#[rustfmt::skip]
const MATRIX: [(&str, &str, &str, [Access; 7]); 63] = [
    ("GET",  "/healthz",                       "/healthz",                        [A, A, A, A, A, A, A]),
    ("GET",  "/readyz",                        "/readyz",                         [A, A, A, A, A, A, A]),
    ("GET",  "/metrics",                       "/metrics",                        [A, F, F, F, F, F, U]),
    ("GET",  "/openapi.json",                  "/openapi.json",                   [A, A, A, A, A, A, A]),
    ("GET",  "/docs",                          "/docs",                           [A, A, A, A, A, A, A]),
    ("GET",  "/v1/log/checkpoint",             "/v1/log/checkpoint",              [A, A, A, A, A, A, A]),
    ("GET",  "/v1/log/key",                    "/v1/log/key",                     [A, A, A, A, A, A, A]),
    ("GET",  "/v1/log/proof/{seq}",            "/v1/log/proof/1",                 [A, A, A, A, A, A, A]),
    ("GET",  "/v1/log/consistency/{old_size}", "/v1/log/consistency/1",           [A, A, A, A, A, A, A]),
    ("GET",  "/v1/log/events",                 "/v1/log/events",                  [A, F, F, F, A, F, U]),
    ("GET",  "/v1/public/checkpoints",         "/v1/public/checkpoints",          [A, A, A, A, A, A, A]),
    ("GET",  "/v1/reference/{kind}",           "/v1/reference/calendar",          [A, A, F, A, A, F, U]),
    ("POST", "/v1/reference/{kind}",           "/v1/reference/calendar",          [A, F, F, F, F, F, U]),
    ("GET",  "/v1/calendar/years",             "/v1/calendar/years",              [A, A, F, A, A, F, U]),
    ("GET",  "/v1/me",                         "/v1/me",                          [A, A, A, A, A, A, U]),
    ("GET",  "/v1/subjects",                   "/v1/subjects",                    [A, A, A, A, A, F, U]),
    ("GET",  "/v1/subjects/{uscc}",            "/v1/subjects/91330102MA2B0C1D0U", [A, A, A, A, A, F, U]),
    ("GET",  "/v1/inspectors",                 "/v1/inspectors",                  [A, A, F, F, A, F, U]),
    ("GET",  "/v1/items",                      "/v1/items",                       [A, A, A, F, A, F, U]),
    ("GET",  "/v1/rules",                      "/v1/rules",                       [A, A, F, F, A, F, U]),
    ("POST", "/v1/rules",                      "/v1/rules",                       [A, A, F, F, F, F, U]),
    ("POST", "/v1/imports/{kind}",             "/v1/imports/subjects",            [A, A, F, F, F, F, U]),
    // task routes: the URI is the template, filled by `MatrixTasks::call`
    ("GET",  "/v1/public/tasks",                         "/v1/public/tasks",                         [A, A, A, A, A, A, A]),
    ("GET",  "/v1/public/tasks/{id}/bundle",             "/v1/public/tasks/{id}/bundle",             [A, A, A, A, A, A, A]),
    // result routes, filled by `MatrixResults::call`; before the recusal, while the
    // matrix's inspector is still on the team
    ("POST", "/v1/tasks/{id}/results",                   "/v1/tasks/{id}/results",                   [F, F, A, F, F, F, U]),
    ("POST", "/v1/tasks/{id}/results/{uscc}/corrections", "/v1/tasks/{id}/results/{uscc}/corrections", [F, F, A, F, F, F, U]),
    ("POST", "/v1/tasks/{id}/results/{uscc}/publication", "/v1/tasks/{id}/results/{uscc}/publication", [A, A, F, F, F, F, U]),
    ("GET",  "/v1/publication/due",                      "/v1/publication/due",                      [A, A, F, F, A, F, U]),
    ("GET",  "/v1/public/tasks/{id}/results",            "/v1/public/tasks/{id}/results",            [A, A, A, A, A, A, A]),
    ("GET",  "/v1/public/results/feed.json",             "/v1/public/results/feed.json",             [A, A, A, A, A, A, A]),
    ("GET",  "/v1/me/assignments",                       "/v1/me/assignments",                       [F, F, A, F, F, F, U]),
    ("POST", "/v1/me/assignments/{task}/{uscc}/recusal", "/v1/me/assignments/{task}/{uscc}/recusal", [F, F, A, F, F, F, U]),
    ("GET",  "/v1/tasks",                                "/v1/tasks",                                [A, A, F, F, A, F, U]),
    ("POST", "/v1/tasks",                                "/v1/tasks",                                [A, A, F, F, F, F, U]),
    ("GET",  "/v1/tasks/{id}",                           "/v1/tasks/{id}",                           [A, A, F, F, A, F, U]),
    ("POST", "/v1/tasks/{id}/commitments",               "/v1/tasks/{id}/commitments",               [A, A, F, F, F, F, U]),
    ("POST", "/v1/tasks/{id}/freeze",                    "/v1/tasks/{id}/freeze",                    [A, A, F, F, F, F, U]),
    ("POST", "/v1/tasks/{id}/reveals",                   "/v1/tasks/{id}/reveals",                   [A, A, F, F, F, F, U]),
    ("POST", "/v1/tasks/{id}/beacon",                    "/v1/tasks/{id}/beacon",                    [A, A, F, F, F, F, U]),
    ("POST", "/v1/tasks/{id}/draw",                      "/v1/tasks/{id}/draw",                      [A, A, F, F, F, F, U]),
    ("POST", "/v1/tasks/{id}/redraw",                    "/v1/tasks/{id}/redraw",                    [A, F, F, F, A, F, U]),
    ("GET",  "/v1/credit/check",                         "/v1/credit/check",                         [F, F, F, A, F, A, U]),
    ("POST", "/v1/credit/check:batch",                   "/v1/credit/check:batch",                   [F, F, F, A, F, A, U]),
    ("GET",  "/v1/credit/queries",                       "/v1/credit/queries",                       [F, F, F, A, A, A, U]),
    ("GET",  "/v1/credit/queries/{id}",                  "/v1/credit/queries/{id}",                  [F, F, F, A, A, A, U]),
    ("GET",  "/v1/credit/queries/{id}/recheck",          "/v1/credit/queries/{id}/recheck",          [F, F, F, A, A, A, U]),
    ("POST", "/v1/credit/queries/{id}/feedback",         "/v1/credit/queries/{id}/feedback",         [F, F, F, A, F, A, U]),
    ("GET",  "/v1/credit/impact",                        "/v1/credit/impact",                        [F, F, F, A, A, F, U]),
    ("GET",  "/v1/credit/subjects/{uscc}/entries",       "/v1/credit/subjects/{uscc}/entries",       [F, F, F, A, A, F, U]),
    ("POST", "/v1/credit/records",                       "/v1/credit/records",                       [F, F, F, A, F, F, U]),
    ("POST", "/v1/credit/entries",                       "/v1/credit/entries",                       [F, F, F, A, F, F, U]),
    ("POST", "/v1/credit/entries/{id}/removal",          "/v1/credit/entries/{id}/removal",          [F, F, F, A, F, F, U]),
    ("POST", "/v1/credit/entries/{id}/annulment",        "/v1/credit/entries/{id}/annulment",        [F, F, F, A, F, F, U]),
    ("POST", "/v1/credit/entries/{id}/repair",           "/v1/credit/entries/{id}/repair",           [F, F, F, A, F, F, U]),
    ("POST", "/v1/credit/entries/{id}/repair/decision",  "/v1/credit/entries/{id}/repair/decision",  [F, F, F, A, F, F, U]),
    ("POST", "/v1/credit/records/{id}/repair",           "/v1/credit/records/{id}/repair",           [F, F, F, A, F, F, U]),
    ("GET",  "/v1/lists/{list}/snapshot",                "/v1/lists/{list}/snapshot",                [F, F, F, A, A, A, U]),
    ("GET",  "/v1/credit/changes",                       "/v1/credit/changes",                       [F, F, F, A, A, A, U]),
    ("GET",  "/v1/credit/subjects/{uscc}/evaluation",    "/v1/credit/subjects/{uscc}/evaluation",    [F, F, F, A, A, A, U]),
    // subscription routes, filled by `MatrixSubscriptions::call`
    ("POST",   "/v1/credit/subscriptions",               "/v1/credit/subscriptions",                 [F, F, F, A, F, A, U]),
    ("GET",    "/v1/credit/subscriptions",               "/v1/credit/subscriptions",                 [F, F, F, A, A, A, U]),
    ("GET",    "/v1/credit/subscriptions/{id}",          "/v1/credit/subscriptions/{id}",            [F, F, F, A, A, A, U]),
    ("DELETE", "/v1/credit/subscriptions/{id}",          "/v1/credit/subscriptions/{id}",            [F, F, F, A, F, A, U]),
];

async fn tokens(app: &TestApp) -> Vec<String> {
    let mut out = vec![];
    for role in ROLES {
        out.push(app.token(role).await);
    }
    out
}

/// Each route called with a body it accepts, so that an admitted role gets a 2xx (imports
/// as dry runs).
async fn call(
    app: &TestApp,
    (draw, results, credit): (&MatrixTasks, &MatrixResults, &MatrixCredit),
    method: &str,
    uri: &str,
    token: Option<&str>,
) -> crate::helpers::TestResponse {
    if let Some(res) = draw.call(app, method, uri, token).await {
        return res;
    }
    if let Some(res) = results.call(app, method, uri, token).await {
        return res;
    }
    if let Some(res) = credit.call(app, method, uri, token).await {
        return res;
    }
    if let Some(res) = crate::webhooks::MatrixSubscriptions::call(app, method, uri, token).await {
        return res;
    }
    match (method, uri) {
        ("POST", "/v1/rules") => {
            let body = json!({"rules": Rules::default(), "reason": "matrix"});
            app.send(post_json(uri, &body, token)).await
        }
        ("POST", "/v1/imports/subjects") => {
            let parts = [
                Part::file("subjects.csv", SUBJECTS_CSV),
                Part::text("dry_run", "true"),
            ];
            app.send(multipart(uri, &parts, token)).await
        }
        ("POST", _) => app.post_csv(uri, CALENDAR_CSV, token).await,
        _ => app.get(uri, token).await,
    }
}

async fn access_matrix(app: &TestApp) {
    let mut tokens = tokens(app).await;
    // A drawn task whose first inspector holds the inspector's token, so that the
    // recusal route can admit them.
    let draw = MatrixTasks::prepare(app).await;
    if let Some(i) = ROLES.iter().position(|r| *r == Role::Inspector) {
        tokens[i] = token_for(app, &draw.inspector, Role::Inspector).await;
    }
    let results = MatrixResults::prepare(app, &draw.inspector).await;
    let credit = MatrixCredit::prepare(app).await;
    // The subject the matrix shows must exist.
    let setup = app
        .send(multipart(
            "/v1/imports/subjects",
            &[Part::file("subjects.csv", SUBJECTS_CSV)],
            tokens.first().map(String::as_str),
        ))
        .await;
    assert_eq!(setup.status.as_u16(), 200, "{}", setup.text());
    for (method, _, uri, expected) in MATRIX {
        for (column, want) in expected.iter().enumerate() {
            let token = tokens.get(column).map(String::as_str);
            let who = ROLES.get(column).map_or("no token", |r| r.as_str());
            let res = call(app, (&draw, &results, &credit), method, uri, token).await;
            let got = match res.status.as_u16() {
                200..=299 => A,
                401 => U,
                403 => F,
                other => panic!(
                    "{method} {uri} as {who}: unexpected {other}: {}",
                    res.text()
                ),
            };
            assert_eq!(got, *want, "{method} {uri} as {who}: {}", res.text());
            match got {
                U => {
                    res.problem(401, "unauthorized");
                    let challenge = res.header("www-authenticate").unwrap_or_default();
                    assert!(challenge.starts_with("Bearer"), "{challenge}");
                }
                F => {
                    let p = res.problem(403, "forbidden");
                    let detail = p["detail"].as_str().unwrap_or_default();
                    assert!(detail.contains(who), "{detail}");
                }
                A => {}
            }
        }
    }
}
on_both!(access_matrix);

/// The OpenAPI document lists exactly the matrix's routes, and the roles it says each
/// requires are the matrix's allowed roles.
async fn openapi_lists_every_route_with_its_roles(app: &TestApp) {
    let res = app.get("/openapi.json", None).await;
    assert_eq!(res.status.as_u16(), 200);
    let doc = res.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let expected: BTreeSet<_> = MATRIX
        .iter()
        .map(|(m, path, _, _)| (m.to_string(), path.to_string()))
        .chain(
            CASE_MATRIX
                .iter()
                .map(|(m, p, _)| (m.to_string(), p.to_string())),
        )
        .collect();
    assert_eq!(documented, expected);
    for (method, path, _, access) in MATRIX {
        let op = &doc["paths"][path][method.to_lowercase()];
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path}"
        );
        let allowed: BTreeSet<&str> = ROLES
            .iter()
            .zip(access)
            .filter(|(_, a)| *a == A)
            .map(|(r, _)| r.as_str())
            .collect();
        if access[6] == A {
            assert!(op.get("security").is_none(), "{method} {path} is public");
        } else {
            // the matrix's columns are six roles; the case roles have a matrix of their own
            let scopes: BTreeSet<&str> = op["security"][0]["bearer"]
                .as_array()
                .expect("bearer scopes")
                .iter()
                .filter_map(Value::as_str)
                .filter(|r| ROLES.iter().any(|c| c.as_str() == *r))
                .collect();
            assert_eq!(scopes, allowed, "{method} {path}");
        }
    }
    // issue 27: /v1/me answers any valid token, the case roles' too, as documented
    let me = &doc["paths"]["/v1/me"]["get"]["security"][0]["bearer"];
    for role in [Role::CaseOfficer, Role::ApprovingOfficer] {
        assert!(
            me.as_array()
                .is_some_and(|r| r.iter().any(|x| x == role.as_str())),
            "{me}"
        );
        let token = app.token(role).await;
        let res = app.get("/v1/me", Some(&token)).await;
        assert_eq!(res.status.as_u16(), 200, "{}", res.text());
    }
    let page = app.get("/docs", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("/openapi.json"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    // issue 27: /docs runs its own inline script only, by hash
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}
on_both!(openapi_lists_every_route_with_its_roles);

/// Issue 27: JSON, text and problem answers carry the same protections as the pages.
async fn every_answer_carries_the_security_headers(app: &TestApp) {
    for path in [
        "/openapi.json",
        "/v1/log/checkpoint",
        "/v1/nope",
        "/healthz",
        "/web/",
    ] {
        let res = app.get(path, None).await;
        let csp = res.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp:?}");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
    }
    // a JSON answer opened as a document runs nothing
    let res = app.get("/openapi.json", None).await;
    let csp = res.header("content-security-policy").unwrap_or_default();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
}
on_both!(every_answer_carries_the_security_headers);

async fn bad_tokens_are_unauthorized(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let planner = app.token(Role::Planner).await;
    let now = test_now().timestamp();
    let claims = |iat: i64, exp: i64| Claims {
        jti: uuid::Uuid::new_v4(),
        sub: user_of(Role::Admin),
        role: Role::Admin,
        scopes: vec![],
        iat,
        exp,
    };
    let expired = tokens::issue(&app.state.signer, &claims(now - 7200, now - 3600)).expect("token");
    let other_key = NoteSigner::generate("test", |s| s.fill(9)).expect("key");
    let foreign = tokens::issue(&other_key, &claims(now, now + 3600)).expect("token");
    // The admin token's claims under the planner token's signature.
    let (admin_claims, _) = admin.rsplit_once('.').expect("token parts");
    let (_, planner_sig) = planner.rsplit_once('.').expect("token parts");
    let edited = format!("{admin_claims}.{planner_sig}");
    for uri in ["/v1/me", "/v1/log/events", "/metrics"] {
        for token in [&expired, &foreign, &edited] {
            let res = app.get(uri, Some(token)).await;
            res.problem(401, "unauthorized");
            let challenge = res.header("www-authenticate").unwrap_or_default();
            assert!(challenge.contains("invalid_token"), "{uri}: {challenge}");
        }
        let malformed: [&[u8]; 6] = [
            b"Bearer",
            b"Bearer jx1.nonsense",
            b"Basic YWRtaW46YWRtaW4=",
            b"Token jx1.a.b",
            admin.as_bytes(),
            b"Bearer \xff\xfe",
        ];
        for value in malformed {
            let req = request(Method::GET, uri, None)
                .header(
                    header::AUTHORIZATION,
                    HeaderValue::from_bytes(value).expect("header"),
                )
                .body(Body::empty())
                .expect("request");
            app.send(req).await.problem(401, "unauthorized");
        }
    }
    // The genuine tokens still work, and /v1/me says who they are.
    let me = app.get("/v1/me", Some(&planner)).await;
    assert_eq!(me.status.as_u16(), 200);
    assert_eq!(me.json()["sub"], user_of(Role::Planner));
    assert_eq!(me.json()["role"], "planner");
}
on_both!(bad_tokens_are_unauthorized);

async fn errors_are_problems(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let supervisor = app.token(Role::Supervisor).await;
    let size = app.ledger_size().await;

    app.get("/no/such/route", None)
        .await
        .problem(404, "not-found");
    let p = app
        .get("/v1/log/proof/999", None)
        .await
        .problem(404, "not-found");
    let range = format!("1..={size}");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains(&range)),
        "{p}"
    );
    let p = app
        .get("/v1/reference/holidays", Some(&admin))
        .await
        .problem(404, "not-found");
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("calendar") && detail.contains("divisions"),
        "{detail}"
    );
    app.get("/v1/log/consistency/999", None)
        .await
        .problem(404, "not-found");

    let p = app
        .get("/v1/log/proof/abc", None)
        .await
        .problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "path.seq");
    app.get("/v1/log/proof/-1", None)
        .await
        .problem(400, "bad-request");
    let p = app
        .get("/v1/log/proof/1?tree_size=x", None)
        .await
        .problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "query.tree_size");
    let p = app
        .get("/v1/log/events?limit=5000", Some(&supervisor))
        .await
        .problem(400, "bad-request");
    assert_eq!(p["errors"][0]["path"], "query.limit");

    app.get("/v1/me", None).await.problem(401, "unauthorized");
    app.get("/metrics", Some(&supervisor))
        .await
        .problem(403, "forbidden");

    let res = app.call(Method::DELETE, "/healthz", None).await;
    res.problem(405, "method-not-allowed");
    assert!(res.header("allow").is_some_and(|a| a.contains("GET")));

    let huge = vec![b'x'; jianxin_api::http::BODY_LIMIT + 1];
    app.post_csv("/v1/reference/calendar", huge.clone(), Some(&admin))
        .await
        .problem(413, "payload-too-large");
    let declared = request(Method::POST, "/v1/reference/calendar", Some(&admin))
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::CONTENT_LENGTH, huge.len())
        .body(Body::from(huge))
        .expect("request");
    app.send(declared).await.problem(413, "payload-too-large");

    let json = request(Method::POST, "/v1/reference/calendar", Some(&admin))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .expect("request");
    app.send(json).await.problem(415, "unsupported-media-type");

    let broken = "date,kind,holiday_zh,holiday_en\n2026-13-45,holiday_off,元旦,New Year\n";
    let p = app
        .post_csv("/v1/reference/calendar", broken, Some(&admin))
        .await
        .problem(422, "invalid-input");
    let at = p["errors"][0]["path"].as_str().unwrap_or_default();
    assert!(at.contains("line 2"), "{p}");
    assert_eq!(
        app.ledger_size().await,
        size,
        "nothing recorded by failed requests"
    );
}
on_both!(errors_are_problems);

async fn checkpoints_and_proofs_verify(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let loaded = app
        .post_csv("/v1/reference/calendar", CALENDAR_CSV, Some(&admin))
        .await;
    assert_eq!(loaded.status.as_u16(), 201, "{}", loaded.text());

    let key = app.get("/v1/log/key", None).await;
    assert!(key
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/plain"));
    let verifier = NoteVerifier::parse(key.text().trim()).expect("a verifier key");
    assert_eq!(
        verifier.to_verifier_key_string(),
        app.state.verifier.to_verifier_key_string()
    );

    let res = app.get("/v1/log/checkpoint", None).await;
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let checkpoint = open_checkpoint(&res.text(), &verifier).expect("a signed checkpoint");
    assert_eq!(checkpoint.origin, crate::helpers::ORIGIN);
    assert_eq!(checkpoint.tree_size, app.ledger_size().await);
    assert_eq!(checkpoint.tree_size, 2);

    let size = checkpoint.tree_size;
    for seq in 1..=size {
        let path = format!("/v1/log/proof/{seq}?tree_size={size}");
        // Issue 27: the public gets hashes only, never the entry with its payload ...
        let public = app.get(&path, None).await;
        assert_eq!(public.status.as_u16(), 200, "{}", public.text());
        let public: serde_json::Value = serde_json::from_slice(&public.body).expect("JSON");
        let fields: Vec<&str> = public
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            fields,
            ["global_sequence", "inclusion", "leaf_hash"],
            "{public}"
        );
        // ... a token of another role gets no more than the public (signed here, so
        // that its issuance does not grow the log under test) ...
        let now = test_now().timestamp();
        let planner = Claims {
            jti: uuid::Uuid::nil(),
            sub: "planner-1".into(),
            role: Role::Planner,
            scopes: vec![],
            iat: now,
            exp: now + 3600,
        };
        let planner = tokens::issue(&app.state.signer, &planner).expect("token");
        let other = app.get(&path, Some(&planner)).await;
        let other: serde_json::Value = serde_json::from_slice(&other.body).expect("JSON");
        assert!(other.get("entry").is_none(), "{other}");
        // ... and an auditor the entry, which hashes to the public leaf.
        let res = app.get(&path, Some(&admin)).await;
        assert_eq!(res.status.as_u16(), 200, "{}", res.text());
        let proof: EventProof = serde_json::from_slice(&res.body).expect("an EventProof");
        let leaf = leaf_hash(proof.entry.as_bytes());
        assert_eq!(Some(leaf), hash_from_hex(&proof.leaf_hash));
        assert_eq!(public["leaf_hash"], proof.leaf_hash.as_str());
        let path_only: InclusionProof =
            serde_json::from_value(public["inclusion"].clone()).expect("an inclusion proof");
        path_only
            .verify(&leaf, &checkpoint.root)
            .expect("the public path verifies the leaf");
        proof
            .inclusion
            .verify(&leaf, &checkpoint.root)
            .expect("inclusion verifies");
    }
    // A token that does not verify is refused, not served the public answer.
    let res = app.get("/v1/log/proof/1", Some("jx1.not.valid")).await;
    res.problem(401, "unauthorized");
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    app.get(&format!("/v1/log/proof/1?tree_size={}", size + 5), None)
        .await
        .problem(404, "not-found");

    // The log grows; the old checkpoint is a prefix of the new one.
    app.token(Role::Supervisor).await;
    let newer = app.get("/v1/log/checkpoint", None).await.text();
    let newer = open_checkpoint(&newer, &verifier).expect("a signed checkpoint");
    assert_eq!(newer.tree_size, size + 1);
    let res = app.get(&format!("/v1/log/consistency/{size}"), None).await;
    let proof: ConsistencyProof = serde_json::from_slice(&res.body).expect("a ConsistencyProof");
    proof
        .verify(&checkpoint.root, &newer.root)
        .expect("consistency verifies");
}
on_both!(checkpoints_and_proofs_verify);

/// Issue 28: the calendar in force says which years are official and which provisional,
/// and loading a later official year turns it official.
async fn calendar_years_say_which_are_provisional(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let years = |v: &Value| -> Vec<(i64, String)> {
        v["years"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|y| {
                let year = y["year"].as_i64().unwrap_or_default();
                (year, y["calendar"].as_str().unwrap_or_default().to_owned())
            })
            .collect()
    };
    let res = app.get("/v1/calendar/years", Some(&admin)).await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text());
    let shipped = years(&res.json());
    assert_eq!(shipped.first(), Some(&(2018, "official".to_owned())));
    assert!(
        shipped.contains(&(2026, "official".to_owned())),
        "{shipped:?}"
    );
    assert!(
        shipped.contains(&(2027, "provisional".to_owned())),
        "{shipped:?}"
    );
    // the State Council's 2027 schedule arrives (one line of it suffices here)
    let with_2027 = format!("{CALENDAR_CSV}2027-01-01,holiday_off,元旦,New Year's Day\n");
    let loaded = app
        .post_csv("/v1/reference/calendar", with_2027, Some(&admin))
        .await;
    assert_eq!(loaded.status.as_u16(), 201, "{}", loaded.text());
    let after = years(&app.get("/v1/calendar/years", Some(&admin)).await.json());
    assert!(after.contains(&(2027, "official".to_owned())), "{after:?}");
    assert!(
        after.contains(&(2028, "provisional".to_owned())),
        "{after:?}"
    );
}

on_both!(calendar_years_say_which_are_provisional);

async fn reference_data_loads_once_and_refuses_broken_csv(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    let planner = app.token(Role::Planner).await;
    let first = app
        .post_csv("/v1/reference/calendar", CALENDAR_CSV, Some(&admin))
        .await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.text());
    assert_eq!(first.header("location"), Some("/v1/reference/calendar"));
    let body = first.json();
    assert_eq!(body["kind"], "calendar");
    assert_eq!(body["changed"], true);
    assert_eq!(body["rows"], 322);
    assert_eq!(body["global_sequences"].as_array().map(Vec::len), Some(1));

    let again = app
        .post_csv("/v1/reference/calendar", CALENDAR_CSV, Some(&admin))
        .await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.text());
    assert_eq!(again.json()["changed"], false);
    assert_eq!(again.json()["digest"], body["digest"]);

    let before = app.ledger_size().await;
    let broken = format!(
        "{}2026-02-30,holiday_off,春节,Spring Festival\n",
        CALENDAR_CSV
    );
    app.post_csv("/v1/reference/calendar", broken, Some(&admin))
        .await
        .problem(422, "invalid-input");
    assert_eq!(app.ledger_size().await, before);

    let list = app.get("/v1/reference/calendar", Some(&planner)).await;
    assert_eq!(list.status.as_u16(), 200);
    let versions = list.json()["versions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["actor_user"], user_of(Role::Admin));
    assert_eq!(versions[0]["source"], "http");
    let none = app.get("/v1/reference/divisions", Some(&planner)).await;
    assert_eq!(none.json()["versions"], serde_json::json!([]));
}
on_both!(reference_data_loads_once_and_refuses_broken_csv);

async fn ledger_events_page_in_order(app: &TestApp) {
    let supervisor = app.token(Role::Supervisor).await;
    let admin = app.token(Role::Admin).await;
    let loaded = app
        .post_csv("/v1/reference/calendar", CALENDAR_CSV, Some(&admin))
        .await;
    assert_eq!(loaded.status.as_u16(), 201);
    for _ in 0..3 {
        app.token(Role::Inspector).await;
    }
    let size = app.ledger_size().await;
    assert_eq!(size, 6);

    let mut seen = vec![];
    let mut from = Some(1);
    let mut pages = 0;
    while let Some(f) = from {
        let res = app
            .get(
                &format!("/v1/log/events?from={f}&limit=4"),
                Some(&supervisor),
            )
            .await;
        assert_eq!(res.status.as_u16(), 200, "{}", res.text());
        let page = res.json();
        for e in page["events"].as_array().expect("events") {
            let seq = e["global_sequence"].as_u64().expect("a sequence");
            assert_eq!(e["entry"]["global_sequence"], seq);
            assert_eq!(e["entry"]["event_id"], e["event_id"]);
            assert_eq!(e["entry"]["aggregate_type"], e["aggregate_type"]);
            assert_eq!(e["entry_hash"].as_str().map(str::len), Some(64));
            seen.push(seq);
        }
        from = page["next_from"].as_u64();
        pages += 1;
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, (1..=size).collect::<Vec<_>>());

    // The whole log in one default page; the load names the admin as its actor.
    let all = app.get("/v1/log/events", Some(&admin)).await.json();
    assert_eq!(all["next_from"], Value::Null);
    let events = all["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len() as u64, size);
    let load = events
        .iter()
        .find(|e| e["aggregate_type"] == "reference_data")
        .expect("the calendar load");
    assert_eq!(
        load["entry"]["payload"]["actor"]["user"],
        user_of(Role::Admin)
    );
    assert_eq!(load["entry"]["payload"]["actor"]["role"], "admin");

    let tail = app
        .get("/v1/log/events?from=6&limit=1", Some(&admin))
        .await
        .json();
    assert_eq!(tail["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(tail["next_from"], Value::Null);
    let past = app.get("/v1/log/events?from=99", Some(&admin)).await.json();
    assert_eq!(past["events"], serde_json::json!([]));
    for bad in ["limit=0", "limit=1001", "from=0", "frm=2", "limit=ten"] {
        let uri = format!("/v1/log/events?{bad}");
        app.get(&uri, Some(&admin))
            .await
            .problem(400, "bad-request");
    }
}
on_both!(ledger_events_page_in_order);

async fn metrics_count_requests_by_route_template(app: &TestApp) {
    let admin = app.token(Role::Admin).await;
    for _ in 0..3 {
        app.get("/healthz", None).await;
    }
    app.get("/v1/log/proof/999", None).await;
    app.get("/v1/log/proof/998", None).await;
    app.get("/wp-admin/setup.php", None).await;
    let res = app.get("/metrics", Some(&admin)).await;
    assert_eq!(res.status.as_u16(), 200);
    let content_type = res.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = res.text();
    for line in [
        "jianxin_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3",
        "jianxin_http_requests_total{method=\"GET\",route=\"/v1/log/proof/{seq}\",status=\"404\"} 2",
        "jianxin_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "jianxin_http_request_duration_seconds_count{route=\"/healthz\"} 3",
        "# TYPE jianxin_http_request_duration_seconds histogram",
        "# TYPE jianxin_ledger_events gauge",
        "jianxin_ledger_events 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    // (not a bare "999": a duration such as 0.000052999 may hold it)
    assert!(
        !text.contains("proof/99") && !text.contains("wp-admin"),
        "raw URIs leak:\n{text}"
    );
}
on_both!(metrics_count_requests_by_route_template);

async fn request_ids_are_echoed_and_faults_hidden(app: &TestApp) {
    let with_id = request(Method::GET, "/healthz", None)
        .header("x-request-id", "req-4711")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        app.send(with_id).await.header("x-request-id"),
        Some("req-4711")
    );
    let generated = app.get("/v1/me", None).await;
    let id = generated.header("x-request-id").unwrap_or_default();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id:?}");
    // issue 27: an id too long (or with spaces or control characters) is neither echoed
    // nor logged: the request gets a fresh UUID instead
    for hostile in ["x".repeat(65), "a b".to_owned(), "é".to_owned()] {
        let req = request(Method::GET, "/healthz", None)
            .header(
                "x-request-id",
                HeaderValue::from_bytes(hostile.as_bytes()).expect("header"),
            )
            .body(Body::empty())
            .expect("request");
        let echoed = app.send(req).await;
        let id = echoed.header("x-request-id").unwrap_or_default();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{hostile:?} -> {id:?}");
    }
    let longest = "r".repeat(64);
    let req = request(Method::GET, "/healthz", None)
        .header("x-request-id", longest.as_str())
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        app.send(req).await.header("x-request-id"),
        Some(longest.as_str())
    );

    // With the database gone, reads fail 503 and the body names only the request id.
    app.state.log.database().close().await;
    let req = request(Method::GET, "/v1/log/checkpoint", None)
        .header("x-request-id", "req-503")
        .body(Body::empty())
        .expect("request");
    let res = app.send(req).await;
    let p = res.problem(503, "unavailable");
    assert_eq!(p["detail"], "service unavailable, request id req-503");
    assert_eq!(res.header("x-request-id"), Some("req-503"));
    assert_eq!(res.header("retry-after"), Some("5"));
    assert!(!res.text().contains("pool"), "{}", res.text());
    app.get("/readyz", None).await.problem(503, "unavailable");
    assert_eq!(app.get("/healthz", None).await.status.as_u16(), 200);
}
on_both!(request_ids_are_echoed_and_faults_hidden);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_on_a_real_port_and_shuts_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(jianxin_api::http::serve(
        app.state.clone(),
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("\r\nx-request-id: "),
        "{answer}"
    );
    assert!(answer.ends_with("\r\n\r\nok"), "{answer}");
    stop.send(()).expect("the server is running");
    let served = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("shut down in time")
        .expect("the server task");
    assert!(served.is_ok(), "{served:?}");
    app.finish().await;
}

// ---- enforcement cases (issue 8) -------------------------------------------------------

/// Token columns of the case matrix: every role with a token, then "no token".
const CASE_ROLES: [Role; 8] = [
    Role::Admin,
    Role::Planner,
    Role::Inspector,
    Role::CreditOfficer,
    Role::Supervisor,
    Role::ExternalSystem,
    Role::CaseOfficer,
    Role::ApprovingOfficer,
];

/// (method, path template, access by column of [`CASE_ROLES`] then none); `{id}` is a
/// filed case of the matrix.
#[rustfmt::skip]
const CASE_MATRIX: [(&str, &str, [Access; 9]); 6] = [
    ("POST", "/v1/cases",                 [F, F, F, F, F, F, A, F, U]),
    ("GET",  "/v1/cases",                 [F, F, F, F, A, F, A, A, U]),
    ("POST", "/v1/cases/{id}/steps",      [F, F, F, F, F, F, A, F, U]),
    ("POST", "/v1/cases/{id}/approvals",  [F, F, F, F, F, F, F, A, U]),
    ("GET",  "/v1/cases/{id}/replay",     [F, F, F, F, A, F, A, A, U]),
    ("GET",  "/v1/cases/{id}/deviations", [F, F, F, F, A, F, A, A, U]),
];

/// Case officers act, the approving officer approves, supervisors (and both case roles)
/// read; with bodies an admitted role may repeat, so each gets a 2xx.
async fn case_access_matrix(app: &TestApp) {
    let mut tokens = vec![];
    for role in CASE_ROLES {
        tokens.push(app.token(role).await);
    }
    let officer = tokens.get(6).cloned();
    let opened = app
        .send(post_json(
            "/v1/cases",
            &json!({"clue": "matrix"}),
            officer.as_deref(),
        ))
        .await;
    assert_eq!(opened.status.as_u16(), 201, "{}", opened.text());
    let id = opened.json()["id"].as_str().unwrap_or_default().to_owned();
    let uri = format!("/v1/cases/{id}/steps");
    let filed = app
        .send(post_json(
            &uri,
            &json!({"step": "file"}),
            officer.as_deref(),
        ))
        .await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.text());
    let doc = app.get("/openapi.json", None).await.json();
    for (method, path, expected) in CASE_MATRIX {
        let uri = path.replace("{id}", &id);
        for (column, want) in expected.iter().enumerate() {
            let token = tokens.get(column).map(String::as_str);
            let who = CASE_ROLES.get(column).map_or("no token", |r| r.as_str());
            let res = match (method, path) {
                ("POST", "/v1/cases") => {
                    app.send(post_json(&uri, &json!({"clue": "matrix"}), token))
                        .await
                }
                ("POST", "/v1/cases/{id}/steps") => {
                    let body = json!({"step": "statement", "summary": "matrix"});
                    app.send(post_json(&uri, &body, token)).await
                }
                ("POST", _) => {
                    let body = json!({"step": "review", "opinion": "matrix"});
                    app.send(post_json(&uri, &body, token)).await
                }
                _ => app.get(&uri, token).await,
            };
            let got = match res.status.as_u16() {
                200..=299 => A,
                401 => U,
                403 => F,
                other => panic!(
                    "{method} {uri} as {who}: unexpected {other}: {}",
                    res.text()
                ),
            };
            assert_eq!(got, *want, "{method} {uri} as {who}: {}", res.text());
            if got == F {
                let p = res.problem(403, "forbidden");
                let detail = p["detail"].as_str().unwrap_or_default();
                assert!(detail.contains(who), "{detail}");
            }
        }
        let allowed: BTreeSet<&str> = CASE_ROLES
            .iter()
            .zip(expected)
            .filter(|(_, a)| *a == A)
            .map(|(r, _)| r.as_str())
            .collect();
        let scopes: BTreeSet<&str> = doc["paths"][path][method.to_lowercase()]["security"][0]
            ["bearer"]
            .as_array()
            .expect("bearer scopes")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(scopes, allowed, "{method} {path}");
    }
}
on_both!(case_access_matrix);
