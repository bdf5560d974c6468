//! Webhook delivery end to end (issue 7): the real `jianxin serve` pushes the credit
//! list changes to receivers inside the test. The bank's receiver answers 500 twice and
//! then accepts; the test checks that the batches arrive in order and carry exactly the
//! feed's changes of the lists followed, that every signature verifies with the secret
//! returned once, that a retried batch keeps its delivery id and body, that the cursor
//! advances, that a restarted service resumes after the cursor without re-sending, and
//! that an ended subscription gets nothing more. On SQLite and PostgreSQL.
//!
//! The bad input and the roles of the subscription routes are checked in-process
//! (`bad_subscriptions_record_nothing`), and in the access matrix of `http.rs`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use jianxin_domain::event_log::Role;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::binary::{jianxin_bin, Deployment};
use crate::cli_on_both;
use crate::helpers::TestApp;
use crate::http_directory::post_json;
use crate::on_both;

const A: &str = "91330102MA00C00019";
const B: &str = "91330102MA00C0002C";
const C: &str = "91330102MA00C0003F";
const D: &str = "91330102MA00C0004J";

/// How long any wait may last before the test fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    delivery: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    /// What the receiver answered.
    status: u16,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Inbox {
    got: Vec<Got>,
    /// Requests to `/bank` still to refuse with 500.
    refuse_bank: usize,
}

/// Receivers on one local port: `/bank` (refuses its first requests) and `/control`.
struct Receiver {
    base: String,
    inbox: Arc<Mutex<Inbox>>,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut inbox = inbox.lock().expect("inbox");
    let path = uri.path().to_string();
    let status = if path == "/bank" && inbox.refuse_bank > 0 {
        inbox.refuse_bank -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    assert_eq!(header("content-type"), "application/json");
    inbox.got.push(Got {
        path,
        delivery: header("x-jianxin-delivery"),
        timestamp: header("x-jianxin-timestamp"),
        signature: header("x-jianxin-signature"),
        body: body.to_vec(),
        status: status.as_u16(),
    });
    status
}

impl Receiver {
    async fn start(refuse_bank: usize) -> Receiver {
        let inbox = Arc::new(Mutex::new(Inbox {
            got: vec![],
            refuse_bank,
        }));
        let app = axum::Router::new()
            .route("/bank", axum::routing::post(receive))
            .route("/control", axum::routing::post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            base: format!("http://{addr}"),
            inbox,
            task,
        }
    }

    fn got(&self, path: &str) -> Vec<Got> {
        let inbox = self.inbox.lock().expect("inbox");
        inbox
            .got
            .iter()
            .filter(|g| g.path == path)
            .cloned()
            .collect()
    }

    /// The batches `path` accepted, in order.
    fn accepted(&self, path: &str) -> Vec<Value> {
        self.got(path)
            .iter()
            .filter(|g| g.status < 300)
            .map(Got::json)
            .collect()
    }
}

/// `jianxin serve` on the deployment's database, killed when dropped.
struct Serve {
    child: Child,
    addr: String,
}

impl Serve {
    /// The service, allowed to deliver to the test's receiver on loopback.
    fn start(d: &Deployment) -> Serve {
        Serve::start_with(d, &["127.0.0.1"])
    }

    /// The service with the operator's `--webhook-allow` list `allow`.
    fn start_with(d: &Deployment, allow: &[&str]) -> Serve {
        let mut child = Command::new(jianxin_bin())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-scheduler",
                "--webhook-retry-ms",
                "50",
                "--webhook-retry-max-ms",
                "200",
                "--webhook-poll-ms",
                "50",
                "--webhook-timeout-ms",
                "5000",
            ])
            .args(allow.iter().flat_map(|a| ["--webhook-allow", a]))
            .env("JIANXIN_DB", &d.db)
            .env("JIANXIN_KEY_FILE", d.path("jianxin.key"))
            .env("RUST_LOG", "warn")
            .env_remove("JIANXIN_NOW")
            .current_dir(d.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run jianxin serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("jianxin serve ended before listening")
                .expect("stderr line");
            if let Some(base) = line.strip_prefix("listening on ") {
                break base.trim().to_string();
            }
        };
        // keep draining the logs so the server never blocks on a full pipe
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Serve {
            child,
            addr: base.trim_start_matches("http://").to_string(),
        }
    }

    /// One request over a fresh connection: the status and the JSON body (Null if none).
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut stream = tokio::net::TcpStream::connect(&self.addr)
            .await
            .expect("connect to jianxin serve");
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Authorization: Bearer {token}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if !body.is_empty() {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str("\r\n");
        req.push_str(&body);
        stream.write_all(req.as_bytes()).await.expect("send");
        let mut out = vec![];
        stream.read_to_end(&mut out).await.expect("read");
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, rest) = text.split_once("\r\n\r\n").expect("a response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status");
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

