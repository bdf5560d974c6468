//! Who may be drawn (抽查对象的确定): the task's scope and the rules' exclusions, applied
//! to the directory as of the freeze date, with every excluded subject given its reason.
//!
//! This is where pools are shrunk, so nothing here is discretionary: the scope is what
//! the task published when it was created, the exclusions are the rules version it
//! named, and the history is the recorded random draws of the task's departments. A
//! subject outside the scope is not in the pool at all (the scope is published with the
//! task); a subject inside the scope that the rules keep out is listed in the freeze
//! with the first rule that excluded it, in this order:
//!
//! 1. its status is not among the rules' `eligible_statuses`;
//! 2. it was registered less than `min_months_since_registration` months before the
//!    freeze date;
//! 3. a department of the task randomly inspected it (a draw that stands, of another
//!    task) with an inspection date less than `same_department_within_months` months
//!    before or after this task's inspection date;
//! 4. a department of the task has already drawn it `frequency_cap_per_year` times for
//!    inspection dates in the calendar year of this task's inspection date.
//!
//! Complaint- and incident-driven special inspections are not random draws, so they are
//! never in the history and never count against the cap (DOMAIN.md §3).
//!
//! The function streams: subjects arrive one by one from the directory query and only
//! the eligible ones are kept, so the freeze of a ten-million-subject directory holds
//! the pool, not the directory.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use uuid::Uuid;

use crate::directory::{DepartmentCode, InspectorId, InspectorRecord, Rules, SubjectRecord};
use crate::draw::{PreviousAssignment, Relationship};
use crate::identifiers::{RegionCode, Uscc};

use super::events::{Exclusion, TaskScope};

/// A random inspection on record: a subject in a standing draw of a task, for one of its
/// departments, with the team that was drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastInspection {
    /// The task whose draw it was.
    pub task_id: Uuid,
    /// A department of that task.
    pub department: DepartmentCode,
    /// The subject.
    pub uscc: Uscc,
    /// That task's inspection date.
    pub inspection_date: NaiveDate,
    /// The team (with replacements applied).
    pub members: Vec<InspectorId>,
    /// Ledger position of the draw: later draws have larger positions.
    pub position: u64,
}

/// The random inspections of the directory's subjects, indexed by subject.
#[derive(Debug, Clone, Default)]
pub struct InspectionHistory {
    by_subject: HashMap<Uscc, Vec<PastInspection>>,
}

impl InspectionHistory {
    /// The history from its records (any order).
    pub fn new(records: impl IntoIterator<Item = PastInspection>) -> InspectionHistory {
        let mut by_subject: HashMap<Uscc, Vec<PastInspection>> = HashMap::new();
        for record in records {
            by_subject
                .entry(record.uscc.clone())
                .or_default()
                .push(record);
        }
        for list in by_subject.values_mut() {
            list.sort_by_key(|r| r.position);
        }
        InspectionHistory { by_subject }
    }

    /// The records of `uscc`, oldest draw first.
    pub fn of(&self, uscc: &Uscc) -> &[PastInspection] {
        self.by_subject.get(uscc).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What the freeze is computed for.
#[derive(Debug, Clone, Copy)]
pub struct FreezeBasis<'a> {
    /// The task being frozen: its own earlier draws never exclude anything.
    pub task_id: Uuid,
    /// Its departments.
    pub departments: &'a BTreeSet<DepartmentCode>,
    /// Its scope.
    pub scope: &'a TaskScope,
    /// Its inspection date.
    pub inspection_date: NaiveDate,
    /// The directory date (the freeze's Beijing date).
    pub as_of: NaiveDate,
    /// The rules version it named.
    pub rules: &'a Rules,
}

/// The subject pool and the exclusions of a freeze.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectSelection {
    /// Eligible subjects, in the order they arrived.
    pub pool: Vec<SubjectRecord>,
    /// Excluded subjects with their reasons, sorted by USCC.
    pub excluded: Vec<Exclusion>,
    /// Subjects outside the task's scope (counted, not listed).
    pub out_of_scope: u64,
}

