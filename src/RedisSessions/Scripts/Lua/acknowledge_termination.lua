-- A handler finished a termination it holds: the snapshot and the pending entry go. Only the owner and attempt that
-- hold the lease may acknowledge; with a notice period the snapshot shrinks to {ended, reason} and lives that long,
-- so a web app can still tell the user why the session ended.
-- The tag's wake key goes with the last of its work, so a tag whose sessions all ended leaves no key behind.
-- KEYS: 1 pending, 2 snapshot, 3 due index, 4 wake
-- ARGV: 1 sid, 2 owner, 3 attempt, 4 notice ms (0 = keep nothing)
-- Returns 1, or 0 when this process no longer holds it (another process took it over, or it is gone).
local v = redis.call('HMGET', KEYS[2], 'owner', 'attempt', 'ended', 'reason')
if v[1] ~= ARGV[2] or v[2] ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[3]) == 0 then redis.call('DEL', KEYS[4]) end
local notice = tonumber(ARGV[4])
if notice > 0 then
  redis.call('HSET', KEYS[2], 'ended', v[3], 'reason', v[4])
  redis.call('PEXPIRE', KEYS[2], notice)
end
return 1
