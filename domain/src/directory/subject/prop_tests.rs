//! Properties of recording subjects: recording a row twice never yields events the second
//! time, and the events of any sequence of rows rebuild the last row (now and, with
//! non-decreasing effective dates, as of the last date).

use std::collections::BTreeSet;

use chrono::Days;
use esrs::Aggregate;
use proptest::prelude::*;

use super::*;
use crate::directory::test_support::{day, issued_on, label, region, uscc};

fn arb_record() -> impl Strategy<Value = SubjectRecord> {
    let names = prop::sample::select(vec!["甲公司", "乙公司", "丙商行"]);
    let kinds = prop::sample::select(SubjectKind::ALL.to_vec());
    let industries = prop::sample::select(vec!["C", "C13", "F5211", "I65"]);
    let regions = prop::sample::select(vec!["330106", "330108", "350102"]);
    let statuses = prop::sample::select(SubjectStatus::ALL.to_vec());
    let classes = prop::sample::select(RiskClass::ALL.to_vec());
    let tags = prop::sample::subsequence(vec!["食品生产", "特种设备", "网络交易", "药品"], 0..=4);
    (
        names,
        kinds,
        industries,
        regions,
        0u64..4000,
        statuses,
        classes,
        tags,
    )
        .prop_map(
            |(name, kind, industry, area, days, status, risk_class, tags)| SubjectRecord {
                uscc: uscc(42),
                name: name.to_owned(),
                kind,
                industry: IndustryCode::parse(industry).unwrap(),
                region: region(area),
                registration_date: day(2010, 1, 1) + Days::new(days),
                status,
                risk_class,
                tags: tags.into_iter().map(label).collect::<BTreeSet<_>>(),
            },
        )
}

proptest! {
    #[test]
    fn replaying_any_sequence_of_rows_yields_the_last_row(
        rows in prop::collection::vec((arb_record(), 0u64..30), 1..8)
    ) {
        let mut state = SubjectState::default();
        let mut log = Vec::new();
        let mut date = day(2026, 1, 1);
        for (row, gap) in &rows {
            date = date + Days::new(*gap);
            let command = || SubjectCommand::Record(RecordSubject { record: row.clone() });
            let events = Subject::handle_command(&state, issued_on(date, command()));
            let events = events.map_err(|e| TestCaseError::fail(e.to_string()))?;
            log.extend(events.clone());
            state = events.into_iter().fold(state, Subject::apply_event);
            let again = Subject::handle_command(&state, issued_on(date, command()));
            prop_assert_eq!(again.map(|e| e.len()), Ok(0));
            prop_assert_eq!(state.current.as_ref(), Some(row));
        }
        let last = rows.last().map(|(row, _)| row.clone());
        prop_assert_eq!(subject_as_of(&log, date), last.clone());
        let replayed = log.into_iter().fold(SubjectState::default(), Subject::apply_event);
        prop_assert_eq!(replayed.current, last);
    }
}
