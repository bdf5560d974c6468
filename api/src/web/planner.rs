//! The planner's workbench: the tasks (`GET /v1/tasks`), creating one from its task
//! file (`POST /v1/tasks`), and each step of its draw — commitments, freeze, reveals,
//! the beacon, the draw — as a form sent to the task's route; the task page shows who
//! was drawn and why each excluded subject was excluded (`GET /v1/tasks/{id}`).
//! Supervisors read these pages; only planners and administrators take the steps (the
//! API refuses the others, and the page says so).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::call;
use super::html::{error_page, esc, json as render, page, q, s, see_other, text, Lang};
use super::session::{FormData, Staff};
use super::PLANNING_READERS;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/web/planner", get(tasks))
        .route("/web/planner/tasks", post(create))
        .route("/web/planner/tasks/{id}", get(task))
        .route("/web/planner/tasks/{id}/{step}", post(step))
}

const SAMPLE_TASK: &str = r#"{
  "title": "2026年第四季度食品经营许可事项双随机抽查",
  "departments": ["330100-SCJG"],
  "items": ["SJ-002"],
  "scope": {"regions": ["330100"]},
  "window_from": "2026-12-01",
  "window_to": "2026-12-31",
  "inspection_date": "2026-12-10",
  "team_size": 2
}"#;

async fn tasks(State(state): State<AppState>, staff: Staff, lang: Lang) -> Response {
    let path = "/web/planner";
    if let Err(refused) = staff.require(lang, path, PLANNING_READERS) {
        return refused;
    }
    let reply = call::get(&state, "/v1/tasks?limit=200", Some(&staff.token)).await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(path), reply.status, &reply.detail());
    }
    page(
        lang,
        &staff.viewer(path),
        lang.t("抽查任务", "Inspection tasks"),
        &list_body(lang, &staff, &reply.json, None, SAMPLE_TASK),
    )
    .into_response()
}

fn list_body(
    lang: Lang,
    staff: &Staff,
    tasks: &Value,
    error: Option<&call::Reply>,
    file: &str,
) -> String {
    let mut body = format!(
        "<table class=\"data\" id=\"planner-tasks\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t("任务", "Task"),
        lang.t("状态", "Status"),
        lang.t("检查日期", "Inspection date"),
        lang.t("名录池", "Pool"),
        lang.t("排除", "Excluded"),
        lang.t("抽中", "Drawn"),
    );
    for t in tasks.as_array().map(Vec::as_slice).unwrap_or_default() {
        body.push_str(&format!(
            "<tr><td><a href=\"/web/planner/tasks/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            q(s(t, "id")),
            esc(s(t, "title")),
            esc(s(t, "status")),
            esc(s(t, "inspection_date")),
            esc(&text(t, "pool_size")),
            esc(&text(t, "excluded")),
            esc(&text(t, "drawn_subjects")),
        ));
    }
    body.push_str("</tbody></table>");
    let errors = error.map(problem_html).unwrap_or_default();
    body.push_str(&format!(
        "<h2>{}</h2>{errors}<form method=\"post\" action=\"/web/planner/tasks\" class=\"card\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<label for=\"task-file\">{}</label><textarea id=\"task-file\" name=\"file\" rows=\"12\" spellcheck=\"false\">{}</textarea>\
<button type=\"submit\">{}</button></form>",
        lang.t("新建抽查任务", "Create a task"),
        esc(&staff.csrf),
        lang.t("任务文件（JSON，见 docs/TASKS.md §2）", "The task file (JSON, docs/TASKS.md §2)"),
        esc(file),
        lang.t("创建", "Create"),
    ));
    body
}

fn problem_html(r: &call::Reply) -> String {
    let list: String = r
        .field_errors()
        .iter()
        .map(|(p, m)| format!("<li><code>{}</code> {}</li>", esc(p), esc(m)))
        .collect();
    format!(
        "<div class=\"error\" id=\"form-errors\" data-status=\"{}\"><p>{}</p><ul>{list}</ul></div>",
        r.status.as_u16(),
        esc(&r.detail())
    )
}

async fn create(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    body: axum::body::Bytes,
) -> Response {
    let path = "/web/planner";
    if let Err(refused) = staff.require(lang, path, PLANNING_READERS) {
        return refused;
    }
    let form = FormData::parse(&body);
    if let Err(refused) = staff.check_csrf(lang, &form) {
        return refused;
    }
    let file = form.get("file");
    let reply = match serde_json::from_str::<Value>(file) {
        Ok(v) => call::post(&state, "/v1/tasks", &staff.token, Some(&v)).await,
        Err(e) => call::Reply {
            status: axum::http::StatusCode::BAD_REQUEST,
            json: json!({"detail": format!("the task file is not JSON: {e}")}),
            text: String::new(),
        },
    };
    if reply.ok() {
        return see_other(&format!("/web/planner/tasks/{}", q(s(&reply.json, "id"))));
    }
    let tasks = call::get(&state, "/v1/tasks?limit=200", Some(&staff.token)).await;
    let body = list_body(lang, &staff, &tasks.json, Some(&reply), file);
    (
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        page(
            lang,
            &staff.viewer(path),
            lang.t("抽查任务", "Inspection tasks"),
            &body,
        ),
    )
        .into_response()
}

