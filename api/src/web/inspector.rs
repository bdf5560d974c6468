//! The inspector's workbench: my assignments (`GET /v1/me/assignments`), recording a
//! result through a form that is sent as the result file to
//! `POST /v1/tasks/{id}/results` (so it is validated exactly as the API validates it,
//! and the problem's field paths are shown next to the form), and declaring a recusal
//! (`POST /v1/me/assignments/{task}/{uscc}/recusal`). The actor is the session's user.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::call::{self, Reply};
use super::html::{error_page, esc, json as render, page, q, s, text, Lang};
use super::session::{FormData, Staff};
use super::INSPECTORS;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/web/inspector", get(assignments))
        .route("/web/inspector/result", get(result_form).post(record))
        .route("/web/inspector/recusal", post(recuse))
}

/// The result categories (docs/RESULTS.md §3): stored name and Chinese name.
pub(super) const CATEGORIES: [(&str, &str); 7] = [
    ("no_problem", "未发现问题"),
    ("corrected_on_order", "发现问题已责令改正"),
    ("pending_follow_up", "发现问题待后续处理"),
    ("activity_not_found", "未发现开展本次抽查涉及的经营活动"),
    ("closed_or_liquidating", "已关闭停业或正在组织清算"),
    ("refused_serious", "不配合检查情节严重"),
    ("deregistered", "注销/吊销/撤销/迁出"),
];
const PENDING: [(&str, &str); 4] = [
    ("undisclosed_information", "未按规定公示应当公示的信息"),
    ("false_disclosure", "公示信息隐瞒真实情况弄虚作假"),
    ("unreachable_at_address", "通过登记的住所(经营场所)无法联系"),
    ("other_violation", "其他违法行为"),
];
const METHODS: [(&str, &str); 6] = [
    ("on_site", "现场检查"),
    ("documentary", "书面检查"),
    ("other_authority_result", "其他部门检查结果"),
    ("testing", "检验检测"),
    ("online_monitoring", "网络监测"),
    ("expert", "委托专业机构"),
];
const FOLLOW_UPS: [(&str, &str); 4] = [
    ("none", "无"),
    ("order_correction", "责令改正"),
    ("transfer_to_case", "移送办案机构"),
    ("notify_department", "告知其他部门"),
];

async fn my_assignments(state: &AppState, staff: &Staff) -> Reply {
    call::get(state, "/v1/me/assignments", Some(&staff.token)).await
}

