//! Tamper evidence: every kind of change to a stored row is caught at the right global
//! sequence number, even after the append-only triggers were dropped; and any sequence of
//! appends verifies.

use jianxin_domain::integrity::{hash_from_hex, leaf_hash, verify_consistency, verify_inclusion};
use jianxin_domain::reference_data::{ReferenceData, ReferenceKind};
use jianxin_projections::ledger::{check_aggregate, consistency, inclusion, verify, Expectation};
use proptest::prelude::*;
use uuid::Uuid;

use crate::helpers::{load, Backend, TestDb};
use crate::on_both;

/// Append `n` events, alternating the two reference kinds.
async fn fill(db: &TestDb, n: usize) {
    for i in 0..n {
        let kind = if i % 3 == 1 {
            ReferenceKind::Divisions
        } else {
            ReferenceKind::Calendar
        };
        let r = db
            .log
            .execute::<ReferenceData, _>(
                kind.aggregate_id(),
                load(kind, &format!("row {i}"), Uuid::new_v4()),
            )
            .await;
        assert!(matches!(r, Ok(Ok(_))), "{r:?}");
    }
}

async fn drop_triggers(db: &TestDb) {
    let sql = if db.is_pg() {
        "DROP TRIGGER ledger_append_only ON ledger; \
         DROP TRIGGER reference_data_events_append_only ON reference_data_events;"
    } else {
        "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete; \
         DROP TRIGGER reference_data_events_no_update; DROP TRIGGER reference_data_events_no_delete;"
    };
    db.exec(sql).await.expect("drop triggers");
}

/// The ways a stored row can be changed.
#[derive(Debug, Clone, Copy)]
enum Mutation {
    EventPayload,
    EventOccurredOn,
    EventSequence,
    EventRemoved,
    LedgerCanonicalByte,
    LedgerEntryHash,
    LedgerRowRemoved,
    LedgerCommandColumn,
    EventRowsSwapped,
    EventRowInserted,
}

const ALL: [Mutation; 10] = [
    Mutation::EventPayload,
    Mutation::EventOccurredOn,
    Mutation::EventSequence,
    Mutation::EventRemoved,
    Mutation::LedgerCanonicalByte,
    Mutation::LedgerEntryHash,
    Mutation::LedgerRowRemoved,
    Mutation::LedgerCommandColumn,
    Mutation::EventRowsSwapped,
    Mutation::EventRowInserted,
];

impl Mutation {
    /// SQL applying the mutation at global sequence `k` of `n`; and the sequence number
    /// verification must name.
    fn sql(self, pg: bool, k: usize, n: usize) -> (String, usize) {
        let ev = format!("(SELECT event_id FROM ledger WHERE global_sequence = {k})");
        let t = "reference_data_events";
        match self {
            Mutation::EventPayload if pg => (
                format!("UPDATE {t} SET payload = jsonb_set(payload, '{{actor,user}}', '\"mallory\"') WHERE id = {ev}"),
                k,
            ),
            Mutation::EventPayload => (
                format!("UPDATE {t} SET payload = replace(payload, '\"tester\"', '\"mallory\"') WHERE id = {ev}"),
                k,
            ),
            Mutation::EventOccurredOn if pg => (
                format!("UPDATE {t} SET occurred_on = occurred_on + interval '1 microsecond' WHERE id = {ev}"),
                k,
            ),
            Mutation::EventOccurredOn => (
                format!("UPDATE {t} SET occurred_on = replace(occurred_on, '2026-', '2025-') WHERE id = {ev}"),
                k,
            ),
            Mutation::EventSequence => (
                format!("UPDATE {t} SET sequence_number = sequence_number + 1000 WHERE id = {ev}"),
                k,
            ),
            Mutation::EventRemoved => (format!("DELETE FROM {t} WHERE id = {ev}"), k),
            Mutation::LedgerCanonicalByte if pg => (
                format!("UPDATE ledger SET canonical = convert_to(replace(convert_from(canonical, 'UTF8'), 'tester', 'tested'), 'UTF8') WHERE global_sequence = {k}"),
                k,
            ),
            Mutation::LedgerCanonicalByte => (
                format!("UPDATE ledger SET canonical = CAST(replace(CAST(canonical AS TEXT), 'tester', 'tested') AS BLOB) WHERE global_sequence = {k}"),
                k,
            ),
            Mutation::LedgerEntryHash => (
                format!("UPDATE ledger SET entry_hash = prev_hash WHERE global_sequence = {k}"),
                k,
            ),
            Mutation::LedgerRowRemoved => (format!("DELETE FROM ledger WHERE global_sequence = {k}"), k),
            Mutation::LedgerCommandColumn => (
                format!("UPDATE ledger SET command_index = 5 WHERE global_sequence = {k}"),
                k,
            ),
            Mutation::EventRowsSwapped => {
                // swap the payloads of the events at k and k+1 (or k-1 when k is last)
                let j = if k < n { k + 1 } else { k - 1 };
                let other = format!("(SELECT event_id FROM ledger WHERE global_sequence = {j})");
                let sql = format!(
                    "UPDATE {t} SET payload = CASE WHEN id = {ev} THEN (SELECT payload FROM {t} WHERE id = {other}) \
                     ELSE (SELECT payload FROM {t} WHERE id = {ev}) END WHERE id IN ({ev}, {other})"
                );
                (sql, k.min(j))
            }
            Mutation::EventRowInserted if pg => (
                format!("INSERT INTO {t} SELECT gen_random_uuid(), aggregate_id, payload, occurred_on, sequence_number + 1000, version FROM {t} WHERE id = {ev}"),
                n + 1,
            ),
            Mutation::EventRowInserted => (
                format!("INSERT INTO {t} SELECT 'f0000000-0000-4000-8000-000000000001', aggregate_id, payload, occurred_on, sequence_number + 1000, version FROM {t} WHERE id = {ev}"),
                n + 1,
            ),
        }
    }
}

