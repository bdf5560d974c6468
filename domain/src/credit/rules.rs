//! The credit rule version (信用规则版本) and the joint measures catalogue (联合奖惩措施
//! 清单): data, loaded as reference data and recorded in the log, never constants.
//! Each decision names the version (the SHA-256 of the loaded text) it was made under.
//!
//! The rule file is `key = value` lines (`#` comments); every key is required, so a
//! version never silently inherits a default. The catalogue is CSV with the header
//! `list,scenario,effect,measure,legal_basis`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::values::{Effect, ListId};

/// Why a rule file or catalogue was refused: the line, what, what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CreditDataError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

fn bad(line: usize, message: impl Into<String>) -> CreditDataError {
    CreditDataError {
        line,
        message: message.into(),
    }
}

/// The shipped default rule file (`data/credit-rules.txt`).
pub const DEFAULT_RULES_TEXT: &str = include_str!("../../../data/credit-rules.txt");

/// The shipped default catalogue (`data/measures.csv`).
pub const DEFAULT_MEASURES_CSV: &str = include_str!("../../../data/measures.csv");

/// The periods and thresholds of the credit lists (DOMAIN.md §5), in months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRules {
    /// 严重违法失信名单 listing period.
    pub serious_period_months: u32,
    /// Credit repair (信用修复) may be applied for this long after entry.
    pub repair_after_months: u32,
    /// Unremoved this long on the abnormal list → the serious list.
    pub abnormal_escalation_months: u32,
    /// Red-list period.
    pub red_period_months: u32,
    /// Focus-list period.
    pub focus_period_months: u32,
    /// Minimum publicity of an ordinary administrative penalty; then repairable.
    pub penalty_publicity_ordinary_months: u32,
    /// Minimum publicity of a serious administrative penalty; then repairable.
    pub penalty_publicity_serious_months: u32,
}

impl Default for CreditRules {
    fn default() -> Self {
        CreditRules {
            serious_period_months: 36,
            repair_after_months: 12,
            abnormal_escalation_months: 36,
            red_period_months: 36,
            focus_period_months: 12,
            penalty_publicity_ordinary_months: 3,
            penalty_publicity_serious_months: 12,
        }
    }
}

/// The keys of a rule file, in order.
pub const CREDIT_RULE_KEYS: [&str; 7] = [
    "serious_period_months",
    "repair_after_months",
    "abnormal_escalation_months",
    "red_period_months",
    "focus_period_months",
    "penalty_publicity_ordinary_months",
    "penalty_publicity_serious_months",
];

impl CreditRules {
    /// Parses a rule file; every key once, values 1..=1200 months.
    pub fn parse(text: &str) -> Result<CreditRules, CreditDataError> {
        let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
        let pairs = crate::reference_data::key_value_lines(text).map_err(|(l, m)| bad(l, m))?;
        for (line, k, v) in pairs {
            let Some(key) = CREDIT_RULE_KEYS.iter().find(|x| **x == k) else {
                return Err(bad(
                    line,
                    format!(
                        "unknown key {k:?}; expected one of {}",
                        CREDIT_RULE_KEYS.join(", ")
                    ),
                ));
            };
            let n: u32 = v
                .parse()
                .ok()
                .filter(|n| (1..=1200).contains(n))
                .ok_or_else(|| bad(line, format!("{k}: expected months 1..=1200, found {v:?}")))?;
            if seen.insert(key, n).is_some() {
                return Err(bad(line, format!("{k} is given twice")));
            }
        }
        let get = |k: &str| {
            seen.get(k)
                .copied()
                .ok_or_else(|| bad(text.lines().count().max(1), format!("{k} is missing")))
        };
        Ok(CreditRules {
            serious_period_months: get("serious_period_months")?,
            repair_after_months: get("repair_after_months")?,
            abnormal_escalation_months: get("abnormal_escalation_months")?,
            red_period_months: get("red_period_months")?,
            focus_period_months: get("focus_period_months")?,
            penalty_publicity_ordinary_months: get("penalty_publicity_ordinary_months")?,
            penalty_publicity_serious_months: get("penalty_publicity_serious_months")?,
        })
    }

