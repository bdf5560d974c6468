//! The credit officer's workbench: the credit check form with its explained answer and
//! an "as of / known at" picker (`GET /v1/credit/check`, logged like every answer), the
//! list entries of every subject with their periods and a chart of entries over time
//! (`GET /v1/credit/subjects/{uscc}/entries`), the repair applications with a decision
//! form for those pending (`POST /v1/credit/entries/{id}/repair/decision`), and the
//! query log (`GET /v1/credit/queries`).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDateTime;
use jianxin_projections::read_models::credit_changes;
use serde_json::{json, Value};

use super::call;
use super::charts::bars;
use super::html::{error_page, esc, json as render, page, q, s, text, Lang};
use super::session::{FormData, Staff};
use super::{CREDIT_OFFICERS, QUERY_LOG_READERS};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/web/credit", get(check))
        .route("/web/credit/entries", get(entries))
        .route("/web/credit/repair", post(decide_repair))
        .route("/web/credit/queries", get(queries))
}

#[derive(serde::Deserialize, Default)]
struct CheckForm {
    subject: Option<String>,
    scenario: Option<String>,
    date: Option<String>,
    known_at: Option<String>,
}

/// A `datetime-local` value (China time) as RFC 3339 UTC; other text is passed as is,
/// for the API to judge.
fn known_at_utc(text: &str) -> String {
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            let utc = local - chrono::Duration::hours(8);
            return utc.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        }
    }
    text.to_string()
}

async fn check(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    Query(f): Query<CheckForm>,
) -> Response {
    let path = "/web/credit";
    if let Err(refused) = staff.require(lang, path, CREDIT_OFFICERS) {
        return refused;
    }
    let subject = f.subject.unwrap_or_default();
    // the scenarios of the catalogue in force, so a newly loaded catalogue shows at once
    let scenarios = match crate::credit::basis_at(&state.log, state.clock.now()).await {
        Ok(basis) => basis.catalogue.scenarios(),
        Err(e) => {
            return error_page(
                lang,
                &staff.viewer(path),
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
            )
        }
    };
    let scenario = f
        .scenario
        .or_else(|| scenarios.first().cloned())
        .unwrap_or_default();
    let today = crate::results::today(state.clock.now()).to_string();
    let date = f.date.filter(|d| !d.is_empty()).unwrap_or(today);
    let known_at = f.known_at.unwrap_or_default();
    let scenario_options: String = scenarios
        .iter()
        .map(|sc| {
            format!(
                "<option value=\"{sc}\"{}>{sc}</option>",
                if *sc == scenario { " selected" } else { "" },
                sc = esc(sc)
            )
        })
        .collect();
    let mut body = format!(
        "<form method=\"get\" action=\"/web/credit\" id=\"check-form\" class=\"card\">\
<label for=\"subject\">{l_subject}</label><input id=\"subject\" name=\"subject\" value=\"{subject}\" maxlength=\"18\" required>\
<label for=\"scenario\">{l_scenario}</label><select id=\"scenario\" name=\"scenario\">{scenario_options}</select>\
<label for=\"date\">{l_date}</label><input type=\"date\" id=\"date\" name=\"date\" value=\"{date}\" required>\
<label for=\"known_at\">{l_known}</label><input type=\"datetime-local\" id=\"known_at\" name=\"known_at\" value=\"{known}\">\
<p class=\"hint\">{hint}</p><button type=\"submit\" id=\"run-check\">{submit}</button></form>",
        l_subject = lang.t("统一社会信用代码", "Subject (USCC)"),
        subject = esc(&subject),
        l_scenario = lang.t("应用场景", "Scenario"),
        l_date = lang.t("业务日期（as of：在哪一天做这件事）", "As of (the day of the act)"),
        date = esc(&date),
        l_known = lang.t("已知时点（known at：按当时已记录的事实回答，北京时间）", "Known at (answer on the facts recorded by then, Beijing time)"),
        known = esc(&known_at),
        hint = lang.t("留空表示“现在”。每次核查都会记入查询日志。", "Empty means now. Every check is written to the query log."),
        submit = lang.t("核查", "Check"),
    );
    if !subject.trim().is_empty() {
        let mut route = format!(
            "/v1/credit/check?subject={}&scenario={}&date={}&purpose={}",
            q(subject.trim()),
            q(&scenario),
            q(&date),
            q("web workbench")
        );
        if !known_at.trim().is_empty() {
            route.push_str(&format!("&known_at={}", q(&known_at_utc(known_at.trim()))));
        }
        let reply = call::get(&state, &route, Some(&staff.token)).await;
        if reply.ok() {
            body.push_str(&answer(lang, &reply.json));
        } else {
            body.push_str(&format!(
                "<p class=\"error\" id=\"error\" data-status=\"{}\">{}</p>",
                reply.status.as_u16(),
                esc(&reply.detail())
            ));
        }
    }
    page(
        lang,
        &staff.viewer(path),
        lang.t("信用核查", "Credit check"),
        &body,
    )
    .into_response()
}

