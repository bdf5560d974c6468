//! The generic store suite: identical semantics on SQLite and PostgreSQL.

use esrs::manager::AggregateManager;
use esrs::store::EventStore;
use jianxin_domain::reference_data::{ReferenceData, ReferenceDataError, ReferenceKind};
use jianxin_projections::ledger::verify;
use jianxin_projections::read_models::ReferenceDataVersions;
use jianxin_projections::{Database, DbFailure, Executed, StoreError};
use uuid::Uuid;

use crate::helpers::{load, TestDb};
use crate::on_both;

on_both!(append_load_and_verify, |db: TestDb| async move {
    let id = ReferenceKind::Calendar.aggregate_id();
    let r = db
        .log
        .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "a\nb", Uuid::new_v4()))
        .await
        .expect("store");
    let Ok(Executed::Applied {
        state,
        global_sequences,
    }) = r
    else {
        panic!("{r:?}")
    };
    assert_eq!(state.version, 1);
    assert_eq!(global_sequences, vec![1]);
    let r = db
        .log
        .execute::<ReferenceData, _>(
            ReferenceKind::Divisions.aggregate_id(),
            load(ReferenceKind::Divisions, "x", Uuid::new_v4()),
        )
        .await
        .expect("store");
    assert!(
        matches!(r, Ok(Executed::Applied { ref global_sequences, .. }) if global_sequences == &vec![2])
    );
    let loaded = db
        .log
        .load::<ReferenceData>(id)
        .await
        .expect("load")
        .expect("exists");
    assert_eq!(loaded.version, 1);
    let v = verify(db.log.database(), None)
        .await
        .expect("db")
        .expect("intact");
    assert_eq!(v.events, 2);
    // the transactional read model saw both
    let versions = ReferenceDataVersions::list(db.log.database(), None)
        .await
        .expect("rm");
    assert_eq!(versions.len(), 2);
    assert_eq!(
        (versions[0].kind.as_str(), versions[0].global_sequence),
        ("calendar", 1)
    );
    db.finish().await;
});

on_both!(domain_refusal_appends_nothing, |db: TestDb| async move {
    let id = ReferenceKind::Calendar.aggregate_id();
    let r = db
        .log
        .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "", Uuid::new_v4()))
        .await
        .expect("store");
    assert!(matches!(r, Err(ReferenceDataError::Empty { .. })));
    assert_eq!(db.count("ledger").await, 0);
    assert_eq!(db.count("reference_data_events").await, 0);
    db.finish().await;
});

on_both!(
    a_retried_command_is_not_applied_twice,
    |db: TestDb| async move {
        let id = ReferenceKind::Calendar.aggregate_id();
        let cmd = Uuid::new_v4();
        let first = db
            .log
            .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "a", cmd))
            .await;
        assert!(matches!(first, Ok(Ok(Executed::Applied { .. }))));
        let again = db
            .log
            .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "other", cmd))
            .await;
        assert!(
            matches!(again, Ok(Ok(Executed::AlreadyApplied { ref global_sequences })) if global_sequences == &vec![1])
        );
        assert_eq!(db.count("reference_data_events").await, 1);
        db.finish().await;
    }
);

on_both!(
    concurrent_writers_on_one_aggregate_get_one_conflict,
    |db: TestDb| async move {
        let id = ReferenceKind::Calendar.aggregate_id();
        let store = db.log.store::<ReferenceData>().clone();
        let manager = AggregateManager::new(store);
        // Two writers load the same state (no lock) and both decide.
        let fresh = || esrs::AggregateState::with_id(id);
        let a = manager.load(id).await.expect("load").unwrap_or_else(fresh);
        let b = manager.load(id).await.expect("load").unwrap_or_else(fresh);
        let (ra, rb) = tokio::join!(
            manager.handle_command(a, load(ReferenceKind::Calendar, "one", Uuid::new_v4())),
            manager.handle_command(b, load(ReferenceKind::Calendar, "two", Uuid::new_v4())),
        );
        let outcomes = [ra, rb];
        let ok = outcomes.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
        let conflicts = outcomes
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Conflict { .. })))
            .count();
        assert_eq!((ok, conflicts), (1, 1), "{outcomes:?}");
        assert_eq!(db.count("reference_data_events").await, 1);
        assert_eq!(db.count("ledger").await, 1);
        let v = verify(db.log.database(), None)
            .await
            .expect("db")
            .expect("intact");
        assert_eq!(v.events, 1);
        db.finish().await;
    }
);

