//! The public site (一公开), no login: the inspection tasks and their draws, each with
//! its frozen pool digest, randomness inputs, result and a "verify it yourself"
//! section; the published results with a chart by category; the current signed
//! checkpoint; a subject lookup by USCC showing its list entries in force. Everything
//! shown is what the public API routes answer, or the public parts of a task's state.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use uuid::Uuid;

use super::call;
use super::charts::bars;
use super::html::{error_page, esc, json, page, q, s, text, Lang, Viewer};
use crate::ops::OpError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/web/", get(home))
        .route("/web/tasks/{id}", get(task))
        .route("/web/checkpoint", get(checkpoint))
        .route("/web/subjects", get(subject))
}

fn public_viewer(path: &str) -> Viewer<'_> {
    Viewer {
        claims: None,
        csrf: None,
        path,
    }
}

/// The home page: tasks, published results, the chart by category.
async fn home(State(state): State<AppState>, lang: Lang) -> Response {
    let viewer = public_viewer("/web/");
    let tasks = call::get(&state, "/v1/public/tasks?limit=200", None).await;
    if !tasks.ok() {
        return error_page(lang, &viewer, tasks.status, &tasks.detail());
    }
    let mut body = format!(
        "<p>{}</p><h2>{}</h2><table class=\"data\" id=\"tasks\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t(
            "双随机、一公开：每一次抽取都可由任何人复核。以下为抽查任务、抽取过程与检查结果。",
            "Random draws, published results: anyone can re-check every draw. Below are the inspection tasks, their draws and their results."
        ),
        lang.t("抽查任务", "Inspection tasks"),
        lang.t("任务", "Task"),
        lang.t("状态", "Status"),
        lang.t("检查日期", "Inspection date"),
        lang.t("部门", "Departments"),
        lang.t("名录池", "Pool"),
        lang.t("抽中", "Drawn"),
    );
    for t in tasks.json.as_array().map(Vec::as_slice).unwrap_or_default() {
        body.push_str(&format!(
            "<tr><td><a class=\"task-link\" href=\"/web/tasks/{id}\">{title}</a></td><td>{status}</td><td>{date}</td><td>{deps}</td><td>{pool}</td><td>{drawn}</td></tr>",
            id = q(s(t, "id")),
            title = esc(s(t, "title")),
            status = esc(&status_name(lang, s(t, "status"))),
            date = esc(s(t, "inspection_date")),
            deps = json(t.get("departments").unwrap_or(&Value::Null)),
            pool = esc(&text(t, "pool_size")),
            drawn = esc(&text(t, "drawn_subjects")),
        ));
    }
    body.push_str("</tbody></table>");
    let feed = call::get(&state, "/v1/public/results/feed.json", None).await;
    let items: Vec<&Value> = feed
        .json
        .get("items")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|i| i.get("_jianxin")).collect())
        .unwrap_or_default();
    let mut by_category: BTreeMap<String, u64> = BTreeMap::new();
    for item in &items {
        let category = item
            .pointer("/content/category")
            .and_then(Value::as_str)
            .unwrap_or("?");
        *by_category
            .entry(category_name(lang, category))
            .or_default() += 1;
    }
    body.push_str(&format!(
        "<h2>{}</h2>{}",
        lang.t("已公示的检查结果", "Published results"),
        bars(
            "chart-results",
            lang.t("检查结果（按类别）", "Results by category"),
            &by_category.into_iter().collect::<Vec<_>>()
        )
    ));
    body.push_str(&published_table(lang, &items));
    body.push_str(&format!(
        "<p><a href=\"/v1/public/results/feed.json\">JSON Feed</a> · <a href=\"/web/checkpoint\">{}</a> · <a href=\"/web/subjects\">{}</a></p>",
        lang.t("当前签名检查点", "Current signed checkpoint"),
        lang.t("按统一社会信用代码查询主体", "Look a subject up by USCC"),
    ));
    page(
        lang,
        &viewer,
        lang.t("监信 · 公开信息", "jianxin · public information"),
        &body,
    )
    .into_response()
}

fn published_table(lang: Lang, items: &[&Value]) -> String {
    if items.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            lang.t("尚无公示结果", "Nothing published yet")
        );
    }
    let mut out = format!(
        "<table class=\"data\" id=\"published\"><thead><tr><th>{}</th><th>USCC</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t("任务", "Task"),
        lang.t("结果", "Result"),
        lang.t("版本", "Version"),
        lang.t("公示时间", "Published at"),
    );
    for i in items {
        out.push_str(&format!(
            "<tr><td><a href=\"/web/tasks/{t}\">{ts}</a></td><td>{u}</td><td>{c}</td><td>{v}</td><td>{p}</td></tr>",
            t = q(s(i, "task_id")),
            ts = esc(s(i, "task_id").get(..8).unwrap_or_default()),
            u = esc(s(i, "uscc")),
            c = esc(&category_name(lang, i.pointer("/content/category").and_then(Value::as_str).unwrap_or_default())),
            v = esc(&text(i, "version")),
            p = esc(s(i, "published_at")),
        ));
    }
    out.push_str("</tbody></table>");
    out
}

