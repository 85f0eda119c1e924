/**
 * The Lua scripts behind RedisPresence. Every presence transition is decided inside one of them, so
 * two replicas never both report the same user coming online or going offline.
 *
 * Keys, under a prefix P (default `chorus:presence:`):
 * - `P room:<roomId>`: sorted set of the room's entries. A member is the JSON array
 *   `[userId, connectionId, username, instanceId]`; its score is `LEASED`.
 * - `P room:<roomId>:u:<userId>`: the same entries of one user, so that "does this user have another
 *   live entry here" looks at that user's entries only, however many people are in the room.
 * - `P room:<roomId>:i:<instanceId>`: set of the entries one instance holds in the room (what the sweep
 *   of a dead instance removes, without reading the rest of the room).
 * - `P instances`: sorted set of instance ids scored by lease expiry (ms since the epoch). An entry is
 *   live while its instance's lease is; an instance renews its lease with one command per refresh,
 *   however many entries it holds.
 * - `P instances:<instanceId>:rooms`: set of the rooms where an instance has entries.
 * - `P rooms`: set of the rooms with entries of any kind.
 *
 * Entries written by a Chorus from before leases (three-element members scored by their own expiry
 * time) stay readable: they are live while their score is in the future and are swept by expiry. A
 * leased entry's score is above any time in ms, so such a Chorus counts it as live and never sweeps it.
 *
 * Per-user and per-instance keys are derived inside the scripts; Chorus's presence keys are not
 * spread over a Redis Cluster.
 */

/** The score of a leased entry: above any expiry time in ms, exact as a double. */
export const LEASED_SCORE = 9_000_000_000_000_000;

/** KEYS[1] a room, KEYS[2] the rooms set, KEYS[3] the instances set, in every script but RENEW. */
const COMMON = `
local LEASED = ${LEASED_SCORE}
local alive_memo = {}
local function instance_alive(inst, now)
  local alive = alive_memo[inst]
  if alive == nil then
    local lease = redis.call('zscore', KEYS[3], inst)
    alive = lease ~= false and tonumber(lease) > now
    alive_memo[inst] = alive
  end
  return alive
end
local function is_live(member, score, now)
  score = tonumber(score)
  if score >= LEASED then
    local inst = string.match(member, ',"([^"]*)"%]$')
    return inst ~= nil and instance_alive(inst, now)
  end
  return score > now
end
local function user_key(userId) return KEYS[1] .. ':u:' .. userId end
local function room_instance_key(inst) return KEYS[1] .. ':i:' .. inst end
local function instance_rooms_key(inst) return KEYS[3] .. ':' .. inst .. ':rooms' end
-- Whether the user has a live entry in the room. Reads the user's entries a few at a time and stops
-- at the first live one: one user's entries in a room are not bounded (connections per user are
-- not capped), and reading them all made each join and leave cost in proportion to them.
local LIVE_PAGE = 8
local function has_live(userId, now)
  local key, offset = user_key(userId), 0
  while true do
    local entries = redis.call('zrangebyscore', key, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', offset, LIVE_PAGE)
    for i = 1, #entries, 2 do
      if is_live(entries[i], entries[i + 1], now) then return true end
    end
    -- WITHSCORES: two elements per entry, so a short page is the last one.
    if #entries < 2 * LIVE_PAGE then return false end
    offset = offset + LIVE_PAGE
  end
end
-- Entries just removed from the room: takes them out of their users' sets too, and returns one
-- of them per user who thereby has no live entry left in the room (who went offline).
local function gone_offline(removed, now)
  local seen, firsts = {}, {}
  for _, member in ipairs(removed) do
    local userId = cjson.decode(member)[1]
    redis.call('zrem', user_key(userId), member)
    if not seen[userId] then
      seen[userId] = true
      firsts[#firsts + 1] = { userId, member }
    end
  end
  local out = {}
  for _, first in ipairs(firsts) do
    if not has_live(first[1], now) then out[#out + 1] = first[2] end
  end
  return out
end
local function forget_room_if_empty(roomId)
  if redis.call('zcard', KEYS[1]) == 0 then redis.call('srem', KEYS[2], roomId) end
end
-- Adds a leased entry; true when the user had no live entry in the room before it.
local function put_entry(member, now, userId, roomId, inst)
  local was_online = has_live(userId, now)
  redis.call('zadd', KEYS[1], LEASED, member)
  redis.call('zadd', user_key(userId), LEASED, member)
  redis.call('sadd', room_instance_key(inst), member)
  redis.call('sadd', instance_rooms_key(inst), roomId)
  redis.call('sadd', KEYS[2], roomId)
  return not was_online
end
`;

