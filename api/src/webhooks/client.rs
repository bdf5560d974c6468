//! The HTTP/1.1 client of webhook delivery (推送客户端): one `POST` per attempt on a
//! fresh connection (`Connection: close`), the whole exchange bounded by a timeout, and
//! only the status line read back — a receiver acknowledges with any 2xx, and nothing
//! else of its answer matters. Hand-written over a tokio `TcpStream` because the build
//! has no HTTP client crate (hyper's client half is not compiled in) and this is all
//! delivery needs. Plain `http` only: an `https` target is refused when subscribing
//! (docs/CREDIT.md §5a).
//!
//! The host is resolved here, through the [`TargetPolicy`], and the connection goes to
//! an address it allowed: never to a second resolution. What the subscriber sees of a
//! failure says what failed, not what answered inside the network (no resolved address,
//! no operating-system error); the service's log keeps the detail.

use std::time::Duration;

use jianxin_domain::credit::subscription::WebhookUrl;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::target::{TargetPolicy, TargetRefused};

/// The longest status line read (a receiver's status line is a few dozen bytes).
const STATUS_LINE_MAX: usize = 8 * 1024;

/// Why an attempt got no status.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The target scheme is not delivered by this build.
    #[error("{0}:// targets are not delivered by this build (http only)")]
    Unsupported(String),
    /// The target is not one this service delivers to (see [`TargetPolicy`]).
    #[error("{0}")]
    Refused(#[from] TargetRefused),
    /// No connection (the detail is logged, not shown).
    #[error("could not connect to the target")]
    Connect(std::io::Error),
    /// The exchange did not finish in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Writing or reading failed (the detail is logged, not shown).
    #[error("the connection failed during the exchange")]
    Io(#[from] std::io::Error),
    /// The answer is not HTTP.
    #[error("bad response: {0}")]
    BadResponse(String),
}

/// `POST url` with `headers` and `body` to an address `policy` allows; the answer's
/// status code.
pub async fn post(
    policy: &TargetPolicy,
    url: &WebhookUrl,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<u16, PostError> {
    if url.scheme != "http" {
        return Err(PostError::Unsupported(url.scheme.clone()));
    }
    match tokio::time::timeout(timeout, exchange(policy, url, headers, body)).await {
        Ok(r) => r,
        Err(_) => Err(PostError::Timeout(timeout)),
    }
}

async fn exchange(
    policy: &TargetPolicy,
    url: &WebhookUrl,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<u16, PostError> {
    let addresses = policy.resolve(&url.host, url.port).await?;
    let mut stream = TcpStream::connect(addresses.as_slice())
        .await
        .map_err(PostError::Connect)?;
    let mut head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: jianxin-webhook/1\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        url.path,
        url.host_header(),
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    let line = loop {
        if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            break String::from_utf8_lossy(&buf[..end]).into_owned();
        }
        if buf.len() > STATUS_LINE_MAX {
            return Err(PostError::BadResponse("status line too long".into()));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(PostError::BadResponse(
                "connection closed before a status line".into(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    status_of(&line)
}

/// The code of a status line `HTTP/1.x NNN reason`.
fn status_of(line: &str) -> Result<u16, PostError> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    match code.parse::<u16>() {
        Ok(c) if version.starts_with("HTTP/1.") && (100..=599).contains(&c) => Ok(c),
        _ => Err(PostError::BadResponse(format!(
            "expected an HTTP/1.x status line, got {:?}",
            line.chars().take(80).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse() {
        assert_eq!(status_of("HTTP/1.1 204 No Content").ok(), Some(204));
        assert_eq!(status_of("HTTP/1.0 500").ok(), Some(500));
        assert!(status_of("SSH-2.0-OpenSSH").is_err());
        assert!(status_of("HTTP/1.1 2000 x").is_err());
    }

    #[tokio::test]
    async fn a_post_reads_the_status_and_times_out_on_silence() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await;
        let Ok(listener) = listener else {
            panic!("bind")
        };
        let Ok(addr) = listener.local_addr() else {
            panic!("addr")
        };
        let server = tokio::spawn(async move {
            // first connection: answer 202; second: say nothing
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 202 Accepted\r\n\r\n").await;
            }
            if let Ok((s, _)) = listener.accept().await {
                tokio::time::sleep(Duration::from_secs(5)).await;
                drop(s);
            }
        });
        let url = WebhookUrl::parse(&format!("http://{addr}/hook"));
        let Ok(url) = url else { panic!("url") };
        // loopback is refused unless allowed, before any connection
        let public = TargetPolicy::public_only();
        let refused = post(&public, &url, &[], b"{}", Duration::from_secs(5)).await;
        assert!(
            matches!(refused, Err(PostError::Refused(TargetRefused::NotPublic))),
            "{refused:?}"
        );
        let Ok(policy) = TargetPolicy::allowing(&["127.0.0.1"]) else {
            panic!("allow-list")
        };
        let got = post(&policy, &url, &[], b"{}", Duration::from_secs(5)).await;
        assert_eq!(got.ok(), Some(202));
        let got = post(&policy, &url, &[], b"{}", Duration::from_millis(100)).await;
        assert!(matches!(got, Err(PostError::Timeout(_))), "{got:?}");
        server.abort();
        let https = WebhookUrl::parse("https://example.org/");
        let Ok(https) = https else { panic!("url") };
        assert!(matches!(
            post(&policy, &https, &[], b"", Duration::from_millis(10)).await,
            Err(PostError::Unsupported(_))
        ));
    }
}
