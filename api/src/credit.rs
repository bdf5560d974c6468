//! Credit operations (信用联合奖惩), shared by the CLI and the HTTP API: the officer's
//! list maintenance, and the check other systems call — answered from the log
//! bitemporally, under the rule and catalogue versions in force at `known_at`, and
//! logged as an event before it is returned. Also the recheck of a logged answer, the
//! impact notice after a retroactive correction, and list snapshots.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use jianxin_domain::credit::query::{CheckAnswer, CreditQuery, QueryCommand};
use jianxin_domain::credit::{
    china_date, credit_subject_id, entries_known, evaluate, valid_scenario, AnnulEntry,
    ApplyRepair, CreditCommand, CreditError, CreditRules, CreditSubject, DecideRepair, Decision,
    EnterList, EntryView, ListId, MeasuresCatalogue, RecordCredit, RemoveFromList,
    DEFAULT_MEASURES_CSV, DEFAULT_RULES_TEXT,
};
use jianxin_domain::event_log::{Actor, Issued, Role};
use jianxin_domain::identifiers::Uscc;
use jianxin_domain::reference_data::ReferenceKind;
use jianxin_projections::log::in_force;
use jianxin_projections::read_models::{
    credit_facts, log_position, logged_queries, subjects_on_lists, CheckReading, LoggedQuery,
};
use jianxin_projections::{Clock, EventLog, Executed};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ops::{meta, OpError};

/// The most checks one batch request may hold.
pub const CHECK_BATCH_MAX: usize = 200;

fn invalid(message: impl Into<String>, location: &str) -> OpError {
    OpError::Invalid {
        message: message.into(),
        location: Some(location.into()),
    }
}

/// Parses a USCC, the error naming the position and the expected check character.
pub fn parse_subject(text: &str) -> Result<Uscc, OpError> {
    Uscc::parse(text.trim()).map_err(|e| invalid(format!("subject {text:?}: {e}"), "subject"))
}

/// The rule and catalogue versions in force at an instant.
#[derive(Debug, Clone)]
pub struct CreditBasis {
    /// The rules.
    pub rules: CreditRules,
    /// Their version (SHA-256 of the text).
    pub rule_version: String,
    /// The catalogue.
    pub catalogue: MeasuresCatalogue,
    /// Its version.
    pub catalogue_version: String,
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The versions in force at `at`: the latest loaded at or before it, else the shipped
/// defaults (whose version is the digest of their text).
pub async fn basis_at(
    log: &EventLog,
    at: DateTime<Utc>,
) -> Result<std::sync::Arc<CreditBasis>, OpError> {
    let rules = log
        .reference_version_at(ReferenceKind::CreditRules, Some(at))
        .await?;
    let catalogue = log
        .reference_version_at(ReferenceKind::Measures, Some(at))
        .await?;
    basis_of(
        rules.as_ref().map(|(d, t)| (d.as_str(), t.as_str())),
        catalogue.as_ref().map(|(d, t)| (d.as_str(), t.as_str())),
    )
}

/// [`basis_at`] given the highest stored version numbers of the rules and the
/// catalogue, as a check reads them with the subject's facts ([`CheckReading`]): no
/// query of its own while the kept versions are current.
async fn basis_counted(
    log: &EventLog,
    at: DateTime<Utc>,
    reading: &CheckReading,
) -> Result<std::sync::Arc<CreditBasis>, OpError> {
    let rules = log
        .reference_versions_counted(ReferenceKind::CreditRules, reading.rule_versions)
        .await?;
    let catalogue = log
        .reference_versions_counted(ReferenceKind::Measures, reading.catalogue_versions)
        .await?;
    basis_of(in_force(&rules, Some(at)), in_force(&catalogue, Some(at)))
}

/// The parsed basis of a rule version and a catalogue version (digest, text), each
/// `None` for the shipped default; parsed once per pair of digests.
fn basis_of(
    rules: Option<(&str, &str)>,
    catalogue: Option<(&str, &str)>,
) -> Result<std::sync::Arc<CreditBasis>, OpError> {
    let (rule_version, rules_text) = match rules {
        Some((d, t)) => (d.to_string(), t),
        None => (DEFAULT_RULES_DIGEST.clone(), DEFAULT_RULES_TEXT),
    };
    let (catalogue_version, catalogue_text) = match catalogue {
        Some((d, t)) => (d.to_string(), t),
        None => (DEFAULT_MEASURES_DIGEST.clone(), DEFAULT_MEASURES_CSV),
    };
    let key = (rule_version, catalogue_version);
    if let Some(basis) = PARSED.lock().ok().and_then(|memo| memo.get(&key).cloned()) {
        return Ok(basis);
    }
    let bad = |e: jianxin_domain::credit::CreditDataError| {
        OpError::Refused(format!("a stored credit data version does not parse: {e}"))
    };
    let basis = std::sync::Arc::new(CreditBasis {
        rules: CreditRules::parse(rules_text).map_err(bad)?,
        rule_version: key.0.clone(),
        catalogue: MeasuresCatalogue::parse(catalogue_text).map_err(bad)?,
        catalogue_version: key.1.clone(),
    });
    if let Ok(mut memo) = PARSED.lock() {
        // Versions are few (a handful a year); a bound keeps a misuse from growing it.
        if memo.len() >= 64 {
            memo.clear();
        }
        memo.insert(key, basis.clone());
    }
    Ok(basis)
}

/// The versions of the shipped defaults: the digests of their texts.
static DEFAULT_RULES_DIGEST: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| digest(DEFAULT_RULES_TEXT));
/// See [`DEFAULT_RULES_DIGEST`].
static DEFAULT_MEASURES_DIGEST: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| digest(DEFAULT_MEASURES_CSV));

