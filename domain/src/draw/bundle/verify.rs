//! Verifying a bundle without any database: the signature, the proofs, the events, every
//! derived file, and then the draw itself, recomputed from the published texts and the
//! drand round.
//!
//! The checks run in the order in which each file is trusted: the key, the checkpoint it
//! signs, the proofs into that checkpoint, the events they prove, the files derived from
//! those events, and last the recomputation. So the first failure names the file that
//! was altered, not a file that merely disagrees with it.

use std::collections::{BTreeMap, BTreeSet};

use crate::directory::InspectorId;
use crate::draw::beacon::QUICKNET_CHAIN_HASH;
use crate::draw::pool::sha256;
use crate::draw::seed::seed_text;
use crate::draw::{
    draw_from_seed, draw_replacement, DrandBeacon, FrozenDraw, FrozenText, RecusalError,
    RecusalRequest, RevealStatus, Seed, Team, VerifiedBeacon,
};
use crate::identifiers::Uscc;
use crate::integrity::{hash_to_hex, leaf_hash, open_checkpoint, Checkpoint, NoteVerifier};
use crate::task::{FrozenDigests, RevealOutcome};

use super::files::{self, commitments, BundleProof};
use super::history::{History, Outcome};
use super::{
    BundleMismatch, BundleReport, BUNDLE_FILES, CHECKPOINT_TXT, EVENTS_JSONL, EXCLUSIONS_CSV,
    KEY_TXT, PROOFS_JSON, RANDOMNESS_JSON, RECUSALS_CSV, RESULT_TXT, SEED_TXT, TEAMS_CSV,
};

type Files = BTreeMap<String, Vec<u8>>;

/// Verifies a bundle. With `pinned_key`, the checkpoint must be signed by that key and
/// `key.txt` must name it; without, `key.txt` is trusted (which proves consistency, not
/// who published). Returns what the bundle shows, or the first file that differs from
/// what its events, proofs and the draw's recomputation say.
pub fn verify_bundle(
    files: &Files,
    pinned_key: Option<&NoteVerifier>,
) -> Result<BundleReport, BundleMismatch> {
    for name in BUNDLE_FILES {
        if !files.contains_key(name) {
            return Err(BundleMismatch::new(name, "missing from the bundle"));
        }
    }
    if let Some(extra) = files.keys().find(|k| !BUNDLE_FILES.contains(&k.as_str())) {
        return Err(BundleMismatch::new(
            extra,
            "not a file of a jianxin-draw-bundle-v1",
        ));
    }
    let verifier = key(files, pinned_key)?;
    let checkpoint = checkpoint(files, &verifier)?;
    let proofs = proofs(files, &checkpoint)?;
    let history = events(files, &proofs)?;
    for (name, expected) in files::derived(&history).map_err(|e| events_error(e.to_string()))? {
        compare(files, name, &expected, &history)?;
    }
    let frozen = frozen(&history)?;
    let beacon = beacon(&history)?;
    let seed = seed(files, &history, &beacon)?;
    let drawn = draw_from_seed(&frozen, &seed).map_err(|e| {
        BundleMismatch::new(
            RESULT_TXT,
            format!("the draw cannot be re-run from the published inputs: {e}"),
        )
    })?;
    let transcript = drawn.transcript(&seed);
    same_bytes(files, RESULT_TXT, transcript.as_bytes())?;
    let teams = recusals(&history, &frozen, &seed, drawn.teams)?;
    same_bytes(files, TEAMS_CSV, &files::teams_csv(&teams))?;
    Ok(BundleReport {
        task_id: history.created.task_id,
        origin: checkpoint.origin,
        tree_size: checkpoint.tree_size,
        events: history.lines.len(),
        attempt: history.draw.attempt,
        seed: seed.to_hex(),
        subjects_drawn: drawn.strata.iter().map(|s| s.selected.len()).sum(),
        teams: teams.len(),
        recusals: history.recusals.len(),
        key_name: verifier.name().to_owned(),
        key_id: verifier.key_id(),
    })
}

/// The bytes of `name` (present: checked first).
fn file<'a>(files: &'a Files, name: &str) -> Result<&'a [u8], BundleMismatch> {
    files
        .get(name)
        .map(Vec::as_slice)
        .ok_or_else(|| BundleMismatch::new(name, "missing from the bundle"))
}

