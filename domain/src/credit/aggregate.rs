//! The credit-subject aggregate (信用主体): one per USCC, holding its credit records and
//! its entries on the joint lists with their whole trail. Every entry is a valid-time
//! interval `[entered_on, end)` in calendar dates of China Standard Time; the end is the
//! period's expiry, a removal on correction, or a granted credit repair, whichever
//! comes first. A wrongful entry is annulled (from the start), never deleted.
//!
//! The aggregate enforces what the rules forbid — the same abnormal-list reason twice
//! in a calendar year, a repair application before its time or without the required
//! proofs, a removal of a serious-list entry (it ends by expiry, repair or annulment),
//! steps on an entry that has ended — and names the rule it applied.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::directory::derived_id;
use crate::event_log::{DomainEvent, Issued, Recorded, Role};
use crate::identifiers::Uscc;

use super::rules::CreditRules;
use super::values::{AbnormalReason, AbnormalRemoval, ListId, PenaltySeverity, RecordSource};

/// The aggregate id of the credit subject `uscc`.
pub fn credit_subject_id(uscc: &Uscc) -> Uuid {
    derived_id("jianxin/credit-subject/", uscc.as_str())
}

/// The id of the `n`-th (from 1) entry of `uscc`.
pub fn entry_id(uscc: &Uscc, n: u32) -> Uuid {
    derived_id("jianxin/credit-entry/", &format!("{}/{n}", uscc.as_str()))
}

/// The id of a subject's `n`-th credit record (from 1).
pub fn record_id(uscc: &Uscc, n: u32) -> Uuid {
    derived_id("jianxin/credit-record/", &format!("{}/{n}", uscc.as_str()))
}

/// The id of the serious-list entry derived from an abnormal entry unremoved for the
/// escalation period.
pub fn escalation_id(abnormal: Uuid) -> Uuid {
    derived_id(
        "jianxin/credit-escalation/",
        &abnormal.hyphenated().to_string(),
    )
}

/// Record a credit fact (记录信用信息).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCredit {
    /// Where it comes from.
    pub source: RecordSource,
    /// What happened, in a sentence.
    pub summary: String,
    /// The legal basis.
    pub legal_basis: String,
    /// The day it took effect.
    pub effective_on: NaiveDate,
    /// The originating document or event (a result id, a decision number), if any.
    #[serde(default)]
    pub reference: Option<String>,
    /// For an administrative penalty: ordinary or serious, which sets its minimum
    /// publicity period (absent: ordinary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<PenaltySeverity>,
}

/// Enter the subject on a list (列入名单).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterList {
    /// Which list.
    pub list: ListId,
    /// Why: for the abnormal list one of [`AbnormalReason`]; otherwise free text.
    pub reason: String,
    /// The legal basis.
    pub legal_basis: String,
    /// First day on the list.
    pub entered_on: NaiveDate,
    /// The rules in force, and their version.
    pub rules: CreditRules,
    /// The version (digest) of `rules`.
    pub rule_version: String,
}

/// Remove an entry on correction (移出名单), valid from `removed_on` (which may lie in
/// the past: a late-recorded removal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveFromList {
    /// The entry.
    pub entry_id: Uuid,
    /// Why: for the abnormal list one of [`AbnormalRemoval`]; otherwise free text.
    pub reason: String,
    /// First day off the list.
    pub removed_on: NaiveDate,
}

/// Annul an entry as wrongful from the start (撤销列入: 错误列入).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnulEntry {
    /// The entry.
    pub entry_id: Uuid,
    /// Why it was wrongful.
    pub reason: String,
}

/// Annul a credit record as wrongful from the start (撤销信用记录): its ground was
/// removed, e.g. the inspection result it flowed from was corrected. The record stays in
/// the log; evaluations known after the annulment leave it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnulRecord {
    /// The record.
    pub record_id: Uuid,
    /// Why it was wrongful.
    pub reason: String,
}

/// Apply for credit repair (信用修复申请) of a serious-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyRepair {
    /// The entry.
    pub entry_id: Uuid,
    /// The day of the application.
    pub applied_on: NaiveDate,
    /// SHA-256 of each proof document.
    pub proofs: Vec<String>,
    /// The violation was corrected.
    pub corrected: bool,
    /// The penalty was fulfilled.
    pub penalty_fulfilled: bool,
    /// A public credit commitment (信用承诺) was made.
    pub public_commitment: bool,
    /// The rules in force.
    pub rules: CreditRules,
}

