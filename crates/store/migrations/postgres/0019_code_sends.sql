-- Every code sent (sign-in codes by SMS and email, two-way SMS, the
-- portal's contact confirmations), kept an hour or so: the per-user,
-- per-destination and global send limits count these rows, so every node
-- shares them. Refused sends are removed again.
CREATE TABLE code_sends (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    destination TEXT NOT NULL,
    channel     TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX code_sends_at ON code_sends (at);
CREATE INDEX code_sends_user ON code_sends (user_id, at);
CREATE INDEX code_sends_destination ON code_sends (destination, at);
