//! Read models of the directories (一单两库一细则): subjects and inspectors as dated
//! versions (`valid_from` … `valid_to`), so "the directory as of date D" is a plain
//! indexed query; the item list and the rules versions as they stand.
//!
//! A subject's or inspector's versions are recomputed from all its events on every
//! event (inside the same transaction), so back-dated corrections land in the right
//! period. Lists (tags, patrol areas, qualifications) are stored as `|a|b|` so one
//! `LIKE` filters them on both backends.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::NaiveDate;
use esrs::store::StoreEvent;
use esrs::Aggregate;
use jianxin_domain::directory::{
    effective_date, ImplementationRules, InspectionItem, Inspector, InspectorRecord, RulesEvent,
    Subject, SubjectRecord,
};
use jianxin_domain::event_log::format_micros;

use crate::store::{Bind, ReadModel, Tx};
use crate::StoreError;

/// `|a|b|c|` for a set of names (empty set: `|`).
pub fn bars<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut s = String::from("|");
    for i in items {
        s.push_str(i);
        s.push('|');
    }
    s
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `subject_versions`: each subject's record per period of validity.
pub struct SubjectVersions;

#[async_trait]
impl ReadModel<Subject> for SubjectVersions {
    fn name(&self) -> &'static str {
        "subject_versions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["subject_versions"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<Subject as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let events = tx
            .events::<<Subject as Aggregate>::Event>(Subject::NAME, event.aggregate_id)
            .await?;
        let state = events
            .into_iter()
            .fold(<Subject as Aggregate>::State::default(), |s, e| {
                Subject::apply_event(s, e.payload)
            });
        let Some(uscc) = state.history.uscc.clone() else {
            return Ok(());
        };
        // every date on which some field changed starts a version
        let h = &state.history;
        let mut dates: BTreeSet<NaiveDate> = BTreeSet::new();
        dates.extend(h.name.entries().iter().map(|e| e.0));
        dates.extend(h.kind.entries().iter().map(|e| e.0));
        dates.extend(h.industry.entries().iter().map(|e| e.0));
        dates.extend(h.region.entries().iter().map(|e| e.0));
        dates.extend(h.registration_date.entries().iter().map(|e| e.0));
        dates.extend(h.status.entries().iter().map(|e| e.0));
        dates.extend(h.risk_class.entries().iter().map(|e| e.0));
        dates.extend(h.tags.entries().iter().map(|e| e.0));
        tx.exec(
            "DELETE FROM subject_versions WHERE uscc = $1",
            &[Bind::Text(uscc.as_str())],
        )
        .await?;
        let dates: Vec<NaiveDate> = dates.into_iter().collect();
        for (i, from) in dates.iter().enumerate() {
            let Some(r) = h.as_of(*from) else { continue };
            let to = dates.get(i + 1).map(|d| date(*d));
            insert_subject(&mut tx, &r, &date(*from), to.as_deref(), global_sequence).await?;
        }
        Ok(())
    }
}

async fn insert_subject(
    tx: &mut Tx<'_>,
    r: &SubjectRecord,
    from: &str,
    to: Option<&str>,
    global_sequence: u64,
) -> Result<(), StoreError> {
    let tags = bars(r.tags.iter().map(|t| t.as_str()));
    let registered = date(r.registration_date);
    tx.exec(
        "INSERT INTO subject_versions (uscc, valid_from, valid_to, name, kind, industry, region, \
         registration_date, status, risk_class, tags, global_sequence) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            Bind::Text(r.uscc.as_str()),
            Bind::Text(from),
            Bind::OptText(to),
            Bind::Text(&r.name),
            Bind::Text(r.kind.as_str()),
            Bind::Text(r.industry.as_str()),
            Bind::Text(r.region.as_str()),
            Bind::Text(&registered),
            Bind::Text(r.status.as_str()),
            Bind::Text(r.risk_class.as_str()),
            Bind::Text(&tags),
            Bind::Int(global_sequence as i64),
        ],
    )
    .await
}

/// `inspector_versions` and `inspector_relationships`.
pub struct InspectorVersions;

