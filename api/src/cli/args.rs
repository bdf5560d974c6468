//! Raw command-line arguments (clap). Names, flags and output fields are a contract that
//! outside tools rely on: change none of them.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use super::CliError;
use crate::settings::{Settings, DEFAULT_ORIGIN};

/// jianxin (监信): tamper-evident supervision and credit log.
#[derive(Debug, Parser)]
#[command(name = "jianxin", version, about)]
pub struct Cli {
    /// The event log: a SQLite file path or `sqlite:` URL, or a `postgres://` URL.
    #[arg(
        long,
        global = true,
        env = "JIANXIN_DB",
        default_value = "./jianxin.db",
        hide_env_values = true
    )]
    pub db: String,
    /// The deployment's Ed25519 signer key file (checkpoints, tokens).
    #[arg(
        long,
        global = true,
        env = "JIANXIN_KEY_FILE",
        default_value = "./jianxin.key"
    )]
    pub key_file: PathBuf,
    /// The log's origin line in signed checkpoints.
    #[arg(long, global = true, env = "JIANXIN_ORIGIN", default_value = DEFAULT_ORIGIN)]
    pub origin: String,
    /// Output format of commands that print data.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The operator recorded as actor of state changes (default: the OS user), role admin.
    #[arg(long, global = true, env = "JIANXIN_ACTOR")]
    pub actor: Option<String>,
    /// Fix the clock (RFC 3339 time or a date) instead of reading the system clock.
    #[arg(long, global = true, env = "JIANXIN_NOW", hide = true)]
    pub now: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// JSON on stdout; errors as JSON on stderr.
    Json,
    /// Human-readable text.
    Table,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The integrity ledger: verify, checkpoints, proofs, envelopes.
    #[command(subcommand)]
    Log(LogCommand),
    /// Validate identifiers.
    #[command(subcommand)]
    Check(CheckCommand),
    /// The working-day calendar in force.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Reference data (rules as data): load a new version.
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Generate the deployment's signing key.
    Keygen(KeygenArgs),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// The demo province.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Database administration (run as the schema owner).
    #[command(subcommand)]
    Db(DbCommand),
    /// Bulk import of the directories, all or nothing.
    Import(ImportArgs),
    /// The subject directory (检查对象名录库).
    #[command(subcommand)]
    Subjects(SubjectsCommand),
    /// The inspector directory (执法检查人员名录库).
    #[command(subcommand)]
    Inspectors(InspectorsCommand),
    /// The inspection item list (随机抽查事项清单).
    #[command(subcommand)]
    Items(ItemsCommand),
    /// The implementation rules (抽查工作细则).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Read models.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Inspection tasks (抽查任务): create, list, show.
    #[command(subcommand)]
    Task(TaskCommandArgs),
    /// The random draw (双随机) of a task: freeze, commit–reveal, beacon, run, recusal,
    /// redraw, and the published bundle (export, verify).
    #[command(subcommand)]
    Draw(DrawCommandArgs),
    /// An inspector's assignments in standing draws.
    Assignments(AssignmentsArgs),
    /// Inspection results (检查结果): record, correct, publish.
    #[command(subcommand)]
    Result(ResultCommandArgs),
    /// Publication of results (一公开): what is due.
    #[command(subcommand)]
    Publication(PublicationCommandArgs),
    /// Credit and the joint lists (信用联合奖惩): the check, the officer's steps, the
    /// query log, snapshots.
    #[command(subcommand)]
    Credit(CreditCommandArgs),
    /// Enforcement cases (行政处罚案件): the steps, the replay, the deviations.
    #[command(subcommand)]
    Case(super::cases::CaseCommandArgs),
    /// The scheduler (定时任务): time-driven rules as cron jobs, each firing once.
    #[command(subcommand)]
    Scheduler(super::scheduler::SchedulerCommandArgs),
}

