//! Small commands: identifiers, the calendar, reference data, keys and tokens.

use chrono::Duration;
use jianxin_domain::calendar::CalendarBasis;
use jianxin_domain::event_log::Role;
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::reference_data::ReferenceKind;
use jianxin_projections::read_models::ReferenceDataVersions;
use jianxin_projections::{DbLocation, EventLog};
use serde_json::json;

use super::args::{
    CalendarCommand, CheckCommand, DbCommand, KeygenArgs, ReferenceCommand, ReferenceKindArg,
    TokenCommand,
};
use super::output::print;
use super::{CliError, Format};
use crate::settings::Settings;
use crate::state::AppState;
use crate::{keys, ops};

/// `jianxin check uscc`: exit 0 and the normalised code, or exit 1 and the reason.
pub fn check(format: Format, cmd: CheckCommand) -> Result<(), CliError> {
    let CheckCommand::Uscc { code } = cmd;
    match Uscc::parse(&code) {
        Ok(uscc) => {
            let warning = uscc.organisation_code_warning();
            print(
                format,
                &json!({"valid": true, "uscc": uscc.as_str(), "warning": warning}),
                || match &warning {
                    Some(w) => format!("{}\nwarning: {w}", uscc.as_str()),
                    None => uscc.as_str().to_string(),
                },
            );
            Ok(())
        }
        Err(e) => Err(CliError::invalid(
            "invalid_uscc",
            e.to_string(),
            e.position.map(|p| format!("position {p}")),
        )),
    }
}

/// `jianxin calendar …` on the calendar in force (the latest loaded version, else the
/// shipped default). A SQLite file that does not exist is not created for this.
pub async fn calendar(
    settings: &Settings,
    format: Format,
    cmd: CalendarCommand,
) -> Result<(), CliError> {
    let exists = match &settings.db {
        DbLocation::Sqlite(path) => path.exists(),
        DbLocation::Postgres(_) => true,
    };
    let cal = if exists {
        let log = EventLog::open(&settings.db).await?;
        let cal = ops::current_calendar(&log).await?;
        log.database().close().await;
        cal
    } else {
        jianxin_domain::calendar::WorkingCalendar::default_cn()
    };
    let out_of_range = |e: jianxin_domain::calendar::CalendarError| {
        CliError::invalid("outside_calendar", e.to_string(), None)
    };
    match cmd {
        CalendarCommand::AddWorkingDays { date, n } => {
            let d = cal.add_working_days(date, n).map_err(out_of_range)?;
            let basis = cal.basis(date, d);
            print(
                format,
                &json!({
                    "date": d.to_string(),
                    "from": date.to_string(),
                    "working_days": n,
                    "calendar": basis.as_str(),
                }),
                || provisional_mark(d.to_string(), basis),
            );
        }
        CalendarCommand::WorkingDaysBetween { start, end } => {
            let n = cal.working_days_between(start, end).map_err(out_of_range)?;
            let basis = cal.basis(start, end);
            print(
                format,
                &json!({
                    "start": start.to_string(),
                    "end": end.to_string(),
                    "working_days": n,
                    "calendar": basis.as_str(),
                }),
                || provisional_mark(n.to_string(), basis),
            );
        }
        CalendarCommand::Years => {
            let years: Vec<_> = cal
                .years()
                .into_iter()
                .map(|(year, basis)| json!({"year": year, "calendar": basis.as_str()}))
                .collect();
            print(format, &json!({ "years": years }), || {
                let mut s = String::from("YEAR\tCALENDAR\n");
                for (year, basis) in cal.years() {
                    s.push_str(&format!("{year}\t{} ({})\n", basis.as_str(), basis.zh()));
                }
                s
            });
        }
    }
    Ok(())
}

/// A table answer with `(provisional calendar)` after it when it was counted across a
/// year whose official schedule is not loaded.
fn provisional_mark(answer: String, basis: CalendarBasis) -> String {
    match basis {
        CalendarBasis::Official => answer,
        CalendarBasis::Provisional => format!("{answer} (provisional calendar)"),
    }
}