async fn assignments(State(state): State<AppState>, staff: Staff, lang: Lang) -> Response {
    let path = "/web/inspector";
    if let Err(refused) = staff.require(lang, path, INSPECTORS) {
        return refused;
    }
    let reply = my_assignments(&state, &staff).await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(path), reply.status, &reply.detail());
    }
    let mut body = format!(
        "<table class=\"data\" id=\"assignments\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        lang.t("任务", "Task"),
        lang.t("检查对象", "Subject"),
        lang.t("检查日期", "Inspection date"),
        lang.t("检查组", "Team"),
        lang.t("回避", "Recusal"),
    );
    let rows = reply.json.as_array().cloned().unwrap_or_default();
    for a in &rows {
        body.push_str(&format!(
            "<tr><td><a href=\"/web/tasks/{tq}\">{title}</a></td><td>{name}<br><code>{uscc}</code></td><td>{date}</td><td>{team}</td>\
<td><form method=\"post\" action=\"/web/inspector/recusal\" class=\"recusal\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"task\" value=\"{task}\"><input type=\"hidden\" name=\"uscc\" value=\"{uscc}\">\
<input name=\"reason\" required maxlength=\"500\" placeholder=\"{why}\"><button type=\"submit\">{recuse}</button></form></td>\
<td><a class=\"record-link button\" href=\"/web/inspector/result?task={tq}&amp;uscc={uq}\">{record}</a></td></tr>",
            tq = q(s(a, "task_id")),
            uq = q(s(a, "uscc")),
            task = esc(s(a, "task_id")),
            title = esc(s(a, "title")),
            name = esc(s(a, "subject_name")),
            uscc = esc(s(a, "uscc")),
            date = esc(s(a, "inspection_date")),
            team = render(a.get("team").unwrap_or(&Value::Null)),
            csrf = esc(&staff.csrf),
            why = lang.t("回避理由（如：亲属关系）", "reason (e.g. a relative works there)"),
            recuse = lang.t("申请回避", "Recuse"),
            record = lang.t("录入检查结果", "Record the result"),
        ));
    }
    body.push_str("</tbody></table>");
    if rows.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            lang.t("目前没有分配给您的检查", "No assignments")
        ));
    }
    page(
        lang,
        &staff.viewer(path),
        lang.t("我的检查任务", "My assignments"),
        &body,
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct Which {
    task: Option<String>,
    uscc: Option<String>,
}

async fn result_form(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    Query(w): Query<Which>,
) -> Response {
    let path = "/web/inspector/result";
    if let Err(refused) = staff.require(lang, path, INSPECTORS) {
        return refused;
    }
    let mut form = FormData::default();
    form.set("task", w.task.as_deref().unwrap_or_default());
    form.set("uscc", w.uscc.as_deref().unwrap_or_default());
    render_form(&state, &staff, lang, &form, None).await
}

/// Sends the form as a result file; shows the API's answer.
async fn record(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    body: axum::body::Bytes,
) -> Response {
    let path = "/web/inspector/result";
    if let Err(refused) = staff.require(lang, path, INSPECTORS) {
        return refused;
    }
    let form = FormData::parse(&body);
    if let Err(refused) = staff.check_csrf(lang, &form) {
        return refused;
    }
    let file = result_file(&form);
    let task = form.get("task");
    let reply = call::post(
        &state,
        &format!("/v1/tasks/{}/results", q(task)),
        &staff.token,
        Some(&file),
    )
    .await;
    if !reply.ok() {
        return render_form(&state, &staff, lang, &form, Some(&reply)).await;
    }
    let provisional = if text(&reply.json, "calendar") == "provisional" {
        lang.t(
            "（按临时工作日历计算：次年放假安排公布后可能调整）",
            " (counted on the provisional calendar: it may move when next year's official holidays are published)",
        )
    } else {
        ""
    };
    let body = format!(
        "<p class=\"ok\" id=\"recorded\">{} {} {} {}{}</p>{}<p><a href=\"/web/inspector\">{}</a></p>",
        lang.t("检查结果已记录：版本", "Result recorded: version"),
        esc(&text(&reply.json, "version")),
        lang.t("，公示期限", ", publication due by"),
        esc(&text(&reply.json, "deadline")),
        provisional,
        render(&reply.json),
        lang.t("返回我的检查任务", "Back to my assignments"),
    );
    page(
        lang,
        &staff.viewer(path),
        lang.t("检查结果已记录", "Result recorded"),
        &body,
    )
    .into_response()
}

/// The result file (docs/RESULTS.md §2) the form describes; optional parts only when filled.
fn result_file(form: &FormData) -> Value {
    let mut result = json!({
        "category": form.get("category"),
        "method": form.get("method"),
        "members": form.all("members"),
        "inspection_date": form.get("inspection_date"),
        "follow_up": form.get("follow_up"),
    });
    let pending = form.all("pending");
    if !pending.is_empty() {
        result["pending"] = json!(pending);
    }
    if !form.get("notify").is_empty() {
        result["notify"] = json!(form.get("notify"));
    }
    if !form.get("finding_text").is_empty() {
        result["findings"] = json!([{
            "item": form.get("finding_item"),
            "department": form.get("finding_department"),
            "text": form.get("finding_text"),
        }]);
    }
    if !form.get("evidence_sha256").is_empty() {
        result["evidence"] = json!([{
            "name": form.get("evidence_name"),
            "sha256": form.get("evidence_sha256"),
        }]);
    }
    json!({ "uscc": form.get("uscc"), "result": result })
}

fn options(selected: &str, values: &[(&str, &str)], lang: Lang) -> String {
    values
        .iter()
        .map(|(v, zh)| {
            format!(
                "<option value=\"{v}\"{}>{}</option>",
                if *v == selected { " selected" } else { "" },
                esc(lang.t(zh, v))
            )
        })
        .collect()
}

async fn render_form(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    form: &FormData,
    error: Option<&Reply>,
) -> Response {
    let path = "/web/inspector/result";
    let reply = my_assignments(state, staff).await;
    let rows = reply.json.as_array().cloned().unwrap_or_default();
    let Some(a) = rows
        .iter()
        .find(|a| s(a, "task_id") == form.get("task") && s(a, "uscc") == form.get("uscc"))
    else {
        return error_page(
            lang,
            &staff.viewer(path),
            axum::http::StatusCode::NOT_FOUND,
            lang.t("您没有这项检查任务", "You have no such assignment"),
        );
    };
    let team: Vec<String> = a
        .get("team")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let chosen = form.all("members");
    let members: String = team
        .iter()
        .map(|m| {
            let checked = chosen.contains(m) || (chosen.is_empty() && *m == staff.claims.sub);
            format!(
                "<label class=\"check\"><input type=\"checkbox\" name=\"members\" value=\"{v}\"{c}> {v}</label>",
                v = esc(m),
                c = if checked { " checked" } else { "" }
            )
        })
        .collect();
    let pending_chosen = form.all("pending");
    let pending: String = PENDING
        .iter()
        .map(|(v, zh)| {
            format!(
                "<label class=\"check\"><input type=\"checkbox\" name=\"pending\" value=\"{v}\"{}> {}</label>",
                if pending_chosen.iter().any(|p| p == v) { " checked" } else { "" },
                esc(lang.t(zh, v))
            )
        })
        .collect();
    let errors = match error {
        None => String::new(),
        Some(r) => {
            let mut list: String = r
                .field_errors()
                .iter()
                .map(|(p, m)| format!("<li><code>{}</code> {}</li>", esc(p), esc(m)))
                .collect();
            if list.is_empty() {
                list = format!("<li>{}</li>", esc(&r.detail()));
            }
            format!(
                "<div class=\"error\" id=\"form-errors\" data-status=\"{}\"><p>{} ({})</p><ul>{list}</ul></div>",
                r.status.as_u16(),
                lang.t("未记录：接口拒绝了该结果", "Not recorded: the API refused the result"),
                r.status
            )
        }
    };
    let date = if form.get("inspection_date").is_empty() {
        s(a, "inspection_date")
    } else {
        form.get("inspection_date")
    };
    let body = format!(
        "{errors}<p>{subject}: <strong>{name}</strong> <code>{uscc}</code></p>\
<form method=\"post\" action=\"/web/inspector/result\" id=\"result-form\" class=\"card\" novalidate>\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"task\" value=\"{task}\"><input type=\"hidden\" name=\"uscc\" value=\"{uscc}\">\
<label for=\"category\">{l_cat}</label><select id=\"category\" name=\"category\" required>{cat}</select>\
<fieldset id=\"pending\"><legend>{l_pending}</legend>{pending}</fieldset>\
<label for=\"method\">{l_method}</label><select id=\"method\" name=\"method\" required>{method}</select>\
<fieldset id=\"members\"><legend>{l_members}</legend>{members}</fieldset>\
<label for=\"inspection_date\">{l_date}</label><input type=\"date\" id=\"inspection_date\" name=\"inspection_date\" value=\"{date}\" required>\
<label for=\"follow_up\">{l_follow}</label><select id=\"follow_up\" name=\"follow_up\" required>{follow}</select>\
<label for=\"notify\">{l_notify}</label><input id=\"notify\" name=\"notify\" value=\"{notify}\" placeholder=\"330100-WSJK\">\
<fieldset><legend>{l_finding}</legend><input name=\"finding_item\" placeholder=\"{l_item}\" value=\"{fi}\"> <input name=\"finding_department\" placeholder=\"{l_dep}\" value=\"{fd}\">\
<textarea name=\"finding_text\" rows=\"2\" maxlength=\"2000\">{ft}</textarea></fieldset>\
<fieldset><legend>{l_evidence}</legend><input name=\"evidence_name\" maxlength=\"200\" placeholder=\"{l_file}\" value=\"{en}\"> \
<input name=\"evidence_sha256\" pattern=\"[0-9a-f]{{64}}\" placeholder=\"SHA-256\" value=\"{es}\" size=\"64\"></fieldset>\
<p class=\"hint\" id=\"client-check\"></p><button type=\"submit\" id=\"submit-result\">{submit}</button></form>",
        subject = lang.t("检查对象", "Subject"),
        name = esc(s(a, "subject_name")),
        uscc = esc(s(a, "uscc")),
        task = esc(s(a, "task_id")),
        csrf = esc(&staff.csrf),
        l_cat = lang.t("检查结果", "Result category"),
        cat = options(form.get("category"), &CATEGORIES, lang),
        l_pending = lang.t("待后续处理的情形（仅“发现问题待后续处理”）", "What is pending (only with pending_follow_up)"),
        l_method = lang.t("核查方式", "Method"),
        method = options(form.get("method"), &METHODS, lang),
        l_members = lang.t("到场检查人员（不少于两人，须为本检查组成员）", "Inspectors present (at least 2, all on the team)"),
        l_date = lang.t("检查日期（须在任务时间窗内）", "Inspection date (inside the task's window)"),
        l_follow = lang.t("后续处置", "Follow-up"),
        follow = options(form.get("follow_up"), &FOLLOW_UPS, lang),
        l_notify = lang.t("告知部门（仅“告知其他部门”）", "Department notified (only with notify_department)"),
        notify = esc(form.get("notify")),
        l_finding = lang.t("分事项检查情况（可选）", "A finding (optional)"),
        l_item = lang.t("事项编码", "item code"),
        l_dep = lang.t("部门编码", "department code"),
        fi = esc(form.get("finding_item")),
        fd = esc(form.get("finding_department")),
        ft = esc(form.get("finding_text")),
        l_evidence = lang.t("证据文件（可选，仅记录其 SHA-256）", "Evidence (optional; only its SHA-256 is kept)"),
        l_file = lang.t("文件名", "file name"),
        en = esc(form.get("evidence_name")),
        es = esc(form.get("evidence_sha256")),
        submit = lang.t("记录检查结果", "Record the result"),
    );
    let status = error.map_or(axum::http::StatusCode::OK, |r| {
        if r.status.is_client_error() {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        } else {
            r.status
        }
    });
    (
        status,
        page(
            lang,
            &staff.viewer(path),
            lang.t("录入检查结果", "Record a result"),
            &body,
        ),
    )
        .into_response()
}

async fn recuse(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    body: axum::body::Bytes,
) -> Response {
    let path = "/web/inspector";
    if let Err(refused) = staff.require(lang, path, INSPECTORS) {
        return refused;
    }
    let form = FormData::parse(&body);
    if let Err(refused) = staff.check_csrf(lang, &form) {
        return refused;
    }
    let route = format!(
        "/v1/me/assignments/{}/{}/recusal",
        q(form.get("task")),
        q(form.get("uscc"))
    );
    let reply = call::post(
        &state,
        &route,
        &staff.token,
        Some(&json!({"reason": form.get("reason")})),
    )
    .await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(path), reply.status, &reply.detail());
    }
    let body = format!(
        "<p class=\"ok\" id=\"recused\">{}</p>{}<p><a href=\"/web/inspector\">{}</a></p>",
        lang.t("回避已记录", "Recusal recorded"),
        render(&reply.json),
        lang.t("返回我的检查任务", "Back to my assignments"),
    );
    page(lang, &staff.viewer(path), lang.t("回避", "Recusal"), &body).into_response()
}