/// Decide a repair application (信用修复决定), with reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideRepair {
    /// The entry.
    pub entry_id: Uuid,
    /// Granted or refused.
    pub approved: bool,
    /// The officer's reasons.
    pub reasons: String,
    /// When granted, the first day off the list.
    pub effective_on: NaiveDate,
}

/// Record that an entry's listing period ran out (期满自动移出): issued by the scheduler
/// once the entry's `until` day has begun in China Standard Time. The check never needs
/// it (expiry follows from the interval); it tells subscribers and the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpireEntry {
    /// The entry.
    pub entry_id: Uuid,
    /// The scheduled instant it fell due (the `until` day's first instant in CST).
    pub due_at: DateTime<Utc>,
}

/// Record the serious-list entry derived from an abnormal entry left uncorrected for the
/// escalation period (列入经营异常名录届满3年未移出 → 严重违法失信名单): issued by the
/// scheduler. It records exactly the entry the check derives (same id, day and period),
/// so an answer never changes because the job ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalateEntry {
    /// The abnormal-list entry.
    pub abnormal_entry: Uuid,
    /// The rules in force.
    pub rules: CreditRules,
    /// The version (digest) of `rules`.
    pub rule_version: String,
}

/// Record that a penalty's minimum publicity period ended (公示期满), after which it
/// may be repaired: issued by the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndPublicity {
    /// The penalty record.
    pub record_id: Uuid,
    /// The rules in force (their publicity periods).
    pub rules: CreditRules,
    /// The scheduled instant it fell due.
    pub due_at: DateTime<Utc>,
}

/// Repair a penalty record once its minimum publicity period has ended (行政处罚信息
///信用修复): an officer's decision with reasons and the proofs (SHA-256) it rests on.
/// From `repaired_on` the record no longer counts in the public credit evaluation; it
/// stays in the log and in the subject's trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairRecord {
    /// The penalty record.
    pub record_id: Uuid,
    /// The first day it no longer counts.
    pub repaired_on: NaiveDate,
    /// The officer's reasons.
    pub reasons: String,
    /// SHA-256 of each proof document (at least one).
    pub proofs: Vec<String>,
    /// The rules in force (the publicity periods).
    pub rules: CreditRules,
}

/// Every command of the credit subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditCommand {
    /// See [`RecordCredit`].
    Record(Uscc, RecordCredit),
    /// See [`EnterList`].
    Enter(Uscc, EnterList),
    /// See [`RemoveFromList`].
    Remove(RemoveFromList),
    /// See [`AnnulEntry`].
    Annul(AnnulEntry),
    /// See [`AnnulRecord`].
    AnnulRecord(AnnulRecord),
    /// See [`ApplyRepair`].
    ApplyRepair(ApplyRepair),
    /// See [`DecideRepair`].
    DecideRepair(DecideRepair),
    /// See [`ExpireEntry`] (the system only).
    Expire(ExpireEntry),
    /// See [`EscalateEntry`] (the system only).
    Escalate(EscalateEntry),
    /// See [`EndPublicity`] (the system only).
    EndPublicity(EndPublicity),
    /// See [`RepairRecord`].
    RepairRecord(RepairRecord),
}

