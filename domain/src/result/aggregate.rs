//! The inspection-result aggregate: record once, correct with a reason (both versions
//! stay), publish the current version.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::directory::{derived_id, DepartmentCode, InspectorId, ItemCode};
use crate::event_log::{DomainEvent, Issued, Recorded, Role};
use crate::identifiers::Uscc;

use super::content::ResultContent;

/// Prefix of [`result_id`].
pub const RESULT_ID_PREFIX: &str = "jianxin/result/";

/// The aggregate id of the result of `uscc` in task `task`: one result per drawn
/// subject, whatever the number of corrections.
pub fn result_id(task: Uuid, uscc: &Uscc) -> Uuid {
    derived_id(
        RESULT_ID_PREFIX,
        &format!("{}/{}", task.hyphenated(), uscc.as_str()),
    )
}

/// The subject's team and the task's frame as the task's events say, loaded by the
/// caller: the aggregate decides who may record against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamOnRecord {
    /// The task.
    pub task_id: Uuid,
    /// The drawn subject.
    pub uscc: Uscc,
    /// The task's draw (attempt) the team belongs to.
    pub attempt: u32,
    /// The team with replacements applied.
    pub members: BTreeSet<InspectorId>,
    /// The task's items with their departments.
    pub items: BTreeSet<(ItemCode, DepartmentCode)>,
    /// The task's inspection window.
    pub window: (NaiveDate, NaiveDate),
}

/// Record the result of the visit (录入检查结果); by a member of the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordResult {
    /// The team on record.
    pub team: TeamOnRecord,
    /// What was found.
    pub content: ResultContent,
    /// The publication deadline, computed on the calendar and rules in force.
    pub deadline: NaiveDate,
}

/// Correct the result (更正检查结果); by a member of the team, with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectResult {
    /// The team on record.
    pub team: TeamOnRecord,
    /// The corrected content, whole.
    pub content: ResultContent,
    /// Why; published with the correction.
    pub reason: String,
    /// The publication deadline of the corrected version.
    pub deadline: NaiveDate,
}

/// Publish the current version (公示检查结果).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishResult {
    /// The version the publisher saw: a correction in between refuses the publication.
    pub version: u32,
}

/// Flag the current version as past its publication deadline unpublished (逾期未公示):
/// issued by the scheduler once the day after the deadline has begun (CST).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagOverdue {
    /// The version found unpublished.
    pub version: u32,
    /// The scheduled instant it fell due.
    pub due_at: DateTime<Utc>,
}

/// Record the publication deadline of the current version counted anew (期限重算), after
/// a new version of the working calendar was loaded: the caller counts it on the new
/// calendar from the inspection date and issues this only when it differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecountDeadline {
    /// The deadline counted on the new calendar.
    pub deadline: NaiveDate,
    /// The version (content digest) of the calendar that changed it.
    pub calendar_version: String,
}

/// Every command of the result aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultCommand {
    /// See [`RecordResult`].
    Record(RecordResult),
    /// See [`CorrectResult`].
    Correct(CorrectResult),
    /// See [`PublishResult`].
    Publish(PublishResult),
    /// See [`FlagOverdue`] (the system only).
    FlagOverdue(FlagOverdue),
    /// See [`RecountDeadline`] (whoever loaded the calendar, or the system).
    RecountDeadline(RecountDeadline),
}

/// Events of an inspection result (stored contract: names never change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum ResultEvent {
    /// The result was recorded (检查结果已录入).
    ResultRecorded {
        /// The task.
        task_id: Uuid,
        /// The subject.
        uscc: Uscc,
        /// The draw the team belongs to.
        attempt: u32,
        /// What was found.
        content: ResultContent,
        /// Publish by this day.
        deadline: NaiveDate,
    },
    /// The result was corrected (检查结果已更正); the earlier version stays.
    ResultCorrected {
        /// The new version (from 2).
        version: u32,
        /// Why.
        reason: String,
        /// The corrected content, whole.
        content: ResultContent,
        /// Publish by this day.
        deadline: NaiveDate,
    },
    /// The version was published (检查结果已公示).
    ResultPublished {
        /// The version published.
        version: u32,
    },
    /// The version was still unpublished when its deadline passed (逾期未公示).
    PublicationOverdue {
        /// The version.
        version: u32,
        /// The deadline it had.
        deadline: NaiveDate,
        /// The scheduled instant this fell due.
        due_at: DateTime<Utc>,
    },
    /// The unpublished version's deadline was counted anew on a newly loaded calendar
    /// (公示期限已按新工作日历重算); the earlier deadline stays in the log.
    PublicationDeadlineRecounted {
        /// The version whose deadline moved.
        version: u32,
        /// The deadline it had.
        previous: NaiveDate,
        /// The deadline it has now.
        deadline: NaiveDate,
        /// The version (content digest) of the calendar that changed it.
        calendar_version: String,
    },
}

