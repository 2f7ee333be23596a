-- The user portal. Sessions like the console's, for users: only a keyed hash
-- of the cookie's token is kept; `data` is the session's sealed working state
-- (the second factor under way, a TOTP seed or contact waiting for its code).
CREATE TABLE portal_sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stage        TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    data         TEXT,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    address      TEXT
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);

-- One-time enrolment links: a keyed hash of the link's token; used_at is
-- set by one conditional UPDATE, so a link opens one session only.
CREATE TABLE enrolment_links (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    created_by TEXT
);
CREATE INDEX enrolment_links_user ON enrolment_links (user_id);

-- What a user keeps for the portal: the password they chose (argon2id) and
-- the hashes of their last PINs (a JSON array), so a new PIN is not an old one.
CREATE TABLE portal_accounts (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT,
    pin_history   TEXT,
    updated_at    BIGINT NOT NULL
);

-- The names users give their tokens in the portal ("Work phone", "Key fob").
CREATE TABLE token_labels (
    token_id TEXT PRIMARY KEY REFERENCES tokens(id) ON DELETE CASCADE,
    label    TEXT NOT NULL
);
