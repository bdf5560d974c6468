//! The subject aggregate: registration, then one change event per kind of difference
//! between the stored record and the row being recorded.

use crate::directory::effective_date;
use crate::directory::text::TextError;
use crate::event_log::{Issued, Recorded};

use super::{SubjectCommand, SubjectEvent, SubjectHistory, SubjectRecord};

/// The esrs aggregate of one subject, keyed by [`subject_id`](crate::directory::subject_id).
pub struct Subject;

/// What the aggregate remembers: the record as last recorded and every field's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectState {
    /// The record as the latest command left it; `None` before registration. Change
    /// events are computed against this.
    pub current: Option<SubjectRecord>,
    /// Each field's (effective date, value) history, for "as of date D" questions.
    pub history: SubjectHistory,
}

/// Why a subject command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// The record's USCC is not the one this history belongs to (the caller loaded the
    /// stream of another subject).
    #[error("this history is of subject {held}, not {given}")]
    UsccMismatch {
        /// The USCC of this aggregate.
        held: String,
        /// The USCC of the record given.
        given: String,
    },
    /// The name is empty, untrimmed, too long or holds control characters.
    #[error("subject name {0}")]
    InvalidName(TextError),
}

impl esrs::Aggregate for Subject {
    const NAME: &'static str = "subject";
    type State = SubjectState;
    type Command = Issued<SubjectCommand>;
    type Event = Recorded<SubjectEvent>;
    type Error = SubjectError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let SubjectCommand::Record(cmd) = issued.command;
        let record = cmd.record;
        record.check().map_err(SubjectError::InvalidName)?;
        let events = match &state.current {
            None => vec![SubjectEvent::SubjectRegistered { record }],
            Some(current) if current.uscc != record.uscc => {
                return Err(SubjectError::UsccMismatch {
                    held: current.uscc.to_string(),
                    given: record.uscc.to_string(),
                })
            }
            Some(current) => changes(current, &record),
        };
        Ok(issued.meta.stamp(events))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        let date = effective_date(&recorded);
        match (&recorded.event, state.current.as_mut()) {
            (SubjectEvent::SubjectRegistered { record }, _) => {
                state.current = Some(record.clone());
            }
            (change, Some(current)) => apply_change(current, change),
            // A change before registration cannot be produced by `handle_command`.
            (_, None) => return state,
        }
        if let Some(current) = &state.current {
            state.history.record(date, &recorded.event, current);
        }
        state
    }
}

/// The change events that turn `old` into `new`, in a fixed order (details, region,
/// status, risk class, tags); none when they are equal.
fn changes(old: &SubjectRecord, new: &SubjectRecord) -> Vec<SubjectEvent> {
    let mut events = Vec::new();
    let name = (old.name != new.name).then(|| new.name.clone());
    let kind = (old.kind != new.kind).then_some(new.kind);
    let industry = (old.industry != new.industry).then(|| new.industry.clone());
    let registration_date =
        (old.registration_date != new.registration_date).then_some(new.registration_date);
    if name.is_some() || kind.is_some() || industry.is_some() || registration_date.is_some() {
        events.push(SubjectEvent::SubjectDetailsCorrected {
            name,
            kind,
            industry,
            registration_date,
        });
    }
    if old.region != new.region {
        events.push(SubjectEvent::SubjectRegionChanged {
            from: old.region.clone(),
            to: new.region.clone(),
        });
    }
    if old.status != new.status {
        events.push(SubjectEvent::SubjectStatusChanged {
            from: old.status,
            to: new.status,
        });
    }
    if old.risk_class != new.risk_class {
        events.push(SubjectEvent::SubjectRiskClassChanged {
            from: old.risk_class,
            to: new.risk_class,
        });
    }
    if old.tags != new.tags {
        events.push(SubjectEvent::SubjectTagsChanged {
            added: new.tags.difference(&old.tags).cloned().collect(),
            removed: old.tags.difference(&new.tags).cloned().collect(),
        });
    }
    events
}

/// Applies one change event to a registered record.
fn apply_change(record: &mut SubjectRecord, event: &SubjectEvent) {
    match event {
        SubjectEvent::SubjectRegistered { record: new } => *record = new.clone(),
        SubjectEvent::SubjectStatusChanged { to, .. } => record.status = *to,
        SubjectEvent::SubjectRiskClassChanged { to, .. } => record.risk_class = *to,
        SubjectEvent::SubjectRegionChanged { to, .. } => record.region = to.clone(),
        SubjectEvent::SubjectTagsChanged { added, removed } => {
            record.tags.retain(|t| !removed.contains(t));
            record.tags.extend(added.iter().cloned());
        }
        SubjectEvent::SubjectDetailsCorrected {
            name,
            kind,
            industry,
            registration_date,
        } => {
            if let Some(name) = name {
                record.name = name.clone();
            }
            if let Some(kind) = kind {
                record.kind = *kind;
            }
            if let Some(industry) = industry {
                record.industry = industry.clone();
            }
            if let Some(date) = registration_date {
                record.registration_date = *date;
            }
        }
    }
}
