//! Strata and quotas (docs/DRAW.md §7): subjects are drawn per stratum, region × credit
//! risk class, with the class's ratio and a published rounding rule.
//!
//! The rule is `ceil(n × ratio_bp / 10000)` in integers: never below the published
//! ratio in any stratum (抽查比例不低于…), at least 1 in a non-empty stratum with a
//! non-zero ratio, and at most `n`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::directory::{RiskClass, SubjectRecord};
use crate::identifiers::RegionCode;

/// 100% in basis points.
const FULL_BP: u128 = 10_000;

/// The number of subjects drawn from a stratum of `n` with ratio `ratio_bp`:
/// `min(n, (n × ratio_bp + 9999) div 10000)`, in exact integer arithmetic (a ratio
/// above 10000 bp is capped at `n`).
pub fn quota(n: usize, ratio_bp: u32) -> usize {
    let k = (n as u128 * u128::from(ratio_bp)).div_ceil(FULL_BP);
    usize::try_from(k).map_or(n, |k| k.min(n))
}

/// A stratum: one region and one credit risk class. Orders by region code (its six
/// ASCII digits), then class A < B < C < D, which is the order strata are processed and
/// published in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StratumKey {
    /// 所属区域 of the subjects.
    pub region: RegionCode,
    /// 信用风险分类 of the subjects.
    pub risk_class: RiskClass,
}

impl StratumKey {
    /// The keystream label of the stratum's subject draw: `subjects/<region>/<class>`.
    pub fn label(&self) -> String {
        format!(
            "subjects/{}/{}",
            self.region.as_str(),
            self.risk_class.as_str()
        )
    }
}

/// The subjects of each stratum, strata in processing order, subjects in the order
/// given (the draw gives the pool's published order, ascending USCC).
pub fn strata<'a>(
    subjects: impl IntoIterator<Item = &'a SubjectRecord>,
) -> BTreeMap<StratumKey, Vec<&'a SubjectRecord>> {
    let mut map: BTreeMap<StratumKey, Vec<&SubjectRecord>> = BTreeMap::new();
    for subject in subjects {
        let key = StratumKey {
            region: subject.region.clone(),
            risk_class: subject.risk_class,
        };
        map.entry(key).or_default().push(subject);
    }
    map
}
