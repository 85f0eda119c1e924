-- Users who left a room. Other members cannot add them back (no membership without consent);
-- joining a public room themselves clears the row.
CREATE TABLE room_departures (
  room_id uuid NOT NULL CONSTRAINT room_departures_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  user_id uuid NOT NULL CONSTRAINT room_departures_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  left_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);
