-- Upstream RADIUS answers must carry Message-Authenticator unless relaxed per client.
ALTER TABLE radius_clients ADD COLUMN upstream_require_message_auth INTEGER NOT NULL DEFAULT 1;
