-- jianxin schema, PostgreSQL. Applied at every start under an advisory lock; idempotent.
CREATE TABLE IF NOT EXISTS ledger (
    global_sequence    BIGINT  PRIMARY KEY,
    event_id           UUID    NOT NULL UNIQUE,
    aggregate_type     TEXT    NOT NULL,
    aggregate_id       UUID    NOT NULL,
    aggregate_sequence BIGINT  NOT NULL,
    command_id         UUID    NOT NULL,
    command_index      INTEGER NOT NULL,
    canonical          BYTEA   NOT NULL,
    prev_hash          BYTEA   NOT NULL,
    entry_hash         BYTEA   NOT NULL,
    CONSTRAINT ledger_command_unique UNIQUE (command_id, command_index)
);
CREATE OR REPLACE FUNCTION jianxin_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION jianxin_append_only();
CREATE OR REPLACE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION jianxin_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON ledger FROM PUBLIC;
-- The ledger's Merkle tree as stored nodes (ledger/stored_tree.rs): the root of every
-- perfect, aligned subtree of the entries a stored checkpoint covers, keyed by
-- level * 2^56 + index. A cache derived from the ledger: checks recompute a signed root
-- from it and never trust it; written when the scheduler stores a checkpoint.
CREATE TABLE IF NOT EXISTS ledger_tree (
    node BIGINT PRIMARY KEY,
    hash BYTEA  NOT NULL
);

CREATE TABLE IF NOT EXISTS reference_data_versions (
    kind            TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    digest          TEXT    NOT NULL,
    rows            BIGINT  NOT NULL,
    source          TEXT    NOT NULL,
    loaded_at       TEXT    NOT NULL,
    actor_user      TEXT    NOT NULL,
    global_sequence BIGINT  NOT NULL,
    PRIMARY KEY (kind, version)
);

CREATE TABLE IF NOT EXISTS jianxin_schema (
    version    BIGINT PRIMARY KEY,
    applied_at TEXT NOT NULL
);

