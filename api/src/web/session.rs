//! Staff sessions. A staff member pastes the bearer token `jianxin token issue` gave
//! them into the login form; the server checks it exactly as the API does
//! ([`crate::tokens::verify`] at the state's clock) and keeps it in a cookie that is
//! `HttpOnly` (no script reads it) and `SameSite=Strict` (no other site's page sends
//! it). Every form that changes something also carries a CSRF token derived from the
//! session's token (SHA-256 under its own label), checked before anything is done: a
//! second, independent defence against cross-site requests. The session ends with the
//! token's expiry, or at logout.

use std::collections::BTreeMap;

use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jianxin_domain::event_log::Role;
use sha2::{Digest, Sha256};

use super::html::{error_page, esc, page, see_other, Lang, Viewer};
use crate::state::AppState;
use crate::tokens::Claims;

/// The cookie holding the session's bearer token.
pub(crate) const SESSION_COOKIE: &str = "jx_token";

/// The value of cookie `name`, if the request has it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The CSRF token of a session: a digest of its bearer token under a label of its own.
pub fn csrf_of(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"jianxin-web-csrf-v1\0");
    h.update(token.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// A logged-in staff member: the verified claims of the session's token.
pub struct Staff {
    /// The bearer token (sent on to the API's routes, in process).
    pub token: String,
    /// What it asserts.
    pub claims: Claims,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
}

impl Staff {
    /// The navigation's view of this staff member on page `path`.
    pub fn viewer<'a>(&'a self, path: &'a str) -> Viewer<'a> {
        Viewer {
            claims: Some(&self.claims),
            csrf: Some(&self.csrf),
            path,
        }
    }

    /// A 403 page unless the role is one of `allowed` (the API's sets).
    // The refusal is the page itself, handed straight back to axum: nothing to box.
    #[allow(clippy::result_large_err)]
    pub fn require(&self, lang: Lang, path: &str, allowed: &[Role]) -> Result<(), Response> {
        if allowed.contains(&self.claims.role) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        let message = match lang {
            Lang::Zh => format!(
                "角色 {} 无权访问此页面；允许的角色：{}",
                self.claims.role.as_str(),
                names.join(", ")
            ),
            Lang::En => format!(
                "role {} may not open this page; allowed: {}",
                self.claims.role.as_str(),
                names.join(", ")
            ),
        };
        Err(error_page(
            lang,
            &self.viewer(path),
            StatusCode::FORBIDDEN,
            &message,
        ))
    }

    /// A 403 page unless `form` carries this session's CSRF token.
    #[allow(clippy::result_large_err)]
    pub fn check_csrf(&self, lang: Lang, form: &FormData) -> Result<(), Response> {
        let sent = form.get("csrf");
        let same = sent.len() == self.csrf.len()
            && sent
                .bytes()
                .zip(self.csrf.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok(())
        } else {
            Err(error_page(
                lang,
                &self.viewer("/web/"),
                StatusCode::FORBIDDEN,
                lang.t(
                    "表单的防跨站令牌无效：请重新打开页面再提交",
                    "the form's CSRF token is missing or wrong: reopen the page and submit again",
                ),
            ))
        }
    }
}

impl<S> FromRequestParts<S> for Staff
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let state = AppState::from_ref(state);
        let next = parts
            .uri
            .path_and_query()
            .map_or("/web/", |p| p.as_str())
            .to_string();
        let login = || see_other(&format!("/web/login?next={}", super::html::q(&next)));
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(login());
        };
        match state
            .tokens
            .verify(&state.verifier, &token, state.clock.now())
        {
            Ok(claims) => Ok(Staff {
                csrf: csrf_of(&token),
                token,
                claims,
            }),
            Err(_) => Err(login()),
        }
    }
}

/// A submitted `application/x-www-form-urlencoded` form.
#[derive(Debug, Default)]
pub struct FormData(BTreeMap<String, Vec<String>>);

impl FormData {
    /// Parses a form body.
    pub fn parse(body: &[u8]) -> FormData {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        FormData(map)
    }

    /// The first value of `name`, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map_or("", |s| s.trim())
    }

    /// Sets `name` to the one value `value`.
    pub fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_string(), vec![value.to_string()]);
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path of this site's pages is a place to go back to (no open redirect).
fn local_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| n.starts_with("/web/") && !n.starts_with("//") && !n.contains('\\'))
}

/// The login form.
pub async fn login_page(
    lang: Lang,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    login_form(lang, local_next(q.next.as_deref()), None).into_response()
}

