CREATE TABLE radius_clients (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    address               TEXT NOT NULL,
    secret                BYTEA NOT NULL,
    flow                  TEXT NOT NULL,
    first_factor          TEXT NOT NULL,
    upstream              TEXT,
    upstream_secret       BYTEA,
    require_message_auth  BIGINT NOT NULL,
    created_at            BIGINT NOT NULL
);

CREATE TABLE radius_challenges (
    state       TEXT PRIMARY KEY,
    username    TEXT NOT NULL,
    client      TEXT NOT NULL,
    attributes  BYTEA NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX radius_challenges_expiry ON radius_challenges (expires_at);