on_both!(
    many_concurrent_commands_lose_nothing,
    |db: TestDb| async move {
        // 8 writers, each its own aggregate kind alternating, 5 commands each, through the
        // locking path: every accepted event is in the log exactly once, in a gap-free order.
        let mut tasks = vec![];
        for w in 0..8u32 {
            let log = db.log.clone();
            tasks.push(tokio::spawn(async move {
                let kind = if w % 2 == 0 {
                    ReferenceKind::Calendar
                } else {
                    ReferenceKind::Divisions
                };
                let mut applied = 0;
                for i in 0..5u32 {
                    let content = format!("w{w}-{i}");
                    loop {
                        let r = log
                            .execute::<ReferenceData, _>(
                                kind.aggregate_id(),
                                load(kind, &content, Uuid::new_v4()),
                            )
                            .await;
                        match r {
                            Ok(Ok(_)) => {
                                applied += 1;
                                break;
                            }
                            Err(StoreError::Conflict { .. }) => continue,
                            other => panic!("{other:?}"),
                        }
                    }
                }
                applied
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("task");
        }
        assert_eq!(total, 40);
        assert_eq!(db.count("reference_data_events").await, 40);
        let v = verify(db.log.database(), None)
            .await
            .expect("db")
            .expect("intact");
        assert_eq!(v.events, 40);
        db.finish().await;
    }
);

on_both!(a_failed_persist_leaves_nothing, |db: TestDb| async move {
    // Make the read model fail inside the transaction: events and ledger must roll back.
    if db.is_pg() {
        db.exec(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.source = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER boom BEFORE INSERT ON reference_data_versions \
                 FOR EACH ROW EXECUTE FUNCTION boom();",
        )
        .await
        .expect("trigger");
    } else {
        db.exec(
            "CREATE TRIGGER boom BEFORE INSERT ON reference_data_versions \
                 WHEN NEW.source = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .await
        .expect("trigger");
    }
    let id = ReferenceKind::Calendar.aggregate_id();
    let mut cmd = load(ReferenceKind::Calendar, "a", Uuid::new_v4());
    let jianxin_domain::reference_data::ReferenceDataCommand::Load(l) = &mut cmd.command;
    l.source = "boom".into();
    let r = db.log.execute::<ReferenceData, _>(id, cmd).await;
    assert!(matches!(r, Err(StoreError::Database(_))), "{r:?}");
    assert_eq!(db.count("reference_data_events").await, 0);
    assert_eq!(db.count("ledger").await, 0);
    assert_eq!(db.count("reference_data_versions").await, 0);
    // and the log still works afterwards
    let ok = db
        .log
        .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "b", Uuid::new_v4()))
        .await;
    assert!(matches!(ok, Ok(Ok(Executed::Applied { .. }))));
    db.finish().await;
});

/// Issue 11 (faults): PostgreSQL's own SQLSTATEs for a full disk and for a server going
/// away reach the caller with their kind, through the store and its transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r11_postgres_failures_keep_their_kind() {
    let db = TestDb::new(crate::helpers::Backend::Postgres).await;
    db.exec(
        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.source = 'full' THEN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; \
             END IF; \
             IF NEW.source = 'down' THEN RAISE EXCEPTION 'bye' USING ERRCODE = 'admin_shutdown'; \
             END IF; RETURN NEW; END $$; \
             CREATE TRIGGER boom BEFORE INSERT ON reference_data_versions \
             FOR EACH ROW EXECUTE FUNCTION boom();",
    )
    .await
    .expect("trigger");
    let id = ReferenceKind::Calendar.aggregate_id();
    for (source, failure) in [
        ("full", DbFailure::StorageFull),
        ("down", DbFailure::Unavailable),
    ] {
        let mut cmd = load(ReferenceKind::Calendar, "a", Uuid::new_v4());
        let jianxin_domain::reference_data::ReferenceDataCommand::Load(l) = &mut cmd.command;
        l.source = source.into();
        let e = match db.log.execute::<ReferenceData, _>(id, cmd).await {
            Err(e) => e,
            Ok(r) => panic!("{source}: expected a store error, got {r:?}"),
        };
        assert_eq!(e.db_failure(), Some(failure), "{source}: {e}");
    }
    assert_eq!(db.count("ledger").await, 0);
    db.finish().await;
}

on_both!(
    delete_is_refused_by_store_and_database,
    |db: TestDb| async move {
        let id = ReferenceKind::Calendar.aggregate_id();
        let _ = db
            .log
            .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "a", Uuid::new_v4()))
            .await;
        // The one call of `delete` in the code base: proving it is refused.
        #[allow(clippy::disallowed_methods)]
        let r = db.log.store::<ReferenceData>().delete(id).await;
        assert!(matches!(r, Err(StoreError::Refused(_))));
        for sql in [
            "DELETE FROM reference_data_events",
            "UPDATE reference_data_events SET sequence_number = 7",
            "DELETE FROM ledger",
            "UPDATE ledger SET command_index = 9",
        ] {
            let e = db.exec(sql).await.expect_err(sql);
            assert!(e.to_string().contains("append-only"), "{sql}: {e}");
        }
        if db.is_pg() {
            assert!(db.exec("TRUNCATE ledger").await.is_err());
        }
        assert_eq!(db.count("reference_data_events").await, 1);
        assert_eq!(db.count("ledger").await, 1);
        db.finish().await;
    }
);

