//! Team formation (docs/DRAW.md §8): for each drawn subject, the inspectors who pass every
//! constraint, one drawn per department, then the team filled from the rest.
//!
//! A constraint is never relaxed and a team that cannot be formed is never redrawn with
//! another seed: it is an [`Unstaffable`] naming the subject and the constraint that
//! emptied the set, with the count left after each constraint so the cause is visible.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::directory::{
    DepartmentCode, InspectorId, InspectorRecord, InspectorStatus, Qualification, SubjectRecord,
};
use crate::identifiers::{RegionCode, Uscc};

use super::inputs::FrozenDraw;
use super::sample::fisher_yates;
use super::seed::{Purpose, Seed};

/// A constraint on team members, in the order the draw applies them (the order also
/// decides which one an [`Unstaffable`] names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// The inspector belongs to one of the task's departments (to the one being staffed,
    /// when one inspector per department is drawn).
    Department,
    /// The inspector's status is active (在岗).
    Status,
    /// The enforcement certificate is valid on the inspection date.
    Certificate,
    /// The inspector holds every qualification the task's items require.
    Qualification,
    /// No declared relationship (利害关系) with the subject.
    Relationship,
    /// When the rules say so: no patrol area covering the subject's region.
    PatrolArea,
    /// When the rules say so: not on the subject's team in the previous draw.
    PreviousDraw,
    /// Fewer teams in this task than the rules' workload cap.
    WorkloadCap,
    /// Not already on the subject's team (replacements only).
    OnTeam,
    /// Has not recused themself from the subject (replacements only).
    Recused,
}

impl Constraint {
    /// Every constraint, in the order applied.
    pub const ALL: [Constraint; 10] = [
        Constraint::Department,
        Constraint::Status,
        Constraint::Certificate,
        Constraint::Qualification,
        Constraint::Relationship,
        Constraint::PatrolArea,
        Constraint::PreviousDraw,
        Constraint::WorkloadCap,
        Constraint::OnTeam,
        Constraint::Recused,
    ];

    /// The stable name, e.g. `patrol_area`.
    pub fn as_str(self) -> &'static str {
        match self {
            Constraint::Department => "department",
            Constraint::Status => "status",
            Constraint::Certificate => "certificate",
            Constraint::Qualification => "qualification",
            Constraint::Relationship => "relationship",
            Constraint::PatrolArea => "patrol_area",
            Constraint::PreviousDraw => "previous_draw",
            Constraint::WorkloadCap => "workload_cap",
            Constraint::OnTeam => "on_team",
            Constraint::Recused => "recused",
        }
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The team drawn for one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The subject visited (one visit for all departments: 进一次门、查多项事).
    pub uscc: Uscc,
    /// The inspectors in the order drawn: one per department (departments in ascending
    /// order), then the rest.
    pub members: Vec<InspectorId>,
}

/// A subject whose team cannot be formed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unstaffable {
    /// The subject.
    pub uscc: Uscc,
    /// The department with no one left, or `None` when the team as a whole is short.
    pub department: Option<DepartmentCode>,
    /// The first constraint after which fewer than `needed` inspectors were left.
    pub constraint: Constraint,
    /// How many were needed: 1 for a department, the team size for the whole team.
    pub needed: usize,
    /// The inspectors in the pool before any constraint.
    pub pool: usize,
    /// How many were left after each constraint applied, in order.
    pub funnel: Vec<(Constraint, usize)>,
}

impl fmt::Display for Unstaffable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.department {
            Some(department) => write!(
                f,
                "subject {}: no inspector of department {department} is left",
                self.uscc
            )?,
            None => write!(
                f,
                "subject {}: fewer than {} inspectors are left",
                self.uscc, self.needed
            )?,
        }
        write!(
            f,
            " after constraint '{}' (pool {}",
            self.constraint, self.pool
        )?;
        for (constraint, left) in &self.funnel {
            write!(f, ", {constraint} {left}")?;
        }
        f.write_str(")")
    }
}

/// Inspectors taken out of consideration for a replacement.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Excluded<'b> {
    /// The subject's current team.
    pub members: &'b [InspectorId],
    /// Everyone who recused themself from the subject, this recusal included.
    pub recused: &'b [InspectorId],
}

