//! The web workbench in a real browser (issue 10): Debian's headless `chromium`, driven
//! through `chromedriver` (W3C WebDriver over plain HTTP, spoken here with a few lines
//! of std networking), against the real `jianxin serve --demo` on a temporary SQLite
//! database (the demo province, its tokens and its published results). Each page
//! visited is saved as a screenshot under `target/browser-screenshots/`. `scripts/test` installs `chromium` and
//! `chromium-driver` when missing; a test that cannot find them fails, never skips
//! (`JIANXIN_CHROMIUM`, `JIANXIN_CHROMEDRIVER` override the paths).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::binary::jianxin_bin;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A subject on the serious list from 2024-03-01 to 2027-03-01 in the demo.
const DEMO_SERIOUS: &str = "91330102MA00000587";
/// A serious-list entry of 2025-05-01 annulled as wrongful on 2025-08-01 in the demo.
const DEMO_ANNULLED: &str = "91330102MA00001113";

/// One HTTP/1.1 exchange (`Connection: close`): status and body.
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).expect("send");
    // read the head, then exactly the body it announces (a server may keep the
    // connection open whatever `Connection: close` asked)
    let mut raw = vec![];
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "{addr} closed the connection before answering");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let mut rest = raw[split + 4..].to_vec();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    let complete = |rest: &[u8]| match length {
        Some(n) => rest.len() >= n,
        None if chunked => rest.windows(5).any(|w| w == b"0\r\n\r\n"),
        None => false,
    };
    while !complete(&rest) {
        let n = stream.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        rest.extend_from_slice(&buf[..n]);
    }
    if chunked {
        let mut out = vec![];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
                .unwrap_or(0);
            if size == 0 || rest.len() < eol + 2 + size {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = rest[(eol + 4 + size).min(rest.len())..].to_vec();
        }
        rest = out;
    }
    (status, rest)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn tool(env: &str, default: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(std::env::var(env).unwrap_or_else(|_| default.to_string()));
    assert!(
        path.exists(),
        "{} is missing: install Debian's `{package}` (scripts/test does) or set {env}",
        path.display()
    );
    path
}

/// Kills the child when dropped (the test's own processes only).
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `jianxin serve` on a seeded temporary database.
pub(crate) struct Site {
    base: String,
    pub(crate) addr: String,
    pub(crate) tokens: HashMap<String, String>,
    _server: Proc,
    _dir: tempfile::TempDir,
}

impl Site {
    /// The folder of the site's database and key file.
    pub(crate) fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

fn start_site() -> Site {
    start_site_with(&[])
}

/// [`start_site`] with more `serve` arguments.
pub(crate) fn start_site_with(more: &[&str]) -> Site {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut serve = Command::new(jianxin_bin());
    serve
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--format",
            "json",
        ])
        .args(more)
        .env("JIANXIN_DB", dir.path().join("jianxin.db"))
        .env("JIANXIN_KEY_FILE", dir.path().join("jianxin.key"))
        .env("RUST_LOG", "warn")
        .env_remove("JIANXIN_NOW")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = serve.spawn().expect("run jianxin serve --demo");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let server = Proc(child);
    // the demo's tokens come as JSON on stdout, then "listening on <base>" on stderr
    let (lines_out, lines_in) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_out.send(line).is_err() {
                break;
            }
        }
    });
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
    let mut text = String::new();
    let seeded: Value = loop {
        let line = lines_in
            .recv_timeout(Duration::from_secs(30))
            .expect("the demo's tokens on stdout");
        text.push_str(&line);
        text.push('\n');
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let tokens = seeded["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| {
            (
                t["role"].as_str().expect("role").to_string(),
                t["token"].as_str().expect("token").to_string(),
            )
        })
        .collect();
    let addr = base.trim_start_matches("http://").to_string();
    Site {
        base,
        addr,
        tokens,
        _server: server,
        _dir: dir,
    }
}

