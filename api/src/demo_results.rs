//! The demo's inspection results (检查结果演示): three subjects of the demo's
//! single-department task are recorded by their teams and published, so that the public
//! site shows published results and their chart. Only `serve --demo` seeds them (the
//! tests of results start from `demo seed`'s unrecorded teams). The demo inspector
//! `SJ-D02`'s own assignments are left unrecorded, for the inspector's workbench. Each
//! step runs on a set clock; a result already recorded is left as it is, so a second
//! seeding appends nothing.

use jianxin_domain::directory::derived_id;
use jianxin_domain::event_log::{Actor, Role};
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::result::{result_id, InspectionResult};
use jianxin_projections::FixedClock;
use serde_json::json;

use crate::ops::OpError;
use crate::state::AppState;
use crate::{results, tasks};

/// The demo inspector whose assignments stay open (see `demo::DEMO_USERS`).
const OPEN_INSPECTOR: &str = "SJ-D02";

/// Records and publishes the demo results; returns the events appended.
pub async fn seed_results(state: &AppState) -> Result<usize, OpError> {
    let log = &state.log;
    let task = derived_id("jianxin/demo-task/", "food-2023q3");
    let Ok(outcome) = tasks::last_outcome(log, task).await else {
        return Ok(0);
    };
    let planner = Actor::new("demo-planner", Role::Planner);
    let contents = [
        json!({"category": "no_problem", "method": "on_site", "follow_up": "none"}),
        json!({"category": "corrected_on_order", "method": "on_site", "follow_up": "order_correction"}),
        json!({"category": "no_problem", "method": "documentary", "follow_up": "none"}),
    ];
    let teams = outcome
        .teams
        .iter()
        .filter(|t| t.inspectors.len() >= 2 && !t.inspectors.iter().any(|i| i == OPEN_INSPECTOR));
    let mut appended = 0;
    for (i, (team, content)) in teams.zip(contents).enumerate() {
        let uscc = Uscc::parse(&team.uscc).map_err(|e| OpError::Invalid {
            message: e.to_string(),
            location: Some("demo result".into()),
        })?;
        if log
            .load::<InspectionResult>(result_id(task, &uscc))
            .await?
            .is_some_and(|s| s.version > 0)
        {
            continue;
        }
        let mut result = content;
        result["members"] = json!(team.inspectors);
        result["inspection_date"] = json!("2023-09-15");
        let file = json!({"task": task, "uscc": team.uscc, "result": result});
        let clock = FixedClock::at(demo_time(&format!("2023-09-15T0{}:00:00Z", i + 2))?);
        let inspector = Actor::new(team.inspectors[0].clone(), Role::Inspector);
        let recorded =
            results::record(log, &clock, &inspector, &file.to_string(), None, None).await?;
        appended += recorded.global_sequences.len();
        clock.set(demo_time("2023-09-18T02:00:00Z")?);
        let published = results::publish(log, &clock, &planner, task, &team.uscc).await?;
        appended += published.global_sequences.len();
    }
    Ok(appended)
}

fn demo_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, OpError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| OpError::Invalid {
            message: format!("demo time {text}: {e}"),
            location: None,
        })
}