/// On PostgreSQL the service runs as a role holding only INSERT and SELECT on the event
/// and ledger tables: even with the triggers gone it cannot rewrite history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_service_role_holds_only_insert_and_select() {
    use jianxin_projections::{DbLocation, EventLog};
    let db = TestDb::new(crate::helpers::Backend::Postgres).await;
    let role = format!("jx_svc_{}", &Uuid::new_v4().simple().to_string()[..12]);
    db.exec(&format!("CREATE ROLE {role} LOGIN PASSWORD 'svc-pw'"))
        .await
        .expect("role");
    db.log
        .database()
        .grant_service_role(&role)
        .await
        .expect("grant");
    assert!(db
        .log
        .database()
        .grant_service_role("bad; DROP TABLE ledger")
        .await
        .is_err());
    let DbLocation::Postgres(url) = &db.location else {
        panic!("pg")
    };
    let host_and_db = url.split_once('@').map(|(_, h)| h).expect("url");
    let svc = EventLog::open(&DbLocation::Postgres(format!(
        "postgres://{role}:svc-pw@{host_and_db}"
    )))
    .await
    .expect("the service role opens the log without DDL rights");
    let id = ReferenceKind::Calendar.aggregate_id();
    let r = svc
        .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "a", Uuid::new_v4()))
        .await;
    assert!(matches!(r, Ok(Ok(Executed::Applied { .. }))), "{r:?}");
    // the owner drops the triggers; the service still cannot change or remove a fact
    db.exec(
        "DROP TRIGGER ledger_append_only ON ledger; \
             DROP TRIGGER reference_data_events_append_only ON reference_data_events",
    )
    .await
    .expect("drop triggers");
    let Database::Postgres(pool) = svc.database() else {
        panic!("pg")
    };
    for sql in [
        "UPDATE ledger SET command_index = 1",
        "DELETE FROM ledger",
        "TRUNCATE ledger",
        "UPDATE reference_data_events SET sequence_number = 2",
        "DELETE FROM reference_data_events",
    ] {
        let e = sqlx::query(sql).execute(pool).await.expect_err(sql);
        assert!(e.to_string().contains("permission denied"), "{sql}: {e}");
    }
    assert_eq!(db.count("ledger").await, 1);
    svc.database().close().await;
    db.finish().await;
    let admin = sqlx::PgPool::connect(&crate::helpers::pg_admin_url())
        .await
        .expect("admin");
    sqlx::query(&format!("DROP ROLE {role}"))
        .execute(&admin)
        .await
        .expect("drop role");
}

