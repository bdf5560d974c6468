//! The canonical encodings of what a draw is run on (docs/DRAW.md §2): the subject and
//! inspector pools, the conflicts and the rules, each as UTF-8 text with a fixed header
//! and order, and their SHA-256 digests.
//!
//! These texts are what is published at the freeze. Their digests enter the seed, so
//! anyone holding the published files can check they are the ones drawn from, and any
//! change to a pool after the randomness is known changes every result.

use sha2::{Digest, Sha256};

use crate::directory::{
    ConflictRules, Exclusions, InspectorRecord, RatiosByClass, Rules, SubjectRecord,
};

use super::inputs::{FrozenDraw, PreviousAssignment, Relationship};

/// Header line of the subject pool.
pub const SUBJECTS_HEADER: &str =
    "uscc,name,kind,industry,region,registration_date,status,risk_class,tags";
/// Header line of the inspector pool.
pub const INSPECTORS_HEADER: &str = "id,name,department,patrol_areas,certificate_number,\
certificate_issued_on,certificate_expires_on,qualifications,expert,status";
/// Header line of the declared relationships.
pub const RELATIONSHIPS_HEADER: &str = "uscc,inspector_id";
/// Header line of the previous draw's teams.
pub const PREVIOUS_HEADER: &str = "department,uscc,inspector_id";
/// First line of the rules text.
pub const RULES_MAGIC: &str = "jianxin-rules-v1";

/// The SHA-256 digests of the frozen texts, published with the pools and written into
/// the seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDigests {
    /// Of [`subjects_csv`].
    pub subjects: [u8; 32],
    /// Of [`inspectors_csv`].
    pub inspectors: [u8; 32],
    /// Of [`relationships_csv`].
    pub relationships: [u8; 32],
    /// Of [`previous_csv`].
    pub previous: [u8; 32],
    /// Of [`rules_text`].
    pub rules: [u8; 32],
}

