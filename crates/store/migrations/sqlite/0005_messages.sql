CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    sealed          BLOB NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX messages_due ON messages (status, next_attempt_at);

CREATE TABLE code_challenges (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    username    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    code_hash   BLOB NOT NULL,
    destination TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX code_challenges_by_user ON code_challenges (user_id, created_at);

ALTER TABLE users ADD COLUMN welcome_email INTEGER;
ALTER TABLE users ADD COLUMN welcomed_at INTEGER;
