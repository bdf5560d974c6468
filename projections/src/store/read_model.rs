//! Transactional read models: tables derived from events and written in the same
//! transaction as the events and their ledger entries, so they are never out of step.
//! Rebuilding them replays the log; it never touches the event tables or the ledger.

use async_trait::async_trait;
use esrs::store::StoreEvent;
use esrs::Aggregate;
use sqlx::{PgConnection, SqliteConnection};

use crate::StoreError;

/// The open transaction a read model writes into, on either backend.
pub enum Tx<'a> {
    /// The SQLite transaction (`BEGIN IMMEDIATE`).
    Sqlite(&'a mut SqliteConnection),
    /// The PostgreSQL transaction.
    Postgres(&'a mut PgConnection),
    /// A SQLite connection of rusqlite's inside its `BEGIN IMMEDIATE`: the credit query
    /// log's group writer ([`crate::store::SqliteGroupWriter`]). In a mutex only so the
    /// transaction can be sent between threads; nobody else holds it.
    Rusqlite(&'a std::sync::Mutex<rusqlite::Connection>),
}

impl Tx<'_> {
    /// The events of aggregate `aggregate_id` in table `<name>_events`, in order, as seen
    /// inside this transaction (including what it has just written).
    pub async fn events<E: crate::store::Envelope>(
        &mut self,
        name: &str,
        aggregate_id: uuid::Uuid,
    ) -> Result<Vec<StoreEvent<E>>, StoreError> {
        use sqlx::Row;
        // sql-safe: `name` is an aggregate's `NAME` constant (callers pass `A::NAME`); values are bound
        let sql = format!(
            "SELECT id, aggregate_id, payload, occurred_on, sequence_number, version \
             FROM {name}_events WHERE aggregate_id = $1 ORDER BY sequence_number"
        );
        let mut out = vec![];
        match self {
            Tx::Sqlite(c) => {
                for row in sqlx::query(&sql)
                    .bind(aggregate_id.to_string())
                    .fetch_all(&mut **c)
                    .await?
                {
                    out.push(crate::store::decode_sqlite_row::<E>(&row)?);
                }
            }
            Tx::Rusqlite(c) => {
                let rows = with_rusqlite(c, |c| {
                    let mut statement = c.prepare_cached(&sql)?;
                    let rows = statement.query_map([aggregate_id.to_string()], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i32>(4)?,
                            r.get::<_, Option<i32>>(5)?,
                        ))
                    })?;
                    rows.collect::<rusqlite::Result<Vec<_>>>()
                })?;
                for (id, payload, occurred_on, sequence_number, version) in rows {
                    out.push(StoreEvent {
                        id: uuid::Uuid::parse_str(&id)
                            .map_err(|e| StoreError::Encoding(format!("uuid {id:?}: {e}")))?,
                        aggregate_id,
                        payload: E::from_payload(serde_json::from_str(&payload)?)?,
                        occurred_on: chrono::DateTime::parse_from_rfc3339(&occurred_on)
                            .map_err(|e| {
                                StoreError::Encoding(format!("occurred_on {occurred_on:?}: {e}"))
                            })?
                            .with_timezone(&chrono::Utc),
                        sequence_number,
                        version,
                    });
                }
            }
            Tx::Postgres(c) => {
                for row in sqlx::query(&sql)
                    .bind(aggregate_id)
                    .fetch_all(&mut **c)
                    .await?
                {
                    let payload: serde_json::Value = row.try_get("payload")?;
                    out.push(StoreEvent {
                        id: row.try_get("id")?,
                        aggregate_id: row.try_get("aggregate_id")?,
                        payload: E::from_payload(payload)?,
                        occurred_on: row.try_get("occurred_on")?,
                        sequence_number: row.try_get("sequence_number")?,
                        version: row.try_get("version")?,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The id of event `sequence` of aggregate `aggregate_id` in `<name>_events`, as seen
    /// inside this transaction (`None`: no such event).
    pub async fn event_id_at(
        &mut self,
        name: &str,
        aggregate_id: uuid::Uuid,
        sequence: i64,
    ) -> Result<Option<uuid::Uuid>, StoreError> {
        // sql-safe: as above
        let sql = format!(
            "SELECT CAST(id AS TEXT) FROM {name}_events \
             WHERE aggregate_id = $1 AND sequence_number = $2"
        );
        let id: Option<String> = match self {
            Tx::Sqlite(c) => {
                sqlx::query_scalar(&sql)
                    .bind(aggregate_id.to_string())
                    .bind(sequence)
                    .fetch_optional(&mut **c)
                    .await?
            }
            Tx::Postgres(c) => {
                sqlx::query_scalar(&sql)
                    .bind(aggregate_id)
                    .bind(sequence)
                    .fetch_optional(&mut **c)
                    .await?
            }
            Tx::Rusqlite(c) => {
                use rusqlite::OptionalExtension;
                with_rusqlite(c, |c| {
                    c.prepare_cached(&sql)?
                        .query_row((aggregate_id.to_string(), sequence), |r| r.get(0))
                        .optional()
                })?
            }
        };
        Ok(id.and_then(|t| uuid::Uuid::parse_str(&t).ok()))
    }

    /// The first column of the first row of a query with text binds, as text (None when
    /// no row).
    pub async fn text(&mut self, sql: &str, binds: &[&str]) -> Result<Option<String>, StoreError> {
        use sqlx::Row;
        Ok(match self {
            Tx::Sqlite(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                match q.fetch_optional(&mut **c).await? {
                    Some(r) => Some(r.try_get::<String, _>(0)?),
                    None => None,
                }
            }
            Tx::Postgres(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                match q.fetch_optional(&mut **c).await? {
                    Some(r) => Some(r.try_get::<String, _>(0)?),
                    None => None,
                }
            }
            Tx::Rusqlite(c) => {
                let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::Text(b)).collect();
                with_rusqlite(c, |c| {
                    let mut statement = c.prepare_cached(sql)?;
                    bind_rusqlite(&mut statement, &binds)?;
                    let mut rows = statement.raw_query();
                    rows.next()?.map(|r| r.get::<_, String>(0)).transpose()
                })?
            }
        })
    }

    /// The same transaction, borrowed again (to pass it to one call after another).
    pub fn reborrow(&mut self) -> Tx<'_> {
        match self {
            Tx::Sqlite(c) => Tx::Sqlite(c),
            Tx::Postgres(c) => Tx::Postgres(c),
            Tx::Rusqlite(c) => Tx::Rusqlite(c),
        }
    }

    /// Insert many rows with few statements: `head` is `INSERT INTO t (columns)`, each
    /// row is `width` consecutive values of `binds` followed by the constant SQL text
    /// `tail` (such as `, '[]'`, or empty). The statement text is built here from
    /// numbered placeholders only; every value is bound.
    pub async fn exec_rows(
        &mut self,
        head: &str,
        width: usize,
        tail: &str,
        binds: &[Bind<'_>],
    ) -> Result<(), StoreError> {
        if width == 0 || !binds.len().is_multiple_of(width) {
            return Err(StoreError::Encoding(format!(
                "{} values do not make rows of {width}",
                binds.len()
            )));
        }
        // SQLite: anonymous `?` placeholders, bound in order (SQLite finds a numbered
        // one's name by a linear scan, which made a long statement quadratic to bind).
        let numbered = matches!(self, Tx::Postgres(_));
        for chunk in binds.chunks(width * (MAX_BINDS / width)) {
            let mut sql = String::with_capacity(head.len() + chunk.len() * 6);
            sql.push_str(head);
            sql.push_str(" VALUES ");
            for (i, _) in chunk.iter().enumerate() {
                match (i % width, i) {
                    (0, 0) => sql.push('('),
                    (0, _) => {
                        sql.push_str(tail);
                        sql.push_str("), (");
                    }
                    _ => sql.push_str(", "),
                }
                if numbered {
                    sql.push('$');
                    sql.push_str(&(i + 1).to_string());
                } else {
                    sql.push('?');
                }
            }
            sql.push_str(tail);
            sql.push(')');
            self.exec(&sql, chunk).await?;
        }
        Ok(())
    }

    /// Run a statement with text/integer binds on either backend.
    pub async fn exec(&mut self, sql: &str, binds: &[Bind<'_>]) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = match b {
                        Bind::Text(t) => q.bind(*t),
                        Bind::OptText(t) => q.bind(*t),
                        Bind::Int(i) => q.bind(*i),
                        Bind::OptInt(i) => q.bind(*i),
                    };
                }
                q.execute(&mut **c).await?;
            }
            Tx::Postgres(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = match b {
                        Bind::Text(t) => q.bind(*t),
                        Bind::OptText(t) => q.bind(*t),
                        Bind::Int(i) => q.bind(*i),
                        Bind::OptInt(i) => q.bind(*i),
                    };
                }
                q.execute(&mut **c).await?;
            }
            Tx::Rusqlite(c) => {
                with_rusqlite(c, |c| {
                    let mut statement = c.prepare_cached(sql)?;
                    bind_rusqlite(&mut statement, binds)?;
                    statement.raw_execute()
                })?;
            }
        }
        Ok(())
    }
}

