//! API bearer tokens (`jianxin token issue`): a user, a role, optional scopes and an
//! expiry, signed with the deployment key under the label `jianxin-api-token-v1`.
//!
//! Format: `jx1.<base64url(claims JSON)>.<base64url(Ed25519 signature)>`. Stateless to
//! check; each issuance is recorded as an event, so the trail says who got which access.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jianxin_domain::event_log::{Actor, Role};
use jianxin_domain::integrity::{sign_message, verify_message, NoteSigner, NoteVerifier};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const DOMAIN: &str = "jianxin-api-token-v1";
const PREFIX: &str = "jx1.";

/// What a token asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// Token id (recorded with the issuance event).
    pub jti: Uuid,
    /// The user id.
    pub sub: String,
    /// The role.
    pub role: Role,
    /// Scopes (e.g. the scenarios an `external_system` may ask about); empty = none.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
}

impl Claims {
    /// The actor the token acts as.
    pub fn actor(&self) -> Actor {
        Actor::new(self.sub.clone(), self.role)
    }
}

/// Why a token was refused (all map to HTTP 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the form `jx1.<claims>.<signature>`.
    #[error("malformed token: expected jx1.<claims>.<signature>")]
    Malformed,
    /// The signature is not by this deployment's key.
    #[error("token signature does not verify")]
    BadSignature,
    /// Past its expiry.
    #[error("token expired at {0}")]
    Expired(DateTime<Utc>),
    /// Issued in the future (clock skew or forgery).
    #[error("token not valid yet")]
    NotYetValid,
}