/// A WebDriver session of headless chromium.
struct Browser {
    driver: String,
    session: String,
    shots: PathBuf,
    _chromedriver: Proc,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let chromium = tool("JIANXIN_CHROMIUM", "/usr/bin/chromium", "chromium");
        let chromedriver = tool(
            "JIANXIN_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromium-driver",
        );
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run chromedriver");
        let proc_ = Proc(child);
        let driver = format!("127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if TcpStream::connect(&driver).is_ok() {
                let (status, _) = http(&driver, "GET", "/status", None, &[]);
                if status == 200 {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,1100",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let (status, body) = http(&driver, "POST", "/session", Some(&caps.to_string()), &[]);
        let answer: Value = serde_json::from_slice(&body).expect("session JSON");
        assert_eq!(status, 200, "new session: {answer}");
        let session = answer["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        let exe = std::env::current_exe().expect("test exe");
        // target/<profile>/deps/e2e-… → target/browser-screenshots
        let target = exe
            .ancestors()
            .nth(3)
            .map(Path::to_path_buf)
            .expect("target dir");
        let shots = target.join("browser-screenshots");
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        Browser {
            driver,
            session,
            shots,
            _chromedriver: proc_,
            _profile: profile,
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let full = format!("/session/{}{path}", self.session);
        let body = body.map(|b| b.to_string());
        let (status, out) = http(&self.driver, method, &full, body.as_deref(), &[]);
        let v: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
        assert_eq!(status, 200, "{method} {path}: {v}");
        v["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn try_find(&self, css: &str) -> Result<String, String> {
        let full = format!("/session/{}/element", self.session);
        let body = json!({"using": "css selector", "value": css}).to_string();
        let (status, out) = http(&self.driver, "POST", &full, Some(&body), &[]);
        let v: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
        match v["value"][ELEMENT].as_str() {
            Some(e) if status == 200 => Ok(e.to_string()),
            _ => Err(format!("{status} {v}")),
        }
    }

    /// The element matching `css`, waiting up to 10 s for it.
    fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let last = match self.try_find(css) {
                Ok(e) => return e,
                Err(last) => last,
            };
            if started.elapsed() > Duration::from_secs(10) {
                let text = self.exec(
                    "return document.body ? document.body.innerText : ''",
                    json!([]),
                );
                panic!("no element {css} on the page ({last}); it says:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.cmd("GET", &format!("/element/{e}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})));
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    fn page_text(&self) -> String {
        self.exec("return document.body.innerText", json!([]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn screenshot(&self, name: &str) {
        let png = self.cmd("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 PNG"))
            .expect("PNG bytes");
        std::fs::write(self.shots.join(format!("{name}.png")), bytes).expect("save screenshot");
    }

    /// Logs in through the login form with `token`.
    fn login(&self, site: &Site, token: &str) {
        self.cmd("DELETE", "/cookie", None);
        self.goto(&format!("{}/web/login", site.base));
        self.type_into("#token", token);
        self.click("#login");
        self.find("form[action='/web/logout']");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            &self.driver,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
            &[],
        );
    }
}

/// Every scenario of issue 10 on one server and one browser, in order (one start-up).
#[test]
fn web_workbench_in_a_real_browser() {
    let site = start_site();
    let b = Browser::start();
    let token = |role: &str| site.tokens.get(role).cloned().expect(role);

    // --- the public: a draw, its digest and the verify command, no login -------------
    b.goto(&format!("{}/web/", site.base));
    b.find("#tasks .task-link");
    b.find("#chart-results");
    b.screenshot("01-public-home");
    let task_href = b
        .exec(
            "return document.querySelector('#tasks .task-link').getAttribute('href')",
            json!([]),
        )
        .as_str()
        .expect("a task link")
        .to_string();
    b.goto(&format!("{}{task_href}", site.base));
    let digest = b.text("#pool-digest");
    assert!(
        digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
        "{digest}"
    );
    let command = b.text("#verify-command");
    assert!(command.contains("jianxin draw verify draw-"), "{command}");
    // the commands work when copied: this site's own address, no placeholder (issue 28)
    assert!(
        command.contains(&format!("curl -o draw.zip {}/v1/public/tasks/", site.base)),
        "{command}"
    );
    assert!(!command.contains("$SITE"), "{command}");
    let randomness = b.text("#randomness");
    assert!(
        randomness.contains("#123") && randomness.contains("b75c69d0b72a5d906e854e808ba7e2ac"),
        "the drand round and its signature: {randomness}"
    );
    b.find("#bundle-link");
    b.screenshot("02-public-draw");
    let task_id = task_href.trim_start_matches("/web/tasks/").to_string();
    let (status, zip) = http(
        &site.addr,
        "GET",
        &format!("/v1/public/tasks/{task_id}/bundle"),
        None,
        &[],
    );
    assert_eq!(status, 200);
    assert!(zip.starts_with(b"PK"), "the bundle is a zip");
    b.goto(&format!("{}/web/checkpoint", site.base));
    assert!(b.text("#checkpoint").contains('—'), "a signed note");
    // the scheduler inside `serve` stores a checkpoint of the seeded log as it starts
    let mut stored = false;
    for _ in 0..40 {
        if b.page_text().contains("签署时点") {
            stored = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        b.goto(&format!("{}/web/checkpoint", site.base));
    }
    assert!(stored, "a checkpoint stored by the scheduler is listed");
    b.screenshot("03-public-checkpoint");
    b.click("#lang-toggle");
    b.find("html[lang='en']");
    assert!(b.page_text().contains("Current signed checkpoint"));
    b.goto(&format!("{}/web/subjects?uscc={DEMO_SERIOUS}", site.base));
    assert!(b.text("#entries").contains("serious"));
    b.screenshot("04-public-subject-en");
    b.goto(&format!("{}/web/lang/zh?back=/web/", site.base));
    b.find("html[lang='zh-CN']");

    // --- a page refused to the wrong role ---------------------------------------------
    b.goto(&format!("{}/web/login", site.base));
    b.find("#token");
    b.screenshot("05a-login");
    b.login(&site, &token("inspector"));
    b.goto(&format!("{}/web/credit", site.base));
    let refused = b.find("#error[data-status='403']");
    assert!(!refused.is_empty());
    assert!(b.text("#error").contains("credit_officer"));
    b.screenshot("05-forbidden-403");
    let cookie = format!("jx_token={}", token("inspector"));
    let (status, _) = http(
        &site.addr,
        "GET",
        "/web/credit",
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 403, "the server refuses, not only the page");
    let (status, _) = http(&site.addr, "GET", "/web/credit", None, &[]);
    assert_eq!(status, 303, "no session: to the login page");

    // --- an inspector records a result through the form -------------------------------
    b.goto(&format!("{}/web/inspector", site.base));
    b.find("#assignments .record-link");
    b.screenshot("06-inspector-assignments");
    b.click("#assignments .record-link");
    b.find("#result-form");
    let task = b
        .exec(
            "return document.querySelector('#result-form input[name=task]').value",
            json!([]),
        )
        .as_str()
        .expect("task")
        .to_string();
    let uscc = b
        .exec(
            "return document.querySelector('#result-form input[name=uscc]').value",
            json!([]),
        )
        .as_str()
        .expect("uscc")
        .to_string();
    b.exec(
        "document.querySelectorAll('#result-form input[name=members]').forEach(c => c.checked = true)",
        json!([]),
    );
    // a date outside the task's window: the API refuses it, the form says so
    let good_date = b
        .exec(
            "return document.getElementById('inspection_date').value",
            json!([]),
        )
        .as_str()
        .expect("date")
        .to_string();
    b.exec(
        "document.getElementById('inspection_date').value = '2019-01-02'",
        json!([]),
    );
    b.click("#submit-result");
    let errors = b.text("#form-errors");
    assert!(
        errors.contains("inspection_date") || errors.contains("window"),
        "{errors}"
    );
    b.screenshot("07-inspector-result-refused");
    b.exec(
        "document.getElementById('inspection_date').value = arguments[0]; \
         document.querySelectorAll('#result-form input[name=members]').forEach(c => c.checked = true)",
        json!([good_date]),
    );
    b.click("#submit-result");
    assert!(b.text("#recorded").contains('1'), "version 1 recorded");
    b.screenshot("08-inspector-result-recorded");
    let (status, due) = http(
        &site.addr,
        "GET",
        "/v1/publication/due",
        None,
        &[("Authorization", &format!("Bearer {}", token("planner")))],
    );
    assert_eq!(status, 200);
    let due: Value = serde_json::from_slice(&due).expect("due JSON");
    assert!(
        due.as_array()
            .expect("a list")
            .iter()
            .any(|d| d["task_id"] == task.as_str() && d["uscc"] == uscc.as_str()),
        "the recorded result is due for publication: {due}"
    );

    // --- a supervisor opens a case timeline and moves the slider ----------------------
    b.login(&site, &token("supervisor"));
    b.goto(&format!("{}/web/cases", site.base));
    b.find("#chart-deviations");
    b.find("#cases .case-link");
    b.screenshot("09-supervisor-cases");
    b.click("#cases .case-link");
    b.find("#step-slider");
    b.find("#case-timeline");
    let visible_status =
        "return document.querySelector('.step-state:not([hidden]) .state-status').textContent";
    let at_end = b
        .exec(visible_status, json!([]))
        .as_str()
        .unwrap_or_default()
        .to_string();
    b.screenshot("10-supervisor-case-last-step");
    b.exec(
        "const s = document.getElementById('step-slider'); s.value = 1; s.dispatchEvent(new Event('input'));",
        json!([]),
    );
    let at_start = b
        .exec(visible_status, json!([]))
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(at_start, at_end, "the slider replays an earlier state");
    assert!(b.text("#slider-label").starts_with("1/"));
    b.screenshot("11-supervisor-case-first-step");
    b.goto(&format!("{}/web/cases?code=deadline_missed", site.base));
    b.find("#deviations");
    b.screenshot("12-supervisor-deviations-filtered");

    // --- a credit officer's check shows the decision and its basis --------------------
    b.login(&site, &token("credit_officer"));
    b.goto(&format!("{}/web/credit", site.base));
    b.type_into("#subject", DEMO_SERIOUS);
    b.exec(
        "document.getElementById('date').value = '2026-01-01'",
        json!([]),
    );
    b.click("#run-check");
    let decision = b.find("#decision[data-decision='restricted']");
    assert!(!decision.is_empty());
    let basis = b.text("#basis");
    assert!(basis.contains("禁止参加政府采购活动"), "{basis}");
    assert!(basis.contains("《政府采购法》第二十二条"), "{basis}");
    assert!(basis.contains("serious"), "{basis}");
    b.screenshot("13-credit-check");
    // known at: an entry annulled (recorded 2025-08-01) restricted as known before it,
    // and restricts nothing as known now
    b.goto(&format!("{}/web/credit", site.base));
    b.type_into("#subject", DEMO_ANNULLED);
    b.exec(
        "document.getElementById('date').value = '2025-06-01'; \
         document.getElementById('known_at').value = '2025-07-01T10:00'",
        json!([]),
    );
    b.click("#run-check");
    b.find("#decision[data-decision='restricted']");
    b.screenshot("13b-credit-check-known-before-annulment");
    b.goto(&format!(
        "{}/web/credit?subject={DEMO_ANNULLED}&scenario=government_procurement&date=2025-06-01",
        site.base
    ));
    b.find("#decision[data-decision='allowed']");
    let why = b.text("#not-applicable");
    assert!(why.contains("annul"), "the annulment is the reason: {why}");
    b.goto(&format!("{}/web/credit/entries", site.base));
    b.find("#chart-entries");
    b.find("#repairs");
    b.screenshot("14-credit-entries");
    b.goto(&format!("{}/web/credit/queries", site.base));
    assert!(
        b.text("#queries").contains(DEMO_SERIOUS),
        "the check is in the query log"
    );
    b.screenshot("15-credit-query-log");

    // --- the planner: who was drawn and why subjects were excluded --------------------
    b.login(&site, &token("planner"));
    b.goto(&format!("{}/web/planner", site.base));
    b.find("#planner-tasks");
    b.screenshot("16-planner-tasks");
    b.goto(&format!("{}/web/planner/tasks/{task_id}", site.base));
    assert!(!b.text("#excluded").is_empty());
    b.find("#drawn table");
    b.screenshot("17-planner-task");
}
