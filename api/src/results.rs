//! Inspection results and their publication (检查结果与公示, 一公开), as operations
//! shared by the CLI and the HTTP API: a result file is checked against the task's
//! standing draw (the subject's team, the task's items and window), its publication
//! deadline is counted in working days on the calendar in force (provisionally across a
//! year whose official schedule is not loaded, and then it says so), and the
//! publication-due list says how many working days are left or overdue.

use chrono::{DateTime, NaiveDate, Utc};
use jianxin_domain::calendar::{CalendarBasis, WorkingCalendar};
use jianxin_domain::event_log::{Actor, Issued};
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::result::{
    result_id, CorrectResult, InspectionResult, PublishResult, RecordResult, ResultCommand,
    ResultContent, TeamOnRecord,
};
use jianxin_domain::task::Phase;
use jianxin_projections::read_models::{due_results, public_results, PublicResult};
use jianxin_projections::{Clock, EventLog, Executed};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ops::{current_calendar, meta, OpError};
use crate::tasks;

/// The largest result file accepted, in bytes.
pub const RESULT_FILE_MAX_BYTES: usize = 256 * 1024;

/// A result as written in `result.json` (`jianxin result record --file`,
/// `POST /v1/tasks/{id}/results`); documented in docs/RESULTS.md.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultFile {
    /// The task (with `POST /v1/tasks/{id}/results` it must match the path, or be absent).
    #[serde(default)]
    pub task: Option<Uuid>,
    /// The drawn subject.
    pub uscc: String,
    /// What was found.
    pub result: ResultContent,
}

fn invalid(message: impl Into<String>, location: impl Into<String>) -> OpError {
    OpError::Invalid {
        message: message.into(),
        location: Some(location.into()),
    }
}

/// Parses a result file; `task` from the route overrides a missing one.
pub fn parse_result_file(
    text: &str,
    task: Option<Uuid>,
) -> Result<(Uuid, Uscc, ResultContent), OpError> {
    if text.len() > RESULT_FILE_MAX_BYTES {
        return Err(invalid(
            format!(
                "the result file has {} bytes; at most {RESULT_FILE_MAX_BYTES}",
                text.len()
            ),
            "result file",
        ));
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let file: ResultFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        invalid(
            format!("result file: {inner}"),
            if path == "." {
                format!("line {}, column {}", inner.line(), inner.column())
            } else {
                path
            },
        )
    })?;
    let id = match (file.task, task) {
        (Some(a), Some(b)) if a != b => {
            return Err(invalid(
                format!("the file names task {a}, the request task {b}"),
                "task",
            ))
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Err(invalid("the task is missing", "task")),
    };
    let uscc = Uscc::parse(&file.uscc).map_err(|e| invalid(e.to_string(), "uscc"))?;
    Ok((id, uscc, file.result))
}

/// The subject's team in the task's standing draw, with the task's items and window.
pub async fn team_on_record(
    log: &EventLog,
    task: Uuid,
    uscc: &Uscc,
) -> Result<TeamOnRecord, OpError> {
    let state = tasks::load(log, task).await?;
    let (Phase::Drawn, Some(drawn), Some(t)) = (state.phase, &state.drawn, &state.task) else {
        return Err(OpError::Refused(format!(
            "task {task} has no standing draw"
        )));
    };
    let Some(team) = drawn.teams.iter().find(|t| &t.uscc == uscc) else {
        return Err(OpError::NotFound(format!(
            "subject {uscc} was not drawn in task {task}"
        )));
    };
    Ok(TeamOnRecord {
        task_id: task,
        uscc: uscc.clone(),
        attempt: state.attempts,
        members: team.members.iter().cloned().collect(),
        items: t
            .items
            .iter()
            .map(|i| (i.code.clone(), i.department.clone()))
            .collect(),
        window: state.window,
    })
}