/// Sign `claims` into a token string.
pub fn issue(signer: &NoteSigner, claims: &Claims) -> Result<String, serde_json::Error> {
    let body = serde_json::to_vec(claims)?;
    let encoded = URL_SAFE_NO_PAD.encode(&body);
    // The domain is a constant without NUL, so signing cannot fail on it.
    let sig = sign_message(signer, DOMAIN, encoded.as_bytes()).unwrap_or([0u8; 64]);
    Ok(format!("{PREFIX}{encoded}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// Check a token's signature and validity at `now`.
pub fn verify(
    verifier: &NoteVerifier,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Claims, TokenError> {
    check_times(verify_signature(verifier, token)?, now)
}

/// A token's format and signature (not its times).
fn verify_signature(verifier: &NoteVerifier, token: &str) -> Result<Claims, TokenError> {
    let rest = token.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
    let (body, sig) = rest.split_once('.').ok_or(TokenError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| TokenError::Malformed)?;
    verify_message(verifier, DOMAIN, body.as_bytes(), &sig)
        .map_err(|_| TokenError::BadSignature)?;
    let json = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)
}

/// A token's expiry and not-before at `now`.
fn check_times(claims: Claims, now: DateTime<Utc>) -> Result<Claims, TokenError> {
    let t = now.timestamp();
    if t >= claims.exp {
        return Err(TokenError::Expired(
            DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
        ));
    }
    if claims.iat > t + 300 {
        return Err(TokenError::NotYetValid);
    }
    Ok(claims)
}

/// Tokens whose signature has been checked (验签缓存): an Ed25519 verification costs more
/// than answering a credit check from memory, and a calling system sends the same token
/// thousands of times. The cache keeps only the claims of tokens that verified under
/// this process's key; expiry and not-before are checked again at every use, at the
/// caller's `now`, so a cached token expires exactly when an uncached one would. At most
/// [`TokenCache::CAPACITY`] tokens are kept (by default); when full, it starts over.
/// One cache serves one verifier (the service's key), as [`crate::state::AppState`] holds it.
#[derive(Debug)]
pub struct TokenCache {
    verified: std::sync::Mutex<std::collections::HashMap<String, Claims>>,
    capacity: usize,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::with_capacity(Self::CAPACITY)
    }
}

impl TokenCache {
    /// The most tokens kept by default.
    pub const CAPACITY: usize = 4096;

    /// A cache keeping at most `capacity` tokens.
    pub fn with_capacity(capacity: usize) -> Self {
        TokenCache {
            verified: std::sync::Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// Whether `token` has passed the signature check here and is valid at `now`: an
    /// expired token, however well signed, is anonymous again.
    pub fn is_valid_at(&self, token: &str, now: DateTime<Utc>) -> bool {
        let cached = self
            .verified
            .lock()
            .ok()
            .and_then(|m| m.get(token).cloned());
        cached.is_some_and(|claims| check_times(claims, now).is_ok())
    }

    /// [`verify`], skipping the signature check for a token that already passed it.
    pub fn verify(
        &self,
        verifier: &NoteVerifier,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError> {
        let cached = self
            .verified
            .lock()
            .ok()
            .and_then(|m| m.get(token).cloned());
        let claims = match cached {
            Some(claims) => claims,
            None => {
                // Only the format and the signature decide here; the times are checked
                // below at `now`, for cached and new tokens alike.
                let claims = verify_signature(verifier, token)?;
                if let Ok(mut m) = self.verified.lock() {
                    if m.len() >= self.capacity {
                        m.clear();
                    }
                    m.insert(token.to_owned(), claims.clone());
                }
                claims
            }
        };
        check_times(claims, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn signer(seed: u8) -> NoteSigner {
        NoteSigner::generate("test", |s| s.fill(seed)).unwrap()
    }

    fn claims(now: DateTime<Utc>) -> Claims {
        Claims {
            jti: Uuid::nil(),
            sub: "alice".into(),
            role: Role::Supervisor,
            scopes: vec![],
            iat: now.timestamp(),
            exp: now.timestamp() + 3600,
        }
    }

    #[test]
    fn a_cached_token_is_valid_only_within_its_times() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let s = signer(1);
        let token = issue(&s, &claims(now)).unwrap();
        let cache = TokenCache::default();
        assert!(!cache.is_valid_at(&token, now), "never verified here");
        assert!(cache.verify(&s.verifier(), &token, now).is_ok());
        assert!(cache.is_valid_at(&token, now));
        let later = now + chrono::Duration::seconds(3601);
        assert!(!cache.is_valid_at(&token, later), "expired");
    }

    #[test]
    fn tokens_verify_and_refuse_forgery_expiry_and_tampering() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let s = signer(1);
        let token = issue(&s, &claims(now)).unwrap();
        assert_eq!(verify(&s.verifier(), &token, now).unwrap().sub, "alice");
        assert_eq!(
            verify(&signer(2).verifier(), &token, now),
            Err(TokenError::BadSignature)
        );
        assert!(matches!(
            verify(&s.verifier(), &token, now + chrono::Duration::hours(2)),
            Err(TokenError::Expired(_))
        ));
        // promote oneself to admin by editing the claims: the signature no longer fits
        let mut c = claims(now);
        c.role = Role::Admin;
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        let sig = token.rsplit('.').next().unwrap();
        let forged = format!("jx1.{forged_body}.{sig}");
        assert_eq!(
            verify(&s.verifier(), &forged, now),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify(&s.verifier(), "Bearer x", now),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn the_cache_keeps_only_verified_tokens_and_checks_expiry_at_each_use() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let s = signer(1);
        let cache = TokenCache::with_capacity(8);
        let token = issue(&s, &claims(now)).unwrap();
        assert_eq!(
            cache.verify(&s.verifier(), &token, now).unwrap().sub,
            "alice"
        );
        // a cached token still expires at its time
        assert!(matches!(
            cache.verify(&s.verifier(), &token, now + chrono::Duration::hours(2)),
            Err(TokenError::Expired(_))
        ));
        assert!(cache.verify(&s.verifier(), &token, now).is_ok());
        // a forged token is refused every time, and never kept
        let other = issue(&signer(2), &claims(now)).unwrap();
        for _ in 0..2 {
            assert_eq!(
                cache.verify(&s.verifier(), &other, now),
                Err(TokenError::BadSignature)
            );
        }
        assert_eq!(cache.verified.lock().unwrap().len(), 1);
        // full: starts over rather than growing
        for n in 0..9 {
            let mut c = claims(now);
            c.exp += n + 1;
            let t = issue(&s, &c).unwrap();
            assert!(cache.verify(&s.verifier(), &t, now).is_ok());
        }
        assert!(cache.verified.lock().unwrap().len() <= 8);
    }
}
