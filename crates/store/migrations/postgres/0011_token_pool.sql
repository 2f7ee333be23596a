-- The token pool: hardware tokens imported from PSKC or CSV exist without
-- a user (user_id NULL) until they are assigned, and carry the serial
-- number printed on them (unique: importing again skips them) and their
-- issuer.
ALTER TABLE tokens ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE tokens ADD COLUMN serial TEXT;
ALTER TABLE tokens ADD COLUMN issuer TEXT;
CREATE UNIQUE INDEX tokens_by_serial ON tokens (serial);

-- The language of a user's messages (MFA Server's user records carry one).
ALTER TABLE users ADD COLUMN language TEXT;
