-- Upstream RADIUS answers must carry Message-Authenticator unless relaxed per client.
ALTER TABLE radius_clients ADD COLUMN upstream_require_message_auth BIGINT NOT NULL DEFAULT 1;