impl DomainEvent for ResultEvent {}

/// Why a result command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultError {
    /// The content is invalid (422): every problem, with its field.
    #[error("invalid result: {}", .0.iter().map(|(f, w)| format!("{f}: {w}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(String, String)>),
    /// The actor is not an inspector on the subject's team (403).
    #[error("{0} is not on the team drawn for this subject; only its members record its result")]
    NotOnTeam(String),
    /// A member present is not on the team (422).
    #[error("{0} is listed as present but is not on the team drawn for this subject")]
    MemberNotOnTeam(InspectorId),
    /// The team given is for another task or subject (422).
    #[error("the team given is for task {task} and subject {uscc}, not this result's")]
    WrongSubject {
        /// The task given.
        task: Uuid,
        /// The subject given.
        uscc: Uscc,
    },
    /// Recorded already: correct it instead (409).
    #[error("the result is recorded already (version {0}); record a correction with a reason")]
    AlreadyRecorded(u32),
    /// Nothing recorded yet (409).
    #[error("no result is recorded for this subject yet")]
    NotRecorded,
    /// A correction needs a reason (422).
    #[error("a correction needs a reason")]
    NoReason,
    /// The version to publish is not the current one (409).
    #[error("version {given} is not the current version {current}; reload and publish again")]
    StaleVersion {
        /// The version given.
        given: u32,
        /// The current version.
        current: u32,
    },
    /// The current version is published already (409).
    #[error("version {0} is published already")]
    AlreadyPublished(u32),
    /// The version is not overdue, or flagged already (409).
    #[error("version {0} is not overdue for publication: {1}")]
    NotOverdue(u32, String),
    /// Only the system flags overdue publications (403).
    #[error("role {0} may not flag publications overdue; the scheduler does")]
    NotSystem(String),
    /// Only an administrator's calendar load or the system recounts deadlines (403).
    #[error("role {0} may not recount publication deadlines; loading a calendar does")]
    NotRecounter(String),
    /// The deadline has nothing to recount (409): published, flagged overdue already, or
    /// the same day.
    #[error("the publication deadline is not recounted: {0}")]
    NothingToRecount(String),
}

/// What a result remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultState {
    /// The task and subject, once recorded.
    pub subject: Option<(Uuid, Uscc)>,
    /// The draw the result belongs to.
    pub attempt: u32,
    /// The current version (0: none).
    pub version: u32,
    /// The current content.
    pub content: Option<ResultContent>,
    /// The current deadline.
    pub deadline: Option<NaiveDate>,
    /// The highest version published.
    pub published: Option<u32>,
    /// The highest version flagged overdue.
    pub overdue_flagged: Option<u32>,
}

/// The esrs aggregate of an inspection result.
pub struct InspectionResult;

