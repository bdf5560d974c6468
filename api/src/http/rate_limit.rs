//! Rate limits on requests without a verified token (匿名访问限流): the public site and
//! API, the login form and any request whose token this service has not yet verified
//! share one budget per client address. A token bucket per address refills at
//! `per_minute` and holds at most `burst`; beyond it the answer is 429 `too-many-requests`
//! with `Retry-After`, and nothing is done. Requests carrying a token that verifies and
//! is valid now (kept in the [`crate::tokens::TokenCache`]) are identified and audited,
//! so they are not held back; a forged, guessed or expired token is counted, which slows
//! guessing down as well.
//! `/healthz` is never limited (load balancers poll it).
//!
//! Time comes from the service's clock, so tests can step it. The table of addresses
//! is bounded: when it reaches [`RateLimit::MAX_ADDRESSES`], full buckets are dropped.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::error::ApiError;
use crate::state::AppState;

/// Per-address budgets of requests without a verified token.
#[derive(Debug)]
pub struct RateLimit {
    per_minute: u32,
    burst: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl RateLimit {
    /// The default budget: 600 requests a minute per address, 200 at once.
    pub const DEFAULT_PER_MINUTE: u32 = 600;
    /// See [`RateLimit::DEFAULT_PER_MINUTE`].
    pub const DEFAULT_BURST: u32 = 200;
    /// The most addresses tracked at once.
    pub const MAX_ADDRESSES: usize = 100_000;

    /// A limit of `per_minute` requests per address with bursts of `burst`; `per_minute`
    /// 0 turns the limit off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimit {
            per_minute,
            burst: burst.max(1),
            buckets: Mutex::default(),
        }
    }

    /// Takes one request from `ip`'s budget at `now`, or says how many seconds until
    /// one is available.
    pub fn take(&self, ip: IpAddr, now: DateTime<Utc>) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let rate = f64::from(self.per_minute) / 60.0;
        let burst = f64::from(self.burst);
        if buckets.len() >= Self::MAX_ADDRESSES && !buckets.contains_key(&ip) {
            buckets.retain(|_, b| refilled(b, now, rate, burst) < burst);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let tokens = refilled(bucket, now, rate, burst);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now.max(bucket.at),
            };
            Ok(())
        } else {
            *bucket = Bucket {
                tokens,
                at: now.max(bucket.at),
            };
            Err(((1.0 - tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::new(Self::DEFAULT_PER_MINUTE, Self::DEFAULT_BURST)
    }
}

/// The bucket's tokens at `now` (a clock that went back refills nothing).
fn refilled(b: &Bucket, now: DateTime<Utc>, rate: f64, burst: f64) -> f64 {
    let elapsed = (now - b.at).num_microseconds().unwrap_or(i64::MAX).max(0) as f64 / 1e6;
    (b.tokens + elapsed * rate).min(burst)
}

/// The tokens a request carries: its bearer token and its web session's cookie.
fn tokens_of(req: &Request) -> impl Iterator<Item = String> {
    // the same reading of `Authorization` as the authentication itself
    let bearer = super::auth::bearer_token(req.headers())
        .ok()
        .map(str::to_owned);
    let cookie = crate::web::session::cookie(req.headers(), crate::web::session::SESSION_COOKIE);
    [bearer, cookie].into_iter().flatten()
}

/// The middleware: counts requests without a verified token against their address.
/// Requests that did not come over a socket (in-process calls) are not limited.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return next.run(req).await;
    };
    let now = state.clock.now();
    if req.uri().path() == "/healthz" || tokens_of(&req).any(|t| state.tokens.is_valid_at(&t, now))
    {
        return next.run(req).await;
    }
    match state.rate_limit.take(peer.ip(), now) {
        Ok(()) => next.run(req).await,
        // Over budget: a token that verifies now (its first use here) still passes, so a
        // busy address never locks out its legitimate users; anything else waits.
        Err(_)
            if tokens_of(&req).any(|t| state.tokens.verify(&state.verifier, &t, now).is_ok()) =>
        {
            next.run(req).await
        }
        Err(retry_after) => ApiError::TooManyRequests { retry_after }.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let limit = RateLimit::new(60, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limit.take(a, t0), Ok(()));
        }
        assert_eq!(limit.take(a, t0), Err(1), "one a second: retry in 1 s");
        // another address has its own budget
        assert_eq!(limit.take(b, t0), Ok(()));
        // one second refills one request, not more
        let t1 = t0 + Duration::seconds(1);
        assert_eq!(limit.take(a, t1), Ok(()));
        assert!(limit.take(a, t1).is_err());
        // a long pause refills up to the burst only
        let later = t0 + Duration::hours(1);
        for _ in 0..3 {
            assert_eq!(limit.take(a, later), Ok(()));
        }
        assert!(limit.take(a, later).is_err());
        // a clock that goes back refills nothing
        assert!(limit.take(a, t0).is_err());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let limit = RateLimit::new(0, 1);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..1000 {
            assert_eq!(limit.take(a, t0), Ok(()));
        }
    }
}
