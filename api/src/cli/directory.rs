//! The directories on the command line: import, lists "as of" a date, one subject's
//! history, the rules, and read-model rebuilds.

use std::io::IsTerminal;

use jianxin_domain::directory::import::ImportKind;
use jianxin_domain::directory::{
    subject_as_of, subject_id, InspectorStatus, RiskClass, Rules, Subject, SubjectKind,
    SubjectStatus,
};
use jianxin_domain::identifiers::Uscc;
use jianxin_projections::read_models::directory_queries::{
    list_inspectors, list_items, list_rules, list_subjects, subject_versions, InspectorFilter,
    SubjectFilter,
};
use jianxin_projections::EventLog;
use serde_json::json;

use super::args::{
    ImportArgs, ImportKindArg, InspectorsCommand, ItemsCommand, ProjectionsCommand, RulesCommand,
    SubjectsCommand,
};
use super::output::print;
use super::{CliError, Format};
use crate::import::{import_file, ImportError, ImportOptions};
use crate::ops;
use crate::settings::Settings;

fn limit(n: u32) -> Result<i64, CliError> {
    if n == 0 || n > 10_000 {
        return Err(CliError::Usage(format!("--limit {n}: expected 1..=10000")));
    }
    Ok(n.into())
}

/// `jianxin import subjects|inspectors|items FILE`.
pub async fn import(settings: &Settings, format: Format, args: ImportArgs) -> Result<(), CliError> {
    let kind = match args.kind {
        ImportKindArg::Subjects => ImportKind::Subjects,
        ImportKindArg::Inspectors => ImportKind::Inspectors,
        ImportKindArg::Items => ImportKind::Items,
    };
    let log = EventLog::open(&settings.db).await?;
    let options = ImportOptions {
        kind,
        encoding: args.encoding,
        sheet: args.sheet,
        dry_run: args.dry_run,
        effective: args.effective,
        progress: format == Format::Table && std::io::stderr().is_terminal(),
    };
    let result = import_file(
        &log,
        settings.clock.as_ref(),
        &settings.operator,
        &args.file,
        &options,
    )
    .await;
    log.database().close().await;
    let imported = match result {
        Ok(i) => i,
        Err(ImportError::Source(e)) => {
            return Err(CliError::invalid(
                "unreadable_file",
                e.to_string(),
                Some(args.file.display().to_string()),
            ))
        }
        Err(ImportError::Reference(m)) => {
            return Err(CliError::invalid("invalid_reference_data", m, None))
        }
        Err(ImportError::Store(e)) => return Err(e.into()),
    };
    let s = imported.report.summary();
    print(format, &imported, || {
        let mut out = format!(
            "{} {}: {} created, {} changed, {} unchanged, {} rejected\n",
            imported.source,
            kind.as_str(),
            s.created,
            s.changed,
            s.unchanged,
            s.rejected,
        );
        if imported.dry_run {
            out.push_str("dry run: nothing written; the counts are what an import would do\n");
        }
        for h in &imported.report.header_errors {
            out.push_str(&format!("header: {h}\n"));
        }
        for g in &imported.report.errors {
            out.push_str(&format!(
                "{} row(s), column {}: expected {}\n",
                g.count, g.column, g.expected
            ));
            for e in &g.examples {
                out.push_str(&format!("    row {}: {:?}\n", e.row, e.value));
            }
            if g.count > g.examples.len() as u64 {
                out.push_str(&format!(
                    "    … and {} more\n",
                    g.count - g.examples.len() as u64
                ));
            }
        }
        if !imported.report.is_clean() {
            out.push_str("nothing was written: fix every row above and import again\n");
        }
        out
    });
    if imported.report.is_clean() {
        Ok(())
    } else {
        let rows = s.rejected;
        Err(CliError::invalid(
            "import_rejected",
            if imported.report.header_errors.is_empty() {
                format!("{rows} bad row(s); nothing was written")
            } else {
                "bad header; nothing was written".to_string()
            },
            Some(args.file.display().to_string()),
        ))
    }
}

fn normalise<T>(
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
    show: impl Fn(T) -> String,
) -> Result<Option<String>, CliError> {
    match value {
        None => Ok(None),
        Some(v) => parse(&v)
            .map(|t| Some(show(t)))
            .map_err(|e| CliError::invalid("invalid_filter", e, None)),
    }
}

