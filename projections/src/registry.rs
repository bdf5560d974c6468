//! The registry of aggregates (聚合登记表): every aggregate type the log holds, its table
//! and its read models. A new aggregate is one line in `aggregates!` below.

use std::sync::Arc;

use jianxin_domain::access::AccessGrant;
use jianxin_domain::credit::query::CreditQuery;
use jianxin_domain::credit::CreditSubject;
use jianxin_domain::directory::{ImplementationRules, InspectionItem, Inspector, Subject};
use jianxin_domain::reference_data::ReferenceData;
use jianxin_domain::result::InspectionResult;
use jianxin_domain::task::InspectionTask;
use sqlx::PgPool;

use crate::db::Database;
use crate::read_models::{
    CreditFacts, CreditQueries, InspectionItems, InspectorVersions, ReferenceDataVersions,
    ResultViews, RulesVersions, SubjectVersions, TaskViews,
};
use crate::store::{LogStore, PgLogStore, ReadModels, SqliteStore, StripedLocks};
use crate::StoreError;

macro_rules! aggregates {
    ($( $field:ident : $agg:ty => [ $( $rm:expr ),* ] ),* $(,)?) => {
        /// The `NAME` of every registered aggregate; each has a `<NAME>_events` table.
        pub const AGGREGATE_NAMES: &[&str] = &[ $( <$agg as esrs::Aggregate>::NAME ),* ];

        /// One store (and its read models) per registered aggregate, on the
        /// deployment's backend.
        #[derive(Clone)]
        pub struct Stores {
            $( $field: (LogStore<$agg>, ReadModels<$agg>), )*
        }

        impl Stores {
            /// Build every store over `db` (already migrated).
            pub async fn new(db: &Database) -> Result<Stores, StoreError> {
                let locks = Arc::new(StripedLocks::new());
                $( let $field: ReadModels<$agg> = Arc::new(vec![ $( Box::new($rm) ),* ]); )*
                Ok(match db {
                    Database::Sqlite(pool) => Stores {
                        $( $field: (LogStore::Sqlite(SqliteStore::new(
                            pool.clone(), Arc::clone(&locks), Arc::clone(&$field))), $field), )*
                    },
                    Database::Postgres(pool) => Stores {
                        $( $field: (LogStore::Postgres(PgLogStore::new(
                            pool.clone(), Arc::clone(&$field)).await?), $field), )*
                    },
                })
            }

            /// Rebuild every read model (or the one named `only`) from the log.
            pub async fn rebuild(
                &self,
                db: &Database,
                only: Option<&str>,
            ) -> Result<Vec<(&'static str, u64)>, StoreError> {
                let mut out = vec![];
                $( out.extend(crate::rebuild::rebuild::<$agg>(db, &self.$field.1, only).await?); )*
                Ok(out)
            }

            /// Every registered read model's name and owning aggregate.
            pub fn read_model_names(&self) -> Vec<(&'static str, &'static str)> {
                let mut out = vec![];
                $( for rm in self.$field.1.iter() {
                    out.push((rm.name(), <$agg as esrs::Aggregate>::NAME));
                } )*
                out
            }
        }

        $(
            impl HasStore<$agg> for Stores {
                fn store(&self) -> &LogStore<$agg> {
                    &self.$field.0
                }
                fn read_models(&self) -> &ReadModels<$agg> {
                    &self.$field.1
                }
            }
        )*

        /// esrs's migrations for every aggregate table on PostgreSQL.
        pub(crate) async fn run_esrs_migrations(pool: &PgPool) -> Result<(), StoreError> {
            $( PgLogStore::<$agg>::migrate(pool.clone()).await?; )*
            Ok(())
        }
    };
}

/// Access to the store of aggregate `A`.
pub trait HasStore<A: esrs::Aggregate> {
    /// The store.
    fn store(&self) -> &LogStore<A>;
    /// Its read models.
    fn read_models(&self) -> &ReadModels<A>;
}

aggregates! {
    reference_data: ReferenceData => [ReferenceDataVersions],
    access_grant: AccessGrant => [],
    subject: Subject => [SubjectVersions],
    inspector: Inspector => [InspectorVersions],
    inspection_item: InspectionItem => [InspectionItems],
    implementation_rules: ImplementationRules => [RulesVersions],
    inspection_task: InspectionTask => [TaskViews],
    inspection_result: InspectionResult => [ResultViews],
    credit_subject: CreditSubject => [CreditFacts],
    credit_query: CreditQuery => [CreditQueries],
    enforcement_case: jianxin_domain::case::EnforcementCase
        => [crate::read_models::CaseViews::default()],
    checkpoint_archive: jianxin_domain::integrity::archive::CheckpointArchive
        => [crate::read_models::PublishedCheckpoints],
    scheduler_job: jianxin_domain::schedule::SchedulerJob => [crate::read_models::SchedulerRuns],
    credit_subscription: jianxin_domain::credit::subscription::Subscription
        => [crate::read_models::CreditSubscriptions],
}