impl PoolDigests {
    /// The digests of everything frozen in `frozen`.
    pub fn of(frozen: &FrozenDraw) -> PoolDigests {
        let relationships: Vec<&Relationship> = frozen.relationships.iter().collect();
        let previous: Vec<&PreviousAssignment> = frozen.previous.iter().collect();
        PoolDigests {
            subjects: sha256(subjects_csv(&frozen.subjects).as_bytes()),
            inspectors: sha256(inspectors_csv(&frozen.inspectors).as_bytes()),
            relationships: sha256(relationships_csv(&relationships).as_bytes()),
            previous: sha256(previous_csv(&previous).as_bytes()),
            rules: sha256(rules_text(&frozen.rules).as_bytes()),
        }
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A CSV field: written between double quotes, with `"` doubled, when it holds `,`,
/// `"`, CR or LF; as is otherwise.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A list in one CSV field: elements in the order given (callers give them sorted by
/// their UTF-8 bytes), each with `\` written `\\` and `;` written `\;`, joined by `;`,
/// then [`csv_field`]. The empty list is the empty field.
pub fn csv_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let joined = items
        .into_iter()
        .map(|item| item.replace('\\', "\\\\").replace(';', "\\;"))
        .collect::<Vec<_>>()
        .join(";");
    csv_field(&joined)
}

/// Appends one CSV line (fields already encoded) and its LF.
fn push_line(out: &mut String, fields: &[String]) {
    out.push_str(&fields.join(","));
    out.push('\n');
}

/// The subject pool: the header, then one line per subject in ascending USCC order.
pub fn subjects_csv(subjects: &[SubjectRecord]) -> String {
    let mut sorted: Vec<&SubjectRecord> = subjects.iter().collect();
    sorted.sort_by(|a, b| a.uscc.as_str().cmp(b.uscc.as_str()));
    let mut out = format!("{SUBJECTS_HEADER}\n");
    for s in sorted {
        push_line(
            &mut out,
            &[
                csv_field(s.uscc.as_str()),
                csv_field(&s.name),
                csv_field(s.kind.as_str()),
                csv_field(s.industry.as_str()),
                csv_field(s.region.as_str()),
                s.registration_date.format("%Y-%m-%d").to_string(),
                csv_field(s.status.as_str()),
                csv_field(s.risk_class.as_str()),
                csv_list(s.tags.iter().map(|t| t.as_str())),
            ],
        );
    }
    out
}

/// The inspector pool: the header, then one line per inspector in ascending id order
/// (ids compared as byte strings).
pub fn inspectors_csv(inspectors: &[InspectorRecord]) -> String {
    let mut sorted: Vec<&InspectorRecord> = inspectors.iter().collect();
    sorted.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let mut out = format!("{INSPECTORS_HEADER}\n");
    for i in sorted {
        push_line(
            &mut out,
            &[
                csv_field(i.id.as_str()),
                csv_field(&i.name),
                csv_field(i.department.as_str()),
                csv_list(i.patrol_areas.iter().map(|r| r.as_str())),
                csv_field(&i.certificate.number),
                i.certificate.issued_on.format("%Y-%m-%d").to_string(),
                i.certificate.expires_on.format("%Y-%m-%d").to_string(),
                csv_list(i.qualifications.iter().map(|q| q.as_str())),
                i.expert.to_string(),
                csv_field(i.status.as_str()),
            ],
        );
    }
    out
}

/// The declared relationships: the header, then one line per distinct pair, ordered by
/// USCC, then inspector id.
pub fn relationships_csv(relationships: &[&Relationship]) -> String {
    let mut pairs: Vec<(&str, &str)> = relationships
        .iter()
        .map(|r| (r.uscc.as_str(), r.inspector.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = format!("{RELATIONSHIPS_HEADER}\n");
    for (uscc, inspector) in pairs {
        push_line(&mut out, &[csv_field(uscc), csv_field(inspector)]);
    }
    out
}

/// The previous draw's teams: the header, then one line per distinct triple, ordered by
/// department, then USCC, then inspector id.
pub fn previous_csv(previous: &[&PreviousAssignment]) -> String {
    let mut triples: Vec<(&str, &str, &str)> = previous
        .iter()
        .map(|p| (p.department.as_str(), p.uscc.as_str(), p.inspector.as_str()))
        .collect();
    triples.sort_unstable();
    triples.dedup();
    let mut out = format!("{PREVIOUS_HEADER}\n");
    for (department, uscc, inspector) in triples {
        push_line(
            &mut out,
            &[csv_field(department), csv_field(uscc), csv_field(inspector)],
        );
    }
    out
}

/// The rules as fixed `key=value` lines after [`RULES_MAGIC`] (docs/DRAW.md §2.5).
pub fn rules_text(rules: &Rules) -> String {
    // Destructured in full so that a new field of `Rules` fails to compile here until
    // the encoding (and docs/DRAW.md) say how it is written.
    let Rules {
        ratio_bp: RatiosByClass { a, b, c, d },
        exclusions:
            Exclusions {
                eligible_statuses,
                min_months_since_registration,
                same_department_within_months,
            },
        frequency_cap_per_year,
        min_team_size,
        conflicts:
            ConflictRules {
                exclude_patrol_area,
                exclude_previous_inspector,
            },
        workload_cap_per_task,
        publication_deadline_working_days,
        risk_class_source,
    } = rules;
    let mut statuses: Vec<&str> = eligible_statuses.iter().map(|s| s.as_str()).collect();
    statuses.sort_unstable();
    let lines = [
        RULES_MAGIC.to_owned(),
        format!("ratio_bp.A={a}"),
        format!("ratio_bp.B={b}"),
        format!("ratio_bp.C={c}"),
        format!("ratio_bp.D={d}"),
        format!("exclusions.eligible_statuses={}", statuses.join(",")),
        format!("exclusions.min_months_since_registration={min_months_since_registration}"),
        format!("exclusions.same_department_within_months={same_department_within_months}"),
        format!("frequency_cap_per_year={frequency_cap_per_year}"),
        format!("min_team_size={min_team_size}"),
        format!("conflicts.exclude_patrol_area={exclude_patrol_area}"),
        format!("conflicts.exclude_previous_inspector={exclude_previous_inspector}"),
        format!("workload_cap_per_task={workload_cap_per_task}"),
        format!("publication_deadline_working_days={publication_deadline_working_days}"),
    ];
    let mut out = lines.join("\n");
    out.push('\n');
    // Written only when not the default, so that every rules text published before the
    // key existed stays byte for byte what it was (docs/DRAW.md §2.5).
    if !risk_class_source.is_directory() {
        out.push_str(&format!(
            "risk_class_source={}\n",
            risk_class_source.as_str()
        ));
    }
    out
}

/// The five frozen texts of §2.1–§2.5 as published at the freeze, byte for byte: what
/// the `PoolFrozen` event carries and the bundle's `subjects.csv`, `inspectors.csv`,
/// `relationships.csv`, `previous.csv` and `rules.txt` hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrozenTexts {
    /// [`subjects_csv`].
    pub subjects: String,
    /// [`inspectors_csv`].
    pub inspectors: String,
    /// [`relationships_csv`].
    pub relationships: String,
    /// [`previous_csv`].
    pub previous: String,
    /// [`rules_text`].
    pub rules: String,
}

impl FrozenTexts {
    /// The texts of everything frozen in `frozen`.
    pub fn of(frozen: &FrozenDraw) -> FrozenTexts {
        let relationships: Vec<&Relationship> = frozen.relationships.iter().collect();
        let previous: Vec<&PreviousAssignment> = frozen.previous.iter().collect();
        FrozenTexts {
            subjects: subjects_csv(&frozen.subjects),
            inspectors: inspectors_csv(&frozen.inspectors),
            relationships: relationships_csv(&relationships),
            previous: previous_csv(&previous),
            rules: rules_text(&frozen.rules),
        }
    }

    /// Their SHA-256 digests (equal to [`PoolDigests::of`] the frozen inputs they encode).
    pub fn digests(&self) -> PoolDigests {
        PoolDigests {
            subjects: sha256(self.subjects.as_bytes()),
            inspectors: sha256(self.inspectors.as_bytes()),
            relationships: sha256(self.relationships.as_bytes()),
            previous: sha256(self.previous.as_bytes()),
            rules: sha256(self.rules.as_bytes()),
        }
    }
}
