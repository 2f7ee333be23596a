-- The OpenID Provider (issue 27). Clients (their secret only as a hash; the
-- rest of their description as JSON), the ID token signing keys (sealed),
-- grants (an authorization code and what was issued for it: the code is
-- redeemed once by a conditional UPDATE of `redeemed_at`; a second use
-- sets `revoked_at`, which ends every token of the grant) and refresh
-- tokens (rotating: each is used once; a reused one revokes its grant).
CREATE TABLE oidc_clients (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    secret_hash BLOB,
    config      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE oidc_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_key BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);

CREATE TABLE oidc_grants (
    id             TEXT PRIMARY KEY,
    code_hash      BLOB NOT NULL UNIQUE,
    client         TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    data           TEXT NOT NULL,
    code_expires_at INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    redeemed_at    INTEGER,
    revoked_at     INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX oidc_grants_user ON oidc_grants (user_id);
CREATE INDEX oidc_grants_expires ON oidc_grants (expires_at);

CREATE TABLE oidc_refresh_tokens (
    token_hash  BLOB PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES oidc_grants(id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);