/// How many teams of this task each inspector is on.
pub(crate) type Workload = BTreeMap<InspectorId, usize>;

/// The workload of `teams`.
pub(crate) fn workload_of(teams: &[Team]) -> Workload {
    let mut load = Workload::new();
    for member in teams.iter().flat_map(|t| &t.members) {
        *load.entry(member.clone()).or_default() += 1;
    }
    load
}

/// What the constraints are checked against, built once per draw.
pub(crate) struct TeamContext<'a> {
    /// The inspector pool in published order (ascending id).
    pub inspectors: Vec<&'a InspectorRecord>,
    departments: &'a BTreeSet<DepartmentCode>,
    qualifications: BTreeSet<&'a Qualification>,
    date: NaiveDate,
    relationships: BTreeSet<(&'a str, &'a str)>,
    previous: BTreeSet<(&'a str, &'a str)>,
    exclude_patrol_area: bool,
    exclude_previous: bool,
    workload_cap: usize,
    /// Inspectors per team.
    pub team_size: usize,
}

impl<'a> TeamContext<'a> {
    pub(crate) fn new(frozen: &'a FrozenDraw) -> TeamContext<'a> {
        let mut inspectors: Vec<&InspectorRecord> = frozen.inspectors.iter().collect();
        inspectors.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        TeamContext {
            inspectors,
            departments: &frozen.task.departments,
            qualifications: frozen
                .task
                .items
                .iter()
                .filter_map(|i| i.qualification.as_ref())
                .collect(),
            date: frozen.task.inspection_date,
            relationships: frozen
                .relationships
                .iter()
                .map(|r| (r.uscc.as_str(), r.inspector.as_str()))
                .collect(),
            previous: frozen
                .previous
                .iter()
                .map(|p| (p.uscc.as_str(), p.inspector.as_str()))
                .collect(),
            exclude_patrol_area: frozen.rules.conflicts.exclude_patrol_area,
            exclude_previous: frozen.rules.conflicts.exclude_previous_inspector,
            workload_cap: usize::try_from(frozen.rules.workload_cap_per_task).unwrap_or(usize::MAX),
            team_size: usize::try_from(frozen.task.team_size).unwrap_or(usize::MAX),
        }
    }

    /// The constraints that apply: the rules' switches, and the replacement-only ones
    /// when there is someone to exclude.
    fn active(&self, excluded: &Excluded<'_>) -> Vec<Constraint> {
        Constraint::ALL
            .into_iter()
            .filter(|c| match c {
                Constraint::PatrolArea => self.exclude_patrol_area,
                Constraint::PreviousDraw => self.exclude_previous,
                Constraint::OnTeam => !excluded.members.is_empty(),
                Constraint::Recused => !excluded.recused.is_empty(),
                _ => true,
            })
            .collect()
    }

    /// Whether `inspector` passes `constraint` for `subject`.
    fn passes(
        &self,
        constraint: Constraint,
        inspector: &InspectorRecord,
        subject: &SubjectRecord,
        load: &Workload,
        excluded: &Excluded<'_>,
    ) -> bool {
        let id = inspector.id.as_str();
        let uscc = subject.uscc.as_str();
        match constraint {
            Constraint::Department => self.departments.contains(&inspector.department),
            Constraint::Status => inspector.status == InspectorStatus::Active,
            Constraint::Certificate => inspector.certificate.valid_on(self.date),
            Constraint::Qualification => self
                .qualifications
                .iter()
                .all(|q| inspector.qualifications.contains(*q)),
            Constraint::Relationship => !self.relationships.contains(&(uscc, id)),
            Constraint::PatrolArea => !inspector
                .patrol_areas
                .iter()
                .any(|area| covers(area, &subject.region)),
            Constraint::PreviousDraw => !self.previous.contains(&(uscc, id)),
            Constraint::WorkloadCap => {
                load.get(&inspector.id).copied().unwrap_or(0) < self.workload_cap
            }
            Constraint::OnTeam => !excluded.members.iter().any(|m| m.as_str() == id),
            Constraint::Recused => !excluded.recused.iter().any(|r| r.as_str() == id),
        }
    }

    /// The inspectors passing every active constraint, in published order.
    pub(crate) fn eligible(
        &self,
        subject: &SubjectRecord,
        load: &Workload,
        excluded: &Excluded<'_>,
    ) -> Vec<&'a InspectorRecord> {
        let active = self.active(excluded);
        self.inspectors
            .iter()
            .copied()
            .filter(|i| {
                active
                    .iter()
                    .all(|c| self.passes(*c, i, subject, load, excluded))
            })
            .collect()
    }

