//! Given/when/then tests of the implementation rules: defaults, validation naming every
//! bad field by path, and versioning.

use esrs::Aggregate;

use super::*;
use crate::directory::subject::{RiskClass, SubjectStatus};
use crate::directory::test_support::{day, issued_on};
use crate::event_log::Recorded;

type Event = Recorded<RulesEvent>;

fn given(events: &[Event]) -> RulesState {
    events
        .iter()
        .cloned()
        .fold(RulesState::default(), ImplementationRules::apply_event)
}

fn when(log: &mut Vec<Event>, rules: Rules, reason: &str) -> Result<Vec<RulesEvent>, RulesError> {
    let command = RulesCommand::Publish(PublishRules {
        rules,
        reason: reason.into(),
    });
    let new =
        ImplementationRules::handle_command(&given(log), issued_on(day(2026, 1, 2), command))?;
    log.extend(new.clone());
    Ok(new.into_iter().map(|e| e.event).collect())
}

#[test]
fn the_defaults_are_those_of_the_domain_brief_and_valid() {
    let rules = Rules::default();
    let ratios: Vec<u32> = RiskClass::ALL
        .iter()
        .map(|c| rules.ratio_bp.get(*c))
        .collect();
    assert_eq!(ratios, [300, 500, 1000, 3000]);
    assert_eq!(
        rules
            .exclusions
            .eligible_statuses
            .iter()
            .collect::<Vec<_>>(),
        [&SubjectStatus::Active]
    );
    assert_eq!(rules.exclusions.min_months_since_registration, 6);
    assert_eq!(rules.exclusions.same_department_within_months, 12);
    assert_eq!(rules.frequency_cap_per_year, 1);
    assert_eq!(rules.min_team_size, 2);
    assert!(rules.conflicts.exclude_patrol_area);
    assert!(rules.conflicts.exclude_previous_inspector);
    assert!(rules.conflicts.exclude_declared_relationships());
    assert_eq!(rules.workload_cap_per_task, 20);
    assert_eq!(rules.publication_deadline_working_days, 20);
    assert_eq!(rules.validate(), Ok(()));
}

#[test]
fn rules_serialise_with_class_letters_and_refuse_unknown_fields() {
    let json = serde_json::to_value(Rules::default()).unwrap();
    assert_eq!(
        json["ratio_bp"],
        serde_json::json!({"A": 300, "B": 500, "C": 1000, "D": 3000})
    );
    assert_eq!(
        json["exclusions"]["eligible_statuses"],
        serde_json::json!(["active"])
    );
    let back: Rules = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, Rules::default());
    let mut typo = json;
    typo["ratio_bp"]["E"] = serde_json::json!(1);
    assert!(serde_json::from_value::<Rules>(typo).is_err());
}

#[test]
fn validation_names_every_bad_field_by_its_path() {
    let mut rules = Rules::default();
    rules.ratio_bp.d = 10_001;
    rules.min_team_size = 1;
    rules.exclusions.eligible_statuses.clear();
    rules.publication_deadline_working_days = 0;
    let violations = rules.validate().unwrap_err();
    let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "ratio_bp.D",
            "exclusions.eligible_statuses",
            "min_team_size",
            "publication_deadline_working_days"
        ]
    );
    assert_eq!(
        violations[0].to_string(),
        "ratio_bp.D: 10001, expected an integer from 0 to 10000"
    );
    assert!(matches!(
        when(&mut vec![], rules, "试行"),
        Err(RulesError::Invalid(v)) if v.len() == 4
    ));
}

#[test]
fn versions_count_from_one_and_identical_rules_record_nothing() {
    let mut log = vec![];
    assert_eq!(
        when(&mut log, Rules::default(), "初始细则"),
        Ok(vec![RulesEvent::RulesPublished {
            version: 1,
            rules: Rules::default(),
            reason: "初始细则".into()
        }])
    );
    assert_eq!(when(&mut log, Rules::default(), "再次发布"), Ok(vec![]));
    let mut stricter = Rules::default();
    stricter.ratio_bp.d = 5000;
    let events = when(&mut log, stricter.clone(), "提高D类比例").unwrap();
    assert!(matches!(
        &events[..],
        [RulesEvent::RulesPublished { version: 2, .. }]
    ));
    let state = given(&log);
    assert_eq!(state.current(), Some((2, &stricter)));
    assert_eq!(state.at_version(1), Some(&Rules::default()));
    assert_eq!(log[1].event_type().unwrap(), "RulesPublished");
    assert!(matches!(
        when(&mut log, Rules::default(), ""),
        Err(RulesError::InvalidReason(_))
    ));
}

#[test]
fn the_risk_class_source_defaults_to_the_directory_and_versions_before_it_still_read() {
    // A version stored before the key existed has no such field.
    let stored = serde_json::to_value(Rules::default()).unwrap();
    assert!(stored.get("risk_class_source").is_none());
    let read: Rules = serde_json::from_value(stored).unwrap();
    assert_eq!(read.risk_class_source, RiskClassSource::Directory);
    let credit = Rules {
        risk_class_source: RiskClassSource::Stricter,
        ..Rules::default()
    };
    let json = serde_json::to_value(&credit).unwrap();
    assert_eq!(json["risk_class_source"], "stricter");
    assert_eq!(serde_json::from_value::<Rules>(json).unwrap(), credit);
    assert!(serde_json::from_value::<Rules>(serde_json::json!({
        "risk_class_source": "credit_class"
    }))
    .is_err());
    // The stricter of the two classes is the later letter.
    let s = RiskClassSource::Stricter;
    assert_eq!(s.class_of(RiskClass::B, RiskClass::D), RiskClass::D);
    assert_eq!(s.class_of(RiskClass::C, RiskClass::A), RiskClass::C);
    assert_eq!(
        RiskClassSource::Credit.class_of(RiskClass::C, RiskClass::A),
        RiskClass::A
    );
    assert_eq!(
        RiskClassSource::Directory.class_of(RiskClass::C, RiskClass::A),
        RiskClass::C
    );
}