async fn mutate_and_verify(
    backend: Backend,
    n: usize,
    k: usize,
    m: Mutation,
) -> Result<(), String> {
    let db = TestDb::new(backend).await;
    fill(&db, n).await;
    let before = verify(db.log.database(), None).await.expect("db");
    if before.as_ref().map(|v| v.events) != Ok(n as u64) {
        return Err(format!("before mutation: {before:?}"));
    }
    drop_triggers(&db).await;
    if matches!(m, Mutation::EventRowsSwapped) && n < 2 {
        db.finish().await;
        return Ok(());
    }
    let (sql, expected_at) = m.sql(db.is_pg(), k, n);
    db.exec(&sql).await.map_err(|e| format!("{sql}: {e}"))?;
    let after = verify(db.log.database(), None).await.expect("db");
    let result = match after {
        Err(f) if f.global_sequence == expected_at as u64 => Ok(()),
        other => Err(format!(
            "{m:?} at {k}/{n}: expected failure at {expected_at}, got {other:?}"
        )),
    };
    if result.is_ok() {
        db.finish().await;
    }
    result
}

// Issue 11 (faults): `log verify` against a running service, which appends meanwhile,
// verifies the entries that existed when it started instead of reporting a gap.
on_both!(r11_verify_while_appending, |db: TestDb| async move {
    fill(&db, 20).await;
    let log = db.log.clone();
    let writer = tokio::spawn(async move {
        for i in 0..150 {
            let kind = ReferenceKind::Calendar;
            let r = log
                .execute::<ReferenceData, _>(
                    kind.aggregate_id(),
                    load(kind, &format!("more {i}"), Uuid::new_v4()),
                )
                .await;
            assert!(matches!(r, Ok(Ok(_))), "{r:?}");
        }
    });
    let mut verified = 0;
    while !writer.is_finished() {
        let v = verify(db.log.database(), None).await.expect("db");
        let v = v.unwrap_or_else(|f| panic!("verify during appends: {f:?}"));
        assert!(v.events >= 20);
        verified += 1;
    }
    writer.await.expect("writer");
    assert!(verified > 1, "verified {verified} times during the appends");
    let v = verify(db.log.database(), None)
        .await
        .expect("db")
        .expect("intact");
    assert_eq!(v.events, 170);
    db.finish().await;
});

on_both!(
    every_mutation_is_caught_at_its_sequence,
    |db: TestDb| async move {
        let backend = if db.is_pg() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        db.finish().await;
        for m in ALL {
            mutate_and_verify(backend, 4, 2, m).await.expect("caught");
            mutate_and_verify(backend, 3, 3, m)
                .await
                .expect("caught at the end");
        }
    }
);

on_both!(
    proofs_verify_and_checkpoints_bind_history,
    |db: TestDb| async move {
        fill(&db, 7).await;
        let v = verify(db.log.database(), None)
            .await
            .expect("db")
            .expect("intact");
        for seq in 1..=7u64 {
            let p = inclusion(db.log.database(), seq, None)
                .await
                .expect("proof");
            let leaf = leaf_hash(p.entry.as_bytes());
            assert_eq!(hash_from_hex(&p.leaf_hash), Some(leaf));
            let hashes = p.inclusion.decode_hashes().expect("hex");
            verify_inclusion(seq - 1, 7, &leaf, &hashes, &v.root).expect("included");
        }
        // a checkpoint at size 4, then more appends: the log extends it
        let old = jianxin_projections::ledger::leaf_hashes(db.log.database(), Some(4))
            .await
            .expect("leaves");
        let old_root = jianxin_domain::integrity::root_from_leaf_hashes(&old);
        fill(&db, 2).await;
        let now = verify(
            db.log.database(),
            Some(Expectation {
                tree_size: 4,
                root: old_root,
            }),
        )
        .await
        .expect("db")
        .expect("extends the checkpoint");
        let c = consistency(db.log.database(), 4).await.expect("proof");
        let hashes = c.decode_hashes().expect("hex");
        verify_consistency(4, 9, &old_root, &now.root, &hashes).expect("consistent");
        // a checkpoint with another root is refused
        let forged = verify(
            db.log.database(),
            Some(Expectation {
                tree_size: 4,
                root: [7u8; 32],
            }),
        )
        .await
        .expect("db");
        assert!(forged.is_err());
        db.finish().await;
    }
);

