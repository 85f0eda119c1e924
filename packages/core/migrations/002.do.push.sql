-- Push notifications: per-room mutes and the push outbox (a durable job queue in Postgres).

CREATE TABLE room_mutes (
  room_id     uuid NOT NULL CONSTRAINT room_mutes_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL CONSTRAINT room_mutes_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  -- NULL: muted until unmuted.
  muted_until timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);

-- One row per stored text message, written by the same statement that stores the message,
-- so no stored message lacks its job. Sent jobs are deleted; failed ones end in state 'dead'.
CREATE TABLE push_outbox (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id            uuid NOT NULL CONSTRAINT push_outbox_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  message_id         uuid NOT NULL CONSTRAINT push_outbox_message_id_fkey REFERENCES messages (id) ON DELETE CASCADE,
  seq                bigint NOT NULL,
  sender_id          uuid NOT NULL,
  message_created_at timestamptz NOT NULL,
  state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
  -- Claims so far (a claim counts even if its worker crashed before reporting).
  attempts           integer NOT NULL DEFAULT 0,
  -- Due time while pending; a claim moves it forward by the lease, so a crashed worker's
  -- claim expires and the job becomes due again.
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  -- The current (or last) claim; ack/retry only touch rows still carrying the caller's claim.
  claim_token        uuid,
  -- Device tokens that already accepted this job's notification (skipped on retry and replay).
  delivered_tokens   text[] NOT NULL DEFAULT '{}',
  last_error         text,
  dead_at            timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_outbox_due_idx ON push_outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX push_outbox_room_idx ON push_outbox (room_id) WHERE state = 'pending';
CREATE INDEX push_outbox_dead_idx ON push_outbox (id DESC) WHERE state = 'dead';
CREATE INDEX push_outbox_message_id_idx ON push_outbox (message_id);
