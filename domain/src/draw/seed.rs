//! The seed of a draw and its per-purpose keystreams (docs/DRAW.md §3, §4).
//!
//! The seed is SHA-256 of one canonical text: fixed `key=value` lines that bind the
//! task, the digests of every frozen text, the rules version and digest, the drand round
//! and randomness, and the commit–reveal values. Each purpose (a stratum's subjects, a
//! subject's team, a recusal) then gets its own ChaCha20 key,
//! `SHA-256(seed || label)`, so a recusal or a change in one stratum shifts no other
//! part of the draw.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::identifiers::Uscc;

use super::beacon::{Commitment, VerifiedBeacon, QUICKNET_CHAIN_HASH};
use super::inputs::{DrawTask, TaskItem};
use super::pool::PoolDigests;
use super::random::WordStream;
use super::strata::StratumKey;

/// First line of the seed text.
pub const SEED_MAGIC: &str = "jianxin-draw-seed-v1";

/// The 32-byte seed of a draw, published with its result.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seed(pub [u8; 32]);

impl Seed {
    /// SHA-256 of the seed text.
    pub fn of_text(text: &str) -> Seed {
        Seed(Sha256::digest(text.as_bytes()).into())
    }

    /// The ChaCha20 key of one purpose: `SHA-256(seed || label)`, the label in UTF-8.
    pub fn key(&self, purpose: &Purpose<'_>) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.0);
        hasher.update(purpose.label().as_bytes());
        hasher.finalize().into()
    }

    /// The word stream of one purpose.
    pub fn stream(&self, purpose: &Purpose<'_>) -> WordStream {
        WordStream::from_key(self.key(purpose))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seed({})", self.to_hex())
    }
}

/// What a keystream is for; each has its own label and so its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// The subjects of one stratum: `subjects/<region>/<class>`.
    Subjects(&'a StratumKey),
    /// The team of one subject: `team/<uscc>`.
    Team(&'a Uscc),
    /// The `n`-th replacement (from 1) on one subject's team: `recusal/<uscc>/<n>`.
    Recusal(&'a Uscc, u32),
}

impl Purpose<'_> {
    /// The label, e.g. `subjects/330106/A`, `team/91330106000000001X`,
    /// `recusal/91330106000000001X/1`.
    pub fn label(&self) -> String {
        match self {
            Purpose::Subjects(stratum) => stratum.label(),
            Purpose::Team(uscc) => format!("team/{}", uscc.as_str()),
            Purpose::Recusal(uscc, n) => format!("recusal/{}/{n}", uscc.as_str()),
        }
    }
}

/// The seed text (docs/DRAW.md §3): every line `key=value` and LF-terminated, in this
/// order, with lists sorted by their UTF-8 bytes and digests in lower-case hex.
pub fn seed_text(
    task: &DrawTask,
    digests: &PoolDigests,
    rules_version: u32,
    beacon: &VerifiedBeacon,
    commitments: &[Commitment],
) -> String {
    let mut lines: Vec<String> = vec![
        SEED_MAGIC.to_owned(),
        format!("task_id={}", task.task_id),
        format!(
            "inspection_date={}",
            task.inspection_date.format("%Y-%m-%d")
        ),
        format!(
            "departments={}",
            task.departments
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ),
        format!("team_size={}", task.team_size),
    ];
    let mut items: Vec<&TaskItem> = task.items.iter().collect();
    items.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    lines.extend(items.into_iter().map(|item| {
        format!(
            "item={};{};{}",
            item.code.as_str(),
            item.department.as_str(),
            item.qualification.as_ref().map_or("", |q| q.as_str())
        )
    }));
    lines.extend([
        format!("subjects_sha256={}", hex::encode(digests.subjects)),
        format!("inspectors_sha256={}", hex::encode(digests.inspectors)),
        format!(
            "relationships_sha256={}",
            hex::encode(digests.relationships)
        ),
        format!("previous_sha256={}", hex::encode(digests.previous)),
        format!("rules_version={rules_version}"),
        format!("rules_sha256={}", hex::encode(digests.rules)),
        format!("drand_chain={QUICKNET_CHAIN_HASH}"),
        format!("drand_round={}", beacon.round),
        format!("drand_randomness={}", hex::encode(beacon.randomness)),
    ]);
    let mut sorted: Vec<&Commitment> = commitments.iter().collect();
    sorted.sort_by(|a, b| a.department.as_str().cmp(b.department.as_str()));
    lines.extend(sorted.into_iter().map(|c| {
        format!(
            "reveal={};{};{}",
            c.department.as_str(),
            hex::encode(c.commitment),
            c.valid_secret().map_or_else(|| "-".to_owned(), hex::encode)
        )
    }));
    let mut text = lines.join("\n");
    text.push('\n');
    text
}
