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