/// `jianxin subjects list|show`.
pub async fn subjects(
    settings: &Settings,
    format: Format,
    cmd: SubjectsCommand,
) -> Result<(), CliError> {
    let log = EventLog::open(&settings.db).await?;
    let today = settings.clock.now().date_naive();
    let result = match cmd {
        SubjectsCommand::List {
            region,
            kind,
            risk,
            tag,
            status,
            as_of,
            after,
            limit: n,
        } => {
            let filter = SubjectFilter {
                region,
                kind: normalise(
                    kind,
                    |s| SubjectKind::parse(s).map_err(|e| e.to_string()),
                    |k| k.as_str().into(),
                )?,
                risk: normalise(
                    risk,
                    |s| RiskClass::parse(s).map_err(|e| e.to_string()),
                    |k| k.as_str().into(),
                )?,
                tag,
                status: normalise(
                    status,
                    |s| SubjectStatus::parse(s).map_err(|e| e.to_string()),
                    |k| k.as_str().into(),
                )?,
            };
            let as_of = as_of.unwrap_or(today);
            let page =
                list_subjects(log.database(), &filter, as_of, after.as_deref(), limit(n)?).await?;
            print(format, &page, || {
                let mut s = String::from("USCC\tNAME\tKIND\tREGION\tSTATUS\tRISK\tTAGS\n");
                for r in &page.items {
                    s.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                        r.uscc,
                        r.name,
                        r.kind,
                        r.region,
                        r.status,
                        r.risk_class,
                        r.tags.join(",")
                    ));
                }
                if let Some(next) = &page.next {
                    s.push_str(&format!("next page: --after {next}\n"));
                }
                s
            });
            Ok(())
        }
        SubjectsCommand::Show { uscc } => {
            let uscc = Uscc::parse(&uscc).map_err(|e| {
                CliError::invalid(
                    "invalid_uscc",
                    e.to_string(),
                    e.position.map(|p| format!("position {p}")),
                )
            })?;
            let versions = subject_versions(log.database(), uscc.as_str()).await?;
            if versions.is_empty() {
                Err(CliError::invalid(
                    "not_found",
                    format!("no subject {uscc} in the directory"),
                    None,
                ))
            } else {
                let events = log.store::<Subject>();
                use esrs::store::EventStore;
                let history = events.by_aggregate_id(subject_id(&uscc)).await?;
                let recorded: Vec<_> = history.iter().map(|e| e.payload.clone()).collect();
                let current = subject_as_of(&recorded, today);
                let trail: Vec<_> = history
                    .iter()
                    .map(|e| {
                        let p = e.payload.to_payload().unwrap_or_default();
                        json!({"sequence": e.sequence_number, "event_type": p["event_type"],
                            "effective_at": p["effective_at"], "recorded_at": p["recorded_at"],
                            "actor": p["actor"], "data": p["data"]})
                    })
                    .collect();
                let value = json!({"uscc": uscc.as_str(), "current": current, "versions": versions, "events": trail});
                print(format, &value, || {
                    let mut s = format!("{uscc}\n");
                    for v in &versions {
                        s.push_str(&format!(
                            "  {} → {}: {} | {} | {} | {} | risk {} | {}\n",
                            v.valid_from,
                            v.valid_to.as_deref().unwrap_or("…"),
                            v.name,
                            v.kind,
                            v.region,
                            v.status,
                            v.risk_class,
                            v.tags.join(",")
                        ));
                    }
                    s.push_str("events:\n");
                    for t in &trail {
                        s.push_str(&format!(
                            "  #{} {} effective {} by {}:{}\n",
                            t["sequence"],
                            t["event_type"].as_str().unwrap_or("?"),
                            t["effective_at"].as_str().unwrap_or("-"),
                            t["actor"]["role"].as_str().unwrap_or("?"),
                            t["actor"]["user"].as_str().unwrap_or("?")
                        ));
                    }
                    s
                });
                Ok(())
            }
        }
    };
    log.database().close().await;
    result
}

