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
-- Inspection tasks (issue 5): one row per task, the standing draw's assignments, and the
-- random inspections every later freeze reads (same department within N months, cap).
CREATE TABLE IF NOT EXISTS inspection_tasks (
    task_id         TEXT   PRIMARY KEY,
    title           TEXT   NOT NULL,
    departments     TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    inspection_date TEXT   NOT NULL,
    window_from     TEXT   NOT NULL,
    window_to       TEXT   NOT NULL,
    rules_version   BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    beacon_round    BIGINT,
    pool_size       BIGINT,
    excluded        BIGINT,
    drawn_subjects  BIGINT,
    recusals        BIGINT NOT NULL,
    planner         TEXT   NOT NULL,
    created_at      TEXT   NOT NULL,
    updated_at      TEXT   NOT NULL,
    global_sequence BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS task_assignments (
    task_id         TEXT   NOT NULL,
    uscc            TEXT   NOT NULL,
    inspector_id    TEXT   NOT NULL,
    inspection_date TEXT   NOT NULL,
    attempt         BIGINT NOT NULL,
    PRIMARY KEY (task_id, uscc, inspector_id)
);
CREATE INDEX IF NOT EXISTS task_assignments_inspector ON task_assignments (inspector_id, inspection_date);
CREATE TABLE IF NOT EXISTS random_inspections (
    task_id         TEXT   NOT NULL,
    department      TEXT   NOT NULL,
    uscc            TEXT   NOT NULL,
    inspection_date TEXT   NOT NULL,
    members         TEXT   NOT NULL,
    drawn_at        BIGINT NOT NULL,
    PRIMARY KEY (task_id, department, uscc)
);
CREATE INDEX IF NOT EXISTS random_inspections_uscc ON random_inspections (uscc);
-- Inspection results (issue 6): the current version of each result, its deadline and
-- publication state; the versions themselves are in the log.
CREATE TABLE IF NOT EXISTS inspection_results (
    task_id           TEXT   NOT NULL,
    uscc              TEXT   NOT NULL,
    attempt           BIGINT NOT NULL,
    version           BIGINT NOT NULL,
    category          TEXT   NOT NULL,
    follow_up         TEXT   NOT NULL,
    inspection_date   TEXT   NOT NULL,
    deadline          TEXT   NOT NULL,
    content           TEXT   NOT NULL,
    recorded_at       TEXT   NOT NULL,
    corrections       BIGINT NOT NULL,
    published_version BIGINT,
    published_content TEXT,
    published_at      TEXT,
    global_sequence   BIGINT NOT NULL,
    PRIMARY KEY (task_id, uscc)
);
CREATE INDEX IF NOT EXISTS inspection_results_deadline ON inspection_results (deadline);

-- Credit (issue 7): every credit-subject event with its ledger position and recording
-- time (checks are answered bitemporally from it), the list entries as currently known
-- (to find the subjects of a snapshot), and the query log.
CREATE TABLE IF NOT EXISTS credit_facts (
    subject_id      TEXT   NOT NULL,
    uscc            TEXT   NOT NULL,
    global_sequence BIGINT NOT NULL PRIMARY KEY,
    recorded_at     TEXT   NOT NULL,
    event           TEXT   NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_facts_subject ON credit_facts (subject_id, global_sequence);
CREATE TABLE IF NOT EXISTS credit_entries (
    entry_id        TEXT   NOT NULL PRIMARY KEY,
    uscc            TEXT   NOT NULL,
    subject_id      TEXT   NOT NULL,
    list            TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    entered_on      TEXT   NOT NULL,
    until           TEXT,
    ended_on        TEXT,
    annulled        BIGINT NOT NULL,
    global_sequence BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_entries_list ON credit_entries (list, uscc);
-- The query log's row per answer; the answer itself is read from its logged event
-- (`credit_query_events`), not kept a second time here (dropped in schema 10).
CREATE TABLE IF NOT EXISTS credit_queries (
    query_id        TEXT   NOT NULL PRIMARY KEY,
    uscc            TEXT   NOT NULL,
    scenario        TEXT   NOT NULL,
    valid_date      TEXT   NOT NULL,
    known_at        TEXT   NOT NULL,
    requester       TEXT   NOT NULL,
    role            TEXT   NOT NULL,
    purpose         TEXT   NOT NULL,
    decision        TEXT   NOT NULL,
    log_seq         BIGINT NOT NULL,
    recorded_at     TEXT   NOT NULL,
    global_sequence BIGINT NOT NULL,
    feedback        TEXT   NOT NULL
);
-- In log order, for copying answers into the index by subject (SQLite: a file of its
-- own, store/query_subjects.rs; PostgreSQL: `credit_queries_subject`, db.rs).
CREATE INDEX IF NOT EXISTS credit_queries_sequence ON credit_queries (global_sequence);
CREATE INDEX IF NOT EXISTS credit_queries_requester ON credit_queries (requester, global_sequence);
-- Enforcement cases (issue 8): one row per case for `case list` and the deviations scan.
CREATE TABLE IF NOT EXISTS enforcement_cases (
    case_id         TEXT   NOT NULL PRIMARY KEY,
    status          TEXT   NOT NULL,
    officer         TEXT   NOT NULL,
    subject         TEXT,
    opened_at       TEXT   NOT NULL,
    rule_version    TEXT   NOT NULL,
    events          BIGINT NOT NULL,
    deviations      BIGINT NOT NULL,
    global_sequence BIGINT NOT NULL
);
-- The scheduler (issue 9): the checkpoint archive as published, and each recorded run.
CREATE TABLE IF NOT EXISTS published_checkpoints (
    global_sequence BIGINT NOT NULL PRIMARY KEY,
    tree_size       BIGINT NOT NULL,
    root_hash       TEXT   NOT NULL,
    note            TEXT   NOT NULL,
    due_at          TEXT   NOT NULL,
    recorded_at     TEXT   NOT NULL
);
CREATE TABLE IF NOT EXISTS scheduler_runs (
    global_sequence BIGINT NOT NULL PRIMARY KEY,
    job             TEXT   NOT NULL,
    tick            TEXT   NOT NULL,
    recorded_at     TEXT   NOT NULL,
    rule_version    TEXT   NOT NULL,
    appended        BIGINT NOT NULL,
    firings         TEXT   NOT NULL
);
CREATE INDEX IF NOT EXISTS scheduler_runs_job ON scheduler_runs (job, global_sequence);
-- Penalty records with their severity, for the end of their minimum publicity.
CREATE TABLE IF NOT EXISTS credit_penalties (
    record_id       TEXT   NOT NULL PRIMARY KEY,
    subject_id      TEXT   NOT NULL,
    effective_on    TEXT   NOT NULL,
    severity        TEXT   NOT NULL,
    global_sequence BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_penalties_day ON credit_penalties (effective_on);
-- Subscriptions to the change feed (订阅) and their delivery cursor (issue 7).
CREATE TABLE IF NOT EXISTS credit_subscriptions (
    subscription_id   TEXT   NOT NULL PRIMARY KEY,
    owner             TEXT   NOT NULL,
    owner_role        TEXT   NOT NULL,
    url               TEXT   NOT NULL,
    lists             TEXT   NOT NULL,
    description       TEXT   NOT NULL,
    subscribed_at     TEXT   NOT NULL,
    active            BIGINT NOT NULL,
    ended_at          TEXT,
    ended_by          TEXT,
    end_reason        TEXT,
    cursor_seq        BIGINT NOT NULL,
    deliveries        BIGINT NOT NULL,
    changes_delivered BIGINT NOT NULL,
    last_delivery_id  TEXT,
    last_delivered_at TEXT,
    global_sequence   BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_subscriptions_owner ON credit_subscriptions (owner, subscribed_at);