/// The publication deadline of a result dated `date`: the rules' working days later, on
/// the calendar in force, with the basis it was counted on.
pub async fn deadline_of(
    log: &EventLog,
    task: Uuid,
    date: NaiveDate,
) -> Result<(NaiveDate, CalendarBasis), OpError> {
    let state = tasks::load(log, task).await?;
    let (_, rules) = tasks::rules_version(log, Some(state.rules_version)).await?;
    let calendar = current_calendar(log).await?;
    let deadline = calendar
        .add_working_days(date, rules.publication_deadline_working_days)
        .map_err(|e| {
            invalid(
                format!("publication deadline from {date}: {e}"),
                "result.inspection_date",
            )
        })?;
    Ok((deadline, calendar.basis(date, deadline)))
}

/// What recording did.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// The task.
    pub task: Uuid,
    /// The subject.
    pub uscc: String,
    /// The version now current.
    pub version: u32,
    /// Publish by this day.
    pub deadline: NaiveDate,
    /// `provisional` when the deadline was counted across a year whose official holiday
    /// schedule is not loaded yet (it may move when it is), else `official`.
    pub calendar: CalendarBasis,
    /// Ledger positions appended.
    pub global_sequences: Vec<u64>,
    /// Facts that flowed on to credit (see [`crate::result_flows`]).
    pub flowed: Vec<crate::result_flows::FlowedFact>,
}

/// Records a result (or, with `correction`, a correction with its reason) as `actor`,
/// who must be an inspector on the subject's team.
pub async fn record(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    text: &str,
    route_task: Option<Uuid>,
    correction: Option<&str>,
) -> Result<Recorded, OpError> {
    let (task, uscc, content) = parse_result_file(text, route_task)?;
    let team = team_on_record(log, task, &uscc).await?;
    let (deadline, calendar) = deadline_of(log, task, content.inspection_date).await?;
    let current = content.clone();
    let command = match correction {
        None => ResultCommand::Record(RecordResult {
            team,
            content,
            deadline,
        }),
        Some(reason) => ResultCommand::Correct(CorrectResult {
            team,
            content,
            reason: reason.to_owned(),
            deadline,
        }),
    };
    let (version, global_sequences) = execute(log, clock, actor, task, &uscc, command).await?;
    let flowed =
        crate::result_flows::flow_on(log, clock, task, &uscc, &current, clock.now()).await?;
    Ok(Recorded {
        task,
        uscc: uscc.as_str().to_owned(),
        version,
        deadline,
        calendar,
        global_sequences,
        flowed,
    })
}

async fn execute(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    task: Uuid,
    uscc: &Uscc,
    command: ResultCommand,
) -> Result<(u32, Vec<u64>), OpError> {
    let issued = Issued {
        meta: meta(clock, actor),
        command,
    };
    match log
        .execute::<InspectionResult, _>(result_id(task, uscc), issued)
        .await?
    {
        Ok(Executed::Applied {
            state,
            global_sequences,
        }) => Ok((state.version, global_sequences)),
        Ok(Executed::AlreadyApplied { global_sequences }) => Ok((0, global_sequences)),
        Err(e) => Err(OpError::Refused(e.to_string())),
    }
}

/// Publishes the current version of a result.
pub async fn publish(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    task: Uuid,
    uscc: &str,
) -> Result<Recorded, OpError> {
    let uscc = Uscc::parse(uscc).map_err(|e| invalid(e.to_string(), "uscc"))?;
    let state = log
        .load::<InspectionResult>(result_id(task, &uscc))
        .await?
        .filter(|s| s.version > 0)
        .ok_or_else(|| OpError::NotFound(format!("no result of {uscc} in task {task}")))?;
    let deadline = state.deadline.unwrap_or_default();
    let calendar = match &state.content {
        Some(content) => current_calendar(log)
            .await?
            .basis(content.inspection_date, deadline),
        None => CalendarBasis::Official,
    };
    let command = ResultCommand::Publish(PublishResult {
        version: state.version,
    });
    let (_, global_sequences) = execute(log, clock, actor, task, &uscc, command).await?;
    Ok(Recorded {
        task,
        uscc: uscc.as_str().to_owned(),
        version: state.version,
        deadline,
        calendar,
        global_sequences,
        flowed: vec![],
    })
}

