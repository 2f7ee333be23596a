-- Console sessions: any node serves any request; signing out or expiring
-- holds everywhere. Only a keyed hash of the cookie's token is kept.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY,
    admin_id     TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    stage        TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    address      TEXT
);
CREATE INDEX console_sessions_admin ON console_sessions (admin_id);

-- When the administrator's own second factor (a TOTP on the hidden user
-- admin/NAME) was enrolled; NULL: enrolment comes first.
ALTER TABLE admins ADD COLUMN second_factor_at BIGINT;