fn token(d: &Deployment, role: &str, user: &str) -> String {
    let mut args = vec![
        "--format", "json", "token", "issue", "--role", role, "--user", user,
    ];
    if role == "external_system" {
        args.extend(["--scope", "government_procurement", "--ttl-days", "30"]);
    }
    let r = d.run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("token JSON");
    v["token"].as_str().expect("a token").to_string()
}

fn enter(subject: &str, list: &str) -> Value {
    let on = (crate::helpers::test_now() - chrono::Duration::days(30))
        .date_naive()
        .to_string();
    json!({"action": "enter", "subject": subject, "list": list, "reason": "webhook e2e",
           "legal_basis": "严重违法失信名单管理办法", "entered_on": on})
}

/// Poll `f` every 20 ms until it answers, or fail after [`DEADLINE`].
async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn verify(secret: &str, got: &Got) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(got.timestamp.as_bytes());
    mac.update(b".");
    mac.update(&got.body);
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(got.signature, want, "signature of {}", got.delivery);
    assert!(got.timestamp.parse::<i64>().is_ok(), "{}", got.timestamp);
}

/// The feed's changes (seq, type, entry id) of the entries in `entries`.
async fn feed(serve: &Serve, token: &str, entries: &HashSet<String>) -> Vec<(u64, String, String)> {
    let (status, page) = serve
        .call("GET", "/v1/credit/changes?after=0&limit=1000", token, None)
        .await;
    assert_eq!(status, 200, "{page}");
    page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| entries.contains(c["entry_id"].as_str().unwrap_or_default()))
        .map(|c| {
            (
                c["seq"].as_u64().expect("seq"),
                c["type"].as_str().expect("type").to_string(),
                c["entry_id"].as_str().expect("entry").to_string(),
            )
        })
        .collect()
}

fn delivered(batches: &[Value]) -> Vec<(u64, String, String)> {
    batches
        .iter()
        .flat_map(|b| b["changes"].as_array().cloned().unwrap_or_default())
        .map(|c| {
            (
                c["seq"].as_u64().expect("seq"),
                c["type"].as_str().expect("type").to_string(),
                c["entry_id"].as_str().expect("entry").to_string(),
            )
        })
        .collect()
}

/// Batches chain: each starts at the previous one's end, the first at `from`.
fn assert_chained(batches: &[Value], from: u64) {
    let mut cursor = from;
    for b in batches {
        assert_eq!(b["after"].as_u64(), Some(cursor), "{b}");
        let upto = b["upto"].as_u64().expect("upto");
        let last = b["changes"]
            .as_array()
            .and_then(|c| c.last())
            .and_then(|c| c["seq"].as_u64());
        assert_eq!(last, Some(upto), "{b}");
        cursor = upto;
    }
}