/// The answer: the decision, then why (the basis), then what did not count and why.
fn answer(lang: Lang, a: &Value) -> String {
    let decision = s(a, "decision");
    let (zh, en) = match decision {
        "restricted" => (
            "限制（失信惩戒措施适用）",
            "restricted (a restricting measure applies)",
        ),
        "rewarded" => (
            "激励（守信激励措施适用）",
            "rewarded (a rewarding measure applies)",
        ),
        "allowed" => ("允许（无措施适用）", "allowed (no measure applies)"),
        other => (other, other),
    };
    let basis = a.get("basis").cloned().unwrap_or(Value::Null);
    let basis_html = if basis.as_array().is_some_and(|b| !b.is_empty()) {
        render(&basis)
    } else {
        format!(
            "<p class=\"muted\">{}</p>",
            lang.t("无适用的名单措施", "No list measure applies")
        )
    };
    format!(
        "<section class=\"answer\" id=\"answer\"><h2>{l_decision}: <span id=\"decision\" class=\"decision {cls}\" data-decision=\"{cls}\">{d}</span></h2>\
<p>{subject} <code>{s}</code> · {scenario} <code>{sc}</code> · {as_of} {date} · {known} {ka}</p>\
<h3>{l_basis}</h3><div id=\"basis\">{basis_html}</div>\
<h3>{l_na}</h3><div id=\"not-applicable\">{na}</div>\
<p class=\"muted\">{l_log} <code>{log_seq}</code> · {l_rules} <code>{rv}</code> · {l_cat} <code>{cv}</code> · {l_query} <code id=\"query-id\">{qid}</code></p></section>",
        l_decision = lang.t("结论", "Decision"),
        cls = esc(decision),
        d = esc(lang.t(zh, en)),
        subject = lang.t("主体", "Subject"),
        s = esc(s(a, "subject")),
        scenario = lang.t("场景", "scenario"),
        sc = esc(s(a, "scenario")),
        as_of = lang.t("业务日期", "as of"),
        date = esc(s(a, "date")),
        known = lang.t("已知时点", "known at"),
        ka = esc(s(a, "known_at")),
        l_basis = lang.t("依据（计入结论的名单及其措施、法律依据）", "Basis (the entries that count, their measures and legal basis)"),
        l_na = lang.t("不适用的名单及原因", "Entries that do not apply, and why"),
        na = render(a.get("not_applicable").unwrap_or(&Value::Null)),
        l_log = lang.t("日志位置", "log position"),
        log_seq = esc(&text(a, "log_seq")),
        l_rules = lang.t("规则版本", "rule version"),
        rv = esc(s(a, "rule_version").get(..12).unwrap_or(s(a, "rule_version"))),
        l_cat = lang.t("措施清单版本", "catalogue version"),
        cv = esc(s(a, "catalogue_version").get(..12).unwrap_or(s(a, "catalogue_version"))),
        l_query = lang.t("查询编号", "query id"),
        qid = esc(s(a, "query_id")),
    )
}

