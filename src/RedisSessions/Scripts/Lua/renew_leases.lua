-- Renews the leases this process holds while their handlers run. A lease counts only for the owner and attempt that
-- claimed it: one taken over by another process (this one froze past its lease) is reported lost, never renewed.
-- KEYS: 1 pending, 2 wake, 3.. snapshots
-- ARGV: 1 owner, 2 lease ms, then sid, attempt pairs (one pair per snapshot key)
-- Returns {now, lost sid...}.
local now = now_ms()
local owner, lease = ARGV[1], tonumber(ARGV[2])
local out = {now}
for i = 3, #KEYS do
  local sid, attempt = ARGV[2 * i - 3], ARGV[2 * i - 2]
  local v = redis.call('HMGET', KEYS[i], 'owner', 'attempt')
  if v[1] == owner and v[2] == attempt and redis.call('ZSCORE', KEYS[1], sid) then
    redis.call('ZADD', KEYS[1], 'XX', now + lease, sid)
  else
    out[#out + 1] = sid
  end
end
if #KEYS > #out + 1 then wake_by(KEYS[2], now + lease) end
return out
