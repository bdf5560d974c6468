//! Webhook secrets and signatures (推送签名). A subscription's secret is
//! `hex(HMAC-SHA256(webhook key, subscription id))`; the webhook key is derived from the
//! deployment's Ed25519 key under its own label, so no new secret has to be stored,
//! none is ever written to the event log, and the service recomputes a secret whenever
//! it signs. The subscriber gets its secret once, in the subscribe response.
//!
//! A delivery is signed as `sha256=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`, the
//! key being the secret's ASCII text (docs/CREDIT.md §5a).

use hmac::{Hmac, Mac};
use jianxin_domain::integrity::{sign_message, MessageError, NoteSigner};
use sha2::{Digest, Sha256};
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// The domain-separation label of the webhook key (never used to sign anything else).
const KEY_LABEL: &str = "jianxin-webhook-key-v1";

/// The service's webhook key: 32 bytes derived from the deployment key. Its `Debug`
/// never shows it.
pub struct WebhookKey([u8; 32]);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(…)")
    }
}

impl WebhookKey {
    /// Derive the key: SHA-256 of the deployment key's (deterministic) Ed25519
    /// signature of a fixed message under the label `jianxin-webhook-key-v1`. Only the
    /// holder of the deployment key can compute it; rotating that key rotates every
    /// secret.
    pub fn derive(signer: &NoteSigner) -> Result<WebhookKey, MessageError> {
        let sig = sign_message(signer, KEY_LABEL, b"webhook secrets")?;
        Ok(WebhookKey(Sha256::digest(sig).into()))
    }

    /// The secret of subscription `id`, 64 lower-case hex digits.
    pub fn secret(&self, id: Uuid) -> String {
        hex::encode(hmac(&self.0, id.hyphenated().to_string().as_bytes()))
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(msg);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// The `X-Jianxin-Signature` value of `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut msg = format!("{timestamp}.").into_bytes();
    msg.extend_from_slice(body);
    format!("sha256={}", hex::encode(hmac(secret.as_bytes(), &msg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_differ_by_subscription_and_key_and_signatures_are_rfc_4231_hmac() {
        let one = NoteSigner::generate("a", |s| s.fill(1));
        let two = NoteSigner::generate("a", |s| s.fill(2));
        let (Ok(one), Ok(two)) = (one, two) else {
            panic!("test keys")
        };
        let (Ok(k1), Ok(k2)) = (WebhookKey::derive(&one), WebhookKey::derive(&two)) else {
            panic!("derive")
        };
        let id = Uuid::nil();
        assert_eq!(k1.secret(id), k1.secret(id));
        assert_ne!(k1.secret(id), k1.secret(Uuid::max()));
        assert_ne!(k1.secret(id), k2.secret(id));
        assert_eq!(k1.secret(id).len(), 64);
        assert_eq!(format!("{k1:?}"), "WebhookKey(…)");
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            hex::encode(hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // the signed message is "<timestamp>.<body>"
        assert_eq!(
            signature("Jefe", 1, b"x"),
            format!("sha256={}", hex::encode(hmac(b"Jefe", b"1.x")))
        );
    }
}