/// Events of a credit subject (stored contract: names never change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum CreditEvent {
    /// A credit record was recorded (信用记录已记录).
    CreditRecorded {
        /// The record.
        record_id: Uuid,
        /// The subject.
        uscc: Uscc,
        /// What was recorded.
        record: RecordCredit,
    },
    /// The subject was entered on a list (已列入名单).
    ListEntered {
        /// The entry.
        entry_id: Uuid,
        /// The subject.
        uscc: Uscc,
        /// The list.
        list: ListId,
        /// Why.
        reason: String,
        /// The legal basis.
        legal_basis: String,
        /// First day on the list.
        entered_on: NaiveDate,
        /// First day off the list by expiry (none: until removed).
        until: Option<NaiveDate>,
        /// The credit rule version applied.
        rule_version: String,
    },
    /// The entry was removed (已移出名单), from `removed_on`.
    ListRemoved {
        /// The entry.
        entry_id: Uuid,
        /// Why.
        reason: String,
        /// First day off the list.
        removed_on: NaiveDate,
    },
    /// The entry was annulled as wrongful from the start (已撤销列入).
    ListEntryAnnulled {
        /// The entry.
        entry_id: Uuid,
        /// Why.
        reason: String,
    },
    /// Credit repair was applied for (已申请信用修复).
    RepairApplied {
        /// The entry.
        entry_id: Uuid,
        /// The day of the application.
        applied_on: NaiveDate,
        /// SHA-256 of each proof.
        proofs: Vec<String>,
    },
    /// A repair application was decided (信用修复已决定).
    RepairDecided {
        /// The entry.
        entry_id: Uuid,
        /// Granted or refused.
        approved: bool,
        /// The officer's reasons.
        reasons: String,
        /// When granted, the first day off the list.
        effective_on: Option<NaiveDate>,
    },
    /// The entry's listing period ran out (名单期满), from `expired_on`.
    ListEntryExpired {
        /// The entry.
        entry_id: Uuid,
        /// First day off the list (the entry's `until`).
        expired_on: NaiveDate,
        /// The scheduled instant this fell due.
        due_at: DateTime<Utc>,
    },
    /// A penalty's minimum publicity period ended (行政处罚信息公示期满): from
    /// `ended_on` it may be repaired.
    PublicityEnded {
        /// The penalty record.
        record_id: Uuid,
        /// First day after the minimum period.
        ended_on: NaiveDate,
        /// The scheduled instant this fell due.
        due_at: DateTime<Utc>,
    },
    /// A penalty record was repaired (行政处罚信息已信用修复): from `repaired_on` it no
    /// longer counts in the public credit evaluation.
    RecordRepaired {
        /// The penalty record.
        record_id: Uuid,
        /// The first day it no longer counts.
        repaired_on: NaiveDate,
        /// The officer's reasons.
        reasons: String,
        /// SHA-256 of each proof.
        proofs: Vec<String>,
    },
    /// A credit record was annulled as wrongful from the start (信用记录已撤销).
    RecordAnnulled {
        /// The record.
        record_id: Uuid,
        /// Why.
        reason: String,
    },
}

impl DomainEvent for CreditEvent {}

/// Why a credit command was refused; each names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    /// The input is invalid (422): field, what.
    #[error("{0}: {1}")]
    Invalid(String, String),
    /// The actor's role may not do this (403).
    #[error("role {0} may not maintain credit lists; a credit officer does")]
    NotCreditOfficer(String),
    /// No such entry for this subject (404).
    #[error("entry {0} is not an entry of this subject")]
    NoSuchEntry(Uuid),
    /// Not twice for the same reason in the same year (409).
    #[error("rule: the subject was entered on the abnormal list for {reason} already in {year} (entry {entry}); not twice for the same reason in the same year")]
    SameReasonSameYear {
        /// The reason.
        reason: String,
        /// The year.
        year: i32,
        /// The earlier entry.
        entry: Uuid,
    },
    /// The subject is on this list already (409).
    #[error("rule: the subject is on the {0} list already (entry {1}) for that day")]
    AlreadyListed(String, Uuid),
    /// The entry has ended or was annulled (409).
    #[error("rule: entry {0} has already ended ({1})")]
    Ended(Uuid, String),
    /// A serious-list entry does not end by removal (409).
    #[error(
        "rule: a serious-list entry ends by expiry, credit repair or annulment, not by removal"
    )]
    SeriousNotRemovable,
    /// A removal dated before the entry (422).
    #[error("removed_on {removed} lies before the entry's first day {entered}")]
    RemovedBeforeEntry {
        /// Removal day.
        removed: NaiveDate,
        /// Entry day.
        entered: NaiveDate,
    },
    /// Repair is only for serious-list entries (409).
    #[error("rule: credit repair applies to serious-list entries; this entry is on the {0} list")]
    RepairNotForList(String),
    /// Too early for repair (409).
    #[error("rule: credit repair may be applied for from {from} ({months} months after entry); applied on {applied}")]
    RepairTooEarly {
        /// First day allowed.
        from: NaiveDate,
        /// The rule's months.
        months: u32,
        /// The day applied.
        applied: NaiveDate,
    },
    /// A required repair condition is missing (422).
    #[error("rule: credit repair requires {0}")]
    RepairConditionMissing(String),
    /// A repair application is pending already (409).
    #[error("rule: a repair application for entry {0} is pending a decision")]
    RepairPending(Uuid),
    /// No application to decide (409).
    #[error("rule: entry {0} has no pending repair application")]
    NoRepairPending(Uuid),
    /// The entry has no period, ended before it, or its day has not come (409).
    #[error("rule: entry {0} does not expire ({1})")]
    NotExpiring(Uuid, String),
    /// The record is not a penalty whose publicity ends now (409).
    #[error("rule: record {0} has no publicity period ending ({1})")]
    NoPublicityEnding(Uuid, String),
    /// The record may not be repaired (409): not a penalty of this subject, repaired
    /// already, or its minimum publicity period still running on the day.
    #[error("rule: record {0} cannot be repaired: {1}")]
    RecordNotRepairable(Uuid, String),
    /// The abnormal entry does not escalate (409).
    #[error("rule: entry {0} does not escalate to the serious list ({1})")]
    NotEscalating(Uuid, String),
    /// No such record of this subject (404).
    #[error("no credit record {0} of this subject")]
    NoSuchRecord(Uuid),
    /// The record is annulled already (409).
    #[error("rule: record {0} is annulled already")]
    RecordAnnulledAlready(Uuid),
}

