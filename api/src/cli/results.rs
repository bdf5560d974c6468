//! Results on the command line: `jianxin result record|correct|publish` and
//! `jianxin publication due`, each one call into [`crate::results`].

use jianxin_domain::calendar::CalendarBasis;
use jianxin_domain::event_log::{Actor, Role};
use jianxin_projections::EventLog;

use super::args::{PublicationCommandArgs, ResultCommandArgs};
use super::output::print;
use super::{CliError, Format};
use crate::results::{self, Recorded};
use crate::settings::Settings;
use crate::tasks;

fn read_text(path: &std::path::Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| {
        CliError::invalid(
            "unreadable_file",
            format!("{}: {e}", path.display()),
            Some(path.display().to_string()),
        )
    })
}

fn show(format: Format, what: &str, r: &Recorded) {
    print(format, r, || {
        let mark = match r.calendar {
            CalendarBasis::Official => "",
            CalendarBasis::Provisional => ", provisional calendar",
        };
        format!(
            "{what}: task {} subject {} version {} (publish by {}{mark})",
            r.task, r.uscc, r.version, r.deadline
        )
    });
}

/// `jianxin result …`.
pub async fn result(
    settings: &Settings,
    format: Format,
    cmd: ResultCommandArgs,
) -> Result<(), CliError> {
    let log = EventLog::open(&settings.db).await?;
    let clock = settings.clock.as_ref();
    // the operator names the inspector recording; the team check is the domain's
    let inspector = Actor::new(settings.operator.user.clone(), Role::Inspector);
    let outcome = match cmd {
        ResultCommandArgs::Record { file } => {
            let text = read_text(&file)?;
            results::record(&log, clock, &inspector, &text, None, None)
                .await
                .map(|r| ("recorded", r))
        }
        ResultCommandArgs::Correct { file, reason } => {
            let text = read_text(&file)?;
            results::record(&log, clock, &inspector, &text, None, Some(&reason))
                .await
                .map(|r| ("corrected", r))
        }
        ResultCommandArgs::Publish { task, subject } => match tasks::task_id(&task) {
            Ok(id) => results::publish(&log, clock, &settings.operator, id, &subject)
                .await
                .map(|r| ("published", r)),
            Err(e) => Err(e),
        },
    };
    log.database().close().await;
    let (what, r) = outcome?;
    show(format, what, &r);
    Ok(())
}

/// `jianxin publication due`.
pub async fn publication(
    settings: &Settings,
    format: Format,
    cmd: PublicationCommandArgs,
) -> Result<(), CliError> {
    let PublicationCommandArgs::Due { as_of } = cmd;
    let as_of = as_of.unwrap_or_else(|| results::today(settings.clock.now()));
    let log = EventLog::open(&settings.db).await?;
    let due = results::due(&log, as_of).await;
    log.database().close().await;
    let due = due?;
    print(format, &due, || {
        let mut s = format!("due as of {as_of}\nDEADLINE\tLEFT\tTASK\tSUBJECT\tVERSION\n");
        for d in &due {
            s.push_str(&format!(
                "{}{}\t{}{}\t{}\t{}\t{}\n",
                d.deadline,
                match d.calendar {
                    CalendarBasis::Official => "",
                    CalendarBasis::Provisional => " (provisional)",
                },
                d.working_days_left,
                if d.overdue { " (overdue)" } else { "" },
                d.task_id,
                d.uscc,
                d.version
            ));
        }
        s
    });
    Ok(())
}
