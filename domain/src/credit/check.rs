//! The bitemporal answer to "may subject S do X on date D?" (联合奖惩查询), pure.
//!
//! Two times: `date` is the valid date asked about (a calendar date in China Standard
//! Time); `known_at` is what the system had recorded by then. The answer folds exactly
//! the subject's facts recorded at or before `known_at` (the caller also bounds them by
//! the log position it answers at), then takes the entries whose valid interval
//! `[entered_on, end)` contains `date`. Expiry follows from the interval itself, and the
//! abnormal → serious escalation is derived here from an abnormal entry that covers the
//! escalation day, so no answer depends on a scheduled job having run. A later
//! correction — an annulment, a late-recorded removal — changes the answer for a
//! `known_at` after it and never for one before it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::aggregate::{
    apply, escalation_id, escalation_terms, CreditEvent, CreditState, ESCALATION_LEGAL_BASIS,
};
use super::rules::{CreditRules, MeasuresCatalogue};
use super::values::{Effect, ListId};

/// One event of the subject with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Global sequence in the ledger.
    pub seq: u64,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The event.
    pub event: CreditEvent,
}

pub use crate::calendar::china_date;

/// How an entry ended before its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndKind {
    /// Removed on correction.
    Removed,
    /// Credit repair granted.
    Repaired,
}

/// An entry as known at some instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryView {
    /// The entry.
    pub entry_id: Uuid,
    /// The subject.
    pub subject: String,
    /// The list.
    pub list: ListId,
    /// Why it was entered.
    pub reason: String,
    /// The legal basis of the entry.
    pub legal_basis: String,
    /// First day on.
    pub entered_on: NaiveDate,
    /// Expiry (first day off), if the list has a period.
    pub until: Option<NaiveDate>,
    /// Ended early: first day off, how, why.
    pub ended: Option<(NaiveDate, EndKind, String)>,
    /// Annulled as wrongful, with the reason.
    pub annulled: Option<String>,
    /// The global sequence of the event that entered it.
    pub event_seq: u64,
    /// For an escalation: the abnormal entry it derives from.
    pub derived_from: Option<Uuid>,
}

impl EntryView {
    /// First day off by whichever end comes first.
    pub fn end(&self) -> Option<NaiveDate> {
        let early = self.ended.as_ref().map(|(d, _, _)| *d);
        match (self.until, early) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when the entry is in force on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.annulled.is_none() && self.entered_on <= day && self.end().is_none_or(|e| day < e)
    }

    /// Why the entry is not in force on `day` (None when it is).
    pub fn why_not(&self, day: NaiveDate) -> Option<String> {
        if let Some(r) = &self.annulled {
            return Some(format!("annulled as wrongful from the start: {r}"));
        }
        if day < self.entered_on {
            return Some(format!(
                "not yet listed on {day}: entered on {}",
                self.entered_on
            ));
        }
        match (&self.ended, self.until) {
            (Some((d, kind, why)), until) if until.is_none_or(|u| *d <= u) && day >= *d => {
                Some(match kind {
                    EndKind::Removed => format!("removed from {d}: {why}"),
                    EndKind::Repaired => format!("credit repaired from {d}: {why}"),
                })
            }
            (_, Some(u)) if day >= u => Some(format!("expired on {u}")),
            _ => None,
        }
    }
}

