//! Tasks and the draw on the command line: `jianxin task create|list|show`,
//! `jianxin draw freeze|commit|reveal|beacon|run|recuse|redraw|export|verify` and
//! `jianxin assignments --inspector ID`. Each command is one call into
//! [`crate::tasks`]; `draw verify` touches no database at all.

use std::collections::BTreeMap;
use std::path::Path;

use jianxin_domain::draw::bundle::verify_bundle;
use jianxin_domain::event_log::{Actor, Role};
use jianxin_domain::integrity::NoteVerifier;
use jianxin_projections::read_models::task_queries::{assignments_of, list_tasks};
use jianxin_projections::EventLog;
use serde_json::json;

use super::args::{AssignmentsArgs, DrawCommandArgs, TaskCommandArgs};
use super::output::print;
use super::{CliError, Format};
use crate::settings::Settings;
use crate::tasks::{self, CommitmentInput};

/// `jianxin task …`.
pub async fn task(
    settings: &Settings,
    format: Format,
    cmd: TaskCommandArgs,
) -> Result<(), CliError> {
    let log = EventLog::open(&settings.db).await?;
    let result = task_on(&log, settings, format, cmd).await;
    log.database().close().await;
    result
}

async fn task_on(
    log: &EventLog,
    settings: &Settings,
    format: Format,
    cmd: TaskCommandArgs,
) -> Result<(), CliError> {
    match cmd {
        TaskCommandArgs::Create { file } => {
            let text = read_text(&file)?;
            let created =
                tasks::create(log, settings.clock.as_ref(), &settings.operator, &text).await?;
            print(format, &created, || {
                format!(
                    "created task {} ({}; rules version {}, teams of {})",
                    created.id,
                    created.departments.join(", "),
                    created.rules_version,
                    created.team_size
                )
            });
        }
        TaskCommandArgs::List { status, limit } => {
            if limit == 0 || limit > 10_000 {
                return Err(CliError::Usage(format!(
                    "--limit {limit}: expected 1..=10000"
                )));
            }
            let rows = list_tasks(log.database(), status.as_deref(), i64::from(limit)).await?;
            print(format, &rows, || {
                let mut s = String::from("ID\tSTATUS\tDATE\tDEPARTMENTS\tPOOL\tDRAWN\tTITLE\n");
                for t in &rows {
                    s.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                        t.id,
                        t.status,
                        t.inspection_date,
                        t.departments.join(","),
                        t.pool_size.map(|n| n.to_string()).unwrap_or_default(),
                        t.drawn_subjects.map(|n| n.to_string()).unwrap_or_default(),
                        t.title
                    ));
                }
                s
            });
        }
        TaskCommandArgs::Show { task } => {
            let id = tasks::task_id(&task)?;
            let state = tasks::load(log, id).await?;
            let outcome = tasks::last_outcome(log, id).await?;
            let freeze = state.freeze.as_ref().map(|f| {
                json!({
                    "as_of": f.as_of,
                    "pool": f.texts.subjects.lines().count().saturating_sub(1),
                    "excluded": f.excluded,
                    "round": f.beacon.round,
                    "round_time": f.round_time,
                    "reveal_deadline": f.reveal_deadline,
                    "subjects_sha256": hex::encode(f.digests.subjects),
                    "credit_basis": f.credit_basis,
                })
            });
            let value = json!({
                "id": id,
                "title": state.title,
                "status": state.phase.as_str(),
                "departments": state.departments(),
                "planner": state.planner,
                "rules_version": state.rules_version,
                "attempts": state.attempts,
                "commitments": state.commitments.iter().map(|(d, c)| json!({
                    "department": d,
                    "commitment": hex::encode(c.commitment),
                    "revealed": c.secret.is_some(),
                })).collect::<Vec<_>>(),
                "freeze": freeze,
                "beacon_recorded": state.beacon.is_some(),
                "draw": outcome,
            });
            print(format, &value, || {
                let mut s = format!(
                    "task {id}: {} [{}], attempt {}\n",
                    state.title,
                    state.phase.as_str(),
                    state.attempts
                );
                for t in &outcome.teams {
                    s.push_str(&format!("  {}\t{}\n", t.uscc, t.inspectors.join(", ")));
                }
                for u in &outcome.unstaffable {
                    s.push_str(&format!("  unstaffable: {u}\n"));
                }
                s
            });
        }
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| {
        CliError::invalid(
            "unreadable_file",
            format!("{}: {e}", path.display()),
            Some(path.display().to_string()),
        )
    })
}

