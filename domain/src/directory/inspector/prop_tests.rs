//! Properties of recording inspectors: a row recorded twice yields no events the second
//! time, and replaying the events of any sequence of rows yields the last row.

use std::collections::BTreeSet;

use chrono::Days;
use esrs::Aggregate;
use proptest::prelude::*;

use super::*;
use crate::directory::test_support::{day, issued_on, label, region};
use crate::directory::{DepartmentCode, InspectorId};

fn arb_record() -> impl Strategy<Value = InspectorRecord> {
    let names = prop::sample::select(vec!["王明", "李华"]);
    let departments = prop::sample::select(vec!["330106-SCJG", "330106-WJW"]);
    let areas = prop::sample::subsequence(vec!["330106", "330108", "350102"], 0..=3);
    let numbers = prop::sample::select(vec!["浙A01", "浙A02"]);
    let quals = prop::sample::subsequence(vec!["食品安全", "特种设备", "药品"], 0..=3);
    let statuses = prop::sample::select(InspectorStatus::ALL.to_vec());
    (
        names,
        departments,
        areas,
        numbers,
        0u64..1000,
        1u64..3000,
        quals,
        any::<bool>(),
        statuses,
    )
        .prop_map(
            |(name, dept, areas, number, start, length, quals, expert, status)| {
                let issued_on = day(2020, 1, 1) + Days::new(start);
                InspectorRecord {
                    id: InspectorId::parse("ZJ-0012").unwrap(),
                    name: name.into(),
                    department: DepartmentCode::parse(dept).unwrap(),
                    patrol_areas: areas.into_iter().map(region).collect::<BTreeSet<_>>(),
                    certificate: Certificate {
                        number: number.into(),
                        issued_on,
                        expires_on: issued_on + Days::new(length),
                    },
                    qualifications: quals.into_iter().map(label).collect(),
                    expert,
                    status,
                }
            },
        )
}

proptest! {
    #[test]
    fn replaying_any_sequence_of_rows_yields_the_last_row(
        rows in prop::collection::vec(arb_record(), 1..8)
    ) {
        let mut state = InspectorState::default();
        for row in &rows {
            let command = || InspectorCommand::Record(RecordInspector { record: row.clone() });
            let events = Inspector::handle_command(&state, issued_on(day(2026, 1, 1), command()))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            state = events.into_iter().fold(state, Inspector::apply_event);
            let again = Inspector::handle_command(&state, issued_on(day(2026, 1, 2), command()));
            prop_assert_eq!(again.map(|e| e.len()), Ok(0));
        }
        prop_assert_eq!(state.current.as_ref(), rows.last());
    }
}
