//! Operations shared by the CLI and the HTTP API: each validates its input, builds the
//! command with its metadata (actor, id, clock) and runs it through the event log.

use chrono::Duration;
use jianxin_domain::access::{AccessCommand, AccessError, AccessGrant, IssueToken};
use jianxin_domain::calendar::WorkingCalendar;
use jianxin_domain::credit::{CreditDataError, CreditRules, MeasuresCatalogue, CREDIT_RULE_KEYS};
use jianxin_domain::event_log::{Actor, CommandMeta, Issued, Role};
use jianxin_domain::identifiers::{canonical_text, DivisionTable, ReferenceFileError};
use jianxin_domain::reference_data::{
    LoadReferenceData, ReferenceData, ReferenceDataCommand, ReferenceDataError, ReferenceKind,
};
use jianxin_projections::{Clock, EventLog, Executed, StoreError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::state::AppState;
use crate::tokens::{self, Claims};

/// Why an operation failed: the input, a rule, or the store.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The input is invalid (CLI exit 1, HTTP 400/422).
    #[error("{message}")]
    Invalid {
        /// What is wrong and what was expected.
        message: String,
        /// Where (file:line:column, field path), when known.
        location: Option<String>,
    },
    /// A domain rule refused the command (CLI exit 1, HTTP 409/422).
    #[error("{0}")]
    Refused(String),
    /// The actor may not do this (CLI exit 1, HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// What the command names does not exist (CLI exit 1, HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The store failed (CLI exit 4, HTTP 503/500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ReferenceFileError> for OpError {
    fn from(e: ReferenceFileError) -> Self {
        let location = e.line.map(|l| match e.column {
            Some(c) => format!("line {l}, column {c}"),
            None => format!("line {l}"),
        });
        OpError::Invalid {
            message: e.to_string(),
            location,
        }
    }
}

/// Metadata for a command issued by `actor` now.
pub fn meta(clock: &dyn Clock, actor: &Actor) -> CommandMeta {
    CommandMeta::new(Uuid::new_v4(), actor.clone(), clock.now())
}

/// Outcome of loading reference data.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Loaded {
    /// `calendar` or `divisions`.
    pub kind: &'static str,
    /// SHA-256 of the canonical text.
    pub digest: String,
    /// Data rows.
    pub rows: u32,
    /// True if a new version was recorded; false if it equals the current one.
    pub changed: bool,
    /// Ledger positions appended.
    pub global_sequences: Vec<u64>,
    /// For a calendar: the running deadlines it moved, each recorded anew (the impact
    /// notice, [`crate::deadlines`]); absent for other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recounted: Option<Vec<crate::deadlines::Recounted>>,
}

/// Validate `raw` as reference data of `kind` and record it as a new version (nothing is
/// recorded when the content equals the current version, or when it is invalid). A
/// calendar then counts every running deadline again ([`crate::deadlines::recount`]),
/// also when it equals the current version, so that a load cut short is completed by
/// loading it again.
pub async fn load_reference(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    kind: ReferenceKind,
    raw: &str,
    source: &str,
) -> Result<Loaded, OpError> {
    let content = canonical_text(raw);
    let rows = match kind {
        ReferenceKind::Calendar => {
            WorkingCalendar::from_csv(&content)?;
            content
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .count()
        }
        ReferenceKind::Divisions => DivisionTable::from_csv(&content)?.len(),
        ReferenceKind::CreditRules => {
            CreditRules::parse(&content).map_err(credit_data_error)?;
            CREDIT_RULE_KEYS.len()
        }
        ReferenceKind::Measures => MeasuresCatalogue::parse(&content)
            .map_err(credit_data_error)?
            .len(),
    } as u32;
    let digest = hex::encode(Sha256::digest(content.as_bytes()));
    let issued = Issued {
        meta: meta(clock, actor),
        command: ReferenceDataCommand::Load(LoadReferenceData {
            kind,
            content,
            digest: digest.clone(),
            rows,
            source: source.to_string(),
        }),
    };
    let r = log
        .execute::<ReferenceData, _>(kind.aggregate_id(), issued)
        .await?;
    match r {
        Ok(Executed::Applied {
            global_sequences, ..
        })
        | Ok(Executed::AlreadyApplied { global_sequences }) => {
            let recounted = match kind {
                ReferenceKind::Calendar => {
                    Some(crate::deadlines::recount(log, clock, actor).await?)
                }
                _ => None,
            };
            Ok(Loaded {
                kind: kind.as_str(),
                digest,
                rows,
                changed: !global_sequences.is_empty(),
                global_sequences,
                recounted,
            })
        }
        Err(e @ ReferenceDataError::Empty { .. })
        | Err(e @ ReferenceDataError::WrongKind { .. }) => Err(OpError::Refused(e.to_string())),
    }
}

