//! The integrity ledger over HTTP (`/v1/log/…`): what an outsider needs to check that
//! the log was only ever appended to — the signed checkpoint, the key that signs it,
//! inclusion and consistency proofs (all public, hashes only) — and the ledger itself,
//! page by page, for supervisors and administrators.
//!
//! An inclusion proof answers the public with the leaf hash and the audit path alone:
//! whoever holds an event (a published draw bundle, their own case file) hashes it and
//! checks it against the signed root, and whoever holds nothing learns nothing. The
//! entry itself, the event with its payload, goes only to the roles that read the whole
//! trail on `/v1/log/events`; walking the sequence numbers would otherwise publish every
//! inspector's certificate, every credit query's purpose and every case clue.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use jianxin_domain::integrity::{ConsistencyProof, InclusionProof};
use jianxin_projections::ledger::{self, read::LedgerRow, EventProof};
use serde::{Deserialize, Serialize};

use super::auth::{claims_if_any, Auditors, Authorized, RoleSet};
use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// Page size of `/v1/log/events` when `limit` is absent.
const DEFAULT_LIMIT: u64 = 100;
/// The largest page of `/v1/log/events`.
const MAX_LIMIT: u64 = 1000;
const TEXT: &str = "text/plain; charset=utf-8";

/// The `/v1/log` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/log/checkpoint", get(checkpoint))
        .route("/v1/log/key", get(key))
        .route("/v1/log/proof/{seq}", get(proof))
        .route("/v1/log/consistency/{old_size}", get(consistency))
        .route("/v1/log/events", get(events))
        .route("/v1/public/checkpoints", get(published))
}

/// Query of `/v1/public/checkpoints`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PublishedQuery {
    /// Only checkpoints stored after this ledger position (default 0).
    after: Option<u64>,
    /// Page size (1–1000, default 100).
    limit: Option<u64>,
}

/// The checkpoints the scheduler signed and stored, oldest first (public: outside
/// parties keep them, and two that no consistency proof connects prove a rewrite).
#[utoipa::path(
    get,
    path = "/v1/public/checkpoints",
    tag = "ledger",
    summary = "The signed checkpoints stored every interval, oldest first, after a cursor",
    params(PublishedQuery),
    responses(
        (status = 200, description = "`{after, next_after, checkpoints: [{global_sequence, tree_size, root_hash, note, due_at, recorded_at}]}`", body = Object),
        (status = 400, description = "A bad cursor or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn published(
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PublishedQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        let message = format!("limit must be between 1 and {MAX_LIMIT}, got {limit}");
        return Err(ApiError::bad_request("query.limit", message));
    }
    let after = q.after.unwrap_or(0).min(i64::MAX as u64) as i64;
    let rows = jianxin_projections::read_models::published_checkpoints(
        state.log.database(),
        after,
        limit as i64,
    )
    .await?;
    let next_after = rows.last().map_or(after, |r| r.global_sequence);
    Ok(AppJson(serde_json::json!({
        "after": after,
        "next_after": next_after,
        "checkpoints": rows,
    })))
}

/// The log as it stands, signed (C2SP `tlog-checkpoint` in a `signed-note`).
#[utoipa::path(
    get,
    path = "/v1/log/checkpoint",
    tag = "ledger",
    summary = "The signed checkpoint of the log as it stands (origin, size, root, time)",
    responses((status = 200, description = "The signed note", body = String, content_type = "text/plain"))
)]
async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let db = state.log.database();
    let now = state.clock.now();
    let (_, note) = ledger::current_checkpoint(db, &state.signer, &state.origin, now).await?;
    Ok((
        [
            (header::CONTENT_TYPE, TEXT),
            (header::CACHE_CONTROL, "no-store"),
        ],
        note,
    ))
}

/// The verifier key, so that anybody can check checkpoints.
#[utoipa::path(
    get,
    path = "/v1/log/key",
    tag = "ledger",
    summary = "The verifier key of the checkpoint signer (Go `note` format)",
    responses((status = 200, description = "`<name>+<key id>+<base64 key>`", body = String, content_type = "text/plain"))
)]
async fn key(State(state): State<AppState>) -> impl IntoResponse {
    let key = format!("{}\n", state.verifier.to_verifier_key_string());
    ([(header::CONTENT_TYPE, TEXT)], key)
}

#[derive(Deserialize)]
struct SeqParam {
    seq: u64,
}

/// `?tree_size=N` of an inclusion proof.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ProofQuery {
    /// The tree size to prove against (a checkpoint's size); default: the log's size.
    tree_size: Option<u64>,
}

/// An inclusion proof as served: the entry only to the roles that read the whole trail.
#[derive(Serialize)]
struct ServedProof {
    global_sequence: u64,
    /// The ledger entry's canonical text: absent for anyone but a supervisor or an
    /// administrator.
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<String>,
    leaf_hash: String,
    inclusion: InclusionProof,
}

impl ServedProof {
    fn new(proof: EventProof, with_entry: bool) -> ServedProof {
        ServedProof {
            global_sequence: proof.global_sequence,
            entry: with_entry.then_some(proof.entry),
            leaf_hash: proof.leaf_hash,
            inclusion: proof.inclusion,
        }
    }
}

