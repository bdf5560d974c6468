-- jianxin schema, SQLite. Applied at every start; every statement is idempotent.
-- The ledger: one row per event, in the one global order. Append-only (triggers below).
CREATE TABLE IF NOT EXISTS ledger (
    global_sequence    INTEGER PRIMARY KEY,
    event_id           TEXT    NOT NULL UNIQUE,
    aggregate_type     TEXT    NOT NULL,
    aggregate_id       TEXT    NOT NULL,
    aggregate_sequence INTEGER NOT NULL,
    command_id         TEXT    NOT NULL,
    command_index      INTEGER NOT NULL,
    canonical          BLOB    NOT NULL,
    prev_hash          BLOB    NOT NULL,
    entry_hash         BLOB    NOT NULL,
    CONSTRAINT ledger_command_unique UNIQUE (command_id, command_index)
);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: DELETE refused'); END;
-- The ledger's Merkle tree as stored nodes (ledger/stored_tree.rs): the root of every
-- perfect, aligned subtree of the entries a stored checkpoint covers, keyed by
-- level * 2^56 + index. A cache derived from the ledger: checks recompute a signed root
-- from it and never trust it; written when the scheduler stores a checkpoint.
CREATE TABLE IF NOT EXISTS ledger_tree (
    node INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL
);

-- Read model: versions of reference data (rebuildable from the log).
CREATE TABLE IF NOT EXISTS reference_data_versions (
    kind            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    digest          TEXT    NOT NULL,
    rows            INTEGER NOT NULL,
    source          TEXT    NOT NULL,
    loaded_at       TEXT    NOT NULL,
    actor_user      TEXT    NOT NULL,
    global_sequence INTEGER NOT NULL,
    PRIMARY KEY (kind, version)
);

-- Which schema version is applied (the service skips DDL when current).
CREATE TABLE IF NOT EXISTS jianxin_schema (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);

