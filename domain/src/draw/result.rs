//! The result of a draw and its transcript: the text that golden vectors and independent
//! re-implementations compare byte for byte (docs/DRAW.md §10).

use serde::{Deserialize, Serialize};

use crate::directory::DepartmentCode;
use crate::identifiers::Uscc;

use super::beacon::RevealStatus;
use super::pool::PoolDigests;
use super::seed::Seed;
use super::strata::StratumKey;
use super::teams::Team;

/// First line of the transcript.
pub const RESULT_MAGIC: &str = "jianxin-draw-result-v1";

/// The draw of one stratum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumResult {
    /// Region and risk class.
    pub stratum: StratumKey,
    /// Subjects in the stratum (published with the pool, zeros never arise: a stratum
    /// exists because a subject is in it).
    pub pool: usize,
    /// Subjects drawn: [`quota`](super::quota) of `pool` and the class's ratio.
    pub quota: usize,
    /// The drawn subjects, in draw order.
    pub selected: Vec<Uscc>,
    /// The rest of the stratum in draw order (备选): the order in which replacements
    /// for subjects found closed or unreachable are taken. Empty when `quota` is 0.
    pub reserve: Vec<Uscc>,
}

/// Subjects and teams: what the seed decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drawn {
    /// Every stratum of the pool, in processing order.
    pub strata: Vec<StratumResult>,
    /// One team per drawn subject, in selection order (strata in order, then draw order).
    pub teams: Vec<Team>,
}

impl Drawn {
    /// The transcript (docs/DRAW.md §10): `jianxin-draw-result-v1`, `seed=<hex>`, then per
    /// stratum `stratum=<region>/<class>;pool=<n>;quota=<k>`, `selected=<uscc>,…`,
    /// `reserve=<uscc>,…`, then per team `team=<uscc>;<id>,…`; every line LF-terminated.
    pub fn transcript(&self, seed: &Seed) -> String {
        let mut out = format!("{RESULT_MAGIC}\nseed={}\n", seed.to_hex());
        let join = |codes: &[Uscc]| codes.iter().map(Uscc::as_str).collect::<Vec<_>>().join(",");
        for s in &self.strata {
            out.push_str(&format!(
                "stratum={}/{};pool={};quota={}\nselected={}\nreserve={}\n",
                s.stratum.region.as_str(),
                s.stratum.risk_class.as_str(),
                s.pool,
                s.quota,
                join(&s.selected),
                join(&s.reserve)
            ));
        }
        for team in &self.teams {
            let members: Vec<&str> = team.members.iter().map(|m| m.as_str()).collect();
            out.push_str(&format!(
                "team={};{}\n",
                team.uscc.as_str(),
                members.join(",")
            ));
        }
        out
    }

    /// The drawn subjects in selection order.
    pub fn selected(&self) -> impl Iterator<Item = &Uscc> {
        self.strata.iter().flat_map(|s| &s.selected)
    }
}

/// A complete draw, as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawResult {
    /// The seed text (docs/DRAW.md §3), published so anyone can hash it again.
    pub seed_text: String,
    /// `SHA-256(seed_text)`.
    pub seed: Seed,
    /// The digests of the frozen texts, as in the seed text.
    pub digests: PoolDigests,
    /// What became of each department's commitment, by department.
    pub reveals: Vec<(DepartmentCode, RevealStatus)>,
    /// Subjects and teams.
    pub drawn: Drawn,
}

impl DrawResult {
    /// The transcript of [`Drawn::transcript`] under this draw's seed.
    pub fn transcript(&self) -> String {
        self.drawn.transcript(&self.seed)
    }
}
