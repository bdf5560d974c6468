//! Read models of the inspection tasks (抽查任务): one row per task for lists and the
//! public page, the standing draw's assignments for inspectors, and the random
//! inspections that every later freeze reads for its exclusions (same department within
//! N months, the yearly cap) and for the previous teams.
//!
//! Like the directory read models, a task's rows are recomputed from all its events on
//! every event, inside the same transaction: a recusal, an unstaffable replacement or an
//! approved redraw (which sets the draw aside: its subjects no longer count as
//! inspected) lands without special cases.

use async_trait::async_trait;
use esrs::store::StoreEvent;
use esrs::Aggregate;
use jianxin_domain::event_log::format_micros;
use jianxin_domain::task::{InspectionTask, TaskEvent, TaskState};

use super::directory::bars;
use crate::store::{Bind, ReadModel, Tx};
use crate::StoreError;

/// `inspection_tasks`, `task_assignments` and `random_inspections`.
pub struct TaskViews;

#[async_trait]
impl ReadModel<InspectionTask> for TaskViews {
    fn name(&self) -> &'static str {
        "inspection_tasks"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["inspection_tasks", "task_assignments", "random_inspections"]
    }

    async fn apply(
        &self,
        event: &StoreEvent<<InspectionTask as Aggregate>::Event>,
        global_sequence: u64,
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError> {
        let events = tx
            .events::<<InspectionTask as Aggregate>::Event>(
                InspectionTask::NAME,
                event.aggregate_id,
            )
            .await?;
        let mut state = TaskState::default();
        let mut created_at = None;
        let mut updated_at = String::new();
        let mut drawn_at = 0i64;
        let mut recusals = 0i64;
        for e in events {
            let recorded = &e.payload;
            let at = format_micros(&recorded.recorded_at);
            created_at.get_or_insert_with(|| at.clone());
            updated_at = at;
            match &recorded.event {
                TaskEvent::SubjectsDrawn { .. } => {
                    drawn_at = recorded.recorded_at.timestamp_micros();
                }
                TaskEvent::RecusalDeclared { .. } => recusals += 1,
                _ => {}
            }
            state = InspectionTask::apply_event(state, e.payload);
        }
        let Some(task) = state.task.as_ref() else {
            return Ok(());
        };
        let id = task.task_id.clone();
        for table in ["inspection_tasks", "task_assignments", "random_inspections"] {
            tx.exec(
                // sql-safe: `table` is one of the three literal names above; the id is bound
                &format!("DELETE FROM {table} WHERE task_id = $1"),
                &[Bind::Text(&id)],
            )
            .await?;
        }
        let departments = bars(task.departments.iter().map(|d| d.as_str()));
        let date = task.inspection_date.format("%Y-%m-%d").to_string();
        let (from, to) = (
            state.window.0.format("%Y-%m-%d").to_string(),
            state.window.1.format("%Y-%m-%d").to_string(),
        );
        let pool_size = state
            .freeze
            .as_ref()
            .map(|f| f.texts.subjects.lines().count().saturating_sub(1) as i64);
        let excluded = state.freeze.as_ref().map(|f| f.excluded.len() as i64);
        let drawn = state.drawn.as_ref().map(|d| d.teams.len() as i64);
        let round = state.freeze.as_ref().map(|f| f.beacon.round as i64);
        tx.exec(
            "INSERT INTO inspection_tasks (task_id, title, departments, status, inspection_date, \
             window_from, window_to, rules_version, attempts, beacon_round, pool_size, excluded, \
             drawn_subjects, recusals, planner, created_at, updated_at, global_sequence) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            &[
                Bind::Text(&id),
                Bind::Text(&state.title),
                Bind::Text(&departments),
                Bind::Text(state.phase.as_str()),
                Bind::Text(&date),
                Bind::Text(&from),
                Bind::Text(&to),
                Bind::Int(i64::from(state.rules_version)),
                Bind::Int(i64::from(state.attempts)),
                Bind::OptInt(round),
                Bind::OptInt(pool_size),
                Bind::OptInt(excluded),
                Bind::OptInt(drawn),
                Bind::Int(recusals),
                Bind::Text(&state.planner),
                Bind::Text(created_at.as_deref().unwrap_or_default()),
                Bind::Text(&updated_at),
                Bind::Int(global_sequence as i64),
            ],
        )
        .await?;
        let Some(current) = state.drawn.as_ref() else {
            return Ok(());
        };
        for team in &current.teams {
            for member in &team.members {
                tx.exec(
                    "INSERT INTO task_assignments (task_id, uscc, inspector_id, inspection_date, \
                     attempt) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        Bind::Text(&id),
                        Bind::Text(team.uscc.as_str()),
                        Bind::Text(member.as_str()),
                        Bind::Text(&date),
                        Bind::Int(i64::from(state.attempts)),
                    ],
                )
                .await?;
            }
            let members = bars(team.members.iter().map(|m| m.as_str()));
            for department in &task.departments {
                tx.exec(
                    "INSERT INTO random_inspections (task_id, department, uscc, inspection_date, \
                     members, drawn_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        Bind::Text(&id),
                        Bind::Text(department.as_str()),
                        Bind::Text(team.uscc.as_str()),
                        Bind::Text(&date),
                        Bind::Text(&members),
                        Bind::Int(drawn_at),
                    ],
                )
                .await?;
            }
        }
        Ok(())
    }
}
