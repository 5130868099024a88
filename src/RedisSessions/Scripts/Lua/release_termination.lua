-- Gives back a termination this process holds but will not run (it is stopping): ready for any handler at once.
-- KEYS: 1 pending, 2 snapshot
-- ARGV: 1 sid, 2 owner, 3 attempt, 4 pending channel, 5 tag
-- Returns 1, or 0 when this process no longer holds it.
local v = redis.call('HMGET', KEYS[2], 'owner', 'attempt')
if v[1] ~= ARGV[2] or v[2] ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[2], 'owner', '')
redis.call('ZADD', KEYS[1], 'XX', 0, ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