on_both!(
    a_batch_is_all_or_nothing_and_keeps_the_chain,
    |db: TestDb| async move {
        use jianxin_domain::access::{AccessCommand, AccessGrant, IssueToken};
        use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:30:00Z")
            .expect("t")
            .to_utc();
        let grant = |user: &str| Issued {
            meta: CommandMeta::new(Uuid::new_v4(), Actor::new("importer", Role::Admin), now),
            command: AccessCommand::Issue(IssueToken {
                user: user.into(),
                role: Role::Inspector,
                scopes: vec![],
                expires_at: now + chrono::Duration::days(1),
            }),
        };
        // one event through the normal path first
        let id = ReferenceKind::Calendar.aggregate_id();
        let _ = db
            .log
            .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "a", Uuid::new_v4()))
            .await;
        // a batch that is dropped leaves nothing
        let mut batch = db.log.batch::<AccessGrant>().await.expect("begin");
        for i in 0..5 {
            assert!(matches!(
                batch.apply(Uuid::new_v4(), grant(&format!("u{i}"))).await,
                Ok(Ok(jianxin_projections::store::Applied { events: 1, .. }))
            ));
        }
        // a refusal inside a batch is reported and appends nothing for that command
        assert!(matches!(
            batch.apply(Uuid::new_v4(), grant("")).await,
            Ok(Err(_))
        ));
        batch.rollback().await.expect("rollback");
        assert_eq!(db.count("ledger").await, 1);
        assert_eq!(db.count("access_grant_events").await, 0);
        // a committed batch: every event ledgered in order, the chain intact
        let mut batch = db.log.batch::<AccessGrant>().await.expect("begin");
        let same = Uuid::new_v4();
        assert!(matches!(
            batch.apply(same, grant("x")).await,
            Ok(Ok(jianxin_projections::store::Applied { events: 1, .. }))
        ));
        // the batch sees its own writes: the same grant again is refused
        assert!(matches!(batch.apply(same, grant("x")).await, Ok(Err(_))));
        for i in 0..20 {
            assert!(matches!(
                batch.apply(Uuid::new_v4(), grant(&format!("v{i}"))).await,
                Ok(Ok(jianxin_projections::store::Applied { events: 1, .. }))
            ));
        }
        assert_eq!(batch.commit().await.expect("commit"), 21);
        let _ = db
            .log
            .execute::<ReferenceData, _>(id, load(ReferenceKind::Calendar, "b", Uuid::new_v4()))
            .await;
        let v = verify(db.log.database(), None)
            .await
            .expect("db")
            .expect("intact");
        assert_eq!(v.events, 23);
        // apply_fresh skips reading a history the id cannot have; an id that has one
        // is refused by the events table's unique key and the whole batch fails
        let mut batch = db.log.batch::<AccessGrant>().await.expect("begin");
        assert!(matches!(
            batch.apply_fresh(Uuid::new_v4(), grant("w")).await,
            Ok(Ok(jianxin_projections::store::Applied { events: 1, .. }))
        ));
        assert!(
            batch.apply_fresh(same, grant("x2")).await.is_err(),
            "an id with a history is not fresh"
        );
        drop(batch);
        assert_eq!(db.count("access_grant_events").await, 21);
        let v = verify(db.log.database(), None)
            .await
            .expect("db")
            .expect("intact");
        assert_eq!(v.events, 23);
        db.finish().await;
    }
);

on_both!(
    rebuilt_read_models_give_the_same_answers,
    |db: TestDb| async move {
        for (i, kind) in [
            ReferenceKind::Calendar,
            ReferenceKind::Divisions,
            ReferenceKind::Calendar,
        ]
        .into_iter()
        .enumerate()
        {
            let r = db
                .log
                .execute::<ReferenceData, _>(
                    kind.aggregate_id(),
                    load(kind, &format!("v{i}"), Uuid::new_v4()),
                )
                .await;
            assert!(matches!(r, Ok(Ok(_))));
        }
        let before = ReferenceDataVersions::list(db.log.database(), None)
            .await
            .expect("rm");
        assert_eq!(before.len(), 3);
        db.exec("DELETE FROM reference_data_versions")
            .await
            .expect("wipe");
        let rebuilt = db
            .log
            .rebuild_read_models(Some("reference_data_versions"))
            .await
            .expect("rebuild");
        assert_eq!(rebuilt, vec![("reference_data_versions", 3)]);
        let after = ReferenceDataVersions::list(db.log.database(), None)
            .await
            .expect("rm");
        assert_eq!(before, after);
        assert!(matches!(
            db.log.rebuild_read_models(Some("nope")).await,
            Err(StoreError::Config(_))
        ));
        // rebuilding never touches the ledger
        let v = verify(db.log.database(), None)
            .await
            .expect("db")
            .expect("intact");
        assert_eq!(v.events, 3);
        db.finish().await;
    }
);