/// `jianxin credit …`
#[derive(Debug, Subcommand)]
pub enum CreditCommandArgs {
    /// May SUBJECT do SCENARIO on DATE (as known at KNOWN_AT)? The answer is logged.
    Check {
        /// The USCC.
        #[arg(long)]
        subject: String,
        /// The scenario id (e.g. government_procurement).
        #[arg(long)]
        scenario: String,
        /// The valid date asked about (YYYY-MM-DD, China Standard Time).
        #[arg(long)]
        date: NaiveDate,
        /// What had been recorded by then (RFC 3339; default now).
        #[arg(long)]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
        /// The stated purpose, logged with the answer.
        #[arg(long, default_value = "")]
        purpose: String,
    },
    /// An officer's step from a JSON file `{"action": "record"|"enter"|"remove"|"annul"|
    /// "apply_repair"|"decide_repair", "subject", …}` (docs/CREDIT.md), as the credit
    /// officer given by --actor.
    Act {
        /// The step file.
        #[arg(long)]
        file: PathBuf,
    },
    /// A subject's entries as known at a moment.
    Entries {
        /// The USCC.
        #[arg(long)]
        subject: String,
        /// As recorded by then (default now).
        #[arg(long)]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// The public credit evaluation (class A–D) of SUBJECT on DATE.
    Evaluate {
        /// The USCC.
        #[arg(long)]
        subject: String,
        /// The valid date.
        #[arg(long)]
        date: NaiveDate,
        /// As recorded by then (default now).
        #[arg(long)]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Search the query log.
    Queries {
        /// Only about this USCC.
        #[arg(long)]
        subject: Option<String>,
        /// Only by this requester.
        #[arg(long)]
        requester: Option<String>,
        /// At most this many, newest first.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// A logged answer exactly as given.
    Query {
        /// The query id.
        id: uuid::Uuid,
    },
    /// Recompute a logged answer at its basis and at now.
    Recheck {
        /// The query id.
        id: uuid::Uuid,
    },
    /// Logged answers about SUBJECT whose decision would now differ.
    Impact {
        /// The USCC.
        #[arg(long)]
        subject: String,
    },
    /// A list's entries in force on DATE as known at KNOWN_AT (JSON, or CSV with --csv).
    Snapshot {
        /// abnormal, serious, red or focus.
        #[arg(long)]
        list: String,
        /// The valid date.
        #[arg(long)]
        date: NaiveDate,
        /// As recorded by then (default now).
        #[arg(long)]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
        /// CSV instead of JSON.
        #[arg(long)]
        csv: bool,
    },
    /// Webhook subscriptions to the change feed as recorded: owner, target, lists,
    /// active, cursor (docs/CREDIT.md §5a). Attempts and errors are the serving
    /// process's: `GET /v1/credit/subscriptions/{id}`.
    Subscriptions {
        /// Only those of this owner (user id).
        #[arg(long)]
        owner: Option<String>,
        /// Only the active ones.
        #[arg(long)]
        active: bool,
    },
}

/// `jianxin result …`
#[derive(Debug, Subcommand)]
pub enum ResultCommandArgs {
    /// Record a result from a JSON file (docs/RESULTS.md), as the inspector given by
    /// --actor, who must be on the subject's team.
    Record {
        /// The result file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Record a correction (the whole corrected result) with its reason.
    Correct {
        /// The result file.
        #[arg(long)]
        file: PathBuf,
        /// Why; published with the correction.
        #[arg(long)]
        reason: String,
    },
    /// Publish the current version of a result.
    Publish {
        /// The task id.
        #[arg(long)]
        task: String,
        /// The subject.
        #[arg(long)]
        subject: String,
    },
}

/// `jianxin publication …`
#[derive(Debug, Subcommand)]
pub enum PublicationCommandArgs {
    /// Results not yet published, with their deadline and working days left or overdue.
    Due {
        /// The day to count from (default: today, Beijing time).
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
}

/// `jianxin task …`
#[derive(Debug, Subcommand)]
pub enum TaskCommandArgs {
    /// Create a task from a JSON file (docs/DRAW.md §16).
    Create {
        /// The task file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Tasks, newest first.
    List {
        /// Only tasks in this status (open, frozen, drawn, draw_failed).
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One task: its state, freeze and draw.
    Show {
        /// The task id.
        task: String,
    },
}

/// `jianxin draw …`
#[derive(Debug, Subcommand)]
pub enum DrawCommandArgs {
    /// Freeze the pool as of today and fix a future drand quicknet round.
    Freeze {
        /// The task id.
        task: String,
        /// The round (default: the first round 10 minutes or more from now).
        #[arg(long)]
        round: Option<u64>,
        /// Reveals close here (RFC 3339; default: one minute before the round).
        #[arg(long)]
        reveal_deadline: Option<DateTime<Utc>>,
    },
    /// Record a department's commitment, before the freeze.
    Commit {
        /// The task id.
        task: String,
        /// The department.
        #[arg(long)]
        department: String,
        /// The commitment, hex (SHA-256 of "jianxin-draw-commit-v1", 0x00, the secret).
        #[arg(long, conflicts_with = "secret", required_unless_present = "secret")]
        commitment: Option<String>,
        /// The secret, hex (32 bytes): its commitment is computed here, the secret is
        /// not recorded.
        #[arg(long)]
        secret: Option<String>,
    },
    /// Record a department's reveal, after the freeze and before the deadline.
    Reveal {
        /// The task id.
        task: String,
        /// The department.
        #[arg(long)]
        department: String,
        /// The secret, hex (32 bytes).
        #[arg(long)]
        secret: String,
    },
    /// Enter the fixed drand round once published (verified against quicknet's key).
    Beacon {
        /// The task id.
        task: String,
        /// The round.
        #[arg(long)]
        round: u64,
        /// Its BLS signature, hex (48 bytes).
        #[arg(long)]
        signature: String,
    },
    /// Run the draw on the published pool.
    Run {
        /// The task id.
        task: String,
    },
    /// Declare a recusal (回避) as the inspector given by --actor; a replacement is drawn.
    Recuse {
        /// The task id.
        task: String,
        /// The subject.
        #[arg(long)]
        subject: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Approve a redraw with its reason (not by the task's planner).
    Redraw {
        /// The task id.
        task: String,
        /// Why; published forever.
        #[arg(long)]
        reason: String,
    },
    /// Write the published bundle of a drawn task into a directory.
    Export {
        /// The task id.
        task: String,
        /// The directory (created; must be empty if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a bundle without any database: pool digests, seed, result, proofs.
    Verify {
        /// The bundle directory.
        dir: PathBuf,
        /// Pin the deployment's verifier key (a file holding the vkey line) instead of
        /// trusting the bundle's key.txt.
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

/// `jianxin assignments --inspector ID`
#[derive(Debug, Args)]
pub struct AssignmentsArgs {
    /// The inspector id.
    #[arg(long)]
    pub inspector: String,
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKindArg {
    /// Market subjects.
    Subjects,
    /// Inspectors.
    Inspectors,
    /// Inspection items.
    Items,
}

/// `jianxin import <KIND> <FILE>`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: ImportKindArg,
    /// A .csv or .xlsx file.
    pub file: PathBuf,
    /// Validate and report what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// CSV encoding (utf-8, gb18030, gbk); detected when absent.
    #[arg(long)]
    pub encoding: Option<String>,
    /// XLSX sheet (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// The date the changes take effect (default: today).
    #[arg(long)]
    pub effective: Option<NaiveDate>,
}

/// `jianxin subjects …`
#[derive(Debug, Subcommand)]
pub enum SubjectsCommand {
    /// List subjects as of a date.
    List {
        /// A division code: this region and everything under it.
        #[arg(long)]
        region: Option<String>,
        /// Subject kind (Chinese or English).
        #[arg(long)]
        kind: Option<String>,
        /// Credit risk class A–D.
        #[arg(long)]
        risk: Option<String>,
        /// A supervision tag.
        #[arg(long)]
        tag: Option<String>,
        /// Status (Chinese or English).
        #[arg(long)]
        status: Option<String>,
        /// As of this date (default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Cursor: list after this USCC.
        #[arg(long)]
        after: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One subject with its history.
    Show {
        /// The USCC.
        uscc: String,
    },
}

/// `jianxin inspectors …`
#[derive(Debug, Subcommand)]
pub enum InspectorsCommand {
    /// List inspectors as of a date.
    List {
        /// Department code.
        #[arg(long)]
        department: Option<String>,
        /// A patrol area (division code).
        #[arg(long)]
        patrol_area: Option<String>,
        /// A qualification.
        #[arg(long)]
        qualification: Option<String>,
        /// Status (active, suspended, retired).
        #[arg(long)]
        status: Option<String>,
        /// As of this date (default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Cursor: list after this id.
        #[arg(long)]
        after: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

/// `jianxin items …`
#[derive(Debug, Subcommand)]
pub enum ItemsCommand {
    /// List inspection items.
    List {
        /// Cursor: list after this code.
        #[arg(long)]
        after: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

/// `jianxin rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List published versions.
    List,
    /// Publish a new version from a JSON file (see docs/IMPORT.md).
    Publish {
        /// The rules as JSON (every field; defaults with `jianxin rules defaults`).
        #[arg(long)]
        file: PathBuf,
        /// Why this version is published.
        #[arg(long)]
        reason: String,
    },
    /// Print the default rules (DOMAIN.md) as JSON.
    Defaults,
}

/// `jianxin projections …`
#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Replay the log into fresh read models (all, or the one named).
    Rebuild {
        /// A read model name.
        name: Option<String>,
    },
}

/// `jianxin db …`
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply the embedded schema (idempotent).
    Migrate,
    /// PostgreSQL: let ROLE run the service with INSERT and SELECT only on the event and
    /// ledger tables.
    GrantServiceRole {
        /// An existing login role.
        role: String,
    },
}

/// `jianxin log …`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Recompute every hash from the stored events; exit 3 on any change.
    Verify {
        /// Also prove the log extends this signed checkpoint.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Verifier key for the checkpoint (default: the deployment key's).
        #[arg(long)]
        verifier_key: Option<String>,
    },
    /// Print a signed checkpoint of the log as it stands.
    Checkpoint,
    /// Print the log's verifier key (publish it: outsiders check checkpoints with it).
    Key,
    /// Print an inclusion proof of the event at SEQ.
    Prove {
        /// Global sequence number.
        seq: u64,
        /// Prove against the tree of this many entries (default: the whole log).
        #[arg(long)]
        tree_size: Option<u64>,
    },
    /// Print a consistency proof from OLD_SIZE entries to the current log.
    Consistency {
        /// The older tree size.
        old_size: u64,
    },
    /// Check a proof against a checkpoint, with no database.
    VerifyProof {
        /// The signed checkpoint the proof leads to.
        #[arg(long)]
        checkpoint: PathBuf,
        /// The proof (from `log prove` or `log consistency`).
        #[arg(long)]
        proof: PathBuf,
        /// The ledger entry's canonical bytes (inclusion proofs).
        #[arg(long)]
        event: Option<PathBuf>,
        /// The older checkpoint (consistency proofs).
        #[arg(long)]
        old_checkpoint: Option<PathBuf>,
        /// The log's published verifier key, `<name>+<id>+<key>` or `@FILE` (required: an
        /// outsider's check needs nothing secret).
        #[arg(long)]
        verifier_key: Option<String>,
    },
    /// List event envelopes in global order.
    Show {
        /// First global sequence number.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// How many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
}

/// `jianxin check …`
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Validate a unified social credit code (统一社会信用代码).
    Uscc {
        /// The code.
        code: String,
    },
}

/// `jianxin calendar …`
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// The N-th working day after DATE.
    AddWorkingDays {
        /// Start date (YYYY-MM-DD).
        date: NaiveDate,
        /// Working days to add.
        n: u32,
    },
    /// Working days in (START, END].
    WorkingDaysBetween {
        /// Start date, excluded.
        start: NaiveDate,
        /// End date, included.
        end: NaiveDate,
    },
    /// Which years are counted on the official schedule and which provisionally.
    Years,
}

/// Reference kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReferenceKindArg {
    /// The working-day calendar.
    Calendar,
    /// The administrative division table.
    Divisions,
    /// The credit rule version (key = value lines).
    CreditRules,
    /// The joint measures catalogue (CSV).
    Measures,
}

/// `jianxin reference …`
#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Validate FILE and record it as the new version.
    Load {
        /// Which table.
        #[arg(value_enum)]
        kind: ReferenceKindArg,
        /// The CSV file.
        file: PathBuf,
    },
    /// List loaded versions.
    List,
}

/// `jianxin keygen`
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the key (default: --key-file).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The key name (default: the origin).
    #[arg(long)]
    pub name: Option<String>,
}

/// `jianxin token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a bearer token (recorded as an event).
    Issue {
        /// Role: admin, planner, inspector, credit_officer, supervisor, external_system,
        /// case_officer, approving_officer.
        #[arg(long)]
        role: String,
        /// User id.
        #[arg(long)]
        user: String,
        /// Scope (repeatable; required for external_system).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Validity in days: for a person's role one working day unless given; for an
        /// external system it must be given (a system's token outlives no one by
        /// accident).
        #[arg(long)]
        ttl_days: Option<u32>,
    },
}

/// `jianxin serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JIANXIN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Seed the demo province into an empty store and print demo tokens.
    #[arg(long)]
    pub demo: bool,
    /// Do not run the scheduler's jobs inside the service (run `jianxin scheduler run`
    /// elsewhere, or none).
    #[arg(long)]
    pub no_scheduler: bool,
    /// The scheduler configuration file.
    #[command(flatten)]
    pub schedule: super::scheduler::ScheduleFileArg,
    /// Requests a minute per client address without a verified token (the public site
    /// and API, the login form); 0 turns the limit off.
    #[arg(long, env = "JIANXIN_ANONYMOUS_RATE", default_value_t = crate::http::RateLimit::DEFAULT_PER_MINUTE)]
    pub anonymous_rate_per_minute: u32,
    /// How many such requests one address may send at once.
    #[arg(long, env = "JIANXIN_ANONYMOUS_BURST", default_value_t = crate::http::RateLimit::DEFAULT_BURST)]
    pub anonymous_burst: u32,
    /// Do not push list changes to subscribed webhooks from this instance.
    #[arg(long)]
    pub no_webhooks: bool,
    /// Wait after a failed webhook delivery, in milliseconds; it doubles with each
    /// further failure of the same batch, up to --webhook-retry-max-ms.
    #[arg(long, env = "JIANXIN_WEBHOOK_RETRY_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub webhook_retry_ms: u64,
    /// The longest wait between delivery attempts, in milliseconds.
    #[arg(long, env = "JIANXIN_WEBHOOK_RETRY_MAX_MS", default_value_t = 600_000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub webhook_retry_max_ms: u64,
    /// How often idle subscriptions look for new changes, in milliseconds.
    #[arg(long, env = "JIANXIN_WEBHOOK_POLL_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub webhook_poll_ms: u64,
    /// How long one delivery attempt may take (connect, send, status), in milliseconds.
    #[arg(long, env = "JIANXIN_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub webhook_timeout_ms: u64,
    /// Networks webhooks may reach although not public (loopback, private, link-local…),
    /// as ADDRESS or ADDRESS/PREFIX; repeatable or comma-separated. Default: none — public
    /// addresses only.
    #[arg(
        long = "webhook-allow",
        env = "JIANXIN_WEBHOOK_ALLOW",
        value_delimiter = ','
    )]
    pub webhook_allow: Vec<String>,
    /// Seconds a connection may take to send a request's headers before it is closed.
    #[arg(long, env = "JIANXIN_HEADER_READ_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_read_timeout_secs: u64,
}

/// `jianxin demo …`
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Seed the deterministic demo province and exit.
    Seed,
    /// Write synthetic subjects.csv, inspectors.csv and items.csv (same seed, same bytes).
    Generate(GenerateArgs),
}

/// `jianxin demo generate`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Subjects to write.
    #[arg(long)]
    pub subjects: u64,
    /// Inspectors to write.
    #[arg(long)]
    pub inspectors: u64,
    /// Inspection items to write.
    #[arg(long, default_value_t = 20)]
    pub items: u64,
    /// The directory to write the files into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// The random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Cli {
    /// Validated settings.
    pub fn settings(&self) -> Result<Settings, CliError> {
        let now = match &self.now {
            None => None,
            Some(s) => Some(parse_now(s)?),
        };
        Settings::resolve(
            &self.db,
            self.key_file.clone(),
            self.origin.clone(),
            now,
            self.actor.clone(),
        )
        .map_err(|e| CliError::Usage(e.to_string()))
    }
}

fn parse_now(s: &str) -> Result<DateTime<Utc>, CliError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(t) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    Err(CliError::Usage(format!(
        "--now {s:?}: expected an RFC 3339 time (2026-01-05T09:00:00Z) or a date (2026-01-05)"
    )))
}
