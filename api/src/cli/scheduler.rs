//! `jianxin scheduler run|status`: the cron jobs alone (they also run inside `jianxin
//! serve` unless `--no-scheduler`). `--now` (global) sets the clock, so a test or an
//! operator can run years of jobs in one call.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use jianxin_projections::EventLog;
use jianxin_scheduler::{Scheduler, SchedulerConfig};

use super::output::print;
use super::{CliError, Format};
use crate::keys;
use crate::settings::Settings;

/// `jianxin scheduler …`
#[derive(Debug, Subcommand)]
pub enum SchedulerCommandArgs {
    /// Run the jobs: once (`--once`, each job for its latest tick at or before now), or
    /// as their ticks come until Ctrl-C / SIGTERM.
    Run(SchedulerRunArgs),
    /// Each job: its cron expression, last firing (what it appended) and next firing.
    Status(ScheduleFileArg),
}

/// The configuration file.
#[derive(Debug, Args)]
pub struct ScheduleFileArg {
    /// The scheduler configuration (`job = cron` lines; default: data/schedule.txt as
    /// shipped).
    #[arg(long, env = "JIANXIN_SCHEDULE")]
    pub schedule: Option<PathBuf>,
}

/// `jianxin scheduler run`
#[derive(Debug, Args)]
pub struct SchedulerRunArgs {
    /// Run every job once and exit.
    #[arg(long)]
    pub once: bool,
    /// The configuration file.
    #[command(flatten)]
    pub file: ScheduleFileArg,
}

/// The configuration at `path`, or the shipped default.
pub fn load_config(path: Option<&Path>) -> Result<SchedulerConfig, CliError> {
    let Some(path) = path else {
        return SchedulerConfig::default_config().map_err(|e| CliError::Usage(e.to_string()));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--schedule {}: {e}", path.display())))?;
    SchedulerConfig::parse(&text)
        .map_err(|e| CliError::Usage(format!("--schedule {}: {e}", path.display())))
}

/// A scheduler over the deployment's log and key.
pub async fn open(settings: &Settings, config: SchedulerConfig) -> Result<Scheduler, CliError> {
    let signer = keys::load(&settings.key_file)?;
    let log = EventLog::open(&settings.db).await?;
    Ok(Scheduler::new(
        log,
        Arc::new(signer),
        &settings.origin,
        config,
    ))
}

/// `jianxin scheduler …`
pub async fn scheduler(
    settings: &Settings,
    format: Format,
    cmd: SchedulerCommandArgs,
) -> Result<(), CliError> {
    match cmd {
        SchedulerCommandArgs::Run(args) => {
            let config = load_config(args.file.schedule.as_deref())?;
            let scheduler = open(settings, config).await?;
            if !args.once {
                eprintln!("scheduler running; Ctrl-C to stop");
                scheduler
                    .run(settings.clock.clone(), super::serve::shutdown_signal())
                    .await;
                return Ok(());
            }
            let reports = scheduler
                .try_run_once(settings.clock.now())
                .await
                .map_err(|e| CliError::Infra(e.to_string()))?;
            print(format, &reports, || {
                let mut s = String::new();
                for r in &reports {
                    let tick = r.tick.map_or("-".to_string(), |t| t.to_rfc3339());
                    s.push_str(&format!(
                        "{:<20} tick {tick:<26} firings {:>5}  appended {:>5}\n",
                        r.job,
                        r.firings.len(),
                        r.appended
                    ));
                }
                s
            });
            Ok(())
        }
        SchedulerCommandArgs::Status(file) => {
            let config = load_config(file.schedule.as_deref())?;
            let scheduler = open(settings, config).await?;
            let status = scheduler
                .status(settings.clock.now())
                .await
                .map_err(|e| CliError::Infra(e.to_string()))?;
            print(format, &status, || {
                let mut s = String::new();
                for j in &status {
                    let last = j.last_firing.as_ref().map_or("never".to_string(), |l| {
                        format!("{} (+{})", l.tick, l.appended)
                    });
                    let next = j.next_firing.map_or("-".to_string(), |t| t.to_rfc3339());
                    s.push_str(&format!(
                        "{:<20} {:<16} last {last:<40} next {next}\n",
                        j.job, j.cron
                    ));
                }
                s
            });
            Ok(())
        }
    }
}