on_both!(
    a_group_of_answers_is_written_as_one_and_reads_as_if_written_singly,
    |db: TestDb| async move {
        use jianxin_domain::credit::query::{CheckAnswer, CreditQuery, QueryCommand};
        use jianxin_domain::credit::Decision;
        use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:30:00Z")
            .expect("t")
            .to_utc();
        let officer = Actor::new("officer-1", Role::CreditOfficer);
        let answer = |i: u64, id: Uuid| {
            let decision = [Decision::Allowed, Decision::Restricted, Decision::Rewarded];
            Issued {
                meta: CommandMeta::new(Uuid::new_v4(), officer.clone(), now),
                command: QueryCommand::Log(
                    Box::new(CheckAnswer {
                        decision: decision[(i % 3) as usize],
                        subject: format!("91330102MA{i:07}X"),
                        scenario: "subsidy".into(),
                        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("d")
                            + chrono::Duration::days(i as i64 % 400),
                        known_at: now,
                        basis: vec![],
                        not_applicable: vec![],
                        log_seq: i,
                        rule_version: "r".into(),
                        catalogue_version: "c".into(),
                        query_id: id,
                    }),
                    format!("采购 {i}"),
                ),
            }
        };
        // two answers the usual way (one command, one transaction each)
        for i in 0..2 {
            let id = Uuid::new_v4();
            let r = db.log.execute::<CreditQuery, _>(id, answer(i, id)).await;
            assert!(matches!(r, Ok(Ok(_))), "{r:?}");
        }
        // a refusal anywhere in a group writes nothing of it and names the command
        let mut group: Vec<_> = (2..6)
            .map(|i| {
                let id = Uuid::new_v4();
                (id, answer(i, id))
            })
            .collect();
        group.insert(
            3,
            (
                Uuid::new_v4(),
                Issued {
                    meta: CommandMeta::new(Uuid::new_v4(), officer.clone(), now),
                    command: QueryCommand::Feedback {
                        measure_applied: "m".into(),
                        note: String::new(),
                    },
                },
            ),
        );
        let r = db.log.append_fresh_group::<CreditQuery>(group).await;
        assert!(matches!(r, Ok(Err((3, _)))), "{r:?}");
        assert_eq!(db.count("credit_queries").await, 2);
        // an id that already has a history fails the whole group
        let taken = {
            let id = Uuid::new_v4();
            let r = db.log.execute::<CreditQuery, _>(id, answer(6, id)).await;
            assert!(matches!(r, Ok(Ok(_))), "{r:?}");
            id
        };
        let group = vec![
            (Uuid::new_v4(), answer(7, Uuid::new_v4())),
            (taken, answer(8, taken)),
        ];
        assert!(db
            .log
            .append_fresh_group::<CreditQuery>(group)
            .await
            .is_err());
        assert_eq!(db.count("credit_queries").await, 3);
        assert_eq!(db.count("ledger").await, 3);
        // the writer goes on after a failed group; a group larger than one multi-row
        // statement holds (2,307 rows of 13 values)
        let group: Vec<_> = (10..2_510)
            .map(|i| {
                let id = Uuid::new_v4();
                (id, answer(i, id))
            })
            .collect();
        let r = db.log.append_fresh_group::<CreditQuery>(group).await;
        assert!(matches!(r, Ok(Ok(2_500))), "{r:?}");
        // the same through a batch writer (on SQLite, sqlx's multi-row statements)
        let mut batch = db.log.batch::<CreditQuery>().await.expect("begin");
        let group: Vec<_> = (2_510..2_520)
            .map(|i| {
                let id = Uuid::new_v4();
                (id, answer(i, id))
            })
            .collect();
        assert!(matches!(batch.apply_fresh_all(group).await, Ok(Ok(10))));
        assert_eq!(batch.commit().await.expect("commit"), 10);
        assert_eq!(db.count("credit_queries").await, 2_513);
        assert_eq!(db.count("credit_query_events").await, 2_513);
        // the chain holds over every entry, in order
        let v = verify(db.log.database(), None)
            .await
            .expect("db")
            .expect("intact");
        assert_eq!(v.events, 2_513);
        // the group's rows are exactly those the read model writes one event at a time
        let rows = |db: &Database| {
            let db = db.clone();
            async move {
                const SQL: &str = "SELECT query_id || '|' || uscc || '|' || scenario || '|' || \
                    valid_date || '|' || known_at || '|' || requester || '|' || role || '|' || \
                    purpose || '|' || decision || '|' || CAST(log_seq AS TEXT) \
                    || '|' || recorded_at || '|' || CAST(global_sequence AS TEXT) || '|' || \
                    feedback FROM credit_queries ORDER BY global_sequence";
                let rows: Vec<String> = match &db {
                    Database::Sqlite(p) => sqlx::query_scalar(SQL).fetch_all(p).await,
                    Database::Postgres(p) => sqlx::query_scalar(SQL).fetch_all(p).await,
                }
                .expect("rows");
                rows
            }
        };
        let before = rows(db.log.database()).await;
        db.log
            .rebuild_read_models(Some("credit_queries"))
            .await
            .expect("rebuild");
        assert_eq!(rows(db.log.database()).await, before);
        // and a logged answer reads back as given
        let last = jianxin_projections::read_models::logged_queries(
            &db.log,
            None,
            Some("91330102MA0002509X"),
            None,
            5,
        )
        .await
        .expect("read");
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].purpose, "采购 2509");
        // the answer is read from its event: the one logged for this subject
        assert_eq!(last[0].answer["subject"], "91330102MA0002509X");
        assert_eq!(last[0].answer["query_id"], last[0].query_id.as_str());
        db.finish().await;
    }
);