/// `jianxin inspectors list`.
pub async fn inspectors(
    settings: &Settings,
    format: Format,
    cmd: InspectorsCommand,
) -> Result<(), CliError> {
    let InspectorsCommand::List {
        department,
        patrol_area,
        qualification,
        status,
        as_of,
        after,
        limit: n,
    } = cmd;
    let status = normalise(
        status,
        |s| InspectorStatus::parse(s).map_err(|e| e.to_string()),
        |k| k.as_str().into(),
    )?;
    let log = EventLog::open(&settings.db).await?;
    let filter = InspectorFilter {
        department,
        patrol_area,
        qualification,
        status,
    };
    let as_of = as_of.unwrap_or_else(|| settings.clock.now().date_naive());
    let page = list_inspectors(log.database(), &filter, as_of, after.as_deref(), limit(n)?).await;
    log.database().close().await;
    let page = page?;
    print(format, &page, || {
        let mut s = String::from("ID\tNAME\tDEPARTMENT\tCERTIFICATE\tEXPIRES\tSTATUS\tPATROL\n");
        for r in &page.items {
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                r.id,
                r.name,
                r.department,
                r.certificate_number,
                r.certificate_expires_on,
                r.status,
                r.patrol_areas.join(",")
            ));
        }
        if let Some(next) = &page.next {
            s.push_str(&format!("next page: --after {next}\n"));
        }
        s
    });
    Ok(())
}

/// `jianxin items list`.
pub async fn items(settings: &Settings, format: Format, cmd: ItemsCommand) -> Result<(), CliError> {
    let ItemsCommand::List { after, limit: n } = cmd;
    let log = EventLog::open(&settings.db).await?;
    let page = list_items(log.database(), after.as_deref(), limit(n)?).await;
    log.database().close().await;
    let page = page?;
    print(format, &page, || {
        let mut s = String::from("CODE\tVERSION\tNAME\tRETIRED\n");
        for r in &page.items {
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                r.code,
                r.version,
                r.record["name"].as_str().unwrap_or(""),
                r.retired.as_deref().unwrap_or("")
            ));
        }
        s
    });
    Ok(())
}

/// `jianxin rules list|publish|defaults`.
pub async fn rules(settings: &Settings, format: Format, cmd: RulesCommand) -> Result<(), CliError> {
    match cmd {
        RulesCommand::Defaults => {
            let rules = Rules::default();
            print(Format::Json, &rules, String::new);
            Ok(())
        }
        RulesCommand::List => {
            let log = EventLog::open(&settings.db).await?;
            let versions = list_rules(log.database()).await;
            log.database().close().await;
            let versions = versions?;
            print(format, &versions, || {
                let mut s = String::from("VERSION\tPUBLISHED\tBY\tREASON\n");
                for v in &versions {
                    s.push_str(&format!(
                        "{}\t{}\t{}\t{}\n",
                        v.version, v.published_at, v.actor_user, v.reason
                    ));
                }
                s
            });
            Ok(())
        }
        RulesCommand::Publish { file, reason } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                CliError::invalid("unreadable_file", format!("{}: {e}", file.display()), None)
            })?;
            // The path of the bad field (`risk_class_source`, `ratio_bp.D`) with the
            // line and column, so the file can be fixed without guessing.
            let rules: Rules =
                serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(&text))
                    .map_err(|e| {
                        let path = e.path().to_string();
                        let inner = e.inner();
                        let place =
                            format!("{}:{}:{}", file.display(), inner.line(), inner.column());
                        CliError::invalid(
                            "invalid_rules",
                            format!("{}: {path}: {inner}", file.display()),
                            Some(if path == "." {
                                place
                            } else {
                                format!("{place} {path}")
                            }),
                        )
                    })?;
            let log = EventLog::open(&settings.db).await?;
            let r = ops::publish_rules(
                &log,
                settings.clock.as_ref(),
                &settings.operator,
                rules,
                &reason,
            )
            .await;
            log.database().close().await;
            let seqs = r?;
            print(
                format,
                &json!({"published": !seqs.is_empty(), "global_sequences": seqs}),
                || {
                    if seqs.is_empty() {
                        "unchanged: these rules are the current version".to_string()
                    } else {
                        format!("published (ledger {:?})", seqs)
                    }
                },
            );
            Ok(())
        }
    }
}

/// `jianxin projections rebuild [NAME]`.
pub async fn projections(
    settings: &Settings,
    format: Format,
    cmd: ProjectionsCommand,
) -> Result<(), CliError> {
    let ProjectionsCommand::Rebuild { name } = cmd;
    let log = EventLog::open(&settings.db).await?;
    let r = log.rebuild_read_models(name.as_deref()).await;
    log.database().close().await;
    let rebuilt = r?;
    let value: Vec<_> = rebuilt
        .iter()
        .map(|(n, e)| json!({"read_model": n, "events_replayed": e}))
        .collect();
    print(format, &value, || {
        rebuilt
            .iter()
            .map(|(n, e)| format!("rebuilt {n} from {e} events\n"))
            .collect()
    });
    Ok(())
}