/// Whether `region` is `scope` or lies inside it: a province code (`33 00 00`) covers
/// its prefectures and counties, a prefecture code (`33 01 00`) its counties.
pub fn region_within(region: &RegionCode, scope: &RegionCode) -> bool {
    let s = scope.as_str();
    let prefix = if let Some(p) = s.strip_suffix("0000") {
        p
    } else if let Some(p) = s.strip_suffix("00") {
        p
    } else {
        s
    };
    region.as_str().starts_with(prefix)
}

/// Whether `subject` is inside `scope`: each non-empty filter must match (regions by
/// containment, industries by code prefix, kinds exactly, tags by any shared tag).
pub fn in_scope(subject: &SubjectRecord, scope: &TaskScope) -> bool {
    let region_ok = scope.regions.is_empty()
        || scope
            .regions
            .iter()
            .any(|r| region_within(&subject.region, r));
    let kind_ok = scope.kinds.is_empty() || scope.kinds.contains(&subject.kind);
    let industry_ok = scope.industries.is_empty()
        || scope
            .industries
            .iter()
            .any(|i| subject.industry.as_str().starts_with(i.as_str()));
    let tags_ok = scope.tags.is_empty() || scope.tags.iter().any(|t| subject.tags.contains(t));
    region_ok && kind_ok && industry_ok && tags_ok
}

/// The first rule that keeps `subject` out of the pool, as its published reason.
pub fn exclusion_reason(
    subject: &SubjectRecord,
    basis: &FreezeBasis<'_>,
    history: &InspectionHistory,
) -> Option<String> {
    let exclusions = &basis.rules.exclusions;
    if !exclusions.eligible_statuses.contains(&subject.status) {
        let eligible: Vec<&str> = exclusions
            .eligible_statuses
            .iter()
            .map(|s| s.as_str())
            .collect();
        return Some(format!(
            "status {} is not eligible (eligible: {})",
            subject.status.as_str(),
            eligible.join(", ")
        ));
    }
    let months = exclusions.min_months_since_registration;
    let old_enough = subject
        .registration_date
        .checked_add_months(Months::new(months))
        .is_some_and(|d| d <= basis.as_of);
    if !old_enough {
        return Some(format!(
            "registered on {}, less than {months} months before {}",
            subject.registration_date.format("%Y-%m-%d"),
            basis.as_of.format("%Y-%m-%d")
        ));
    }
    let past: Vec<&PastInspection> = history
        .of(&subject.uscc)
        .iter()
        .filter(|p| p.task_id != basis.task_id && basis.departments.contains(&p.department))
        .collect();
    let window = exclusions.same_department_within_months;
    let date = basis.inspection_date;
    let from = date.checked_sub_months(Months::new(window));
    let to = date.checked_add_months(Months::new(window));
    if window > 0 {
        let recent = past.iter().rev().find(|p| {
            from.is_none_or(|f| p.inspection_date > f) && to.is_none_or(|t| p.inspection_date < t)
        });
        if let Some(p) = recent {
            return Some(format!(
                "randomly inspected by {} on {} (task {}), within {window} months of {}",
                p.department,
                p.inspection_date.format("%Y-%m-%d"),
                p.task_id.hyphenated(),
                date.format("%Y-%m-%d")
            ));
        }
    }
    let cap = basis.rules.frequency_cap_per_year;
    if cap > 0 {
        let mut per_department: BTreeMap<&DepartmentCode, u32> = BTreeMap::new();
        for p in past
            .iter()
            .filter(|p| p.inspection_date.year() == date.year())
        {
            *per_department.entry(&p.department).or_default() += 1;
        }
        if let Some((department, count)) = per_department.into_iter().find(|(_, n)| *n >= cap) {
            return Some(format!(
                "frequency cap: {count} random inspection(s) by {department} in {} (cap {cap} per year)",
                date.year()
            ));
        }
    }
    None
}