/// Parsed credit bases by (rule version, catalogue version). Each version is the digest
/// of its text, so an entry can never go stale: parsing is a pure function of the key.
static PARSED: std::sync::LazyLock<std::sync::Mutex<ParsedBases>> =
    std::sync::LazyLock::new(Default::default);

/// See [`PARSED`].
type ParsedBases = std::collections::HashMap<(String, String), std::sync::Arc<CreditBasis>>;

/// One question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckQuestion {
    /// The USCC.
    pub subject: String,
    /// The scenario id.
    pub scenario: String,
    /// The valid date asked about.
    pub date: NaiveDate,
    /// What had been recorded by then (default: now).
    #[serde(default)]
    pub known_at: Option<DateTime<Utc>>,
}

/// Who asks and why, for the query log.
#[derive(Debug, Clone)]
pub struct Asker {
    /// The actor.
    pub actor: Actor,
    /// The scenarios an external system may ask about (its token's scopes).
    pub scopes: Vec<String>,
    /// The stated purpose.
    pub purpose: String,
    /// Where the answer is logged.
    pub sink: crate::query_log::QueryLog,
}

fn check_scope(asker: &Asker, scenario: &str) -> Result<(), OpError> {
    if asker.actor.role == Role::ExternalSystem && !asker.scopes.iter().any(|s| s == scenario) {
        return Err(OpError::Forbidden(format!(
            "this system may ask about scenarios [{}], not {scenario}",
            asker.scopes.join(", ")
        )));
    }
    Ok(())
}

/// A subject given by something that is not a USCC: if it reads as a name (not ASCII),
/// the refusal lists up to 10 directory subjects whose name contains it, to pick from —
/// a name never yields a decision.
async fn not_a_uscc(log: &EventLog, text: &str, e: OpError) -> OpError {
    if text.is_ascii() {
        return e;
    }
    let candidates =
        jianxin_projections::read_models::subjects_named(log.database(), text.trim(), 10)
            .await
            .unwrap_or_default();
    let list = if candidates.is_empty() {
        "no subject of the directory has such a name".to_string()
    } else {
        let named: Vec<String> = candidates.iter().map(|(u, n)| format!("{u} {n}")).collect();
        format!("candidates: {}", named.join("; "))
    };
    invalid(
        format!("subject {text:?} is not a USCC; a name never yields a decision, ask again by USCC ({list})"),
        "subject",
    )
}

/// Computes the answer to `q` at log position `log_seq` (not logged).
pub async fn answer_at(
    log: &EventLog,
    q: &CheckQuestion,
    now: DateTime<Utc>,
    log_seq: u64,
    query_id: Uuid,
) -> Result<CheckAnswer, OpError> {
    let (uscc, known_at) = question_parts(log, q, now).await?;
    let basis = basis_at(log, known_at).await?;
    let id = credit_subject_id(&uscc).hyphenated().to_string();
    let facts = credit_facts(log.database(), &id, log_seq).await?;
    answer_from(q, &uscc, known_at, &basis, &facts, log_seq, query_id)
}

/// Computes the answer to `q` at the current log position (not logged), reading the
/// position, the version counts and the subject's facts in one statement.
async fn answer_now(
    log: &EventLog,
    q: &CheckQuestion,
    now: DateTime<Utc>,
    query_id: Uuid,
) -> Result<CheckAnswer, OpError> {
    let (uscc, known_at) = question_parts(log, q, now).await?;
    let id = credit_subject_id(&uscc).hyphenated().to_string();
    let reading = log.check_reading(&id).await?;
    let basis = basis_counted(log, known_at, &reading).await?;
    answer_from(
        q,
        &uscc,
        known_at,
        &basis,
        reading.facts(),
        reading.log_seq,
        query_id,
    )
}

