//! `reference_data_versions`: which versions of the calendar and division table exist.

use async_trait::async_trait;
use esrs::store::StoreEvent;
use esrs::Aggregate;
use jianxin_domain::event_log::format_micros;
use jianxin_domain::reference_data::{ReferenceData, ReferenceDataEvent, ReferenceKind};
use serde::Serialize;
use sqlx::Row;

use crate::db::Database;
use crate::store::{Bind, ReadModel, Tx};
use crate::StoreError;

/// The read model of reference-data versions.
pub struct ReferenceDataVersions;

/// One row of the read model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceDataVersion {
    /// `calendar` or `divisions`.
    pub kind: String,
    /// Version within the kind.
    pub version: i64,
    /// SHA-256 of the content.
    pub digest: String,
    /// Data rows.
    pub rows: i64,
    /// Source file name.
    pub source: String,
    /// When it was loaded.
    pub loaded_at: String,
    /// Who loaded it.
    pub actor_user: String,
    /// Its ledger position.
    pub global_sequence: i64,
}

const INSERT: &str = "INSERT INTO reference_data_versions \
    (kind, version, digest, rows, source, loaded_at, actor_user, global_sequence) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

#[async_trait]
impl ReadModel<ReferenceData> for ReferenceDataVersions {
    fn name(&self) -> &'static str {
        "reference_data_versions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["reference_data_versions"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<ReferenceData as Aggregate>::Event>,
        global_sequence: u64,
        tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let ReferenceDataEvent::ReferenceDataLoaded {
            kind,
            version,
            digest,
            rows,
            source,
            ..
        } = &event.payload.event;
        let loaded_at = format_micros(&event.payload.recorded_at);
        let mut tx = tx;
        tx.exec(
            INSERT,
            &[
                Bind::Text(kind.as_str()),
                Bind::Int(*version as i64),
                Bind::Text(digest),
                Bind::Int(*rows as i64),
                Bind::Text(source),
                Bind::Text(&loaded_at),
                Bind::Text(&event.payload.actor.user),
                Bind::Int(global_sequence as i64),
            ],
        )
        .await?;
        Ok(())
    }
}

impl ReferenceDataVersions {
    /// Every version of `kind` (all kinds when `None`), oldest first.
    pub async fn list(
        db: &Database,
        kind: Option<ReferenceKind>,
    ) -> Result<Vec<ReferenceDataVersion>, StoreError> {
        const SQL: &str = "SELECT kind, version, digest, rows, source, loaded_at, actor_user, \
            global_sequence FROM reference_data_versions WHERE ($1 IS NULL OR kind = $1) \
            ORDER BY kind, version";
        let kind = kind.map(|k| k.as_str());
        macro_rules! row {
            ($r:expr) => {
                ReferenceDataVersion {
                    kind: $r.try_get("kind")?,
                    version: $r.try_get::<i64, _>("version")?,
                    digest: $r.try_get("digest")?,
                    rows: $r.try_get::<i64, _>("rows")?,
                    source: $r.try_get("source")?,
                    loaded_at: $r.try_get("loaded_at")?,
                    actor_user: $r.try_get("actor_user")?,
                    global_sequence: $r.try_get::<i64, _>("global_sequence")?,
                }
            };
        }
        let mut out = vec![];
        match db {
            Database::Sqlite(p) => {
                for r in sqlx::query(SQL).bind(kind).fetch_all(p).await? {
                    out.push(row!(r));
                }
            }
            Database::Postgres(p) => {
                let sql = SQL.replace("$1 IS NULL", "$1::text IS NULL");
                for r in sqlx::query(&sql).bind(kind).fetch_all(p).await? {
                    out.push(row!(r));
                }
            }
        }
        Ok(out)
    }
}
