-- Account lifecycle: log out everywhere, password change, account deletion (docs/accounts.md).
--
-- Every token carries the generation of its user's tokens it was issued in (JWT claim `gen`);
-- a token whose generation is below the user's is refused. Logging out everywhere and changing
-- the password move it forward. Tokens issued before this migration carry no `gen`: they are
-- generation 0, like every existing user.
ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0;
-- A deleted account keeps its row (messages and rooms refer to it) with every personal field
-- cleared: username 'deleted user', email '', no password. Its name and email are free again,
-- so uniqueness holds among live accounts only.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
DROP INDEX users_username_lower_key;
DROP INDEX users_email_lower_key;
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email)) WHERE deleted_at IS NULL;
-- Deleting an account anonymises its messages (sender_username is denormalised): this finds
-- them without scanning every room's history.
CREATE INDEX messages_sender_id_idx ON messages (sender_id);
