//! The subject directory as of a date (名录库历史): each field's dated history, and the
//! pure query that rebuilds a record as it stood on any day.
//!
//! A draw is disputed months later ("this subject was already 注销 when you drew it"),
//! so the answer must come from the effective dates of the recorded changes, not from
//! today's row. Each event takes effect on its `effective_at` (fallback: the Beijing date
//! of `recorded_at`, see [`effective_date`](crate::directory::effective_date)).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use esrs::Aggregate;

use crate::directory::text::Tag;
use crate::directory::timeline::Timeline;
use crate::event_log::Recorded;
use crate::identifiers::{RegionCode, Uscc};

use super::{
    IndustryCode, RiskClass, Subject, SubjectEvent, SubjectKind, SubjectRecord, SubjectState,
    SubjectStatus,
};

/// Every field of a subject with its (effective date, value) history. The subject is in
/// the directory from the effective date of its registration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectHistory {
    /// The key, once registered.
    pub uscc: Option<Uscc>,
    /// 名称 over time.
    pub name: Timeline<String>,
    /// 主体类型 over time.
    pub kind: Timeline<SubjectKind>,
    /// 行业 over time.
    pub industry: Timeline<IndustryCode>,
    /// 所属区域 over time.
    pub region: Timeline<RegionCode>,
    /// 成立日期 over time (it changes only by correction).
    pub registration_date: Timeline<NaiveDate>,
    /// 登记状态 over time.
    pub status: Timeline<SubjectStatus>,
    /// 信用风险分类 over time.
    pub risk_class: Timeline<RiskClass>,
    /// The whole tag set over time.
    pub tags: Timeline<BTreeSet<Tag>>,
    /// The effective date of the registration: the first day the subject is listed.
    pub listed_from: Option<NaiveDate>,
}

impl SubjectHistory {
    /// Records `event`, effective on `date`; `current` is the record after the event.
    pub(crate) fn record(
        &mut self,
        date: NaiveDate,
        event: &SubjectEvent,
        current: &SubjectRecord,
    ) {
        match event {
            SubjectEvent::SubjectRegistered { record } => {
                self.uscc = Some(record.uscc.clone());
                self.listed_from = Some(date);
                self.name.record(date, record.name.clone());
                self.kind.record(date, record.kind);
                self.industry.record(date, record.industry.clone());
                self.region.record(date, record.region.clone());
                self.registration_date
                    .record(date, record.registration_date);
                self.status.record(date, record.status);
                self.risk_class.record(date, record.risk_class);
                self.tags.record(date, record.tags.clone());
            }
            SubjectEvent::SubjectStatusChanged { to, .. } => self.status.record(date, *to),
            SubjectEvent::SubjectRiskClassChanged { to, .. } => self.risk_class.record(date, *to),
            SubjectEvent::SubjectRegionChanged { to, .. } => self.region.record(date, to.clone()),
            SubjectEvent::SubjectTagsChanged { .. } => self.tags.record(date, current.tags.clone()),
            SubjectEvent::SubjectDetailsCorrected {
                name,
                kind,
                industry,
                registration_date,
            } => {
                if let Some(name) = name {
                    self.name.record(date, name.clone());
                }
                if let Some(kind) = kind {
                    self.kind.record(date, *kind);
                }
                if let Some(industry) = industry {
                    self.industry.record(date, industry.clone());
                }
                if let Some(registration_date) = registration_date {
                    self.registration_date.record(date, *registration_date);
                }
            }
        }
    }

    /// The record as it stood on `date`: `None` before the subject was listed, otherwise
    /// each field's value in force that day.
    pub fn as_of(&self, date: NaiveDate) -> Option<SubjectRecord> {
        if self.listed_from? > date {
            return None;
        }
        Some(SubjectRecord {
            uscc: self.uscc.clone()?,
            name: self.name.as_of(date)?.clone(),
            kind: *self.kind.as_of(date)?,
            industry: self.industry.as_of(date)?.clone(),
            region: self.region.as_of(date)?.clone(),
            registration_date: *self.registration_date.as_of(date)?,
            status: *self.status.as_of(date)?,
            risk_class: *self.risk_class.as_of(date)?,
            tags: self.tags.as_of(date)?.clone(),
        })
    }
}

/// The subject as of `date`, from its recorded events in stream order: a pure replay,
/// see [`SubjectHistory::as_of`].
pub fn subject_as_of(events: &[Recorded<SubjectEvent>], date: NaiveDate) -> Option<SubjectRecord> {
    let state = events
        .iter()
        .cloned()
        .fold(SubjectState::default(), Subject::apply_event);
    state.history.as_of(date)
}
