-- The number a phone call dials when it is not the user's phone (issue 25).
ALTER TABLE users ADD COLUMN voice_phone TEXT;
