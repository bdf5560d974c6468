//! Deadlines counted anew when a working calendar is loaded (期限重算).
//!
//! A deadline counted across a year whose official holiday schedule was not loaded yet
//! is provisional (weekends and statutory holidays only); the State Council's schedule,
//! once loaded, adds bridge days and 调休 and may move it. Every running deadline is
//! therefore counted again on the calendar just loaded: each unpublished result's
//! publication deadline and each case's open deadlines. Each one that moves is recorded
//! on its own aggregate with the calendar version that moved it, and the list of them is
//! the load's impact notice. Counting again is idempotent: loading the same calendar
//! twice (or again after a crash half-way) records only what is still off.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use jianxin_domain::calendar::{CalendarBasis, WorkingCalendar};
use jianxin_domain::case::CaseStep;
use jianxin_domain::event_log::{Actor, Issued};
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::result::{
    result_id, InspectionResult, RecountDeadline, ResultCommand, ResultError,
};
use jianxin_projections::read_models::{case_rows, due_results};
use jianxin_projections::{Clock, EventLog, Executed};
use serde::Serialize;
use uuid::Uuid;

use crate::ops::{current_calendar, meta, OpError};
use crate::{cases, tasks};

/// One deadline that a newly loaded calendar moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recounted {
    /// `result` or `case`.
    pub kind: &'static str,
    /// The result's task, or the case id.
    pub id: String,
    /// The result's subject; `None` for a case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uscc: Option<String>,
    /// Which deadline: `publication` for a result; `filing`, `hearing_request`,
    /// `decision` or `service` for a case.
    pub deadline: &'static str,
    /// The last day it had.
    pub previous: NaiveDate,
    /// The last day it has now.
    pub due_on: NaiveDate,
    /// `official` or `provisional`: what the new day is counted on.
    pub calendar: CalendarBasis,
}

/// Counts every running deadline again on the calendar in force and records, as `actor`
/// (the administrator who loaded it), each one that moved.
pub async fn recount(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
) -> Result<Vec<Recounted>, OpError> {
    let calendar = Arc::new(current_calendar(log).await?);
    let mut out = results(log, clock, actor, &calendar).await?;
    out.extend(case_deadlines(log, clock, actor, &calendar).await?);
    Ok(out)
}

/// The unpublished results' publication deadlines.
async fn results(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    calendar: &WorkingCalendar,
) -> Result<Vec<Recounted>, OpError> {
    let version = calendar.content_digest();
    let mut days_by_task: HashMap<Uuid, u32> = HashMap::new();
    let mut out = vec![];
    for row in due_results(log.database()).await? {
        let (Ok(task), Ok(uscc)) = (Uuid::parse_str(&row.task_id), Uscc::parse(&row.uscc)) else {
            continue;
        };
        let (Ok(inspected), Ok(previous)) = (day(&row.inspection_date), day(&row.deadline)) else {
            continue;
        };
        let days = match days_by_task.get(&task) {
            Some(days) => *days,
            None => {
                let state = tasks::load(log, task).await?;
                let (_, rules) = tasks::rules_version(log, Some(state.rules_version)).await?;
                days_by_task.insert(task, rules.publication_deadline_working_days);
                rules.publication_deadline_working_days
            }
        };
        // A deadline the new calendar cannot count stays as it was: the calendar covers
        // every year a running deadline can reach, so this is a calendar far in the past.
        let Ok(due_on) = calendar.add_working_days(inspected, days) else {
            continue;
        };
        if due_on == previous {
            continue;
        }
        let issued = Issued {
            meta: meta(clock, actor),
            command: ResultCommand::RecountDeadline(RecountDeadline {
                deadline: due_on,
                calendar_version: version.clone(),
            }),
        };
        match log
            .execute::<InspectionResult, _>(result_id(task, &uscc), issued)
            .await?
        {
            Ok(Executed::Applied { .. }) => out.push(Recounted {
                kind: "result",
                id: row.task_id,
                uscc: Some(row.uscc),
                deadline: "publication",
                previous,
                due_on,
                calendar: calendar.basis(inspected, due_on),
            }),
            Ok(Executed::AlreadyApplied { .. }) | Err(ResultError::NothingToRecount(_)) => {}
            Err(e) => return Err(OpError::Refused(e.to_string())),
        }
    }
    Ok(out)
}

/// The open deadlines of every case.
async fn case_deadlines(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    calendar: &WorkingCalendar,
) -> Result<Vec<Recounted>, OpError> {
    let mut out = vec![];
    for row in case_rows(log.database()).await? {
        let Ok(id) = Uuid::parse_str(&row.id) else {
            continue;
        };
        let state = cases::load(log, id).await?;
        let moved = state.recounted_deadlines(calendar);
        if moved.is_empty() {
            continue;
        }
        let step = CaseStep::RecountDeadlines {
            calendar_version: calendar.content_digest(),
        };
        cases::step(log, clock, actor, Some(id), step).await?;
        out.extend(moved.into_iter().map(|(kind, previous, due_on)| Recounted {
            kind: "case",
            id: row.id.clone(),
            uscc: None,
            deadline: kind.as_str(),
            previous,
            due_on,
            calendar: calendar.basis_of_day(due_on),
        }));
    }
    Ok(out)
}

fn day(text: &str) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
}
