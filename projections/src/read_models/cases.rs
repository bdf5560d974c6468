//! Read model of enforcement cases (行政处罚案件): one row per case with its status,
//! officer, opening time and deviation count, for `case list` and the deviations scan
//! over all cases, written in the same transaction as each event; the steps themselves
//! stay in the log.
//!
//! The row of event `n` is the row of events `1..n-1` plus event `n`: the deviation
//! rules run as a [`DeviationScan`] kept in memory per case, so a case of `N` events is
//! written in `O(N)`, not `O(N²)`. A kept scan is used only when the stored event
//! `n - 1` of the case, read inside the writing transaction, is the very event the scan
//! took last (event ids are unique and events never change), so a rolled-back
//! transaction, another process writing the case or a rebuild can never feed it a
//! history the database does not hold; otherwise the case's events are re-read and
//! re-folded, as every event did before.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use esrs::store::StoreEvent;
use jianxin_domain::case::{DeviationScan, EnforcementCase};
use jianxin_domain::event_log::format_micros;
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::store::{Bind, ReadModel, Tx};
use crate::{Database, StoreError};

type Event = <EnforcementCase as esrs::Aggregate>::Event;

/// Kept scans beyond this many are dropped all at once (a plain bound on memory: a kept
/// scan holds the case's state, its rule version and evidence hashes among it).
const KEPT: usize = 4096;

/// `enforcement_cases`.
#[derive(Default)]
pub struct CaseViews {
    /// The scan of each recently written case, with the id of the last event it took.
    /// Locked only between awaits, never across one.
    scans: Mutex<HashMap<Uuid, (Uuid, DeviationScan)>>,
}

impl CaseViews {
    fn take(&self, case: Uuid) -> Option<(Uuid, DeviationScan)> {
        self.scans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&case)
    }

    fn keep(&self, case: Uuid, last: Uuid, scan: DeviationScan) {
        let mut scans = self.scans.lock().unwrap_or_else(|p| p.into_inner());
        if scans.len() >= KEPT {
            scans.clear();
        }
        scans.insert(case, (last, scan));
    }

    /// The scan of the case's events before `event`.
    async fn before(
        &self,
        event: &StoreEvent<Event>,
        tx: &mut Tx<'_>,
    ) -> Result<DeviationScan, StoreError> {
        let name = <EnforcementCase as esrs::Aggregate>::NAME;
        let case = event.aggregate_id;
        let previous = event.sequence_number - 1;
        if previous == 0 {
            return Ok(DeviationScan::default());
        }
        if let Some((last, scan)) = self.take(case) {
            if scan.state.events == previous as u64
                && tx.event_id_at(name, case, i64::from(previous)).await? == Some(last)
            {
                return Ok(scan);
            }
        }
        let mut scan = DeviationScan::default();
        for e in tx.events::<Event>(name, case).await? {
            if e.sequence_number < event.sequence_number {
                scan.push(&e.payload);
            }
        }
        Ok(scan)
    }
}

#[async_trait]
impl ReadModel<EnforcementCase> for CaseViews {
    fn name(&self) -> &'static str {
        "enforcement_cases"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["enforcement_cases"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let mut scan = self.before(event, &mut tx).await?;
        scan.push(&event.payload);
        let state = &scan.state;
        let (Some(officer), Some(opened_at), Some(rules)) =
            (&state.officer, state.opened_at, &state.rules)
        else {
            return Ok(());
        };
        let id = event.aggregate_id.hyphenated().to_string();
        tx.exec(
            "DELETE FROM enforcement_cases WHERE case_id = $1",
            &[Bind::Text(&id)],
        )
        .await?;
        tx.exec(
            "INSERT INTO enforcement_cases (case_id, status, officer, subject, opened_at, \
             rule_version, events, deviations, global_sequence) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                Bind::Text(&id),
                Bind::Text(state.status.as_str()),
                Bind::Text(officer),
                Bind::OptText(state.subject.as_deref()),
                Bind::Text(&format_micros(&opened_at)),
                Bind::Text(&rules.version),
                Bind::Int(state.events as i64),
                Bind::Int(scan.found as i64),
                Bind::Int(global_sequence as i64),
            ],
        )
        .await?;
        self.keep(event.aggregate_id, event.id, scan);
        Ok(())
    }
}

/// A case as `case list` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseRow {
    /// The case id.
    pub id: String,
    /// Where it stands.
    pub status: String,
    /// The officer who registered the clue.
    pub officer: String,
    /// The subject, when known.
    pub subject: Option<String>,
    /// When the clue was registered.
    pub opened_at: String,
    /// The rule version.
    pub rule_version: String,
    /// How many steps.
    pub events: i64,
    /// How many deviations the domain finds (without `integrity_break`, which needs the
    /// ledger).
    pub deviations: i64,
}

/// Every case, oldest first.
pub async fn case_rows(db: &Database) -> Result<Vec<CaseRow>, StoreError> {
    const SQL: &str = "SELECT case_id, status, officer, subject, opened_at, rule_version, \
        events, deviations FROM enforcement_cases ORDER BY opened_at, case_id";
    macro_rules! run {
        ($pool:expr) => {{
            let mut out = vec![];
            for r in sqlx::query(SQL).fetch_all($pool).await? {
                out.push(CaseRow {
                    id: r.try_get("case_id")?,
                    status: r.try_get("status")?,
                    officer: r.try_get("officer")?,
                    subject: r.try_get("subject")?,
                    opened_at: r.try_get("opened_at")?,
                    rule_version: r.try_get("rule_version")?,
                    events: r.try_get("events")?,
                    deviations: r.try_get("deviations")?,
                });
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => run!(p),
        Database::Postgres(p) => run!(p),
    })
}

/// The ledger positions of case `id`'s events, in order (to match a ledger
/// verification failure to the case).
pub async fn case_ledger_sequences(db: &Database, id: uuid::Uuid) -> Result<Vec<u64>, StoreError> {
    const SQL: &str = "SELECT global_sequence FROM ledger \
        WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY global_sequence";
    let name = <EnforcementCase as esrs::Aggregate>::NAME;
    let rows: Vec<i64> = match db {
        Database::Sqlite(p) => {
            sqlx::query_scalar(SQL)
                .bind(name)
                .bind(id.to_string())
                .fetch_all(p)
                .await?
        }
        Database::Postgres(p) => {
            sqlx::query_scalar(SQL)
                .bind(name)
                .bind(id)
                .fetch_all(p)
                .await?
        }
    };
    Ok(rows.into_iter().map(|s| s as u64).collect())
}