/// `jianxin reference load|list`.
pub async fn reference(
    settings: &Settings,
    format: Format,
    cmd: ReferenceCommand,
) -> Result<(), CliError> {
    let log = EventLog::open(&settings.db).await?;
    let result = match cmd {
        ReferenceCommand::Load { kind, file } => {
            let kind = match kind {
                ReferenceKindArg::Calendar => ReferenceKind::Calendar,
                ReferenceKindArg::Divisions => ReferenceKind::Divisions,
                ReferenceKindArg::CreditRules => ReferenceKind::CreditRules,
                ReferenceKindArg::Measures => ReferenceKind::Measures,
            };
            let bytes = std::fs::read(&file).map_err(|e| {
                CliError::invalid("unreadable_file", format!("{}: {e}", file.display()), None)
            })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                CliError::invalid(
                    "invalid_encoding",
                    format!(
                        "{}: not UTF-8 (byte {})",
                        file.display(),
                        e.utf8_error().valid_up_to()
                    ),
                    Some(file.display().to_string()),
                )
            })?;
            let source = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match ops::load_reference(
                &log,
                settings.clock.as_ref(),
                &settings.operator,
                kind,
                &text,
                &source,
            )
            .await
            {
                Ok(loaded) => {
                    print(format, &loaded, || {
                        let mut s = if loaded.changed {
                            format!(
                                "loaded {} ({} rows), digest {}",
                                loaded.kind, loaded.rows, loaded.digest
                            )
                        } else {
                            format!("unchanged {} (digest {})", loaded.kind, loaded.digest)
                        };
                        for r in loaded.recounted.iter().flatten() {
                            s.push_str(&format!(
                                "\nrecounted {} {}{} {} deadline: {} -> {} ({})",
                                r.kind,
                                r.id,
                                r.uscc
                                    .as_deref()
                                    .map(|u| format!(" {u}"))
                                    .unwrap_or_default(),
                                r.deadline,
                                r.previous,
                                r.due_on,
                                r.calendar.as_str()
                            ));
                        }
                        s
                    });
                    Ok(())
                }
                Err(ops::OpError::Invalid { message, location }) => Err(CliError::invalid(
                    "invalid_reference_data",
                    message,
                    Some(match location {
                        Some(l) => format!("{}: {l}", file.display()),
                        None => file.display().to_string(),
                    }),
                )),
                Err(e) => Err(e.into()),
            }
        }
        ReferenceCommand::List => {
            let versions = ReferenceDataVersions::list(log.database(), None).await?;
            print(format, &versions, || {
                let mut s = String::from("KIND\tVERSION\tROWS\tDIGEST\tLOADED_AT\tBY\n");
                for v in &versions {
                    s.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\n",
                        v.kind, v.version, v.rows, v.digest, v.loaded_at, v.actor_user
                    ));
                }
                s
            });
            Ok(())
        }
    };
    log.database().close().await;
    result
}

/// `jianxin keygen`: write a new signer key (never overwriting) and print its verifier key.
pub fn keygen(settings: &Settings, format: Format, args: KeygenArgs) -> Result<(), CliError> {
    let path = args.out.unwrap_or_else(|| settings.key_file.clone());
    let name = args.name.unwrap_or_else(|| settings.origin.clone());
    let signer = keys::generate(&path, &name)?;
    let vkey = signer.verifier().to_verifier_key_string();
    print(
        format,
        &json!({"key_file": path.display().to_string(), "verifier_key": vkey}),
        || format!("wrote {}\nverifier key: {vkey}", path.display()),
    );
    Ok(())
}

/// The lifetime of a person's token when `--ttl-days` is not given: one working day.
pub const STAFF_TOKEN_DAYS: u32 = 1;

/// `jianxin token issue`.
pub async fn token(settings: &Settings, format: Format, cmd: TokenCommand) -> Result<(), CliError> {
    let TokenCommand::Issue {
        role,
        user,
        scopes,
        ttl_days,
    } = cmd;
    let role: Role = role
        .parse()
        .map_err(|e: jianxin_domain::event_log::RoleParseError| {
            CliError::invalid("invalid_role", e.to_string(), Some("--role".into()))
        })?;
    let ttl_days = match (ttl_days, role) {
        (Some(days), _) => days,
        (None, Role::ExternalSystem) => {
            return Err(CliError::Usage(
                "--ttl-days is required for an external_system token: a system's token \
                 lives as long as its operator says, never by default"
                    .into(),
            ))
        }
        (None, _) => STAFF_TOKEN_DAYS,
    };
    if ttl_days == 0 || ttl_days > 3660 {
        return Err(CliError::invalid(
            "invalid_ttl",
            format!("--ttl-days {ttl_days}: expected 1..=3660"),
            None,
        ));
    }
    let signer = keys::load(&settings.key_file)?;
    let log = EventLog::open(&settings.db).await?;
    let state = AppState::new(log, signer, settings.clock.clone(), &settings.origin);
    let issued = ops::issue_token(
        &state,
        &settings.operator,
        &user,
        role,
        scopes,
        Duration::days(ttl_days.into()),
    )
    .await;
    state.log.database().close().await;
    let issued = issued?;
    print(format, &issued, || issued.token.clone());
    Ok(())
}

/// `jianxin db migrate|grant-service-role`.
pub async fn db(settings: &Settings, format: Format, cmd: DbCommand) -> Result<(), CliError> {
    let log = EventLog::open(&settings.db).await?;
    let result = match cmd {
        DbCommand::Migrate => log.database().apply_schema().await.map(|_| {
            let v = jianxin_projections::db::SCHEMA_VERSION;
            print(format, &json!({"schema_version": v}), || {
                format!("schema version {v} applied")
            });
        }),
        DbCommand::GrantServiceRole { role } => {
            log.database().grant_service_role(&role).await.map(|_| {
                print(format, &json!({"role": role, "granted": true}), || {
                    format!("{role} may now run the service: INSERT and SELECT only on the log")
                });
            })
        }
    };
    log.database().close().await;
    Ok(result?)
}