/// The subject's entries as recorded at or before `known_at`, with the derived
/// escalations whose day has come by `known_at`.
pub fn entries_known(
    facts: &[Fact],
    known_at: DateTime<Utc>,
    rules: &CreditRules,
) -> Vec<EntryView> {
    let mut state = CreditState::default();
    let mut views: Vec<EntryView> = vec![];
    for f in facts.iter().filter(|f| f.recorded_at <= known_at) {
        match &f.event {
            CreditEvent::ListEntered {
                entry_id,
                uscc,
                list,
                reason,
                legal_basis,
                entered_on,
                until,
                ..
            } => views.push(EntryView {
                entry_id: *entry_id,
                subject: uscc.as_str().to_string(),
                list: *list,
                reason: reason.clone(),
                legal_basis: legal_basis.clone(),
                entered_on: *entered_on,
                until: *until,
                ended: None,
                annulled: None,
                event_seq: f.seq,
                derived_from: None,
            }),
            CreditEvent::ListRemoved {
                entry_id,
                reason,
                removed_on,
            } => {
                if let Some(v) = views.iter_mut().find(|v| v.entry_id == *entry_id) {
                    v.ended = Some((*removed_on, EndKind::Removed, reason.clone()));
                }
            }
            CreditEvent::ListEntryAnnulled { entry_id, reason } => {
                if let Some(v) = views.iter_mut().find(|v| v.entry_id == *entry_id) {
                    v.annulled = Some(reason.clone());
                }
            }
            CreditEvent::RepairDecided {
                entry_id,
                reasons,
                effective_on: Some(d),
                ..
            } => {
                if let Some(v) = views.iter_mut().find(|v| v.entry_id == *entry_id) {
                    v.ended = Some((*d, EndKind::Repaired, reasons.clone()));
                }
            }
            _ => {}
        }
        apply(&mut state, f.event.clone());
    }
    let today = china_date(known_at);
    let mut derived = vec![];
    for v in views.iter().filter(|v| v.list == ListId::Abnormal) {
        let id = escalation_id(v.entry_id);
        let Some((day, until, reason)) =
            escalation_terms(v.entry_id, v.entered_on, &v.reason, rules)
        else {
            continue;
        };
        if day > today || !v.covers(day) || views.iter().any(|w| w.entry_id == id) {
            continue;
        }
        derived.push(EntryView {
            entry_id: id,
            subject: v.subject.clone(),
            list: ListId::Serious,
            reason,
            legal_basis: ESCALATION_LEGAL_BASIS.into(),
            entered_on: day,
            until,
            ended: None,
            annulled: None,
            event_seq: v.event_seq,
            derived_from: Some(v.entry_id),
        });
    }
    views.extend(derived);
    views
}

/// The decision (查询结论).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// No measure applies.
    Allowed,
    /// A restricting measure applies ("dishonest once, restricted everywhere": wins).
    Restricted,
    /// Only rewarding measures apply.
    Rewarded,
}

/// An entry and the measure that makes it count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BasisItem {
    /// The list.
    pub list: ListId,
    /// The entry.
    pub entry_id: Uuid,
    /// First day on.
    pub entered_on: NaiveDate,
    /// First day off as known (null: until removed).
    pub until: Option<NaiveDate>,
    /// Why it was entered.
    pub reason: String,
    /// The measure.
    pub measure: String,
    /// The measure's legal basis.
    pub legal_basis: String,
    /// Restricted or rewarded.
    pub effect: Effect,
    /// The global sequence of the entry's event.
    pub event_seq: u64,
}

/// An entry that does not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NotApplicable {
    /// The entry.
    pub entry_id: Uuid,
    /// The list.
    pub list: ListId,
    /// Why.
    pub why: String,
}

/// The explained decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// The entries and measures that decide it.
    pub basis: Vec<BasisItem>,
    /// The subject's other entries and why they do not count.
    pub not_applicable: Vec<NotApplicable>,
}

/// Decides `scenario` on `date` from `entries` (as known) under `catalogue`.
pub fn evaluate(
    entries: &[EntryView],
    date: NaiveDate,
    scenario: &str,
    catalogue: &MeasuresCatalogue,
) -> Evaluation {
    let mut basis = vec![];
    let mut not_applicable = vec![];
    for e in entries {
        if let Some(why) = e.why_not(date) {
            not_applicable.push(NotApplicable {
                entry_id: e.entry_id,
                list: e.list,
                why,
            });
            continue;
        }
        match catalogue.measure(e.list, scenario) {
            Some(m) => basis.push(BasisItem {
                list: e.list,
                entry_id: e.entry_id,
                entered_on: e.entered_on,
                until: e.end(),
                reason: e.reason.clone(),
                measure: m.measure.clone(),
                legal_basis: m.legal_basis.clone(),
                effect: m.effect,
                event_seq: e.event_seq,
            }),
            None => not_applicable.push(NotApplicable {
                entry_id: e.entry_id,
                list: e.list,
                why: format!(
                    "in force, but the catalogue has no measure for scenario {scenario} on the {} list",
                    e.list.as_str()
                ),
            }),
        }
    }
    let decision = if basis.iter().any(|b| b.effect == Effect::Restricted) {
        Decision::Restricted
    } else if basis.is_empty() {
        Decision::Allowed
    } else {
        Decision::Rewarded
    };
    Evaluation {
        decision,
        basis,
        not_applicable,
    }
}
