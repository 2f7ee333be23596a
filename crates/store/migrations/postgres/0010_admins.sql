-- Console administrators: local accounts with an argon2id password and a
-- role (admin, helpdesk, auditor). Their second factor goes through the
-- sign-in engine like everyone's, so it is not kept here.
CREATE TABLE admins (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
