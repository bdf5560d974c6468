//! What one aggregate's replay needs from the ledger, read and checked in one pass: the
//! aggregate's events decoded once, the hash chain of the whole log, the aggregate's own
//! event rows against the entries they committed to, and the whole log's Merkle tree
//! with every level kept, so a proof of each of its events costs `O(log n)`.
//!
//! Unlike [`verify`](super::verify::verify), which checks every row of every aggregate,
//! this checks what can vouch for *this* aggregate (docs/CASES.md §4); the pass over
//! the ledger runs on its own task while the aggregate's rows are read and parsed:
//!
//! - every ledger row, in order: no gap, `prev_hash` is the previous entry's hash,
//!   `entry_hash` recomputes (no JSON decoded: two SHA-256 per entry, the second being
//!   the Merkle leaf the proofs need anyway);
//! - each of the aggregate's entries: its canonical bytes are exactly the canonical
//!   entry rebuilt from its event row (id, sequence, time, version, payload) and its
//!   ledger columns, and the ledger's command columns say what the payload says;
//! - the aggregate's event rows and its entries match one to one.
//!
//! [`check_against_checkpoint`] is the cheaper check used first when the newest stored
//! signed checkpoint covers the aggregate: it reads only the aggregate's event rows and
//! the stored subtrees of that checkpoint's tree (`ledger_tree`), rebuilds each row's
//! entry as a leaf and recomputes the signed root (docs/CASES.md §4).
//!
//! Other aggregates' event rows are not read: a changed row elsewhere does not change
//! the chain, so it cannot make this aggregate's entries less trustworthy. `log verify`
//! still checks everything.
//!
//! The pass costs about a second read of the aggregate's size (docs/PERFORMANCE.md,
//! "Case replay"), so it does no more than the checks need: each ledger row is read in
//! place, its bytes and hashes borrowed from the driver's row; only the aggregate's own
//! entries are copied out, and the columns only they need come back `NULL` for every
//! other row. An entry is compared by writing its canonical bytes key by key into one
//! reused buffer rather than building a JSON entry and encoding it.

use jianxin_domain::event_log::{write_canonical, write_canonical_str, LedgerEntry, GENESIS_HASH};
use jianxin_domain::integrity::{
    leaf_hash, open_checkpoint, Checkpoint, Hash, NoteVerifier, PartialTree, TreeLevels,
};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

use super::read::{EventRow, LedgerRow};
use super::verify::{check_event_row, check_ledger_columns, IntegrityFailure};
use crate::db::Database;
use crate::store::Envelope;
use crate::StoreError;

const CHUNK: i64 = 10_000;

/// One aggregate's events and what the ledger says about them.
#[derive(Debug)]
pub struct CheckedAggregate<E> {
    /// The events, decoded from the event rows, in aggregate order.
    pub events: Vec<E>,
    /// The aggregate's ledger entries `(global_sequence, canonical bytes)`, in order.
    pub entries: Vec<(u64, Vec<u8>)>,
    /// The Merkle tree of the whole log as read (for the inclusion proofs).
    pub tree: TreeLevels,
    /// The first failure that concerns the aggregate: a broken chain at or before its
    /// last entry, one of its own rows that differs from its entry, or an event row
    /// without an entry. `None`: the ledger vouches for every event.
    pub failure: Option<IntegrityFailure>,
}

