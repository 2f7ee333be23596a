-- RADIUS requests dropped without an answer (unknown client, missing or bad
-- Message-Authenticator), for `countersign doctor`: one row per client (or
-- address, for an unknown client) and cause, written at most once a minute.
CREATE TABLE radius_drops (
    source    TEXT NOT NULL,
    cause     TEXT NOT NULL,
    address   TEXT NOT NULL,
    count     INTEGER NOT NULL,
    first_at  INTEGER NOT NULL,
    last_at   INTEGER NOT NULL,
    PRIMARY KEY (source, cause)
);
