//! Enforcement cases on the command line: `jianxin case open|extend|file|evidence|
//! notice|statement|hearing-request|hearing|review|decide|serve|execute|close|withdraw`
//! for the steps, and `case replay|deviations|list` for the supervisor, each one call
//! into [`crate::cases`]. The actor is `--actor`, in the role the step needs (case
//! officer, or approving officer for extension, review, decision and withdrawal); over
//! HTTP the role comes from the token.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use jianxin_domain::case::{CaseStep, Stage, Tier};
use jianxin_domain::event_log::Actor;
use jianxin_projections::EventLog;

use super::output::print;
use super::{CliError, Format};
use crate::cases;
use crate::settings::Settings;

/// A deadline to extend.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StageArg {
    /// The filing deadline.
    Filing,
    /// The decision deadline.
    Decision,
}

/// A tier of the discretion benchmark.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TierArg {
    /// 轻微.
    Minor,
    /// 一般.
    Ordinary,
    /// 严重.
    Serious,
}

/// `jianxin case …`
#[derive(Debug, Subcommand)]
pub enum CaseCommandArgs {
    /// Register a clue (登记线索): a new case; prints its id.
    Open {
        /// What the clue says.
        #[arg(long)]
        clue: String,
        /// The subject concerned (USCC or name).
        #[arg(long)]
        subject: Option<String>,
        /// The day the clue was received (default: today, Beijing time).
        #[arg(long)]
        received: Option<NaiveDate>,
        /// A case rule file (docs/CASES.md; default: the built-in rules).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Approve an extension (批准延期), as approving officer.
    Extend {
        /// The case id.
        case: String,
        /// Which deadline.
        #[arg(long, value_enum)]
        stage: StageArg,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// File the case (立案).
    File {
        /// The case id.
        case: String,
    },
    /// Record a piece of evidence (调查取证) by its SHA-256.
    Evidence {
        /// The case id.
        case: String,
        /// A name for people.
        #[arg(long)]
        name: String,
        /// SHA-256 of the file, lower-case hex.
        #[arg(long)]
        sha256: String,
        /// Another officer present (repeatable); the actor is present.
        #[arg(long = "officer")]
        officers: Vec<String>,
    },
    /// Give the notice of intended penalty (告知).
    Notice {
        /// The case id.
        case: String,
    },
    /// Record the party's statement and defence (陈述申辩).
    Statement {
        /// The case id.
        case: String,
        /// A summary.
        #[arg(long)]
        summary: String,
    },
    /// Record the party's hearing request (听证申请).
    HearingRequest {
        /// The case id.
        case: String,
    },
    /// Record that the hearing was held (听证).
    Hearing {
        /// The case id.
        case: String,
    },
    /// Complete the legal review (法制审核), as approving officer.
    Review {
        /// The case id.
        case: String,
        /// The opinion.
        #[arg(long)]
        opinion: String,
    },
    /// Decide (决定), as approving officer: a fine, or no penalty (首违不罚).
    Decide {
        /// The case id.
        case: String,
        /// The violation code of the benchmark.
        #[arg(long)]
        violation: String,
        /// The tier.
        #[arg(long, value_enum)]
        tier: TierArg,
        /// The fine in whole yuan.
        #[arg(
            long,
            conflicts_with = "no_penalty",
            required_unless_present = "no_penalty"
        )]
        amount: Option<u64>,
        /// No penalty for a first minor violation.
        #[arg(long)]
        no_penalty: bool,
        /// Why (required outside the tier's range and for no penalty).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Serve the decision (送达).
    Serve {
        /// The case id.
        case: String,
    },
    /// Record the execution (执行).
    Execute {
        /// The case id.
        case: String,
        /// How.
        #[arg(long)]
        note: String,
    },
    /// Close the case (结案).
    Close {
        /// The case id.
        case: String,
    },
    /// Withdraw the case before a decision (撤销), as approving officer.
    Withdraw {
        /// The case id.
        case: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// The supervisor's replay: the steps and the state as of --at, with inclusion proofs.
    Replay {
        /// The case id.
        case: String,
        /// RFC 3339 time or a date (Beijing midnight); default: everything recorded.
        #[arg(long)]
        at: Option<String>,
    },
    /// The deviations of one case, or of every case with --all.
    Deviations {
        /// The case id.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        case: Option<String>,
        /// Every case with a deviation.
        #[arg(long)]
        all: bool,
    },
    /// Every case with its status.
    List,
}

fn read_text(path: &std::path::Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| {
        CliError::invalid(
            "unreadable_file",
            format!("{}: {e}", path.display()),
            Some(path.display().to_string()),
        )
    })
}

fn tier(t: TierArg) -> Tier {
    match t {
        TierArg::Minor => Tier::Minor,
        TierArg::Ordinary => Tier::Ordinary,
        TierArg::Serious => Tier::Serious,
    }
}

/// The case id and the step of a step subcommand (`None`: a read subcommand).
fn step_of(
    settings: &Settings,
    cmd: &CaseCommandArgs,
) -> Result<Option<(Option<String>, CaseStep)>, CliError> {
    use CaseCommandArgs as C;
    let one = |case: &String, step| Ok(Some((Some(case.clone()), step)));
    match cmd {
        C::Open {
            clue,
            subject,
            received,
            rules,
        } => {
            let text = rules.as_deref().map(read_text).transpose()?;
            let rules = cases::rules(text.as_deref())?;
            let today = jianxin_domain::case::beijing_date(settings.clock.now());
            Ok(Some((
                None,
                CaseStep::Open {
                    clue: clue.clone(),
                    subject: subject.clone(),
                    clue_received: received.unwrap_or(today),
                    rules,
                },
            )))
        }
        C::Extend {
            case,
            stage,
            reason,
        } => one(
            case,
            CaseStep::Extend {
                stage: match stage {
                    StageArg::Filing => Stage::Filing,
                    StageArg::Decision => Stage::Decision,
                },
                reason: reason.clone(),
            },
        ),
        C::File { case } => one(case, CaseStep::File),
        C::Evidence {
            case,
            name,
            sha256,
            officers,
        } => one(
            case,
            CaseStep::CollectEvidence {
                name: name.clone(),
                sha256: sha256.clone(),
                officers_present: officers.iter().cloned().collect::<BTreeSet<_>>(),
            },
        ),
        C::Notice { case } => one(case, CaseStep::GiveNotice),
        C::Statement { case, summary } => one(
            case,
            CaseStep::RecordStatement {
                summary: summary.clone(),
            },
        ),
        C::HearingRequest { case } => one(case, CaseStep::RequestHearing),
        C::Hearing { case } => one(case, CaseStep::HoldHearing),
        C::Review { case, opinion } => one(
            case,
            CaseStep::ReviewLegally {
                opinion: opinion.clone(),
            },
        ),
        C::Decide {
            case,
            violation,
            tier: t,
            amount,
            no_penalty,
            reason,
        } => one(
            case,
            CaseStep::Decide {
                violation: violation.clone(),
                tier: tier(*t),
                amount_yuan: if *no_penalty { None } else { *amount },
                reason: reason.clone(),
            },
        ),
        C::Serve { case } => one(case, CaseStep::Serve),
        C::Execute { case, note } => one(case, CaseStep::Execute { note: note.clone() }),
        C::Close { case } => one(case, CaseStep::Close),
        C::Withdraw { case, reason } => one(
            case,
            CaseStep::Withdraw {
                reason: reason.clone(),
            },
        ),
        C::Replay { .. } | C::Deviations { .. } | C::List => Ok(None),
    }
}

/// `jianxin case …`.
pub async fn case(
    settings: &Settings,
    format: Format,
    cmd: CaseCommandArgs,
) -> Result<(), CliError> {
    let step = step_of(settings, &cmd)?;
    let log = EventLog::open(&settings.db).await?;
    let outcome = run(settings, format, &log, cmd, step).await;
    log.database().close().await;
    outcome
}

async fn run(
    settings: &Settings,
    format: Format,
    log: &EventLog,
    cmd: CaseCommandArgs,
    step: Option<(Option<String>, CaseStep)>,
) -> Result<(), CliError> {
    let clock = settings.clock.as_ref();
    if let Some((case, step)) = step {
        let id = case.as_deref().map(cases::case_id).transpose()?;
        let actor = Actor::new(settings.operator.user.clone(), step.role());
        let done = cases::step(log, clock, &actor, id, step).await?;
        print(format, &done, || {
            format!("case {} {}", done.id, done.status)
        });
        return Ok(());
    }
    match cmd {
        CaseCommandArgs::Replay { case, at } => {
            let id = cases::case_id(&case)?;
            let at = at.as_deref().map(cases::parse_at).transpose()?;
            let signer = crate::keys::load(&settings.key_file)?;
            let r = cases::replay(log, &signer, &settings.origin, clock.now(), id, at).await?;
            print(format, &r, || {
                let moment = match r.at {
                    Some(at) => format!("as of {}", at.to_rfc3339()),
                    None => "as recorded".to_owned(),
                };
                let mut s = format!("case {} ({}) {moment}\n", r.id, r.status);
                for st in &r.steps {
                    s.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\n",
                        st.sequence,
                        st.at,
                        st.step,
                        st.actor,
                        match (st.deadline_met, st.deadline_calendar) {
                            (Some(true), Some(_)) => "in time (provisional calendar)",
                            (Some(false), Some(_)) => "LATE (provisional calendar)",
                            (Some(true), None) => "in time",
                            (Some(false), None) => "LATE",
                            (None, _) => "",
                        }
                    ));
                }
                for d in &r.deviations {
                    s.push_str(&format!("deviation {}: {}\n", d.code.as_str(), d.message));
                }
                s
            });
        }
        CaseCommandArgs::Deviations { case, .. } => {
            let all = match case {
                Some(c) => {
                    // without the key no stored checkpoint can be trusted: the whole ledger
                    let verifier = crate::keys::load(&settings.key_file)
                        .ok()
                        .map(|k| k.verifier());
                    let id = cases::case_id(&c)?;
                    vec![cases::deviations(log, verifier.as_ref(), id, settings.clock.now()).await?]
                }
                None => cases::deviations_all(log, settings.clock.now()).await?,
            };
            print(format, &all, || {
                let mut s = String::new();
                for c in &all {
                    for d in &c.deviations {
                        s.push_str(&format!(
                            "{}\t{}\t{}\t{}\n",
                            c.id,
                            d.sequence,
                            d.code.as_str(),
                            d.message
                        ));
                    }
                }
                s
            });
        }
        _ => {
            let rows = cases::list(log).await?;
            print(format, &rows, || {
                let mut s = String::from("ID\tSTATUS\tOFFICER\tOPENED\tDEVIATIONS\n");
                for r in &rows {
                    s.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\n",
                        r.id, r.status, r.officer, r.opened_at, r.deviations
                    ));
                }
                s
            });
        }
    }
    Ok(())
}