fn utf8<'a>(files: &'a Files, name: &str) -> Result<&'a str, BundleMismatch> {
    std::str::from_utf8(file(files, name)?)
        .map_err(|e| BundleMismatch::new(name, format!("not UTF-8: {e}")))
}

fn events_error(what: String) -> BundleMismatch {
    BundleMismatch::new(EVENTS_JSONL, what)
}

/// The key: the pinned one, which `key.txt` must name, or else `key.txt`'s.
fn key(files: &Files, pinned: Option<&NoteVerifier>) -> Result<NoteVerifier, BundleMismatch> {
    let text = utf8(files, KEY_TXT)?;
    let Some(line) = text.strip_suffix('\n') else {
        return Err(BundleMismatch::new(
            KEY_TXT,
            "expected one line ending with LF",
        ));
    };
    let stated = NoteVerifier::parse(line)
        .map_err(|e| BundleMismatch::new(KEY_TXT, format!("not a verifier key: {e}")))?;
    match pinned {
        Some(pinned) if *pinned != stated => Err(BundleMismatch::new(
            KEY_TXT,
            format!("names key {line}, the pinned key is {pinned}"),
        )),
        Some(pinned) => Ok(pinned.clone()),
        None => Ok(stated),
    }
}

fn checkpoint(files: &Files, verifier: &NoteVerifier) -> Result<Checkpoint, BundleMismatch> {
    let note = utf8(files, CHECKPOINT_TXT)?;
    open_checkpoint(note, verifier).map_err(|e| {
        BundleMismatch::new(
            CHECKPOINT_TXT,
            format!("does not open with key {verifier}: {e}"),
        )
    })
}

/// `proofs.json`, canonical, each proof verifying on its own into the checkpoint.
fn proofs(files: &Files, checkpoint: &Checkpoint) -> Result<Vec<BundleProof>, BundleMismatch> {
    let bytes = file(files, PROOFS_JSON)?;
    let proofs: Vec<BundleProof> = serde_json::from_slice(bytes)
        .map_err(|e| BundleMismatch::new(PROOFS_JSON, format!("not a list of proofs: {e}")))?;
    let canonical =
        files::proofs_json(&proofs).map_err(|e| BundleMismatch::new(PROOFS_JSON, e.to_string()))?;
    if canonical != bytes {
        return Err(BundleMismatch::new(PROOFS_JSON, "not canonical JSON"));
    }
    for (index, proof) in proofs.iter().enumerate() {
        proof.check(checkpoint).map_err(|what| {
            BundleMismatch::new(
                PROOFS_JSON,
                format!(
                    "proof {} (event {}): {what}",
                    index + 1,
                    proof.global_sequence
                ),
            )
        })?;
    }
    Ok(proofs)
}

/// `events.jsonl`: one line per proof, each the leaf its proof proves, then decoded and
/// replayed as one task's complete history.
fn events(files: &Files, proofs: &[BundleProof]) -> Result<History, BundleMismatch> {
    let bytes = file(files, EVENTS_JSONL)?;
    let Some(body) = bytes.strip_suffix(b"\n") else {
        return Err(events_error("expected lines ending with LF".into()));
    };
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    if lines.len() != proofs.len() {
        return Err(events_error(format!(
            "{} lines, but proofs.json proves {} events",
            lines.len(),
            proofs.len()
        )));
    }
    for (index, (line, proof)) in lines.iter().zip(proofs).enumerate() {
        let leaf = hash_to_hex(&leaf_hash(line));
        if leaf != proof.leaf_hash {
            return Err(events_error(format!(
                "line {}: leaf hash {leaf} differs from {}, which proofs.json proves as event {} in the checkpoint",
                index + 1,
                proof.leaf_hash,
                proof.global_sequence
            )));
        }
    }
    let pairs = proofs.iter().map(|p| p.global_sequence).zip(lines);
    History::decode(pairs).map_err(|e| events_error(e.to_string()))
}

