//! The scheduler's configuration (定时任务配置): each job's cron expression and the
//! beacon grace, as a `key = value` text (`data/schedule.txt` is the shipped default).
//! Every key is required, so a deployment's file never silently inherits a default, and
//! the digest of the text is recorded with every run as its rule version.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, Offset, Utc};
use cron::Schedule;
use jianxin_domain::reference_data::key_value_lines;
use jianxin_domain::schedule::Job;
use sha2::{Digest, Sha256};

use crate::SchedulerError;

/// The shipped default configuration.
pub const DEFAULT_SCHEDULE: &str = include_str!("../../data/schedule.txt");

/// A parsed configuration.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Each job's schedule, with its expression as written.
    pub jobs: BTreeMap<Job, (String, Schedule)>,
    /// How long after its round's time a beacon not entered is flagged overdue.
    pub beacon_grace: Duration,
    /// `schedule:<SHA-256 of the text>`: recorded with every run.
    pub version: String,
}

fn bad(line: usize, what: String) -> SchedulerError {
    SchedulerError::Config(format!("schedule line {line}: {what}"))
}

/// China Standard Time, in which schedules are read.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

impl SchedulerConfig {
    /// Parses a configuration text: `job = six-field cron expression` for every job, and
    /// `beacon_grace_minutes = N` (0..=10080); `#` starts a comment.
    pub fn parse(text: &str) -> Result<SchedulerConfig, SchedulerError> {
        let mut jobs = BTreeMap::new();
        let mut grace = None;
        let pairs = key_value_lines(text).map_err(|(l, m)| bad(l, m))?;
        for (line, k, v) in pairs {
            if k == "beacon_grace_minutes" {
                let n: i64 = v
                    .parse()
                    .ok()
                    .filter(|n| (0..=10_080).contains(n))
                    .ok_or_else(|| {
                        bad(
                            line,
                            format!("{k}: expected minutes 0..=10080, found {v:?}"),
                        )
                    })?;
                if grace.replace(Duration::minutes(n)).is_some() {
                    return Err(bad(line, format!("{k} is given twice")));
                }
                continue;
            }
            let Some(job) = Job::parse(k) else {
                let names: Vec<_> = Job::ALL.iter().map(|j| j.as_str()).collect();
                return Err(bad(
                    line,
                    format!(
                        "unknown key {k:?}; expected one of {}, beacon_grace_minutes",
                        names.join(", ")
                    ),
                ));
            };
            if v.split_whitespace().count() != 6 {
                return Err(bad(
                    line,
                    format!("{k}: expected six cron fields (second minute hour day month weekday), found {v:?}"),
                ));
            }
            let schedule = Schedule::from_str(v)
                .map_err(|e| bad(line, format!("{k}: {v:?} is not a cron expression: {e}")))?;
            if jobs.insert(job, (v.to_string(), schedule)).is_some() {
                return Err(bad(line, format!("{k} is given twice")));
            }
        }
        let lines = text.lines().count().max(1);
        for job in Job::ALL {
            if !jobs.contains_key(&job) {
                return Err(bad(lines, format!("{} is missing", job.as_str())));
            }
        }
        let Some(beacon_grace) = grace else {
            return Err(bad(lines, "beacon_grace_minutes is missing".into()));
        };
        Ok(SchedulerConfig {
            jobs,
            beacon_grace,
            version: format!("schedule:{}", hex::encode(Sha256::digest(text.as_bytes()))),
        })
    }

    /// The shipped default.
    pub fn default_config() -> Result<SchedulerConfig, SchedulerError> {
        SchedulerConfig::parse(DEFAULT_SCHEDULE)
    }

    /// The cron expression of `job`.
    pub fn expression(&self, job: Job) -> &str {
        self.jobs.get(&job).map_or("", |(e, _)| e.as_str())
    }

    /// The latest tick of `job` at or before `now`, if any.
    pub fn last_tick(&self, job: Job, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (_, schedule) = self.jobs.get(&job)?;
        let after = (now + Duration::microseconds(1)).with_timezone(&cst());
        schedule
            .after(&after)
            .next_back()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t <= now)
    }

    /// The first tick of `job` after `now`.
    pub fn next_tick(&self, job: Job, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (_, schedule) = self.jobs.get(&job)?;
        schedule
            .after(&now.with_timezone(&cst()))
            .next()
            .map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_default_parses_and_ticks_are_read_in_china_standard_time() {
        let c = SchedulerConfig::default_config().unwrap();
        assert_eq!(c.beacon_grace, Duration::minutes(60));
        assert!(c.version.starts_with("schedule:"));
        // credit_expiry at 00:05 CST = 16:05 UTC the day before
        let now = utc("2026-03-02T08:30:00Z");
        assert_eq!(
            c.last_tick(Job::CreditExpiry, now),
            Some(utc("2026-03-01T16:05:00Z"))
        );
        assert_eq!(
            c.next_tick(Job::CreditExpiry, now),
            Some(utc("2026-03-02T16:05:00Z"))
        );
        // a tick at exactly now is the last tick
        let on_tick = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert_eq!(c.last_tick(Job::LedgerCheckpoint, on_tick), Some(on_tick));
    }

    #[test]
    fn a_bad_configuration_names_its_line_and_what_was_expected() {
        let missing = SchedulerConfig::parse("credit_expiry = 0 5 0 * * *\n").unwrap_err();
        assert!(missing.to_string().contains("is missing"), "{missing}");
        let text =
            DEFAULT_SCHEDULE.replace("draw_steps = 0 * * * * *", "draw_steps = every minute");
        let e = SchedulerConfig::parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("draw_steps") && e.contains("six cron fields"),
            "{e}"
        );
        let text =
            DEFAULT_SCHEDULE.replace("draw_steps = 0 * * * * *", "draw_steps = 0 * 99 * * *");
        let e = SchedulerConfig::parse(&text).unwrap_err().to_string();
        assert!(e.contains("not a cron expression"), "{e}");
        let e = SchedulerConfig::parse(&format!("{DEFAULT_SCHEDULE}\nnightly = 0 0 0 * * *\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key \"nightly\""), "{e}");
    }
}
