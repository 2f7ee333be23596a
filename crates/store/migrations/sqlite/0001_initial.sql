CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    username_key    TEXT NOT NULL UNIQUE,
    display_name    TEXT,
    email           TEXT,
    phone           TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    locked_until    INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       INTEGER NOT NULL,
    period       INTEGER NOT NULL,
    last_used    INTEGER NOT NULL,
    drift        INTEGER NOT NULL DEFAULT 0,
    secret       BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX tokens_by_user ON tokens (user_id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL UNIQUE,
    hash       BLOB NOT NULL,
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;

CREATE TABLE audit (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL,
    at             INTEGER NOT NULL,
    username       TEXT NOT NULL,
    username_key   TEXT NOT NULL,
    user_id        TEXT,
    method         TEXT NOT NULL,
    token_id       TEXT,
    result         TEXT NOT NULL,
    reason         TEXT,
    api_key        TEXT,
    source_address TEXT
);
CREATE INDEX audit_by_user ON audit (username_key, seq);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
