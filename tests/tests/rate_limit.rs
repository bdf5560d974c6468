//! Rate limits on requests without a verified token, through the real `jianxin serve`
//! over TCP (issue 11, security): an address that spends its budget gets 429 with a
//! problem document, `/healthz` and requests with a valid token are never held back, and
//! a forged or expired token counts as anonymous.

use jianxin_api::tokens::{self, Claims};
use jianxin_domain::event_log::Role;
use jianxin_domain::integrity::NoteSigner;
use serde_json::Value;

use crate::browser::{http, start_site_with};

#[test]
fn an_address_over_its_budget_waits_and_verified_callers_do_not() {
    // one request a minute, five at once: the sixth anonymous request is refused
    let site = start_site_with(&[
        "--anonymous-rate-per-minute",
        "1",
        "--anonymous-burst",
        "5",
        "--no-scheduler",
    ]);
    let get = |path: &str, headers: &[(&str, &str)]| http(&site.addr, "GET", path, None, headers);
    // Issue 27: a token signed with the deployment's own key that expired an hour ago.
    // Its first use (refused 401, as expired) counts against the budget, and having been
    // checked once must not let it past the limit afterwards.
    let key = std::fs::read_to_string(site.dir().join("jianxin.key")).expect("key file");
    let signer = NoteSigner::parse(key.trim()).expect("the site's key");
    // the site under test runs on the wall clock, so the expired token is dated by it
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now().timestamp();
    let expired = Claims {
        jti: uuid::Uuid::new_v4(),
        sub: "former-officer".into(),
        role: Role::CreditOfficer,
        scopes: vec![],
        iat: now - 7200,
        exp: now - 3600,
    };
    let expired = format!(
        "Bearer {}",
        tokens::issue(&signer, &expired).expect("token")
    );
    let (status, _) = get("/v1/me", &[("Authorization", &expired)]);
    assert_eq!(status, 401, "an expired token is refused");
    for n in 2..=5 {
        let (status, body) = get("/v1/public/tasks", &[]);
        assert_eq!(
            status,
            200,
            "request {n}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, body) = get("/v1/public/tasks", &[]);
    assert_eq!(status, 429, "{}", String::from_utf8_lossy(&body));
    let problem: Value = serde_json::from_slice(&body).expect("a problem document");
    assert_eq!(problem["code"], "too-many-requests", "{problem}");
    assert_eq!(problem["status"], 429);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("retry in"),
        "{problem}"
    );
    // a forged token is not a way around it
    let forged = "Bearer jx1.eyJzdWIiOiJtYWxsb3J5In0.AAAA";
    let (status, _) = get(
        "/v1/credit/queries?subject=91330102MA0000023L",
        &[("Authorization", forged)],
    );
    assert_eq!(status, 429, "a forged token counts as anonymous");
    let (status, _) = get("/v1/me", &[("Authorization", &expired)]);
    assert_eq!(status, 429, "an expired token counts as anonymous");
    // the health probe and a verified caller are served
    assert_eq!(get("/healthz", &[]).0, 200);
    let officer = format!("Bearer {}", site.tokens["credit_officer"]);
    for _ in 0..3 {
        let (status, body) = get(
            "/v1/credit/subjects/91330102MA0000023L/entries",
            &[("Authorization", &officer)],
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    // and the anonymous address is still held back
    assert_eq!(get("/v1/public/tasks", &[]).0, 429);
}

/// Issue 27: a connection that never finishes its headers (slow-header attack) is closed
/// after the header-read timeout, and the service keeps answering others.
#[test]
fn a_connection_that_never_finishes_its_headers_is_closed() {
    use std::io::{Read, Write};
    let site = start_site_with(&["--header-read-timeout-secs", "1", "--no-scheduler"]);
    let mut slow = std::net::TcpStream::connect(&site.addr).expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
        .expect("a partial header");
    slow.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("read timeout");
    let started = std::time::Instant::now();
    let mut buf = [0u8; 512];
    // the server ends the connection (an EOF, a reset, or a 408 then EOF), never waits
    loop {
        match slow.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => continue,
        }
    }
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(9),
        "the slow connection stayed open {waited:?}"
    );
    let (status, _) = http(&site.addr, "GET", "/healthz", None, &[]);
    assert_eq!(status, 200);
}
