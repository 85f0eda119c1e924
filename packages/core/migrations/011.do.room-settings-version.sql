-- Room settings carry a version (docs/moderation.md): every change of name, topic, announcement
-- or slow mode moves it up by one under the room's row lock, so versions follow commit order.
-- Settings events are published after the commit by whichever replica made the change and can
-- reach a client out of that order, or cross its own reads; the client keeps the highest version.
ALTER TABLE rooms ADD COLUMN settings_version bigint NOT NULL DEFAULT 0;