impl SubjectSelection {
    /// Sorts one subject of the directory into the pool, the exclusions or out of scope
    /// (for callers that stream the directory).
    pub fn consider(
        &mut self,
        subject: SubjectRecord,
        basis: &FreezeBasis<'_>,
        history: &InspectionHistory,
    ) {
        if !in_scope(&subject, basis.scope) {
            self.out_of_scope += 1;
            return;
        }
        match exclusion_reason(&subject, basis, history) {
            Some(reason) => self.excluded.push(Exclusion {
                uscc: subject.uscc,
                reason,
            }),
            None => self.pool.push(subject),
        }
    }

    /// Done: the exclusions sorted by USCC.
    pub fn finish(mut self) -> SubjectSelection {
        self.excluded
            .sort_by(|a, b| a.uscc.as_str().cmp(b.uscc.as_str()));
        self
    }
}

/// Applies the scope and the exclusions to the directory's subjects as of the freeze.
pub fn select_subjects(
    basis: &FreezeBasis<'_>,
    history: &InspectionHistory,
    subjects: impl IntoIterator<Item = SubjectRecord>,
) -> SubjectSelection {
    let mut selection = SubjectSelection::default();
    for subject in subjects {
        selection.consider(subject, basis, history);
    }
    selection.finish()
}

/// The inspectors that may be drawn: every inspector of the task's departments in the
/// directory as of the freeze, whatever their status or certificate (the draw filters
/// them per subject, so a suspension before the freeze shows in the published pool).
pub fn select_inspectors(
    departments: &BTreeSet<DepartmentCode>,
    inspectors: impl IntoIterator<Item = InspectorRecord>,
) -> Vec<InspectorRecord> {
    inspectors
        .into_iter()
        .filter(|i| departments.contains(&i.department))
        .collect()
}

/// The declared relationships between the pool's inspectors and subjects.
pub fn select_relationships(
    pool: &[SubjectRecord],
    inspectors: &[InspectorRecord],
    declared: impl IntoIterator<Item = Relationship>,
) -> BTreeSet<Relationship> {
    let subjects: BTreeSet<&Uscc> = pool.iter().map(|s| &s.uscc).collect();
    let ids: BTreeSet<&InspectorId> = inspectors.iter().map(|i| &i.id).collect();
    declared
        .into_iter()
        .filter(|r| subjects.contains(&r.uscc) && ids.contains(&r.inspector))
        .collect()
}

