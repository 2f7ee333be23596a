-- One-time bypass (Azure MFA Server's): an administrator lets the user's
-- next sign-in through without a second factor until `bypass_until`.
-- The engine takes it with one conditional UPDATE, so it is used once.
ALTER TABLE users ADD COLUMN bypass_until BIGINT;
ALTER TABLE users ADD COLUMN bypass_reason TEXT;
