CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    username_key    TEXT NOT NULL UNIQUE,
    display_name    TEXT,
    email           TEXT,
    phone           TEXT,
    enabled         BIGINT NOT NULL DEFAULT 1,
    locked_until    BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       BIGINT NOT NULL,
    period       BIGINT NOT NULL,
    last_used    BIGINT NOT NULL,
    drift        BIGINT NOT NULL DEFAULT 0,
    secret       BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX tokens_by_user ON tokens (user_id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL UNIQUE,
    hash       BYTEA NOT NULL,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;

CREATE TABLE audit (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT NOT NULL,
    at             BIGINT NOT NULL,
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
    value BYTEA NOT NULL
);
