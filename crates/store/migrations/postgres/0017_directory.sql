-- Users synced from the directory, keyed by the directory's own unique id
-- (objectGUID, entryUUID) so that renames follow. disabled_by_sync: the
-- sync disabled the user (left the group, disabled in the directory), so
-- the sync may enable them again; a user an administrator disabled stays so.
CREATE TABLE directory_links (
    user_id          TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    external_id      TEXT NOT NULL UNIQUE,
    dn               TEXT NOT NULL,
    disabled_by_sync BIGINT NOT NULL DEFAULT 0,
    synced_at        BIGINT NOT NULL
);

-- Work one node at a time does (the directory sync): the holder keeps the
-- lease until `until`; another node takes it only after that.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  BIGINT NOT NULL
);
