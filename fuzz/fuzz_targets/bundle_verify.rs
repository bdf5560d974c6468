//! Fuzz target `bundle_verify`: [`verify_bundle`], the offline check anyone runs on a
//! published draw bundle (`jianxin draw verify <dir>`), on arbitrary files.
//!
//! Input: one mode byte, then the files' bytes separated by NUL, in the order of
//! [`BUNDLE_FILES`] (a missing part is a missing file; parts past the sixteenth are extra
//! files). Modes, by the mode byte modulo 4:
//!
//! - 0: the files as given, trusting `key.txt`;
//! - 1: the files as given, with a pinned key;
//! - 2, 3: *re-signed*: the lines of `events.jsonl` become the leaves of a log (at the
//!   global sequence each names) with inclusion proofs and a checkpoint signed by a fixed
//!   key, so that the fuzzer gets past the signature to the event decoding, the derived
//!   files and the recomputed draw. [`build_bundle`] writes the bundle of those events;
//!   mode 3 then puts back every non-empty file of the input over the built one.
//!
//! Whatever the bytes, the verifier must answer with a report or a mismatch.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::DateTime;
use jianxin_domain::draw::bundle::{build_bundle, verify_bundle, BUNDLE_FILES};
use jianxin_domain::integrity::{
    inclusion_proof, leaf_hash, root_from_leaf_hashes, sign_checkpoint, Checkpoint, InclusionProof,
    NoteSigner,
};
use libfuzzer_sys::fuzz_target;

/// The largest log the re-signing mode builds.
const MAX_SEQUENCE: u64 = 512;

/// The re-signing key, fixed.
fn signer() -> Option<&'static NoteSigner> {
    static SIGNER: OnceLock<Option<NoteSigner>> = OnceLock::new();
    SIGNER
        .get_or_init(|| NoteSigner::generate("fuzz.example", |seed| *seed = [7; 32]).ok())
        .as_ref()
}

type Files = BTreeMap<String, Vec<u8>>;

fn files_of(bytes: &[u8]) -> Files {
    bytes
        .split(|b| *b == 0)
        .enumerate()
        .map(|(i, part)| {
            let name = BUNDLE_FILES
                .get(i)
                .map_or_else(|| format!("extra-{i}"), |n| (*n).to_owned());
            (name, part.to_vec())
        })
        .collect()
}

/// The global sequence a line names, or the one after `previous`.
fn sequence_of(line: &[u8], previous: u64) -> u64 {
    serde_json::from_slice::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("global_sequence").and_then(serde_json::Value::as_u64))
        .unwrap_or(previous + 1)
}

/// The bundle [`build_bundle`] writes for the lines of `events.jsonl`, re-signed.
fn resigned(files: &Files) -> Option<Files> {
    let signer = signer()?;
    let events = files.get("events.jsonl")?;
    let body = events.strip_suffix(b"\n").unwrap_or(events);
    let mut entries: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut previous = 0;
    for line in body.split(|b| *b == b'\n') {
        let sequence = sequence_of(line, previous);
        if sequence == 0 || sequence > MAX_SEQUENCE {
            return None;
        }
        entries.push((sequence, line.to_vec()));
        previous = sequence;
    }
    let size = entries.iter().map(|(s, _)| *s).max()?;
    // Other aggregates' entries fill the gaps.
    let mut leaves: Vec<_> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    for (sequence, line) in &entries {
        leaves[(*sequence - 1) as usize] = leaf_hash(line);
    }
    let root = root_from_leaf_hashes(&leaves);
    let time = DateTime::from_timestamp(1_800_000_000, 0)?;
    let checkpoint = Checkpoint::new("fuzz.example/log", size, root, time).ok()?;
    let note = sign_checkpoint(&checkpoint, signer).ok()?;
    let proofs: Vec<InclusionProof> = entries
        .iter()
        .map(|(sequence, _)| {
            let path = inclusion_proof(&leaves, sequence - 1).unwrap_or_default();
            InclusionProof::new(sequence - 1, size, &path)
        })
        .collect();
    build_bundle(&entries, &proofs, &note, &signer.verifier()).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let files = files_of(rest);
    match mode % 4 {
        0 => {
            let _ = verify_bundle(&files, None);
        }
        1 => {
            if let Some(signer) = signer() {
                let _ = verify_bundle(&files, Some(&signer.verifier()));
            }
        }
        overlay => {
            let Some(mut built) = resigned(&files) else {
                return;
            };
            if overlay == 3 {
                for (name, bytes) in files {
                    if !bytes.is_empty() {
                        built.insert(name, bytes);
                    }
                }
            }
            let verifier = signer().map(NoteSigner::verifier);
            let _ = verify_bundle(&built, verifier.as_ref());
        }
    }
});
