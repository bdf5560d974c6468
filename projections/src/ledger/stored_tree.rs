//! The ledger's Merkle tree kept as stored nodes (`ledger_tree`): the root of every
//! perfect, aligned subtree of the entries a stored checkpoint covers, so that one
//! aggregate can be checked against that checkpoint by reading its own events and a
//! few dozen hashes per event, instead of every entry of the log (docs/CASES.md §4).
//!
//! The table is a cache derived from the ledger, written when the scheduler stores a
//! checkpoint ([`store_tree`]), never by a request. Nothing in it is trusted: a check
//! recomputes the root a *signed* checkpoint names from the aggregate's own event rows
//! and these nodes ([`PartialTree`]), and any changed node or row makes it differ. A
//! node, once complete, never changes, so filling is idempotent (`ON CONFLICT DO
//! NOTHING`) and resumes where it stopped: the stored prefix is the leaves `0..L` and
//! every perfect subtree within them, each batch committed only after the subtrees a
//! leaf completes.

use crate::db::Database;
use crate::StoreError;
use jianxin_domain::integrity::{leaf_hash, node_hash, Hash, NodeId, PartialTree, EMPTY_ROOT};

/// Ledger rows read per query while filling.
const CHUNK: i64 = 10_000;
/// Nodes written per statement (two bound values each).
const INSERT_ROWS: usize = 500;
/// Node keys looked up per statement.
const LOOKUP: usize = 20_000;

fn damaged(what: impl std::fmt::Display) -> StoreError {
    StoreError::Encoding(format!("ledger_tree: {what}"))
}

fn to_hash(bytes: &[u8], key: i64) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| damaged(format!("node {key} is not 32 bytes")))
}

/// How many leaves the stored tree covers (`L`: leaves `0..L` are stored).
pub async fn stored_leaves(db: &Database) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT MAX(node) FROM ledger_tree WHERE node < $1";
    let first_inner = NodeId { level: 1, index: 0 }.key();
    let max: Option<i64> = match db {
        Database::Sqlite(p) => {
            sqlx::query_scalar(SQL)
                .bind(first_inner)
                .fetch_one(p)
                .await?
        }
        Database::Postgres(p) => {
            sqlx::query_scalar(SQL)
                .bind(first_inner)
                .fetch_one(p)
                .await?
        }
    };
    Ok(max.map_or(0, |m| m as u64 + 1))
}

/// The stored nodes among `ids` (a node not stored is left out).
pub async fn stored_nodes(
    db: &Database,
    ids: &[NodeId],
) -> Result<Vec<(NodeId, Hash)>, StoreError> {
    const SQLITE: &str =
        "SELECT node, hash FROM ledger_tree WHERE node IN (SELECT value FROM json_each($1))";
    const POSTGRES: &str = "SELECT node, hash FROM ledger_tree WHERE node = ANY($1)";
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP) {
        let keys: Vec<i64> = chunk.iter().map(|id| id.key()).collect();
        let rows: Vec<(i64, Vec<u8>)> = match db {
            Database::Sqlite(p) => {
                let json = serde_json::to_string(&keys)
                    .map_err(|e| StoreError::Encoding(e.to_string()))?;
                sqlx::query_as(SQLITE).bind(json).fetch_all(p).await?
            }
            Database::Postgres(p) => sqlx::query_as(POSTGRES).bind(&keys).fetch_all(p).await?,
        };
        for (key, bytes) in rows {
            let id = NodeId::from_key(key).ok_or_else(|| damaged(format!("key {key}")))?;
            out.push((id, to_hash(&bytes, key)?));
        }
    }
    Ok(out)
}

/// The root of the first `size` leaves from stored nodes alone; `None` when a node it
/// needs is not stored.
pub async fn stored_root(db: &Database, size: u64) -> Result<Option<Hash>, StoreError> {
    let mut tree = PartialTree::new(size, vec![]).map_err(damaged)?;
    let missing = tree.missing();
    let found = stored_nodes(db, &missing).await?;
    if found.len() != missing.len() {
        return Ok(None);
    }
    for (id, hash) in found {
        tree.insert(id, hash);
    }
    Ok(tree.root().ok())
}

