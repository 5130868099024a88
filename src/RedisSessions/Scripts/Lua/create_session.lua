-- Creates a session for a user, enforcing the per-user limit. O(log n) in the user's session count.
-- KEYS: 1 session, 2 user index, 3 due index, 4 pending, 5 wake, 6 sessions counter, 7.. sessions to evict
-- ARGV: 1 sid, 2 user, 3 user's member in the due index, 4 idle ms, 5 absolute timeout ms (0 = none),
--       6 max sessions (0 = none), 7 'evict' | 'reject', 8 grace ms, 9 node, 10 owner ('' = leave terminations to
--       any handler), 11 lease ms, 12 retention ms, 13 pending channel, 14 tag, 15 victim count v, 16..15+v victims,
--       then data key, value pairs.
-- Returns {'ok', now, expires, sid, snapshot, ...} (snapshots of evicted sessions this call claimed)
--       | {'limit', live} | {'evict', sid...} (declare these in KEYS and call again) | {'exists'}.
-- O(log n) in the user's session count, plus O(k log n) for k declared sessions when the user is at the limit.
local sid, user, member = ARGV[1], ARGV[2], ARGV[3]
local idle, absolute, max = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local grace, owner, lease, retention = tonumber(ARGV[8]), ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12])
local victims = tonumber(ARGV[15])
local now = now_ms()
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
-- Index entries whose hash has certainly expired (expiry + grace passed before any sweep ended them) hold nothing a
-- handler could get: they go, and no longer count as sessions of the tag.
-- A user's first session (the common case) skips the work that concerns the user's other sessions.
local existing = redis.call('ZCARD', KEYS[2])
if existing > 0 then
  local stale = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - grace))
  if stale > 0 then count_down(KEYS[6], stale) end
end
local out = {'ok', now, 0}
if max > 0 and existing > 0 then
  -- Sessions whose time is up never count, whether or not a sweep has ended them yet.
  local live = redis.call('ZCOUNT', KEYS[2], now + 1, '+inf')
  if live >= max then
    if ARGV[7] == 'reject' then return {'limit', live} end
    -- The least recently active go: the lowest expiries (with an absolute timeout, the one about to reach it). The
    -- caller declared some sessions it read as the lowest; those still live there are enough when they are at least
    -- as many as must go (the lowest of them go). Otherwise the answer names the current lowest, with a few spare so
    -- that logins of the same user racing on other servers don't send each other round again.
    local need = live - max + 1
    local declared = {}
    for i = 1, victims do
      local score = redis.call('ZSCORE', KEYS[2], ARGV[15 + i])
      if score and tonumber(score) >= now + 1 then declared[#declared + 1] = {tonumber(score), i} end
    end
    if #declared < need then
      local chosen = redis.call('ZRANGE', KEYS[2], now + 1, '+inf', 'BYSCORE', 'LIMIT', 0, need + 4)
      table.insert(chosen, 1, 'evict')
      return chosen
    end
    table.sort(declared, function(a, b) return a[1] < b[1] or (a[1] == b[1] and ARGV[15 + a[2]] < ARGV[15 + b[2]]) end)
    local announce = false
    for d = 1, need do
      local i = declared[d][2]
      local vsid, vkey = ARGV[15 + i], KEYS[6 + i]
      local v = redis.call('HMGET', vkey, 'user', 'ended')
      if v[1] == user and not v[2] then
        local k = {session = vkey, user = KEYS[2], due = KEYS[3], pending = KEYS[4], sessions = KEYS[6]}
        local snapshot = end_session(k, vsid, member, 'evicted', now, owner, lease, retention)
        if snapshot then
          out[#out + 1] = vsid
          out[#out + 1] = snapshot
        else
          announce = true
        end
      else
        -- listed in the user's index without a live hash of this user: the entry alone goes
        redis.call('ZREM', KEYS[2], vsid)
        count_down(KEYS[6], 1)
      end
    end
    if announce then redis.call('PUBLISH', ARGV[13], ARGV[14]) end
  end
end
local expires, fields = now + idle, {'user', user, 'created', now, 'last', now}
if absolute > 0 then
  if now + absolute < expires then expires = now + absolute end
  fields[#fields + 1] = 'absolute'
  fields[#fields + 1] = now + absolute
end
fields[#fields + 1] = 'expires'
fields[#fields + 1] = expires
fields[#fields + 1] = 'node'
fields[#fields + 1] = ARGV[9]
-- one HSET per few hundred values: unpack() has a stack limit
local i = 16 + victims
repeat
  while i <= #ARGV and #fields < 400 do
    fields[#fields + 1] = 'd:' .. ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
    i = i + 2
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  fields = {}
until i > #ARGV
redis.call('PEXPIREAT', KEYS[1], expires + grace)
-- Logins of one user within one millisecond keep their order in the index (so eviction follows login order): the
-- score gets 1/1024 ms more than the latest one of that millisecond.
if existing == 0 then
  redis.call('ZADD', KEYS[2], expires, sid)
  redis.call('ZADD', KEYS[3], expires, member)
else
  local score = expires
  local latest = redis.call('ZRANGE', KEYS[2], '(' .. (expires + 1), expires, 'BYSCORE', 'REV', 'LIMIT', 0, 1, 'WITHSCORES')
  if latest[2] then score = math.min(tonumber(latest[2]) + 1 / 1024, expires + 1023 / 1024) end
  redis.call('ZADD', KEYS[2], score, sid)
  reindex_user(KEYS[2], KEYS[3], member)
end
redis.call('INCR', KEYS[6])
-- The tag may hold sessions that expire later than this one (created by a process with a longer InactiveTimeout, or
-- while the farm changes its setting), so an existing wake key is moved earlier when it must be.
wake_by(KEYS[5], expires)
out[3] = expires
return out
