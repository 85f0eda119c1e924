-- Rooms with owners, and moderation (docs/moderation.md).
-- Roles per membership. Exactly one owner per room while it has members.
ALTER TABLE memberships ADD COLUMN role text NOT NULL DEFAULT 'member'
  CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'moderator', 'member'));
-- Slow mode: when this member's last text message was stored (written only while slow mode is on).
ALTER TABLE memberships ADD COLUMN last_sent_at timestamptz;
-- Existing rooms: the creator owns the room; where the creator left, the longest-standing member does.
UPDATE memberships m SET role = 'owner' FROM rooms r WHERE r.id = m.room_id AND r.created_by = m.user_id;
UPDATE memberships m SET role = 'owner'
  FROM (
    SELECT DISTINCT ON (room_id) room_id, user_id FROM memberships x
    WHERE NOT EXISTS (SELECT 1 FROM memberships o WHERE o.room_id = x.room_id AND o.role = 'owner')
    ORDER BY room_id, joined_at, user_id
  ) heir
  WHERE m.room_id = heir.room_id AND m.user_id = heir.user_id;
CREATE UNIQUE INDEX memberships_one_owner_key ON memberships (room_id) WHERE role = 'owner';

-- Room settings set by owners and moderators.
ALTER TABLE rooms ADD COLUMN topic text NOT NULL DEFAULT '';
-- Only owners and moderators post in an announcement room.
ALTER TABLE rooms ADD COLUMN announcement boolean NOT NULL DEFAULT false;
-- Slow mode: one message per member per this many seconds (0: off).
ALTER TABLE rooms ADD COLUMN slow_mode_seconds integer NOT NULL DEFAULT 0
  CONSTRAINT rooms_slow_mode_seconds_check CHECK (slow_mode_seconds >= 0);

-- Banned users cannot join or be added until unbanned. Kept apart from memberships: a ban
-- outlives the membership it ended.
CREATE TABLE room_bans (
  room_id    uuid NOT NULL CONSTRAINT room_bans_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL CONSTRAINT room_bans_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  banned_by  uuid CONSTRAINT room_bans_banned_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);

-- Timeouts: the user cannot send to the room until `until`. Apart from memberships, so that
-- leaving and rejoining does not end one. Rows past `until` are dead and replaced on the next timeout.
CREATE TABLE room_timeouts (
  room_id uuid NOT NULL CONSTRAINT room_timeouts_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  user_id uuid NOT NULL CONSTRAINT room_timeouts_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  until   timestamptz NOT NULL,
  PRIMARY KEY (room_id, user_id)
);

-- Every moderation action: who did what to whom, when. Goes with the room.
CREATE TABLE room_moderation_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id    uuid NOT NULL CONSTRAINT room_moderation_log_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  actor_id   uuid CONSTRAINT room_moderation_log_actor_id_fkey REFERENCES users (id) ON DELETE SET NULL,
  action     text NOT NULL,
  target_id  uuid,
  detail     jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX room_moderation_log_room_idx ON room_moderation_log (room_id, id DESC);