/// One entry as the aggregate knows it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryState {
    /// The entry.
    pub entry_id: Uuid,
    /// The list.
    pub list: ListId,
    /// Why.
    pub reason: String,
    /// First day on.
    pub entered_on: NaiveDate,
    /// Expiry.
    pub until: Option<NaiveDate>,
    /// Removal or repair: first day off.
    pub ended_on: Option<NaiveDate>,
    /// Annulled.
    pub annulled: bool,
    /// A repair application awaiting a decision (its day).
    pub repair_pending: Option<NaiveDate>,
    /// The expiry was recorded (by the scheduler).
    pub expiry_recorded: bool,
}

impl EntryState {
    /// The first day off the list, by whichever end comes first.
    pub fn end(&self) -> Option<NaiveDate> {
        match (self.until, self.ended_on) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// On the list on `day` (not annulled, entered, not yet ended).
    pub fn covers(&self, day: NaiveDate) -> bool {
        !self.annulled && self.entered_on <= day && self.end().is_none_or(|e| day < e)
    }
}

/// A penalty record and its publicity (行政处罚信息公示).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyState {
    /// The record.
    pub record_id: Uuid,
    /// The day the penalty took effect: its publicity counts from it.
    pub effective_on: NaiveDate,
    /// Ordinary or serious.
    pub severity: PenaltySeverity,
    /// The end of its minimum publicity is recorded (then repairable).
    pub publicity_ended: bool,
    /// Repaired, from this day.
    pub repaired_on: Option<NaiveDate>,
}

impl PenaltyState {
    /// The first day after the minimum publicity period under `rules`.
    pub fn publicity_ends(&self, rules: &CreditRules) -> Option<NaiveDate> {
        months_after(self.effective_on, rules.publicity_months(self.severity))
    }
}

/// What a credit subject remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditState {
    /// The subject, once anything is recorded.
    pub uscc: Option<Uscc>,
    /// Records so far.
    pub records: u32,
    /// Penalty records, with their publicity.
    pub penalties: Vec<PenaltyState>,
    /// Entries in order.
    pub entries: Vec<EntryState>,
    /// Records annulled as wrongful.
    pub annulled_records: Vec<Uuid>,
}

impl CreditState {
    fn entry(&self, id: Uuid) -> Result<&EntryState, CreditError> {
        self.entries
            .iter()
            .find(|e| e.entry_id == id)
            .ok_or(CreditError::NoSuchEntry(id))
    }
}

/// The esrs aggregate of a credit subject.
pub struct CreditSubject;

fn non_empty(field: &str, v: &str) -> Result<(), CreditError> {
    if let Some(e) = crate::directory::format_character_error(v) {
        return Err(CreditError::Invalid(field.into(), e.to_string()));
    }
    if v.trim().is_empty() {
        Err(CreditError::Invalid(
            field.into(),
            "must not be empty".into(),
        ))
    } else if v.chars().count() > 2000 {
        Err(CreditError::Invalid(
            field.into(),
            "at most 2000 characters".into(),
        ))
    } else {
        Ok(())
    }
}

fn months_after(day: NaiveDate, months: u32) -> Option<NaiveDate> {
    day.checked_add_months(Months::new(months))
}