/// Every subject with credit facts, its entries with their periods; the repair
/// applications; the chart of entries by year and list.
async fn entries(State(state): State<AppState>, staff: Staff, lang: Lang) -> Response {
    let path = "/web/credit/entries";
    if let Err(refused) = staff.require(lang, path, CREDIT_OFFICERS) {
        return refused;
    }
    let changes = match credit_changes(state.log.database(), 0, 10_000).await {
        Ok(c) => c,
        Err(e) => {
            return error_page(
                lang,
                &staff.viewer(path),
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
            )
        }
    };
    let subjects: BTreeSet<String> = changes.iter().map(|c| c.subject.clone()).collect();
    // repair applications: the last application of an entry, decided or not
    let mut repairs: BTreeMap<String, (String, Value, Option<Value>)> = BTreeMap::new();
    for c in &changes {
        let Ok(event) = serde_json::to_value(&c.event) else {
            continue;
        };
        let data = event.get("data").cloned().unwrap_or(Value::Null);
        let entry = s(&data, "entry_id").to_string();
        match s(&event, "event_type") {
            "RepairApplied" => {
                repairs.insert(entry, (c.subject.clone(), data, None));
            }
            "RepairDecided" => {
                if let Some(r) = repairs.get_mut(&entry) {
                    r.2 = Some(data);
                }
            }
            _ => {}
        }
    }
    let mut by_year: BTreeMap<String, u64> = BTreeMap::new();
    let mut tables = String::new();
    for subject in &subjects {
        let reply = call::get(
            &state,
            &format!("/v1/credit/subjects/{}/entries", q(subject)),
            Some(&staff.token),
        )
        .await;
        if !reply.ok() {
            return error_page(lang, &staff.viewer(path), reply.status, &reply.detail());
        }
        let rows: Vec<Value> = reply
            .json
            .get("entries")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if rows.is_empty() {
            continue;
        }
        let mut shown = vec![];
        for e in &rows {
            let year = s(e, "entered_on").get(..4).unwrap_or("?").to_string();
            *by_year
                .entry(format!("{year} {}", s(e, "list")))
                .or_default() += 1;
            shown.push(json!({
                "list": e.get("list"), "entered_on": e.get("entered_on"), "until": e.get("until"),
                "ended": e.get("ended"), "annulled": e.get("annulled"), "reason": e.get("reason"),
                "derived_from": e.get("derived_from"), "entry_id": e.get("entry_id"),
            }));
        }
        tables.push_str(&format!(
            "<h3><a href=\"/web/credit?subject={sq}\">{s}</a></h3>{}",
            render(&Value::Array(shown)),
            sq = q(subject),
            s = esc(subject),
        ));
    }
    let mut body = bars(
        "chart-entries",
        lang.t(
            "名单列入（按年份与名单）",
            "List entries over time (by year and list)",
        ),
        &by_year.into_iter().collect::<Vec<_>>(),
    );
    body.push_str(&format!(
        "<h2>{}</h2><div id=\"repairs\">",
        lang.t("信用修复申请", "Credit repair applications")
    ));
    if repairs.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            lang.t("暂无申请", "No applications")
        ));
    }
    for (entry, (subject, applied, decided)) in &repairs {
        body.push_str(&format!(
            "<div class=\"card\"><p><code>{s}</code> · {l_entry} <code>{e}</code> · {l_applied} {on}</p>",
            s = esc(subject),
            l_entry = lang.t("名单条目", "entry"),
            e = esc(entry),
            l_applied = lang.t("申请日期", "applied on"),
            on = esc(s(applied, "applied_on")),
        ));
        match decided {
            Some(d) => body.push_str(&format!("<p>{}</p>{}", lang.t("已决定：", "Decided:"), render(d))),
            None => body.push_str(&format!(
                "<form method=\"post\" action=\"/web/credit/repair\" class=\"repair-form\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"subject\" value=\"{s}\"><input type=\"hidden\" name=\"entry_id\" value=\"{e}\">\
<label class=\"check\"><input type=\"radio\" name=\"approved\" value=\"true\" required> {yes}</label> <label class=\"check\"><input type=\"radio\" name=\"approved\" value=\"false\"> {no}</label>\
<label>{l_reasons}<textarea name=\"reasons\" required maxlength=\"500\"></textarea></label>\
<label>{l_eff}<input type=\"date\" name=\"effective_on\"></label><button type=\"submit\">{submit}</button></form>",
                csrf = esc(&staff.csrf),
                s = esc(subject),
                e = esc(entry),
                yes = lang.t("准予修复", "grant"),
                no = lang.t("不予修复", "refuse"),
                l_reasons = lang.t("理由", "Reasons"),
                l_eff = lang.t("移出日期（准予时，默认今天）", "First day off the list (when granted; default today)"),
                submit = lang.t("决定", "Decide"),
            )),
        }
        body.push_str("</div>");
    }
    body.push_str("</div>");
    body.push_str(&format!(
        "<h2>{}</h2>{tables}",
        lang.t(
            "各主体名单条目及期限",
            "Entries and their periods, by subject"
        )
    ));
    page(
        lang,
        &staff.viewer(path),
        lang.t("名单与信用修复", "Lists and credit repair"),
        &body,
    )
    .into_response()
}

