-- Methods per user, per-client rules for RADIUS, and the transaction a RADIUS challenge waits on.
ALTER TABLE users ADD COLUMN default_method TEXT;
ALTER TABLE users ADD COLUMN allowed_methods TEXT;
ALTER TABLE radius_clients ADD COLUMN require_user_match INTEGER NOT NULL DEFAULT 1;
ALTER TABLE radius_clients ADD COLUMN fallback_otp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE radius_challenges ADD COLUMN transaction_id TEXT;