/// Stores the tree of the first `size` ledger entries (extending what is stored) and
/// returns its root, for the caller to compare with the checkpoint it stored.
pub async fn store_tree(db: &Database, size: u64) -> Result<Hash, StoreError> {
    let stored = stored_leaves(db).await?;
    if size <= stored {
        return stored_root(db, size)
            .await?
            .ok_or_else(|| damaged(format!("nodes of the first {size} leaves are missing")));
    }
    // the perfect subtrees of 0..stored, left to right: all later leaves combine with
    let tops = PartialTree::new(stored, vec![]).map_err(damaged)?.missing();
    let found = stored_nodes(db, &tops).await?;
    if found.len() != tops.len() {
        return Err(damaged(format!(
            "nodes of the first {stored} leaves are missing"
        )));
    }
    let mut peaks: Vec<(NodeId, Hash)> = tops
        .iter()
        .map(|id| {
            found
                .iter()
                .find(|(f, _)| f == id)
                .map(|(_, h)| (*id, *h))
                .ok_or_else(|| damaged("a stored peak vanished"))
        })
        .collect::<Result<_, _>>()?;
    let mut pending: Vec<(i64, Hash)> = Vec::new();
    let mut next = stored; // leaf index of the next row
    while next < size {
        let rows = canonical_rows(db, next as i64, size as i64).await?;
        if rows.is_empty() {
            return Err(damaged(format!(
                "the ledger ends at {next} entries, before {size}"
            )));
        }
        for (seq, canonical) in rows {
            if seq != next as i64 + 1 {
                return Err(damaged(format!(
                    "ledger entry {} is missing (found {seq})",
                    next + 1
                )));
            }
            let leaf = NodeId {
                level: 0,
                index: next,
            };
            let hash = leaf_hash(&canonical);
            pending.push((leaf.key(), hash));
            peaks.push((leaf, hash));
            while let [.., (left, lh), (right, rh)] = peaks.as_slice() {
                if left.level != right.level {
                    break;
                }
                let id = NodeId {
                    level: left.level + 1,
                    index: left.index / 2,
                };
                let hash = node_hash(lh, rh);
                peaks.truncate(peaks.len() - 2);
                pending.push((id.key(), hash));
                peaks.push((id, hash));
            }
            next += 1;
            // a batch ends only after every subtree its last leaf completes
            if pending.len() >= 4 * INSERT_ROWS {
                insert(db, &pending).await?;
                pending.clear();
            }
        }
    }
    insert(db, &pending).await?;
    Ok(peaks
        .iter()
        .rev()
        .map(|(_, h)| *h)
        .reduce(|right, left| node_hash(&left, &right))
        .unwrap_or(EMPTY_ROOT))
}

/// Ledger rows `(global_sequence, canonical)` after position `after`, up to `upto`.
async fn canonical_rows(
    db: &Database,
    after: i64,
    upto: i64,
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    const SQL: &str = "SELECT global_sequence, canonical FROM ledger WHERE global_sequence > $1 \
                       AND global_sequence <= $2 ORDER BY global_sequence LIMIT $3";
    Ok(match db {
        Database::Sqlite(p) => {
            sqlx::query_as(SQL)
                .bind(after)
                .bind(upto)
                .bind(CHUNK)
                .fetch_all(p)
                .await?
        }
        Database::Postgres(p) => {
            sqlx::query_as(SQL)
                .bind(after)
                .bind(upto)
                .bind(CHUNK)
                .fetch_all(p)
                .await?
        }
    })
}

/// Writes `nodes` in one transaction (a node already stored is kept).
async fn insert(db: &Database, nodes: &[(i64, Hash)]) -> Result<(), StoreError> {
    macro_rules! write {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await?;
            for chunk in nodes.chunks(INSERT_ROWS) {
                let sql = insert_sql(chunk.len());
                let mut q = sqlx::query(&sql);
                for (key, hash) in chunk {
                    q = q.bind(*key).bind(hash.to_vec());
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }};
    }
    if nodes.is_empty() {
        return Ok(());
    }
    match db {
        Database::Sqlite(p) => write!(p),
        Database::Postgres(p) => write!(p),
    }
    Ok(())
}

/// `INSERT … VALUES ($1, $2), …` for `rows` nodes.
fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
        .collect();
    // sql-safe: only numbered placeholders are formatted in; every value is bound
    format!(
        "INSERT INTO ledger_tree (node, hash) VALUES {} ON CONFLICT (node) DO NOTHING",
        values.join(", ")
    )
}
