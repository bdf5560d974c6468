//! The case rule version (办案规则版本): deadlines and discretion benchmarks (裁量基准)
//! as data. A case records the whole rule version it was opened under, so a later rule
//! change never moves a deadline already running and a replay shows the rules it was
//! judged by. The file format is documented in docs/CASES.md.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkingCalendar;

/// The largest rule file accepted, in bytes.
pub const RULES_MAX_BYTES: usize = 256 * 1024;

/// How a deadline counts its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// Working days on the official calendar (工作日).
    Working,
    /// Calendar days (自然日).
    Calendar,
}

/// One deadline of the rules (期限).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    /// How many days.
    pub days: u32,
    /// Working or calendar days.
    pub unit: DayUnit,
    /// Days added by an approved extension (延期); 0: not extendable.
    #[serde(default)]
    pub extension_days: u32,
}

impl DeadlineRule {
    /// `from` plus the rule's days (plus the extension when `extended`).
    pub fn due(
        &self,
        calendar: &WorkingCalendar,
        from: NaiveDate,
        extended: bool,
    ) -> Result<NaiveDate, String> {
        let n = self.days + if extended { self.extension_days } else { 0 };
        match self.unit {
            DayUnit::Working => calendar
                .add_working_days(from, n)
                .map_err(|e| e.to_string()),
            DayUnit::Calendar => from
                .checked_add_days(Days::new(u64::from(n)))
                .ok_or_else(|| format!("{n} days after {from} is out of range")),
        }
    }
}

/// The four deadlines of a case (办案期限).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseDeadlines {
    /// Filing (立案) counted from the day the clue was received.
    pub filing: DeadlineRule,
    /// The party's hearing request (听证申请) counted from the notice.
    pub hearing_request: DeadlineRule,
    /// The decision (决定) counted from filing.
    pub decision: DeadlineRule,
    /// Service (送达) counted from the decision.
    pub service: DeadlineRule,
}

/// The tier of a violation (裁量阶次).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Minor (轻微): may go unpunished the first time (首违不罚).
    Minor,
    /// Ordinary (一般).
    Ordinary,
    /// Serious (严重): always a major decision needing legal review.
    Serious,
}

impl Tier {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Minor => "minor",
            Tier::Ordinary => "ordinary",
            Tier::Serious => "serious",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A penalty range in whole yuan, both ends included (罚款幅度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyRange {
    /// Lowest amount.
    pub min_yuan: u64,
    /// Highest amount.
    pub max_yuan: u64,
}

impl PenaltyRange {
    /// Whether `amount` lies in the range.
    pub fn contains(&self, amount: u64) -> bool {
        (self.min_yuan..=self.max_yuan).contains(&amount)
    }
}

/// A violation's discretion benchmark (裁量基准): its tiers and their ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    /// A name for people (违法行为).
    pub name: String,
    /// The range of each tier.
    pub tiers: BTreeMap<Tier, PenaltyRange>,
}

/// A rule version for cases (办案规则): deadlines, what makes a decision major, and the
/// discretion benchmarks per violation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRules {
    /// The version name, shown in every replayed step.
    pub version: String,
    /// The deadlines.
    pub deadlines: CaseDeadlines,
    /// A penalty of at least this many yuan is a major decision (重大执法决定).
    pub major_penalty_yuan: u64,
    /// Benchmarks by violation code.
    pub violations: BTreeMap<String, Benchmark>,
}

/// The built-in rule version (DOMAIN.md §6), `data/case-rules-default.json` in the docs.
pub const DEFAULT_RULES_JSON: &str = include_str!("default_rules.json");

impl CaseRules {
    /// Parses and checks a rule file: every problem as `(field path, what)`.
    pub fn parse(text: &str) -> Result<CaseRules, (String, String)> {
        if text.len() > RULES_MAX_BYTES {
            return Err((
                "rules".into(),
                format!("{} bytes; at most {RULES_MAX_BYTES}", text.len()),
            ));
        }
        let rules: CaseRules = serde_json::from_str(text).map_err(|e| {
            (
                format!("line {}, column {}", e.line(), e.column()),
                format!("not a case rule file: {e}"),
            )
        })?;
        if rules.version.trim().is_empty() {
            return Err(("version".into(), "the version needs a name".into()));
        }
        for (code, b) in &rules.violations {
            if b.tiers.is_empty() {
                return Err((
                    format!("violations.{code}.tiers"),
                    "at least one tier".into(),
                ));
            }
            for (tier, r) in &b.tiers {
                if r.min_yuan > r.max_yuan {
                    return Err((
                        format!("violations.{code}.tiers.{tier}"),
                        format!("min_yuan {} exceeds max_yuan {}", r.min_yuan, r.max_yuan),
                    ));
                }
            }
        }
        Ok(rules)
    }

    /// The built-in rules.
    #[allow(clippy::expect_used)]
    pub fn default_rules() -> CaseRules {
        // fixed at compile time and checked by a unit test: no input reaches this
        CaseRules::parse(DEFAULT_RULES_JSON).expect("embedded case rules are valid")
    }

    /// The range of `violation` at `tier`, if the rules have it.
    pub fn range(&self, violation: &str, tier: Tier) -> Option<PenaltyRange> {
        self.violations
            .get(violation)
            .and_then(|b| b.tiers.get(&tier))
            .copied()
    }
}