    /// Why fewer than `needed` inspectors (of `department`, if given) are eligible: the
    /// constraints applied one after another to the pool, and the first after which
    /// fewer than `needed` were left.
    pub(crate) fn unstaffable(
        &self,
        subject: &SubjectRecord,
        department: Option<&DepartmentCode>,
        needed: usize,
        load: &Workload,
        excluded: &Excluded<'_>,
    ) -> Unstaffable {
        let mut left: Vec<&InspectorRecord> = self.inspectors.clone();
        let mut funnel = Vec::new();
        for constraint in self.active(excluded) {
            left.retain(|i| {
                let in_department = match (constraint, department) {
                    (Constraint::Department, Some(d)) => &i.department == d,
                    _ => true,
                };
                in_department && self.passes(constraint, i, subject, load, excluded)
            });
            funnel.push((constraint, left.len()));
        }
        let constraint = funnel
            .iter()
            .find(|(_, count)| *count < needed)
            .map_or(Constraint::WorkloadCap, |(c, _)| *c);
        Unstaffable {
            uscc: subject.uscc.clone(),
            department: department.cloned(),
            constraint,
            needed,
            pool: self.inspectors.len(),
            funnel,
        }
    }

    /// Draws the team of `subject` from the stream `team/<uscc>` (docs/DRAW.md §8).
    /// Checks come first and read no word: every department must have an eligible
    /// inspector (departments in ascending order), then at least `team_size` must be
    /// eligible in all.
    pub(crate) fn form_team(
        &self,
        subject: &SubjectRecord,
        load: &Workload,
        seed: &Seed,
    ) -> Result<Team, Box<Unstaffable>> {
        let none = Excluded::default();
        let eligible = self.eligible(subject, load, &none);
        for department in self.departments {
            if !eligible.iter().any(|i| &i.department == department) {
                return Err(Box::new(self.unstaffable(
                    subject,
                    Some(department),
                    1,
                    load,
                    &none,
                )));
            }
        }
        if eligible.len() < self.team_size {
            return Err(Box::new(self.unstaffable(
                subject,
                None,
                self.team_size,
                load,
                &none,
            )));
        }
        let mut stream = seed.stream(&Purpose::Team(&subject.uscc));
        let mut members: Vec<InspectorId> = Vec::with_capacity(self.team_size);
        for department in self.departments {
            let candidates: Vec<&InspectorRecord> = eligible
                .iter()
                .copied()
                .filter(|i| &i.department == department)
                .collect();
            if let Some(index) = stream.index_below(candidates.len()) {
                members.push(candidates[index].id.clone());
            }
        }
        let rest: Vec<&InspectorRecord> = eligible
            .iter()
            .copied()
            .filter(|i| !members.contains(&i.id))
            .collect();
        let needed = self.team_size.saturating_sub(members.len());
        let drawn = fisher_yates(rest, needed, &mut stream);
        members.extend(drawn.into_iter().take(needed).map(|i| i.id.clone()));
        Ok(Team {
            uscc: subject.uscc.clone(),
            members,
        })
    }
}

/// Whether a patrol area covers a region (GB/T 2260 is hierarchical): the same code; a
/// prefecture-level area `XXYY00` covers every `XXYY..`; a province-level area
/// `XX0000` covers every `XX....`.
pub fn covers(area: &RegionCode, region: &RegionCode) -> bool {
    let (a, r) = (area.as_str(), region.as_str());
    if a == r {
        return true;
    }
    if let Some(province) = a.strip_suffix("0000") {
        return r.starts_with(province);
    }
    if let Some(prefecture) = a.strip_suffix("00") {
        return r.starts_with(prefecture);
    }
    false
}
