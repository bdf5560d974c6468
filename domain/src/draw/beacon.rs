//! The randomness of a draw (docs/DRAW.md §3): a drand quicknet round, verified offline,
//! and the departments' commit–reveal values.
//!
//! drand's League of Entropy threshold-signs each round: nobody, the operator of a draw
//! included, can choose or know the value before its time. Verification needs only the
//! chain's public key, the round and its signature, so anyone re-checks a published draw
//! without a network. Commit–reveal adds each department's own secret: committed before
//! the freeze, revealed before the round's time, so withholding a reveal gains nothing;
//! a missing or wrong reveal is recorded and never blocks the draw.

use drand_verify::{G2PubkeyRfc, Pubkey};
use sha2::{Digest, Sha256};

use crate::directory::DepartmentCode;

/// The chain hash of drand quicknet (scheme `bls-unchained-g1-rfc9380`).
pub const QUICKNET_CHAIN_HASH: &str =
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";
/// The public key of drand quicknet: a compressed G2 point, 96 bytes.
pub const QUICKNET_PUBLIC_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";
/// Unix time of quicknet round 1.
pub const QUICKNET_GENESIS_UNIX: i64 = 1_692_803_367;
/// Seconds between quicknet rounds.
pub const QUICKNET_PERIOD_SECONDS: i64 = 3;
/// The domain separator of commitments.
pub const COMMIT_DOMAIN: &[u8] = b"jianxin-draw-commit-v1";

/// The unix time at which quicknet publishes `round` (`genesis + (round - 1) × 3`);
/// `None` for round 0, which does not exist.
pub fn quicknet_round_time(round: u64) -> Option<i64> {
    let steps = i64::try_from(round.checked_sub(1)?).ok()?;
    QUICKNET_GENESIS_UNIX.checked_add(steps.checked_mul(QUICKNET_PERIOD_SECONDS)?)
}

/// The first quicknet round published at or after unix time `unix`: the round to fix
/// for a task whose pool is frozen before `unix`.
pub fn quicknet_first_round_at_or_after(unix: i64) -> u64 {
    let since = unix.saturating_sub(QUICKNET_GENESIS_UNIX).max(0);
    let steps = (since + QUICKNET_PERIOD_SECONDS - 1) / QUICKNET_PERIOD_SECONDS;
    u64::try_from(steps).unwrap_or(0) + 1
}

/// The message quicknet signs for `round`: SHA-256 of the round as a big-endian u64.
pub fn quicknet_message(round: u64) -> [u8; 32] {
    Sha256::digest(round.to_be_bytes()).into()
}

/// A drand quicknet round as published: the round number and its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrandBeacon {
    /// The round; the draw requires the one its task fixed in advance.
    pub round: u64,
    /// The BLS signature: a compressed G1 point, 48 bytes.
    pub signature: Vec<u8>,
}

/// A round whose signature verified under the quicknet public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBeacon {
    /// The round.
    pub round: u64,
    /// `SHA-256(signature)`, the round's randomness as drand defines it.
    pub randomness: [u8; 32],
}

/// Why a beacon round was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconError {
    /// Round 0 does not exist.
    #[error("drand round 0 does not exist; rounds start at 1")]
    RoundZero,
    /// The signature is not 48 bytes.
    #[error("drand quicknet signatures are 48 bytes, found {found}")]
    SignatureLength {
        /// The length found.
        found: usize,
    },
    /// The signature is not a valid curve point.
    #[error("drand round {round}: the signature is not a valid G1 point: {detail}")]
    InvalidPoint {
        /// The round.
        round: u64,
        /// The library's explanation.
        detail: String,
    },
    /// The signature does not verify for this round under the quicknet public key.
    #[error("drand round {round}: the signature does not verify under the quicknet key")]
    BadSignature {
        /// The round.
        round: u64,
    },
    /// The built-in public key failed to decode (a build defect, never an input).
    #[error("the quicknet public key constant is not a G2 point")]
    PublicKey,
}

impl DrandBeacon {
    /// Verifies the round offline (BLS on BLS12-381, message
    /// [`quicknet_message`]) and derives its randomness, `SHA-256(signature)`.
    pub fn verify(&self) -> Result<VerifiedBeacon, BeaconError> {
        if self.round == 0 {
            return Err(BeaconError::RoundZero);
        }
        if self.signature.len() != 48 {
            return Err(BeaconError::SignatureLength {
                found: self.signature.len(),
            });
        }
        let key = quicknet_public_key()?;
        match key.verify(self.round, b"", &self.signature) {
            Ok(true) => Ok(VerifiedBeacon {
                round: self.round,
                randomness: Sha256::digest(&self.signature).into(),
            }),
            Ok(false) => Err(BeaconError::BadSignature { round: self.round }),
            Err(error) => Err(BeaconError::InvalidPoint {
                round: self.round,
                detail: error.to_string(),
            }),
        }
    }
}

fn quicknet_public_key() -> Result<G2PubkeyRfc, BeaconError> {
    let bytes = hex::decode(QUICKNET_PUBLIC_KEY).map_err(|_| BeaconError::PublicKey)?;
    let fixed: [u8; 96] = bytes.try_into().map_err(|_| BeaconError::PublicKey)?;
    G2PubkeyRfc::from_fixed(fixed).map_err(|_| BeaconError::PublicKey)
}

/// The commitment to a 32-byte secret:
/// `SHA-256("jianxin-draw-commit-v1" || 0x00 || secret)`.
pub fn commitment_of(secret: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(COMMIT_DOMAIN);
    hasher.update([0u8]);
    hasher.update(secret);
    hasher.finalize().into()
}

/// One department's commit–reveal contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    /// The department that committed (at most one commitment each).
    pub department: DepartmentCode,
    /// Published before the freeze.
    pub commitment: [u8; 32],
    /// Revealed before the beacon round's time; `None` when it was not.
    pub secret: Option<[u8; 32]>,
}

/// What became of a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RevealStatus {
    /// The reveal matches the commitment: the secret enters the seed.
    Valid,
    /// No reveal: recorded, and the draw goes on without it.
    Missing,
    /// A reveal that does not match the commitment: recorded, and ignored.
    Invalid,
}

impl RevealStatus {
    /// The name used in the result transcript.
    pub fn as_str(self) -> &'static str {
        match self {
            RevealStatus::Valid => "valid",
            RevealStatus::Missing => "missing",
            RevealStatus::Invalid => "invalid",
        }
    }
}

impl Commitment {
    /// Whether the reveal is there and matches.
    pub fn status(&self) -> RevealStatus {
        match &self.secret {
            None => RevealStatus::Missing,
            Some(secret) if commitment_of(secret) == self.commitment => RevealStatus::Valid,
            Some(_) => RevealStatus::Invalid,
        }
    }

    /// The secret if it is valid, the only way a reveal reaches the seed.
    pub fn valid_secret(&self) -> Option<&[u8; 32]> {
        match self.status() {
            RevealStatus::Valid => self.secret.as_ref(),
            RevealStatus::Missing | RevealStatus::Invalid => None,
        }
    }
}