/// A derived file must equal the bundle's; the five texts are named by their digest.
fn compare(files: &Files, name: &str, expected: &[u8], h: &History) -> Result<(), BundleMismatch> {
    let found = file(files, name)?;
    if found == expected {
        return Ok(());
    }
    let digests = &h.freeze.digests;
    let frozen = FrozenText::ALL.into_iter().find(|k| k.file_name() == name);
    let what = match frozen {
        Some(kind) => format!(
            "SHA-256 {} differs from the frozen digest {} published at the freeze (event {}); {}",
            hex::encode(sha256(found)),
            hex::encode(digest(digests, kind)),
            h.freeze.global_sequence,
            first_difference(expected, found)
        ),
        None => first_difference(expected, found),
    };
    Err(BundleMismatch::new(name, what))
}

fn digest(d: &FrozenDigests, kind: FrozenText) -> [u8; 32] {
    match kind {
        FrozenText::Subjects => d.subjects,
        FrozenText::Inspectors => d.inspectors,
        FrozenText::Relationships => d.relationships,
        FrozenText::Previous => d.previous,
        FrozenText::Rules => d.rules,
    }
}

fn same_bytes(files: &Files, name: &str, expected: &[u8]) -> Result<(), BundleMismatch> {
    let found = file(files, name)?;
    if found == expected {
        Ok(())
    } else {
        Err(BundleMismatch::new(
            name,
            format!("recomputed: {}", first_difference(expected, found)),
        ))
    }
}

/// The five texts parsed (strictly) into the frozen inputs of the task as created and
/// frozen; no excluded subject may be in the pool.
fn frozen(h: &History) -> Result<FrozenDraw, BundleMismatch> {
    let Some(task) = h.state.task.clone() else {
        return Err(events_error("no task after replaying the events".into()));
    };
    let frozen = h
        .freeze
        .texts
        .to_frozen(task, h.created.rules_version)
        .map_err(|e| BundleMismatch::new(e.text.file_name(), e.to_string()))?;
    let pool: BTreeSet<&Uscc> = frozen.subjects.iter().map(|s| &s.uscc).collect();
    if let Some(back) = h.freeze.excluded.iter().find(|e| pool.contains(&e.uscc)) {
        let what = format!("{} is excluded but in subjects.csv", back.uscc);
        return Err(BundleMismatch::new(EXCLUSIONS_CSV, what));
    }
    Ok(frozen)
}

/// The drand round verified offline, the one fixed at the freeze, with the recorded
/// randomness; the reveals recorded by the draw match the commitments.
fn beacon(h: &History) -> Result<VerifiedBeacon, BundleMismatch> {
    let wrong = |what: String| BundleMismatch::new(RANDOMNESS_JSON, what);
    if h.freeze.beacon.chain != QUICKNET_CHAIN_HASH {
        return Err(wrong(format!(
            "chain {} is not drand quicknet",
            h.freeze.beacon.chain
        )));
    }
    if h.beacon.round != h.freeze.beacon.round {
        let fixed = h.freeze.beacon.round;
        return Err(wrong(format!(
            "round {} is not the round {fixed} fixed at the freeze",
            h.beacon.round
        )));
    }
    let verified = DrandBeacon {
        round: h.beacon.round,
        signature: h.beacon.signature.clone(),
    }
    .verify()
    .map_err(|e| wrong(e.to_string()))?;
    if verified.randomness != h.beacon.randomness {
        return Err(wrong("randomness is not SHA-256 of the signature".into()));
    }
    let statuses: Vec<_> = commitments(h)
        .iter()
        .map(|c| (c.department.clone(), RevealOutcome::from(c.status())))
        .collect();
    if statuses != h.draw.reveals {
        return Err(wrong(format!(
            "the draw (event {}) recorded the reveals {:?}, the commitments give {statuses:?}",
            h.draw.global_sequence, h.draw.reveals
        )));
    }
    if let Some(c) = commitments(h)
        .iter()
        .find(|c| c.status() == RevealStatus::Invalid)
    {
        return Err(wrong(format!(
            "{}: the secret does not match the commitment",
            c.department
        )));
    }
    Ok(verified)
}

