//! The inspector aggregate: registration, change events by kind, and declared
//! relationships with subjects (利害关系) that exclude the inspector from them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::directory::text::{check_text, TextError};
use crate::event_log::{Issued, Recorded};
use crate::identifiers::Uscc;

use super::{
    DeclareRelationship, InspectorCommand, InspectorEvent, InspectorRecord, InspectorRecordError,
    WithdrawRelationship,
};

/// The most characters a declared relation may have.
pub const RELATION_MAX_CHARS: usize = 64;
/// The most characters a withdrawal reason may have.
pub const REASON_MAX_CHARS: usize = 500;

/// The esrs aggregate of one inspector, keyed by
/// [`inspector_aggregate_id`](crate::directory::inspector_aggregate_id).
pub struct Inspector;

/// What the aggregate remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectorState {
    /// The record as the latest command left it; `None` before registration.
    pub current: Option<InspectorRecord>,
    /// Declared, not withdrawn relationships: subject → relation → date declared.
    pub relationships: BTreeMap<Uscc, BTreeMap<String, NaiveDate>>,
}

impl InspectorState {
    /// Whether the inspector is registered and their certificate is valid on `date`.
    pub fn certificate_valid_on(&self, date: NaiveDate) -> bool {
        self.current
            .as_ref()
            .is_some_and(|record| record.certificate_valid_on(date))
    }

    /// Whether a relationship with `uscc` is declared and not withdrawn: such an
    /// inspector is never drawn for that subject.
    pub fn has_relationship_with(&self, uscc: &Uscc) -> bool {
        self.relationships.get(uscc).is_some_and(|r| !r.is_empty())
    }
}

/// Why an inspector command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectorError {
    /// The record's id is not the one this history belongs to.
    #[error("this history is of inspector {held}, not {given}")]
    IdMismatch {
        /// The id of this aggregate.
        held: String,
        /// The id of the record given.
        given: String,
    },
    /// The record is not acceptable.
    #[error(transparent)]
    InvalidRecord(#[from] InspectorRecordError),
    /// A relationship was declared or withdrawn for an inspector not in the directory.
    #[error("the inspector is not registered")]
    NotRegistered,
    /// The relation text is not acceptable.
    #[error("relation {0}")]
    InvalidRelation(TextError),
    /// The withdrawal reason is not acceptable.
    #[error("withdrawal reason {0}")]
    InvalidReason(TextError),
    /// The relationship to withdraw was never declared, or is already withdrawn.
    #[error("no relationship '{relation}' with {uscc} is declared")]
    RelationshipNotDeclared {
        /// The subject named.
        uscc: String,
        /// The relation named.
        relation: String,
    },
}

impl esrs::Aggregate for Inspector {
    const NAME: &'static str = "inspector";
    type State = InspectorState;
    type Command = Issued<InspectorCommand>;
    type Event = Recorded<InspectorEvent>;
    type Error = InspectorError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let events = match issued.command {
            InspectorCommand::Record(cmd) => record(state, cmd.record)?,
            InspectorCommand::DeclareRelationship(cmd) => declare(state, cmd)?,
            InspectorCommand::WithdrawRelationship(cmd) => withdraw(state, cmd)?,
        };
        Ok(issued.meta.stamp(events))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        match recorded.event {
            InspectorEvent::InspectorRegistered { record } => state.current = Some(record),
            InspectorEvent::RelationshipDeclared {
                uscc,
                relation,
                declared_on,
            } => {
                state
                    .relationships
                    .entry(uscc)
                    .or_default()
                    .insert(relation, declared_on);
            }
            InspectorEvent::RelationshipWithdrawn { uscc, relation, .. } => {
                if let Some(relations) = state.relationships.get_mut(&uscc) {
                    relations.remove(&relation);
                    if relations.is_empty() {
                        state.relationships.remove(&uscc);
                    }
                }
            }
            change => {
                if let Some(current) = state.current.as_mut() {
                    apply_change(current, change);
                }
            }
        }
        state
    }
}

fn record(
    state: &InspectorState,
    record: InspectorRecord,
) -> Result<Vec<InspectorEvent>, InspectorError> {
    record.check()?;
    let Some(old) = &state.current else {
        return Ok(vec![InspectorEvent::InspectorRegistered { record }]);
    };
    if old.id != record.id {
        return Err(InspectorError::IdMismatch {
            held: old.id.to_string(),
            given: record.id.to_string(),
        });
    }
    Ok(changes(old, &record))
}

