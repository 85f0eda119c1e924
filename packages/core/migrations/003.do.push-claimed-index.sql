-- Jobs under a live claim, per room. A claim skips rooms that have one; without this index
-- that check walked every pending job of the room once per candidate job (quadratic in the
-- backlog of a busy room). Claimed-and-pending rows are few: in-flight claims and retries.
CREATE INDEX push_outbox_claimed_idx ON push_outbox (room_id) WHERE state = 'pending' AND claim_token IS NOT NULL;
