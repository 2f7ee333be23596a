-- Passkeys (WebAuthn credentials, issue 26) and their ceremonies'
-- challenges. A credential id is unique over all users; the signature
-- counter moves by compare-and-set; a challenge is used once (a
-- conditional UPDATE of `used` only one caller wins) and expires.
CREATE TABLE webauthn_credentials (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL UNIQUE,
    public_key      BLOB NOT NULL,
    alg             INTEGER NOT NULL,
    aaguid          TEXT NOT NULL,
    transports      TEXT NOT NULL DEFAULT '',
    sign_count      INTEGER NOT NULL DEFAULT 0,
    name            TEXT NOT NULL,
    user_verified   INTEGER NOT NULL DEFAULT 0,
    backup_eligible INTEGER NOT NULL DEFAULT 0,
    backup_state    INTEGER NOT NULL DEFAULT 0,
    discoverable    INTEGER,
    attestation     TEXT NOT NULL DEFAULT '{"kind":"none"}',
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

CREATE TABLE webauthn_challenges (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    challenge   BLOB NOT NULL,
    expires_at  INTEGER NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