/// A result category for people: its Chinese name in Chinese, its stored name in English.
fn category_name(lang: Lang, category: &str) -> String {
    match super::inspector::CATEGORIES
        .iter()
        .find(|(c, _)| *c == category)
    {
        Some((c, zh)) => lang.t(zh, c).to_string(),
        None => category.to_string(),
    }
}

fn status_name(lang: Lang, status: &str) -> String {
    let (zh, en) = match status {
        "open" => ("待冻结", "open"),
        "frozen" => ("已冻结名录，待抽取", "frozen, awaiting the draw"),
        "drawn" => ("已抽取", "drawn"),
        "draw_failed" => ("抽取失败", "draw failed"),
        other => (other, other),
    };
    lang.t(zh, en).to_string()
}

/// One task: the frozen pool, the randomness, the draw, the results, how to verify.
async fn task(
    State(state): State<AppState>,
    lang: Lang,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let path = format!("/web/tasks/{id}");
    let viewer = public_viewer(&path);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(
            lang,
            &viewer,
            StatusCode::BAD_REQUEST,
            "not a task id (UUID)",
        );
    };
    let task = match crate::tasks::load(&state.log, id).await {
        Ok(t) => t,
        Err(OpError::NotFound(m)) => return error_page(lang, &viewer, StatusCode::NOT_FOUND, &m),
        Err(e) => {
            return error_page(
                lang,
                &viewer,
                StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
            )
        }
    };
    let outcome = match crate::tasks::last_outcome(&state.log, id).await {
        Ok(o) => o,
        Err(e) => {
            return error_page(
                lang,
                &viewer,
                StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
            )
        }
    };
    let (window_from, window_to) = task.window;
    let departments: Vec<String> = task
        .departments()
        .iter()
        .map(|d| d.as_str().to_owned())
        .collect();
    let mut body = format!(
        "<table class=\"kv\" id=\"task-facts\"><tr><th>{}</th><td><code>{id}</code></td></tr>\
<tr><th>{}</th><td id=\"task-status\">{}</td></tr><tr><th>{}</th><td>{}</td></tr>\
<tr><th>{}</th><td>{window_from} — {window_to}</td></tr><tr><th>{}</th><td>{}</td></tr></table>",
        lang.t("任务编号", "Task id"),
        lang.t("状态", "Status"),
        esc(&status_name(lang, task.phase.as_str())),
        lang.t("部门", "Departments"),
        esc(&departments.join(", ")),
        lang.t("检查时间窗", "Window"),
        lang.t("抽取次数", "Draws run"),
        task.attempts,
    );
    body.push_str(&format!(
        "<h2>{}</h2>",
        lang.t("冻结的名录池", "The frozen pool")
    ));
    match &task.freeze {
        Some(f) => body.push_str(&format!(
            "<table class=\"kv\" id=\"freeze\"><tr><th>{}</th><td>{}</td></tr>\
<tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>\
<tr><th>{}</th><td><code id=\"pool-digest\">{}</code></td></tr></table>",
            lang.t("名录日期", "Pool as of"),
            f.as_of,
            lang.t("池中主体", "Subjects in the pool"),
            f.texts.subjects.lines().count().saturating_sub(1),
            lang.t("排除的主体", "Subjects excluded"),
            f.excluded.len(),
            lang.t("名录摘要 SHA-256", "Pool digest SHA-256"),
            hex::encode(f.digests.subjects),
        )),
        None => body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            lang.t("尚未冻结", "not frozen yet")
        )),
    }
    body.push_str(&format!(
        "<h2>{}</h2><table class=\"kv\" id=\"randomness\">",
        lang.t("随机数输入", "Randomness inputs")
    ));
    if let Some(f) = &task.freeze {
        body.push_str(&format!(
            "<tr><th>{}</th><td>{} #{}</td></tr><tr><th>{}</th><td>{}</td></tr>",
            lang.t("公共随机信标 (drand)", "Public beacon (drand)"),
            esc(&f.beacon.chain),
            f.beacon.round,
            lang.t("信标轮次时间", "Round time"),
            f.round_time,
        ));
    }
    if let Some(b) = &task.beacon {
        body.push_str(&format!(
            "<tr><th>{}</th><td><code class=\"wrap\">{}</code></td></tr>",
            lang.t("信标签名", "Beacon signature"),
            hex::encode(&b.signature)
        ));
    }
    for (department, c) in &task.commitments {
        body.push_str(&format!(
            "<tr><th>{} {}</th><td><code class=\"wrap\">{}</code> {}</td></tr>",
            lang.t("部门承诺", "Commitment of"),
            esc(department.as_str()),
            hex::encode(c.commitment),
            if c.secret.is_some() {
                lang.t("（已揭示）", "(revealed)")
            } else {
                lang.t("（未揭示）", "(not revealed)")
            },
        ));
    }
    if let Some(seed) = &outcome.seed {
        body.push_str(&format!(
            "<tr><th>{}</th><td><code class=\"wrap\" id=\"seed\">{}</code></td></tr>",
            lang.t("抽取种子", "Seed"),
            esc(seed)
        ));
    }
    body.push_str("</table>");
    body.push_str(&format!("<h2>{}</h2>", lang.t("抽取结果", "The draw")));
    if outcome.teams.is_empty() && outcome.unstaffable.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            lang.t("尚未抽取", "not drawn yet")
        ));
    } else {
        body.push_str(&json(&serde_json::json!({
            "status": outcome.status, "attempt": outcome.attempt,
            "teams": outcome.teams, "unstaffable": outcome.unstaffable,
        })));
    }
    let results = call::get(&state, &format!("/v1/public/tasks/{id}/results"), None).await;
    body.push_str(&format!(
        "<h2>{}</h2>",
        lang.t("已公示的检查结果", "Published results")
    ));
    let items: Vec<&Value> = results
        .json
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    body.push_str(&published_table(lang, &items));
    body.push_str(&verify_section(
        lang,
        id,
        task.phase.as_str(),
        &site_of(&headers),
    ));
    page(lang, &viewer, &task.title, &body).into_response()
}

