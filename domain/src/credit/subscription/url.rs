//! The target URL of a subscription (推送地址), checked before it becomes a fact: an
//! absolute `http` or `https` URL with a host, no credentials (they would sit in the log
//! in clear), no fragment, no white space or control characters, and a bounded length.

use std::fmt;

/// The longest target URL accepted, in bytes.
pub const URL_MAX_BYTES: usize = 2048;

/// Why a target URL was refused; each says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Empty, or longer than [`URL_MAX_BYTES`].
    #[error("expected 1 to {URL_MAX_BYTES} bytes, got {0}")]
    Length(usize),
    /// Not `http://` or `https://`.
    #[error("expected an http:// or https:// URL, got scheme {0:?}")]
    Scheme(String),
    /// White space or a control character.
    #[error("expected no white space or control characters (at byte {0})")]
    Character(usize),
    /// `user:password@` in the URL.
    #[error("expected no user name or password in the URL (they would be stored in clear)")]
    Credentials,
    /// A `#fragment`.
    #[error("expected no #fragment (it is never sent)")]
    Fragment,
    /// No host, or a malformed one.
    #[error("expected a host name or IP address, got {0:?}")]
    Host(String),
    /// A port that is not 1–65535.
    #[error("expected a port from 1 to 65535, got {0:?}")]
    Port(String),
}

/// A validated target URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    /// `http` or `https`, lower case.
    pub scheme: String,
    /// The host (an IPv6 address without its brackets), lower case.
    pub host: String,
    /// The port (the scheme's default when none is given).
    pub port: u16,
    /// Path and query, `/` when empty.
    pub path: String,
    /// The port was written out.
    explicit_port: bool,
}

impl WebhookUrl {
    /// Check `text` and normalise it (scheme and host lower case, `/` for an empty path).
    pub fn parse(text: &str) -> Result<WebhookUrl, UrlError> {
        if text.is_empty() || text.len() > URL_MAX_BYTES {
            return Err(UrlError::Length(text.len()));
        }
        if let Some(i) = text.find(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::Character(i));
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| UrlError::Scheme(String::new()))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(UrlError::Scheme(scheme)),
        };
        if rest.contains('#') {
            return Err(UrlError::Fragment);
        }
        let cut = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(cut);
        if authority.contains('@') {
            return Err(UrlError::Credentials);
        }
        let (host, port) = split_host_port(authority)?;
        let explicit_port = port.is_some();
        let port = match port {
            None => default_port,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(UrlError::Port(p.to_string())),
            },
        };
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        Ok(WebhookUrl {
            scheme,
            host,
            port,
            path,
            explicit_port,
        })
    }

    /// The `Host` header's value.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.explicit_port {
            format!("{host}:{}", self.port)
        } else {
            host
        }
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.host_header(), self.path)
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<&str>), UrlError> {
    let bad = || UrlError::Host(authority.to_string());
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or_else(bad)?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad());
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (addr.to_ascii_lowercase(), port)
    } else {
        let (h, p) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let valid = !h.is_empty()
            && h.len() <= 253
            && h.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !valid {
            return Err(bad());
        }
        (h.to_ascii_lowercase(), p)
    };
    Ok((host, port))
}
