CREATE TABLE activations (
    id          TEXT PRIMARY KEY,
    lookup      TEXT NOT NULL UNIQUE,
    secret_hash BYTEA NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    used_at     BIGINT
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    platform     TEXT NOT NULL,
    public_key   BYTEA NOT NULL,
    pin_key      BYTEA,
    token_id     TEXT,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT
);
CREATE INDEX devices_by_user ON devices (user_id);

CREATE TABLE device_nonces (
    device_id  TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX device_nonces_expiry ON device_nonces (expires_at);

CREATE TABLE push_transactions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    username       TEXT NOT NULL,
    number         BIGINT,
    pin_required   BIGINT NOT NULL,
    status         TEXT NOT NULL,
    reason         TEXT,
    application    TEXT,
    client_address TEXT,
    api_key        TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    decided_at     BIGINT,
    device_id      TEXT
);
CREATE INDEX push_by_user ON push_transactions (user_id, created_at);