/// The question's subject and `known_at` (default `now`), or why they are refused.
async fn question_parts(
    log: &EventLog,
    q: &CheckQuestion,
    now: DateTime<Utc>,
) -> Result<(Uscc, DateTime<Utc>), OpError> {
    let uscc = match parse_subject(&q.subject) {
        Ok(u) => u,
        Err(e) => return Err(not_a_uscc(log, &q.subject, e).await),
    };
    if !valid_scenario(&q.scenario) {
        return Err(invalid(
            format!(
                "scenario {:?}: expected an id such as government_procurement",
                q.scenario
            ),
            "scenario",
        ));
    }
    let known_at = q.known_at.unwrap_or(now).trunc_subsecs(6);
    if known_at > now {
        return Err(invalid(
            format!("known_at {known_at} lies in the future (now is {now})"),
            "known_at",
        ));
    }
    Ok((uscc, known_at))
}

/// The answer from what was read: the basis in force and the subject's facts.
fn answer_from(
    q: &CheckQuestion,
    uscc: &Uscc,
    known_at: DateTime<Utc>,
    basis: &CreditBasis,
    facts: &[jianxin_domain::credit::Fact],
    log_seq: u64,
    query_id: Uuid,
) -> Result<CheckAnswer, OpError> {
    if !basis.catalogue.scenarios().contains(&q.scenario) {
        return Err(invalid(
            format!(
                "unknown scenario {:?}; the catalogue in force names {}",
                q.scenario,
                basis.catalogue.scenarios().join(", ")
            ),
            "scenario",
        ));
    }
    let entries = entries_known(facts, known_at, &basis.rules);
    let e = evaluate(&entries, q.date, &q.scenario, &basis.catalogue);
    Ok(CheckAnswer {
        decision: e.decision,
        subject: uscc.as_str().to_string(),
        scenario: q.scenario.clone(),
        date: q.date,
        known_at,
        basis: e.basis,
        not_applicable: e.not_applicable,
        log_seq,
        rule_version: basis.rule_version.clone(),
        catalogue_version: basis.catalogue_version.clone(),
        query_id,
    })
}

async fn log_answer(
    log: &EventLog,
    clock: &dyn Clock,
    asker: &Asker,
    answer: &CheckAnswer,
) -> Result<(), OpError> {
    let command = QueryCommand::Log(Box::new(answer.clone()), asker.purpose.clone());
    // A time-ordered command id, as the query id: see [`fresh_query_id`].
    let meta = jianxin_domain::event_log::CommandMeta::new(
        Uuid::now_v7(),
        asker.actor.clone(),
        clock.now(),
    );
    asker.sink.append(log, answer.query_id, meta, command).await
}

/// A new query id: a UUID of version 7, time-ordered, so that the query log's indexes
/// by query id and by command id grow at their ends instead of at random pages (which
/// made every group commit write a page of each index per answer); its 74 random bits
/// keep it unguessable, and reading a logged query needs an authorised token anyway.
fn fresh_query_id() -> Uuid {
    Uuid::now_v7()
}

fn check_purpose(asker: &Asker) -> Result<(), OpError> {
    if asker.purpose.chars().count() > 500 {
        return Err(invalid("at most 500 characters", "purpose"));
    }
    Ok(())
}

/// Answers one question and logs the answer before returning it.
pub async fn check(
    log: &EventLog,
    clock: &dyn Clock,
    asker: &Asker,
    q: &CheckQuestion,
) -> Result<CheckAnswer, OpError> {
    check_purpose(asker)?;
    check_scope(asker, &q.scenario)?;
    let answer = answer_now(log, q, clock.now(), fresh_query_id()).await?;
    log_answer(log, clock, asker, &answer).await?;
    Ok(answer)
}

/// Answers up to [`CHECK_BATCH_MAX`] questions on one basis (`log_seq`); every item is
/// checked before anything is logged, so a bad item refuses the whole batch.
pub async fn check_batch(
    log: &EventLog,
    clock: &dyn Clock,
    asker: &Asker,
    items: &[CheckQuestion],
) -> Result<Vec<CheckAnswer>, OpError> {
    if items.is_empty() || items.len() > CHECK_BATCH_MAX {
        return Err(invalid(
            format!(
                "{} items; a batch holds 1 to {CHECK_BATCH_MAX}",
                items.len()
            ),
            "items",
        ));
    }
    check_purpose(asker)?;
    let log_seq = log_position(log.database()).await?;
    let now = clock.now();
    let mut answers = Vec::with_capacity(items.len());
    for (i, q) in items.iter().enumerate() {
        let prefix = |e: OpError| match e {
            OpError::Invalid { message, location } => OpError::Invalid {
                message,
                location: Some(format!("items[{i}].{}", location.unwrap_or_default())),
            },
            other => other,
        };
        check_scope(asker, &q.scenario).map_err(prefix)?;
        answers.push(
            answer_at(log, q, now, log_seq, fresh_query_id())
                .await
                .map_err(prefix)?,
        );
    }
    for a in &answers {
        log_answer(log, clock, asker, a).await?;
    }
    Ok(answers)
}

/// A logged query by id.
pub async fn logged(log: &EventLog, id: Uuid) -> Result<LoggedQuery, OpError> {
    let id = id.hyphenated().to_string();
    logged_queries(log, Some(&id), None, None, 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| OpError::NotFound(format!("no credit query {id}")))
}

