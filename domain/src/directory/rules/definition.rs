//! The implementation rules of random inspection (抽查工作细则) as data: sampling ratios
//! per credit risk class, exclusions, caps, team size, conflict rules and the
//! publication deadline, with the defaults of DOMAIN.md §3.
//!
//! Every number here is a default of a rule, not a constant: a deployment publishes its
//! own version and each draw records the version it used. Validation reports every bad
//! field by its path (e.g. `ratio_bp.D`), so a rejected version can be fixed in one go.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::directory::item::FULL_RATIO_BP;
use crate::directory::subject::{RiskClass, SubjectStatus};

/// One published version of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// 抽查比例 per credit risk class (信用风险分类监管), in basis points, applied per
    /// stratum (region × risk class).
    pub ratio_bp: RatiosByClass,
    /// Who is never drawn.
    pub exclusions: Exclusions,
    /// At most this many random inspections of one subject by one department per year
    /// (complaint- and incident-driven inspections are outside the cap).
    pub frequency_cap_per_year: u32,
    /// At least this many inspectors per team (行政执法不少于两人: never below 2).
    pub min_team_size: u32,
    /// Which derived conflicts exclude an inspector from a subject.
    pub conflicts: ConflictRules,
    /// At most this many subjects per inspector in one task.
    pub workload_cap_per_task: u32,
    /// Results are published within this many working days (一公开).
    pub publication_deadline_working_days: u32,
    /// Where a subject's risk class for the strata comes from (信用风险分类的来源): the
    /// directory's class (the default), the public credit evaluation, or the stricter
    /// of the two. Absent from versions written before it existed, which read as
    /// `directory`.
    #[serde(default, skip_serializing_if = "RiskClassSource::is_directory")]
    pub risk_class_source: RiskClassSource,
}

/// Where the draw takes each subject's risk class from (风险分类来源).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskClassSource {
    /// The class recorded in the subject directory (主体名录的风险分类).
    #[default]
    Directory,
    /// The public credit evaluation (公共信用综合评价, rule `credit-class-v1`) on the
    /// freeze date, from the credit facts known at the freeze.
    Credit,
    /// The stricter (later letter) of the directory's class and the credit class.
    Stricter,
}

impl RiskClassSource {
    /// Every source, in the order of the rules text's documentation.
    pub const ALL: [RiskClassSource; 3] = [
        RiskClassSource::Directory,
        RiskClassSource::Credit,
        RiskClassSource::Stricter,
    ];

    /// The English name used in the rules text and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskClassSource::Directory => "directory",
            RiskClassSource::Credit => "credit",
            RiskClassSource::Stricter => "stricter",
        }
    }

    /// `true` for the default, which the rules text leaves unwritten.
    pub fn is_directory(&self) -> bool {
        *self == RiskClassSource::Directory
    }

    /// The class a subject is drawn in, given its directory class and (for the credit
    /// sources) its credit class.
    pub fn class_of(self, directory: RiskClass, credit: RiskClass) -> RiskClass {
        match self {
            RiskClassSource::Directory => directory,
            RiskClassSource::Credit => credit,
            RiskClassSource::Stricter => directory.max(credit),
        }
    }
}

/// Sampling ratios in basis points for each credit risk class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatiosByClass {
    /// Class A (low risk).
    #[serde(rename = "A")]
    pub a: u32,
    /// Class B.
    #[serde(rename = "B")]
    pub b: u32,
    /// Class C.
    #[serde(rename = "C")]
    pub c: u32,
    /// Class D (high risk).
    #[serde(rename = "D")]
    pub d: u32,
}

impl RatiosByClass {
    /// The ratio of `class`, in basis points.
    pub fn get(&self, class: RiskClass) -> u32 {
        match class {
            RiskClass::A => self.a,
            RiskClass::B => self.b,
            RiskClass::C => self.c,
            RiskClass::D => self.d,
        }
    }
}

/// Subjects never drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusions {
    /// Only subjects with one of these statuses are drawn (default: 存续 only).
    pub eligible_statuses: BTreeSet<SubjectStatus>,
    /// Subjects registered less than this many months before the draw are excluded.
    pub min_months_since_registration: u32,
    /// Subjects randomly inspected by the same department within this many months are
    /// excluded.
    pub same_department_within_months: u32,
}