/// The change events that turn `old` into `new`, in a fixed order; none when equal.
fn changes(old: &InspectorRecord, new: &InspectorRecord) -> Vec<InspectorEvent> {
    let mut events = Vec::new();
    let name = (old.name != new.name).then(|| new.name.clone());
    let department = (old.department != new.department).then(|| new.department.clone());
    let expert = (old.expert != new.expert).then_some(new.expert);
    if name.is_some() || department.is_some() || expert.is_some() {
        events.push(InspectorEvent::InspectorDetailsCorrected {
            name,
            department,
            expert,
        });
    }
    if old.certificate != new.certificate {
        events.push(InspectorEvent::InspectorCertificateRenewed {
            from: old.certificate.clone(),
            to: new.certificate.clone(),
        });
    }
    if old.status != new.status {
        events.push(InspectorEvent::InspectorStatusChanged {
            from: old.status,
            to: new.status,
        });
    }
    if old.qualifications != new.qualifications {
        let (added, removed) = set_diff(&old.qualifications, &new.qualifications);
        events.push(InspectorEvent::InspectorQualificationsChanged { added, removed });
    }
    if old.patrol_areas != new.patrol_areas {
        let (added, removed) = set_diff(&old.patrol_areas, &new.patrol_areas);
        events.push(InspectorEvent::InspectorPatrolAreasChanged { added, removed });
    }
    events
}

/// `(new − old, old − new)`.
fn set_diff<T: Ord + Clone>(old: &BTreeSet<T>, new: &BTreeSet<T>) -> (BTreeSet<T>, BTreeSet<T>) {
    (
        new.difference(old).cloned().collect(),
        old.difference(new).cloned().collect(),
    )
}

fn apply_change(record: &mut InspectorRecord, event: InspectorEvent) {
    match event {
        InspectorEvent::InspectorDetailsCorrected {
            name,
            department,
            expert,
        } => {
            if let Some(name) = name {
                record.name = name;
            }
            if let Some(department) = department {
                record.department = department;
            }
            record.expert = expert.unwrap_or(record.expert);
        }
        InspectorEvent::InspectorCertificateRenewed { to, .. } => record.certificate = to,
        InspectorEvent::InspectorStatusChanged { to, .. } => record.status = to,
        InspectorEvent::InspectorQualificationsChanged { added, removed } => {
            record.qualifications.retain(|q| !removed.contains(q));
            record.qualifications.extend(added);
        }
        InspectorEvent::InspectorPatrolAreasChanged { added, removed } => {
            record.patrol_areas.retain(|a| !removed.contains(a));
            record.patrol_areas.extend(added);
        }
        InspectorEvent::InspectorRegistered { record: new } => *record = new,
        InspectorEvent::RelationshipDeclared { .. }
        | InspectorEvent::RelationshipWithdrawn { .. } => {}
    }
}

fn declare(
    state: &InspectorState,
    cmd: DeclareRelationship,
) -> Result<Vec<InspectorEvent>, InspectorError> {
    if state.current.is_none() {
        return Err(InspectorError::NotRegistered);
    }
    check_text(&cmd.relation, RELATION_MAX_CHARS).map_err(InspectorError::InvalidRelation)?;
    let known = state
        .relationships
        .get(&cmd.uscc)
        .is_some_and(|r| r.contains_key(&cmd.relation));
    if known {
        return Ok(vec![]);
    }
    Ok(vec![InspectorEvent::RelationshipDeclared {
        uscc: cmd.uscc,
        relation: cmd.relation,
        declared_on: cmd.declared_on,
    }])
}

fn withdraw(
    state: &InspectorState,
    cmd: WithdrawRelationship,
) -> Result<Vec<InspectorEvent>, InspectorError> {
    if state.current.is_none() {
        return Err(InspectorError::NotRegistered);
    }
    check_text(&cmd.reason, REASON_MAX_CHARS).map_err(InspectorError::InvalidReason)?;
    let known = state
        .relationships
        .get(&cmd.uscc)
        .is_some_and(|r| r.contains_key(&cmd.relation));
    if !known {
        return Err(InspectorError::RelationshipNotDeclared {
            uscc: cmd.uscc.to_string(),
            relation: cmd.relation,
        });
    }
    Ok(vec![InspectorEvent::RelationshipWithdrawn {
        uscc: cmd.uscc,
        relation: cmd.relation,
        withdrawn_on: cmd.withdrawn_on,
        reason: cmd.reason,
    }])
}
