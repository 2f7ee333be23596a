-- One table for every kind of browser session: administrators' (the
-- console) and users' (the portal) were two tables with the same columns.
-- Sessions open at the upgrade are not carried over: everyone signs in again.
DROP TABLE console_sessions;
DROP TABLE portal_sessions;

-- Only a keyed hash of the cookie's token is kept. The subject is in
-- admin_id or user_id as `kind` says (administrator, user), each with its
-- foreign key; `data` is the session's sealed working state.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    admin_id     TEXT REFERENCES admins(id) ON DELETE CASCADE,
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    level        TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    data         TEXT,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    address      TEXT,
    CHECK ((admin_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX sessions_admin ON sessions (admin_id);
CREATE INDEX sessions_user ON sessions (user_id);