/// This site's address as the visitor reached it (`Host`, and `X-Forwarded-Proto` from a
/// TLS-terminating proxy), so that the commands shown work when copied; `$SITE` when
/// the request names no plausible host.
fn site_of(headers: &axum::http::HeaderMap) -> String {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let plausible = |h: &&str| {
        !h.is_empty()
            && h.len() <= 255
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    };
    let Some(host) = text("host").filter(plausible) else {
        return "$SITE".into();
    };
    let scheme = match text("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

fn verify_section(lang: Lang, id: Uuid, phase: &str, site: &str) -> String {
    let site = esc(site);
    let drawn = phase == "drawn" || phase == "draw_failed";
    let download = if drawn {
        format!(
            "<p><a id=\"bundle-link\" href=\"/v1/public/tasks/{id}/bundle\" download>{}</a> · <a href=\"/v1/log/key\">{}</a> · <a href=\"/web/checkpoint\">{}</a></p>",
            lang.t("下载抽取证据包 (zip)", "Download the draw bundle (zip)"),
            lang.t("验证公钥", "Verifier key"),
            lang.t("当前签名检查点", "Current signed checkpoint"),
        )
    } else {
        format!(
            "<p class=\"muted\">{}</p>",
            lang.t(
                "抽取完成后可下载证据包",
                "The bundle is available once the task is drawn"
            )
        )
    };
    format!(
        "<section class=\"verify\" id=\"verify\"><h2>{}</h2><p>{}</p>{download}\
<pre id=\"verify-command\">curl -o draw.zip {site}/v1/public/tasks/{id}/bundle\n\
unzip draw.zip -d draw-{id}\n\
curl -o jianxin.pub {site}/v1/log/key\n\
jianxin draw verify draw-{id} --key jianxin.pub</pre><p>{}</p></section>",
        lang.t("自行验证", "Verify it yourself"),
        lang.t(
            "证据包包含冻结的名录、随机数输入、抽取结果及其在日志中的包含证明。任何人都可以不依赖本系统的数据库重新计算抽取：",
            "The bundle holds the frozen pool, the randomness inputs, the draw and their inclusion proofs in the log. Anyone can re-run the draw without this system's database:"
        ),
        lang.t(
            "输出 ok 即表示抽取与公布的输入一致；否则命令以退出码 3 指出出错的文件。算法见 docs/DRAW.md。",
            "`ok` means the draw follows from the published inputs; otherwise the command exits 3 naming the file. The algorithm is docs/DRAW.md."
        ),
    )
}

/// The current signed checkpoint and the key that checks it.
async fn checkpoint(State(state): State<AppState>, lang: Lang) -> Response {
    let viewer = public_viewer("/web/checkpoint");
    let note = call::get(&state, "/v1/log/checkpoint", None).await;
    if !note.ok() {
        return error_page(lang, &viewer, note.status, &note.detail());
    }
    let key = call::get(&state, "/v1/log/key", None).await;
    let stored = call::get(&state, "/v1/public/checkpoints?limit=1000", None).await;
    let mut archive = String::new();
    if let Some(list) = stored.json.get("checkpoints").and_then(|c| c.as_array()) {
        for c in list.iter().rev().take(20) {
            let text = |k: &str| {
                c.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let size = c
                .get("tree_size")
                .and_then(|v| v.as_i64())
                .unwrap_or_default();
            archive.push_str(&format!(
                "<tr><td>{}</td><td>{size}</td><td><code>{}</code></td></tr>",
                esc(&text("due_at")),
                esc(&text("root_hash")),
            ));
        }
    }
    let archive = if archive.is_empty() {
        format!(
            "<p>{}</p>",
            lang.t("尚无存档的检查点。", "No checkpoint stored yet.")
        )
    } else {
        format!(
            "<table id=\"stored-checkpoints\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>{archive}</table>\
<p><a href=\"/v1/public/checkpoints\">/v1/public/checkpoints</a></p>",
            lang.t("签署时点", "Due at"),
            lang.t("树大小", "Tree size"),
            lang.t("树根", "Root"),
        )
    };
    let body = format!(
        "<p>{}</p><pre id=\"checkpoint\">{}</pre><h2>{}</h2><pre id=\"key\">{}</pre>\
<p><code>jianxin log verify-proof --checkpoint checkpoint.txt --proof proof.json</code></p>\
<h2>{}</h2>{archive}",
        lang.t(
            "检查点对日志的 Merkle 树根签名。保存它：以后的任何检查点都必须与它一致（一致性证明）。",
            "The checkpoint signs the root of the log's Merkle tree. Keep it: every later checkpoint must be consistent with it (consistency proof)."
        ),
        esc(&note.text),
        lang.t("验证公钥", "Verifier key"),
        esc(&key.text),
        lang.t("定时存档的检查点（最近 20 个）", "Checkpoints stored by the scheduler (latest 20)"),
    );
    page(
        lang,
        &viewer,
        lang.t("当前签名检查点", "Current signed checkpoint"),
        &body,
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct UsccQuery {
    uscc: Option<String>,
}

/// A subject's list entries in force today (the lists are public by design).
async fn subject(
    State(state): State<AppState>,
    lang: Lang,
    Query(uq): Query<UsccQuery>,
) -> Response {
    let viewer = public_viewer("/web/subjects");
    let uscc = uq.uscc.unwrap_or_default();
    let uscc = uscc.trim();
    let mut body = format!(
        "<form method=\"get\" action=\"/web/subjects\" class=\"card\"><label for=\"uscc\">{}</label>\
<input id=\"uscc\" name=\"uscc\" value=\"{}\" maxlength=\"18\" pattern=\"[0-9A-HJ-NPQRTUWXY]{{18}}\" required>\
<button type=\"submit\">{}</button></form>",
        lang.t("统一社会信用代码", "Unified social credit code (USCC)"),
        esc(uscc),
        lang.t("查询", "Look up"),
    );
    if !uscc.is_empty() {
        match crate::credit::entries_of(&state.log, state.clock.as_ref(), uscc, None).await {
            Ok(entries) => {
                let today = crate::results::today(state.clock.now());
                let in_force: Vec<_> = entries.iter().filter(|e| e.covers(today)).collect();
                body.push_str(&format!(
                    "<h2>{} {}</h2>",
                    lang.t("列入名单情况", "List entries of"),
                    esc(uscc)
                ));
                if in_force.is_empty() {
                    body.push_str(&format!(
                        "<p id=\"no-entries\">{}</p>",
                        lang.t("目前未被列入任何名单", "On no list today")
                    ));
                } else {
                    let rows: Vec<Value> = in_force
                        .iter()
                        .map(|e| serde_json::json!({
                            "list": e.list.as_str(), "reason": e.reason, "legal_basis": e.legal_basis,
                            "entered_on": e.entered_on, "until": e.end(),
                        }))
                        .collect();
                    body.push_str(&format!(
                        "<div id=\"entries\">{}</div>",
                        json(&Value::Array(rows))
                    ));
                }
            }
            Err(OpError::Invalid { message, .. }) => {
                body.push_str(&format!(
                    "<p class=\"error\" id=\"error\">{}</p>",
                    esc(&message)
                ));
            }
            Err(e) => {
                return error_page(
                    lang,
                    &viewer,
                    StatusCode::SERVICE_UNAVAILABLE,
                    &e.to_string(),
                )
            }
        }
    }
    page(lang, &viewer, lang.t("主体查询", "Subject lookup"), &body).into_response()
}