/// A logged answer recomputed at its own basis and at now.
#[derive(Debug, Clone, Serialize)]
pub struct Recheck {
    /// The answer exactly as given.
    pub original: serde_json::Value,
    /// Recomputed at the same `log_seq` and `known_at`.
    pub same_basis: CheckAnswer,
    /// True when the recomputation equals the original (it must).
    pub identical: bool,
    /// Recomputed with everything known now.
    pub now: CheckAnswer,
    /// True when the decision now differs.
    pub decision_changed: bool,
    /// Entries in the basis now but not then, and then but not now.
    pub basis_added: Vec<Uuid>,
    /// See `basis_added`.
    pub basis_removed: Vec<Uuid>,
}

fn question_of(a: &CheckAnswer, known_at: Option<DateTime<Utc>>) -> CheckQuestion {
    CheckQuestion {
        subject: a.subject.clone(),
        scenario: a.scenario.clone(),
        date: a.date,
        known_at,
    }
}

/// Recomputes a logged answer (nothing is logged).
pub async fn recheck(log: &EventLog, clock: &dyn Clock, id: Uuid) -> Result<Recheck, OpError> {
    let row = logged(log, id).await?;
    let given: CheckAnswer = serde_json::from_value(row.answer.clone())
        .map_err(|e| OpError::Refused(format!("the logged answer does not parse: {e}")))?;
    let now = clock.now();
    let same = answer_at(
        log,
        &question_of(&given, Some(given.known_at)),
        now.max(given.known_at),
        given.log_seq,
        given.query_id,
    )
    .await?;
    let current_seq = log_position(log.database()).await?;
    let fresh = answer_at(
        log,
        &question_of(&given, None),
        now,
        current_seq,
        given.query_id,
    )
    .await?;
    let ids = |a: &CheckAnswer| a.basis.iter().map(|b| b.entry_id).collect::<Vec<_>>();
    let (then, later) = (ids(&given), ids(&fresh));
    Ok(Recheck {
        identical: same == given,
        decision_changed: fresh.decision != given.decision,
        basis_added: later
            .iter()
            .filter(|x| !then.contains(x))
            .copied()
            .collect(),
        basis_removed: then
            .iter()
            .filter(|x| !later.contains(x))
            .copied()
            .collect(),
        original: row.answer,
        same_basis: same,
        now: fresh,
    })
}

/// Records the asker's feedback (触发反馈) on its query.
pub async fn feedback(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
    measure_applied: &str,
    note: &str,
) -> Result<Vec<u64>, OpError> {
    if measure_applied.chars().count() > 500 || note.chars().count() > 2000 {
        return Err(invalid(
            "measure_applied at most 500, note at most 2000 characters",
            "body",
        ));
    }
    let issued = Issued {
        meta: meta(clock, actor),
        command: QueryCommand::Feedback {
            measure_applied: measure_applied.into(),
            note: note.into(),
        },
    };
    use jianxin_domain::credit::query::QueryError;
    match log.execute::<CreditQuery, _>(id, issued).await? {
        Ok(Executed::Applied {
            global_sequences, ..
        })
        | Ok(Executed::AlreadyApplied { global_sequences }) => Ok(global_sequences),
        Err(e @ QueryError::NotLogged) => Err(OpError::NotFound(e.to_string())),
        Err(e @ QueryError::NotTheAsker(_)) => Err(OpError::Forbidden(e.to_string())),
        Err(e) => Err(OpError::Refused(e.to_string())),
    }
}

/// A logged answer whose decision would now differ (impact notice).
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    /// The query.
    pub query_id: String,
    /// Who asked (the department to tell).
    pub requester: String,
    /// When.
    pub asked_at: String,
    /// The scenario and date asked about.
    pub scenario: String,
    /// See `scenario`.
    pub date: String,
    /// The decision given.
    pub decision_then: String,
    /// The decision with everything known now.
    pub decision_now: Decision,
}

/// The logged answers about `uscc` whose decision would now differ.
pub async fn impact(
    log: &EventLog,
    clock: &dyn Clock,
    uscc: &Uscc,
) -> Result<Vec<Impact>, OpError> {
    let now = clock.now();
    let seq = log_position(log.database()).await?;
    let mut out = vec![];
    for row in logged_queries(log, None, Some(uscc.as_str()), None, 10_000).await? {
        let Ok(given) = serde_json::from_value::<CheckAnswer>(row.answer.clone()) else {
            continue;
        };
        let fresh = answer_at(log, &question_of(&given, None), now, seq, given.query_id).await?;
        if fresh.decision != given.decision {
            out.push(Impact {
                query_id: row.query_id,
                requester: row.requester,
                asked_at: row.asked_at,
                scenario: row.scenario,
                date: row.date,
                decision_then: row.decision,
                decision_now: fresh.decision,
            });
        }
    }
    Ok(out)
}