cli_on_both!(
    webhooks_check_the_target_again_at_every_delivery,
    |d: Deployment| async move {
        assert_eq!(d.run(&["keygen"]).code, 0);
        let officer = token(&d, "credit_officer", "officer-1");
        let bank = token(&d, "external_system", "bank-a");
        let receiver = Receiver::start(0).await;
        // subscribed while the operator allowed loopback ...
        let serve = Serve::start(&d);
        let url = format!("{}/bank", receiver.base);
        let body = json!({"url": url, "lists": ["serious"]});
        let (status, sub) = serve
            .call("POST", "/v1/credit/subscriptions", &bank, Some(&body))
            .await;
        assert_eq!(status, 201, "{sub}");
        let id = sub["subscription_id"].as_str().expect("id").to_string();
        serve.stop();
        // ... and delivered after the allow-list was withdrawn: refused at delivery,
        // before any connection, saying why without naming an address
        let serve = Serve::start_with(&d, &[]);
        let (status, a) = serve
            .call(
                "POST",
                "/v1/credit/entries",
                &officer,
                Some(&enter(A, "serious")),
            )
            .await;
        assert_eq!(status, 201, "{a}");
        let mut shown = Value::Null;
        for _ in 0..200 {
            shown = cursor_of(&serve, &bank, &id).await;
            if shown["delivery"]["last_error"].is_string() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let error = shown["delivery"]["last_error"].as_str().unwrap_or_default();
        assert!(error.contains("does not deliver to"), "{shown}");
        assert!(!error.contains("127.0.0.1"), "{shown}");
        assert_eq!(shown["cursor"], json!(0), "{shown}");
        assert!(
            receiver.got("/bank").is_empty(),
            "nothing reached the target"
        );
        serve.stop();
        d.finish().await;
    }
);

async fn cursor_of(serve: &Serve, token: &str, id: &str) -> Value {
    let (status, v) = serve
        .call(
            "GET",
            &format!("/v1/credit/subscriptions/{id}"),
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

cli_on_both!(
    webhooks_deliver_signed_in_order_resume_and_stop,
    |d: Deployment| async move {
        assert_eq!(d.run(&["keygen"]).code, 0);
        let officer = token(&d, "credit_officer", "officer-1");
        let bank = token(&d, "external_system", "bank-a");
        let receiver = Receiver::start(2).await;
        let serve = Serve::start(&d);

        // the bank follows the serious list; the control subscription every list
        let (status, sub) = serve
            .call(
                "POST",
                "/v1/credit/subscriptions",
                &bank,
                Some(
                    &json!({"url": format!("{}/bank", receiver.base), "lists": ["serious"],
                         "description": "loan desk"}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{sub}");
        let id = sub["subscription_id"].as_str().expect("id").to_string();
        let secret = sub["secret"]
            .as_str()
            .expect("the secret, once")
            .to_string();
        assert_eq!(sub["lists"], json!(["serious"]));
        let (status, control) = serve
            .call(
                "POST",
                "/v1/credit/subscriptions",
                &officer,
                Some(&json!({"url": format!("{}/control", receiver.base)})),
            )
            .await;
        assert_eq!(status, 201, "{control}");
        let control_secret = control["secret"].as_str().expect("secret").to_string();
        // the secret is never shown again, nor stored
        let shown = cursor_of(&serve, &bank, &id).await;
        assert!(shown.get("secret").is_none(), "{shown}");
        assert!(!shown.to_string().contains(&secret));

        // changes: A serious, B focus (not the bank's), A's entry annulled
        let mut entries = HashSet::new();
        let (status, a) = serve
            .call(
                "POST",
                "/v1/credit/entries",
                &officer,
                Some(&enter(A, "serious")),
            )
            .await;
        assert_eq!(status, 201, "{a}");
        let a_entry = a["entry_id"].as_str().expect("entry").to_string();
        entries.insert(a_entry.clone());
        let (status, b) = serve
            .call(
                "POST",
                "/v1/credit/entries",
                &officer,
                Some(&enter(B, "focus")),
            )
            .await;
        assert_eq!(status, 201, "{b}");
        let b_entry = b["entry_id"].as_str().expect("entry").to_string();
        let (status, annulled) = serve
            .call(
                "POST",
                &format!("/v1/credit/entries/{a_entry}/annulment"),
                &officer,
                Some(&json!({"subject": A, "reason": "entered by mistake"})),
            )
            .await;
        assert!((200..300).contains(&status), "{annulled}");
        let expected = feed(&serve, &officer, &entries).await;
        assert_eq!(
            expected.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(),
            ["entered", "corrected"]
        );

        let batches = until("the bank's changes", || {
            let b = receiver.accepted("/bank");
            (delivered(&b).len() >= expected.len()).then_some(b)
        })
        .await;
        assert_eq!(delivered(&batches), expected);
        assert_chained(&batches, 0);
        let got = receiver.got("/bank");
        // two refusals, then the same batch accepted: same delivery id, same body
        assert_eq!(
            got.iter().take(3).map(|g| g.status).collect::<Vec<_>>(),
            [500, 500, 204]
        );
        assert!(got
            .iter()
            .take(3)
            .all(|g| g.delivery == got[0].delivery && g.body == got[0].body));
        for g in &got {
            verify(&secret, g);
            assert_eq!(g.json()["subscription_id"], json!(id));
            assert_eq!(g.json()["delivery_id"], json!(g.delivery));
        }
        // the control subscription gets B's focus entry too
        let mut all = entries.clone();
        all.insert(b_entry.clone());
        let everything = feed(&serve, &officer, &all).await;
        let control_batches = until("the control's changes", || {
            let b = receiver.accepted("/control");
            (delivered(&b).len() >= everything.len()).then_some(b)
        })
        .await;
        assert_eq!(delivered(&control_batches), everything);
        for g in receiver.got("/control") {
            verify(&control_secret, &g);
        }

        // the cursor is recorded
        let upto = batches
            .last()
            .and_then(|b| b["upto"].as_u64())
            .expect("upto");
        let shown = until_cursor(&serve, &bank, &id, upto, false).await;
        assert_eq!(shown["deliveries"].as_u64(), Some(batches.len() as u64));
        assert_eq!(
            shown["changes_delivered"].as_u64(),
            Some(expected.len() as u64)
        );
        assert_eq!(shown["active"], json!(true));
        assert_eq!(shown["owner"], json!("bank-a"));

        // restart: only what comes after the cursor is sent — also after the read model
        // that holds the cursor is rebuilt from the Delivered facts
        serve.stop();
        let rebuilt = d.run(&["projections", "rebuild", "credit_subscriptions"]);
        assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
        let before = receiver.got("/bank").len();
        let acknowledged: HashSet<String> = receiver
            .got("/bank")
            .iter()
            .filter(|g| g.status < 300)
            .map(|g| g.delivery.clone())
            .collect();
        let serve = Serve::start(&d);
        let (status, c) = serve
            .call(
                "POST",
                "/v1/credit/entries",
                &officer,
                Some(&enter(C, "serious")),
            )
            .await;
        assert_eq!(status, 201, "{c}");
        let c_entry = c["entry_id"].as_str().expect("entry").to_string();
        let after_restart = until("C's entry at the bank", || {
            let got = receiver.got("/bank");
            let new: Vec<Got> = got[before..].to_vec();
            new.iter().any(|g| g.status < 300).then_some(new)
        })
        .await;
        for g in &after_restart {
            assert!(
                !acknowledged.contains(&g.delivery),
                "re-sent {}",
                g.delivery
            );
            verify(&secret, g);
            let body = g.json();
            assert_eq!(body["after"].as_u64(), Some(upto), "{body}");
            let ids: Vec<&str> = body["changes"]
                .as_array()
                .expect("changes")
                .iter()
                .filter_map(|c| c["entry_id"].as_str())
                .collect();
            assert_eq!(ids, [c_entry.as_str()], "{body}");
        }
        // the receiver answered before the service recorded the delivery: wait for the
        // record, or the unsubscription below could come first and the cursor stay put
        until_cursor(&serve, &bank, &id, upto, true).await;

        // unsubscribe: the bank gets nothing more, the control still does
        let (status, ended) = serve
            .call(
                "DELETE",
                &format!("/v1/credit/subscriptions/{id}"),
                &bank,
                None,
            )
            .await;
        assert_eq!(status, 200, "{ended}");
        assert_eq!(ended["active"], json!(false));
        assert_eq!(ended["ended_by"], json!("bank-a"));
        let bank_requests = receiver.got("/bank").len();
        let (status, dd) = serve
            .call(
                "POST",
                "/v1/credit/entries",
                &officer,
                Some(&enter(D, "serious")),
            )
            .await;
        assert_eq!(status, 201, "{dd}");
        let d_entry = dd["entry_id"].as_str().expect("entry").to_string();
        until("D's entry at the control", || {
            delivered(&receiver.accepted("/control"))
                .iter()
                .any(|c| c.2 == d_entry)
                .then_some(())
        })
        .await;
        assert_eq!(receiver.got("/bank").len(), bank_requests);
        let (status, again) = serve
            .call(
                "DELETE",
                &format!("/v1/credit/subscriptions/{id}"),
                &bank,
                None,
            )
            .await;
        assert_eq!(status, 409, "{again}");
        serve.stop();
        // the CLI lists what the log records
        let listed = d.run(&["--format", "json", "credit", "subscriptions"]);
        assert_eq!(listed.code, 0, "{}", listed.stderr);
        let listed: Value = serde_json::from_str(&listed.stdout).expect("JSON");
        let rows = listed["subscriptions"].as_array().expect("rows");
        assert_eq!(rows.len(), 2, "{listed}");
        let bank_row = rows
            .iter()
            .find(|r| r["subscription_id"] == json!(id))
            .expect("the bank's");
        assert_eq!(bank_row["active"], json!(false));
        assert!(bank_row["cursor"].as_u64() > Some(upto), "{bank_row}");
        let active = d.run(&["--format", "json", "credit", "subscriptions", "--active"]);
        let active: Value = serde_json::from_str(&active.stdout).expect("JSON");
        assert_eq!(active["subscriptions"].as_array().map(Vec::len), Some(1));
        // every subscription fact is in the verified ledger
        let verified = d.run(&["log", "verify"]);
        assert_eq!(verified.code, 0, "{}", verified.stderr);
        receiver.task.abort();
        d.finish().await;
    }
);

/// The subscription once its recorded cursor is `upto` (`past`: beyond `upto`).
async fn until_cursor(serve: &Serve, token: &str, id: &str, upto: u64, past: bool) -> Value {
    let start = std::time::Instant::now();
    loop {
        let v = cursor_of(serve, token, id).await;
        let cursor = v["cursor"].as_u64();
        if (past && cursor > Some(upto)) || (!past && cursor == Some(upto)) {
            return v;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "cursor never reached {upto} (past: {past}): {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bad input answers 400 naming the field, a wrong role 403, another system's
/// subscription 404 — and none of them records anything.
async fn bad_subscriptions_record_nothing(app: &TestApp) {
    let bank = app.token(Role::ExternalSystem).await;
    let supervisor = app.token(Role::Supervisor).await;
    let planner = app.token(Role::Planner).await;
    let size = app.ledger_size().await;
    for (body, at) in [
        (json!({"url": "ftp://example.org/x"}), "$.url"),
        (json!({"url": "https://example.org/x"}), "$.url"),
        (json!({"url": "http://user:pw@example.org/"}), "$.url"),
        (json!({"url": "example.org"}), "$.url"),
        (
            json!({"url": format!("http://example.org/{}", "a".repeat(3000))}),
            "$.url",
        ),
        (
            json!({"url": "http://example.org/", "lists": ["nope"]}),
            "$.lists[0]",
        ),
        (
            json!({"url": "http://example.org/", "description": "x".repeat(501)}),
            "$.description",
        ),
        (json!({"url": "http://example.org/", "extra": 1}), "$"),
    ] {
        let res = app
            .send(post_json("/v1/credit/subscriptions", &body, Some(&bank)))
            .await;
        let p = res.problem(400, "bad-request");
        let paths: Vec<&str> = p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["path"].as_str())
            .collect();
        assert!(paths.iter().any(|x| x.starts_with(at)), "{body}: {p}");
    }
    // a body over 16 KiB
    let huge = json!({"url": "http://example.org/", "description": "x".repeat(20_000)});
    app.send(post_json("/v1/credit/subscriptions", &huge, Some(&bank)))
        .await
        .problem(413, "payload-too-large");
    // issue 27: targets inside the network are refused however they are written (the
    // operator's --webhook-allow is empty here), and the refusal names no address
    for internal in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0/hook",
        "http://2130706433/hook",
        "http://0x7f.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ] {
        let body = json!({ "url": internal });
        let res = app
            .send(post_json("/v1/credit/subscriptions", &body, Some(&bank)))
            .await;
        let p = res.problem(422, "invalid-input");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("does not deliver to"), "{internal}: {p}");
        assert!(!detail.contains("127.") && !detail.contains("::1"), "{p}");
    }
    // a public address (documentation range: never contacted, no delivery runs here)
    let ok = json!({"url": "http://203.0.113.10:9/hook"});
    for token in [&supervisor, &planner] {
        app.send(post_json("/v1/credit/subscriptions", &ok, Some(token)))
            .await
            .problem(403, "forbidden");
    }
    assert_eq!(app.ledger_size().await, size, "nothing was recorded");
    // one valid subscription; another system cannot see or end it
    let res = app
        .send(post_json("/v1/credit/subscriptions", &ok, Some(&bank)))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let id = res.json()["subscription_id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(app.ledger_size().await, size + 1);
    let other = app.state.clone();
    let issuer = jianxin_domain::event_log::Actor::new("test-setup", Role::Admin);
    let other_bank = jianxin_api::ops::issue_token(
        &other,
        &issuer,
        "bank-b",
        Role::ExternalSystem,
        vec!["government_procurement".into()],
        chrono::Duration::hours(1),
    )
    .await
    .expect("token")
    .token;
    let path = format!("/v1/credit/subscriptions/{id}");
    app.get(&path, Some(&other_bank))
        .await
        .problem(404, "not-found");
    let listed = app.get("/v1/credit/subscriptions", Some(&other_bank)).await;
    assert_eq!(listed.json()["subscriptions"], json!([]));
    let listed = app.get("/v1/credit/subscriptions", Some(&supervisor)).await;
    assert_eq!(
        listed.json()["subscriptions"].as_array().map(Vec::len),
        Some(1)
    );
    app.call(axum::http::Method::DELETE, &path, Some(&other_bank))
        .await
        .problem(404, "not-found");
    app.get("/v1/credit/subscriptions/not-a-uuid", Some(&bank))
        .await
        .problem(400, "bad-request");
    let shown = app.get(&path, Some(&bank)).await;
    assert_eq!(shown.status.as_u16(), 200, "{}", shown.text());
    assert_eq!(shown.json()["cursor"], json!(0));
    assert_eq!(shown.json()["delivery"]["attempts"], json!(0));
}
on_both!(bad_subscriptions_record_nothing);

/// Bodies and ids for the subscription routes of the access matrix (`http.rs`): each
/// caller that may subscribe gets a subscription of its own to read and end.
pub struct MatrixSubscriptions;

impl MatrixSubscriptions {
    pub async fn call(
        app: &TestApp,
        method: &str,
        template: &str,
        token: Option<&str>,
    ) -> Option<crate::helpers::TestResponse> {
        if !template.starts_with("/v1/credit/subscriptions") {
            return None;
        }
        let body = json!({"url": "http://203.0.113.10:9/matrix", "description": "matrix"});
        if (method, template) == ("POST", "/v1/credit/subscriptions") {
            return Some(app.send(post_json(template, &body, token)).await);
        }
        if template == "/v1/credit/subscriptions" {
            return Some(app.get(template, token).await);
        }
        // the caller's own subscription when it may subscribe, else one of an officer's
        let own = app
            .send(post_json("/v1/credit/subscriptions", &body, token))
            .await;
        let id = if own.status.as_u16() == 201 {
            own.json()["subscription_id"].as_str().map(str::to_string)
        } else {
            None
        };
        let id = match id {
            Some(id) => id,
            None => {
                let officer = app.token(Role::CreditOfficer).await;
                let res = app
                    .send(post_json("/v1/credit/subscriptions", &body, Some(&officer)))
                    .await;
                assert_eq!(res.status.as_u16(), 201, "{}", res.text());
                res.json()["subscription_id"]
                    .as_str()
                    .expect("id")
                    .to_string()
            }
        };
        let uri = template.replace("{id}", &id);
        let method = match method {
            "DELETE" => axum::http::Method::DELETE,
            _ => axum::http::Method::GET,
        };
        Some(app.call(method, &uri, token).await)
    }
}