async fn decide_repair(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    body: axum::body::Bytes,
) -> Response {
    let path = "/web/credit/entries";
    if let Err(refused) = staff.require(lang, path, CREDIT_OFFICERS) {
        return refused;
    }
    let form = FormData::parse(&body);
    if let Err(refused) = staff.check_csrf(lang, &form) {
        return refused;
    }
    // 准予 or 不予 must be chosen: no choice is not a denial (issue 28)
    let approved = match form.get("approved") {
        "true" => true,
        "false" => false,
        _ => {
            let message = lang.t(
                "请选择“准予修复”或“不予修复”后再提交；未记录任何决定。",
                "Choose \"grant\" or \"deny\" and submit again; no decision was recorded.",
            );
            return error_page(
                lang,
                &staff.viewer(path),
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                message,
            );
        }
    };
    let mut decision = json!({
        "subject": form.get("subject"),
        "approved": approved,
        "reasons": form.get("reasons"),
    });
    if !form.get("effective_on").is_empty() {
        decision["effective_on"] = json!(form.get("effective_on"));
    }
    let route = format!(
        "/v1/credit/entries/{}/repair/decision",
        q(form.get("entry_id"))
    );
    let reply = call::post(&state, &route, &staff.token, Some(&decision)).await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(path), reply.status, &reply.detail());
    }
    let body = format!(
        "<p class=\"ok\" id=\"decided\" data-approved=\"{approved}\">{}</p>{}<p><a href=\"/web/credit/entries\">{}</a></p>",
        if approved {
            lang.t("已记录决定：准予信用修复", "Recorded: repair granted")
        } else {
            lang.t("已记录决定：不予信用修复", "Recorded: repair denied")
        },
        render(&reply.json),
        lang.t("返回名单", "Back to the lists"),
    );
    page(
        lang,
        &staff.viewer(path),
        lang.t("信用修复", "Credit repair"),
        &body,
    )
    .into_response()
}

#[derive(serde::Deserialize, Default)]
struct LogFilter {
    subject: Option<String>,
}

async fn queries(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    Query(f): Query<LogFilter>,
) -> Response {
    let path = "/web/credit/queries";
    if let Err(refused) = staff.require(lang, path, QUERY_LOG_READERS) {
        return refused;
    }
    let subject = f.subject.unwrap_or_default();
    let mut route = "/v1/credit/queries?limit=200".to_string();
    if !subject.trim().is_empty() {
        route.push_str(&format!("&subject={}", q(subject.trim())));
    }
    let reply = call::get(&state, &route, Some(&staff.token)).await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(path), reply.status, &reply.detail());
    }
    let body = format!(
        "<form method=\"get\" action=\"/web/credit/queries\" class=\"card\"><label for=\"subject\">{}</label>\
<input id=\"subject\" name=\"subject\" value=\"{}\"><button type=\"submit\">{}</button></form><div id=\"queries\">{}</div>",
        lang.t("按主体筛选", "Filter by subject"),
        esc(&subject),
        lang.t("筛选", "Filter"),
        render(reply.json.get("queries").unwrap_or(&Value::Null)),
    );
    page(
        lang,
        &staff.viewer(path),
        lang.t("查询日志", "Query log"),
        &body,
    )
    .into_response()
}