/// For each department of the task and each pool subject, the team of that
/// department's latest draw of the subject (another task's standing draw): with the
/// rule `exclude_previous_inspector` none of them is drawn for it again.
pub fn previous_assignments(
    basis: &FreezeBasis<'_>,
    pool: &[SubjectRecord],
    history: &InspectionHistory,
) -> BTreeSet<PreviousAssignment> {
    let mut out = BTreeSet::new();
    for subject in pool {
        for department in basis.departments {
            let latest = history
                .of(&subject.uscc)
                .iter()
                .rev()
                .find(|p| p.task_id != basis.task_id && &p.department == department);
            if let Some(p) = latest {
                for member in &p.members {
                    out.insert(PreviousAssignment {
                        department: department.clone(),
                        uscc: subject.uscc.clone(),
                        inspector: member.clone(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::subject::{RiskClass, SubjectKind, SubjectStatus};
    use crate::directory::IndustryCode;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn uscc(n: u32) -> Uscc {
        crate::draw::fixture::uscc(n)
    }

    fn subject(n: u32, region: &str, status: SubjectStatus, registered: &str) -> SubjectRecord {
        SubjectRecord {
            uscc: uscc(n),
            name: format!("主体{n}"),
            kind: SubjectKind::Enterprise,
            industry: IndustryCode::parse("I6510").unwrap(),
            region: RegionCode::parse(region).unwrap(),
            registration_date: date(registered),
            status,
            risk_class: RiskClass::B,
            tags: BTreeSet::new(),
        }
    }

    fn dept(code: &str) -> DepartmentCode {
        DepartmentCode::parse(code).unwrap()
    }

    struct Case {
        departments: BTreeSet<DepartmentCode>,
        scope: TaskScope,
        rules: Rules,
        task: Uuid,
    }

    impl Case {
        fn new() -> Case {
            Case {
                departments: [dept("330100-SCJG")].into(),
                scope: TaskScope::default(),
                rules: Rules::default(),
                task: Uuid::from_u128(7),
            }
        }

        fn basis(&self) -> FreezeBasis<'_> {
            FreezeBasis {
                task_id: self.task,
                departments: &self.departments,
                scope: &self.scope,
                inspection_date: date("2026-12-10"),
                as_of: date("2026-11-23"),
                rules: &self.rules,
            }
        }
    }

    fn past(n: u32, department: &str, on: &str, task: u128, position: u64) -> PastInspection {
        PastInspection {
            task_id: Uuid::from_u128(task),
            department: dept(department),
            uscc: uscc(n),
            inspection_date: date(on),
            members: vec![InspectorId::parse(&format!("I-{position}")).unwrap()],
            position,
        }
    }

    #[test]
    fn each_rule_excludes_with_its_reason_and_the_rest_stay() {
        let case = Case::new();
        let history = InspectionHistory::new([
            past(3, "330100-SCJG", "2026-03-01", 1, 10),
            past(4, "330100-SW", "2026-03-01", 1, 11),
            past(5, "330100-SCJG", "2025-11-01", 2, 12),
            past(6, "330100-SCJG", "2026-12-10", 7, 13),
        ]);
        let subjects = vec![
            subject(1, "330102", SubjectStatus::Revoked, "2019-01-01"),
            subject(2, "330102", SubjectStatus::Active, "2026-07-01"),
            subject(3, "330102", SubjectStatus::Active, "2019-01-01"),
            subject(4, "330102", SubjectStatus::Active, "2019-01-01"),
            subject(5, "330102", SubjectStatus::Active, "2019-01-01"),
            subject(6, "330102", SubjectStatus::Active, "2019-01-01"),
            subject(7, "330102", SubjectStatus::Active, "2026-05-23"),
        ];
        let s = select_subjects(&case.basis(), &history, subjects);
        let pool: Vec<_> = s.pool.iter().map(|s| s.uscc.clone()).collect();
        // 4: another department; 5: 13 months before; 6: this task's own earlier draw;
        // 7: registered exactly 6 months before the freeze
        assert_eq!(pool, vec![uscc(4), uscc(5), uscc(6), uscc(7)]);
        let reasons: Vec<_> = s.excluded.iter().map(|e| e.reason.as_str()).collect();
        assert!(
            reasons[0].starts_with("status revoked is not eligible"),
            "{reasons:?}"
        );
        assert!(reasons[1].starts_with("registered on 2026-07-01, less than 6 months"));
        assert!(reasons[2].starts_with("randomly inspected by 330100-SCJG on 2026-03-01"));
        assert_eq!(s.excluded.len(), 3);
    }

    #[test]
    fn the_frequency_cap_counts_draws_in_the_calendar_year() {
        let mut case = Case::new();
        case.rules.exclusions.same_department_within_months = 0;
        case.rules.frequency_cap_per_year = 2;
        let history = InspectionHistory::new([
            past(1, "330100-SCJG", "2026-01-05", 1, 1),
            past(1, "330100-SCJG", "2026-06-05", 2, 2),
            past(2, "330100-SCJG", "2026-06-05", 2, 3),
            past(2, "330100-SCJG", "2025-06-05", 3, 4),
        ]);
        let subjects = vec![
            subject(1, "330102", SubjectStatus::Active, "2019-01-01"),
            subject(2, "330102", SubjectStatus::Active, "2019-01-01"),
        ];
        let s = select_subjects(&case.basis(), &history, subjects);
        assert_eq!(s.pool.len(), 1);
        assert_eq!(s.excluded[0].uscc, uscc(1));
        assert!(s.excluded[0]
            .reason
            .starts_with("frequency cap: 2 random inspection(s)"));
    }

    #[test]
    fn the_scope_filters_without_listing() {
        let mut case = Case::new();
        case.scope.regions = [RegionCode::parse("330100").unwrap()].into();
        let subjects = vec![
            subject(1, "330102", SubjectStatus::Active, "2019-01-01"),
            subject(2, "330203", SubjectStatus::Active, "2019-01-01"),
            subject(3, "330203", SubjectStatus::Revoked, "2019-01-01"),
        ];
        let s = select_subjects(&case.basis(), &InspectionHistory::default(), subjects);
        assert_eq!(s.pool.len(), 1);
        assert_eq!(s.out_of_scope, 2);
        assert!(s.excluded.is_empty());
        let province = RegionCode::parse("330000").unwrap();
        assert!(region_within(
            &RegionCode::parse("330203").unwrap(),
            &province
        ));
        assert!(!region_within(
            &RegionCode::parse("320203").unwrap(),
            &province
        ));
    }

    #[test]
    fn previous_teams_come_from_the_latest_draw_per_department() {
        let case = Case::new();
        let history = InspectionHistory::new([
            past(1, "330100-SCJG", "2025-01-05", 1, 5),
            past(1, "330100-SCJG", "2025-06-05", 2, 9),
            past(1, "330100-SW", "2025-07-05", 3, 12),
        ]);
        let pool = vec![subject(1, "330102", SubjectStatus::Active, "2019-01-01")];
        let previous = previous_assignments(&case.basis(), &pool, &history);
        let ids: Vec<_> = previous.iter().map(|p| p.inspector.as_str()).collect();
        assert_eq!(ids, vec!["I-9"]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const STATUSES: [SubjectStatus; 4] = [
            SubjectStatus::Active,
            SubjectStatus::Revoked,
            SubjectStatus::Cancelled,
            SubjectStatus::MovedOut,
        ];
        const REGIONS: [&str; 3] = ["330102", "330106", "330203"];
        const DEPARTMENTS: [&str; 2] = ["330100-SCJG", "330100-SW"];

        proptest! {
            /// Every subject lands in exactly one of pool, exclusions (with a reason that
            /// the rules give) or out of scope; the pool holds no subject the rules
            /// exclude; the exclusions are sorted and unique.
            #[test]
            fn every_subject_is_accounted_for_once(
                subjects in prop::collection::vec(
                    (0usize..4, 0u32..24, 0usize..3, prop::collection::vec((0usize..2, 0u32..30, any::<bool>()), 0..3)),
                    0..40,
                ),
                scoped in any::<bool>(),
            ) {
                let mut case = Case::new();
                if scoped {
                    case.scope.regions = [RegionCode::parse("330100").unwrap()].into();
                }
                let mut records = vec![];
                let mut past = vec![];
                for (n, (status, months_ago, region, history)) in subjects.iter().enumerate() {
                    let n = n as u32 + 1;
                    let registered = date("2026-11-23")
                        .checked_sub_months(Months::new(*months_ago))
                        .unwrap();
                    let mut s = subject(n, REGIONS[*region], STATUSES[*status], "2019-01-01");
                    s.registration_date = registered;
                    records.push(s);
                    for (k, (dept, months_before, own)) in history.iter().enumerate() {
                        let on = date("2026-12-10")
                            .checked_sub_months(Months::new(*months_before))
                            .unwrap();
                        let task = if *own { 7 } else { 100 + n as u128 };
                        past.push(PastInspection {
                            position: u64::from(n) * 10 + k as u64,
                            ..super::past(n, DEPARTMENTS[*dept], &on.format("%Y-%m-%d").to_string(), task, 0)
                        });
                    }
                }
                let history = InspectionHistory::new(past);
                let s = select_subjects(&case.basis(), &history, records.clone());
                let total = s.pool.len() + s.excluded.len() + s.out_of_scope as usize;
                prop_assert_eq!(total, records.len());
                for subject in &s.pool {
                    prop_assert!(in_scope(subject, &case.scope));
                    prop_assert!(exclusion_reason(subject, &case.basis(), &history).is_none());
                    prop_assert_eq!(subject.status, SubjectStatus::Active);
                }
                for pair in s.excluded.windows(2) {
                    prop_assert!(pair[0].uscc.as_str() < pair[1].uscc.as_str());
                }
                for e in &s.excluded {
                    let record = records.iter().find(|r| r.uscc == e.uscc).unwrap();
                    let reason = exclusion_reason(record, &case.basis(), &history);
                    prop_assert_eq!(reason.as_deref(), Some(e.reason.as_str()));
                }
            }
        }
    }
}
