/**
 * Which stored text messages get a push job (a push_outbox row).
 *
 * A job costs three writes (insert, lease, delete) and a claim round in the push worker. A
 * message in a room where no member other than its sender has a registered device can notify
 * nobody, so it gets none: a message notifies the devices registered before it was stored.
 * Proving "nobody" scans the room's members, so it is only done for rooms of at most
 * PUSH_JOB_PROBE_MAX_MEMBERS members; bigger rooms always get their jobs, and the push worker
 * finds their recipients as before. Direct conversations and small groups, which are most
 * of chat, are where the probe pays.
 */
export const PUSH_JOB_PROBE_MAX_MEMBERS = 64;

/**
 * Per room of a batch: `big` (too many members to probe) and up to two members holding a
 * device. `rooms` is a query with a room_id column. Two holders mean anyone's message may
 * notify someone; one means anyone's but that member's.
 */
export const pushHoldersSql = (rooms: string): string => `
      SELECT hr.id AS room_id, hr.member_count > ${PUSH_JOB_PROBE_MAX_MEMBERS} AS big,
        ARRAY(
          SELECT hm.user_id FROM memberships hm
          WHERE hm.room_id = hr.id AND hr.member_count <= ${PUSH_JOB_PROBE_MAX_MEMBERS}
            AND EXISTS (SELECT 1 FROM devices hd WHERE hd.user_id = hm.user_id)
          LIMIT 2
        ) AS holders
      FROM rooms hr WHERE hr.id IN (SELECT room_id FROM ${rooms})`;

/** True for a message of `sender` in a room of pushHoldersSql aliased `h`: it may notify someone. */
export const mayNotifySql = (h: string, sender: string): string =>
  `(${h}.big OR cardinality(array_remove(${h}.holders, ${sender})) > 0)`;

/**
 * The batch form of pushHoldersSql, for a statement that stores many rooms' messages: ONE jsonb
 * object, room id → 'any' (a big room, or two holders: anyone's message may notify someone) or
 * the one holder's id (anyone's message but the holder's). Rooms where nobody can be notified
 * are absent. One object rather than a row per room because the planner cannot size a batch's
 * CTEs: joined, the holders probe ran once per message instead of once per room.
 */
export const pushTargetsSql = (rooms: string): string => `
      SELECT jsonb_object_agg(h.room_id, CASE WHEN h.big OR cardinality(h.holders) > 1 THEN 'any' ELSE h.holders[1]::text END)
        FILTER (WHERE h.big OR cardinality(h.holders) > 0) AS of
      FROM (${pushHoldersSql(rooms)}) h`;

/**
 * True for a message of `sender` in `room` that may notify someone, given pushTargetsSql's
 * object `of`: the room is present and its value is not the sender ('any' is never a user id).
 */
export const mayNotifyInBatchSql = (of: string, room: string, sender: string): string =>
  `(${of} ->> ${room}::text) <> ${sender}::text`;