/// Reads aggregate `aggregate_type`/`aggregate_id` and checks it against the ledger (see
/// the module header). The ledger is streamed, on its own task, while the event rows
/// are read.
pub async fn check_aggregate<E: Envelope>(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
) -> Result<CheckedAggregate<E>, StoreError> {
    registered(aggregate_type)?;
    // the chain pass hashes on another worker while this task reads and parses
    let chain = tokio::spawn({
        let (db, name) = (db.clone(), aggregate_type.to_owned());
        async move { chain_pass(&db, &name, aggregate_id).await }
    });
    let rows: Vec<EventRow> = event_rows(db, aggregate_type, aggregate_id)
        .await?
        .into_iter()
        .map(|(row, _)| row)
        .collect();
    let mut payloads = Vec::with_capacity(rows.len());
    for event in &rows {
        payloads.push(serde_json::from_str::<Value>(&event.payload));
    }
    let Chain {
        leaves,
        own,
        broken,
    } = chain
        .await
        .map_err(|e| StoreError::Encoding(format!("ledger read task: {e}")))??;
    // an event row beyond the entries (or an entry gone) makes any break relevant
    let last = if rows.len() > own.len() {
        u64::MAX
    } else {
        own.last().map_or(0, |r| r.global_sequence as u64)
    };
    let mut failure = broken.filter(|f| f.global_sequence <= last);
    let id_text = aggregate_id.hyphenated().to_string();
    let mut events = Vec::with_capacity(rows.len());
    let mut buf = Vec::with_capacity(1024);
    for (i, (event, payload)) in rows.iter().zip(payloads).enumerate() {
        let Some(entry) = own.get(i) else {
            let what = format!(
                "{aggregate_type}_events row {} (aggregate {}, sequence {}) has no ledger entry",
                event.id, event.aggregate_id, event.sequence_number
            );
            first(&mut failure, leaves.len() as u64 + 1, what);
            break;
        };
        let seq = entry.global_sequence as u64;
        let payload: Value = match payload {
            Ok(v) => v,
            Err(e) => {
                first(
                    &mut failure,
                    seq,
                    format!(
                        "{aggregate_type}_events row {}: payload is not JSON: {e}",
                        event.id
                    ),
                );
                continue;
            }
        };
        if !matches_entry(aggregate_type, entry, event, &payload, &mut buf) {
            let what = mismatch(aggregate_type, &id_text, entry, event);
            first(&mut failure, seq, what);
        }
        events.push(E::from_payload(payload)?);
    }
    if let Some(entry) = own.get(rows.len()) {
        first(
            &mut failure,
            entry.global_sequence as u64,
            format!(
                "event {} is missing from {aggregate_type}_events",
                entry.event_id
            ),
        );
    }
    Ok(CheckedAggregate {
        events,
        entries: own
            .into_iter()
            .map(|r| (r.global_sequence as u64, r.canonical))
            .collect(),
        tree: TreeLevels::new(leaves),
        failure,
    })
}

/// One aggregate whose every event leads to the root of a stored signed checkpoint.
#[derive(Debug)]
pub struct CheckpointedAggregate<E> {
    /// The events, decoded from the event rows, in aggregate order.
    pub events: Vec<E>,
    /// Its ledger entries `(global_sequence, canonical bytes)`: rebuilt from the event
    /// rows, and exactly the leaves the signed root commits to.
    pub entries: Vec<(u64, Vec<u8>)>,
    /// The tree of the checkpoint, folded: the proofs of the entries are read from it.
    pub tree: PartialTree,
    /// The checkpoint as signed.
    pub checkpoint: Checkpoint,
    /// Its signed note, as stored.
    pub note: String,
}

/// What [`check_against_checkpoint`] found.
#[derive(Debug)]
pub enum AgainstCheckpoint<E> {
    /// Every event of the aggregate leads to the signed root.
    Verified(CheckpointedAggregate<E>),
    /// This check does not apply (the reason): no stored checkpoint, events after the
    /// newest one, its tree not stored, or rows the ledger does not index; the whole
    /// ledger check ([`check_aggregate`]) answers instead.
    NotCovered(String),
    /// The events do not lead to the signed root. `failure` names the first event whose
    /// own path does not (or the first event, when every path alone does and the stored
    /// nodes are what differs); whether the ledger itself was rewritten after signing
    /// is for the caller to tell from the whole ledger.
    Mismatch {
        /// The checkpoint that the events do not lead to.
        checkpoint: Checkpoint,
        /// The first event that does not lead to it.
        failure: IntegrityFailure,
    },
}