/// Runs `f` on the connection of a [`Tx::Rusqlite`].
fn with_rusqlite<T>(
    conn: &std::sync::Mutex<rusqlite::Connection>,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&conn).map_err(super::sqlite_reader::store_error)
}

/// Binds `binds` to `statement`: value i to the parameter named `$i+1` where the text
/// numbers them (as every statement written for sqlx does), else to the i-th `?`.
fn bind_rusqlite(
    statement: &mut rusqlite::CachedStatement<'_>,
    binds: &[Bind<'_>],
) -> rusqlite::Result<()> {
    for (i, bind) in binds.iter().enumerate() {
        let index = statement
            .parameter_index(&format!("${}", i + 1))?
            .unwrap_or(i + 1);
        match bind {
            Bind::Text(t) => statement.raw_bind_parameter(index, t)?,
            Bind::OptText(t) => statement.raw_bind_parameter(index, t)?,
            Bind::Int(v) => statement.raw_bind_parameter(index, v)?,
            Bind::OptInt(v) => statement.raw_bind_parameter(index, v)?,
        }
    }
    Ok(())
}

/// The most values one multi-row statement binds (SQLite allows 32,766 and PostgreSQL
/// 65,535).
pub const MAX_BINDS: usize = 30_000;

/// A bound parameter of [`Tx::exec`]: SQL text stays fixed, values are always bound.
#[derive(Debug, Clone, Copy)]
pub enum Bind<'a> {
    /// Text.
    Text(&'a str),
    /// Nullable text.
    OptText(Option<&'a str>),
    /// An integer.
    Int(i64),
    /// A nullable integer.
    OptInt(Option<i64>),
}

/// The read models of aggregate `A`, shared by its store and its batch writer.
pub type ReadModels<A> = std::sync::Arc<Vec<Box<dyn ReadModel<A>>>>;

/// A read model fed by the events of aggregate `A`.
#[async_trait]
pub trait ReadModel<A: Aggregate>: Send + Sync {
    /// Stable name, used by `jianxin projections rebuild NAME`.
    fn name(&self) -> &'static str;

    /// The tables this read model owns (emptied before a rebuild).
    fn tables(&self) -> &'static [&'static str];

    /// Apply one stored event, whose ledger position is `global_sequence`.
    async fn apply(
        &self,
        event: &StoreEvent<A::Event>,
        global_sequence: u64,
        tx: Tx<'_>,
    ) -> Result<(), StoreError>;

    /// Apply many stored events, in order, each with its ledger position. The same rows
    /// as [`ReadModel::apply`] one by one (which is what this default does); a read
    /// model fed in volume may write them with fewer statements.
    async fn apply_all(
        &self,
        events: &[(&StoreEvent<A::Event>, u64)],
        mut tx: Tx<'_>,
    ) -> Result<(), StoreError>
    where
        A::Event: Sync,
    {
        for (event, global_sequence) in events {
            self.apply(event, *global_sequence, tx.reborrow()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rusqlite branch binds like sqlx does: `$n` by number wherever and however
    /// often it appears, `?` in order; rows of a multi-row insert carry their tail.
    #[tokio::test]
    async fn the_rusqlite_branch_binds_as_sqlx_does() {
        let dir = tempfile::tempdir().expect("dir");
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).expect("open");
        conn.execute_batch(
            "CREATE TABLE t (a TEXT, b INTEGER, c TEXT);
             CREATE TABLE x_events (id TEXT, aggregate_id TEXT, payload TEXT,
               occurred_on TEXT, sequence_number INTEGER, version INTEGER);
             INSERT INTO x_events VALUES ('00000000-0000-0000-0000-000000000007',
               '00000000-0000-0000-0000-000000000001', '{}', '2026-01-01T00:00:00Z', 1, NULL);",
        )
        .expect("schema");
        let conn = std::sync::Mutex::new(conn);
        let mut tx = Tx::Rusqlite(&conn);
        tx.exec(
            "INSERT INTO t (c, b, a) VALUES ($3, $2, $1)",
            &[Bind::Text("first"), Bind::Int(1), Bind::OptText(None)],
        )
        .await
        .expect("exec");
        tx.exec_rows(
            "INSERT INTO t (a, b, c)",
            2,
            ", 'tail'",
            &[
                Bind::Text("r1"),
                Bind::Int(2),
                Bind::Text("r2"),
                Bind::OptInt(None),
            ],
        )
        .await
        .expect("rows");
        let got = tx
            .text(
                "SELECT group_concat(a || ':' || IFNULL(b, '-') || ':' || IFNULL(c, '-'), ' ') \
                 FROM (SELECT * FROM t WHERE a = $1 OR a <> $1 ORDER BY rowid)",
                &["r1"],
            )
            .await
            .expect("text");
        assert_eq!(got.as_deref(), Some("first:1:- r1:2:tail r2:-:tail"));
        assert_eq!(
            tx.text("SELECT a FROM t WHERE a = $1", &["none"])
                .await
                .expect("no row"),
            None
        );
        let aggregate = uuid::Uuid::from_u128(1);
        assert_eq!(
            tx.event_id_at("x", aggregate, 1).await.expect("id"),
            Some(uuid::Uuid::from_u128(7))
        );
        assert_eq!(tx.event_id_at("x", aggregate, 2).await.expect("id"), None);
        // a statement that fails is an error, not a panic
        assert!(tx
            .exec("INSERT INTO nowhere VALUES ($1)", &[Bind::Int(1)])
            .await
            .is_err());
        assert!(tx
            .exec_rows("INSERT INTO t (a, b)", 2, "", &[Bind::Int(1)])
            .await
            .is_err());
    }
}