fn credit_data_error(e: CreditDataError) -> OpError {
    OpError::Invalid {
        location: Some(format!("line {}", e.line)),
        message: e.to_string(),
    }
}

/// An issued token and what it says.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedToken {
    /// The bearer token.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

/// Issue a token for `user` in `role`, recording the grant as an event.
pub async fn issue_token(
    state: &AppState,
    actor: &Actor,
    user: &str,
    role: Role,
    scopes: Vec<String>,
    ttl: Duration,
) -> Result<IssuedToken, OpError> {
    let now = state.clock.now();
    let jti = Uuid::new_v4();
    let issued = Issued {
        meta: meta(state.clock.as_ref(), actor),
        command: AccessCommand::Issue(IssueToken {
            user: user.to_string(),
            role,
            scopes: scopes.clone(),
            expires_at: now + ttl,
        }),
    };
    match state.log.execute::<AccessGrant, _>(jti, issued).await? {
        Ok(_) => {}
        Err(e @ AccessError::AlreadyIssued) => return Err(OpError::Refused(e.to_string())),
        Err(e) => {
            return Err(OpError::Invalid {
                message: e.to_string(),
                location: None,
            })
        }
    }
    let claims = Claims {
        jti,
        sub: user.to_string(),
        role,
        scopes,
        iat: now.timestamp(),
        exp: (now + ttl).timestamp(),
    };
    let token = tokens::issue(&state.signer, &claims).map_err(|e| OpError::Invalid {
        message: e.to_string(),
        location: None,
    })?;
    Ok(IssuedToken { token, claims })
}

/// The calendar in force: the latest loaded version, else the shipped default.
pub async fn current_calendar(log: &EventLog) -> Result<WorkingCalendar, OpError> {
    Ok(match latest_content(log, ReferenceKind::Calendar).await? {
        Some(text) => WorkingCalendar::from_csv(&text)?,
        None => WorkingCalendar::default_cn(),
    })
}

/// The division table in force: the latest loaded version, else the shipped default.
pub async fn current_divisions(log: &EventLog) -> Result<DivisionTable, OpError> {
    Ok(match latest_content(log, ReferenceKind::Divisions).await? {
        Some(text) => DivisionTable::from_csv(&text)?,
        None => DivisionTable::default_table(),
    })
}

async fn latest_content(log: &EventLog, kind: ReferenceKind) -> Result<Option<String>, OpError> {
    Ok(log
        .reference_version_at(kind, None)
        .await?
        .map(|(_, content)| content))
}

/// Publish a version of the implementation rules (nothing is recorded when it equals the
/// current version).
pub async fn publish_rules(
    log: &EventLog,
    clock: &dyn Clock,
    actor: &Actor,
    rules: jianxin_domain::directory::Rules,
    reason: &str,
) -> Result<Vec<u64>, OpError> {
    use jianxin_domain::directory::{
        ImplementationRules, PublishRules, RulesCommand, RulesError, RULES_ID,
    };
    let issued = Issued {
        meta: meta(clock, actor),
        command: RulesCommand::Publish(PublishRules {
            rules,
            reason: reason.to_string(),
        }),
    };
    match log
        .execute::<ImplementationRules, _>(RULES_ID, issued)
        .await?
    {
        Ok(Executed::Applied {
            global_sequences, ..
        })
        | Ok(Executed::AlreadyApplied { global_sequences }) => Ok(global_sequences),
        Err(RulesError::Invalid(violations)) => Err(OpError::Invalid {
            message: format!(
                "invalid rules: {}",
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            location: violations.first().map(|v| v.path.to_string()),
        }),
        Err(e) => Err(OpError::Invalid {
            message: e.to_string(),
            location: Some("reason".into()),
        }),
    }
}