/// A result due for publication, with the working days left (negative: overdue).
#[derive(Debug, Clone, Serialize)]
pub struct Due {
    /// The task.
    pub task_id: String,
    /// The subject.
    pub uscc: String,
    /// The version to publish.
    pub version: i64,
    /// The day of the visit.
    pub inspection_date: String,
    /// Publish by this day.
    pub deadline: String,
    /// `provisional` when the deadline was counted across a year whose official holiday
    /// schedule is not loaded yet, else `official`.
    pub calendar: CalendarBasis,
    /// Working days from `as_of` to the deadline; negative when overdue.
    pub working_days_left: i64,
    /// Past the deadline.
    pub overdue: bool,
}

/// Working days after `from` up to and including `to` (negative when `to` is earlier).
pub fn working_days_between(
    calendar: &WorkingCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64, OpError> {
    let (start, end, sign) = if from <= to {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut n = 0i64;
    let mut day = start;
    while day < end {
        day = day
            .succ_opt()
            .ok_or_else(|| invalid("date out of range", "as_of"))?;
        if calendar
            .is_working_day(day)
            .map_err(|e| invalid(e.to_string(), "as_of"))?
        {
            n += 1;
        }
    }
    Ok(sign * n)
}

/// Results not yet published as of `as_of`, by deadline.
pub async fn due(log: &EventLog, as_of: NaiveDate) -> Result<Vec<Due>, OpError> {
    let calendar = current_calendar(log).await?;
    let mut out = vec![];
    for r in due_results(log.database()).await? {
        let deadline = NaiveDate::parse_from_str(&r.deadline, "%Y-%m-%d")
            .map_err(|e| invalid(e.to_string(), "deadline"))?;
        let left = working_days_between(&calendar, as_of, deadline)?;
        let basis = match NaiveDate::parse_from_str(&r.inspection_date, "%Y-%m-%d") {
            Ok(inspected) => calendar.basis(inspected, deadline),
            Err(_) => calendar.basis(deadline.pred_opt().unwrap_or(deadline), deadline),
        };
        out.push(Due {
            task_id: r.task_id,
            uscc: r.uscc,
            version: r.version,
            inspection_date: r.inspection_date,
            deadline: r.deadline,
            calendar: basis,
            working_days_left: left,
            overdue: as_of > deadline,
        });
    }
    Ok(out)
}

/// Published results for the public: the members present are a count (inspectors are
/// not named in public output) and evidence is its hashes only (file names can name
/// people).
pub async fn public(
    log: &EventLog,
    task: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PublicResult>, OpError> {
    let task = task.map(|t| t.hyphenated().to_string());
    let mut rows = public_results(log.database(), task.as_deref(), limit).await?;
    for r in &mut rows {
        mask(&mut r.content);
    }
    Ok(rows)
}

/// Masks personal data in a published content value.
pub fn mask(content: &mut serde_json::Value) {
    let Some(obj) = content.as_object_mut() else {
        return;
    };
    if let Some(members) = obj.remove("members") {
        let n = members.as_array().map(|a| a.len()).unwrap_or(0);
        obj.insert("members_present".into(), n.into());
    }
    if let Some(evidence) = obj.get_mut("evidence").and_then(|e| e.as_array_mut()) {
        for e in evidence.iter_mut() {
            if let Some(o) = e.as_object_mut() {
                o.remove("name");
            }
        }
    }
}

/// The Beijing date of `at`, the default "as of" of the due list.
pub fn today(at: DateTime<Utc>) -> NaiveDate {
    tasks::beijing_date(at)
}