/// Checks aggregate `aggregate_type`/`aggregate_id` against the newest stored checkpoint
/// signed with `verifier`'s key, reading only the aggregate's event rows and the stored
/// tree's nodes (see [`stored_tree`](super::stored_tree)): each event row's ledger entry
/// is rebuilt, hashed as a leaf, and the leaves with the stored subtrees must give the
/// signed root.
pub async fn check_against_checkpoint<E: Envelope>(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
    verifier: &NoteVerifier,
) -> Result<AgainstCheckpoint<E>, StoreError> {
    use AgainstCheckpoint::NotCovered;
    registered(aggregate_type)?;
    let Some(note) = crate::read_models::latest_published_note(db).await? else {
        return Ok(NotCovered("no checkpoint is stored".into()));
    };
    let checkpoint = match open_checkpoint(&note, verifier) {
        Ok(c) => c,
        Err(e) => return Ok(NotCovered(format!("the newest stored checkpoint: {e}"))),
    };
    let size = checkpoint.tree_size;
    if super::stored_tree::stored_leaves(db).await? < size {
        return Ok(NotCovered(format!(
            "the tree of {size} entries is not stored"
        )));
    }
    let rows = event_rows(db, aggregate_type, aggregate_id).await?;
    if rows.is_empty() {
        return Ok(NotCovered("no events".into()));
    }
    let mut known = Vec::with_capacity(rows.len());
    let mut entries = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    // each entry is written into its own buffer, kept as is (no copy), sized as the
    // one before it was
    let mut capacity = 1024;
    for (event, seq) in &rows {
        let Some(seq) = seq.filter(|s| *s >= 1 && (*s as u64) <= size) else {
            return Ok(NotCovered(format!(
                "event {} is not in the ledger before the checkpoint of {size} entries",
                event.id
            )));
        };
        let Ok(payload) = serde_json::from_str::<Value>(&event.payload) else {
            return Ok(NotCovered(format!(
                "event {}: payload is not JSON",
                event.id
            )));
        };
        let mut buf = Vec::with_capacity(capacity);
        if !canonical_entry(seq, aggregate_type, event, &payload, &mut buf) {
            return Ok(NotCovered(format!("event {}: no canonical form", event.id)));
        }
        capacity = buf.len() + buf.len() / 8;
        known.push((seq as u64 - 1, leaf_hash(&buf)));
        entries.push((seq as u64, buf));
        events.push(E::from_payload(payload)?);
    }
    let Ok(mut tree) = PartialTree::new(size, known) else {
        return Ok(NotCovered(
            "the ledger positions are not in event order".into(),
        ));
    };
    let missing = tree.missing();
    for (id, hash) in super::stored_tree::stored_nodes(db, &missing).await? {
        tree.insert(id, hash);
    }
    match tree.root() {
        Ok(root) if root == checkpoint.root => {
            Ok(AgainstCheckpoint::Verified(CheckpointedAggregate {
                events,
                entries,
                tree,
                checkpoint,
                note,
            }))
        }
        Ok(_) => {
            let known: Vec<(u64, Hash)> = tree.known().collect();
            let first = first_off_path(db, &checkpoint, &known).await?;
            let (seq, what) = match first {
                Some(i) => (
                    known[i].0 + 1,
                    format!(
                        "{aggregate_type}_events row {} does not lead to the root of the \
                         checkpoint signed for {size} entries: its event or the ledger was \
                         changed after the checkpoint was signed",
                        rows[i].0.id
                    ),
                ),
                None => (
                    known[0].0 + 1,
                    format!(
                        "the events of {aggregate_type} {aggregate_id} do not lead to the \
                         root of the checkpoint signed for {size} entries"
                    ),
                ),
            };
            Ok(AgainstCheckpoint::Mismatch {
                checkpoint,
                failure: IntegrityFailure {
                    global_sequence: seq,
                    what,
                },
            })
        }
        Err(e) => Ok(NotCovered(format!("the stored tree: {e}"))),
    }
}