on_both!(
    the_check_reads_in_one_statement_what_the_separate_queries_read,
    |db: TestDb| async move {
        use jianxin_domain::credit::{
            credit_subject_id, CreditCommand, CreditRules, CreditSubject, EnterList, ListId,
        };
        use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
        use jianxin_domain::identifiers::Uscc;
        use jianxin_projections::read_models::{check_reading, credit_facts, log_position};
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:30:00Z")
            .expect("t")
            .to_utc();
        let uscc = |first17: &str| {
            let check = Uscc::check_character(first17).expect("17 characters");
            Uscc::parse(&format!("{first17}{check}")).expect("uscc")
        };
        let listed = uscc("91330102MA2AYXXM8");
        let never = Some(uscc("91330102MA2AYXXM9"));
        let id = credit_subject_id(&listed);
        for (list, day) in [(ListId::Focus, 3), (ListId::Red, 9)] {
            let command = CreditCommand::Enter(
                listed.clone(),
                EnterList {
                    list,
                    reason: "多次投诉举报".into(),
                    legal_basis: "test".into(),
                    entered_on: chrono::NaiveDate::from_ymd_opt(2025, 1, day).expect("d"),
                    rules: CreditRules::default(),
                    rule_version: "test".into(),
                },
            );
            let meta = CommandMeta::new(Uuid::new_v4(), Actor::new("o", Role::CreditOfficer), now);
            let r = db
                .log
                .execute::<CreditSubject, _>(id, Issued { meta, command })
                .await;
            assert!(matches!(r, Ok(Ok(_))), "{r:?}");
        }
        // a version of the measures catalogue, so one count is not zero
        let _ = db
            .log
            .execute::<ReferenceData, _>(
                ReferenceKind::Measures.aggregate_id(),
                load(ReferenceKind::Measures, "x", Uuid::new_v4()),
            )
            .await;
        let subjects = [Some(id), never.as_ref().map(credit_subject_id)];
        for subject in subjects.into_iter().flatten() {
            let subject = subject.hyphenated().to_string();
            let position = log_position(db.log.database()).await.expect("position");
            let facts = credit_facts(db.log.database(), &subject, position)
                .await
                .expect("facts");
            // through the pool, and as the check reads it (on SQLite, on this thread)
            for reading in [
                check_reading(db.log.database(), &subject)
                    .await
                    .expect("read"),
                db.log.check_reading(&subject).await.expect("read"),
            ] {
                assert_eq!(reading.log_seq, position);
                assert_eq!(reading.rule_versions, 0);
                assert_eq!(reading.catalogue_versions, 1);
                assert_eq!(reading.facts(), &facts[..]);
            }
        }
        assert_eq!(
            db.log
                .check_reading(&id.hyphenated().to_string())
                .await
                .expect("read")
                .facts()
                .len(),
            2
        );
        db.finish().await;
    }
);

