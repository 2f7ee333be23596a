-- Web Push subscriptions of the authenticator web app, one per device.
-- The endpoint (a capability URL) and the keys are sealed together with
-- the encryption key (webpush_subscriptions.<device_id>.subscription).
CREATE TABLE webpush_subscriptions (
    device_id      TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    last_result    TEXT,
    last_result_at INTEGER
);
CREATE INDEX webpush_by_user ON webpush_subscriptions (user_id);
