//! Credit and the joint reward and punishment lists (信用联合奖惩, DOMAIN.md §5): the
//! credit-subject aggregate (records, list entries, removals, annulments, repair), the
//! credit rules and measures catalogue as data, and the pure bitemporal answer to "may
//! subject S do X on date D, as known at T?".
//!
//! | step | command | event |
//! |---|---|---|
//! | a credit fact is recorded | [`RecordCredit`] | `CreditRecorded` |
//! | the subject enters a list | [`EnterList`] | `ListEntered` |
//! | an entry is removed on correction | [`RemoveFromList`] | `ListRemoved` |
//! | a wrongful entry is annulled | [`AnnulEntry`] | `ListEntryAnnulled` |
//! | a wrongful record is annulled (its ground was removed) | [`AnnulRecord`] | `RecordAnnulled` |
//! | repair is applied for / decided | [`ApplyRepair`], [`DecideRepair`] | `RepairApplied`, `RepairDecided` |
//!
//! Every query's answer is itself logged by the credit-query aggregate ([`query`]).
//! Systems that subscribe to the list changes are the [`subscription`] aggregate.

mod aggregate;
mod check;
mod evaluation;
pub mod query;
mod rules;
pub mod subscription;
mod values;

pub use aggregate::{
    apply, credit_subject_id, entry_id, escalation_id, escalation_terms, record_id, AnnulEntry,
    AnnulRecord, ApplyRepair, CreditCommand, CreditError, CreditEvent, CreditState, CreditSubject,
    DecideRepair, EndPublicity, EnterList, EntryState, EscalateEntry, ExpireEntry, PenaltyState,
    RecordCredit, RemoveFromList, RepairRecord, ESCALATION_LEGAL_BASIS,
};
pub use check::{
    china_date, entries_known, evaluate, BasisItem, Decision, EndKind, EntryView, Evaluation, Fact,
    NotApplicable,
};
pub use evaluation::{classify, ClassAnswer, CreditClass, CREDIT_CLASS_RULE};
pub use rules::{
    valid_scenario, CreditDataError, CreditRules, Measure, MeasuresCatalogue, CREDIT_RULE_KEYS,
    DEFAULT_MEASURES_CSV, DEFAULT_RULES_TEXT,
};
pub use values::{AbnormalReason, AbnormalRemoval, Effect, ListId, PenaltySeverity, RecordSource};

#[cfg(test)]
mod tests;
