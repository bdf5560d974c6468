//! Events of the inspection item aggregate (stored contract: names never change).
//!
//! Items are versioned: a task records the item code and version it used, so the list
//! as it stood when a task was drawn can always be shown.

use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::directory::subject::SubjectKind;
use crate::directory::text::Qualification;
use crate::directory::DepartmentCode;
use crate::event_log::DomainEvent;

use super::{InspectionMethod, ItemRecord};

/// Events of an inspection item (随机抽查事项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data")]
pub enum ItemEvent {
    /// The item entered the list (抽查事项已设立), as version 1.
    ItemDefined {
        /// Always 1.
        version: u32,
        /// The full entry.
        record: ItemRecord,
    },
    /// The item was revised (抽查事项已修订).
    ItemRevised {
        /// The new version number (2, 3, …).
        version: u32,
        /// Only the fields that changed, with their new values.
        changes: ItemChanges,
    },
    /// The item was retired (抽查事项已停用).
    ItemRetired {
        /// The last version, which stays the item's final form.
        version: u32,
        /// Why.
        reason: String,
    },
}

impl DomainEvent for ItemEvent {}

/// The fields a revision changed, each with its new value; absent fields are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChanges {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New legal basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// New responsible department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<DepartmentCode>,
    /// New target kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_kinds: Option<BTreeSet<SubjectKind>>,
    /// New default ratio in basis points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_ratio_bp: Option<u32>,
    /// New frequency per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_per_year: Option<u32>,
    /// New method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<InspectionMethod>,
    /// New qualification requirement: absent when unchanged, `null` when dropped.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "some_or_null",
        deserialize_with = "present"
    )]
    pub qualification_required: Option<Option<Qualification>>,
}

impl ItemChanges {
    /// The changes that turn `old` into `new`.
    pub fn between(old: &ItemRecord, new: &ItemRecord) -> ItemChanges {
        fn changed<T: PartialEq + Clone>(old: &T, new: &T) -> Option<T> {
            (old != new).then(|| new.clone())
        }
        ItemChanges {
            name: changed(&old.name, &new.name),
            legal_basis: changed(&old.legal_basis, &new.legal_basis),
            department: changed(&old.department, &new.department),
            target_kinds: changed(&old.target_kinds, &new.target_kinds),
            default_ratio_bp: changed(&old.default_ratio_bp, &new.default_ratio_bp),
            frequency_per_year: changed(&old.frequency_per_year, &new.frequency_per_year),
            method: changed(&old.method, &new.method),
            qualification_required: changed(
                &old.qualification_required,
                &new.qualification_required,
            ),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == ItemChanges::default()
    }

    /// `record` with these changes applied.
    pub fn apply_to(&self, record: &ItemRecord) -> ItemRecord {
        let (c, r) = (self.clone(), record.clone());
        ItemRecord {
            code: r.code,
            name: c.name.unwrap_or(r.name),
            legal_basis: c.legal_basis.unwrap_or(r.legal_basis),
            department: c.department.unwrap_or(r.department),
            target_kinds: c.target_kinds.unwrap_or(r.target_kinds),
            default_ratio_bp: c.default_ratio_bp.unwrap_or(r.default_ratio_bp),
            frequency_per_year: c.frequency_per_year.unwrap_or(r.frequency_per_year),
            method: c.method.unwrap_or(r.method),
            qualification_required: c.qualification_required.unwrap_or(r.qualification_required),
        }
    }
}

/// Writes the inner option (`null` for `Some(None)`); `None` is skipped by the field.
fn some_or_null<S: Serializer>(
    value: &Option<Option<Qualification>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(inner) => inner.serialize(serializer),
        None => serializer.serialize_none(),
    }
}

/// A present field (even `null`) is a change; an absent one is `None` via `default`.
fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Qualification>>, D::Error> {
    Option::<Qualification>::deserialize(deserializer).map(Some)
}