/// An RFC 9162 inclusion proof of one event.
#[utoipa::path(
    get,
    path = "/v1/log/proof/{seq}",
    tag = "ledger",
    summary = "Inclusion proof of the event at a global sequence number",
    params(("seq" = u64, Path, description = "Global sequence number, from 1"), ProofQuery),
    responses(
        (status = 200, description = "`{global_sequence, leaf_hash, inclusion: {leaf_index, tree_size, hashes}}`: hashes only, for anyone; with a supervisor's or an administrator's token also `entry`, the ledger entry's canonical text", body = Object),
        (status = 400, description = "Not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "An `Authorization` header whose token does not verify", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Outside the log (the detail names the valid range)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn proof(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppPath(SeqParam { seq }): AppPath<SeqParam>,
    AppQuery(q): AppQuery<ProofQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = claims_if_any(&state, &headers)?;
    let with_entry = caller.is_some_and(|claims| Auditors::ROLES.contains(&claims.role));
    let proof = ledger::inclusion(state.log.database(), seq, q.tree_size).await?;
    Ok(AppJson(ServedProof::new(proof, with_entry)))
}

#[derive(Deserialize)]
struct OldSizeParam {
    old_size: u64,
}

/// An RFC 9162 consistency proof from an older tree to the current one.
#[utoipa::path(
    get,
    path = "/v1/log/consistency/{old_size}",
    tag = "ledger",
    summary = "Consistency proof from an older tree size to the current log",
    params(("old_size" = u64, Path, description = "The size of the tree the client trusts")),
    responses(
        (status = 200, description = "`{old_size, new_size, hashes}`", body = Object),
        (status = 400, description = "Not a number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Larger than the log", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn consistency(
    State(state): State<AppState>,
    AppPath(OldSizeParam { old_size }): AppPath<OldSizeParam>,
) -> Result<AppJson<ConsistencyProof>, ApiError> {
    let proof = ledger::consistency(state.log.database(), old_size).await?;
    Ok(AppJson(proof))
}

/// `?from=SEQ&limit=N` of the ledger listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// First global sequence number to return (default 1).
    from: Option<u64>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u64>,
}

/// One ledger entry with its position and hash.
#[derive(Serialize, utoipa::ToSchema)]
struct LedgerEvent {
    global_sequence: i64,
    aggregate_type: String,
    aggregate_id: String,
    aggregate_sequence: i64,
    event_id: String,
    /// The chain hash of this entry, hex.
    entry_hash: String,
    /// The hashed entry: its canonical JSON, decoded.
    #[schema(value_type = Object)]
    entry: serde_json::Value,
}

/// A page of the ledger.
#[derive(Serialize, utoipa::ToSchema)]
struct EventsPage {
    events: Vec<LedgerEvent>,
    /// `from` of the next page; null when this page reaches the end of the log.
    next_from: Option<i64>,
}

/// The ledger's envelopes in order, page by page.
#[utoipa::path(
    get,
    path = "/v1/log/events",
    tag = "ledger",
    summary = "Ledger entries in global order, with cursor pagination",
    params(EventsQuery),
    security(("bearer" = ["supervisor", "admin"])),
    responses(
        (status = 200, description = "A page of entries", body = EventsPage),
        (status = 400, description = "Bad `from` or `limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn events(
    _caller: Authorized<Auditors>,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<EventsQuery>,
) -> Result<AppJson<EventsPage>, ApiError> {
    let from = q.from.unwrap_or(1);
    let after = from
        .checked_sub(1)
        .and_then(|a| i64::try_from(a).ok())
        .ok_or_else(|| ApiError::bad_request("query.from", "from must be between 1 and 2^63"))?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        let message = format!("limit must be between 1 and {MAX_LIMIT}, got {limit}");
        return Err(ApiError::bad_request("query.limit", message));
    }
    // One row more than asked says whether there is a next page, and where it starts.
    let mut rows = ledger::read::ledger_rows(state.log.database(), after, limit as i64 + 1).await?;
    let next_from = rows.get(limit as usize).map(|r| r.global_sequence);
    rows.truncate(limit as usize);
    let events = rows
        .into_iter()
        .map(LedgerEvent::try_from)
        .collect::<Result<_, _>>()?;
    Ok(AppJson(EventsPage { events, next_from }))
}

impl TryFrom<LedgerRow> for LedgerEvent {
    type Error = ApiError;

    fn try_from(row: LedgerRow) -> Result<Self, ApiError> {
        let entry = serde_json::from_slice(&row.canonical).map_err(|e| {
            let seq = row.global_sequence;
            ApiError::Internal(format!("ledger entry {seq} is not JSON: {e}"))
        })?;
        Ok(LedgerEvent {
            global_sequence: row.global_sequence,
            aggregate_type: row.aggregate_type,
            aggregate_id: row.aggregate_id,
            aggregate_sequence: row.aggregate_sequence,
            event_id: row.event_id,
            entry_hash: hex::encode(&row.entry_hash),
            entry,
        })
    }
}
