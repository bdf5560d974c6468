//! What a result says: category, method, findings per item and department, evidence by
//! content hash, the members present, the date and the follow-up. Validated as a whole,
//! every problem listed, before the aggregate looks at who records it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::directory::{check_text, DepartmentCode, InspectorId, ItemCode};

use super::values::{FollowUp, Method, PendingKind, ResultCategory};

/// The longest finding text, in characters.
pub const FINDING_MAX_CHARS: usize = 2000;

/// A finding on one item (分事项检查情况); a joint visit records each department's
/// findings on its own items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The item (one of the task's).
    pub item: ItemCode,
    /// The department whose item it is.
    pub department: DepartmentCode,
    /// What was found.
    pub text: String,
}

/// A piece of evidence by its SHA-256: the file may live elsewhere, its hash is here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// A name for people (file name, photo caption).
    pub name: String,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

/// The content of a result (or of its correction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultContent {
    /// The standard category.
    pub category: ResultCategory,
    /// With `pending_follow_up`: what is pending (at least one); empty otherwise.
    #[serde(default)]
    pub pending: BTreeSet<PendingKind>,
    /// How it was checked.
    pub method: Method,
    /// Findings per item.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Evidence by content hash.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// The team members present: at least 2, all on the subject's team.
    pub members: BTreeSet<InspectorId>,
    /// The day of the visit.
    pub inspection_date: NaiveDate,
    /// What happens next.
    pub follow_up: FollowUp,
    /// With `notify_department`: the department notified.
    #[serde(default)]
    pub notify: Option<DepartmentCode>,
}

impl ResultContent {
    /// Every problem of the content on its own, as `(field, what)` pairs.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let pending_needed = self.category == ResultCategory::PendingFollowUp;
        if pending_needed && self.pending.is_empty() {
            out.push((
                "pending".into(),
                "a pending_follow_up result names at least one pending kind".into(),
            ));
        }
        if !pending_needed && !self.pending.is_empty() {
            out.push((
                "pending".into(),
                format!(
                    "pending kinds are only for pending_follow_up, not {}",
                    self.category
                ),
            ));
        }
        if self.members.len() < 2 {
            out.push((
                "members".into(),
                format!(
                    "at least 2 members must be present (行政执法不少于两人); found {}",
                    self.members.len()
                ),
            ));
        }
        for (i, f) in self.findings.iter().enumerate() {
            if let Err(e) = check_text(&f.text, FINDING_MAX_CHARS) {
                out.push((format!("findings[{i}].text"), e.to_string()));
            }
        }
        for (i, e) in self.evidence.iter().enumerate() {
            let hex_ok = e.sha256.len() == 64
                && e.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex_ok {
                out.push((
                    format!("evidence[{i}].sha256"),
                    format!(
                        "{:?} is not a SHA-256: expected 64 lower-case hex digits",
                        e.sha256
                    ),
                ));
            }
            if let Err(err) = check_text(&e.name, 200) {
                out.push((format!("evidence[{i}].name"), err.to_string()));
            }
        }
        match (self.follow_up, &self.notify) {
            (FollowUp::NotifyDepartment, None) => out.push((
                "notify".into(),
                "notify_department names the department notified".into(),
            )),
            (FollowUp::NotifyDepartment, Some(_)) | (_, None) => {}
            (other, Some(_)) => out.push((
                "notify".into(),
                format!("a department to notify is only for notify_department, not {other}"),
            )),
        }
        out
    }
}