    /// The minimum publicity period of a penalty of `severity`.
    pub fn publicity_months(&self, severity: super::values::PenaltySeverity) -> u32 {
        match severity {
            super::values::PenaltySeverity::Ordinary => self.penalty_publicity_ordinary_months,
            super::values::PenaltySeverity::Serious => self.penalty_publicity_serious_months,
        }
    }

    /// The listing period of `list`, if it has one (the abnormal list has none: it ends
    /// on correction or escalates).
    pub fn period_months(&self, list: ListId) -> Option<u32> {
        match list {
            ListId::Abnormal => None,
            ListId::Serious => Some(self.serious_period_months),
            ListId::Red => Some(self.red_period_months),
            ListId::Focus => Some(self.focus_period_months),
        }
    }
}

/// One measure of the catalogue: on `list`, in `scenario`, `effect`, under `legal_basis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    /// The list.
    pub list: ListId,
    /// The scenario id.
    pub scenario: String,
    /// Restricted or rewarded.
    pub effect: Effect,
    /// What applies (e.g. 禁止参加政府采购活动).
    pub measure: String,
    /// The legal basis.
    pub legal_basis: String,
}

/// The joint measures catalogue: one measure per (list, scenario) at most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeasuresCatalogue {
    measures: BTreeMap<(ListId, String), Measure>,
}

/// A scenario id: lower-case ASCII letters, digits and `_`, starting with a letter,
/// at most 64 characters (e.g. `government_procurement`).
pub fn valid_scenario(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl MeasuresCatalogue {
    /// Parses the catalogue CSV (`list,scenario,effect,measure,legal_basis`).
    pub fn parse(text: &str) -> Result<MeasuresCatalogue, CreditDataError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        match lines.next() {
            Some((_, h)) if h.trim() == "list,scenario,effect,measure,legal_basis" => {}
            Some((i, h)) => {
                return Err(bad(
                    i + 1,
                    format!("header is {h:?}; expected list,scenario,effect,measure,legal_basis"),
                ))
            }
            None => {
                return Err(bad(
                    1,
                    "the catalogue is empty; expected a header and measures",
                ))
            }
        }
        let mut measures = BTreeMap::new();
        for (i, l) in lines {
            let line = i + 1;
            let cols: Vec<&str> = l.splitn(5, ',').map(str::trim).collect();
            let [list, scenario, effect, measure, legal_basis] = cols[..] else {
                return Err(bad(
                    line,
                    format!("expected 5 columns, found {}", cols.len()),
                ));
            };
            let list = ListId::parse(list).map_err(|e| bad(line, e.to_string()))?;
            if !valid_scenario(scenario) {
                return Err(bad(
                    line,
                    format!("scenario {scenario:?}: expected lower-case letters, digits and _"),
                ));
            }
            let effect = Effect::parse(effect).map_err(|e| bad(line, e.to_string()))?;
            if measure.is_empty() || legal_basis.is_empty() {
                return Err(bad(line, "measure and legal_basis must not be empty"));
            }
            let key = (list, scenario.to_string());
            if measures.contains_key(&key) {
                return Err(bad(
                    line,
                    format!("list {} scenario {scenario} is given twice", list.as_str()),
                ));
            }
            measures.insert(
                key,
                Measure {
                    list,
                    scenario: scenario.to_string(),
                    effect,
                    measure: measure.to_string(),
                    legal_basis: legal_basis.to_string(),
                },
            );
        }
        if measures.is_empty() {
            return Err(bad(1, "the catalogue has no measures"));
        }
        Ok(MeasuresCatalogue { measures })
    }

    /// The measure on `list` in `scenario`, if any.
    pub fn measure(&self, list: ListId, scenario: &str) -> Option<&Measure> {
        self.measures.get(&(list, scenario.to_string()))
    }

    /// Every scenario the catalogue names.
    pub fn scenarios(&self) -> Vec<String> {
        let mut s: Vec<String> = self.measures.keys().map(|(_, s)| s.clone()).collect();
        s.sort();
        s.dedup();
        s
    }

    /// Number of measures.
    pub fn len(&self) -> usize {
        self.measures.len()
    }

    /// True when empty (never, for a parsed catalogue).
    pub fn is_empty(&self) -> bool {
        self.measures.is_empty()
    }
}
