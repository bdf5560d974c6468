//! Read models (读模型): tables derived from the log for queries, written in the event
//! transaction and rebuildable from the log.

mod credit;
mod credit_cache;
mod directory;
pub mod directory_queries;
mod reference_data;
mod results;
mod shared_head;
pub mod task_queries;
mod tasks;

pub use credit::{
    check_reading, check_reading_inline, credit_changes, credit_facts, each_credit_subject,
    log_position, logged_queries, subjects_named, subjects_on_lists, CheckReading, CreditChange,
    CreditFacts, CreditQueries, LoggedQuery,
};
pub use credit_cache::CreditFactsCache;
pub use directory::{bars, InspectionItems, InspectorVersions, RulesVersions, SubjectVersions};
pub use reference_data::{ReferenceDataVersion, ReferenceDataVersions};
pub use results::{
    due_results, public_results, recorded_subjects, DueResult, PublicResult, ResultViews,
};
pub use tasks::TaskViews;
mod cases;
pub use cases::{case_ledger_sequences, case_rows, CaseRow, CaseViews};
mod schedule;
pub use schedule::{
    abnormal_entries_since, entries_besides_scheduler, entries_past_period, frozen_task_ids,
    largest_published_size, last_run, latest_published_note, open_case_ids, penalties_since,
    published_checkpoints, EntryCandidate, PenaltyCandidate, PublishedCheckpoint,
    PublishedCheckpoints, SchedulerRun, SchedulerRuns,
};
mod subscriptions;
pub use subscriptions::{
    entry_lists, subscription, subscriptions, CreditSubscriptions, SubscriptionRow,
};
