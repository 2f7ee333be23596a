CREATE TABLE radius_clients (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    address               TEXT NOT NULL,
    secret                BLOB NOT NULL,
    flow                  TEXT NOT NULL,
    first_factor          TEXT NOT NULL,
    upstream              TEXT,
    upstream_secret       BLOB,
    require_message_auth  INTEGER NOT NULL,
    created_at            INTEGER NOT NULL
);

CREATE TABLE radius_challenges (
    state       TEXT PRIMARY KEY,
    username    TEXT NOT NULL,
    client      TEXT NOT NULL,
    attributes  BLOB NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX radius_challenges_expiry ON radius_challenges (expires_at);
