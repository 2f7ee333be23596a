ALTER TABLE users ADD COLUMN push_number_matching INTEGER;
ALTER TABLE users ADD COLUMN push_pin_required INTEGER;