/// The credit facts kept in memory for the check (SQLite) read exactly as the store
/// does, whoever wrote last: this process, another one on the same file, or nobody but
/// the rest of the log (other events between). Also when kept subjects are dropped for
/// room, and when a catch-up is too long and every subject is dropped instead.
#[tokio::test]
async fn kept_credit_facts_read_as_the_store_does() {
    use jianxin_domain::credit::{
        credit_subject_id, entry_id, AnnulEntry, CreditCommand, CreditRules, CreditSubject,
        EnterList, ListId,
    };
    use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
    use jianxin_domain::identifiers::Uscc;
    use jianxin_projections::read_models::{credit_facts, log_position, CreditFactsCache};
    use jianxin_projections::store::SqliteReader;
    use jianxin_projections::{DbLocation, EventLog};

    let db = TestDb::new(crate::helpers::Backend::Sqlite).await;
    let DbLocation::Sqlite(path) = &db.location else {
        panic!("a SQLite test database");
    };
    // another process on the same file: its own pools, its own cache
    let other = EventLog::open(&db.location).await.expect("open again");
    let reader = SqliteReader::new(path);
    let small = CreditFactsCache::with_bounds(2, 3);
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:30:00Z")
        .expect("t")
        .to_utc();
    let subjects: Vec<Uscc> = [
        "91330102MA2AYXXM1",
        "91330102MA2AYXXM2",
        "91330102MA2AYXXM3",
    ]
    .iter()
    .map(|first17| {
        let check = Uscc::check_character(first17).expect("17 characters");
        Uscc::parse(&format!("{first17}{check}")).expect("uscc")
    })
    .collect();
    // a fixed pseudo-random walk (xorshift), the same in every run
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let (mut writes, mut hits) = (0, 0);
    for step in 0..240u32 {
        let who = next(3) as usize;
        let writer = if next(2) == 0 { &db.log } else { &other };
        let meta = CommandMeta::new(Uuid::new_v4(), Actor::new("o", Role::CreditOfficer), now);
        match next(6) {
            0 => {
                let command = CreditCommand::Enter(
                    subjects[who].clone(),
                    EnterList {
                        list: if next(2) == 0 {
                            ListId::Focus
                        } else {
                            ListId::Red
                        },
                        reason: "多次投诉举报".into(),
                        legal_basis: "test".into(),
                        entered_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 1 + step % 28)
                            .expect("d"),
                        rules: CreditRules::default(),
                        rule_version: "test".into(),
                    },
                );
                let id = credit_subject_id(&subjects[who]);
                let r = writer
                    .execute::<CreditSubject, _>(id, Issued { meta, command })
                    .await
                    .expect("store");
                writes += usize::from(r.is_ok());
            }
            1 => {
                let command = CreditCommand::Annul(AnnulEntry {
                    entry_id: entry_id(&subjects[who], 1 + next(3) as u32),
                    reason: "错误列入".into(),
                });
                let id = credit_subject_id(&subjects[who]);
                // refused when there is no such entry or it is annulled already
                let _ = writer
                    .execute::<CreditSubject, _>(id, Issued { meta, command })
                    .await
                    .expect("store");
            }
            2 => {
                // the log moves on without a credit fact
                let content = format!("v{step}");
                let _ = writer
                    .execute::<ReferenceData, _>(
                        ReferenceKind::Calendar.aggregate_id(),
                        load(ReferenceKind::Calendar, &content, Uuid::new_v4()),
                    )
                    .await
                    .expect("store");
            }
            _ => {
                let subject = credit_subject_id(&subjects[who]).hyphenated().to_string();
                let position = log_position(db.log.database()).await.expect("position");
                let expected = credit_facts(db.log.database(), &subject, position)
                    .await
                    .expect("facts");
                hits += usize::from(small.holds(&subject));
                for reading in [
                    db.log.check_reading(&subject).await.expect("read"),
                    small.reading(&reader, &subject).await.expect("read"),
                ] {
                    assert_eq!(reading.log_seq, position, "step {step}");
                    assert_eq!(reading.facts(), &expected[..], "step {step}");
                }
                assert!(small.len() <= 2, "at most its capacity");
            }
        }
    }
    // the walk did write, and the small cache did answer from memory
    assert!(writes > 10 && hits > 10, "writes {writes}, hits {hits}");
    db.finish().await;
}

