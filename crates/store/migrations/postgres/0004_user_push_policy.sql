ALTER TABLE users ADD COLUMN push_number_matching BIGINT;
ALTER TABLE users ADD COLUMN push_pin_required BIGINT;