/// Conflicts derived from the directories. A declared relationship (利害关系) always
/// excludes the inspector from that subject; there is no switch for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictRules {
    /// Exclude inspectors whose patrol areas contain the subject's region.
    pub exclude_patrol_area: bool,
    /// Exclude the inspector who inspected the same subject in the previous draw.
    pub exclude_previous_inspector: bool,
}

impl ConflictRules {
    /// Declared relationships always exclude: `true`, whatever the version says.
    pub fn exclude_declared_relationships(&self) -> bool {
        true
    }
}

impl Default for Rules {
    /// The defaults of DOMAIN.md §3: A 3%, B 5%, C 10%, D 30%; only 存续; at least 6
    /// months since registration; not inspected by the same department within 12 months;
    /// once per subject per department per year; teams of at least 2; patrol-area and
    /// previous-inspector conflicts excluded; 20 subjects per inspector per task; results
    /// published within 20 working days.
    fn default() -> Self {
        Rules {
            ratio_bp: RatiosByClass {
                a: 300,
                b: 500,
                c: 1000,
                d: 3000,
            },
            exclusions: Exclusions {
                eligible_statuses: BTreeSet::from([SubjectStatus::Active]),
                min_months_since_registration: 6,
                same_department_within_months: 12,
            },
            frequency_cap_per_year: 1,
            min_team_size: 2,
            conflicts: ConflictRules {
                exclude_patrol_area: true,
                exclude_previous_inspector: true,
            },
            workload_cap_per_task: 20,
            publication_deadline_working_days: 20,
            risk_class_source: RiskClassSource::Directory,
        }
    }
}

/// One bad field of a rules version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleViolation {
    /// The field's path, e.g. `ratio_bp.D` or `exclusions.eligible_statuses`.
    pub path: String,
    /// The value found, as text.
    pub value: String,
    /// What is allowed.
    pub expected: String,
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}, expected {}",
            self.path, self.value, self.expected
        )
    }
}

impl Rules {
    /// Checks every field and returns every violation: ratios 0..=10000 bp, at least one
    /// eligible status, months 0..=120, frequency cap 1..=12, team size 2..=20, workload
    /// cap 1..=1000, publication deadline 1..=60 working days.
    pub fn validate(&self) -> Result<(), Vec<RuleViolation>> {
        let range = |path: &str, value: u32, low: u32, high: u32| {
            (!(low..=high).contains(&value)).then(|| RuleViolation {
                path: path.to_owned(),
                value: value.to_string(),
                expected: format!("an integer from {low} to {high}"),
            })
        };
        let ex = &self.exclusions;
        let no_status = ex.eligible_statuses.is_empty().then(|| RuleViolation {
            path: "exclusions.eligible_statuses".into(),
            value: "[]".into(),
            expected: format!("at least one of {}", SubjectStatus::accepted()),
        });
        let mut bad: Vec<RuleViolation> = RiskClass::ALL
            .iter()
            .filter_map(|class| {
                let path = format!("ratio_bp.{}", class.as_str());
                range(&path, self.ratio_bp.get(*class), 0, FULL_RATIO_BP)
            })
            .collect();
        bad.extend(
            [
                no_status,
                range(
                    "exclusions.min_months_since_registration",
                    ex.min_months_since_registration,
                    0,
                    120,
                ),
                range(
                    "exclusions.same_department_within_months",
                    ex.same_department_within_months,
                    0,
                    120,
                ),
                range("frequency_cap_per_year", self.frequency_cap_per_year, 1, 12),
                range("min_team_size", self.min_team_size, 2, 20),
                range("workload_cap_per_task", self.workload_cap_per_task, 1, 1000),
                range(
                    "publication_deadline_working_days",
                    self.publication_deadline_working_days,
                    1,
                    60,
                ),
            ]
            .into_iter()
            .flatten(),
        );
        if bad.is_empty() {
            Ok(())
        } else {
            Err(bad)
        }
    }
}
