//! `jianxin log …`: verification, checkpoints and proofs of the integrity ledger.

use std::path::Path;

use jianxin_domain::event_log::LedgerEntry;
use jianxin_domain::integrity::{
    hash_from_hex, hash_to_hex, leaf_hash, open_checkpoint, Checkpoint, ConsistencyProof,
    NoteVerifier,
};
use jianxin_projections::ledger::{
    self, read::ledger_rows, EventProof, Expectation, ProofRequestError,
};
use jianxin_projections::EventLog;
use serde_json::json;

use super::args::LogCommand;
use super::output::print;
use super::{CliError, Format};
use crate::keys;
use crate::settings::Settings;

/// Run a `log` subcommand.
pub async fn run(settings: &Settings, format: Format, cmd: LogCommand) -> Result<(), CliError> {
    match cmd {
        LogCommand::Verify {
            checkpoint,
            verifier_key,
        } => {
            let expectation = match &checkpoint {
                None => None,
                Some(path) => {
                    let verifier = verifier(settings, verifier_key.as_deref())?;
                    let cp = read_checkpoint(path, &verifier, &settings.origin)?;
                    Some(Expectation {
                        tree_size: cp.tree_size,
                        root: cp.root,
                    })
                }
            };
            let log = EventLog::open(&settings.db).await?;
            let outcome = ledger::verify(log.database(), expectation).await?;
            log.database().close().await;
            match outcome {
                Ok(v) => {
                    let value = json!({"ok": true, "events": v.events, "root": hash_to_hex(&v.root),
                        "checkpoint_size": expectation.map(|e| e.tree_size)});
                    print(format, &value, || {
                        let mut s =
                            format!("ok {} events, root {}", v.events, hash_to_hex(&v.root));
                        if let Some(e) = expectation {
                            s.push_str(&format!("\nextends checkpoint of {} events", e.tree_size));
                        }
                        s
                    });
                    Ok(())
                }
                Err(f) => Err(CliError::Integrity {
                    message: f.to_string(),
                    location: Some(format!("global_sequence {}", f.global_sequence)),
                }),
            }
        }
        LogCommand::Checkpoint => {
            let signer = keys::load(&settings.key_file)?;
            let log = EventLog::open(&settings.db).await?;
            let (cp, note) = ledger::current_checkpoint(
                log.database(),
                &signer,
                &settings.origin,
                settings.clock.now(),
            )
            .await?;
            let value = json!({"origin": cp.origin, "tree_size": cp.tree_size,
                "root": hash_to_hex(&cp.root), "time": cp.time.to_rfc3339(), "note": note});
            print(format, &value, || note.clone());
            Ok(())
        }
        LogCommand::Key => {
            let vkey = keys::load(&settings.key_file)?
                .verifier()
                .to_verifier_key_string();
            print(format, &json!({"verifier_key": vkey}), || vkey.clone());
            Ok(())
        }
        LogCommand::Prove { seq, tree_size } => {
            let log = EventLog::open(&settings.db).await?;
            let proof = ledger::inclusion(log.database(), seq, tree_size)
                .await
                .map_err(proof_error)?;
            // A proof is data for other tools: always JSON.
            print(Format::Json, &proof, String::new);
            Ok(())
        }
        LogCommand::Consistency { old_size } => {
            let log = EventLog::open(&settings.db).await?;
            let proof = ledger::consistency(log.database(), old_size)
                .await
                .map_err(proof_error)?;
            print(Format::Json, &proof, String::new);
            Ok(())
        }
        LogCommand::VerifyProof {
            checkpoint,
            proof,
            event,
            old_checkpoint,
            verifier_key,
        } => {
            // an outsider's check: the published verifier key, never the signer's file
            let Some(key) = verifier_key.as_deref() else {
                return Err(CliError::Usage(
                    "--verifier-key is required: the log's published verifier key \
                     (`jianxin log key`, GET /v1/log/key), as text or @FILE; nothing secret \
                     is needed"
                        .into(),
                ));
            };
            let verifier = verifier(settings, Some(key))?;
            let message = verify_proof(
                &verifier,
                &checkpoint,
                &proof,
                event.as_deref(),
                old_checkpoint.as_deref(),
            )?;
            print(format, &json!({"ok": true, "message": message}), || {
                format!("ok {message}")
            });
            Ok(())
        }
        LogCommand::Show { from, limit } => {
            if limit == 0 || limit > 10_000 {
                return Err(CliError::Usage(format!(
                    "--limit {limit}: expected 1..=10000"
                )));
            }
            let log = EventLog::open(&settings.db).await?;
            let rows =
                ledger_rows(log.database(), from.saturating_sub(1) as i64, limit as i64).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let entry = LedgerEntry::decode(&r.canonical).map_err(|e| CliError::Integrity {
                    message: format!("ledger entry {} does not decode: {e}", r.global_sequence),
                    location: Some(format!("global_sequence {}", r.global_sequence)),
                })?;
                out.push(entry);
            }
            print(format, &out, || {
                let mut s = String::from("SEQ\tAGGREGATE\tEVENT\tACTOR\tRECORDED_AT\n");
                for e in &out {
                    let p = &e.payload;
                    s.push_str(&format!(
                        "{}\t{}/{}#{}\t{}\t{}:{}\t{}\n",
                        e.global_sequence,
                        e.aggregate_type,
                        e.aggregate_id,
                        e.aggregate_sequence,
                        p["event_type"].as_str().unwrap_or("?"),
                        p["actor"]["role"].as_str().unwrap_or("?"),
                        p["actor"]["user"].as_str().unwrap_or("?"),
                        p["recorded_at"].as_str().unwrap_or("?"),
                    ));
                }
                s
            });
            Ok(())
        }
    }
}