/**
 * KEYS: instances. ARGV: instanceId, lease expiry, now. Renews the lease; returns 1 when it had lapsed
 * or was gone (the instance's entries may have been swept: it must write them all again), else 0.
 */
export const RENEW = `
local lease = redis.call('zscore', KEYS[1], ARGV[1])
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
if lease and tonumber(lease) > tonumber(ARGV[3]) then return 0 end
return 1
`;

/**
 * ARGV: member, now, userId, roomId, instanceId. Returns 1 when the user came online, 0 when not,
 * -1 (nothing written) when the instance's lease has lapsed: its next refresh writes the entry.
 */
export const JOIN = `${COMMON}
local now = tonumber(ARGV[2])
if not instance_alive(ARGV[5], now) then return -1 end
if put_entry(ARGV[1], now, ARGV[3], ARGV[4], ARGV[5]) then return 1 end
return 0
`;

/**
 * ARGV: member, now, userId, roomId, instanceId. Returns 1 when removing the entry left the user with
 * no live entry in the room. An entry that was no longer live (its lease lapsed, not yet swept) was
 * never reported offline, and removing it here means no sweep will: so it is reported here.
 */
export const LEAVE = `${COMMON}
local now = tonumber(ARGV[2])
if redis.call('zrem', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('zrem', user_key(ARGV[3]), ARGV[1])
local here = room_instance_key(ARGV[5])
redis.call('srem', here, ARGV[1])
if redis.call('scard', here) == 0 then redis.call('srem', instance_rooms_key(ARGV[5]), ARGV[4]) end
forget_room_if_empty(ARGV[4])
if not has_live(ARGV[3], now) then return 1 end
return 0
`;

/**
 * Writes again the entries one instance holds in one room (after its lease lapsed, after a failure,
 * and now and then in case Redis lost writes). ARGV: now, roomId, instanceId, then member, userId for
 * each entry. An entry still present is kept (it was never reported offline) and its indexes healed;
 * one that is gone is written again. Returns, per entry, 1 when it brought its user back online.
 */
export const REASSERT = `${COMMON}
local now, roomId, inst = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local out = {}
for i = 4, #ARGV, 2 do
  local member, userId = ARGV[i], ARGV[i + 1]
  if redis.call('zscore', KEYS[1], member) then
    redis.call('zadd', user_key(userId), LEASED, member)
    redis.call('sadd', room_instance_key(inst), member)
    redis.call('sadd', instance_rooms_key(inst), roomId)
    redis.call('sadd', KEYS[2], roomId)
    out[#out + 1] = 0
  elseif put_entry(member, now, userId, roomId, inst) then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/**
 * Removes a dead instance's entries from one room. ARGV: instanceId, now, roomId. Returns -1 when the
 * instance is alive again (its own refresh takes over), else one removed member per user that thereby
 * went offline. Atomic per room, so of several replicas sweeping, one reports each change.
 */
export const SWEEP_INSTANCE_ROOM = `${COMMON}
local inst, now, roomId = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if instance_alive(inst, now) then return -1 end
local here = room_instance_key(inst)
local members = redis.call('smembers', here)
redis.call('del', here)
redis.call('srem', instance_rooms_key(inst), roomId)
local removed = {}
for _, member in ipairs(members) do
  if redis.call('zrem', KEYS[1], member) == 1 then removed[#removed + 1] = member end
end
local out = gone_offline(removed, now)
forget_room_if_empty(roomId)
return out
`;

/** KEYS: instances. ARGV: instanceId, now. Forgets a dead instance once it has no rooms left; 1 if so. */
export const FORGET_INSTANCE = `
local lease = redis.call('zscore', KEYS[1], ARGV[1])
if not lease or tonumber(lease) > tonumber(ARGV[2]) then return 0 end
if redis.call('scard', KEYS[1] .. ':' .. ARGV[1] .. ':rooms') > 0 then return 0 end
redis.call('zrem', KEYS[1], ARGV[1])
return 1
`;

/**
 * Removes the expired entries of a Chorus from before leases from one room. ARGV: now, roomId.
 * Returns one expired member per user that went offline.
 */
export const SWEEP_EXPIRED = `${COMMON}
local now, roomId = tonumber(ARGV[1]), ARGV[2]
local expired = redis.call('zrangebyscore', KEYS[1], '-inf', now)
if #expired > 0 then redis.call('zremrangebyscore', KEYS[1], '-inf', now) end
local out = gone_offline(expired, now)
forget_room_if_empty(roomId)
return out
`;
