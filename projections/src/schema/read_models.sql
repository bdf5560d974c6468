-- Read-model tables shared by SQLite and PostgreSQL (same DDL on both); rebuildable.
-- Directories (issue 4): dated versions for "as of D" queries; rebuildable.
CREATE TABLE IF NOT EXISTS subject_versions (
    uscc              TEXT   NOT NULL,
    valid_from        TEXT   NOT NULL,
    valid_to          TEXT,
    name              TEXT   NOT NULL,
    kind              TEXT   NOT NULL,
    industry          TEXT   NOT NULL,
    region            TEXT   NOT NULL,
    registration_date TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    risk_class        TEXT   NOT NULL,
    tags              TEXT   NOT NULL,
    global_sequence   BIGINT NOT NULL,
    PRIMARY KEY (uscc, valid_from)
);
CREATE INDEX IF NOT EXISTS subject_versions_region ON subject_versions (region, uscc);
CREATE TABLE IF NOT EXISTS inspector_versions (
    inspector_id           TEXT   NOT NULL,
    valid_from             TEXT   NOT NULL,
    valid_to               TEXT,
    name                   TEXT   NOT NULL,
    department             TEXT   NOT NULL,
    patrol_areas           TEXT   NOT NULL,
    certificate_number     TEXT   NOT NULL,
    certificate_issued_on  TEXT   NOT NULL,
    certificate_expires_on TEXT   NOT NULL,
    qualifications         TEXT   NOT NULL,
    expert                 BIGINT NOT NULL,
    status                 TEXT   NOT NULL,
    global_sequence        BIGINT NOT NULL,
    PRIMARY KEY (inspector_id, valid_from)
);
CREATE TABLE IF NOT EXISTS inspector_relationships (
    inspector_id TEXT NOT NULL,
    uscc         TEXT NOT NULL,
    relation     TEXT NOT NULL,
    declared_on  TEXT NOT NULL,
    PRIMARY KEY (inspector_id, uscc, relation)
);
CREATE TABLE IF NOT EXISTS inspection_items (
    code            TEXT   PRIMARY KEY,
    version         BIGINT NOT NULL,
    name            TEXT   NOT NULL,
    department      TEXT   NOT NULL,
    record          TEXT   NOT NULL,
    retired         TEXT,
    global_sequence BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS implementation_rules_versions (
    version         BIGINT PRIMARY KEY,
    rules           TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    published_at    TEXT   NOT NULL,
    actor_user      TEXT   NOT NULL,
    global_sequence BIGINT NOT NULL
);