/// The position in `known` of the first leaf whose own path, with stored nodes only,
/// does not give the checkpoint's root (the slow path, taken on a mismatch only).
async fn first_off_path(
    db: &Database,
    checkpoint: &Checkpoint,
    known: &[(u64, Hash)],
) -> Result<Option<usize>, StoreError> {
    let mut trees = Vec::with_capacity(known.len());
    let mut wanted = std::collections::BTreeSet::new();
    for leaf in known {
        let tree = PartialTree::new(checkpoint.tree_size, vec![*leaf])
            .map_err(|e| StoreError::Encoding(e.to_string()))?;
        wanted.extend(tree.missing());
        trees.push(tree);
    }
    let wanted: Vec<_> = wanted.into_iter().collect();
    let found: std::collections::HashMap<_, _> = super::stored_tree::stored_nodes(db, &wanted)
        .await?
        .into_iter()
        .collect();
    for (i, mut tree) in trees.into_iter().enumerate() {
        for id in tree.missing() {
            if let Some(hash) = found.get(&id) {
                tree.insert(id, *hash);
            }
        }
        if tree.root().ok() != Some(checkpoint.root) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Refuses a name that is not the registry's: the name becomes part of a table name in
/// SQL ([`event_rows`]), so only the registry's names pass.
fn registered(aggregate_type: &str) -> Result<(), StoreError> {
    if crate::registry::AGGREGATE_NAMES.contains(&aggregate_type) {
        return Ok(());
    }
    Err(StoreError::Encoding(format!(
        "no aggregate named {aggregate_type:?} (expected one of the registry's)"
    )))
}

/// Keeps the failure with the lowest global sequence.
fn first(failure: &mut Option<IntegrityFailure>, global_sequence: u64, what: String) {
    if failure
        .as_ref()
        .is_none_or(|f| global_sequence < f.global_sequence)
    {
        *failure = Some(IntegrityFailure {
            global_sequence,
            what,
        });
    }
}

/// Whether the entry's canonical bytes are exactly the canonical entry rebuilt from the
/// event row and the ledger columns, and the command columns agree.
///
/// The canonical entry is an object of eight known keys, so its bytes are written here
/// in their canonical (sorted) order straight into `buf`, reused from row to row: the
/// same bytes as `canonical_json` of the entry built as a JSON value (a test below holds
/// the two equal), without building it.
fn matches_entry(
    aggregate_type: &str,
    entry: &OwnEntry,
    event: &EventRow,
    payload: &Value,
    buf: &mut Vec<u8>,
) -> bool {
    let commands = payload["command_id"].as_str() == Some(entry.command_id.as_str())
        && payload["command_index"].as_i64() == Some(entry.command_index)
        && entry.event_id == event.id
        && entry.aggregate_sequence == event.sequence_number;
    commands
        && canonical_entry(entry.global_sequence, aggregate_type, event, payload, buf)
        && *buf == entry.canonical
}

/// Writes the canonical bytes of the ledger entry of `event` at `global_sequence` into
/// `buf` (cleared first); false when the payload has no canonical form.
pub(crate) fn canonical_entry(
    global_sequence: i64,
    aggregate_type: &str,
    event: &EventRow,
    payload: &Value,
    buf: &mut Vec<u8>,
) -> bool {
    let int = |n: i64, buf: &mut Vec<u8>| {
        use std::io::Write;
        // writing to a Vec cannot fail
        let _ = write!(buf, "{n}");
    };
    buf.clear();
    buf.extend_from_slice(b"{\"aggregate_id\":");
    write_canonical_str(&event.aggregate_id, buf);
    buf.extend_from_slice(b",\"aggregate_sequence\":");
    int(event.sequence_number, buf);
    buf.extend_from_slice(b",\"aggregate_type\":");
    write_canonical_str(aggregate_type, buf);
    buf.extend_from_slice(b",\"event_id\":");
    write_canonical_str(&event.id, buf);
    buf.extend_from_slice(b",\"global_sequence\":");
    int(global_sequence, buf);
    buf.extend_from_slice(b",\"occurred_on\":");
    write_canonical_str(&event.occurred_on, buf);
    buf.extend_from_slice(b",\"payload\":");
    if write_canonical(payload, buf).is_err() {
        return false;
    }
    buf.extend_from_slice(b",\"store_version\":");
    match event.version {
        Some(v) => int(v, buf),
        None => buf.extend_from_slice(b"null"),
    }
    buf.push(b'}');
    true
}

/// What differs, in the words of `log verify` (the slow path, taken only on a mismatch).
fn mismatch(
    aggregate_type: &str,
    aggregate_id: &str,
    entry: &OwnEntry,
    event: &EventRow,
) -> String {
    let entry = &entry.ledger_row(aggregate_type, aggregate_id);
    let value = match LedgerEntry::decode_value(&entry.canonical) {
        Ok(v) => v,
        Err(e) => return format!("canonical bytes: {e}"),
    };
    if let Err(what) = check_ledger_columns(entry, &value) {
        return what;
    }
    if entry.event_id != event.id {
        return format!(
            "event {} is missing from {aggregate_type}_events",
            entry.event_id
        );
    }
    match check_event_row(event, &value) {
        Err(what) => format!("{aggregate_type}_events row {}: {what}", event.id),
        Ok(()) => format!(
            "{aggregate_type}_events row {} differs from its ledger entry",
            event.id
        ),
    }
}

/// The whole log's chain, checked; its leaves; the aggregate's own rows.
struct Chain {
    leaves: Vec<Hash>,
    own: Vec<OwnEntry>,
    broken: Option<IntegrityFailure>,
}

/// One of the aggregate's ledger rows: the columns its check compares, and the bytes
/// its proof carries.
struct OwnEntry {
    global_sequence: i64,
    event_id: String,
    aggregate_sequence: i64,
    command_id: String,
    command_index: i64,
    canonical: Vec<u8>,
}

impl OwnEntry {
    /// The row as `log verify`'s column checks read it (the slow path, on a mismatch).
    fn ledger_row(&self, aggregate_type: &str, aggregate_id: &str) -> LedgerRow {
        LedgerRow {
            global_sequence: self.global_sequence,
            event_id: self.event_id.clone(),
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            aggregate_sequence: self.aggregate_sequence,
            command_id: self.command_id.clone(),
            command_index: self.command_index,
            canonical: self.canonical.clone(),
            prev_hash: vec![],
            entry_hash: vec![],
        }
    }
}

/// One chunk of ledger rows as the driver returns them: the pass reads each column in
/// place (hashes and canonical bytes borrowed from the row), copying only the
/// aggregate's own entries out.
enum RawRows {
    Sqlite(Vec<sqlx::sqlite::SqliteRow>),
    Postgres(Vec<sqlx::postgres::PgRow>),
}

/// The chain's columns of every row, and the columns the aggregate's check needs only
/// for its own rows (`NULL` for every other row, so they cost nothing to read).
const CHAIN_SQL: &str = "SELECT global_sequence, canonical, prev_hash, entry_hash, \
     CASE WHEN aggregate_type = $3 AND aggregate_id = $4 THEN CAST(event_id AS TEXT) END AS event_id, \
     CASE WHEN aggregate_type = $3 AND aggregate_id = $4 THEN aggregate_sequence END AS aggregate_sequence, \
     CASE WHEN aggregate_type = $3 AND aggregate_id = $4 THEN CAST(command_id AS TEXT) END AS command_id, \
     CASE WHEN aggregate_type = $3 AND aggregate_id = $4 THEN CAST(command_index AS BIGINT) END AS command_index \
     FROM ledger WHERE global_sequence > $1 ORDER BY global_sequence LIMIT $2";

async fn chain_rows(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
    after: i64,
) -> Result<RawRows, StoreError> {
    Ok(match db {
        Database::Sqlite(p) => RawRows::Sqlite(
            sqlx::query(CHAIN_SQL)
                .bind(after)
                .bind(CHUNK)
                .bind(aggregate_type)
                .bind(aggregate_id.hyphenated().to_string())
                .fetch_all(p)
                .await?,
        ),
        Database::Postgres(p) => RawRows::Postgres(
            sqlx::query(CHAIN_SQL)
                .bind(after)
                .bind(CHUNK)
                .bind(aggregate_type)
                .bind(aggregate_id)
                .fetch_all(p)
                .await?,
        ),
    })
}

/// The pass's state between chunks.
struct Walk {
    leaves: Vec<Hash>,
    own: Vec<OwnEntry>,
    broken: Option<IntegrityFailure>,
    head: Hash,
}

impl Walk {
    /// One ledger row: its chain link (until the first break), its leaf, and a copy of
    /// it when it is the aggregate's.
    fn row(
        &mut self,
        global_sequence: i64,
        canonical: &[u8],
        hashes: (&[u8], &[u8]),
        own: Option<(String, i64, String, i64)>,
    ) {
        let seq = self.leaves.len() as u64 + 1;
        if self.broken.is_none() {
            self.broken = chain_link(seq, &self.head, global_sequence, canonical, hashes);
        }
        self.head = hashes.1.try_into().unwrap_or(GENESIS_HASH);
        self.leaves.push(leaf_hash(canonical));
        if let Some((event_id, aggregate_sequence, command_id, command_index)) = own {
            self.own.push(OwnEntry {
                global_sequence,
                event_id,
                aggregate_sequence,
                command_id,
                command_index,
                canonical: canonical.to_vec(),
            });
        }
    }
}

async fn chain_pass(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
) -> Result<Chain, StoreError> {
    let mut walk = Walk {
        leaves: Vec::new(),
        own: Vec::new(),
        broken: None,
        head: GENESIS_HASH,
    };
    let fetch = |after: i64| {
        let (db, name) = (db.clone(), aggregate_type.to_owned());
        tokio::spawn(async move { chain_rows(&db, &name, aggregate_id, after).await })
    };
    // each chunk is walked while the next is read
    macro_rules! walk {
        ($rows:expr) => {{
            let mut last = None;
            for r in &$rows {
                let seq: i64 = r.try_get(0)?;
                let event_id: Option<String> = r.try_get(4)?;
                let own = match event_id {
                    None => None,
                    Some(event_id) => Some((
                        event_id,
                        r.try_get::<Option<i64>, _>(5)?.unwrap_or(-1),
                        r.try_get::<Option<String>, _>(6)?.unwrap_or_default(),
                        r.try_get::<Option<i64>, _>(7)?.unwrap_or(-1),
                    )),
                };
                walk.row(seq, r.try_get(1)?, (r.try_get(2)?, r.try_get(3)?), own);
                last = Some(seq);
            }
            last
        }};
    }
    let mut pending = fetch(0);
    loop {
        let rows = pending
            .await
            .map_err(|e| StoreError::Encoding(format!("ledger read task: {e}")))??;
        let last = match &rows {
            RawRows::Sqlite(rows) => rows.last().map(|r| r.try_get::<i64, _>(0)).transpose()?,
            RawRows::Postgres(rows) => rows.last().map(|r| r.try_get::<i64, _>(0)).transpose()?,
        };
        let Some(last) = last else { break };
        pending = fetch(last);
        match rows {
            RawRows::Sqlite(rows) => walk!(rows),
            RawRows::Postgres(rows) => walk!(rows),
        };
    }
    Ok(Chain {
        leaves: walk.leaves,
        own: walk.own,
        broken: walk.broken,
    })
}

/// The chain link of the row expected at `seq` after `head`.
fn chain_link(
    seq: u64,
    head: &Hash,
    global_sequence: i64,
    canonical: &[u8],
    (prev_hash, entry_hash): (&[u8], &[u8]),
) -> Option<IntegrityFailure> {
    let what = if global_sequence as u64 != seq {
        format!("ledger entry {seq} is missing (next stored is {global_sequence})")
    } else if prev_hash != head.as_slice() {
        "prev_hash is not the hash of the previous entry".into()
    } else if entry_hash != LedgerEntry::chain_hash(head, canonical).as_slice() {
        "entry_hash does not match the recomputed hash".into()
    } else {
        return None;
    };
    Some(IntegrityFailure {
        global_sequence: seq,
        what,
    })
}

/// The aggregate's event rows as stored, every column as text, in sequence order, each
/// with the ledger position its event id has (`None`: no ledger entry), found through
/// the ledger's unique `event_id` index.
pub(crate) async fn event_rows(
    db: &Database,
    aggregate_type: &str,
    aggregate_id: Uuid,
) -> Result<Vec<(EventRow, Option<i64>)>, StoreError> {
    // columns by position (the order of both SELECTs below), not by name: a name is
    // looked up per column of every row
    macro_rules! rows {
        ($rows:expr) => {{
            let mut out = Vec::with_capacity($rows.len());
            for r in $rows {
                let row = EventRow {
                    id: r.try_get(0)?,
                    aggregate_id: r.try_get(1)?,
                    payload: r.try_get(2)?,
                    occurred_on: r.try_get(3)?,
                    sequence_number: r.try_get(4)?,
                    version: r.try_get(5)?,
                };
                out.push((row, r.try_get::<Option<i64>, _>(6)?));
            }
            out
        }};
    }
    Ok(match db {
        Database::Sqlite(p) => {
            // sql-safe: `aggregate_type` is checked against `registry::AGGREGATE_NAMES` by `registered` in both callers
            let sql = format!(
                "SELECT e.id, e.aggregate_id, e.payload, e.occurred_on, e.sequence_number, \
                 CAST(e.version AS BIGINT) AS version, l.global_sequence \
                 FROM {aggregate_type}_events e LEFT JOIN ledger l ON l.event_id = e.id \
                 WHERE e.aggregate_id = $1 ORDER BY e.sequence_number"
            );
            let rows = sqlx::query(&sql)
                .bind(aggregate_id.to_string())
                .fetch_all(p)
                .await?;
            rows!(rows)
        }
        Database::Postgres(p) => {
            // sql-safe: as above
            let sql = format!(
                "SELECT CAST(e.id AS TEXT) AS id, CAST(e.aggregate_id AS TEXT) AS aggregate_id, \
                 CAST(e.payload AS TEXT) AS payload, \
                 to_char(e.occurred_on AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS occurred_on, \
                 CAST(e.sequence_number AS BIGINT) AS sequence_number, \
                 CAST(e.version AS BIGINT) AS version, l.global_sequence \
                 FROM {aggregate_type}_events e LEFT JOIN ledger l ON l.event_id = e.id \
                 WHERE e.aggregate_id = $1 ORDER BY e.sequence_number"
            );
            let rows = sqlx::query(&sql).bind(aggregate_id).fetch_all(p).await?;
            rows!(rows)
        }
    })
}

#[cfg(test)]
mod tests {
    use jianxin_domain::event_log::canonical_json;
    use serde_json::json;

    use super::*;

    fn row(version: Option<i64>) -> EventRow {
        EventRow {
            id: "0190c2a0-0000-7000-8000-000000000001".into(),
            aggregate_id: "0190c2a0-0000-7000-8000-00000000000a".into(),
            payload: String::new(),
            occurred_on: "2025-03-03T02:00:00.000000Z".into(),
            sequence_number: 12,
            version,
        }
    }

    /// The entry written key by key is byte for byte `canonical_json` of the entry built
    /// as a value, escapes and nesting included.
    #[test]
    fn the_entry_written_in_order_is_the_canonical_json_of_the_entry() {
        let payload = json!({"command_id": "c", "command_index": 0, "data": {
            "z": [1, -2, {"b": null, "a": true}], "名": "值 \"q\" \\ \n \u{1}"}});
        for version in [None, Some(3)] {
            let event = row(version);
            let want = canonical_json(&json!({
                "global_sequence": 9_i64,
                "event_id": event.id,
                "aggregate_type": "enforcement_case",
                "aggregate_id": event.aggregate_id,
                "aggregate_sequence": event.sequence_number,
                "occurred_on": event.occurred_on,
                "store_version": event.version,
                "payload": payload,
            }))
            .unwrap_or_default();
            let mut buf = vec![7u8; 3];
            assert!(canonical_entry(
                9,
                "enforcement_case",
                &event,
                &payload,
                &mut buf
            ));
            assert_eq!(
                String::from_utf8_lossy(&buf),
                String::from_utf8_lossy(&want)
            );
        }
        let mut buf = vec![];
        assert!(!canonical_entry(
            9,
            "t",
            &row(None),
            &json!({"x": 0.5}),
            &mut buf
        ));
    }
}