/// One event's proof as `jianxin case replay` prints it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayedProof {
    global_sequence: u64,
    entry: String,
    proof: jianxin_domain::integrity::InclusionProof,
}

fn proof_error(e: ProofRequestError) -> CliError {
    match e {
        ProofRequestError::OutOfRange(m) => CliError::invalid("out_of_range", m, None),
        ProofRequestError::Store(s) => s.into(),
    }
}

/// The verifier key: `--verifier-key` (a key string or `@FILE`), else the deployment key's.
fn verifier(settings: &Settings, arg: Option<&str>) -> Result<NoteVerifier, CliError> {
    match arg {
        Some(s) => {
            let text = match s.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| CliError::Usage(format!("--verifier-key @{path}: {e}")))?,
                None => s.to_string(),
            };
            NoteVerifier::parse(text.trim())
                .map_err(|e| CliError::Usage(format!("--verifier-key: {e}")))
        }
        None => Ok(keys::load(&settings.key_file)?.verifier()),
    }
}

fn read_checkpoint(
    path: &Path,
    verifier: &NoteVerifier,
    origin: &str,
) -> Result<Checkpoint, CliError> {
    let note = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let cp = open_checkpoint(&note, verifier).map_err(|e| CliError::Integrity {
        message: format!("checkpoint does not open: {e}"),
        location: Some(path.display().to_string()),
    })?;
    if cp.origin != origin {
        return Err(CliError::Integrity {
            message: format!("checkpoint is of log {:?}, not {origin:?}", cp.origin),
            location: Some(path.display().to_string()),
        });
    }
    Ok(cp)
}

fn integrity(path: &Path, message: impl Into<String>) -> CliError {
    CliError::Integrity {
        message: message.into(),
        location: Some(path.display().to_string()),
    }
}

/// Check an inclusion or consistency proof against signed checkpoints; no database.
fn verify_proof(
    verifier: &NoteVerifier,
    checkpoint: &Path,
    proof_path: &Path,
    event: Option<&Path>,
    old_checkpoint: Option<&Path>,
) -> Result<String, CliError> {
    let note = std::fs::read_to_string(checkpoint)
        .map_err(|e| CliError::Usage(format!("{}: {e}", checkpoint.display())))?;
    let cp = open_checkpoint(&note, verifier)
        .map_err(|e| integrity(checkpoint, format!("checkpoint does not open: {e}")))?;
    let text = std::fs::read_to_string(proof_path)
        .map_err(|e| CliError::Usage(format!("{}: {e}", proof_path.display())))?;
    // a proof as `case replay` prints it ({global_sequence, entry, proof}) reads as the
    // proof of `log prove`, its leaf hash computed from the entry
    let as_printed = serde_json::from_str::<ReplayedProof>(&text)
        .ok()
        .map(|r| EventProof {
            global_sequence: r.global_sequence,
            leaf_hash: hex::encode(leaf_hash(r.entry.as_bytes())),
            entry: r.entry,
            inclusion: r.proof,
        });
    let event_proof = as_printed.or_else(|| serde_json::from_str::<EventProof>(&text).ok());
    if let Some(p) = event_proof {
        let entry = match event {
            Some(path) => std::fs::read(path)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?,
            None => p.entry.clone().into_bytes(),
        };
        let leaf = leaf_hash(&entry);
        if hash_from_hex(&p.leaf_hash) != Some(leaf) {
            return Err(integrity(
                event.unwrap_or(proof_path),
                "the event's leaf hash differs from the proof's",
            ));
        }
        let decoded = LedgerEntry::decode(&entry).map_err(|e| {
            integrity(
                event.unwrap_or(proof_path),
                format!("event is not a ledger entry: {e}"),
            )
        })?;
        if decoded.global_sequence != p.global_sequence
            || p.inclusion.leaf_index + 1 != p.global_sequence
        {
            return Err(integrity(
                proof_path,
                "the proof's position differs from the event's global sequence",
            ));
        }
        if p.inclusion.tree_size != cp.tree_size {
            return Err(integrity(
                proof_path,
                format!(
                    "proof is for a tree of {}, the checkpoint has {}",
                    p.inclusion.tree_size, cp.tree_size
                ),
            ));
        }
        p.inclusion
            .verify(&leaf, &cp.root)
            .map_err(|e| integrity(proof_path, format!("inclusion proof fails: {e}")))?;
        return Ok(format!(
            "event {} is entry {} of the log of {} entries signed at {}",
            decoded.event_id,
            p.global_sequence,
            cp.tree_size,
            cp.time.to_rfc3339()
        ));
    }
    if let Ok(p) = serde_json::from_str::<ConsistencyProof>(&text) {
        let Some(old_path) = old_checkpoint else {
            return Err(CliError::Usage(
                "a consistency proof needs --old-checkpoint".into(),
            ));
        };
        let old_note = std::fs::read_to_string(old_path)
            .map_err(|e| CliError::Usage(format!("{}: {e}", old_path.display())))?;
        let old = open_checkpoint(&old_note, verifier)
            .map_err(|e| integrity(old_path, format!("checkpoint does not open: {e}")))?;
        if p.old_size != old.tree_size || p.new_size != cp.tree_size {
            return Err(integrity(
                proof_path,
                "proof sizes differ from the checkpoints' sizes",
            ));
        }
        p.verify(&old.root, &cp.root)
            .map_err(|e| integrity(proof_path, format!("consistency proof fails: {e}")))?;
        return Ok(format!(
            "the log of {} entries extends the log of {} entries",
            cp.tree_size, old.tree_size
        ));
    }
    Err(CliError::invalid(
        "invalid_proof",
        "not an inclusion proof (from `jianxin log prove`) nor a consistency proof (from `jianxin log consistency`)",
        Some(proof_path.display().to_string()),
    ))
}
