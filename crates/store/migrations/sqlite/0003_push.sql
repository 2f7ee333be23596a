CREATE TABLE activations (
    id          TEXT PRIMARY KEY,
    lookup      TEXT NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    used_at     INTEGER
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    platform     TEXT NOT NULL,
    public_key   BLOB NOT NULL,
    pin_key      BLOB,
    token_id     TEXT,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER
);
CREATE INDEX devices_by_user ON devices (user_id);

CREATE TABLE device_nonces (
    device_id  TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX device_nonces_expiry ON device_nonces (expires_at);

CREATE TABLE push_transactions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    username       TEXT NOT NULL,
    number         INTEGER,
    pin_required   INTEGER NOT NULL,
    status         TEXT NOT NULL,
    reason         TEXT,
    application    TEXT,
    client_address TEXT,
    api_key        TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    decided_at     INTEGER,
    device_id      TEXT
);
CREATE INDEX push_by_user ON push_transactions (user_id, created_at);
