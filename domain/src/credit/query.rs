//! The credit query log (信用查询日志): every answer to a credit check is an event of its
//! own aggregate, so it is append-only and covered by the ledger like every other fact;
//! the asking department may later record the measure it applied (触发反馈).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::check::{BasisItem, Decision, NotApplicable};
use crate::event_log::{DomainEvent, Issued, Recorded, Role};

/// An answer exactly as given (the API's contract; field names never change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAnswer {
    /// allowed, restricted or rewarded.
    pub decision: Decision,
    /// The USCC asked about.
    pub subject: String,
    /// The scenario id.
    pub scenario: String,
    /// The valid date asked about.
    pub date: NaiveDate,
    /// What the system had recorded by then.
    pub known_at: DateTime<Utc>,
    /// The entries and measures deciding it.
    pub basis: Vec<BasisItem>,
    /// The subject's entries that do not apply, and why.
    pub not_applicable: Vec<NotApplicable>,
    /// The log position the answer was computed at (facts at or before it).
    pub log_seq: u64,
    /// The credit rule version (SHA-256 of its text).
    pub rule_version: String,
    /// The measures catalogue version (SHA-256 of its text).
    pub catalogue_version: String,
    /// This answer's id in the query log.
    pub query_id: Uuid,
}

/// Who asked and why (the query log's "who, which system, stated purpose").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    /// The asking user or system id.
    pub user: String,
    /// Its role.
    pub role: Role,
    /// The stated purpose (e.g. a procurement number).
    pub purpose: String,
}

/// Commands of a logged query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryCommand {
    /// Log an answer (记录查询).
    Log(Box<CheckAnswer>, String),
    /// Record the measure the asking department applied (触发反馈).
    Feedback {
        /// The measure applied.
        measure_applied: String,
        /// A note.
        note: String,
    },
}

/// Events of a logged query (stored contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum QueryEvent {
    /// A check was answered (信用核查已应答).
    CreditChecked {
        /// The answer as given.
        answer: Box<CheckAnswer>,
        /// The stated purpose.
        purpose: String,
    },
    /// The asker's feedback (联合奖惩反馈).
    FeedbackRecorded {
        /// The measure applied.
        measure_applied: String,
        /// A note.
        note: String,
    },
}

impl DomainEvent for QueryEvent {}

/// Why a query command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Logged already (409).
    #[error("query {0} is logged already")]
    AlreadyLogged(Uuid),
    /// Nothing logged under this id (404).
    #[error("no query is logged under this id")]
    NotLogged,
    /// Feedback only from the asker (403).
    #[error("only the asker {0} may record feedback on its query")]
    NotTheAsker(String),
    /// Empty field (422).
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// What a logged query remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryState {
    /// The asker, once logged.
    pub asker: Option<String>,
    /// Feedback so far.
    pub feedback: u32,
}

/// The esrs aggregate of a logged credit query.
pub struct CreditQuery;

impl esrs::Aggregate for CreditQuery {
    const NAME: &'static str = "credit_query";
    type State = QueryState;
    type Command = Issued<QueryCommand>;
    type Event = Recorded<QueryEvent>;
    type Error = QueryError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let event = match issued.command {
            QueryCommand::Log(answer, purpose) => {
                if state.asker.is_some() {
                    return Err(QueryError::AlreadyLogged(answer.query_id));
                }
                QueryEvent::CreditChecked { answer, purpose }
            }
            QueryCommand::Feedback {
                measure_applied,
                note,
            } => {
                let Some(asker) = &state.asker else {
                    return Err(QueryError::NotLogged);
                };
                if *asker != issued.meta.actor.user {
                    return Err(QueryError::NotTheAsker(asker.clone()));
                }
                if measure_applied.trim().is_empty() {
                    return Err(QueryError::Empty("measure_applied"));
                }
                QueryEvent::FeedbackRecorded {
                    measure_applied,
                    note,
                }
            }
        };
        Ok(issued.meta.stamp(vec![event]))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        match recorded.event {
            QueryEvent::CreditChecked { .. } => state.asker = Some(recorded.actor.user),
            QueryEvent::FeedbackRecorded { .. } => state.feedback += 1,
        }
        state
    }
}