fn check_team(
    state: &ResultState,
    team: &TeamOnRecord,
    content: &ResultContent,
    actor: &crate::event_log::Actor,
) -> Result<(), ResultError> {
    if let Some((task, uscc)) = &state.subject {
        if *task != team.task_id || *uscc != team.uscc {
            return Err(ResultError::WrongSubject {
                task: team.task_id,
                uscc: team.uscc.clone(),
            });
        }
    }
    let on_team = actor.role == Role::Inspector
        && InspectorId::parse(&actor.user).is_ok_and(|id| team.members.contains(&id));
    if !on_team {
        return Err(ResultError::NotOnTeam(actor.user.clone()));
    }
    let mut problems = content.problems();
    for (i, f) in content.findings.iter().enumerate() {
        if !team.items.contains(&(f.item.clone(), f.department.clone())) {
            problems.push((
                format!("findings[{i}]"),
                format!(
                    "item {} of department {} is not an item of the task",
                    f.item, f.department
                ),
            ));
        }
    }
    let (from, to) = team.window;
    if content.inspection_date < from || content.inspection_date > to {
        problems.push((
            "inspection_date".into(),
            format!(
                "{} lies outside the task's window {from} … {to}",
                content.inspection_date
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(ResultError::Invalid(problems));
    }
    if let Some(stranger) = content.members.iter().find(|m| !team.members.contains(*m)) {
        return Err(ResultError::MemberNotOnTeam(stranger.clone()));
    }
    Ok(())
}

impl esrs::Aggregate for InspectionResult {
    const NAME: &'static str = "inspection_result";
    type State = ResultState;
    type Command = Issued<ResultCommand>;
    type Event = Recorded<ResultEvent>;
    type Error = ResultError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let meta = &issued.meta;
        let events = match issued.command {
            ResultCommand::Record(r) => {
                if state.version > 0 {
                    return Err(ResultError::AlreadyRecorded(state.version));
                }
                check_team(state, &r.team, &r.content, &meta.actor)?;
                vec![ResultEvent::ResultRecorded {
                    task_id: r.team.task_id,
                    uscc: r.team.uscc,
                    attempt: r.team.attempt,
                    content: r.content,
                    deadline: r.deadline,
                }]
            }
            ResultCommand::Correct(c) => {
                if state.version == 0 {
                    return Err(ResultError::NotRecorded);
                }
                if c.reason.trim().is_empty() {
                    return Err(ResultError::NoReason);
                }
                if let Some(e) = crate::directory::format_character_error(&c.reason) {
                    return Err(ResultError::Invalid(vec![("reason".into(), e.to_string())]));
                }
                check_team(state, &c.team, &c.content, &meta.actor)?;
                vec![ResultEvent::ResultCorrected {
                    version: state.version + 1,
                    reason: c.reason,
                    content: c.content,
                    deadline: c.deadline,
                }]
            }
            ResultCommand::Publish(p) => {
                if state.version == 0 {
                    return Err(ResultError::NotRecorded);
                }
                if p.version != state.version {
                    return Err(ResultError::StaleVersion {
                        given: p.version,
                        current: state.version,
                    });
                }
                if state.published == Some(state.version) {
                    return Err(ResultError::AlreadyPublished(state.version));
                }
                vec![ResultEvent::ResultPublished {
                    version: state.version,
                }]
            }
            ResultCommand::FlagOverdue(f) => {
                if meta.actor.role != Role::System {
                    return Err(ResultError::NotSystem(meta.actor.role.as_str().into()));
                }
                let not = |why: String| Err(ResultError::NotOverdue(f.version, why));
                let Some(deadline) = state.deadline else {
                    return not("nothing is recorded".into());
                };
                if f.version != state.version {
                    return not(format!("the current version is {}", state.version));
                }
                if state.published == Some(state.version) {
                    return not("it is published".into());
                }
                if state.overdue_flagged == Some(state.version) {
                    return not("it is flagged already".into());
                }
                if crate::calendar::china_date(meta.issued_at) <= deadline {
                    return not(format!("its deadline {deadline} has not passed"));
                }
                vec![ResultEvent::PublicationOverdue {
                    version: state.version,
                    deadline,
                    due_at: f.due_at,
                }]
            }
            ResultCommand::RecountDeadline(r) => {
                if !matches!(meta.actor.role, Role::Admin | Role::System) {
                    return Err(ResultError::NotRecounter(meta.actor.role.as_str().into()));
                }
                let not = |why: String| Err(ResultError::NothingToRecount(why));
                let Some(previous) = state.deadline else {
                    return not("nothing is recorded".into());
                };
                if state.published == Some(state.version) {
                    return not(format!("version {} is published", state.version));
                }
                if state.overdue_flagged == Some(state.version) {
                    return not(format!("version {} is flagged overdue", state.version));
                }
                if previous == r.deadline {
                    return not(format!("it is {previous} on the new calendar too"));
                }
                vec![ResultEvent::PublicationDeadlineRecounted {
                    version: state.version,
                    previous,
                    deadline: r.deadline,
                    calendar_version: r.calendar_version,
                }]
            }
        };
        Ok(meta.stamp(events))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        match recorded.event {
            ResultEvent::ResultRecorded {
                task_id,
                uscc,
                attempt,
                content,
                deadline,
            } => {
                state.subject = Some((task_id, uscc));
                state.attempt = attempt;
                state.version = 1;
                state.content = Some(content);
                state.deadline = Some(deadline);
            }
            ResultEvent::ResultCorrected {
                version,
                content,
                deadline,
                ..
            } => {
                state.version = version;
                state.content = Some(content);
                state.deadline = Some(deadline);
            }
            ResultEvent::ResultPublished { version } => state.published = Some(version),
            ResultEvent::PublicationOverdue { version, .. } => {
                state.overdue_flagged = Some(version)
            }
            ResultEvent::PublicationDeadlineRecounted { deadline, .. } => {
                state.deadline = Some(deadline)
            }
        }
        state
    }
}