/// An officer's step on a subject's credit, as sent (`POST /v1/credit/…`, CLI).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum CreditAction {
    /// Record a credit fact.
    Record {
        /// The subject.
        subject: String,
        /// The record.
        #[serde(flatten)]
        record: RecordCredit,
    },
    /// Enter a list.
    Enter {
        /// The subject.
        subject: String,
        /// The list id.
        list: ListId,
        /// Why.
        reason: String,
        /// The legal basis.
        legal_basis: String,
        /// First day on the list.
        entered_on: NaiveDate,
    },
    /// Remove an entry on correction.
    Remove {
        /// The subject.
        subject: String,
        /// The entry.
        entry_id: Uuid,
        /// Why.
        reason: String,
        /// First day off.
        removed_on: NaiveDate,
    },
    /// Annul a wrongful entry.
    Annul {
        /// The subject.
        subject: String,
        /// The entry.
        entry_id: Uuid,
        /// Why.
        reason: String,
    },
    /// Annul a wrongful credit record.
    AnnulRecord {
        /// The subject.
        subject: String,
        /// The record.
        record_id: Uuid,
        /// Why.
        reason: String,
    },
    /// Apply for repair.
    ApplyRepair {
        /// The subject.
        subject: String,
        /// The entry.
        entry_id: Uuid,
        /// Day of application (default: today in China).
        #[serde(default)]
        applied_on: Option<NaiveDate>,
        /// SHA-256 of each proof.
        proofs: Vec<String>,
        /// Corrected.
        corrected: bool,
        /// Penalty fulfilled.
        penalty_fulfilled: bool,
        /// Public commitment made.
        public_commitment: bool,
    },
    /// Decide a repair application.
    DecideRepair {
        /// The subject.
        subject: String,
        /// The entry.
        entry_id: Uuid,
        /// Granted?
        approved: bool,
        /// Reasons.
        reasons: String,
        /// First day off when granted (default: today in China).
        #[serde(default)]
        effective_on: Option<NaiveDate>,
    },
    /// Repair a penalty record whose minimum publicity period has ended.
    RepairRecord {
        /// The subject.
        subject: String,
        /// The penalty record.
        record_id: Uuid,
        /// The first day it no longer counts (default: today in China).
        #[serde(default)]
        repaired_on: Option<NaiveDate>,
        /// The officer's reasons.
        reasons: String,
        /// SHA-256 of each proof.
        proofs: Vec<String>,
    },
}

/// What an officer's step did.
#[derive(Debug, Clone, Serialize)]
pub struct ActionOutcome {
    /// The subject.
    pub subject: String,
    /// The entry made or changed, if any.
    pub entry_id: Option<Uuid>,
    /// The credit record made or repaired, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<Uuid>,
    /// Ledger positions of the step's events.
    pub global_sequences: Vec<u64>,
    /// True when the same command (id) was applied before: nothing was appended now.
    pub replayed: bool,
    /// Logged answers whose decision would now differ (after a change to an entry).
    pub impact: Vec<Impact>,
}

fn refused(e: CreditError) -> OpError {
    match e {
        CreditError::Invalid(field, message) => OpError::Invalid {
            message: format!("{field}: {message}"),
            location: Some(field),
        },
        CreditError::NotCreditOfficer(_) => OpError::Forbidden(e.to_string()),
        CreditError::NoSuchEntry(_) => OpError::NotFound(e.to_string()),
        CreditError::RecordNotRepairable(..) => OpError::Refused(e.to_string()),
        CreditError::RemovedBeforeEntry { .. } | CreditError::RepairConditionMissing(_) => {
            OpError::Invalid {
                message: e.to_string(),
                location: None,
            }
        }
        _ => OpError::Refused(e.to_string()),
    }
}

/// Runs an officer's step; the request body is at most 64 KiB (checked by the caller).
pub async fn act(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    action: CreditAction,
) -> Result<ActionOutcome, OpError> {
    act_as(log, clock, meta(clock, actor), action).await
}