fn mutation() -> impl Strategy<Value = Mutation> {
    (0..ALL.len()).prop_map(|i| ALL[i])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn any_single_mutation_is_caught_at_the_right_sequence(
        n in 1usize..7, k_frac in 0.0f64..1.0, m in mutation(), pg in any::<bool>()
    ) {
        let k = 1 + ((n as f64 * k_frac) as usize).min(n - 1);
        let backend = if pg { Backend::Postgres } else { Backend::Sqlite };
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let r = rt.block_on(mutate_and_verify(backend, n, k, m));
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn any_sequence_of_appends_verifies(n in 0usize..12, pg in any::<bool>()) {
        let backend = if pg { Backend::Postgres } else { Backend::Sqlite };
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let db = TestDb::new(backend).await;
            fill(&db, n).await;
            let v = verify(db.log.database(), None).await.expect("db");
            assert_eq!(v.map(|v| v.events), Ok(n as u64));
            db.finish().await;
        });
    }
}

/// The aggregate whose event is at global sequence `k` in a log made by `fill`.
fn owner(k: usize) -> Uuid {
    let kind = if (k - 1) % 3 == 1 {
        ReferenceKind::Divisions
    } else {
        ReferenceKind::Calendar
    };
    kind.aggregate_id()
}

type RefEvent = <ReferenceData as esrs::Aggregate>::Event;

/// `check_aggregate` (the case replay's check) finds every mutation where `log verify`
/// does: the earliest failure the two aggregates' checks report is verify's (a swap
/// may change one row only, as SQLite's UPDATE sees its own earlier writes).
async fn mutate_and_check(backend: Backend, n: usize, k: usize, m: Mutation) {
    let db = TestDb::new(backend).await;
    fill(&db, n).await;
    let intact = check_aggregate::<RefEvent>(db.log.database(), "reference_data", owner(k))
        .await
        .expect("db");
    assert!(intact.failure.is_none(), "{:?}", intact.failure);
    assert_eq!(intact.events.len(), intact.entries.len());
    drop_triggers(&db).await;
    let (sql, expected_at) = m.sql(db.is_pg(), k, n);
    db.exec(&sql).await.expect("mutation");
    let mut found = vec![];
    for kind in [ReferenceKind::Calendar, ReferenceKind::Divisions] {
        let c =
            check_aggregate::<RefEvent>(db.log.database(), "reference_data", kind.aggregate_id())
                .await
                .expect("db");
        found.extend(c.failure.map(|f| f.global_sequence));
    }
    assert_eq!(
        found.iter().min().copied(),
        Some(expected_at as u64),
        "{m:?} at {k}/{n}: {found:?}"
    );
    db.finish().await;
}

on_both!(
    the_aggregate_check_catches_every_mutation_of_its_rows_and_the_chain,
    |db: TestDb| async move {
        let backend = if db.is_pg() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        db.finish().await;
        for m in ALL {
            mutate_and_check(backend, 4, 2, m).await;
            mutate_and_check(backend, 3, 3, m).await;
        }
    }
);

on_both!(
    the_aggregate_check_ignores_other_rows_and_its_proofs_equal_the_single_ones,
    |db: TestDb| async move {
        fill(&db, 7).await;
        let calendar = ReferenceKind::Calendar.aggregate_id();
        let c = check_aggregate::<RefEvent>(db.log.database(), "reference_data", calendar)
            .await
            .expect("db");
        assert_eq!(c.tree.size(), 7);
        for (seq, entry) in &c.entries {
            let one = inclusion(db.log.database(), *seq, None)
                .await
                .expect("proof");
            assert_eq!(one.entry.as_bytes(), entry.as_slice());
            let hashes = c.tree.inclusion_proof(seq - 1).expect("in the tree");
            assert_eq!(Ok(hashes), one.inclusion.decode_hashes());
        }
        // a changed event row of the other aggregate is not the calendar's break
        drop_triggers(&db).await;
        let (sql, _) = Mutation::EventPayload.sql(db.is_pg(), 2, 7);
        db.exec(&sql).await.expect("mutation");
        let c = check_aggregate::<RefEvent>(db.log.database(), "reference_data", calendar)
            .await
            .expect("db");
        assert!(c.failure.is_none(), "{:?}", c.failure);
        db.finish().await;
    }
);
