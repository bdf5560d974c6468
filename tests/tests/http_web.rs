//! The web pages in process, on both backends: every staff page against every role and
//! no session (the roles of docs/WEB.md, written out literally), the login cookie's
//! attributes, and the CSRF check of a form. The browser tests (`browser.rs`) drive the
//! same pages in chromium.

use axum::body::Body;
use axum::http::{header, Method, Request};
use jianxin_domain::event_log::Role;

use crate::helpers::TestApp;
use crate::on_both;

const ROLES: [Role; 8] = [
    Role::Admin,
    Role::Planner,
    Role::Inspector,
    Role::CreditOfficer,
    Role::Supervisor,
    Role::ExternalSystem,
    Role::CaseOfficer,
    Role::ApprovingOfficer,
];

/// Each staff page and the roles that may open it.
const PAGES: [(&str, &[Role]); 7] = [
    ("/web/inspector", &[Role::Inspector]),
    ("/web/credit", &[Role::CreditOfficer]),
    ("/web/credit/entries", &[Role::CreditOfficer]),
    (
        "/web/credit/queries",
        &[Role::CreditOfficer, Role::Supervisor],
    ),
    (
        "/web/cases",
        &[Role::Supervisor, Role::CaseOfficer, Role::ApprovingOfficer],
    ),
    (
        "/web/planner",
        &[Role::Admin, Role::Planner, Role::Supervisor],
    ),
    ("/web/inspector/result?task=x&uscc=y", &[Role::Inspector]),
];

async fn page(app: &TestApp, path: &str, token: Option<&str>) -> crate::helpers::TestResponse {
    let mut req = Request::builder().method(Method::GET).uri(path);
    if let Some(t) = token {
        req = req.header(header::COOKIE, format!("jx_token={t}"));
    }
    app.send(req.body(Body::empty()).expect("request")).await
}

async fn every_staff_page_is_role_checked(app: &TestApp) {
    for role in ROLES {
        let token = app.token(role).await;
        for (path, allowed) in PAGES {
            let res = page(app, path, Some(&token)).await;
            let status = res.status.as_u16();
            if allowed.contains(&role) {
                // the result form of an unknown assignment is a 404 page, still let in
                assert!(status == 200 || status == 404, "{role} {path}: {status}");
            } else {
                assert_eq!(status, 403, "{role} {path}");
                assert!(
                    res.text().contains("data-status=\"403\""),
                    "an HTML 403 page"
                );
            }
            assert!(
                res.header("content-type")
                    .is_some_and(|c| c.starts_with("text/html")),
                "{path}"
            );
        }
    }
    for (path, _) in PAGES {
        let res = page(app, path, None).await;
        assert_eq!(res.status.as_u16(), 303, "{path} without a session");
        let to = res.header("location").unwrap_or_default();
        assert!(to.starts_with("/web/login?next="), "{to}");
    }
    // the public pages need no session; no page may be framed by another site
    for path in ["/web/", "/web/checkpoint", "/web/subjects"] {
        let res = page(app, path, None).await;
        assert_eq!(res.status.as_u16(), 200, "{path}");
        let csp = res.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}
on_both!(every_staff_page_is_role_checked);

async fn login_sets_a_strict_http_only_cookie_and_forms_need_the_csrf_token(app: &TestApp) {
    let token = app.token(Role::Inspector).await;
    let login = |body: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/web/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    };
    // issue 27: a post from another site's page is refused before the token is read
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let mut req = login(format!("token={token}"));
        req.headers_mut()
            .insert(name, value.parse().expect("header value"));
        req.headers_mut()
            .insert(header::HOST, "127.0.0.1:8080".parse().expect("host"));
        let res = app.send(req).await;
        assert_eq!(res.status.as_u16(), 403, "{name}: {value}");
        assert!(res.header("set-cookie").is_none());
    }
    let mut same = login(format!("token={token}"));
    same.headers_mut()
        .insert("origin", "http://127.0.0.1:8080".parse().expect("origin"));
    same.headers_mut()
        .insert(header::HOST, "127.0.0.1:8080".parse().expect("host"));
    assert_eq!(app.send(same).await.status.as_u16(), 303, "same origin");
    // a body over the form limit is refused before it is read (issue 27)
    let huge = format!(
        "token={}",
        "x".repeat(jianxin_api::web::FORM_BODY_LIMIT + 1)
    );
    let res = app.send(login(huge)).await;
    assert_eq!(res.status.as_u16(), 413, "{}", res.text());
    let refused = app.send(login("token=jx1.forged.token".into())).await;
    assert_eq!(refused.status.as_u16(), 401);
    assert!(refused.header("set-cookie").is_none());
    let res = app
        .send(login(format!("token={token}&next=%2Fweb%2Finspector")))
        .await;
    assert_eq!(res.status.as_u16(), 303);
    assert_eq!(res.header("location"), Some("/web/inspector"));
    let cookie = res.header("set-cookie").unwrap_or_default().to_string();
    assert!(
        cookie.starts_with(&format!("jx_token={token};")),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // an open redirect is not followed
    let res = app
        .send(login(format!(
            "token={token}&next=https%3A%2F%2Fevil.example%2F"
        )))
        .await;
    assert_eq!(res.header("location"), Some("/web/inspector"));

    // a form without, or with another session's, CSRF token is refused before anything
    let before = app.ledger_size().await;
    for csrf in ["", "0123456789abcdef0123456789abcdef"] {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/web/inspector/recusal")
            .header(header::COOKIE, format!("jx_token={token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={csrf}&task=bb298a77-2da9-8943-989c-c350ecc1ee4b&uscc=91330102MA0000031F&reason=x"
            )))
            .expect("request");
        let res = app.send(req).await;
        assert_eq!(res.status.as_u16(), 403, "csrf {csrf:?}");
    }
    assert_eq!(app.ledger_size().await, before, "nothing recorded");
}
on_both!(login_sets_a_strict_http_only_cookie_and_forms_need_the_csrf_token);

/// Issue 28: a repair decision with neither 准予 nor 不予 chosen is refused (422) and
/// records nothing; an unknown `/web/…` path is a 404 page, not the API's JSON.
async fn a_repair_decision_must_be_chosen_and_unknown_pages_are_html(app: &TestApp) {
    let token = app.token(Role::CreditOfficer).await;
    let csrf = jianxin_api::web::csrf_of(&token);
    let before = app.ledger_size().await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/web/credit/repair")
        .header(header::COOKIE, format!("jx_token={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "csrf={csrf}&subject=91330102MA0000031F&entry_id=bb298a77-2da9-8943-989c-c350ecc1ee4b&reasons=x"
        )))
        .expect("request");
    let res = app.send(req).await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.text());
    assert!(res.text().contains("未记录任何决定"), "{}", res.text());
    assert_eq!(app.ledger_size().await, before, "nothing recorded");
    for path in ["/web/nope", "/web/credit/nope/deeper"] {
        let res = page(app, path, None).await;
        assert_eq!(res.status.as_u16(), 404, "{path}");
        let kind = res.header("content-type").unwrap_or_default().to_owned();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(res.text().contains("未找到 (404)"), "{}", res.text());
        // the site's policy, which lets the page load its stylesheet
        let csp = res.header("content-security-policy").unwrap_or_default();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
    }
    // the API's unknown paths stay JSON problems
    let res = page(app, "/v1/nope", None).await;
    res.problem(404, "not-found");
}
on_both!(a_repair_decision_must_be_chosen_and_unknown_pages_are_html);