/// [`act`] under given command metadata (a fixed command id makes a step idempotent:
/// the demo seed re-run appends nothing).
pub async fn act_as(
    log: &EventLog,
    clock: &dyn Clock,
    command_meta: jianxin_domain::event_log::CommandMeta,
    action: CreditAction,
) -> Result<ActionOutcome, OpError> {
    let now = clock.now();
    let today = china_date(now);
    let basis = basis_at(log, now).await?;
    let (subject, command, changes_entry) = match action {
        CreditAction::Record { subject, record } => {
            let uscc = parse_subject(&subject)?;
            (uscc.clone(), CreditCommand::Record(uscc, record), false)
        }
        CreditAction::Enter {
            subject,
            list,
            reason,
            legal_basis,
            entered_on,
        } => {
            let uscc = parse_subject(&subject)?;
            let enter = EnterList {
                list,
                reason,
                legal_basis,
                entered_on,
                rules: basis.rules,
                rule_version: basis.rule_version.clone(),
            };
            (uscc.clone(), CreditCommand::Enter(uscc, enter), true)
        }
        CreditAction::Remove {
            subject,
            entry_id,
            reason,
            removed_on,
        } => (
            parse_subject(&subject)?,
            CreditCommand::Remove(RemoveFromList {
                entry_id,
                reason,
                removed_on,
            }),
            true,
        ),
        CreditAction::Annul {
            subject,
            entry_id,
            reason,
        } => (
            parse_subject(&subject)?,
            CreditCommand::Annul(AnnulEntry { entry_id, reason }),
            true,
        ),
        // A record is not a list entry: no check's decision changes, so no impact list.
        CreditAction::AnnulRecord {
            subject,
            record_id,
            reason,
        } => (
            parse_subject(&subject)?,
            CreditCommand::AnnulRecord(jianxin_domain::credit::AnnulRecord { record_id, reason }),
            false,
        ),
        CreditAction::ApplyRepair {
            subject,
            entry_id,
            applied_on,
            proofs,
            corrected,
            penalty_fulfilled,
            public_commitment,
        } => (
            parse_subject(&subject)?,
            CreditCommand::ApplyRepair(ApplyRepair {
                entry_id,
                applied_on: applied_on.unwrap_or(today),
                proofs,
                corrected,
                penalty_fulfilled,
                public_commitment,
                rules: basis.rules,
            }),
            false,
        ),
        CreditAction::DecideRepair {
            subject,
            entry_id,
            approved,
            reasons,
            effective_on,
        } => (
            parse_subject(&subject)?,
            CreditCommand::DecideRepair(DecideRepair {
                entry_id,
                approved,
                reasons,
                effective_on: effective_on.unwrap_or(today),
            }),
            true,
        ),
        // A record is not a list entry: no check's decision changes, so no impact list.
        CreditAction::RepairRecord {
            subject,
            record_id,
            repaired_on,
            reasons,
            proofs,
        } => (
            parse_subject(&subject)?,
            CreditCommand::RepairRecord(jianxin_domain::credit::RepairRecord {
                record_id,
                repaired_on: repaired_on.unwrap_or(today),
                reasons,
                proofs,
                rules: basis.rules,
            }),
            false,
        ),
    };
    let target = match &command {
        CreditCommand::Remove(r) => Some(r.entry_id),
        CreditCommand::Annul(a) => Some(a.entry_id),
        CreditCommand::ApplyRepair(a) => Some(a.entry_id),
        CreditCommand::DecideRepair(d) => Some(d.entry_id),
        CreditCommand::Expire(x) => Some(x.entry_id),
        CreditCommand::Escalate(x) => Some(x.abnormal_entry),
        CreditCommand::Record(..)
        | CreditCommand::Enter(..)
        | CreditCommand::EndPublicity(_)
        | CreditCommand::RepairRecord(_)
        | CreditCommand::AnnulRecord(_) => None,
    };
    let entering = matches!(command, CreditCommand::Enter(..));
    let recording = matches!(command, CreditCommand::Record(..));
    let repaired_record = match &command {
        CreditCommand::RepairRecord(r) => Some(r.record_id),
        CreditCommand::AnnulRecord(a) => Some(a.record_id),
        _ => None,
    };
    let issued = Issued {
        meta: command_meta,
        command,
    };
    let id = credit_subject_id(&subject);
    let (global_sequences, state) = match log.execute::<CreditSubject, _>(id, issued).await? {
        Ok(Executed::Applied {
            global_sequences,
            state,
        }) => (global_sequences, Some(state)),
        Ok(Executed::AlreadyApplied { global_sequences }) => (global_sequences, None),
        Err(e) => return Err(refused(e)),
    };
    let replayed = state.is_none();
    let record_id = match &state {
        Some(s) if recording => Some(jianxin_domain::credit::record_id(&subject, s.records)),
        _ => repaired_record,
    };
    let entry_id = match state {
        Some(s) if entering => s.entries.last().map(|e| e.entry_id),
        _ => target,
    };
    let impact = if changes_entry {
        impact(log, clock, &subject).await?
    } else {
        vec![]
    };
    Ok(ActionOutcome {
        subject: subject.as_str().to_string(),
        entry_id,
        record_id,
        global_sequences,
        replayed,
        impact,
    })
}

/// A subject's entries as known at `known_at` (default now), with the derived ones.
pub async fn entries_of(
    log: &EventLog,
    clock: &dyn Clock,
    subject: &str,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<EntryView>, OpError> {
    let uscc = parse_subject(subject)?;
    let known_at = known_at.unwrap_or_else(|| clock.now());
    let basis = basis_at(log, known_at).await?;
    let seq = log_position(log.database()).await?;
    let facts = credit_facts(
        log.database(),
        &credit_subject_id(&uscc).hyphenated().to_string(),
        seq,
    )
    .await?;
    Ok(entries_known(&facts, known_at, &basis.rules))
}

/// The public credit evaluation (class A–D) of a subject on `date` as known at
/// `known_at` (default now), with its reasons and basis.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluated {
    /// The USCC.
    pub subject: String,
    /// The valid date.
    pub date: NaiveDate,
    /// As known then.
    pub known_at: DateTime<Utc>,
    /// The log position.
    pub log_seq: u64,
    /// The class, reasons and rule version.
    #[serde(flatten)]
    pub answer: jianxin_domain::credit::ClassAnswer,
}

