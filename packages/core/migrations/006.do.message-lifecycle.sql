-- Message lifecycle: edits and deletes are entries of the room's sequence (their own seq), so a
-- client resuming with `since` learns of them like of any message. The target row is updated in
-- the same statement to its current state (history shows messages as they are now).
ALTER TABLE messages DROP CONSTRAINT messages_type_check;
ALTER TABLE messages ADD CONSTRAINT messages_type_check CHECK (type IN ('text', 'join', 'leave', 'edit', 'delete'));
-- On an edit/delete entry: the message it changes (same room).
ALTER TABLE messages ADD COLUMN target_id uuid;
-- On a text message: when it was last edited / deleted (deleted rows keep no text and no files).
ALTER TABLE messages ADD COLUMN edited_at timestamptz;
ALTER TABLE messages ADD COLUMN deleted_at timestamptz;
-- Unread counts skip edit/delete entries: the room counts them, and a member's read position
-- records how many of them lie at or before it. unread = (last_seq - last_read_seq) - (lifecycle_count - lifecycle_read).
ALTER TABLE rooms ADD COLUMN lifecycle_count bigint NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN lifecycle_read bigint NOT NULL DEFAULT 0;
-- Replies: the message answered (same room; checked by the application before the send).
ALTER TABLE messages ADD COLUMN reply_to uuid;