fn login_form(lang: Lang, next: Option<&str>, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"error\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "{error}<form method=\"post\" action=\"/web/login\" class=\"card\">\
<p>{explain}</p>\
<label for=\"token\">{label}</label>\
<textarea id=\"token\" name=\"token\" rows=\"4\" required autocomplete=\"off\" spellcheck=\"false\"></textarea>\
<input type=\"hidden\" name=\"next\" value=\"{next}\">\
<button type=\"submit\" id=\"login\">{submit}</button></form>",
        explain = lang.t(
            "请粘贴 `jianxin token issue` 为您签发的令牌。令牌保存在仅限本站、脚本不可读取的 Cookie 中。",
            "Paste the token `jianxin token issue` gave you. It is kept in a cookie that only this site receives and no script can read."
        ),
        label = lang.t("访问令牌", "Bearer token"),
        next = esc(next.unwrap_or_default()),
        submit = lang.t("登录", "Log in"),
    );
    let viewer = Viewer {
        claims: None,
        csrf: None,
        path: "/web/login",
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    (
        status,
        page(lang, &viewer, lang.t("工作人员登录", "Staff login"), &body),
    )
        .into_response()
}

/// Checks the pasted token and opens the session.
pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if cross_site(&headers) {
        // another site's page posting a token of its choosing would log the visitor in
        // as someone else (login CSRF): only this site's own form may log in
        let viewer = Viewer {
            claims: None,
            csrf: None,
            path: "/web/login",
        };
        let message = lang.t(
            "登录请求须来自本站的登录页面。",
            "A login must come from this site's own login page.",
        );
        return super::html::error_page(lang, &viewer, StatusCode::FORBIDDEN, message);
    }
    let form = FormData::parse(&body);
    let token = form.get("token");
    let next = local_next(Some(form.get("next")));
    let claims = match state
        .tokens
        .verify(&state.verifier, token, state.clock.now())
    {
        Ok(c) => c,
        Err(e) => {
            let message = format!("{}: {e}", lang.t("令牌无效", "the token was refused"));
            return login_form(lang, next, Some(&message));
        }
    };
    let max_age = (claims.exp - state.clock.now().timestamp()).max(0);
    let cookie =
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    let to = next.unwrap_or_else(|| super::home_of(claims.role));
    let mut res = see_other(to);
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Ends the session (the form carries the CSRF token).
pub async fn logout(staff: Staff, lang: Lang, body: axum::body::Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(refused) = staff.check_csrf(lang, &form) {
        return refused;
    }
    let mut res = see_other("/web/");
    res.headers_mut().insert(
        header::SET_COOKIE,
        header::HeaderValue::from_static("jx_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

#[derive(serde::Deserialize)]
pub struct BackQuery {
    back: Option<String>,
}

/// Switches the language (cookie `jx_lang`) and goes back to the page.
pub async fn set_lang(
    axum::extract::Path(to): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<BackQuery>,
) -> Response {
    let code = if to == "en" { "en" } else { "zh" };
    let back = local_next(q.back.as_deref()).unwrap_or("/web/");
    let mut res = see_other(back);
    if let Ok(v) = header::HeaderValue::from_str(&format!(
        "jx_lang={code}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Whether a browser says the request comes from another site: `Sec-Fetch-Site:
/// cross-site`, or an `Origin` whose host is not the request's `Host`. A request with
/// neither (a script, curl) is not a browser's cross-site post.
fn cross_site(headers: &axum::http::HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site") == Some("cross-site") {
        return true;
    }
    match (text("origin"), text("host")) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            !authority.eq_ignore_ascii_case(host)
        }
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            header::HeaderValue::from_static("a=1; jx_token=jx1.x.y; jx_lang=en"),
        );
        assert_eq!(cookie(&h, "jx_token").as_deref(), Some("jx1.x.y"));
        assert_eq!(cookie(&h, "jx_lang").as_deref(), Some("en"));
        assert_eq!(cookie(&h, "b"), None);
    }

    #[test]
    fn only_local_pages_are_redirect_targets() {
        assert_eq!(local_next(Some("/web/credit")), Some("/web/credit"));
        for bad in [
            "https://evil.example/",
            "//evil.example/web/",
            "/v1/me",
            "/web\\x",
        ] {
            assert_eq!(local_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn csrf_tokens_differ_per_session() {
        assert_ne!(csrf_of("jx1.a.b"), csrf_of("jx1.a.c"));
        assert_eq!(csrf_of("jx1.a.b").len(), 32);
    }
}
