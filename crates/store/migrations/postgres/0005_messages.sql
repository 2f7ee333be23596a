CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    sealed          BYTEA NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX messages_due ON messages (status, next_attempt_at);

CREATE TABLE code_challenges (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    username    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    code_hash   BYTEA NOT NULL,
    destination TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX code_challenges_by_user ON code_challenges (user_id, created_at);

ALTER TABLE users ADD COLUMN welcome_email BIGINT;
ALTER TABLE users ADD COLUMN welcomed_at BIGINT;