async fn task(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<String>,
) -> Response {
    let path = format!("/web/planner/tasks/{id}");
    if let Err(refused) = staff.require(lang, &path, PLANNING_READERS) {
        return refused;
    }
    let reply = call::get(&state, &format!("/v1/tasks/{}", q(&id)), Some(&staff.token)).await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(&path), reply.status, &reply.detail());
    }
    let t = &reply.json;
    let excluded = t
        .pointer("/freeze/excluded")
        .cloned()
        .unwrap_or(Value::Null);
    let teams = t.pointer("/draw/teams").cloned().unwrap_or(Value::Null);
    let form = |step: &str, fields: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/web/planner/tasks/{}/{step}\" class=\"card step-form\" id=\"step-{step}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{fields}<button type=\"submit\">{}</button></form>",
            q(&id),
            esc(&staff.csrf),
            esc(label)
        )
    };
    let body = format!(
        "<p>{l_status}: <strong id=\"task-status\">{status}</strong> · <a href=\"/web/tasks/{qid}\">{l_public}</a></p>\
<h2>{l_drawn}</h2><div id=\"drawn\">{teams}</div><h2>{l_excluded}</h2><div id=\"excluded\">{excluded}</div>\
<h2>{l_steps}</h2><div class=\"steps\">{commit}{freeze}{reveal}{beacon}{draw}</div><h2>{l_all}</h2>{all}",
        l_status = lang.t("状态", "Status"),
        status = esc(s(t, "status")),
        qid = q(&id),
        l_public = lang.t("公开页面", "public page"),
        l_drawn = lang.t("抽中的主体与检查组", "Who was drawn"),
        teams = render(&teams),
        l_excluded = lang.t("冻结时排除的主体及原因", "Subjects excluded at the freeze, and why"),
        excluded = render(&excluded),
        l_steps = lang.t("抽取步骤", "The draw, step by step"),
        commit = form("commitments", &format!("<label>{}<input name=\"department\" required></label><label>{}<input name=\"commitment\" pattern=\"[0-9a-f]{{64}}\" required></label>", lang.t("部门", "Department"), lang.t("承诺（SHA-256）", "Commitment (SHA-256)")), lang.t("登记部门承诺", "Record a commitment")),
        freeze = form("freeze", &format!("<label>{}<input name=\"round\" inputmode=\"numeric\"></label>", lang.t("信标轮次（可选）", "Beacon round (optional)")), lang.t("冻结名录", "Freeze the pool")),
        reveal = form("reveals", &format!("<label>{}<input name=\"department\" required></label><label>{}<input name=\"secret\" required></label>", lang.t("部门", "Department"), lang.t("秘密值", "Secret")), lang.t("揭示秘密值", "Reveal")),
        beacon = form("beacon", &format!("<label>{}<input name=\"round\" required inputmode=\"numeric\"></label><label>{}<input name=\"signature\" required></label>", lang.t("信标轮次", "Round"), lang.t("信标签名", "Signature")), lang.t("录入随机信标", "Enter the beacon")),
        draw = form("draw", "", lang.t("执行抽取", "Run the draw")),
        l_all = lang.t("完整记录", "Everything on record"),
        all = render(t),
    );
    page(lang, &staff.viewer(&path), s(t, "title"), &body).into_response()
}

async fn step(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/web/planner/tasks/{id}");
    if let Err(refused) = staff.require(lang, &path, PLANNING_READERS) {
        return refused;
    }
    let form = FormData::parse(&body);
    if let Err(refused) = staff.check_csrf(lang, &form) {
        return refused;
    }
    let round = |text: &str| {
        text.parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(text))
    };
    let request = match step.as_str() {
        "commitments" => Some(
            json!({"department": form.get("department"), "commitment": form.get("commitment")}),
        ),
        "freeze" if form.get("round").is_empty() => Some(json!({})),
        "freeze" => Some(json!({"round": round(form.get("round"))})),
        "reveals" => {
            Some(json!({"department": form.get("department"), "secret": form.get("secret")}))
        }
        "beacon" => {
            Some(json!({"round": round(form.get("round")), "signature": form.get("signature")}))
        }
        "draw" => None,
        _ => {
            return error_page(
                lang,
                &staff.viewer(&path),
                axum::http::StatusCode::NOT_FOUND,
                "no such step",
            )
        }
    };
    let route = format!("/v1/tasks/{}/{}", q(&id), step);
    let reply = call::post(&state, &route, &staff.token, request.as_ref()).await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(&path), reply.status, &reply.detail());
    }
    see_other(&path)
}