fn appended(format: Format, what: &str, positions: &[u64]) {
    print(
        format,
        &json!({ "recorded": what, "global_sequences": positions }),
        || {
            if positions.is_empty() {
                format!("{what}: already recorded")
            } else {
                format!("{what}: recorded at {positions:?}")
            }
        },
    );
}

/// `jianxin draw …`.
pub async fn draw(
    settings: &Settings,
    format: Format,
    cmd: DrawCommandArgs,
) -> Result<(), CliError> {
    if let DrawCommandArgs::Verify { dir, key } = cmd {
        return verify(format, &dir, key.as_deref());
    }
    let log = EventLog::open(&settings.db).await?;
    let result = draw_on(&log, settings, format, cmd).await;
    log.database().close().await;
    result
}

async fn draw_on(
    log: &EventLog,
    settings: &Settings,
    format: Format,
    cmd: DrawCommandArgs,
) -> Result<(), CliError> {
    let clock = settings.clock.as_ref();
    let actor = &settings.operator;
    match cmd {
        DrawCommandArgs::Freeze {
            task,
            round,
            reveal_deadline,
        } => {
            let id = tasks::task_id(&task)?;
            let frozen = tasks::freeze(log, clock, actor, id, round, reveal_deadline).await?;
            print(format, &frozen, || {
                format!(
                    "frozen task {id} as of {}: {} subjects in the pool ({} excluded with reasons, {} out of scope), {} inspectors\nsubjects sha256 {}\nround {} (published {}), reveals close {}",
                    frozen.as_of,
                    frozen.pool,
                    frozen.excluded,
                    frozen.out_of_scope,
                    frozen.inspectors,
                    frozen.subjects_sha256,
                    frozen.round,
                    frozen.round_time,
                    frozen.reveal_deadline
                )
            });
        }
        DrawCommandArgs::Commit {
            task,
            department,
            commitment,
            secret,
        } => {
            let id = tasks::task_id(&task)?;
            let input = match (&commitment, &secret) {
                (Some(c), _) => CommitmentInput::Commitment(c),
                (None, Some(s)) => CommitmentInput::Secret(s),
                (None, None) => {
                    return Err(CliError::Usage("give --commitment or --secret".into()))
                }
            };
            let p = tasks::commit(log, clock, actor, id, &department, input).await?;
            appended(format, "commitment", &p);
        }
        DrawCommandArgs::Reveal {
            task,
            department,
            secret,
        } => {
            let id = tasks::task_id(&task)?;
            let p = tasks::reveal(log, clock, actor, id, &department, &secret).await?;
            appended(format, "reveal", &p);
        }
        DrawCommandArgs::Beacon {
            task,
            round,
            signature,
        } => {
            let id = tasks::task_id(&task)?;
            let p = tasks::beacon(log, clock, actor, id, round, &signature).await?;
            appended(format, "beacon", &p);
        }
        DrawCommandArgs::Run { task } => {
            let id = tasks::task_id(&task)?;
            let mut outcome = tasks::run(log, clock, actor, id).await?;
            if outcome.status != "drawn" {
                let last = tasks::last_outcome(log, id).await?;
                outcome.unstaffable = last.unstaffable;
            }
            print(format, &outcome, || {
                let mut s = format!(
                    "task {id}: {} (attempt {})\n",
                    outcome.status, outcome.attempt
                );
                if let Some(seed) = &outcome.seed {
                    s.push_str(&format!("seed {seed}\n"));
                }
                for t in &outcome.teams {
                    s.push_str(&format!("{}\t{}\n", t.uscc, t.inspectors.join(", ")));
                }
                for u in &outcome.unstaffable {
                    s.push_str(&format!("unstaffable: {u}\n"));
                }
                s
            });
            if outcome.status != "drawn" {
                // recorded (the attempt is spent, nothing was drawn), and an error all the same
                return Err(CliError::invalid(
                    "draw_failed",
                    format!(
                        "the draw of task {id} failed and was recorded as failed; nothing was drawn: {}",
                        outcome.unstaffable.join("; ")
                    ),
                    None,
                ));
            }
        }
        DrawCommandArgs::Recuse {
            task,
            subject,
            reason,
        } => {
            let id = tasks::task_id(&task)?;
            let inspector = Actor::new(actor.user.clone(), Role::Inspector);
            let out = tasks::recuse(log, clock, &inspector, id, &subject, &reason).await?;
            print(format, &out, || {
                match (&out.replacement, &out.unstaffable) {
                    (Some(r), _) => {
                        format!("{} recused from {}; replaced by {r}", out.recused, out.uscc)
                    }
                    (None, Some(u)) => format!(
                        "{} recused from {}; no replacement: {u}",
                        out.recused, out.uscc
                    ),
                    _ => format!("{} recused from {}", out.recused, out.uscc),
                }
            });
        }
        DrawCommandArgs::Redraw { task, reason } => {
            let id = tasks::task_id(&task)?;
            let p = tasks::redraw(log, clock, actor, id, &reason).await?;
            appended(format, "redraw approval", &p);
        }
        DrawCommandArgs::Export { task, out } => {
            let id = tasks::task_id(&task)?;
            let signer = crate::keys::load(&settings.key_file)?;
            let files = tasks::bundle(log, &signer, &settings.origin, clock.now(), id).await?;
            write_bundle(&out, &files)?;
            print(
                format,
                &json!({"task": id, "out": out, "files": files.keys().collect::<Vec<_>>()}),
                || format!("wrote {} files to {}", files.len(), out.display()),
            );
        }
        DrawCommandArgs::Verify { dir, key } => verify(format, &dir, key.as_deref())?,
    }
    Ok(())
}