#[async_trait]
impl ReadModel<Inspector> for InspectorVersions {
    fn name(&self) -> &'static str {
        "inspector_versions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["inspector_versions", "inspector_relationships"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<Inspector as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let events = tx
            .events::<<Inspector as Aggregate>::Event>(Inspector::NAME, event.aggregate_id)
            .await?;
        // the record after each event, at that event's effective date; a later event on
        // the same date supersedes an earlier one
        let mut state = <Inspector as Aggregate>::State::default();
        let mut snapshots: Vec<(NaiveDate, InspectorRecord)> = vec![];
        for e in events {
            let d = effective_date(&e.payload);
            state = Inspector::apply_event(state, e.payload);
            if let Some(r) = &state.current {
                snapshots.retain(|(x, _)| *x != d);
                snapshots.push((d, r.clone()));
            }
        }
        snapshots.sort_by_key(|(d, _)| *d);
        let Some(id) = state.current.as_ref().map(|r| r.id.as_str().to_string()) else {
            return Ok(());
        };
        tx.exec(
            "DELETE FROM inspector_versions WHERE inspector_id = $1",
            &[Bind::Text(&id)],
        )
        .await?;
        tx.exec(
            "DELETE FROM inspector_relationships WHERE inspector_id = $1",
            &[Bind::Text(&id)],
        )
        .await?;
        for (i, (from, r)) in snapshots.iter().enumerate() {
            let to = snapshots.get(i + 1).map(|(d, _)| date(*d));
            let areas = bars(r.patrol_areas.iter().map(|a| a.as_str()));
            let quals = bars(r.qualifications.iter().map(|q| q.as_str()));
            tx.exec(
                "INSERT INTO inspector_versions (inspector_id, valid_from, valid_to, name, department, \
                 patrol_areas, certificate_number, certificate_issued_on, certificate_expires_on, \
                 qualifications, expert, status, global_sequence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    Bind::Text(&id),
                    Bind::Text(&date(*from)),
                    Bind::OptText(to.as_deref()),
                    Bind::Text(&r.name),
                    Bind::Text(r.department.as_str()),
                    Bind::Text(&areas),
                    Bind::Text(&r.certificate.number),
                    Bind::Text(&date(r.certificate.issued_on)),
                    Bind::Text(&date(r.certificate.expires_on)),
                    Bind::Text(&quals),
                    Bind::Int(r.expert as i64),
                    Bind::Text(r.status.as_str()),
                    Bind::Int(global_sequence as i64),
                ],
            )
            .await?;
        }
        for (uscc, relations) in &state.relationships {
            for (relation, declared_on) in relations {
                tx.exec(
                    "INSERT INTO inspector_relationships (inspector_id, uscc, relation, declared_on) \
                     VALUES ($1, $2, $3, $4)",
                    &[
                        Bind::Text(&id),
                        Bind::Text(uscc.as_str()),
                        Bind::Text(relation),
                        Bind::Text(&date(*declared_on)),
                    ],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// `inspection_items`: each item's current version.
pub struct InspectionItems;

#[async_trait]
impl ReadModel<InspectionItem> for InspectionItems {
    fn name(&self) -> &'static str {
        "inspection_items"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["inspection_items"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<InspectionItem as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let events = tx
            .events::<<InspectionItem as Aggregate>::Event>(
                InspectionItem::NAME,
                event.aggregate_id,
            )
            .await?;
        let state = events
            .into_iter()
            .fold(<InspectionItem as Aggregate>::State::default(), |s, e| {
                InspectionItem::apply_event(s, e.payload)
            });
        let Some(current) = state.current() else {
            return Ok(());
        };
        let record = serde_json::to_string(current)?;
        let code = current.code.as_str().to_string();
        tx.exec(
            "DELETE FROM inspection_items WHERE code = $1",
            &[Bind::Text(&code)],
        )
        .await?;
        tx.exec(
            "INSERT INTO inspection_items (code, version, name, department, record, retired, global_sequence) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                Bind::Text(&code),
                Bind::Int(state.version() as i64),
                Bind::Text(&current.name),
                Bind::Text(current.department.as_str()),
                Bind::Text(&record),
                Bind::OptText(state.retired.as_deref()),
                Bind::Int(global_sequence as i64),
            ],
        )
        .await
    }
}

/// `implementation_rules_versions`: every published version of the rules.
pub struct RulesVersions;

#[async_trait]
impl ReadModel<ImplementationRules> for RulesVersions {
    fn name(&self) -> &'static str {
        "implementation_rules_versions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["implementation_rules_versions"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<ImplementationRules as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let RulesEvent::RulesPublished {
            version,
            rules,
            reason,
        } = &event.payload.event;
        let json = serde_json::to_string(rules)?;
        tx.exec(
            "INSERT INTO implementation_rules_versions (version, rules, reason, published_at, actor_user, global_sequence) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                Bind::Int(*version as i64),
                Bind::Text(&json),
                Bind::Text(reason),
                Bind::Text(&format_micros(&event.payload.recorded_at)),
                Bind::Text(&event.payload.actor.user),
                Bind::Int(global_sequence as i64),
            ],
        )
        .await
    }
}
