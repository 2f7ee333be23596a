-- Groups (issue 28): local ones (console, CLI, API) and ones a directory
-- sync keeps (source `directory`, with the directory's id and DN).
CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL UNIQUE,
    source       TEXT NOT NULL DEFAULT 'local',
    directory_id TEXT UNIQUE,
    dn           TEXT,
    created_at   BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
-- A user's groups, read per sign-in attempt when some rule names a group.
CREATE INDEX group_members_by_user ON group_members (user_id);

-- Sign-in rules are one ordered JSON list in `meta` (key `sign_in_rules`),
-- re-read by every node like the settings. The audit record names the
-- rule that decided (NULL: the default, today's behaviour).
ALTER TABLE audit ADD COLUMN rule TEXT;
