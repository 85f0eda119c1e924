-- Files sent in messages. The bytes live in the object store under object_key (and
-- thumbnail_key); this row is the record. An upload is a row with message_id NULL until a
-- message takes it (once); unattached rows older than the TTL are swept with their objects.
CREATE TABLE attachments (
  id            uuid PRIMARY KEY,
  room_id       uuid NOT NULL CONSTRAINT attachments_room_id_fkey REFERENCES rooms (id) ON DELETE CASCADE,
  uploader_id   uuid NOT NULL CONSTRAINT attachments_uploader_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL,
  content_type  text NOT NULL,
  size          bigint NOT NULL CHECK (size >= 0),
  width         integer,
  height        integer,
  object_key    text NOT NULL,
  thumbnail_key text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Set once, by the statement that stores the message (see appendMemberMessages).
  message_id    uuid CONSTRAINT attachments_message_id_fkey REFERENCES messages (id) ON DELETE CASCADE,
  position      smallint,
  -- Filename search: the name as written plus with . _ - as word breaks ("q3-report.pdf" finds "report").
  search        tsvector GENERATED ALWAYS AS (to_tsvector('simple', left(name, 1000) || ' ' || translate(left(name, 1000), '._-', '   '))) STORED
);
CREATE INDEX attachments_message_id_idx ON attachments (message_id, position) WHERE message_id IS NOT NULL;
-- The TTL sweep of uploads never sent.
CREATE INDEX attachments_unattached_idx ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_search_idx ON attachments USING gin (search) WHERE message_id IS NOT NULL;
