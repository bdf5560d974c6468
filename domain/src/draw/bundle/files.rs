//! The bytes of each derived file of a bundle, written from a task's history, and the
//! proof entries of `proofs.json`.
//!
//! Every file is canonical (canonical JSON, or LF-terminated lines with the pool's CSV
//! field rule), so the verifier can demand it byte for byte: there is one right
//! `teams.csv` for a history, not a family of equivalent ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::draw::pool::csv_field;
use crate::draw::{Commitment, Drawn, FrozenText, Seed, Team};
use crate::event_log::canonical_json;
use crate::integrity::{hash_to_hex, Checkpoint, Hash, InclusionProof, NoteVerifier};

use super::history::{History, HistoryError, Outcome};
use super::{
    BUNDLE_FORMAT, EVENTS_JSONL, EXCLUSIONS_CSV, PROOFS_JSON, RANDOMNESS_JSON, RECUSALS_CSV,
    RESULT_TXT, SEED_TXT, TASK_JSON, TEAMS_CSV,
};

/// Header of `exclusions.csv`.
pub const EXCLUSIONS_HEADER: &str = "uscc,reason";
/// Header of `recusals.csv`.
pub const RECUSALS_HEADER: &str = "uscc,number,recused,replacement,reason";
/// Header of `teams.csv`.
pub const TEAMS_HEADER: &str = "uscc,inspectors";

/// Every file derived from the events: all but `proofs.json`, `checkpoint.txt` and
/// `key.txt`.
pub(super) fn derived(h: &History) -> Result<BTreeMap<&'static str, Vec<u8>>, HistoryError> {
    let mut files = BTreeMap::new();
    files.insert(TASK_JSON, task_json(h)?);
    for kind in FrozenText::ALL {
        let text = kind.of(&h.freeze.texts);
        files.insert(kind.file_name(), text.as_bytes().to_vec());
    }
    files.insert(EXCLUSIONS_CSV, exclusions_csv(h));
    files.insert(RANDOMNESS_JSON, randomness_json(h)?);
    files.insert(SEED_TXT, h.draw.seed_text.as_bytes().to_vec());
    files.insert(RESULT_TXT, result_txt(h));
    files.insert(RECUSALS_CSV, recusals_csv(h));
    let teams = h.state.drawn.as_ref().map_or(&[][..], |d| &d.teams[..]);
    files.insert(TEAMS_CSV, teams_csv(teams));
    files.insert(EVENTS_JSONL, events_jsonl(&h.lines));
    Ok(files)
}

fn render(
    file: &'static str,
    value: Result<Value, serde_json::Error>,
) -> Result<Vec<u8>, HistoryError> {
    let error = |e: String| HistoryError::Render { file, error: e };
    let value = value.map_err(|e| error(e.to_string()))?;
    canonical_json(&value).map_err(|e| error(e.to_string()))
}

/// An object from `(key, value)` pairs whose values serialise.
fn object(
    pairs: Vec<(&str, Result<Value, serde_json::Error>)>,
) -> Result<Value, serde_json::Error> {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert(key.to_owned(), value?);
    }
    Ok(Value::Object(map))
}

fn json<T: Serialize>(value: &T) -> Result<Value, serde_json::Error> {
    serde_json::to_value(value)
}

/// `task.json`: the task as created, the freeze's date, round and deadlines, and the
/// attempt drawn.
fn task_json(h: &History) -> Result<Vec<u8>, HistoryError> {
    let c = &h.created;
    let f = &h.freeze;
    let value = object(vec![
        ("format", json(&BUNDLE_FORMAT)),
        ("task_id", json(&c.task_id)),
        ("title", json(&c.title)),
        ("departments", json(&c.departments)),
        ("items", json(&c.items)),
        ("scope", json(&c.scope)),
        ("window_from", json(&c.window_from)),
        ("window_to", json(&c.window_to)),
        ("inspection_date", json(&c.inspection_date)),
        ("team_size", json(&c.team_size)),
        ("rules_version", json(&c.rules_version)),
        ("as_of", json(&f.as_of)),
        ("beacon_chain", json(&f.beacon.chain)),
        ("beacon_round", json(&f.beacon.round)),
        ("round_time", json(&f.round_time)),
        ("reveal_deadline", json(&f.reveal_deadline)),
        ("attempt", json(&h.draw.attempt)),
    ]);
    render(TASK_JSON, value)
}

/// Appends a CSV line of already encoded fields and its LF.
fn push_line(out: &mut String, fields: &[String]) {
    out.push_str(&fields.join(","));
    out.push('\n');
}

/// `exclusions.csv`: `uscc,reason`, sorted by USCC.
fn exclusions_csv(h: &History) -> Vec<u8> {
    let mut excluded: Vec<_> = h.freeze.excluded.iter().collect();
    excluded.sort_by(|a, b| a.uscc.as_str().cmp(b.uscc.as_str()));
    let mut out = format!("{EXCLUSIONS_HEADER}\n");
    for e in excluded {
        push_line(
            &mut out,
            &[csv_field(e.uscc.as_str()), csv_field(&e.reason)],
        );
    }
    out.into_bytes()
}

