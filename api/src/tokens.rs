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
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
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
}
