//! The public credit evaluation (公共信用综合评价): a class A–D per subject, derived from
//! its records and list entries as known at a moment, by a documented rule version, so
//! that the draw's risk classes and any department can use one published grading.
//!
//! Rule `credit-class-v1`, on the valid date D:
//! - **D** — on the serious list on D (a derived escalation included);
//! - **C** — on the abnormal list on D, or at least 2 adverse credit records (sources
//!   inspection, penalty, court, tax, commitment) effective in the 12 months up to D;
//! - **B** — on the focus list on D, or 1 adverse record in those 12 months;
//! - **A** — otherwise (a red-list entry is named among the reasons).
//!
//! A penalty record repaired (`RecordRepaired`) on or before D no longer counts.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use super::aggregate::CreditEvent;
use super::check::{EntryView, Fact};
use super::values::{ListId, RecordSource};

/// The rule version of [`classify`].
pub const CREDIT_CLASS_RULE: &str = "credit-class-v1";

/// A credit class (信用等级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum CreditClass {
    /// 信用良好.
    A,
    /// 信用一般.
    B,
    /// 信用较差.
    C,
    /// 信用差.
    D,
}

/// The class with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassAnswer {
    /// The class.
    pub class: CreditClass,
    /// Why, one line per fact that decided it.
    pub reasons: Vec<String>,
    /// [`CREDIT_CLASS_RULE`].
    pub rule_version: &'static str,
}

/// Classifies a subject on `date` from its facts known at `known_at` and its entries as
/// known then (from [`super::entries_known`]).
pub fn classify(
    facts: &[Fact],
    entries: &[EntryView],
    date: NaiveDate,
    known_at: DateTime<Utc>,
) -> ClassAnswer {
    let on = |list: ListId| {
        entries
            .iter()
            .filter(move |e| e.list == list && e.covers(date))
    };
    let since = date
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    // Penalty records repaired on or before D (as known at `known_at`) no longer count.
    let repaired: std::collections::HashSet<uuid::Uuid> = facts
        .iter()
        .filter(|f| f.recorded_at <= known_at)
        .filter_map(|f| match &f.event {
            CreditEvent::RecordRepaired {
                record_id,
                repaired_on,
                ..
            } if *repaired_on <= date => Some(*record_id),
            _ => None,
        })
        .collect();
    // Records annulled as known at `known_at` never counted (wrongful from the start).
    let annulled: std::collections::HashSet<uuid::Uuid> = facts
        .iter()
        .filter(|f| f.recorded_at <= known_at)
        .filter_map(|f| match &f.event {
            CreditEvent::RecordAnnulled { record_id, .. } => Some(*record_id),
            _ => None,
        })
        .collect();
    let adverse: Vec<String> = facts
        .iter()
        .filter(|f| f.recorded_at <= known_at)
        .filter_map(|f| match &f.event {
            CreditEvent::CreditRecorded {
                record, record_id, ..
            } if record.source != RecordSource::Commendation
                && !repaired.contains(record_id)
                && !annulled.contains(record_id)
                && record.effective_on > since
                && record.effective_on <= date =>
            {
                Some(format!(
                    "{} record of {}: {}",
                    record.source.as_str(),
                    record.effective_on,
                    record.summary
                ))
            }
            _ => None,
        })
        .collect();
    let listed = |list: ListId| -> Vec<String> {
        on(list)
            .map(|e| {
                format!(
                    "on the {} list since {} ({})",
                    list.as_str(),
                    e.entered_on,
                    e.reason
                )
            })
            .collect()
    };
    let serious = listed(ListId::Serious);
    let abnormal = listed(ListId::Abnormal);
    let focus = listed(ListId::Focus);
    let (class, mut reasons) = if !serious.is_empty() {
        (CreditClass::D, serious)
    } else if !abnormal.is_empty() || adverse.len() >= 2 {
        (CreditClass::C, [abnormal, adverse].concat())
    } else if !focus.is_empty() || adverse.len() == 1 {
        (CreditClass::B, [focus, adverse].concat())
    } else {
        (CreditClass::A, vec![])
    };
    if class == CreditClass::A {
        reasons.extend(listed(ListId::Red));
        if reasons.is_empty() {
            reasons
                .push("no list entry and no adverse record in the 12 months up to the date".into());
        }
    }
    ClassAnswer {
        class,
        reasons,
        rule_version: CREDIT_CLASS_RULE,
    }
}