/// The commitments published at the freeze, sorted by department, with the secrets
/// revealed in the current attempt.
pub(super) fn commitments(h: &History) -> Vec<Commitment> {
    let mut list: Vec<Commitment> = h
        .freeze
        .commitments
        .iter()
        .map(|c| Commitment {
            department: c.department.clone(),
            commitment: c.commitment,
            secret: h
                .state
                .commitments
                .get(&c.department)
                .and_then(|state| state.secret),
        })
        .collect();
    list.sort_by(|a, b| a.department.as_str().cmp(b.department.as_str()));
    list
}

/// `randomness.json`: the drand round with its signature and randomness, and each
/// commitment with its secret (or `null`) and status.
fn randomness_json(h: &History) -> Result<Vec<u8>, HistoryError> {
    let commitments: Result<Vec<Value>, _> = commitments(h)
        .iter()
        .map(|c| {
            object(vec![
                ("department", json(&c.department)),
                ("commitment", json(&hex::encode(c.commitment))),
                ("secret", json(&c.secret.map(hex::encode))),
                ("status", json(&c.status().as_str())),
            ])
        })
        .collect();
    let value = commitments.and_then(|commitments| {
        object(vec![
            ("chain", json(&h.freeze.beacon.chain)),
            ("round", json(&h.beacon.round)),
            ("signature", json(&hex::encode(&h.beacon.signature))),
            ("randomness", json(&hex::encode(h.beacon.randomness))),
            ("commitments", Ok(Value::Array(commitments))),
        ])
    });
    render(RANDOMNESS_JSON, value)
}

/// `result.txt`: the transcript of the current draw as recorded.
fn result_txt(h: &History) -> Vec<u8> {
    let drawn = Drawn {
        strata: h.draw.strata.clone(),
        teams: h.draw.teams.clone(),
    };
    drawn.transcript(&Seed(h.draw.seed)).into_bytes()
}

/// `recusals.csv`: one line per recusal in event order; the replacement is `-` when
/// none could be drawn.
fn recusals_csv(h: &History) -> Vec<u8> {
    let mut out = format!("{RECUSALS_HEADER}\n");
    for r in &h.recusals {
        let replacement = match &r.outcome {
            Outcome::Replaced(who) => who.as_str(),
            Outcome::Unstaffable(_) => "-",
        };
        push_line(
            &mut out,
            &[
                csv_field(r.uscc.as_str()),
                r.number.to_string(),
                csv_field(r.inspector.as_str()),
                csv_field(replacement),
                csv_field(&r.reason),
            ],
        );
    }
    out.into_bytes()
}

/// `teams.csv`: one line per team in selection order, members joined by `;`.
pub(super) fn teams_csv(teams: &[Team]) -> Vec<u8> {
    let mut out = format!("{TEAMS_HEADER}\n");
    for team in teams {
        let members: Vec<&str> = team.members.iter().map(|m| m.as_str()).collect();
        push_line(
            &mut out,
            &[csv_field(team.uscc.as_str()), csv_field(&members.join(";"))],
        );
    }
    out.into_bytes()
}

/// `events.jsonl`: each entry's canonical bytes and an LF.
fn events_jsonl(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

/// `key.txt`: the verifier key string and an LF.
pub(super) fn key_txt(verifier: &NoteVerifier) -> Vec<u8> {
    format!("{}\n", verifier.to_verifier_key_string()).into_bytes()
}

/// One element of `proofs.json`: the inclusion proof of one `events.jsonl` line, with
/// the line's global sequence and leaf hash, so that a proof that verifies shows which
/// line it proves and a line that differs from the proven one is named as such.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BundleProof {
    pub global_sequence: u64,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// `SHA-256(0x00 || line)`, hex.
    pub leaf_hash: String,
    /// RFC 9162 `PATH`, hex, bottom-up.
    pub hashes: Vec<String>,
}

impl BundleProof {
    pub fn new(global_sequence: u64, leaf: &Hash, proof: &InclusionProof) -> BundleProof {
        BundleProof {
            global_sequence,
            leaf_index: proof.leaf_index,
            tree_size: proof.tree_size,
            leaf_hash: hash_to_hex(leaf),
            hashes: proof.hashes.clone(),
        }
    }

    /// Checks the proof on its own: leaf index `global_sequence − 1`, the checkpoint's
    /// tree size, and a path from its leaf hash to the checkpoint's root.
    pub fn check(&self, checkpoint: &Checkpoint) -> Result<(), String> {
        if self.global_sequence.checked_sub(1) != Some(self.leaf_index) {
            return Err(format!(
                "leaf index {} is not global sequence {} − 1",
                self.leaf_index, self.global_sequence
            ));
        }
        if self.tree_size != checkpoint.tree_size {
            return Err(format!(
                "tree size {} differs from the checkpoint's {}",
                self.tree_size, checkpoint.tree_size
            ));
        }
        let Some(leaf) = crate::integrity::hash_from_hex(&self.leaf_hash) else {
            return Err(format!(
                "leaf hash {:?} is not 64 lowercase hex digits",
                self.leaf_hash
            ));
        };
        let proof = InclusionProof {
            leaf_index: self.leaf_index,
            tree_size: self.tree_size,
            hashes: self.hashes.clone(),
        };
        proof.verify(&leaf, &checkpoint.root).map_err(|e| {
            format!(
                "leaf {} is not included in the checkpoint's root by its proof: {e}",
                self.leaf_hash
            )
        })
    }
}

/// `proofs.json`: the canonical JSON array of the proofs.
pub(super) fn proofs_json(proofs: &[BundleProof]) -> Result<Vec<u8>, HistoryError> {
    render(PROOFS_JSON, json(&proofs))
}