/// The same under concurrency: three tasks check through one small cache while two
/// writers (this process and another on the same file) record facts. Every reading
/// must hold exactly the facts the store holds at the reading's own log position
/// (positions become visible in order on SQLite, so that set never changes afterwards).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_credit_facts_stay_exact_under_concurrent_checks_and_writes() {
    use jianxin_domain::credit::{
        credit_subject_id, CreditCommand, CreditRules, CreditSubject, EnterList, ListId,
    };
    use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
    use jianxin_domain::identifiers::Uscc;
    use jianxin_projections::read_models::{credit_facts, CreditFactsCache};
    use jianxin_projections::store::SqliteReader;
    use jianxin_projections::{DbLocation, EventLog};
    use std::sync::Arc;

    let db = TestDb::new(crate::helpers::Backend::Sqlite).await;
    let DbLocation::Sqlite(path) = db.location.clone() else {
        panic!("a SQLite test database");
    };
    let other = EventLog::open(&db.location).await.expect("open again");
    let subjects: Vec<Uscc> = (1..=4)
        .map(|k| {
            let first17 = format!("91330102MA2AYXX{k:02}");
            let check = Uscc::check_character(&first17).expect("17 characters");
            Uscc::parse(&format!("{first17}{check}")).expect("uscc")
        })
        .collect();
    let ids: Vec<String> = subjects
        .iter()
        .map(|u| credit_subject_id(u).hyphenated().to_string())
        .collect();
    let cache = Arc::new(CreditFactsCache::with_bounds(3, 4));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // three checking tasks, so that some share one read of the head
    let checkers: Vec<_> = (0..3)
        .map(|t| {
            let (cache, stop, ids) = (cache.clone(), stop.clone(), ids.clone());
            let reader = SqliteReader::new(&path);
            tokio::spawn(async move {
                let mut readings = vec![];
                let mut k = t;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let subject = &ids[k % ids.len()];
                    let reading = cache.reading(&reader, subject).await.expect("read");
                    readings.push((subject.clone(), reading.log_seq, reading.facts().to_vec()));
                    k += 1 + t;
                    tokio::task::yield_now().await;
                }
                readings
            })
        })
        .collect();
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:30:00Z")
        .expect("t")
        .to_utc();
    for step in 0..120u32 {
        let writer = if step % 2 == 0 { &db.log } else { &other };
        let uscc = &subjects[(step as usize * 7) % subjects.len()];
        let command = CreditCommand::Enter(
            uscc.clone(),
            EnterList {
                list: if step % 4 < 2 {
                    ListId::Focus
                } else {
                    ListId::Red
                },
                reason: "多次投诉举报".into(),
                legal_basis: "test".into(),
                entered_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 1 + step % 28).expect("d"),
                rules: CreditRules::default(),
                rule_version: "test".into(),
            },
        );
        let meta = CommandMeta::new(Uuid::new_v4(), Actor::new("o", Role::CreditOfficer), now);
        let _ = writer
            .execute::<CreditSubject, _>(credit_subject_id(uscc), Issued { meta, command })
            .await
            .expect("store");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut checked = 0;
    for checker in checkers {
        for (subject, log_seq, facts) in checker.await.expect("checker") {
            let expected = credit_facts(db.log.database(), &subject, log_seq)
                .await
                .expect("facts");
            assert_eq!(facts, expected, "{subject} at {log_seq}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} readings");
    db.finish().await;
}
