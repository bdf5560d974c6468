//! The enforcement supervisor's workbench: every case (`GET /v1/cases`), the deviation
//! overview across all cases with a filter by kind and a chart by kind (the same scan
//! as `jianxin case deviations --all`), and one case's timeline
//! (`GET /v1/cases/{id}/replay`) with a slider that replays it step by step: the state
//! shown at step *k* is the domain's own replay of the first *k* events, the deadlines
//! are drawn against the working-day calendar in force, deviations are highlighted.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jianxin_domain::calendar::china_date;
use serde_json::Value;

use super::call;
use super::charts::{bars, timeline, Mark};
use super::html::{error_page, esc, json as render, page, q, s, text, Lang};
use super::session::Staff;
use super::CASE_READERS;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/web/cases", get(overview))
        .route("/web/cases/{id}", get(case_page))
}

#[derive(serde::Deserialize, Default)]
struct Filter {
    code: Option<String>,
}

async fn overview(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    Query(f): Query<Filter>,
) -> Response {
    let path = "/web/cases";
    if let Err(refused) = staff.require(lang, path, CASE_READERS) {
        return refused;
    }
    let cases = call::get(&state, "/v1/cases", Some(&staff.token)).await;
    if !cases.ok() {
        return error_page(lang, &staff.viewer(path), cases.status, &cases.detail());
    }
    let all = match crate::cases::deviations_all(&state.log, state.clock.now()).await {
        Ok(d) => d,
        Err(e) => {
            return error_page(
                lang,
                &staff.viewer(path),
                StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
            )
        }
    };
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for c in &all {
        for d in &c.deviations {
            *by_kind.entry(d.code.as_str().to_string()).or_default() += 1;
        }
    }
    let code = f.code.unwrap_or_default();
    let options: String = std::iter::once(String::new())
        .chain(by_kind.keys().cloned())
        .map(|k| {
            format!(
                "<option value=\"{v}\"{sel}>{label}</option>",
                v = esc(&k),
                sel = if k == code { " selected" } else { "" },
                label = if k.is_empty() {
                    esc(lang.t("全部", "all kinds"))
                } else {
                    esc(&k)
                }
            )
        })
        .collect();
    let mut body = bars(
        "chart-deviations",
        lang.t("偏差（按类型，全部案件）", "Deviations by kind, all cases"),
        &by_kind.clone().into_iter().collect::<Vec<_>>(),
    );
    body.push_str(&format!(
        "<h2>{}</h2><form method=\"get\" action=\"/web/cases\" class=\"card inline-form\"><label for=\"code\">{}</label>\
<select id=\"code\" name=\"code\">{options}</select><button type=\"submit\">{}</button></form>\
<table class=\"data\" id=\"deviations\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t("偏差总览", "Deviation overview"),
        lang.t("偏差类型", "Kind"),
        lang.t("筛选", "Filter"),
        lang.t("案件", "Case"),
        lang.t("类型", "Kind"),
        lang.t("步骤", "Step"),
        lang.t("说明", "What happened"),
        lang.t("证据", "Evidence"),
    ));
    for c in &all {
        for d in c
            .deviations
            .iter()
            .filter(|d| code.is_empty() || d.code.as_str() == code)
        {
            body.push_str(&format!(
                "<tr class=\"deviation\"><td><a href=\"/web/cases/{id}\">{short}</a></td><td>{kind}</td><td>{seq} {step}</td><td>{msg}</td><td>{ev}</td></tr>",
                id = q(&c.id.to_string()),
                short = esc(c.id.to_string().get(..8).unwrap_or_default()),
                kind = esc(d.code.as_str()),
                seq = d.sequence,
                step = esc(&d.step),
                msg = esc(&d.message),
                ev = render(&d.evidence),
            ));
        }
    }
    body.push_str("</tbody></table>");
    body.push_str(&format!(
        "<h2>{}</h2><table class=\"data\" id=\"cases\"><thead><tr>",
        lang.t("全部案件", "All cases")
    ));
    for h in [
        lang.t("案件", "Case"),
        lang.t("状态", "Status"),
        lang.t("承办人", "Officer"),
        lang.t("当事人", "Subject"),
        lang.t("立案线索时间", "Opened"),
        lang.t("步骤数", "Steps"),
        lang.t("偏差数", "Deviations"),
    ] {
        body.push_str(&format!("<th>{}</th>", esc(h)));
    }
    body.push_str("</tr></thead><tbody>");
    for c in cases.json.as_array().map(Vec::as_slice).unwrap_or_default() {
        body.push_str(&format!(
            "<tr><td><a class=\"case-link\" href=\"/web/cases/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            q(s(c, "id")),
            esc(s(c, "id").get(..8).unwrap_or_default()),
            esc(s(c, "status")),
            esc(s(c, "officer")),
            esc(&text(c, "subject")),
            esc(s(c, "opened_at")),
            esc(&text(c, "events")),
            esc(&text(c, "deviations")),
        ));
    }
    body.push_str("</tbody></table>");
    page(
        lang,
        &staff.viewer(path),
        lang.t("案件监督", "Enforcement cases"),
        &body,
    )
    .into_response()
}