fn live(e: &EntryState) -> Result<(), CreditError> {
    if e.annulled {
        return Err(CreditError::Ended(e.entry_id, "annulled".into()));
    }
    if let Some(d) = e.ended_on {
        return Err(CreditError::Ended(e.entry_id, format!("removed from {d}")));
    }
    Ok(())
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn enter(state: &CreditState, uscc: Uscc, e: EnterList) -> Result<CreditEvent, CreditError> {
    non_empty("legal_basis", &e.legal_basis)?;
    let reason = if e.list == ListId::Abnormal {
        AbnormalReason::parse(&e.reason)
            .map_err(|x| CreditError::Invalid("reason".into(), x.to_string()))?
            .as_str()
            .to_string()
    } else {
        non_empty("reason", &e.reason)?;
        e.reason
    };
    for old in state
        .entries
        .iter()
        .filter(|o| o.list == e.list && !o.annulled)
    {
        if e.list == ListId::Abnormal
            && old.reason == reason
            && old.entered_on.year() == e.entered_on.year()
        {
            return Err(CreditError::SameReasonSameYear {
                reason,
                year: e.entered_on.year(),
                entry: old.entry_id,
            });
        }
        if old.covers(e.entered_on) {
            return Err(CreditError::AlreadyListed(
                e.list.as_str().into(),
                old.entry_id,
            ));
        }
    }
    let until = match e.rules.period_months(e.list) {
        Some(m) => Some(months_after(e.entered_on, m).ok_or_else(|| {
            CreditError::Invalid(
                "entered_on".into(),
                "period ends beyond the calendar".into(),
            )
        })?),
        None => None,
    };
    Ok(CreditEvent::ListEntered {
        entry_id: entry_id(&uscc, state.entries.len() as u32 + 1),
        uscc,
        list: e.list,
        reason,
        legal_basis: e.legal_basis,
        entered_on: e.entered_on,
        until,
        rule_version: e.rule_version,
    })
}

/// The penalty record repair's rules: a penalty of this subject, not repaired yet, its
/// minimum publicity period over on the day (computed from the rules, so it never waits
/// for the scheduler's `PublicityEnded`), reasons, and at least one proof.
fn repair_record(state: &CreditState, r: RepairRecord) -> Result<CreditEvent, CreditError> {
    let not = |why: String| Err(CreditError::RecordNotRepairable(r.record_id, why));
    let Some(p) = state.penalties.iter().find(|p| p.record_id == r.record_id) else {
        return not("it is not a penalty record of this subject".into());
    };
    if let Some(on) = p.repaired_on {
        return not(format!("it was repaired from {on}"));
    }
    let Some(ends) = p.publicity_ends(&r.rules) else {
        return not("its publicity period ends beyond the calendar".into());
    };
    if r.repaired_on < ends {
        return not(format!(
            "its minimum publicity ({} months, {}) runs until {ends}; repair from then",
            r.rules.publicity_months(p.severity),
            p.severity.as_str()
        ));
    }
    non_empty("reasons", &r.reasons)?;
    if r.proofs.is_empty() {
        return Err(CreditError::Invalid(
            "proofs".into(),
            "at least one proof document (SHA-256)".into(),
        ));
    }
    if let Some(bad) = r.proofs.iter().find(|x| !is_sha256(x)) {
        return Err(CreditError::Invalid(
            "proofs".into(),
            format!("{bad:?} is not a SHA-256 (64 lower-case hex digits)"),
        ));
    }
    Ok(CreditEvent::RecordRepaired {
        record_id: r.record_id,
        repaired_on: r.repaired_on,
        reasons: r.reasons,
        proofs: r.proofs,
    })
}

fn apply_repair(state: &CreditState, a: ApplyRepair) -> Result<CreditEvent, CreditError> {
    let e = state.entry(a.entry_id)?;
    live(e)?;
    if e.list != ListId::Serious {
        return Err(CreditError::RepairNotForList(e.list.as_str().into()));
    }
    if e.repair_pending.is_some() {
        return Err(CreditError::RepairPending(e.entry_id));
    }
    let months = a.rules.repair_after_months;
    let from = months_after(e.entered_on, months).unwrap_or(NaiveDate::MAX);
    if a.applied_on < from {
        return Err(CreditError::RepairTooEarly {
            from,
            months,
            applied: a.applied_on,
        });
    }
    if let Some(end) = e.end() {
        if a.applied_on >= end {
            return Err(CreditError::Ended(e.entry_id, format!("expired on {end}")));
        }
    }
    for (ok, what) in [
        (a.corrected, "the violation corrected (corrected)"),
        (
            a.penalty_fulfilled,
            "the penalty fulfilled (penalty_fulfilled)",
        ),
        (
            a.public_commitment,
            "a public credit commitment (public_commitment)",
        ),
        (!a.proofs.is_empty(), "at least one proof document (proofs)"),
    ] {
        if !ok {
            return Err(CreditError::RepairConditionMissing(what.into()));
        }
    }
    if let Some(p) = a.proofs.iter().find(|p| !is_sha256(p)) {
        return Err(CreditError::Invalid(
            "proofs".into(),
            format!("{p:?} is not a lower-case hex SHA-256"),
        ));
    }
    Ok(CreditEvent::RepairApplied {
        entry_id: a.entry_id,
        applied_on: a.applied_on,
        proofs: a.proofs,
    })
}

fn expire(
    state: &CreditState,
    x: ExpireEntry,
    today: NaiveDate,
) -> Result<CreditEvent, CreditError> {
    let e = state.entry(x.entry_id)?;
    let not = |why: String| Err(CreditError::NotExpiring(e.entry_id, why));
    let Some(until) = e.until else {
        return not("its list has no period".into());
    };
    if e.annulled {
        return not("annulled".into());
    }
    if e.expiry_recorded {
        return not(format!("its expiry on {until} is recorded already"));
    }
    if let Some(ended) = e.ended_on.filter(|d| *d <= until) {
        return not(format!("it ended on {ended}, before its period ran out"));
    }
    if today < until {
        return not(format!("its period runs until {until}"));
    }
    Ok(CreditEvent::ListEntryExpired {
        entry_id: x.entry_id,
        expired_on: until,
        due_at: x.due_at,
    })
}

/// The terms of the serious-list entry that an abnormal entry (`entry_id`, entered on
/// `entered_on` for `reason`) escalates to under `rules`, if it is still on the list on
/// the day returned: that day, the end of the serious period, and the reason. The check
/// derives exactly this entry and the scheduler records exactly this entry.
pub fn escalation_terms(
    entry_id: Uuid,
    entered_on: NaiveDate,
    reason: &str,
    rules: &CreditRules,
) -> Option<(NaiveDate, Option<NaiveDate>, String)> {
    let day = months_after(entered_on, rules.abnormal_escalation_months)?;
    Some((
        day,
        months_after(day, rules.serious_period_months),
        format!(
            "on the abnormal operations list since {entered_on} for {} months without correction (entry {entry_id}, {reason})",
            rules.abnormal_escalation_months
        ),
    ))
}

/// The legal basis of an abnormal → serious escalation.
pub const ESCALATION_LEGAL_BASIS: &str =
    "市场监督管理严重违法失信名单管理办法: abnormal list unremoved for the escalation period";

fn escalate(
    state: &CreditState,
    x: EscalateEntry,
    today: NaiveDate,
) -> Result<CreditEvent, CreditError> {
    let e = state.entry(x.abnormal_entry)?;
    let not = |why: String| Err(CreditError::NotEscalating(e.entry_id, why));
    let Some(uscc) = state.uscc.clone() else {
        return not("the subject is unknown".into());
    };
    if e.list != ListId::Abnormal {
        return not(format!("it is on the {} list", e.list.as_str()));
    }
    let id = escalation_id(e.entry_id);
    if state.entries.iter().any(|o| o.entry_id == id) {
        return not(format!("escalated already (entry {id})"));
    }
    let Some((day, until, reason)) =
        escalation_terms(e.entry_id, e.entered_on, &e.reason, &x.rules)
    else {
        return not("its escalation day lies beyond the calendar".into());
    };
    if !e.covers(day) {
        return not(format!("it was off the list by {day}"));
    }
    if today < day {
        return not(format!("the escalation period runs until {day}"));
    }
    Ok(CreditEvent::ListEntered {
        entry_id: id,
        uscc,
        list: ListId::Serious,
        reason,
        legal_basis: ESCALATION_LEGAL_BASIS.into(),
        entered_on: day,
        until,
        rule_version: x.rule_version,
    })
}

fn handle(
    state: &CreditState,
    command: CreditCommand,
    today: NaiveDate,
) -> Result<CreditEvent, CreditError> {
    Ok(match command {
        CreditCommand::Expire(x) => expire(state, x, today)?,
        CreditCommand::EndPublicity(x) => {
            let not = |why: &str| Err(CreditError::NoPublicityEnding(x.record_id, why.into()));
            let Some(p) = state.penalties.iter().find(|p| p.record_id == x.record_id) else {
                return not("not a penalty record of this subject");
            };
            if p.publicity_ended {
                return not("its end is recorded already");
            }
            let Some(ended_on) = p.publicity_ends(&x.rules) else {
                return not("its period ends beyond the calendar");
            };
            if today < ended_on {
                return not("its minimum publicity period is still running");
            }
            CreditEvent::PublicityEnded {
                record_id: x.record_id,
                ended_on,
                due_at: x.due_at,
            }
        }
        CreditCommand::Escalate(x) => escalate(state, x, today)?,
        CreditCommand::Record(uscc, r) => {
            non_empty("summary", &r.summary)?;
            non_empty("legal_basis", &r.legal_basis)?;
            if r.penalty.is_some() && r.source != RecordSource::Penalty {
                return Err(CreditError::Invalid(
                    "penalty".into(),
                    "a severity is given only for source penalty".into(),
                ));
            }
            CreditEvent::CreditRecorded {
                record_id: record_id(&uscc, state.records + 1),
                uscc,
                record: r,
            }
        }
        CreditCommand::Enter(uscc, e) => enter(state, uscc, e)?,
        CreditCommand::Remove(r) => {
            let e = state.entry(r.entry_id)?;
            live(e)?;
            let reason = match e.list {
                ListId::Serious => return Err(CreditError::SeriousNotRemovable),
                ListId::Abnormal => AbnormalRemoval::parse(&r.reason)
                    .map_err(|x| CreditError::Invalid("reason".into(), x.to_string()))?
                    .as_str()
                    .to_string(),
                _ => {
                    non_empty("reason", &r.reason)?;
                    r.reason
                }
            };
            if r.removed_on < e.entered_on {
                return Err(CreditError::RemovedBeforeEntry {
                    removed: r.removed_on,
                    entered: e.entered_on,
                });
            }
            CreditEvent::ListRemoved {
                entry_id: r.entry_id,
                reason,
                removed_on: r.removed_on,
            }
        }
        CreditCommand::Annul(a) => {
            let e = state.entry(a.entry_id)?;
            if e.annulled {
                return Err(CreditError::Ended(e.entry_id, "annulled".into()));
            }
            non_empty("reason", &a.reason)?;
            CreditEvent::ListEntryAnnulled {
                entry_id: a.entry_id,
                reason: a.reason,
            }
        }
        CreditCommand::AnnulRecord(a) => {
            let uscc = state.uscc.as_ref();
            let known =
                uscc.is_some_and(|u| (1..=state.records).any(|n| record_id(u, n) == a.record_id));
            if !known {
                return Err(CreditError::NoSuchRecord(a.record_id));
            }
            if state.annulled_records.contains(&a.record_id) {
                return Err(CreditError::RecordAnnulledAlready(a.record_id));
            }
            non_empty("reason", &a.reason)?;
            CreditEvent::RecordAnnulled {
                record_id: a.record_id,
                reason: a.reason,
            }
        }
        CreditCommand::ApplyRepair(a) => apply_repair(state, a)?,
        CreditCommand::RepairRecord(r) => repair_record(state, r)?,
        CreditCommand::DecideRepair(d) => {
            let e = state.entry(d.entry_id)?;
            live(e)?;
            let Some(applied) = e.repair_pending else {
                return Err(CreditError::NoRepairPending(d.entry_id));
            };
            non_empty("reasons", &d.reasons)?;
            if d.approved && d.effective_on < applied {
                return Err(CreditError::Invalid(
                    "effective_on".into(),
                    format!(
                        "{} lies before the application of {applied}",
                        d.effective_on
                    ),
                ));
            }
            CreditEvent::RepairDecided {
                entry_id: d.entry_id,
                approved: d.approved,
                reasons: d.reasons,
                effective_on: d.approved.then_some(d.effective_on),
            }
        }
    })
}

impl esrs::Aggregate for CreditSubject {
    const NAME: &'static str = "credit_subject";
    type State = CreditState;
    type Command = Issued<CreditCommand>;
    type Event = Recorded<CreditEvent>;
    type Error = CreditError;

    fn handle_command(
        state: &Self::State,
        issued: Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        let role = issued.meta.actor.role;
        let allowed = match &issued.command {
            CreditCommand::Record(..) => {
                matches!(role, Role::CreditOfficer | Role::System | Role::Inspector)
            }
            CreditCommand::Expire(_)
            | CreditCommand::Escalate(_)
            | CreditCommand::EndPublicity(_) => role == Role::System,
            _ => matches!(role, Role::CreditOfficer | Role::System),
        };
        if !allowed {
            return Err(CreditError::NotCreditOfficer(role.as_str().into()));
        }
        if let (Some(have), CreditCommand::Record(u, _) | CreditCommand::Enter(u, _)) =
            (&state.uscc, &issued.command)
        {
            if have != u {
                return Err(CreditError::Invalid(
                    "uscc".into(),
                    format!("{u} is not this aggregate's subject {have}"),
                ));
            }
        }
        let today = crate::calendar::china_date(issued.meta.issued_at);
        let event = handle(state, issued.command, today)?;
        Ok(issued.meta.stamp(vec![event]))
    }

    fn apply_event(mut state: Self::State, recorded: Self::Event) -> Self::State {
        apply(&mut state, recorded.event);
        state
    }
}

/// Folds one event into `state` (also used by the bitemporal evaluation).
pub fn apply(state: &mut CreditState, event: CreditEvent) {
    match event {
        CreditEvent::CreditRecorded {
            uscc,
            record_id,
            record,
        } => {
            state.uscc = Some(uscc);
            state.records += 1;
            if record.source == RecordSource::Penalty {
                state.penalties.push(PenaltyState {
                    record_id,
                    effective_on: record.effective_on,
                    severity: record.penalty.unwrap_or(PenaltySeverity::Ordinary),
                    publicity_ended: false,
                    repaired_on: None,
                });
            }
        }
        CreditEvent::ListEntered {
            entry_id,
            uscc,
            list,
            reason,
            entered_on,
            until,
            ..
        } => {
            state.uscc = Some(uscc);
            state.entries.push(EntryState {
                entry_id,
                list,
                reason,
                entered_on,
                until,
                ended_on: None,
                annulled: false,
                repair_pending: None,
                expiry_recorded: false,
            });
        }
        CreditEvent::ListRemoved {
            entry_id,
            removed_on,
            ..
        } => {
            if let Some(e) = state.entries.iter_mut().find(|e| e.entry_id == entry_id) {
                e.ended_on = Some(removed_on);
            }
        }
        CreditEvent::ListEntryAnnulled { entry_id, .. } => {
            if let Some(e) = state.entries.iter_mut().find(|e| e.entry_id == entry_id) {
                e.annulled = true;
            }
        }
        CreditEvent::RecordAnnulled { record_id, .. } => {
            // an annulled penalty has no publicity left to end or repair
            state.penalties.retain(|p| p.record_id != record_id);
            state.annulled_records.push(record_id);
        }
        CreditEvent::RepairApplied {
            entry_id,
            applied_on,
            ..
        } => {
            if let Some(e) = state.entries.iter_mut().find(|e| e.entry_id == entry_id) {
                e.repair_pending = Some(applied_on);
            }
        }
        CreditEvent::RepairDecided {
            entry_id,
            effective_on,
            ..
        } => {
            if let Some(e) = state.entries.iter_mut().find(|e| e.entry_id == entry_id) {
                e.repair_pending = None;
                if effective_on.is_some() {
                    e.ended_on = effective_on;
                }
            }
        }
        CreditEvent::RecordRepaired {
            record_id,
            repaired_on,
            ..
        } => {
            if let Some(p) = state
                .penalties
                .iter_mut()
                .find(|p| p.record_id == record_id)
            {
                p.repaired_on = Some(repaired_on);
            }
        }
        CreditEvent::PublicityEnded { record_id, .. } => {
            if let Some(p) = state
                .penalties
                .iter_mut()
                .find(|p| p.record_id == record_id)
            {
                p.publicity_ended = true;
            }
        }
        CreditEvent::ListEntryExpired { entry_id, .. } => {
            if let Some(e) = state.entries.iter_mut().find(|e| e.entry_id == entry_id) {
                e.expiry_recorded = true;
            }
        }
    }
}
