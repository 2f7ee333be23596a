-- When an API key was last used (written at most once a minute per key
-- and node), shown by the console and `countersign apikey list`.
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
