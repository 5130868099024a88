-- Shared by the RedisSessions scripts that read the clock or end sessions (prepended to each of them).
-- Rules every script keeps:
--   * every key it reads or writes arrives in KEYS[] (the caller builds them; nothing here makes a key name), so a
--     cluster that is moving a slot answers ASK/TRYAGAIN before anything is written;
--   * time is Redis's own clock (TIME), never the caller's;
--   * work is bounded: O(log n) in the user's session count, or a batch whose size the caller chose.
-- A session hash: user, created, last, expires, [absolute], node, d:<key>...; once ended also ended, reason, attempt,
-- owner. Times are Unix milliseconds. A user's index scores each session by its expiry, plus less than 1 ms that
-- keeps logins of one millisecond in order: a session is live while its score is >= now + 1.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Lowers a counter key, deleting it at zero (an empty tag leaves no key behind).
local function count_down(key, by)
  if redis.call('DECRBY', key, by) <= 0 then redis.call('DEL', key) end
end

-- The due index scores each user by the earliest expiry in its index; a user with no session left leaves it.
local function reindex_user(user_key, due_key, member)
  local first = redis.call('ZRANGE', user_key, 0, 0, 'WITHSCORES')
  if first[2] then
    redis.call('ZADD', due_key, first[2], member)
  else
    redis.call('ZREM', due_key, member)
  end
end

-- Makes the tag's wake key expire no later than `at`: its keyspace "expired" event is the hint to sweep the tag.
local function wake_by(wake_key, at)
  local current = redis.call('PEXPIRETIME', wake_key)
  if current < 0 or current > at then redis.call('SET', wake_key, '1', 'PXAT', at) end
end

-- Why a session whose time is up ended: its absolute deadline, or inactivity.
local function expired_reason(expires, absolute)
  if absolute and absolute <= expires then return 'absolute_timeout' end
  return 'expired'
end

-- Ends a live session in place. Its hash becomes the termination's snapshot (fields ended, reason, attempt, owner)
-- and lives `retention` ms for a handler; it leaves its user's index (and the due index follows); the tag's pending
-- index gets it, leased to `owner` until now + lease, or, when owner is '', ready for any handler (score 0).
-- k = {session, user, due, pending, sessions}. Returns the snapshot (HGETALL) when claimed, else nil.
local function end_session(k, sid, member, reason, now, owner, lease, retention)
  redis.call('ZREM', k.user, sid)
  reindex_user(k.user, k.due, member)
  count_down(k.sessions, 1)
  local attempt, score = 0, 0
  if owner ~= '' then attempt, score = 1, now + lease end
  redis.call('HSET', k.session, 'ended', now, 'reason', reason, 'attempt', attempt, 'owner', owner)
  redis.call('PEXPIRE', k.session, retention)
  redis.call('ZADD', k.pending, score, sid)
  if owner ~= '' then return redis.call('HGETALL', k.session) end
  return nil
end

-- Reads a session that must be live and belong to `user` ('' = don't check). Returns its times, or nil and the answer
-- to give: {'gone'} (unknown or already ended), {'wrong_user', user}, or {'expired', snapshot?} after ending a session
-- whose time is up (announced on `channel` when nobody here claims it).
local function load_live(k, sid, user, member, now, owner, lease, retention, channel, tag)
  local v = redis.call('HMGET', k.session, 'user', 'created', 'last', 'expires', 'absolute', 'ended')
  if not v[1] or v[6] then return nil, {'gone'} end
  if user ~= '' and v[1] ~= user then return nil, {'wrong_user', v[1]} end
  local s = {created = tonumber(v[2]), last = tonumber(v[3]), expires = tonumber(v[4]), absolute = tonumber(v[5])}
  if s.expires > now then return s end
  local snapshot = end_session(k, sid, member, expired_reason(s.expires, s.absolute), now, owner, lease, retention)
  if snapshot then return nil, {'expired', now, snapshot} end
  redis.call('PUBLISH', channel, tag)
  return nil, {'expired', now}
end

-- Records activity at `now` when the last recorded one is at least `resolution` ms old: the expiry becomes
-- now + idle, capped by the absolute deadline and never earlier than it was; the hash lives until then + grace; the
-- user's index and the due index follow. Returns true when it wrote.
local function slide(k, s, sid, member, now, idle, grace, resolution)
  if now - s.last < resolution then return false end
  local expires = now + idle
  if s.absolute and s.absolute < expires then expires = s.absolute end
  if expires < s.expires then expires = s.expires end
  s.last, s.expires = now, expires
  redis.call('HSET', k.session, 'last', now, 'expires', expires)
  redis.call('PEXPIREAT', k.session, expires + grace)
  redis.call('ZADD', k.user, expires, sid)
  reindex_user(k.user, k.due, member)
  return true
end

