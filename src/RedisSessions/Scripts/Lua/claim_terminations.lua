-- Claims ended sessions for this process's handlers: those ready for any handler (score 0) and those whose lease ran
-- out (its holder died or froze). The caller read the candidates from the pending index, declares their snapshots and
-- asks for no more than it is about to run. Each claim is a lease: attempt + 1, owner = this process, due at now + lease.
-- KEYS: 1 pending, 2 wake, 3.. snapshots
-- ARGV: 1 owner, 2 lease ms, 3.. sids (one per snapshot key)
-- Returns {now, lost, sid, snapshot, ...}: lost = pending entries whose snapshot was gone (kept past its retention
-- without any handler).
local now = now_ms()
local owner, lease = ARGV[1], tonumber(ARGV[2])
local out, lost = {now, 0}, 0
for i = 3, #KEYS do
  local sid = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[1], sid)
  if score and tonumber(score) <= now then
    if redis.call('EXISTS', KEYS[i]) == 0 then
      redis.call('ZREM', KEYS[1], sid)
      lost = lost + 1
    else
      redis.call('HINCRBY', KEYS[i], 'attempt', 1)
      redis.call('HSET', KEYS[i], 'owner', owner)
      redis.call('ZADD', KEYS[1], now + lease, sid)
      out[#out + 1] = sid
      out[#out + 1] = redis.call('HGETALL', KEYS[i])
    end
  end
end
if #out > 2 then wake_by(KEYS[2], now + lease) end
out[2] = lost
return out