/// See [`Evaluated`].
pub async fn evaluate_subject(
    log: &EventLog,
    clock: &dyn Clock,
    subject: &str,
    date: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Evaluated, OpError> {
    let uscc = parse_subject(subject)?;
    let now = clock.now();
    let known_at = known_at.unwrap_or(now).trunc_subsecs(6);
    if known_at > now {
        return Err(invalid(
            format!("known_at {known_at} lies in the future"),
            "known_at",
        ));
    }
    let basis = basis_at(log, known_at).await?;
    let log_seq = log_position(log.database()).await?;
    let id = credit_subject_id(&uscc).hyphenated().to_string();
    let facts = credit_facts(log.database(), &id, log_seq).await?;
    let entries = entries_known(&facts, known_at, &basis.rules);
    Ok(Evaluated {
        subject: uscc.as_str().into(),
        date,
        known_at,
        log_seq,
        answer: jianxin_domain::credit::classify(&facts, &entries, date, known_at),
    })
}

/// The public credit classes of every subject with a credit fact, on `date`, from the
/// facts recorded up to the current ledger position as known at `known_at` (the freeze
/// of a draw whose rules take the risk class from the credit evaluation). A subject
/// with no credit fact is class A and is not listed.
#[derive(Debug, Clone)]
pub struct CreditClasses {
    /// Class by USCC (only subjects that have credit facts).
    pub classes: std::collections::HashMap<String, jianxin_domain::directory::RiskClass>,
    /// The basis, as the freeze records it.
    pub basis: jianxin_domain::task::CreditClassBasis,
}

impl CreditClasses {
    /// The class of `uscc` (A when it has no credit fact).
    pub fn class_of(&self, uscc: &Uscc) -> jianxin_domain::directory::RiskClass {
        self.classes
            .get(uscc.as_str())
            .copied()
            .unwrap_or(jianxin_domain::directory::RiskClass::A)
    }
}

/// See [`CreditClasses`].
pub async fn credit_classes(
    log: &EventLog,
    date: NaiveDate,
    known_at: DateTime<Utc>,
) -> Result<CreditClasses, OpError> {
    use jianxin_domain::credit::CreditClass;
    use jianxin_domain::directory::RiskClass;
    let known_at = known_at.trunc_subsecs(6);
    let basis = basis_at(log, known_at).await?;
    let log_seq = log_position(log.database()).await?;
    let mut classes = std::collections::HashMap::new();
    jianxin_projections::read_models::each_credit_subject(
        log.database(),
        log_seq,
        |uscc, facts| {
            let entries = entries_known(&facts, known_at, &basis.rules);
            let class =
                match jianxin_domain::credit::classify(&facts, &entries, date, known_at).class {
                    CreditClass::A => RiskClass::A,
                    CreditClass::B => RiskClass::B,
                    CreditClass::C => RiskClass::C,
                    CreditClass::D => RiskClass::D,
                };
            classes.insert(uscc.to_string(), class);
        },
    )
    .await?;
    Ok(CreditClasses {
        classes,
        basis: jianxin_domain::task::CreditClassBasis {
            rule: jianxin_domain::credit::CREDIT_CLASS_RULE.into(),
            credit_rule_version: basis.rule_version.clone(),
            log_seq,
            known_at,
            reclassified: 0,
        },
    })
}

/// One row of a list snapshot (the file contract).
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotEntry {
    /// The entry.
    pub entry_id: Uuid,
    /// The USCC.
    pub subject: String,
    /// The list id.
    pub list: ListId,
    /// First day on.
    pub entered_on: NaiveDate,
    /// First day off as known (null: until removed).
    pub until: Option<NaiveDate>,
    /// Why.
    pub reason: String,
}

/// The basis of a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotBasis {
    /// The list.
    pub list: ListId,
    /// The valid date.
    pub date: NaiveDate,
    /// What had been recorded by then.
    pub known_at: DateTime<Utc>,
    /// The log position.
    pub log_seq: u64,
    /// The credit rule version.
    pub rule_version: String,
}

/// A list snapshot: `{"basis", "entries"}`.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// See [`SnapshotBasis`].
    pub basis: SnapshotBasis,
    /// The entries in force on the date, by subject.
    pub entries: Vec<SnapshotEntry>,
}

