-- Reactions and mentions (docs/conversations.md).
-- A reaction change is an entry of the room's sequence (type 'reaction', text = the emoji,
-- target_id = the message), counted in rooms.lifecycle_count like edits and deletes, so unread
-- counts and push skip it and a `since` resume replays it.
ALTER TABLE messages DROP CONSTRAINT messages_type_check;
ALTER TABLE messages ADD CONSTRAINT messages_type_check CHECK (type IN ('text', 'join', 'leave', 'edit', 'delete', 'reaction'));
-- On a text message: its aggregated reactions now, [{"emoji","count"}] (NULL: none); on a
-- reaction entry: the target's aggregate right after that change. Kept by the reaction
-- transaction, so history reads it with the message (no query per message).
ALTER TABLE messages ADD COLUMN reactions jsonb;
-- On a reaction entry: true when the actor took the reaction back.
ALTER TABLE messages ADD COLUMN reaction_removed boolean;
-- On a text message: the members it mentions (resolved at send time; NULL: none).
ALTER TABLE messages ADD COLUMN mentions uuid[];

-- Who reacted with what: one row per (message, user, emoji); adding twice changes nothing.
CREATE TABLE reactions (
  message_id uuid NOT NULL CONSTRAINT reactions_message_id_fkey REFERENCES messages (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL CONSTRAINT reactions_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  emoji      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id, emoji)
);
-- A viewer's own reactions on a history page.
CREATE INDEX reactions_user_idx ON reactions (user_id, message_id);

-- Unread mentions: one row per mentioned member of a text message, so a member's mention count
-- since their read position is an index range per room, whatever the room's size.
CREATE TABLE message_mentions (
  user_id    uuid NOT NULL CONSTRAINT message_mentions_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  room_id    uuid NOT NULL CONSTRAINT message_mentions_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  seq        bigint NOT NULL,
  message_id uuid NOT NULL CONSTRAINT message_mentions_message_id_fkey REFERENCES messages (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, room_id, seq)
);

-- Per-user setting: a mention notifies even in a room the user muted (default yes).
ALTER TABLE users ADD COLUMN notify_mentions_when_muted boolean NOT NULL DEFAULT true;
