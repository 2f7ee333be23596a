-- The token pool: hardware tokens imported from PSKC or CSV exist without
-- a user (user_id NULL) until they are assigned, and carry the serial
-- number printed on them (unique: importing again skips them) and their
-- issuer. SQLite cannot drop a NOT NULL, so the table is rebuilt.
CREATE TABLE tokens_new (
    id           TEXT PRIMARY KEY,
    user_id      TEXT REFERENCES users (id),
    kind         TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       INTEGER NOT NULL,
    period       INTEGER NOT NULL,
    last_used    INTEGER NOT NULL,
    drift        INTEGER NOT NULL DEFAULT 0,
    secret       BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    serial       TEXT,
    issuer       TEXT
);
INSERT INTO tokens_new (id, user_id, kind, algorithm, digits, period, last_used, drift, secret, created_at, last_used_at)
    SELECT id, user_id, kind, algorithm, digits, period, last_used, drift, secret, created_at, last_used_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_by_user ON tokens (user_id);
CREATE UNIQUE INDEX tokens_by_serial ON tokens (serial);

-- The language of a user's messages (MFA Server's user records carry one).
ALTER TABLE users ADD COLUMN language TEXT;
