//! Properties of recording items: a row recorded twice yields no events the second time,
//! replaying any sequence of rows yields the last row, and versions count the revisions.

use std::collections::BTreeSet;

use esrs::Aggregate;
use proptest::prelude::*;

use super::*;
use crate::directory::subject::SubjectKind;
use crate::directory::test_support::{day, issued_on, label};
use crate::directory::{DepartmentCode, ItemCode};

fn arb_record() -> impl Strategy<Value = ItemRecord> {
    let names = prop::sample::select(vec!["食品生产检查", "特种设备检查"]);
    let kinds = prop::sample::subsequence(SubjectKind::ALL.to_vec(), 1..=3);
    let methods = prop::sample::select(InspectionMethod::ALL.to_vec());
    let quals = prop::option::of(prop::sample::select(vec!["食品安全", "特种设备"]));
    (names, kinds, 0u32..=10_000, 1u32..=12, methods, quals).prop_map(
        |(name, kinds, ratio, frequency, method, qual)| ItemRecord {
            code: ItemCode::parse("SCJG-001").unwrap(),
            name: name.into(),
            legal_basis: "《食品安全法》".into(),
            department: DepartmentCode::parse("330106-SCJG").unwrap(),
            target_kinds: kinds.into_iter().collect::<BTreeSet<_>>(),
            default_ratio_bp: ratio,
            frequency_per_year: frequency,
            method,
            qualification_required: qual.map(label),
        },
    )
}

proptest! {
    #[test]
    fn replaying_any_sequence_of_rows_yields_the_last_row(
        rows in prop::collection::vec(arb_record(), 1..8)
    ) {
        let mut state = ItemState::default();
        let mut expected_version = 0;
        let mut previous: Option<&ItemRecord> = None;
        for row in &rows {
            let command = || ItemCommand::Record(RecordItem { record: row.clone() });
            let events = InspectionItem::handle_command(&state, issued_on(day(2026, 1, 1), command()))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            if previous != Some(row) {
                expected_version += 1;
            }
            previous = Some(row);
            state = events.into_iter().fold(state, InspectionItem::apply_event);
            let again = InspectionItem::handle_command(&state, issued_on(day(2026, 1, 2), command()));
            prop_assert_eq!(again.map(|e| e.len()), Ok(0));
            prop_assert_eq!(state.version(), expected_version);
        }
        prop_assert_eq!(state.current(), rows.last());
    }
}
