//! HTML building blocks shared by every page: escaping (every interpolated value goes
//! through [`esc`]), the language of the page ([`Lang`], Chinese by default, English
//! by `?lang=en` or the `jx_lang` cookie), the page frame with its navigation, and a
//! generic rendering of JSON answers of the API as tables, so that a page shows exactly
//! what the API answered without re-deriving it.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::tokens::Claims;

/// Escapes text for HTML content and attribute values (double-quoted).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string value.
pub fn q(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文, the default.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The text in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let asked = Query::<LangQuery>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|Query(q)| q.lang);
        let chosen = asked.or_else(|| super::session::cookie(&parts.headers, "jx_lang"));
        Ok(match chosen.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        })
    }
}

/// Who is looking, for the navigation.
pub struct Viewer<'a> {
    /// The logged-in staff member, if any.
    pub claims: Option<&'a Claims>,
    /// The CSRF token of the session (the logout form needs it).
    pub csrf: Option<&'a str>,
    /// The path of this page (the language toggle comes back to it).
    pub path: &'a str,
}

/// A whole page: frame, navigation, language toggle, `body`.
pub fn page(lang: Lang, viewer: &Viewer<'_>, title: &str, body: &str) -> Html<String> {
    let mut nav = format!(
        "<a href=\"/web/\">{}</a> <a href=\"/web/checkpoint\">{}</a> <a href=\"/web/subjects\">{}</a>",
        lang.t("公开信息", "Public"),
        lang.t("签名检查点", "Checkpoint"),
        lang.t("主体查询", "Subject lookup"),
    );
    match viewer.claims {
        Some(c) => {
            for (href, zh, en) in super::staff_links(c.role) {
                nav.push_str(&format!(" <a href=\"{href}\">{}</a>", esc(lang.t(zh, en))));
            }
            nav.push_str(&format!(
                " <form method=\"post\" action=\"/web/logout\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><span class=\"who\">{} ({})</span> <button type=\"submit\">{}</button></form>",
                esc(viewer.csrf.unwrap_or_default()),
                esc(&c.sub),
                esc(c.role.as_str()),
                lang.t("退出", "Log out"),
            ));
        }
        None => nav.push_str(&format!(
            " <a href=\"/web/login\">{}</a>",
            lang.t("工作人员登录", "Staff login")
        )),
    }
    let (other, other_name) = match lang {
        Lang::Zh => ("en", "English"),
        Lang::En => ("zh", "中文"),
    };
    Html(format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · 监信 jianxin</title><link rel=\"stylesheet\" href=\"/web/assets/web.css\">\
<script src=\"/web/assets/web.js\" defer></script></head><body>\
<header><span class=\"brand\">监信 jianxin</span><nav>{nav}</nav>\
<a class=\"lang\" id=\"lang-toggle\" href=\"/web/lang/{other}?back={back}\">{other_name}</a></header>\
<main><h1>{title}</h1>{body}</main>\
<footer>{footer}</footer></body></html>",
        code = lang.code(),
        title = esc(title),
        back = q(viewer.path),
        footer = lang.t(
            "所有事实均记录于可验证的只追加日志：GET /v1/log/checkpoint",
            "Every fact is in a verifiable append-only log: GET /v1/log/checkpoint"
        ),
    ))
}

/// An error page of `status` (403 for a wrong role, 404, 400 …) with `message`.
pub fn error_page(lang: Lang, viewer: &Viewer<'_>, status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::FORBIDDEN => lang.t("无权访问 (403)", "Forbidden (403)"),
        StatusCode::NOT_FOUND => lang.t("未找到 (404)", "Not found (404)"),
        StatusCode::BAD_REQUEST => lang.t("请求有误 (400)", "Bad request (400)"),
        _ => lang.t("出错了", "Something went wrong"),
    };
    let body = format!(
        "<p class=\"error\" id=\"error\" data-status=\"{}\">{}</p>",
        status.as_u16(),
        esc(message)
    );
    (status, page(lang, viewer, title, &body)).into_response()
}

/// A redirect (303 See Other) to a local path.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// A JSON value as HTML: objects as two-column tables, arrays of objects as tables
/// with one column per key, scalars as escaped text.
pub fn json(value: &Value) -> String {
    match value {
        Value::Null => "<span class=\"muted\">—</span>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => esc(s),
        Value::Array(items) if items.is_empty() => "<span class=\"muted\">[]</span>".into(),
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let mut keys: Vec<&String> = vec![];
            for item in items {
                if let Value::Object(m) = item {
                    for k in m.keys() {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                }
            }
            let mut out = String::from("<table class=\"data\"><thead><tr>");
            for k in &keys {
                out.push_str(&format!("<th>{}</th>", esc(k)));
            }
            out.push_str("</tr></thead><tbody>");
            for item in items {
                out.push_str("<tr>");
                for k in &keys {
                    out.push_str(&format!(
                        "<td>{}</td>",
                        json(item.get(k.as_str()).unwrap_or(&Value::Null))
                    ));
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table>");
            out
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(json).collect();
            parts.join(", ")
        }
        Value::Object(map) => {
            let mut out = String::from("<table class=\"kv\">");
            for (k, v) in map {
                out.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), json(v)));
            }
            out.push_str("</table>");
            out
        }
    }
}

/// A string field of a JSON value, or "".
pub fn s<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A field of a JSON value shown as text (strings unquoted).
pub fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_character_is_escaped() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn json_is_rendered_escaped() {
        let v = serde_json::json!({"a": "<b>", "rows": [{"x": 1}, {"y": "&"}]});
        let html = json(&v);
        assert!(html.contains("&lt;b&gt;"));
        assert!(html.contains("&amp;"));
        assert!(!html.contains("<b>"));
    }
}
