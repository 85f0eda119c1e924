-- Direct messages (docs/conversations-dms.md): a room of kind 'direct' is the one private room of
-- two users. direct_rooms holds it under the ordered pair (user_low < user_high), so the primary
-- key makes "the one room of these two" a database fact: concurrent first uses (any replica,
-- any process) insert the pair with ON CONFLICT DO NOTHING, and every loser re-reads the winner's.
ALTER TABLE rooms ADD COLUMN kind text NOT NULL DEFAULT 'group' CONSTRAINT rooms_kind_check CHECK (kind IN ('group', 'direct'));

CREATE TABLE direct_rooms (
  user_low  uuid NOT NULL CONSTRAINT direct_rooms_user_low_fkey REFERENCES users (id) ON DELETE CASCADE,
  user_high uuid NOT NULL CONSTRAINT direct_rooms_user_high_fkey REFERENCES users (id) ON DELETE CASCADE,
  room_id   uuid NOT NULL CONSTRAINT direct_rooms_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  PRIMARY KEY (user_low, user_high),
  CONSTRAINT direct_rooms_room_id_key UNIQUE (room_id),
  CONSTRAINT direct_rooms_ordered_check CHECK (user_low < user_high)
);

-- Blocks: the blocker no longer receives DMs from the blocked user (a new DM and sends into an
-- existing one are refused), and the blocker's DM history hides the blocked user's messages.
-- The primary key is the send path's lookup (blocker, blocked).
CREATE TABLE user_blocks (
  blocker_id uuid NOT NULL CONSTRAINT user_blocks_blocker_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  blocked_id uuid NOT NULL CONSTRAINT user_blocks_blocked_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id),
  CONSTRAINT user_blocks_not_self_check CHECK (blocker_id <> blocked_id)
);

-- User search (GET /api/users?q=): a case-insensitive prefix match, lower(username) LIKE 'abc%',
-- is an index range scan only under the C collation (the unique index on lower(username) uses the
-- database collation, which LIKE cannot use outside the C locale); the same index gives the order.
CREATE INDEX users_username_prefix_idx ON users ((lower(username) COLLATE "C"));