/// The entries of `list` in force on `date` as known at `known_at`.
pub async fn snapshot(
    log: &EventLog,
    clock: &dyn Clock,
    list: ListId,
    date: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Snapshot, OpError> {
    let now = clock.now();
    let known_at = known_at.unwrap_or(now);
    if known_at > now {
        return Err(invalid(
            format!("known_at {known_at} lies in the future"),
            "known_at",
        ));
    }
    let basis = basis_at(log, known_at).await?;
    let log_seq = log_position(log.database()).await?;
    // The serious list also holds escalations derived from abnormal entries.
    let lists: &[ListId] = if list == ListId::Serious {
        &[ListId::Serious, ListId::Abnormal]
    } else {
        std::slice::from_ref(&list)
    };
    let mut entries = vec![];
    for (subject_id, _) in subjects_on_lists(log.database(), lists).await? {
        let facts = credit_facts(log.database(), &subject_id, log_seq).await?;
        for e in entries_known(&facts, known_at, &basis.rules) {
            if e.list == list && e.covers(date) {
                entries.push(SnapshotEntry {
                    entry_id: e.entry_id,
                    subject: e.subject.clone(),
                    list: e.list,
                    entered_on: e.entered_on,
                    until: e.end(),
                    reason: e.reason.clone(),
                });
            }
        }
    }
    entries.sort_by(|a, b| (&a.subject, a.entered_on).cmp(&(&b.subject, b.entered_on)));
    Ok(Snapshot {
        basis: SnapshotBasis {
            list,
            date,
            known_at,
            log_seq,
            rule_version: basis.rule_version.clone(),
        },
        entries,
    })
}

/// `text` as a spreadsheet cell that is never a formula: a cell starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'`, which spreadsheet programs
/// show as text (CSV injection; a reason typed as `=HYPERLINK(…)` stays words).
pub fn spreadsheet_text(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The snapshot as CSV (`entry_id,subject,list,entered_on,until,reason`), the free-text
/// cells neutralised for spreadsheets ([`spreadsheet_text`]).
pub fn snapshot_csv(s: &Snapshot) -> Result<String, OpError> {
    let mut w = csv::Writer::from_writer(vec![]);
    let io = |e: csv::Error| OpError::Refused(format!("writing CSV: {e}"));
    w.write_record([
        "entry_id",
        "subject",
        "list",
        "entered_on",
        "until",
        "reason",
    ])
    .map_err(io)?;
    for e in &s.entries {
        w.write_record([
            e.entry_id.to_string(),
            e.subject.clone(),
            e.list.as_str().to_string(),
            e.entered_on.to_string(),
            e.until.map(|d| d.to_string()).unwrap_or_default(),
            spreadsheet_text(&e.reason).into_owned(),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| OpError::Refused(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| OpError::Refused(e.to_string()))
}

/// The manifest of a snapshot body.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The basis.
    pub basis: SnapshotBasis,
    /// Entries.
    pub count: usize,
    /// SHA-256 of the body as served.
    pub sha256: String,
    /// csv or json.
    pub format: &'static str,
}

/// The manifest of `body`.
pub fn manifest(s: &Snapshot, body: &str, format: &'static str) -> Manifest {
    Manifest {
        basis: s.basis.clone(),
        count: s.entries.len(),
        sha256: digest(body),
        format,
    }
}

/// The subscriber's view of a credit event: its type and payload (None: not a list
/// change). One shape for the change feed (JSON page, event stream) and webhooks.
pub fn list_change(
    c: &jianxin_projections::read_models::CreditChange,
) -> Option<(&'static str, serde_json::Value)> {
    use jianxin_domain::credit::CreditEvent as E;
    use serde_json::{json, Value};
    let (kind, mut v) = match &c.event {
        E::ListEntered {
            entry_id,
            list,
            reason,
            entered_on,
            until,
            legal_basis,
            ..
        } => (
            "entered",
            json!({"entry_id": entry_id, "list": list, "reason": reason, "legal_basis": legal_basis,
                   "entered_on": entered_on, "until": until}),
        ),
        E::ListEntryAnnulled { entry_id, reason } => (
            "corrected",
            json!({"entry_id": entry_id, "correction": "annulled", "reason": reason}),
        ),
        E::ListRemoved {
            entry_id,
            reason,
            removed_on,
        } => (
            "removed",
            json!({"entry_id": entry_id, "reason": reason, "removed_on": removed_on}),
        ),
        E::RepairDecided {
            entry_id,
            approved: true,
            reasons,
            effective_on,
        } => (
            "repaired",
            json!({"entry_id": entry_id, "reason": reasons, "removed_on": effective_on}),
        ),
        E::ListEntryExpired {
            entry_id,
            expired_on,
            due_at,
        } => (
            "expired",
            json!({"entry_id": entry_id, "removed_on": expired_on, "due_at": due_at}),
        ),
        _ => return None,
    };
    if let Value::Object(m) = &mut v {
        m.insert("seq".into(), json!(c.seq));
        m.insert("type".into(), json!(kind));
        m.insert("subject".into(), json!(c.subject));
        m.insert("recorded_at".into(), json!(c.recorded_at));
    }
    Some((kind, v))
}