/// Writes the bundle: into a new or empty directory, each file written to a temporary
/// name first, so an interrupted export never leaves a half-written bundle that looks
/// complete.
fn write_bundle(out: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Infra(format!("{}: {e}", out.display()));
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io)?;
        if entries.next().is_some() {
            return Err(CliError::invalid(
                "directory_not_empty",
                format!(
                    "{} exists and is not empty; expected a new or empty directory",
                    out.display()
                ),
                Some(out.display().to_string()),
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(io)?;
    for (name, bytes) in files {
        let tmp = out.join(format!(".{name}.partial"));
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, out.join(name)).map_err(io)?;
    }
    Ok(())
}

/// Reads every regular file of a bundle directory (names only, no subdirectories).
fn read_bundle(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, CliError> {
    let io = |e: std::io::Error| {
        CliError::invalid(
            "unreadable_bundle",
            format!("{}: {e}", dir.display()),
            Some(dir.display().to_string()),
        )
    };
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if !entry.file_type().map_err(io)?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).map_err(io)?;
        files.insert(name, bytes);
    }
    Ok(files)
}

fn verify(format: Format, dir: &Path, key: Option<&Path>) -> Result<(), CliError> {
    let files = read_bundle(dir)?;
    let pinned = match key {
        None => None,
        Some(path) => {
            let text = read_text(path)?;
            Some(NoteVerifier::parse(text.trim()).map_err(|e| {
                CliError::invalid(
                    "invalid_key",
                    format!("{}: {e}", path.display()),
                    Some(path.display().to_string()),
                )
            })?)
        }
    };
    match verify_bundle(&files, pinned.as_ref()) {
        Ok(report) => {
            let value = json!({
                "result": "ok",
                "task_id": report.task_id,
                "origin": report.origin,
                "tree_size": report.tree_size,
                "events": report.events,
                "attempt": report.attempt,
                "seed": report.seed,
                "subjects_drawn": report.subjects_drawn,
                "teams": report.teams,
                "recusals": report.recusals,
                "key_name": report.key_name,
                "key_id": format!("{:08x}", report.key_id),
            });
            print(format, &value, || "ok".into());
            Ok(())
        }
        Err(mismatch) => Err(CliError::Integrity {
            message: mismatch.to_string(),
            location: Some(mismatch.file.clone()),
        }),
    }
}

/// `jianxin assignments --inspector ID`.
pub async fn assignments(
    settings: &Settings,
    format: Format,
    args: AssignmentsArgs,
) -> Result<(), CliError> {
    let log = EventLog::open(&settings.db).await?;
    let rows = assignments_of(log.database(), args.inspector.trim()).await;
    log.database().close().await;
    let rows = rows?;
    print(format, &rows, || {
        let mut s = String::from("DATE\tTASK\tSUBJECT\tNAME\tTEAM\n");
        for a in &rows {
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\n",
                a.inspection_date,
                a.task_id,
                a.uscc,
                a.subject_name,
                a.team.join(",")
            ));
        }
        s
    });
    Ok(())
}