/// The seed text rebuilt from the texts' digests, the task, the round and the reveals
/// must be `seed.txt`; the seed is its SHA-256.
fn seed(files: &Files, h: &History, beacon: &VerifiedBeacon) -> Result<Seed, BundleMismatch> {
    let Some(task) = h.state.task.as_ref() else {
        return Err(events_error("no task after replaying the events".into()));
    };
    let digests = h.freeze.texts.digests();
    let text = seed_text(
        task,
        &digests,
        h.created.rules_version,
        beacon,
        &commitments(h),
    );
    same_bytes(files, SEED_TXT, text.as_bytes())?;
    Ok(Seed::of_text(&text))
}

/// Replays each recusal with [`draw_replacement`] on the recomputed teams, which must
/// give the recorded replacement (or the recorded reason there is none); returns the
/// final teams.
fn recusals(
    h: &History,
    frozen: &FrozenDraw,
    seed: &Seed,
    mut teams: Vec<Team>,
) -> Result<Vec<Team>, BundleMismatch> {
    let mut recused: BTreeMap<Uscc, BTreeSet<InspectorId>> = BTreeMap::new();
    for (index, r) in h.recusals.iter().enumerate() {
        let earlier = recused.entry(r.uscc.clone()).or_default();
        let request = RecusalRequest {
            uscc: r.uscc.clone(),
            inspector: r.inspector.clone(),
            number: r.number,
            earlier: earlier.clone(),
        };
        let recomputed = match draw_replacement(frozen, seed, &teams, &request) {
            Ok(replacement) => Ok(Outcome::Replaced(replacement.replacement)),
            Err(RecusalError::Unstaffable(why)) => Ok(Outcome::Unstaffable(*why)),
            Err(other) => Err(other.to_string()),
        };
        if recomputed.as_ref() != Ok(&r.outcome) {
            return Err(BundleMismatch::new(
                RECUSALS_CSV,
                format!(
                    "line {} (event {}): {} recused from {}; recomputed {}, published {}",
                    index + 2,
                    r.global_sequence,
                    r.inspector,
                    r.uscc,
                    describe(&recomputed),
                    describe(&Ok(&r.outcome))
                ),
            ));
        }
        for team in teams.iter_mut().filter(|t| t.uscc == r.uscc) {
            match &r.outcome {
                Outcome::Replaced(who) => {
                    for member in team.members.iter_mut().filter(|m| **m == r.inspector) {
                        *member = who.clone();
                    }
                }
                Outcome::Unstaffable(_) => team.members.retain(|m| *m != r.inspector),
            }
        }
        earlier.insert(r.inspector.clone());
    }
    Ok(teams)
}

fn describe<O: std::borrow::Borrow<Outcome>>(outcome: &Result<O, String>) -> String {
    match outcome.as_ref().map(|o| o.borrow()) {
        Ok(Outcome::Replaced(who)) => format!("replacement {who}"),
        Ok(Outcome::Unstaffable(why)) => format!("no replacement ({why})"),
        Err(e) => format!("an error ({e})"),
    }
}

/// `line N: expected "…", found "…"`, around the first difference.
pub(super) fn first_difference(expected: &[u8], found: &[u8]) -> String {
    let a: Vec<&[u8]> = expected.split_inclusive(|b| *b == b'\n').collect();
    let b: Vec<&[u8]> = found.split_inclusive(|b| *b == b'\n').collect();
    let n = a.len().max(b.len());
    for i in 0..n {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        if x != y {
            let x = x.map(String::from_utf8_lossy);
            let y = y.map(String::from_utf8_lossy);
            let common = match (&x, &y) {
                (Some(x), Some(y)) => x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count(),
                _ => 0,
            };
            let show = |line: &Option<std::borrow::Cow<'_, str>>| match line {
                None => "the end of the file".to_owned(),
                Some(text) => excerpt(text, common),
            };
            return format!("line {}: expected {}, found {}", i + 1, show(&x), show(&y));
        }
    }
    "the bytes are equal".to_owned()
}

/// The line quoted, from a little before character `at` when the line is long.
fn excerpt(line: &str, at: usize) -> String {
    const BEFORE: usize = 30;
    const WIDTH: usize = 100;
    let start = at.saturating_sub(BEFORE);
    let total = line.chars().count();
    let cut: String = line.chars().skip(start).take(WIDTH).collect();
    let head = if start > 0 { "…" } else { "" };
    let tail = if start + WIDTH < total { "…" } else { "" };
    format!("{head}{cut:?}{tail}")
}
