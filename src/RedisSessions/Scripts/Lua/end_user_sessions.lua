-- Ends a batch of one user's sessions: all of those given (terminate-user), or only those whose time is up (the
-- sweep). The caller read the ids from the user's index and declares their hashes; the batch size is its choice.
-- O(batch x log n).
-- KEYS: 1 user index, 2 due index, 3 pending, 4 wake, 5 sessions counter, 6.. sessions
-- ARGV: 1 user ('' = trust the index), 2 member, 3 reason ('' = only sessions whose time is up), 4 owner, 5 lease ms,
--       6 retention ms, 7 pending channel, 8 tag, 9.. sids (one per session key)
-- Returns {now, ended, lost, sid, snapshot, ...}: lost = index entries whose hash was already gone (their time ran
-- out before any sweep: nothing is left to hand to a handler).
local now = now_ms()
local user, member, reason, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local lease, retention = tonumber(ARGV[5]), tonumber(ARGV[6])
local out, ended, lost, announce = {now, 0, 0}, 0, 0, false
for i = 6, #KEYS do
  local sid = ARGV[i + 3]
  local k = {session = KEYS[i], user = KEYS[1], due = KEYS[2], pending = KEYS[3], sessions = KEYS[5]}
  local v = redis.call('HMGET', KEYS[i], 'user', 'expires', 'absolute', 'ended')
  if not v[1] or v[4] or (user ~= '' and v[1] ~= user) then
    -- an index entry without a live session of this user: only the entry goes
    if redis.call('ZREM', KEYS[1], sid) == 1 and not v[1] then
      lost = lost + 1
      count_down(KEYS[5], 1)
    end
  else
    local expires = tonumber(v[2])
    local why = reason
    if expires <= now then why = expired_reason(expires, tonumber(v[3])) end
    if reason ~= '' or expires <= now then
      local snapshot = end_session(k, sid, member, why, now, owner, lease, retention)
      ended = ended + 1
      if snapshot then
        out[#out + 1] = sid
        out[#out + 1] = snapshot
      else
        announce = true
      end
    end
  end
end
reindex_user(KEYS[1], KEYS[2], member)
if announce then redis.call('PUBLISH', ARGV[7], ARGV[8]) end
if owner ~= '' and #out > 3 then wake_by(KEYS[4], now + lease) end
out[2], out[3] = ended, lost
return out