async fn case_page(
    State(state): State<AppState>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<String>,
) -> Response {
    let path = format!("/web/cases/{id}");
    if let Err(refused) = staff.require(lang, &path, CASE_READERS) {
        return refused;
    }
    let reply = call::get(
        &state,
        &format!("/v1/cases/{}/replay", q(&id)),
        Some(&staff.token),
    )
    .await;
    if !reply.ok() {
        return error_page(lang, &staff.viewer(&path), reply.status, &reply.detail());
    }
    let Ok(uuid) = crate::cases::case_id(&id) else {
        return error_page(
            lang,
            &staff.viewer(&path),
            StatusCode::BAD_REQUEST,
            "not a case id",
        );
    };
    let events = match crate::cases::events(&state.log, uuid).await {
        Ok(e) => e,
        Err(e) => {
            return error_page(
                lang,
                &staff.viewer(&path),
                StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
            )
        }
    };
    let calendar = match crate::ops::current_calendar(&state.log).await {
        Ok(c) => c,
        Err(e) => {
            return error_page(
                lang,
                &staff.viewer(&path),
                StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
            )
        }
    };
    let steps = reply
        .json
        .get("steps")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let deviations = reply
        .json
        .get("deviations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let deviates_at = |seq: u64| {
        deviations
            .iter()
            .any(|d| d.get("sequence").and_then(Value::as_u64) == Some(seq))
    };
    let replayed = jianxin_domain::case::replay(&events, None);
    let marks: Vec<Mark> = replayed
        .steps
        .iter()
        .map(|st| Mark {
            day: china_date(st.at),
            deadline: st.deadline,
            met: st.deadline_met,
            label: st.step.to_string(),
            deviates: deviates_at(st.sequence),
        })
        .collect();
    let n = steps.len();
    let mut rows = String::new();
    for st in &steps {
        let seq = st.get("sequence").and_then(Value::as_u64).unwrap_or(0);
        let met = match st.get("deadline_met").and_then(Value::as_bool) {
            Some(true) => lang.t("按期", "met"),
            Some(false) => lang.t("逾期", "missed"),
            None => "",
        };
        let provisional =
            st.get("deadline_calendar").and_then(Value::as_str) == Some("provisional");
        let met = if provisional {
            format!("{met} {}", lang.t("（临时日历）", "(provisional calendar)"))
        } else {
            met.to_owned()
        };
        rows.push_str(&format!(
            "<tr class=\"step-row{dev}\" data-step=\"{seq}\"><td>{seq}</td><td>{step}</td><td>{actor} ({role})</td><td>{at}</td><td>{deadline} {met}</td></tr>",
            dev = if deviates_at(seq) { " deviates" } else { "" },
            step = esc(s(st, "step")),
            actor = esc(s(st, "actor")),
            role = esc(s(st, "role")),
            at = esc(s(st, "at")),
            deadline = esc(&text(st, "deadline")),
        ));
    }
    let mut panels = String::new();
    for k in 1..=n {
        let prefix = jianxin_domain::case::replay(&events[..k.min(events.len())], None);
        let mut state_json = serde_json::to_value(&prefix.state).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut state_json {
            m.remove("rules");
        }
        let found: Vec<&Value> = deviations
            .iter()
            .filter(|d| {
                d.get("sequence")
                    .and_then(Value::as_u64)
                    .is_some_and(|sq| sq <= k as u64)
            })
            .collect();
        let last = prefix.steps.last();
        panels.push_str(&format!(
            "<div class=\"step-state\" data-step=\"{k}\"{hidden}><h3>{l_step} {k}/{n}: <span class=\"step-name\">{name}</span></h3>\
<p>{l_status}: <strong class=\"state-status\">{status}</strong> · {at}</p>{state}<h4>{l_dev}</h4>{devs}</div>",
            hidden = if k == n { "" } else { " hidden" },
            l_step = lang.t("第", "Step"),
            name = esc(last.map_or("", |l| l.step)),
            l_status = lang.t("此时状态", "Status at this step"),
            status = esc(prefix.state.status.as_str()),
            at = esc(&last.map(|l| l.at.to_rfc3339()).unwrap_or_default()),
            state = render(&state_json),
            l_dev = lang.t("截至此步的偏差", "Deviations up to this step"),
            devs = if found.is_empty() {
                format!("<p class=\"muted\">{}</p>", lang.t("无", "none"))
            } else {
                render(&Value::Array(found.into_iter().cloned().collect()))
            },
        ));
    }
    let body = format!(
        "<p>{l_status}: <strong id=\"case-status\">{status}</strong> · {l_dev}: <strong>{ndev}</strong> · {l_proofs} {tree}</p>\
<h2>{l_timeline}</h2><p class=\"legend\"><span class=\"swatch offday\"></span> {l_off} <span class=\"swatch missed\"></span> {l_missed} <span class=\"swatch met\"></span> {l_met} <span class=\"swatch deviates\"></span> {l_deviates}</p>{svg}\
<div class=\"replay\"><label for=\"step-slider\">{l_slider}</label>\
<input type=\"range\" id=\"step-slider\" min=\"1\" max=\"{n}\" value=\"{n}\" step=\"1\"> <output id=\"slider-label\" for=\"step-slider\">{n}/{n}</output></div>\
<div id=\"step-panels\">{panels}</div>\
<table class=\"data\" id=\"steps\"><thead><tr><th>#</th><th>{l_s}</th><th>{l_actor}</th><th>{l_at}</th><th>{l_deadline}</th></tr></thead><tbody>{rows}</tbody></table>\
<h2>{l_all}</h2><div id=\"case-deviations\">{alldev}</div>",
        l_status = lang.t("当前状态", "Status"),
        status = esc(s(&reply.json, "status")),
        l_dev = lang.t("偏差", "deviations"),
        ndev = deviations.len(),
        l_proofs = lang.t("每一步均附包含证明，检查点树大小", "every step carries an inclusion proof; checkpoint tree size"),
        tree = esc(&reply.json.pointer("/proofs/tree_size").map(Value::to_string).unwrap_or_default()),
        l_timeline = lang.t("时间线（对照工作日历）", "Timeline against the working-day calendar"),
        l_off = lang.t("非工作日", "non-working day"),
        l_missed = lang.t("逾期", "deadline missed"),
        l_met = lang.t("按期", "deadline met"),
        l_deviates = lang.t("偏差", "deviation"),
        svg = timeline(&marks, &calendar),
        l_slider = lang.t("逐步回放", "Replay step by step"),
        l_s = lang.t("步骤", "Step"),
        l_actor = lang.t("执行人", "Actor"),
        l_at = lang.t("记录时间", "Recorded at"),
        l_deadline = lang.t("期限", "Deadline"),
        l_all = lang.t("全部偏差", "All deviations"),
        alldev = render(&Value::Array(deviations.clone())),
    );
    let title = format!("{} {}", lang.t("案件", "Case"), id);
    page(lang, &staff.viewer(&path), &title, &body).into_response()
}
