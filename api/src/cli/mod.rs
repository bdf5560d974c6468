//! The `jianxin` command line: raw arguments ([`args`]) become validated settings, each
//! subcommand runs against the event log, and every failure leaves with a documented
//! exit code — 0 ok, 1 bad input or rule refused, 2 usage, 3 integrity failure,
//! 4 infrastructure (database unreachable) — and, with `--format json`, a JSON error
//! `{"code", "message", "location"}` on stderr.

mod args;
mod cases;
mod credit;
mod directory;
mod draw;
mod error;
mod generate;
mod log;
mod misc;
mod output;
mod results;
mod scheduler;
mod serve;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command, Format};
pub use error::CliError;

/// Parse the process arguments, run, and turn the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let format = cli.format;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(
                format,
                &CliError::Infra(format!("cannot start the runtime: {e}")),
            );
            return ExitCode::from(4);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(format, &e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Run one parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = cli.settings()?;
    match cli.command {
        Command::Log(cmd) => log::run(&settings, cli.format, cmd).await,
        Command::Check(cmd) => misc::check(cli.format, cmd),
        Command::Calendar(cmd) => misc::calendar(&settings, cli.format, cmd).await,
        Command::Reference(cmd) => misc::reference(&settings, cli.format, cmd).await,
        Command::Keygen(cmd) => misc::keygen(&settings, cli.format, cmd),
        Command::Token(cmd) => misc::token(&settings, cli.format, cmd).await,
        Command::Serve(cmd) => serve::serve(&settings, cli.format, cmd).await,
        Command::Demo(cmd) => serve::demo(&settings, cli.format, cmd).await,
        Command::Db(cmd) => misc::db(&settings, cli.format, cmd).await,
        Command::Import(args) => directory::import(&settings, cli.format, args).await,
        Command::Subjects(cmd) => directory::subjects(&settings, cli.format, cmd).await,
        Command::Inspectors(cmd) => directory::inspectors(&settings, cli.format, cmd).await,
        Command::Items(cmd) => directory::items(&settings, cli.format, cmd).await,
        Command::Rules(cmd) => directory::rules(&settings, cli.format, cmd).await,
        Command::Projections(cmd) => directory::projections(&settings, cli.format, cmd).await,
        Command::Task(cmd) => draw::task(&settings, cli.format, cmd).await,
        Command::Draw(cmd) => draw::draw(&settings, cli.format, cmd).await,
        Command::Assignments(args) => draw::assignments(&settings, cli.format, args).await,
        Command::Result(cmd) => results::result(&settings, cli.format, cmd).await,
        Command::Publication(cmd) => results::publication(&settings, cli.format, cmd).await,
        Command::Credit(cmd) => credit::credit(&settings, cli.format, cmd).await,
        Command::Case(cmd) => cases::case(&settings, cli.format, cmd).await,
        Command::Scheduler(cmd) => scheduler::scheduler(&settings, cli.format, cmd).await,
    }
}
