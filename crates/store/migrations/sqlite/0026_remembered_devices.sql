-- Remembered browsers (issue 28): after a full sign-in at a browser door
-- (the portal, /sso) a user may have the browser remembered for the days
-- the matching rule allows. The cookie carries 160 random bits; the row
-- keeps only their keyed hash (`token_hash`), the user it is bound to, a
-- label (the browser, from its User-Agent) and when it was made, last
-- used and ends. Forgetting one deletes its row; a password change or
-- "sign out everywhere" deletes the user's rows.
CREATE TABLE remembered_devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX remembered_devices_user ON remembered_devices (user_id);
